/*
 * svm_train.c: the linear-SVM softness trained on a dataset manifest (API and outputs in
 * shearband/svm_train.h).
 *
 * Data flow. Glasses are read once each and label masks kept per case (the same checks as
 * the CNN/GNN trainers: label fingerprint = glass fingerprint, label orientation = manifest
 * orientation). The training rows (case, atom) are chosen first, from the masks alone;
 * then each glass's structure functions are computed once (they are rotation invariant)
 * and the chosen rows copied out of them, so the feature matrix of a glass exists only
 * while it is needed -- except for glasses with validation or test cases, whose features
 * are kept because every C of the grid is scored on them. Memory: rows x F doubles for the
 * training matrix (plus liblinear's copy, 16 bytes per entry), N x F per held-out glass.
 *
 * Scores are the signed softness; metrics use the threshold 0 (fertile when softness > 0),
 * and ROC-AUC / PR-AUC are threshold free, so they compare with the CNN/GNN probabilities.
 */
#define _POSIX_C_SOURCE 200809L
#include "shearband/svm_train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/fileutil.h"
#include "shearband/io.h"
#include "shearband/json.h"

#include "analysis/train_internal.h"

sb_svm_train_options sb_svm_train_options_default(void)
{
    return (sb_svm_train_options){.sf = sb_sf_params_default(), .n_grid = 3, .C_grid = {0.01, 0.1, 1.0},
                                  .eps = 0.01, .pos_weight = 0.0, .max_rows = 200000, .seed = 1,
                                  .model_path = NULL, .progress = false, .argc = 0, .argv = NULL};
}

typedef struct st_glass { /* per glass, indexed as st_data.glasses */
    bool held_out; /* has val or test cases: features kept */
    double *X;     /* N x F while needed */
    double *soft;  /* N softness of the current model */
} st_glass;

typedef struct st_case {
    int glass;
    sb_split split;
    unsigned char *mask;
} st_case;

typedef struct st_row {
    uint32_t c, atom;
} st_row;

typedef struct st_data {
    tr_glasses glasses;
    st_glass *g;
    st_case *c;
    int ncase;
    double label_strain, label_f_thres;
} st_data;

static void st_data_free(st_data *d)
{
    for (int i = 0; i < d->glasses.n; i++) {
        free(d->g[i].X);
        free(d->g[i].soft);
    }
    for (int i = 0; i < d->ncase; i++) free(d->c[i].mask);
    tr_glasses_free(&d->glasses);
    free(d->g);
    free(d->c);
    memset(d, 0, sizeof *d);
}

static sb_status st_data_load(const sb_dataset *ds, st_data *d, sb_error *err)
{
    memset(d, 0, sizeof *d);
    d->g = calloc(ds->n ? ds->n : 1, sizeof *d->g);
    d->c = calloc(ds->n ? ds->n : 1, sizeof *d->c);
    if (!tr_glasses_init(&d->glasses, ds->n) || !d->g || !d->c)
        return sb_error_set(err, SB_ERR_NOMEM, "svm train: out of memory");
    sb_status st = SB_OK;
    sb_labels l = SB_LABELS_INIT;
    for (size_t i = 0; st == SB_OK && i < ds->n; i++) {
        const sb_dataset_case *dc = &ds->cases[i];
        int gi;
        if ((st = tr_glass_index(&d->glasses, dc->glass, &gi, err)) != SB_OK) break;
        st_case *c = &d->c[d->ncase++];
        c->glass = gi;
        c->split = dc->split;
        if (dc->split != SB_SPLIT_TRAIN) d->g[gi].held_out = true;
        const sb_structure *s = &d->glasses.s[gi];
        if (!(c->mask = malloc(s->n ? s->n : 1))) {
            st = sb_error_set(err, SB_ERR_NOMEM, "svm train: out of memory");
            break;
        }
        if ((st = tr_case_mask(dc, s, &l, c->mask, err)) != SB_OK) break;
        if (i == 0) {
            d->label_strain = l.strain;
            d->label_f_thres = l.f_thres;
        }
    }
    sb_labels_free(&l);
    return st;
}

/* Keep k of the n rows in r (a seeded partial Fisher-Yates: the first k after it). */
static void st_pick(st_row *r, size_t n, size_t k, uint64_t *rs)
{
    for (size_t i = 0; i < k && i + 1 < n; i++) {
        const size_t j = i + (size_t)(tr_splitmix(rs) % (uint64_t)(n - i));
        const st_row t = r[i];
        r[i] = r[j];
        r[j] = t;
    }
}

static int st_row_cmp(const void *a, const void *b)
{
    const st_row *x = a, *y = b;
    if (x->c != y->c) return (x->c > y->c) - (x->c < y->c);
    return (x->atom > y->atom) - (x->atom < y->atom);
}

/* Softness of every held-out glass under model m, then metrics over the cases of a split. */
static sb_status st_evaluate(st_data *d, sb_split split, const sb_softness_model *m, float *score,
                             unsigned char *lab, sb_metrics *out, sb_error *err)
{
    memset(out, 0, sizeof *out);
    size_t n = 0;
    for (int gi = 0; gi < d->glasses.n; gi++)
        if (d->g[gi].held_out) sb_softness_predict(m, d->g[gi].X, d->glasses.s[gi].n, d->g[gi].soft);
    for (int ci = 0; ci < d->ncase; ci++) {
        const st_case *c = &d->c[ci];
        if (c->split != split) continue;
        const st_glass *g = &d->g[c->glass];
        for (size_t a = 0; a < d->glasses.s[c->glass].n; a++) {
            score[n] = (float)g->soft[a];
            lab[n++] = c->mask[a] != 0;
        }
    }
    if (n == 0) return SB_OK;
    return sb_metrics_compute(score, lab, n, 0.0, out, err);
}

static sb_status st_write_json(const char *path, const sb_dataset *ds, const sb_svm_train_options *o,
                               const sb_sf_params *sf, const st_data *d, const sb_svm_train_result *r,
                               sb_error *err)
{
    sb_atomic_file af;
    sb_json j;
    const sb_status st = tr_json_begin(&af, &j, path, "shearband fertile-site svm training", o->argc, o->argv, ds, d->label_strain, d->label_f_thres, err);
    if (st != SB_OK) return st;
    sb_json_num(&j, "sf_mu_min_A", sf->mu_min);
    sb_json_num(&j, "sf_mu_max_A", sf->mu_max);
    sb_json_num(&j, "sf_mu_step_A", sf->mu_step);
    sb_json_num(&j, "sf_width_L_A", sf->width_L);
    sb_json_num(&j, "sf_angular_cutoff_A", sf->angular_cutoff);
    sb_json_array(&j, "sf_xi_A");
    for (int a = 0; a < sf->n_xi; a++) sb_json_num(&j, NULL, sf->xi[a]);
    sb_json_end(&j);
    sb_json_array(&j, "sf_zeta");
    for (int a = 0; a < sf->n_zeta; a++) sb_json_num(&j, NULL, sf->zeta[a]);
    sb_json_end(&j);
    sb_json_int(&j, "sf_nspecies", sf->nspecies);
    sb_json_int(&j, "features", (int64_t)r->nfeat);
    sb_json_str(&j, "solver", "liblinear L2R_L2LOSS_SVC_DUAL");
    sb_json_array(&j, "C_grid");
    for (int k = 0; k < o->n_grid; k++) sb_json_num(&j, NULL, o->C_grid[k]);
    sb_json_end(&j);
    sb_json_num(&j, "eps", o->eps);
    sb_json_num(&j, "pos_weight", r->pos_weight);
    sb_json_bool(&j, "pos_weight_auto", !(o->pos_weight > 0));
    sb_json_int(&j, "max_rows", (int64_t)o->max_rows);
    sb_json_int(&j, "seed", (int64_t)o->seed);
    sb_json_str(&j, "monitor", "val_pr_auc");
    sb_json_num(&j, "threshold", 0.0);
    sb_json_end(&j);
    sb_json_object(&j, "result");
    sb_json_num(&j, "C", r->C);
    sb_json_array(&j, "grid");
    for (int k = 0; k < r->n_grid; k++) {
        sb_json_object(&j, NULL);
        sb_json_num(&j, "C", o->C_grid[k]);
        sb_json_num(&j, "val_roc_auc", r->grid_val_roc_auc[k]);
        sb_json_num(&j, "val_pr_auc", r->grid_val_pr_auc[k]);
        sb_json_end(&j);
    }
    sb_json_end(&j);
    sb_json_int(&j, "train_rows_available", (int64_t)r->n_train_available);
    sb_json_int(&j, "train_positives", (int64_t)r->n_train_pos);
    sb_json_int(&j, "train_negatives", (int64_t)r->n_train_neg);
    sb_json_num(&j, "seconds_features", r->seconds_features);
    sb_json_num(&j, "seconds_this_run", r->seconds);
    sb_json_end(&j);
    return tr_json_finish(&af, &j, &r->val, &r->test, err);
}

static sb_status st_set_meta(sb_svm_model *m, const sb_dataset *ds, const st_data *d, const sb_svm_train_result *r,
                             const sb_svm_train_options *o, sb_error *err)
{
    char buf[64];
    sb_status st = sb_svm_model_set_meta(m, "kind", "fertile-svm", err);
    if (st == SB_OK) st = sb_svm_model_set_meta(m, "dataset", ds->path, err);
    snprintf(buf, sizeof buf, "%.17g", d->label_strain);
    if (st == SB_OK) st = sb_svm_model_set_meta(m, "label_strain", buf, err);
    snprintf(buf, sizeof buf, "%.17g", d->label_f_thres);
    if (st == SB_OK) st = sb_svm_model_set_meta(m, "label_f_thres", buf, err);
    snprintf(buf, sizeof buf, "%.17g", r->C);
    if (st == SB_OK) st = sb_svm_model_set_meta(m, "C", buf, err);
    snprintf(buf, sizeof buf, "%.17g", o->eps);
    if (st == SB_OK) st = sb_svm_model_set_meta(m, "eps", buf, err);
    snprintf(buf, sizeof buf, "%.17g", r->pos_weight);
    if (st == SB_OK) st = sb_svm_model_set_meta(m, "pos_weight", buf, err);
    snprintf(buf, sizeof buf, "%zu", r->n_train_rows);
    if (st == SB_OK) st = sb_svm_model_set_meta(m, "train_rows", buf, err);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)o->seed);
    if (st == SB_OK) st = sb_svm_model_set_meta(m, "seed", buf, err);
    snprintf(buf, sizeof buf, "%.6g", r->val.n ? r->val.pr_auc : NAN);
    if (st == SB_OK) st = sb_svm_model_set_meta(m, "val_pr_auc", buf, err);
    return st;
}

sb_status sb_svm_train(const sb_dataset *ds, const sb_svm_train_options *opt, sb_svm_train_result *res,
                       sb_error *err)
{
    memset(res, 0, sizeof *res);
    const sb_svm_train_options o = opt ? *opt : sb_svm_train_options_default();
    if (!o.model_path) return sb_error_set(err, SB_ERR_INVALID_ARG, "svm train: no model path");
    if (o.n_grid < 1 || o.n_grid > SB_SVM_MAX_GRID || !(o.eps > 0))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "svm train: bad options (%d values of C, eps %g)", o.n_grid, o.eps);
    for (int k = 0; k < o.n_grid; k++)
        if (!(o.C_grid[k] > 0)) return sb_error_set(err, SB_ERR_INVALID_ARG, "svm train: C %g must be > 0", o.C_grid[k]);
    const double t_start = tr_now();
    st_data d;
    sb_status st = st_data_load(ds, &d, err);
    sb_sf_params sf = o.sf;
    if (st == SB_OK && d.glasses.max_types > sf.nspecies) sf.nspecies = d.glasses.max_types;
    if (st == SB_OK) st = sb_sf_params_check(&sf, err);
    const size_t F = sb_sf_count(&sf);
    res->nfeat = F;
    /* training rows, from the masks alone */
    size_t np = 0, nn = 0, nval = 0, ntest = 0;
    for (int ci = 0; st == SB_OK && ci < d.ncase; ci++) {
        const size_t na = d.glasses.s[d.c[ci].glass].n;
        if (d.c[ci].split == SB_SPLIT_TRAIN)
            for (size_t a = 0; a < na; a++) d.c[ci].mask[a] ? np++ : nn++;
        else if (d.c[ci].split == SB_SPLIT_VAL) nval += na;
        else ntest += na;
    }
    if (st == SB_OK && (np == 0 || nn == 0))
        st = sb_error_set(err, SB_ERR_INVALID_ARG,
                          "svm train: the training split has %zu positive and %zu negative atoms: need both", np, nn);
    st_row *pos = NULL, *neg = NULL, *rows = NULL;
    double *X = NULL;
    uint8_t *y = NULL;
    float *score = NULL;
    unsigned char *lab = NULL;
    sb_softness_model cur, best;
    memset(&cur, 0, sizeof cur);
    memset(&best, 0, sizeof best);
    size_t kp = np, kn = nn;
    if (st == SB_OK) {
        pos = malloc(np * sizeof *pos);
        neg = malloc(nn * sizeof *neg);
        if (!pos || !neg) st = sb_error_set(err, SB_ERR_NOMEM, "svm train: out of memory for %zu rows", np + nn);
    }
    if (st == SB_OK) {
        size_t ip = 0, in = 0;
        for (int ci = 0; ci < d.ncase; ci++)
            if (d.c[ci].split == SB_SPLIT_TRAIN)
                for (size_t a = 0; a < d.glasses.s[d.c[ci].glass].n; a++) {
                    const st_row r = {(uint32_t)ci, (uint32_t)a};
                    if (d.c[ci].mask[a]) pos[ip++] = r;
                    else neg[in++] = r;
                }
        res->n_train_available = np + nn;
        if (o.max_rows > 0 && np + nn > o.max_rows) {
            kp = np < o.max_rows / 2 ? np : o.max_rows / 2;
            if (kp == 0) kp = 1;
            kn = o.max_rows - kp < nn ? o.max_rows - kp : nn;
            uint64_t rs = o.seed * 0x9E3779B97F4A7C15ULL ^ 0x5356ULL;
            st_pick(pos, np, kp, &rs);
            st_pick(neg, nn, kn, &rs);
        }
        rows = malloc((kp + kn) * sizeof *rows);
        X = malloc((kp + kn) * F * sizeof *X);
        y = malloc(kp + kn);
        if (!rows || !X || !y)
            st = sb_error_set(err, SB_ERR_NOMEM, "svm train: cannot allocate %zu x %zu training rows (--max-rows)",
                              kp + kn, F);
    }
    size_t nrows = 0;
    if (st == SB_OK) {
        memcpy(rows, pos, kp * sizeof *rows);
        memcpy(rows + kp, neg, kn * sizeof *rows);
        nrows = kp + kn;
        qsort(rows, nrows, sizeof *rows, st_row_cmp); /* by case, so glass by glass below */
        res->n_train_rows = nrows;
        res->n_train_pos = kp;
        res->n_train_neg = kn;
    }
    free(pos);
    free(neg);
    /* structure functions, once per glass */
    const double t_feat = tr_now();
    size_t filled = 0;
    for (int gi = 0; st == SB_OK && gi < d.glasses.n; gi++) {
        st_glass *g = &d.g[gi];
        const sb_structure *s = &d.glasses.s[gi];
        const char *path = d.glasses.path[gi];
        bool used = g->held_out;
        for (size_t r = 0; !used && r < nrows; r++) used = d.c[rows[r].c].glass == gi;
        if (!used) continue;
        g->X = malloc((s->n ? s->n : 1) * F * sizeof *g->X);
        if (!g->X) {
            st = sb_error_set(err, SB_ERR_NOMEM, "svm train: cannot allocate structure functions of %s", path);
            break;
        }
        if ((st = sb_sf_compute(s, &sf, g->X, err)) != SB_OK) {
            sb_error_prefix(err, "%s: ", path);
            break;
        }
        for (size_t r = 0; r < nrows; r++)
            if (d.c[rows[r].c].glass == gi) {
                memcpy(X + r * F, g->X + (size_t)rows[r].atom * F, F * sizeof *X);
                y[r] = d.c[rows[r].c].mask[rows[r].atom] != 0;
                filled++;
            }
        if (g->held_out) {
            if (!(g->soft = malloc((s->n ? s->n : 1) * sizeof *g->soft)))
                st = sb_error_set(err, SB_ERR_NOMEM, "svm train: out of memory");
        } else {
            free(g->X);
            g->X = NULL;
        }
    }
    res->seconds_features = tr_now() - t_feat;
    if (st == SB_OK && filled != nrows)
        st = sb_error_set(err, SB_ERR_INTERNAL, "svm train: %zu of %zu rows filled", filled, nrows);
    const size_t neval = (nval > ntest ? nval : ntest) + 1;
    if (st == SB_OK) {
        score = malloc(neval * sizeof *score);
        lab = malloc(neval);
        if (!score || !lab) st = sb_error_set(err, SB_ERR_NOMEM, "svm train: out of memory");
    }
    /* the C grid, scored on the validation split */
    sb_softness_options so = sb_softness_options_default();
    so.eps = o.eps;
    so.pos_weight = o.pos_weight > 0 ? o.pos_weight : (double)kn / (double)(kp ? kp : 1);
    res->pos_weight = so.pos_weight;
    double best_pr = -INFINITY;
    for (int k = 0; st == SB_OK && k < o.n_grid; k++) {
        so.C = o.C_grid[k];
        if ((st = sb_softness_train(X, y, nrows, F, &so, &cur, err)) != SB_OK) break;
        sb_metrics vm;
        if ((st = st_evaluate(&d, SB_SPLIT_VAL, &cur, score, lab, &vm, err)) != SB_OK) break;
        res->grid_val_pr_auc[k] = nval ? vm.pr_auc : NAN;
        res->grid_val_roc_auc[k] = nval ? vm.roc_auc : NAN;
        res->n_grid = k + 1;
        if (o.progress)
            fprintf(stderr, "C %g: val ROC-AUC %.4f PR-AUC %.4f\n", so.C, res->grid_val_roc_auc[k],
                    res->grid_val_pr_auc[k]);
        const double monitor = nval ? vm.pr_auc : (k == 0 ? 0.0 : -INFINITY);
        if (monitor > best_pr || !best.w) {
            best_pr = monitor;
            sb_softness_free(&best);
            best = cur;
            memset(&cur, 0, sizeof cur);
            res->C = so.C;
            res->val = vm;
        } else {
            sb_softness_free(&cur);
        }
    }
    if (st == SB_OK && ntest) st = st_evaluate(&d, SB_SPLIT_TEST, &best, score, lab, &res->test, err);
    if (st == SB_OK) {
        sb_svm_model m = SB_SVM_MODEL_INIT;
        m.sf = sf;
        m.svm = best;
        st = st_set_meta(&m, ds, &d, res, &o, err);
        if (st == SB_OK) st = sb_svm_model_save(&m, o.model_path, err);
        free(m.meta);
    }
    res->seconds = tr_now() - t_start;
    if (st == SB_OK) {
        char path[SB_PATH_MAX + 32];
        snprintf(path, sizeof path, "%s.metrics.json", o.model_path);
        st = st_write_json(path, ds, &o, &sf, &d, res, err);
    }
    sb_softness_free(&cur);
    sb_softness_free(&best);
    free(rows);
    free(X);
    free(y);
    free(score);
    free(lab);
    st_data_free(&d);
    return st;
}
