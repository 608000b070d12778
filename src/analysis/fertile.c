/*
 * The fertile-site CNN: training loop and inference (shearband/fertile.h).
 *
 * Data flow of one training batch: pick B examples (case, atom) from the epoch's list,
 * sort them by case (so each case's glass builder computes its atoms in one threaded
 * call), draw the B maps straight into the network's input buffer, then one Adam step.
 * Only one batch of maps exists at any time. Memory: the glasses, their SDM builders and
 * one label mask per case.
 *
 * Randomness is keyed by (seed, epoch) -- splitmix64 of seed ^ epoch * golden ratio -- for
 * the negative draw and the shuffle, and the plan's dropout seed is derived the same way
 * (the plan is rebuilt each epoch). Hence an epoch depends only on the weights and Adam
 * moments at its start, which the checkpoint stores: resuming repeats the uninterrupted
 * run exactly (for a given backend and thread count).
 *
 * Checkpoint MODEL.ckpt (binary, little-endian host order, written atomically):
 *   "SBTRCKP1" | u32 version 1 | u32 epochs done | u32 best epoch | u32 bad epochs |
 *   f64 best monitor | i64 adam t | u64 nparams | u32 len + architecture text |
 *   u32 len + SDM text | f32 params[np] | f32 mom[np] | f32 vel[np] | f32 best[np] |
 *   u64 FNV-1a checksum of everything before it.
 * Resume refuses a checkpoint whose architecture or SDM text differs from the options.
 */
#define _POSIX_C_SOURCE 200809L
#include "shearband/fertile.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/fileutil.h"
#include "shearband/io.h"
#include "shearband/json.h"
#include "shearband/orientation.h"
#include "shearband/plot.h"

#include "analysis/train_internal.h"
#include "core/binfile.h"

#ifdef _OPENMP
#include <omp.h>
#endif

int sb_fertile_threads(int requested)
{
    if (requested > 0) return requested;
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

const char *sb_fertile_default_arch(sb_sdm_kind kind)
{
    if (kind == SB_SDM_GRID3D) return "conv8k3,relu,pool,conv16k3,relu,pool,dense32,relu,dense1";
    return "conv16k3,relu,pool,conv32k3,relu,pool,conv32k3,relu,pool,dense64,relu,dense1";
}

sb_sdm_params sb_fertile_default_sdm(sb_sdm_kind kind)
{
    sb_sdm_params p = sb_sdm_params_default();
    p.kind = kind;
    p.grid = kind == SB_SDM_GRID3D ? 16 : 32;
    return p;
}

sb_train_options sb_train_options_default(void)
{
    sb_train_options o;
    memset(&o, 0, sizeof o);
    /* grid3d and soft targets: chosen on the real labels (docs/fertile.md, "Soft targets"):
     * the 3D grid beat both projections, and 0/1 labels left the CNN at chance */
    o.sdm = sb_fertile_default_sdm(SB_SDM_GRID3D);
    o.soft_tau = 0.25;
    o.epochs = 30;
    o.batch = 64;
    o.lr = 1e-3f;
    o.seed = 1;
    o.neg_per_pos = 3;
    o.augment = true;
    o.pos_weight_auto = true;
    o.pos_weight = 1;
    o.patience = 5;
    o.figure = true;
    return o;
}

sb_fertile_options sb_fertile_options_default(void)
{
    return (sb_fertile_options){.backend = NULL, .threads = 0, .batch = 256};
}

/* ---- SDM parameters in model metadata ------------------------------------------------- */

static void ft_sdm_text(const sb_sdm_params *p, char *buf, size_t sz)
{
    snprintf(buf, sz, "%s h=%.17g G=%d sigma=%.17g species=%d", sb_sdm_kind_name(p->kind),
             p->half_width, p->grid, p->sigma, p->nspecies);
}

static sb_status ft_set_meta_sdm(sb_nn_model *m, const sb_sdm_params *p, sb_error *err)
{
    char v[64];
    sb_status st = sb_nn_model_set_meta(m, "kind", "shearband fertile-site cnn", err);
    if (!st) st = sb_nn_model_set_meta(m, "sdm.kind", sb_sdm_kind_name(p->kind), err);
    snprintf(v, sizeof v, "%.17g", p->half_width);
    if (!st) st = sb_nn_model_set_meta(m, "sdm.half_width", v, err);
    snprintf(v, sizeof v, "%d", p->grid);
    if (!st) st = sb_nn_model_set_meta(m, "sdm.grid", v, err);
    snprintf(v, sizeof v, "%.17g", p->sigma);
    if (!st) st = sb_nn_model_set_meta(m, "sdm.sigma", v, err);
    snprintf(v, sizeof v, "%d", p->nspecies);
    if (!st) st = sb_nn_model_set_meta(m, "sdm.nspecies", v, err);
    return st;
}

sb_status sb_fertile_load(const char *path, sb_nn_model **model, sb_sdm_params *sdm, sb_error *err)
{
    sb_nn_model *m = NULL;
    sb_status st = sb_nn_model_load(path, &m, err);
    if (st != SB_OK) return st;
    const char *kind = sb_nn_model_get_meta(m, "sdm.kind"), *h = sb_nn_model_get_meta(m, "sdm.half_width");
    const char *g = sb_nn_model_get_meta(m, "sdm.grid"), *s = sb_nn_model_get_meta(m, "sdm.sigma");
    const char *ns = sb_nn_model_get_meta(m, "sdm.nspecies");
    sb_sdm_params p = sb_sdm_params_default();
    char *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL;
    if (!kind || !h || !g || !s || !ns || sb_sdm_kind_from_name(kind) < 0)
        st = sb_error_set(err, SB_ERR_FORMAT,
                          "%s: a network model but not a fertile-site model: its metadata lack the "
                          "spatial-density-map parameters (sdm.kind, sdm.half_width, sdm.grid, "
                          "sdm.sigma, sdm.nspecies)", path);
    if (st == SB_OK) {
        p.kind = (sb_sdm_kind)sb_sdm_kind_from_name(kind);
        p.half_width = strtod(h, &e1);
        p.grid = (int)strtol(g, &e2, 10);
        p.sigma = strtod(s, &e3);
        p.nspecies = (int)strtol(ns, &e4, 10);
        if (*e1 || *e2 || *e3 || *e4 || sb_sdm_params_check(&p, err) != SB_OK)
            st = sb_error_set(err, SB_ERR_FORMAT, "%s: bad SDM parameters in the model metadata", path);
    }
    if (st == SB_OK) {
        int c, dims[3];
        sb_sdm_shape(&p, &c, dims);
        const sb_nn_shape in = sb_nn_model_input_shape(m);
        /* sdm dims: [X][Y][Z] for 3D, rows x cols for 2D; the network sees C x D x H x W */
        const int d = p.kind == SB_SDM_GRID3D ? dims[0] : 1;
        if (in.c != c || in.d != d || in.h * in.w * in.d != dims[0] * dims[1] * dims[2])
            st = sb_error_set(err, SB_ERR_FORMAT,
                              "%s: the network input (%dx%dx%dx%d) does not match its SDM (%d channels, "
                              "%dx%dx%d)", path, in.c, in.d, in.h, in.w, c, dims[0], dims[1], dims[2]);
    }
    if (st != SB_OK) {
        sb_nn_model_free(m);
        return st;
    }
    *model = m;
    *sdm = p;
    return SB_OK;
}

static sb_nn_shape ft_input_shape(const sb_sdm_params *p)
{
    int c, dims[3];
    sb_sdm_shape(p, &c, dims);
    if (p->kind == SB_SDM_GRID3D) return (sb_nn_shape){c, dims[0], dims[1], dims[2]};
    return (sb_nn_shape){c, 1, dims[1], dims[0]};
}

/* ---- inference ---------------------------------------------------------------------- */

sb_status sb_fertile_predict(sb_nn_model *model, const sb_sdm_params *sdm, const sb_structure *s,
                             sb_sdm_builder *builder, int orientation,
                             const sb_fertile_options *opt, float *prob, sb_error *err)
{
    const sb_fertile_options o = opt ? *opt : sb_fertile_options_default();
    sb_orientation ori;
    sb_status st = sb_orientation_get(orientation, &ori, err);
    if (st != SB_OK) return st;
    if (o.batch < 1) return sb_error_set(err, SB_ERR_INVALID_ARG, "batch %d < 1", o.batch);
    sb_sdm_builder *own = NULL;
    if (!builder) {
        if ((st = sb_sdm_builder_create(&own, s, sdm, err)) != SB_OK) return st;
        builder = own;
    }
    sb_nn_plan_options po = sb_nn_plan_options_default();
    po.backend = o.backend;
    po.threads = o.threads;
    sb_nn_plan *plan = NULL;
    const size_t msz = sb_sdm_map_size(sdm);
    float *x = malloc((size_t)o.batch * msz * sizeof *x);
    size_t *atoms = malloc((size_t)o.batch * sizeof *atoms);
    if (!x || !atoms) st = sb_error_set(err, SB_ERR_NOMEM, "fertile: out of memory for a batch of maps");
    if (st == SB_OK) st = sb_nn_plan_create(model, o.batch, &po, &plan, err);
    for (size_t i0 = 0; st == SB_OK && i0 < s->n; i0 += (size_t)o.batch) {
        const size_t nb = s->n - i0 < (size_t)o.batch ? s->n - i0 : (size_t)o.batch;
        for (size_t k = 0; k < nb; k++) atoms[k] = i0 + k;
        st = sb_sdm_compute(builder, atoms, nb, ori.R, x, err);
        if (st == SB_OK) st = sb_nn_predict(plan, x, (int)nb, prob + i0, err);
    }
    sb_nn_plan_free(plan);
    free(x);
    free(atoms);
    sb_sdm_builder_free(own);
    return st;
}

/* Fine-tuning: m (just created) takes the weights of the model at path, which must read
 * the same maps (SDM text) through the same layers; anything else is refused by name. */
static sb_status ft_init_from(sb_nn_model *m, const char *path, const char *sdmtxt, sb_error *err)
{
    sb_nn_model *im = NULL;
    sb_sdm_params isdm;
    sb_status st = sb_fertile_load(path, &im, &isdm, err);
    if (st != SB_OK) return sb_error_prefix(err, "--init-model: ");
    char itxt[160], a[512], b[512];
    ft_sdm_text(&isdm, itxt, sizeof itxt);
    if (strcmp(itxt, sdmtxt) != 0) {
        st = sb_error_set(err, SB_ERR_INVALID_ARG, "--init-model %s: its maps (%s) are not these (%s)", path, itxt,
                          sdmtxt);
    } else if ((st = sb_nn_model_describe(im, a, sizeof a, err)) == SB_OK &&
               (st = sb_nn_model_describe(m, b, sizeof b, err)) == SB_OK && strcmp(a, b) != 0) {
        st = sb_error_set(err, SB_ERR_INVALID_ARG, "--init-model %s: architecture %s, not %s", path, a, b);
    }
    if (st == SB_OK)
        memcpy(sb_nn_model_params(m), sb_nn_model_params(im), sb_nn_model_num_params(m) * sizeof(float));
    sb_nn_model_free(im);
    return st;
}

/* ---- training ----------------------------------------------------------------------- */

typedef struct ft_glass { /* per glass, indexed as ft_data.glasses */
    sb_sdm_builder *b;
} ft_glass;

typedef struct ft_case {
    int glass;
    int R[3][3];
    unsigned char *mask;
    float *target; /* soft training targets (soft_tau > 0), else NULL: the mask */
    sb_split split;
} ft_case;

typedef struct ft_example {
    uint32_t c, atom;
    unsigned sym; /* symmetry of the loading applied to the map (sb_sdm_symmetry), 0 = none */
    int rot;      /* frame of the map: -1 = the case's loading, else a cube rotation 0-23 */
} ft_example;

typedef struct ft_data {
    tr_glasses glasses;
    int ncase;
    ft_glass *g;
    ft_case *c;
    ft_example *pos, *neg; /* training examples */
    size_t npos, nneg;
    double label_strain, label_f_thres; /* of the first case (recorded in the model) */
    bool mixed_labels;                  /* cases labelled with different parameters */
} ft_data;

static void ft_data_free(ft_data *d)
{
    for (int i = 0; i < d->glasses.n; i++) sb_sdm_builder_free(d->g[i].b);
    for (int i = 0; i < d->ncase; i++) {
        free(d->c[i].mask);
        free(d->c[i].target);
    }
    tr_glasses_free(&d->glasses);
    free(d->g);
    free(d->c);
    free(d->pos);
    free(d->neg);
    memset(d, 0, sizeof *d);
}

static sb_status ft_data_load(const sb_dataset *ds, const sb_sdm_params *sdm, double soft_tau, ft_data *d,
                              sb_error *err)
{
    memset(d, 0, sizeof *d);
    d->g = calloc(ds->n, sizeof *d->g);
    d->c = calloc(ds->n, sizeof *d->c);
    if (!tr_glasses_init(&d->glasses, ds->n) || !d->g || !d->c)
        return sb_error_set(err, SB_ERR_NOMEM, "out of memory");
    sb_status st = SB_OK;
    sb_labels l = SB_LABELS_INIT;
    for (size_t i = 0; st == SB_OK && i < ds->n; i++) {
        const sb_dataset_case *dc = &ds->cases[i];
        const int known = d->glasses.n;
        int gi;
        if ((st = tr_glass_index(&d->glasses, dc->glass, &gi, err)) != SB_OK) break;
        const sb_structure *s = &d->glasses.s[gi];
        if (gi == known) { /* first met: it must fit the SDM's channels; then its builder */
            if (s->ntypes > sdm->nspecies) {
                st = sb_error_set(err, SB_ERR_INVALID_ARG, "%s has %d atom types, the SDM %d channels",
                                  dc->glass, s->ntypes, sdm->nspecies);
                break;
            }
            if ((st = sb_sdm_builder_create(&d->g[gi].b, s, sdm, err)) != SB_OK) break;
        }
        ft_case *c = &d->c[d->ncase++];
        c->glass = gi;
        c->split = dc->split;
        sb_orientation o;
        if ((st = sb_orientation_get(dc->orientation, &o, err)) != SB_OK) break;
        memcpy(c->R, o.R, sizeof c->R);
        if (!(c->mask = malloc(s->n))) {
            st = sb_error_set(err, SB_ERR_NOMEM, "out of memory");
            break;
        }
        if ((st = tr_case_mask(dc, s, &l, c->mask, err)) != SB_OK) break;
        if (i == 0) {
            d->label_strain = l.strain;
            d->label_f_thres = l.f_thres;
        } else if (l.strain != d->label_strain || l.f_thres != d->label_f_thres) {
            d->mixed_labels = true;
        }
        if (soft_tau > 0 && c->split == SB_SPLIT_TRAIN) {
            if (!(c->target = malloc(s->n * sizeof *c->target))) {
                st = sb_error_set(err, SB_ERR_NOMEM, "out of memory");
                break;
            }
            if ((st = sb_labels_targets(&l, s, soft_tau, c->target, err)) != SB_OK) {
                sb_error_prefix(err, "%s: ", dc->labels);
                break;
            }
        }
    }
    sb_labels_free(&l);
    if (st != SB_OK) return st;
    size_t np = 0, nn = 0;
    for (int i = 0; i < d->ncase; i++)
        if (d->c[i].split == SB_SPLIT_TRAIN)
            for (size_t a = 0; a < d->glasses.s[d->c[i].glass].n; a++) d->c[i].mask[a] ? np++ : nn++;
    if (np == 0 || nn == 0)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "the training split has %zu positive and %zu negative "
                            "atoms: need both", np, nn);
    d->pos = malloc(np * sizeof *d->pos);
    d->neg = malloc(nn * sizeof *d->neg);
    if (!d->pos || !d->neg) return sb_error_set(err, SB_ERR_NOMEM, "out of memory");
    for (int i = 0; i < d->ncase; i++)
        if (d->c[i].split == SB_SPLIT_TRAIN)
            for (size_t a = 0; a < d->glasses.s[d->c[i].glass].n; a++) {
                const ft_example e = {(uint32_t)i, (uint32_t)a, 0, -1};
                if (d->c[i].mask[a]) d->pos[d->npos++] = e;
                else d->neg[d->nneg++] = e;
            }
    return SB_OK;
}

static int cmp_example(const void *a, const void *b)
{
    const ft_example *x = a, *y = b;
    if (x->c != y->c) return (x->c > y->c) - (x->c < y->c);
    if (x->rot != y->rot) return (x->rot > y->rot) - (x->rot < y->rot);
    return (x->atom > y->atom) - (x->atom < y->atom);
}

/* Maps and labels of examples ex[0..n-1] (sorted by case in place) into x and y. */
static sb_status ft_batch_maps(ft_data *d, const sb_sdm_params *sdm, ft_example *ex, size_t n, size_t *atoms,
                               float *x, float *y, size_t msz, sb_error *err)
{
    qsort(ex, n, sizeof *ex, cmp_example);
    for (size_t k0 = 0; k0 < n;) {
        size_t k1 = k0;
        while (k1 < n && ex[k1].c == ex[k0].c && ex[k1].rot == ex[k0].rot) {
            atoms[k1 - k0] = ex[k1].atom;
            const ft_case *ck = &d->c[ex[k1].c];
            y[k1] = ck->target ? ck->target[ex[k1].atom] : ck->mask[ex[k1].atom];
            k1++;
        }
        ft_case *c = &d->c[ex[k0].c];
        sb_orientation o; /* the frame of the map: the case's loading or an augmenting rotation */
        sb_status st = ex[k0].rot >= 0 ? sb_orientation_get(ex[k0].rot, &o, err) : SB_OK;
        const int(*R)[3] = ex[k0].rot >= 0 ? (const int(*)[3])o.R : (const int(*)[3])c->R;
        if (st == SB_OK) st = sb_sdm_compute(d->g[c->glass].b, atoms, k1 - k0, R, x + k0 * msz, err);
        if (st != SB_OK) return st;
        for (size_t k = k0; k < k1; k++)
            if (ex[k].sym) sb_sdm_symmetry(sdm, x + k * msz, ex[k].sym);
        k0 = k1;
    }
    return SB_OK;
}

/* Predictions for every atom of every case of one split: prob/label arrays (caller frees).
 * *loss: mean BCE with pos_weight 1 (the natural-base-rate loss). */
static sb_status ft_evaluate(ft_data *d, sb_split split, sb_nn_plan *plan, float *x,
                             size_t *atoms, float **prob_out, unsigned char **lab_out, size_t *n_out,
                             double *loss, sb_error *err)
{
    size_t n = 0;
    for (int i = 0; i < d->ncase; i++)
        if (d->c[i].split == split) n += d->glasses.s[d->c[i].glass].n;
    *n_out = n;
    *prob_out = NULL;
    *lab_out = NULL;
    *loss = NAN;
    if (n == 0) return SB_OK;
    float *prob = malloc(n * sizeof *prob);
    unsigned char *lab = malloc(n);
    if (!prob || !lab) {
        free(prob), free(lab);
        return sb_error_set(err, SB_ERR_NOMEM, "out of memory for %zu evaluation atoms", n);
    }
    const int B = sb_nn_plan_batch(plan);
    size_t k = 0;
    double lsum = 0;
    sb_status st = SB_OK;
    for (int i = 0; st == SB_OK && i < d->ncase; i++) {
        if (d->c[i].split != split) continue;
        const size_t na = d->glasses.s[d->c[i].glass].n;
        for (size_t a0 = 0; st == SB_OK && a0 < na; a0 += (size_t)B) {
            const size_t nb = na - a0 < (size_t)B ? na - a0 : (size_t)B;
            for (size_t j = 0; j < nb; j++) atoms[j] = a0 + j;
            st = sb_sdm_compute(d->g[d->c[i].glass].b, atoms, nb, (const int(*)[3])d->c[i].R, x, err);
            if (st == SB_OK) st = sb_nn_predict(plan, x, (int)nb, prob + k, err);
            for (size_t j = 0; st == SB_OK && j < nb; j++) {
                lab[k + j] = d->c[i].mask[a0 + j];
                const double p = fmin(fmax((double)prob[k + j], 1e-7), 1 - 1e-7);
                lsum -= lab[k + j] ? log(p) : log(1 - p);
            }
            k += nb;
        }
    }
    if (st != SB_OK) {
        free(prob), free(lab);
        return st;
    }
    *loss = lsum / (double)n;
    *prob_out = prob;
    *lab_out = lab;
    return SB_OK;
}

/* ---- checkpoint --------------------------------------------------------------------- */

typedef struct ft_ckpt {
    uint32_t epochs_done, best_epoch, bad_epochs;
    double best_monitor;
} ft_ckpt;

typedef struct ft_writer {
    FILE *fp;
    uint64_t h;
} ft_writer;

static void ft_put(ft_writer *w, const void *p, size_t n)
{
    fwrite(p, 1, n, w->fp);
    w->h = sb_fnv1a64_update(w->h, p, n);
}

static sb_status ft_ckpt_save(const char *path, const ft_ckpt *c, sb_nn_model *m, sb_nn_adam *a,
                              const float *best, const char *arch, const char *sdmtxt, sb_error *err)
{
    sb_atomic_file af;
    sb_status st = sb_atomic_open(&af, path, err);
    if (st != SB_OK) return st;
    ft_writer w = {af.fp, SB_FNV1A64_BASIS};
    long *t;
    float *mom, *vel;
    sb_nn_adam_state(a, &t, &mom, &vel);
    const uint32_t ver = 1, la = (uint32_t)strlen(arch), ls = (uint32_t)strlen(sdmtxt);
    const int64_t tt = *t;
    const uint64_t np = sb_nn_model_num_params(m);
    ft_put(&w, "SBTRCKP1", 8);
    ft_put(&w, &ver, 4);
    ft_put(&w, &c->epochs_done, 4);
    ft_put(&w, &c->best_epoch, 4);
    ft_put(&w, &c->bad_epochs, 4);
    ft_put(&w, &c->best_monitor, 8);
    ft_put(&w, &tt, 8);
    ft_put(&w, &np, 8);
    ft_put(&w, &la, 4);
    ft_put(&w, arch, la);
    ft_put(&w, &ls, 4);
    ft_put(&w, sdmtxt, ls);
    ft_put(&w, sb_nn_model_params(m), np * 4);
    ft_put(&w, mom, np * 4);
    ft_put(&w, vel, np * 4);
    ft_put(&w, best, np * 4);
    fwrite(&w.h, 8, 1, af.fp);
    return sb_atomic_commit(&af, err);
}

static sb_status ft_ckpt_load(const char *path, ft_ckpt *c, sb_nn_model *m, sb_nn_adam *a, float *best,
                              const char *arch, const char *sdmtxt, sb_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return sb_error_set(err, SB_ERR_IO, "--resume: cannot open %s: %s", path, strerror(errno));
    fseek(fp, 0, SEEK_END);
    const long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *buf = len > 16 ? malloc((size_t)len) : NULL;
    const bool ok = buf && fread(buf, 1, (size_t)len, fp) == (size_t)len;
    fclose(fp);
    if (!ok) {
        free(buf);
        return sb_error_set(err, SB_ERR_FORMAT, "%s: not a training checkpoint (too short)", path);
    }
    uint64_t h;
    memcpy(&h, buf + len - 8, 8);
    sb_status st = SB_OK;
    if (memcmp(buf, "SBTRCKP1", 8) != 0)
        st = sb_error_set(err, SB_ERR_FORMAT, "%s: not a shearband training checkpoint", path);
    else if (sb_fnv1a64(buf, (size_t)len - 8) != h)
        st = sb_error_set(err, SB_ERR_CHECKSUM, "%s: checksum mismatch (corrupted checkpoint)", path);
    size_t off = 12;
    uint32_t la = 0, ls = 0;
    int64_t tt = 0;
    uint64_t np = 0;
    if (st == SB_OK) {
        memcpy(&c->epochs_done, buf + off, 4), off += 4;
        memcpy(&c->best_epoch, buf + off, 4), off += 4;
        memcpy(&c->bad_epochs, buf + off, 4), off += 4;
        memcpy(&c->best_monitor, buf + off, 8), off += 8;
        memcpy(&tt, buf + off, 8), off += 8;
        memcpy(&np, buf + off, 8), off += 8;
        memcpy(&la, buf + off, 4), off += 4;
        if (la != strlen(arch) || memcmp(buf + off, arch, la) != 0)
            st = sb_error_set(err, SB_ERR_INVALID_ARG, "%s: checkpoint of another architecture "
                              "(resume with the same --arch)", path);
        off += la;
    }
    if (st == SB_OK) {
        memcpy(&ls, buf + off, 4), off += 4;
        if (ls != strlen(sdmtxt) || memcmp(buf + off, sdmtxt, ls) != 0)
            st = sb_error_set(err, SB_ERR_INVALID_ARG, "%s: checkpoint with other SDM parameters", path);
        off += ls;
    }
    if (st == SB_OK && (np != sb_nn_model_num_params(m) || off + 16 * np + 8 != (size_t)len))
        st = sb_error_set(err, SB_ERR_FORMAT, "%s: parameter count does not match the model", path);
    if (st == SB_OK) {
        long *t;
        float *mom, *vel;
        sb_nn_adam_state(a, &t, &mom, &vel);
        *t = (long)tt;
        memcpy(sb_nn_model_params(m), buf + off, np * 4), off += np * 4;
        memcpy(mom, buf + off, np * 4), off += np * 4;
        memcpy(vel, buf + off, np * 4), off += np * 4;
        memcpy(best, buf + off, np * 4);
    }
    free(buf);
    return st;
}

/* ---- the loop ----------------------------------------------------------------------- */

typedef struct ft_history {
    size_t n, cap;
    double *train_loss, *val_loss, *val_auc;
} ft_history;

static void ft_history_push(ft_history *h, double tl, double vl, double va)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 64;
        h->train_loss = realloc(h->train_loss, h->cap * sizeof(double));
        h->val_loss = realloc(h->val_loss, h->cap * sizeof(double));
        h->val_auc = realloc(h->val_auc, h->cap * sizeof(double));
    }
    if (!h->train_loss || !h->val_loss || !h->val_auc) return;
    h->train_loss[h->n] = tl, h->val_loss[h->n] = vl, h->val_auc[h->n] = va;
    h->n++;
}

/* Re-read the CSV log (resume): rows up to `epochs`. */
static void ft_history_read(const char *path, int epochs, ft_history *h)
{
    FILE *fp = fopen(path, "r");
    if (!fp) return;
    char line[512];
    while (fgets(line, sizeof line, fp)) {
        int e;
        double tl, vl, va, vp;
        if (sscanf(line, "%d,%lf,%lf,%lf,%lf", &e, &tl, &vl, &va, &vp) == 5 && e <= epochs &&
            (size_t)e == h->n + 1)
            ft_history_push(h, tl, vl, va);
    }
    fclose(fp);
}

static sb_status ft_write_log(const char *path, const ft_history *h, const double *vpr, const double *sec,
                              const double *mps, sb_error *err)
{
    sb_atomic_file af;
    sb_status st = sb_atomic_open(&af, path, err);
    if (st != SB_OK) return st;
    fprintf(af.fp, "epoch,train_loss,val_loss,val_roc_auc,val_pr_auc,seconds,maps_per_second\n");
    for (size_t e = 0; e < h->n; e++)
        fprintf(af.fp, "%zu,%.8g,%.8g,%.8g,%.8g,%.4g,%.6g\n", e + 1, h->train_loss[e], h->val_loss[e],
                h->val_auc[e], vpr[e], sec[e], mps[e]);
    return sb_atomic_commit(&af, err);
}

static sb_status ft_write_json(const char *path, const sb_dataset *ds, const sb_train_options *o,
                               const char *arch, const sb_nn_plan *plan, const sb_train_result *r,
                               float pos_weight, double label_strain, double label_f_thres,
                               sb_error *err)
{
    sb_atomic_file af;
    sb_json j;
    const sb_status st = tr_json_begin(&af, &j, path, "shearband fertile-site cnn training", o->argc, o->argv, ds, label_strain, label_f_thres, err);
    if (st != SB_OK) return st;
    sb_json_str(&j, "sdm_kind", sb_sdm_kind_name(o->sdm.kind));
    sb_json_num(&j, "sdm_half_width_A", o->sdm.half_width);
    sb_json_int(&j, "sdm_grid", o->sdm.grid);
    sb_json_num(&j, "sdm_sigma_A", o->sdm.sigma);
    sb_json_int(&j, "sdm_nspecies", o->sdm.nspecies);
    sb_json_str(&j, "architecture", arch);
    sb_json_str(&j, "backend", sb_nn_plan_backend(plan));
    sb_json_int(&j, "threads", sb_fertile_threads(o->threads));
    sb_json_int(&j, "epochs_max", o->epochs);
    sb_json_int(&j, "batch", o->batch);
    sb_json_num(&j, "lr", o->lr);
    sb_json_int(&j, "seed", (int64_t)o->seed);
    sb_json_num(&j, "neg_per_pos", o->neg_per_pos);
    sb_json_num(&j, "soft_label_tau", o->soft_tau);
    sb_json_str(&j, "augment", o->augment ? "random symmetry of simple shear per map (half turn about Z, mirror Z)" : "none");
    sb_json_bool(&j, "augment_rotations", o->augment_rotations);
    if (o->init_model) sb_json_str(&j, "init_model", o->init_model);
    sb_json_num(&j, "pos_weight", pos_weight);
    sb_json_bool(&j, "pos_weight_auto", o->pos_weight_auto);
    sb_json_int(&j, "patience", o->patience);
    sb_json_str(&j, "monitor", o->monitor_loss ? "val_loss" : "val_pr_auc");
    sb_json_end(&j);
    sb_json_object(&j, "result");
    sb_json_int(&j, "epochs_run", r->epochs_run);
    sb_json_int(&j, "best_epoch", r->best_epoch);
    sb_json_num(&j, "best_monitor", r->best_monitor);
    sb_json_int(&j, "train_positives", (int64_t)r->n_train_pos);
    sb_json_int(&j, "train_negatives", (int64_t)r->n_train_neg);
    sb_json_num(&j, "seconds_this_run", r->seconds);
    sb_json_num(&j, "train_maps_per_second", r->maps_per_second);
    sb_json_end(&j);
    return tr_json_finish(&af, &j, &r->val, &r->test, err);
}

sb_status sb_fertile_train(const sb_dataset *ds, const sb_train_options *opt, sb_train_result *res,
                           sb_error *err)
{
    const sb_train_options o = *opt;
    memset(res, 0, sizeof *res);
    if (!o.model_path) return sb_error_set(err, SB_ERR_INVALID_ARG, "train: an output model path is required");
    if (o.epochs < 1 || o.batch < 1 || !(o.lr > 0) || o.neg_per_pos < 0 || o.patience < 0 ||
        !(o.soft_tau >= 0))
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "train: epochs, batch >= 1, lr > 0, neg-per-pos >= 0, patience >= 0, "
                            "soft-labels >= 0");
    sb_status st = sb_sdm_params_check(&o.sdm, err);
    if (st != SB_OK) return st;
    const char *arch = o.arch ? o.arch : sb_fertile_default_arch(o.sdm.kind);
    char path_log[SB_PATH_MAX + 16], path_json[SB_PATH_MAX + 16], path_ckpt[SB_PATH_MAX + 16],
        path_fig[SB_PATH_MAX + 16], sdmtxt[160];
    snprintf(path_log, sizeof path_log, "%s.log.csv", o.model_path);
    snprintf(path_json, sizeof path_json, "%s.metrics.json", o.model_path);
    snprintf(path_ckpt, sizeof path_ckpt, "%s.ckpt", o.model_path);
    snprintf(path_fig, sizeof path_fig, "%s.curve", o.model_path);
    ft_sdm_text(&o.sdm, sdmtxt, sizeof sdmtxt);

    const double t0 = tr_now();
    ft_data d;
    sb_nn_model *m = NULL;
    sb_nn_adam *adam = NULL;
    sb_nn_plan *plan = NULL;
    const size_t msz = sb_sdm_map_size(&o.sdm);
    float *x = NULL, *y = NULL, *best = NULL, *prob = NULL;
    unsigned char *lab = NULL;
    size_t *atoms = NULL;
    ft_example *epoch_ex = NULL;
    ft_history hist = {0};
    double *hist_pr = NULL, *hist_sec = NULL, *hist_mps = NULL;
    st = ft_data_load(ds, &o.sdm, o.soft_tau, &d, err);
    if (st == SB_OK) st = sb_nn_model_create_from_string(ft_input_shape(&o.sdm), arch, &m, err);
    if (st == SB_OK) {
        sb_nn_model_init(m, o.seed);
        st = ft_set_meta_sdm(m, &o.sdm, err);
    }
    if (st == SB_OK && o.init_model) st = ft_init_from(m, o.init_model, sdmtxt, err);
    if (st == SB_OK) {
        char v[64];
        snprintf(v, sizeof v, "%" PRIu64, o.seed);
        st = sb_nn_model_set_meta(m, "train.dataset", ds->path, err);
        if (!st) st = sb_nn_model_set_meta(m, "train.seed", v, err);
        if (!st) st = sb_nn_model_set_meta(m, "train.tool", "shearband train", err);
        snprintf(v, sizeof v, "%.10g", d.label_strain);
        if (!st) st = sb_nn_model_set_meta(m, "train.label_strain", d.mixed_labels ? "mixed" : v, err);
        snprintf(v, sizeof v, "%.10g", d.label_f_thres);
        if (!st) st = sb_nn_model_set_meta(m, "train.label_f_thres", d.mixed_labels ? "mixed" : v, err);
        if (!st) st = sb_nn_model_set_meta(m, "train.architecture", arch, err);
        if (!st) st = sb_nn_model_set_meta(m, "train.augment_rotations", o.augment_rotations ? "true" : "false", err);
        if (!st && o.init_model) st = sb_nn_model_set_meta(m, "train.init_model", o.init_model, err);
        snprintf(v, sizeof v, "%.10g", o.soft_tau);
        if (!st) st = sb_nn_model_set_meta(m, "train.soft_tau", v, err);
    }
    sb_nn_adam_options ao = sb_nn_adam_options_default();
    ao.lr = o.lr;
    if (st == SB_OK) st = sb_nn_adam_create(m, &ao, &adam, err);
    const size_t np = m ? sb_nn_model_num_params(m) : 0;
    const size_t nneg_epoch =
        st == SB_OK ? (o.neg_per_pos > 0 ? (size_t)fmin((double)d.nneg, ceil(o.neg_per_pos * (double)d.npos))
                                         : d.nneg)
                    : 0;
    const size_t nex = d.npos + nneg_epoch;
    if (st == SB_OK) {
        x = malloc((size_t)o.batch * msz * sizeof *x);
        y = malloc((size_t)o.batch * sizeof *y);
        atoms = malloc((size_t)o.batch * sizeof *atoms);
        best = malloc(np * sizeof *best);
        epoch_ex = malloc(nex * sizeof *epoch_ex);
        hist_pr = calloc((size_t)o.epochs + 1, sizeof *hist_pr);
        hist_sec = calloc((size_t)o.epochs + 1, sizeof *hist_sec);
        hist_mps = calloc((size_t)o.epochs + 1, sizeof *hist_mps);
        if (!x || !y || !atoms || !best || !epoch_ex || !hist_pr || !hist_sec || !hist_mps)
            st = sb_error_set(err, SB_ERR_NOMEM, "train: out of memory");
    }
    const float pos_weight = o.pos_weight_auto ? (float)((double)nneg_epoch / (double)d.npos) : o.pos_weight;
    res->n_train_pos = d.npos;
    res->n_train_neg = d.nneg;
    ft_ckpt ck = {0, 0, 0, o.monitor_loss ? INFINITY : -INFINITY};
    if (st == SB_OK) memcpy(best, sb_nn_model_params(m), np * sizeof *best);
    if (st == SB_OK && o.resume) {
        st = ft_ckpt_load(path_ckpt, &ck, m, adam, best, arch, sdmtxt, err);
        if (st == SB_OK) {
            ft_history_read(path_log, (int)ck.epochs_done, &hist);
            /* the other columns come back from the CSV too */
            FILE *fp = fopen(path_log, "r");
            char line[512];
            while (fp && fgets(line, sizeof line, fp)) {
                int e;
                double a, b, c2, pr, sec, mps;
                if (sscanf(line, "%d,%lf,%lf,%lf,%lf,%lf,%lf", &e, &a, &b, &c2, &pr, &sec, &mps) == 7 &&
                    e >= 1 && e <= o.epochs && e <= (int)ck.epochs_done)
                    hist_pr[e - 1] = pr, hist_sec[e - 1] = sec, hist_mps[e - 1] = mps;
            }
            if (fp) fclose(fp);
            if (hist.n != ck.epochs_done)
                st = sb_error_set(err, SB_ERR_FORMAT, "%s: %zu epochs logged, checkpoint after %u",
                                  path_log, hist.n, ck.epochs_done);
        }
    }
    size_t maps_done = 0;
    double train_seconds = 0;
    bool stop = o.patience > 0 && ck.bad_epochs >= (uint32_t)o.patience;
    for (int epoch = (int)ck.epochs_done + 1; st == SB_OK && epoch <= o.epochs && !stop; epoch++) {
        const double te = tr_now();
        uint64_t rs = o.seed ^ ((uint64_t)epoch * 0x9e3779b97f4a7c15ULL);
        tr_splitmix(&rs);
        /* negatives: partial Fisher-Yates on a fresh copy of the canonical order */
        memcpy(epoch_ex, d.pos, d.npos * sizeof *epoch_ex);
        if (nneg_epoch == d.nneg) {
            memcpy(epoch_ex + d.npos, d.neg, d.nneg * sizeof *epoch_ex);
        } else {
            /* Floyd's algorithm would avoid the copy; the copy is O(N) per epoch, negligible
             * against computing N maps */
            ft_example *tmp = malloc(d.nneg * sizeof *tmp);
            if (!tmp) {
                st = sb_error_set(err, SB_ERR_NOMEM, "train: out of memory");
                break;
            }
            memcpy(tmp, d.neg, d.nneg * sizeof *tmp);
            for (size_t i = 0; i < nneg_epoch; i++) {
                const size_t j = i + (size_t)(tr_splitmix(&rs) % (d.nneg - i));
                const ft_example t = tmp[i];
                tmp[i] = tmp[j];
                tmp[j] = t;
            }
            memcpy(epoch_ex + d.npos, tmp, nneg_epoch * sizeof *tmp);
            free(tmp);
        }
        for (size_t i = nex; i > 1; i--) {
            const size_t j = (size_t)(tr_splitmix(&rs) % i);
            const ft_example t = epoch_ex[i - 1];
            epoch_ex[i - 1] = epoch_ex[j];
            epoch_ex[j] = t;
        }
        /* The loading's symmetries leave the labels unchanged: a random one per map and
         * epoch shows the network four equivalent views of each neighbourhood. */
        for (size_t i = 0; i < nex; i++) epoch_ex[i].sym = o.augment ? (unsigned)(tr_splitmix(&rs) & 3u) : 0u;
        /* Orientation-blind training: the map in a random cube frame, the labels of the
         * case's loading, so only what the structure does under every loading is learnt. */
        if (o.augment_rotations)
            for (size_t i = 0; i < nex; i++) epoch_ex[i].rot = (int)(tr_splitmix(&rs) % SB_NUM_ORIENTATIONS);
        sb_nn_plan_free(plan);
        plan = NULL;
        sb_nn_plan_options po = sb_nn_plan_options_default();
        po.backend = o.backend;
        po.threads = o.threads;
        po.seed = tr_splitmix(&rs);
        if ((st = sb_nn_plan_create(m, o.batch, &po, &plan, err)) != SB_OK) break;
        double lsum = 0;
        for (size_t b0 = 0; st == SB_OK && b0 < nex; b0 += (size_t)o.batch) {
            const size_t nb = nex - b0 < (size_t)o.batch ? nex - b0 : (size_t)o.batch;
            st = ft_batch_maps(&d, &o.sdm, epoch_ex + b0, nb, atoms, x, y, msz, err);
            double loss = 0;
            if (st == SB_OK) st = sb_nn_train_step(plan, adam, x, y, (int)nb, pos_weight, &loss, err);
            lsum += loss * (double)nb;
        }
        if (st != SB_OK) break;
        const double ttrain = tr_now() - te;
        train_seconds += ttrain;
        maps_done += nex;
        /* validation: all atoms of the val cases */
        size_t nv = 0;
        double vloss = NAN;
        sb_metrics vm = {0};
        vm.roc_auc = vm.pr_auc = NAN;
        free(prob), free(lab);
        prob = NULL, lab = NULL;
        st = ft_evaluate(&d, SB_SPLIT_VAL, plan, x, atoms, &prob, &lab, &nv, &vloss, err);
        if (st == SB_OK && nv) st = sb_metrics_compute(prob, lab, nv, 0.5, &vm, err);
        if (st != SB_OK) break;
        const double tl = lsum / (double)nex;
        ft_history_push(&hist, tl, vloss, vm.roc_auc);
        hist_pr[epoch - 1] = vm.pr_auc;
        hist_sec[epoch - 1] = tr_now() - te;
        hist_mps[epoch - 1] = (double)nex / ttrain;
        /* without a validation split, the training loss is monitored */
        const double mon = nv ? (o.monitor_loss ? vloss : vm.pr_auc) : tl;
        const bool lower = o.monitor_loss || !nv;
        const bool improved = isfinite(mon) && (lower ? mon < ck.best_monitor : mon > ck.best_monitor);
        if (improved || ck.best_epoch == 0) {
            ck.best_monitor = isfinite(mon) ? mon : ck.best_monitor;
            ck.best_epoch = (uint32_t)epoch;
            ck.bad_epochs = 0;
            memcpy(best, sb_nn_model_params(m), np * sizeof *best);
        } else {
            ck.bad_epochs++;
        }
        ck.epochs_done = (uint32_t)epoch;
        if (o.progress)
            fprintf(stderr, "epoch %3d/%d  loss %.4f  val loss %.4f  ROC-AUC %.4f  PR-AUC %.4f  %.1f s  %.0f maps/s%s\n",
                    epoch, o.epochs, tl, vloss, vm.roc_auc, vm.pr_auc, hist_sec[epoch - 1],
                    hist_mps[epoch - 1], improved ? "  *" : "");
        st = ft_write_log(path_log, &hist, hist_pr, hist_sec, hist_mps, err);
        /* the best model so far is the output: write it as soon as it changes */
        if (st == SB_OK && ck.best_epoch == (uint32_t)epoch) st = sb_nn_model_save(m, o.model_path, err);
        if (st == SB_OK) st = ft_ckpt_save(path_ckpt, &ck, m, adam, best, arch, sdmtxt, err);
        if (o.patience > 0 && ck.bad_epochs >= (uint32_t)o.patience) stop = true;
    }
    /* final: the best weights, evaluated on val and test */
    if (st == SB_OK) {
        memcpy(sb_nn_model_params(m), best, np * sizeof *best);
        if (!plan) {
            sb_nn_plan_options po = sb_nn_plan_options_default();
            po.backend = o.backend;
            po.threads = o.threads;
            st = sb_nn_plan_create(m, o.batch, &po, &plan, err);
        }
        if (st == SB_OK && !sb_file_exists(o.model_path)) st = sb_nn_model_save(m, o.model_path, err);
    }
    for (int s = SB_SPLIT_VAL; st == SB_OK && s <= SB_SPLIT_TEST; s++) {
        size_t n = 0;
        double loss;
        free(prob), free(lab);
        prob = NULL, lab = NULL;
        sb_metrics *mm = s == SB_SPLIT_VAL ? &res->val : &res->test;
        mm->roc_auc = mm->pr_auc = mm->precision = mm->recall = mm->f1 = mm->accuracy = mm->base_rate = NAN;
        st = ft_evaluate(&d, (sb_split)s, plan, x, atoms, &prob, &lab, &n, &loss, err);
        if (st == SB_OK && n) st = sb_metrics_compute(prob, lab, n, 0.5, mm, err);
    }
    res->epochs_run = (int)ck.epochs_done;
    res->best_epoch = (int)ck.best_epoch;
    res->best_monitor = ck.best_monitor;
    res->seconds = tr_now() - t0;
    res->maps_per_second = train_seconds > 0 ? (double)maps_done / train_seconds : NAN;
    if (st == SB_OK) st = ft_write_json(path_json, ds, &o, arch, plan, res, pos_weight,
                                        d.mixed_labels ? NAN : d.label_strain,
                                        d.mixed_labels ? NAN : d.label_f_thres, err);
    if (st == SB_OK && o.figure && hist.n > 0) {
        sb_figure *fig = NULL;
        sb_figure_options fo = sb_figure_options_default();
        fo.title = "fertile-site CNN";
        sb_error ferr;
        /* a figure is a convenience: a missing gnuplot must not fail the training */
        if (sb_figure_learning_curve(&fig, hist.n, hist.train_loss, hist.val_loss, hist.val_auc, &fo,
                                     &ferr) == SB_OK)
            sb_plot_render(fig, path_fig, &ferr);
        sb_figure_free(fig);
    }
    free(hist.train_loss), free(hist.val_loss), free(hist.val_auc);
    free(hist_pr), free(hist_sec), free(hist_mps);
    free(prob), free(lab), free(x), free(y), free(atoms), free(best), free(epoch_ex);
    sb_nn_plan_free(plan);
    sb_nn_adam_free(adam);
    sb_nn_model_free(m);
    ft_data_free(&d);
    return st;
}

/* ---- survey source ------------------------------------------------------------------ */

typedef struct ft_survey_ctx {
    sb_nn_model *model;
    sb_sdm_params sdm;
    sb_fertile_options opt;
    sb_sdm_builder *builder;
    size_t glass_index; /* of the builder; SIZE_MAX: none */
    float *prob;
    size_t cap;
} ft_survey_ctx;

static sb_status ft_survey_values(void *ctx, size_t glass_index, const sb_structure *glass,
                                  const sb_structure *loaded, int orientation, double *out, sb_error *err)
{
    (void)loaded; /* the maps are drawn from the glass through R_K: the same frame */
    ft_survey_ctx *c = ctx;
    if (glass->ntypes > c->sdm.nspecies)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "cnn indicator: the glass has %d atom types, the "
                            "model knows %d species", glass->ntypes, c->sdm.nspecies);
    if (!c->builder || c->glass_index != glass_index) {
        sb_sdm_builder_free(c->builder);
        c->builder = NULL;
        sb_status st = sb_sdm_builder_create(&c->builder, glass, &c->sdm, err);
        if (st != SB_OK) return st;
        c->glass_index = glass_index;
    }
    if (c->cap < glass->n) {
        float *p = realloc(c->prob, glass->n * sizeof *p);
        if (!p) return sb_error_set(err, SB_ERR_NOMEM, "cnn indicator: out of memory");
        c->prob = p;
        c->cap = glass->n;
    }
    sb_status st = sb_fertile_predict(c->model, &c->sdm, glass, c->builder, orientation, &c->opt, c->prob, err);
    if (st != SB_OK) return st;
    for (size_t i = 0; i < glass->n; i++) out[i] = c->prob[i];
    return SB_OK;
}

sb_status sb_fertile_survey_source(const char *model_path, const sb_fertile_options *opt,
                                   sb_indicator_source *src, sb_error *err)
{
    memset(src, 0, sizeof *src);
    ft_survey_ctx *c = calloc(1, sizeof *c);
    if (!c) return sb_error_set(err, SB_ERR_NOMEM, "cnn indicator: out of memory");
    c->opt = opt ? *opt : sb_fertile_options_default();
    c->glass_index = SIZE_MAX;
    sb_status st = sb_fertile_load(model_path, &c->model, &c->sdm, err);
    if (st != SB_OK) {
        free(c);
        return st;
    }
    src->info = sb_indicator_lookup("cnn");
    src->values = ft_survey_values;
    src->ctx = c;
    return SB_OK;
}

void sb_fertile_survey_free(sb_indicator_source *src)
{
    if (!src || !src->ctx) return;
    ft_survey_ctx *c = src->ctx;
    sb_sdm_builder_free(c->builder);
    sb_nn_model_free(c->model);
    free(c->prob);
    free(c);
    src->ctx = NULL;
}
