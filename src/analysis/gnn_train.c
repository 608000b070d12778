/*
 * gnn_train.c: full-graph training of the fertile-site GNN on a dataset manifest
 * (API and outputs in shearband/gnn_train.h).
 *
 * Data. Glasses are read once each (a manifest lists each glass for several orientations);
 * every case keeps only its label mask and its rotation. The graph of a case is rebuilt
 * into one reused sb_gnn_graph when the case comes up: the build is O(N) and costs ~1.5 %
 * of a training step, while storing every graph would cost 2.5 MB per case (x 24
 * orientations x 100 glasses). The plan is sized once for the largest graph, found in a
 * first pass over the distinct glasses (the edge count does not depend on the orientation).
 * Checks, as the CNN trainer does: label file fingerprint = glass fingerprint, label
 * orientation = manifest orientation, atom types within the model's species.
 */
#define _POSIX_C_SOURCE 200809L
#include "shearband/gnn_train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/fileutil.h"
#include "shearband/io.h"
#include "shearband/json.h"
#include "shearband/nn.h"
#include "shearband/orientation.h"

#include "analysis/train_internal.h"

sb_gnn_train_options sb_gnn_train_options_default(void)
{
    return (sb_gnn_train_options){.cfg = sb_gnn_config_default(), .epochs = 30, .lr = 1e-3f, .seed = 1,
                                  .threads = 0, .backend = NULL, .pos_weight_auto = true, .pos_weight = 1.0f,
                                  .patience = 5, .model_path = NULL, .progress = false, .argc = 0, .argv = NULL};
}

typedef struct gt_case {
    int glass;
    int R[3][3];
    sb_split split;
    float *y; /* labels, 0/1 per atom */
} gt_case;

typedef struct gt_data {
    tr_glasses glasses;
    gt_case *c;
    int ncase;
    double label_strain, label_f_thres;
} gt_data;

static void gt_data_free(gt_data *d)
{
    for (int i = 0; i < d->ncase; i++) free(d->c[i].y);
    tr_glasses_free(&d->glasses);
    free(d->c);
    memset(d, 0, sizeof *d);
}

static sb_status gt_data_load(const sb_dataset *ds, gt_data *d, sb_error *err)
{
    memset(d, 0, sizeof *d);
    d->c = calloc(ds->n ? ds->n : 1, sizeof *d->c);
    if (!tr_glasses_init(&d->glasses, ds->n) || !d->c)
        return sb_error_set(err, SB_ERR_NOMEM, "gnn train: out of memory");
    sb_status st = SB_OK;
    sb_labels l = SB_LABELS_INIT;
    unsigned char *mask = NULL;
    for (size_t i = 0; st == SB_OK && i < ds->n; i++) {
        const sb_dataset_case *dc = &ds->cases[i];
        int gi;
        if ((st = tr_glass_index(&d->glasses, dc->glass, &gi, err)) != SB_OK) break;
        gt_case *c = &d->c[d->ncase++];
        c->glass = gi;
        c->split = dc->split;
        sb_orientation o;
        if ((st = sb_orientation_get(dc->orientation, &o, err)) != SB_OK) break;
        memcpy(c->R, o.R, sizeof c->R);
        const sb_structure *s = &d->glasses.s[gi];
        free(mask);
        mask = malloc(s->n ? s->n : 1);
        c->y = malloc((s->n ? s->n : 1) * sizeof *c->y);
        if (!mask || !c->y) {
            st = sb_error_set(err, SB_ERR_NOMEM, "gnn train: out of memory");
            break;
        }
        if ((st = tr_case_mask(dc, s, &l, mask, err)) != SB_OK) break;
        if (i == 0) {
            d->label_strain = l.strain;
            d->label_f_thres = l.f_thres;
        }
        for (size_t a = 0; a < s->n; a++) c->y[a] = mask[a] ? 1.0f : 0.0f;
    }
    free(mask);
    sb_labels_free(&l);
    return st;
}

static sb_status gt_graph(const gt_data *d, int ci, const sb_gnn_config *cfg, sb_gnn_graph *g, sb_error *err)
{
    const gt_case *c = &d->c[ci];
    const sb_structure *s = &d->glasses.s[c->glass];
    sb_status st = sb_gnn_graph_build(g, cfg, &s->cell, s->x, s->type, s->n, (const int (*)[3])c->R, err);
    if (st != SB_OK) sb_error_prefix(err, "%s: ", d->glasses.path[c->glass]);
    return st;
}

/* Probabilities of every atom of every case of a split, concatenated, with labels and loss. */
static sb_status gt_evaluate(const gt_data *d, sb_split split, const sb_gnn_config *cfg, sb_gnn_plan *p,
                             sb_gnn_graph *g, float pos_weight, float *prob, unsigned char *lab, sb_metrics *m,
                             double *loss, sb_error *err)
{
    size_t n = 0;
    double lsum = 0;
    memset(m, 0, sizeof *m);
    for (int ci = 0; ci < d->ncase; ci++) {
        if (d->c[ci].split != split) continue;
        sb_status st = gt_graph(d, ci, cfg, g, err);
        if (st != SB_OK) return st;
        if ((st = sb_gnn_predict(p, g, prob + n, err)) != SB_OK) return st;
        for (size_t a = 0; a < g->n; a++) {
            lab[n + a] = d->c[ci].y[a] > 0.5f;
            /* BCE from the probability (clamped): for reporting only */
            const double q = fmin(fmax((double)prob[n + a], 1e-7), 1 - 1e-7);
            lsum += lab[n + a] ? -pos_weight * log(q) : -log(1 - q);
        }
        n += g->n;
    }
    *loss = n ? lsum / (double)n : NAN;
    if (n == 0) return SB_OK;
    return sb_metrics_compute(prob, lab, n, 0.5, m, err);
}

static sb_status gt_write_json(const char *path, const sb_dataset *ds, const sb_gnn_train_options *o,
                               const sb_gnn_config *cfg, const gt_data *d, const sb_gnn_plan *p, float pw,
                               const sb_gnn_train_result *r, sb_error *err)
{
    sb_atomic_file af;
    sb_json j;
    const sb_status st = tr_json_begin(&af, &j, path, "shearband fertile-site gnn training", o->argc, o->argv, ds, d->label_strain, d->label_f_thres, err);
    if (st != SB_OK) return st;
    sb_json_int(&j, "nspecies", cfg->nspecies);
    sb_json_int(&j, "latent", cfg->latent);
    sb_json_int(&j, "steps", cfg->steps);
    sb_json_num(&j, "cutoff_A", cfg->cutoff);
    sb_json_bool(&j, "edge_length", cfg->edge_length);
    sb_json_num(&j, "agg_norm", cfg->agg_norm);
    sb_json_str(&j, "backend", sb_gnn_plan_backend(p));
    sb_json_int(&j, "threads", o->threads);
    sb_json_int(&j, "epochs_max", o->epochs);
    sb_json_num(&j, "lr", o->lr);
    sb_json_int(&j, "seed", (int64_t)o->seed);
    sb_json_num(&j, "pos_weight", pw);
    sb_json_int(&j, "patience", o->patience);
    sb_json_end(&j);
    sb_json_object(&j, "result");
    sb_json_int(&j, "epochs_run", r->epochs_run);
    sb_json_int(&j, "best_epoch", r->best_epoch);
    sb_json_int(&j, "train_positives", (int64_t)r->n_train_pos);
    sb_json_int(&j, "train_negatives", (int64_t)r->n_train_neg);
    sb_json_num(&j, "seconds", r->seconds);
    sb_json_num(&j, "graphs_per_second", r->graphs_per_second);
    sb_json_end(&j);
    return tr_json_finish(&af, &j, &r->val, &r->test, err);
}

static sb_status gt_set_meta(sb_gnn_model *m, const sb_dataset *ds, const gt_data *d, int epoch, uint64_t seed,
                             sb_error *err)
{
    char buf[64];
    sb_status st = sb_gnn_model_set_meta(m, "kind", "fertile-gnn", err);
    if (st == SB_OK) st = sb_gnn_model_set_meta(m, "dataset", ds->path, err);
    snprintf(buf, sizeof buf, "%.17g", d->label_strain);
    if (st == SB_OK) st = sb_gnn_model_set_meta(m, "label_strain", buf, err);
    snprintf(buf, sizeof buf, "%.17g", d->label_f_thres);
    if (st == SB_OK) st = sb_gnn_model_set_meta(m, "label_f_thres", buf, err);
    snprintf(buf, sizeof buf, "%d", epoch);
    if (st == SB_OK) st = sb_gnn_model_set_meta(m, "epoch", buf, err);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)seed);
    if (st == SB_OK) st = sb_gnn_model_set_meta(m, "seed", buf, err);
    return st;
}

sb_status sb_gnn_train(const sb_dataset *ds, const sb_gnn_train_options *opt, sb_gnn_train_result *res,
                       sb_error *err)
{
    memset(res, 0, sizeof *res);
    sb_gnn_train_options o = opt ? *opt : sb_gnn_train_options_default();
    if (!o.model_path) return sb_error_set(err, SB_ERR_INVALID_ARG, "gnn train: no model path");
    if (o.epochs < 1 || !(o.lr > 0) || o.patience < 0 || (!o.pos_weight_auto && !(o.pos_weight > 0)))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "gnn train: bad options (epochs %d, lr %g, patience %d)",
                            o.epochs, (double)o.lr, o.patience);
    const double t_start = tr_now();
    gt_data d;
    sb_status st = gt_data_load(ds, &d, err);
    sb_gnn_config cfg = o.cfg;
    if (st == SB_OK && d.glasses.max_types > cfg.nspecies) cfg.nspecies = d.glasses.max_types;
    if (st == SB_OK) st = sb_gnn_config_check(&cfg, err);
    size_t np = 0, nn = 0, nval = 0, ntest = 0, maxn = 1, maxe = 1, ntrain_cases = 0;
    sb_gnn_graph g = SB_GNN_GRAPH_INIT;
    /* sizes: one graph per distinct glass (the edge count does not depend on R) */
    for (int gi = 0; st == SB_OK && gi < d.glasses.n; gi++) {
        const sb_structure *s = &d.glasses.s[gi];
        st = sb_gnn_graph_build(&g, &cfg, &s->cell, s->x, s->type, s->n, NULL, err);
        if (st != SB_OK) sb_error_prefix(err, "%s: ", d.glasses.path[gi]);
        if (g.n > maxn) maxn = g.n;
        if (g.nedges > maxe) maxe = g.nedges;
    }
    for (int ci = 0; st == SB_OK && ci < d.ncase; ci++) {
        const size_t na = d.glasses.s[d.c[ci].glass].n;
        if (d.c[ci].split == SB_SPLIT_TRAIN) {
            ntrain_cases++;
            for (size_t a = 0; a < na; a++) d.c[ci].y[a] > 0.5f ? np++ : nn++;
        } else if (d.c[ci].split == SB_SPLIT_VAL) nval += na;
        else ntest += na;
    }
    if (st == SB_OK && (np == 0 || nn == 0))
        st = sb_error_set(err, SB_ERR_INVALID_ARG,
                          "gnn train: the training split has %zu positive and %zu negative atoms: need both", np, nn);
    const float pw = o.pos_weight_auto && np > 0 ? (float)((double)nn / (double)np) : o.pos_weight;
    sb_gnn_model *m = NULL, *best = NULL;
    sb_gnn_plan *p = NULL;
    sb_gnn_adam *adam = NULL;
    float *prob = NULL;
    unsigned char *lab = NULL;
    int *order = NULL;
    FILE *log = NULL;
    char path[SB_PATH_MAX + 32];
    if (st == SB_OK) st = sb_gnn_model_create(&cfg, &m, err);
    if (st == SB_OK) st = sb_gnn_model_create(&cfg, &best, err);
    sb_gnn_plan_options po = sb_gnn_plan_options_default();
    po.backend = o.backend;
    po.threads = o.threads;
    if (st == SB_OK) {
        sb_gnn_model_init(m, o.seed);
        st = sb_gnn_plan_create(m, maxn, maxe, &po, &p, err);
    }
    sb_gnn_adam_options ao = sb_gnn_adam_options_default();
    ao.lr = o.lr;
    if (st == SB_OK) st = sb_gnn_adam_create(m, &ao, &adam, err);
    const size_t neval = (nval > ntest ? nval : ntest) + 1;
    if (st == SB_OK) {
        prob = malloc(neval * sizeof *prob);
        lab = malloc(neval);
        order = malloc((ntrain_cases + 1) * sizeof *order);
        if (!prob || !lab || !order) st = sb_error_set(err, SB_ERR_NOMEM, "gnn train: out of memory");
    }
    if (st == SB_OK) {
        snprintf(path, sizeof path, "%s.log.csv", o.model_path);
        log = fopen(path, "w");
        if (!log) st = sb_error_set(err, SB_ERR_IO, "%s: cannot write the training log", path);
        else fprintf(log, "epoch,train_loss,val_loss,val_roc_auc,val_pr_auc,seconds\n");
    }
    res->n_train_pos = np;
    res->n_train_neg = nn;
    res->best_val_pr_auc = -INFINITY;
    int since_best = 0;
    double train_time = 0;
    size_t steps_done = 0;
    for (int e = 0; st == SB_OK && e < o.epochs; e++) {
        const double t0 = tr_now();
        int k = 0;
        for (int ci = 0; ci < d.ncase; ci++)
            if (d.c[ci].split == SB_SPLIT_TRAIN) order[k++] = ci;
        uint64_t rs = o.seed * 0x9E3779B97F4A7C15ULL ^ (uint64_t)(e + 1);
        for (int i = k - 1; i > 0; i--) {
            const int j = (int)(tr_splitmix(&rs) % (uint64_t)(i + 1));
            const int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        double lsum = 0;
        for (int i = 0; st == SB_OK && i < k; i++) {
            double l = 0;
            st = gt_graph(&d, order[i], &cfg, &g, err);
            if (st == SB_OK) st = sb_gnn_train_step(p, adam, &g, d.c[order[i]].y, NULL, pw, &l, err);
            lsum += l;
        }
        if (st != SB_OK) break;
        steps_done += (size_t)k;
        train_time += tr_now() - t0;
        double vloss = NAN;
        sb_metrics vm;
        memset(&vm, 0, sizeof vm);
        if (nval > 0) st = gt_evaluate(&d, SB_SPLIT_VAL, &cfg, p, &g, pw, prob, lab, &vm, &vloss, err);
        if (st != SB_OK) break;
        const double monitor = nval > 0 ? vm.pr_auc : -lsum / k; /* no val split: training loss */
        res->epochs_run = e + 1;
        fprintf(log, "%d,%.6g,%.6g,%.6g,%.6g,%.3f\n", e + 1, lsum / k, vloss, vm.roc_auc, vm.pr_auc, tr_now() - t0);
        fflush(log);
        if (o.progress)
            fprintf(stderr, "epoch %d: train loss %.4f, val loss %.4f, val ROC-AUC %.4f, PR-AUC %.4f (%.1f s)\n", e + 1,
                    lsum / k, vloss, vm.roc_auc, vm.pr_auc, tr_now() - t0);
        if (monitor > res->best_val_pr_auc) {
            res->best_val_pr_auc = monitor;
            res->best_epoch = e + 1;
            res->val = vm;
            memcpy(sb_gnn_model_params(best), sb_gnn_model_params(m), sb_gnn_model_num_params(m) * sizeof(float));
            st = gt_set_meta(best, ds, &d, e + 1, o.seed, err);
            if (st == SB_OK) st = sb_gnn_model_save(best, o.model_path, err);
            since_best = 0;
        } else if (o.patience > 0 && ++since_best >= o.patience) {
            break;
        }
    }
    if (log) fclose(log);
    if (st == SB_OK && ntest > 0) {
        /* test with the best weights */
        memcpy(sb_gnn_model_params(m), sb_gnn_model_params(best), sb_gnn_model_num_params(m) * sizeof(float));
        double tl;
        st = gt_evaluate(&d, SB_SPLIT_TEST, &cfg, p, &g, pw, prob, lab, &res->test, &tl, err);
    }
    res->seconds = tr_now() - t_start;
    res->graphs_per_second = train_time > 0 ? (double)steps_done / train_time : 0;
    if (st == SB_OK) {
        snprintf(path, sizeof path, "%s.metrics.json", o.model_path);
        st = gt_write_json(path, ds, &o, &cfg, &d, p, pw, res, err);
    }
    free(prob);
    free(lab);
    free(order);
    sb_gnn_adam_free(adam);
    sb_gnn_plan_free(p);
    sb_gnn_model_free(m);
    sb_gnn_model_free(best);
    sb_gnn_graph_free(&g);
    gt_data_free(&d);
    return st;
}

sb_status sb_gnn_fertile_predict(sb_gnn_model *m, const sb_structure *s, int orientation,
                                 const sb_gnn_plan_options *opt, float *prob, sb_error *err)
{
    sb_orientation o;
    sb_status st = sb_orientation_get(orientation, &o, err);
    if (st != SB_OK) return st;
    const sb_gnn_config cfg = sb_gnn_model_config(m);
    sb_gnn_graph g = SB_GNN_GRAPH_INIT;
    sb_gnn_plan *p = NULL;
    st = sb_gnn_graph_build(&g, &cfg, &s->cell, s->x, s->type, s->n, (const int (*)[3])o.R, err);
    if (st == SB_OK) st = sb_gnn_plan_create(m, g.n ? g.n : 1, g.nedges, opt, &p, err);
    if (st == SB_OK) st = sb_gnn_predict(p, &g, prob, err);
    sb_gnn_plan_free(p);
    sb_gnn_graph_free(&g);
    return st;
}
