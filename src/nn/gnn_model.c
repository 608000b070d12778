/*
 * gnn_model.c: the GNN model = configuration + eleven dense layers + one flat parameter
 * array (layout in shearband/gnn.h), its metadata, and Adam on that flat array.
 *
 * Layer widths follow from the configuration alone (L latent, S species, F edge features):
 *   enc_v1 S->L, enc_v2 L->L, enc_e1 F->L, enc_e2 L->L,
 *   core_e1 6L->L ([e, e0, v_i, v0_i, v_j, v0_j]), core_e2 L->L,
 *   core_v1 3L->L ([v, v0, agg]), core_v2 L->L, dec1 L->L, dec2 L->L, dec3 L->1.
 * With L = 64, S = 2, F = 4: 62,529 parameters. Init is He normal (the usual choice in front
 * of ReLUs) from a splitmix64 stream with Box-Muller, so a seed fixes every weight.
 * Adam is the same algorithm as sb_nn_adam (nn_plan.c); it is repeated here in twenty lines
 * because sb_nn_adam is tied to an sb_nn_model.
 */
#include "nn/gnn_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const layer_names[SB_GNN_NUM_LAYERS] = {
    "enc_v1", "enc_v2", "enc_e1", "enc_e2", "core_e1", "core_e2",
    "core_v1", "core_v2", "dec1", "dec2", "dec3"};

sb_gnn_config sb_gnn_config_default(void)
{
    return (sb_gnn_config){.nspecies = 2, .latent = 64, .steps = 7, .cutoff = 5.0, .edge_length = true, .agg_norm = 30.0};
}

sb_status sb_gnn_config_check(const sb_gnn_config *c, sb_error *err)
{
    if (c->nspecies < 1 || c->nspecies > 64)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "gnn: nspecies %d not in [1, 64]", c->nspecies);
    if (c->latent < 1 || c->latent > 4096)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "gnn: latent width %d not in [1, 4096]", c->latent);
    if (c->steps < 0 || c->steps > 64)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "gnn: message-passing steps %d not in [0, 64]", c->steps);
    if (!(c->cutoff > 0) || !isfinite(c->cutoff) || c->cutoff > 100)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "gnn: cutoff %g A not in (0, 100]", c->cutoff);
    if (!(c->agg_norm > 0) || !isfinite(c->agg_norm))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "gnn: aggregation norm %g must be > 0", c->agg_norm);
    return SB_OK;
}

sb_status sb_gnn_model_create(const sb_gnn_config *c, sb_gnn_model **out, sb_error *err)
{
    *out = NULL;
    sb_status st = sb_gnn_config_check(c, err);
    if (st != SB_OK) return st;
    sb_gnn_model *m = calloc(1, sizeof *m);
    if (!m) return sb_error_set(err, SB_ERR_NOMEM, "gnn model: out of memory");
    m->cfg = *c;
    m->edge_dim = c->edge_length ? 4 : 3;
    const int L = c->latent;
    const int io[SB_GNN_NUM_LAYERS][2] = {{c->nspecies, L}, {L, L}, {m->edge_dim, L}, {L, L}, {6 * L, L}, {L, L},
                                          {3 * L, L},       {L, L}, {L, L},           {L, L}, {L, 1}};
    size_t off = 0;
    for (int i = 0; i < SB_GNN_NUM_LAYERS; i++) {
        m->layer[i] = (gnn_dense){io[i][0], io[i][1], off, off + (size_t)io[i][0] * (size_t)io[i][1]};
        off = m->layer[i].boff + (size_t)io[i][1];
    }
    m->nparams = off;
    m->params = calloc(off, sizeof *m->params);
    if (!m->params) {
        free(m);
        return sb_error_set(err, SB_ERR_NOMEM, "gnn model: out of memory");
    }
    *out = m;
    return SB_OK;
}

void sb_gnn_model_free(sb_gnn_model *m)
{
    if (!m) return;
    sb_bin_meta_free(&m->meta);
    free(m->params);
    free(m);
}

void sb_gnn_model_init(sb_gnn_model *m, uint64_t seed)
{
    uint64_t s = seed ^ 0x6E4E5EEDC0DE1234ULL;
    for (int i = 0; i < SB_GNN_NUM_LAYERS; i++) {
        const gnn_dense *D = &m->layer[i];
        const size_t nw = (size_t)D->in * (size_t)D->out;
        const double sd = sqrt(2.0 / D->in);
        float *w = m->params + D->woff;
        for (size_t j = 0; j < nw; j += 2) {
            double u1 = ((double)(gnn_splitmix64(&s) >> 11) + 1.0) * 0x1.0p-53;
            double u2 = (double)(gnn_splitmix64(&s) >> 11) * 0x1.0p-53;
            double rad = sqrt(-2.0 * log(u1));
            w[j] = (float)(sd * rad * cos(6.283185307179586 * u2));
            if (j + 1 < nw) w[j + 1] = (float)(sd * rad * sin(6.283185307179586 * u2));
        }
        memset(m->params + D->boff, 0, (size_t)D->out * sizeof(float));
    }
}

sb_gnn_config sb_gnn_model_config(const sb_gnn_model *m) { return m->cfg; }
size_t sb_gnn_model_num_params(const sb_gnn_model *m) { return m->nparams; }
float *sb_gnn_model_params(sb_gnn_model *m) { return m->params; }
const float *sb_gnn_model_params_const(const sb_gnn_model *m) { return m->params; }

const char *sb_gnn_model_layer(const sb_gnn_model *m, int i, size_t *offset, int *in, int *out)
{
    if (i < 0 || i >= SB_GNN_NUM_LAYERS) return NULL;
    if (offset) *offset = m->layer[i].woff;
    if (in) *in = m->layer[i].in;
    if (out) *out = m->layer[i].out;
    return layer_names[i];
}

sb_status sb_gnn_model_set_meta(sb_gnn_model *m, const char *key, const char *value, sb_error *err)
{
    return sb_bin_meta_set(&m->meta, key, value, "gnn model", err);
}

const char *sb_gnn_model_get_meta(const sb_gnn_model *m, const char *key) { return sb_bin_meta_get(&m->meta, key); }

int sb_gnn_model_meta_count(const sb_gnn_model *m) { return m->meta.n; }

void sb_gnn_model_meta_at(const sb_gnn_model *m, int i, const char **key, const char **value)
{
    *key = m->meta.kv[i].key;
    *value = m->meta.kv[i].value;
}

/* ---------------------------------------------------------------- Adam */

struct sb_gnn_adam {
    sb_gnn_adam_options opt;
    size_t n;
    long t;
    float *mom, *vel;
};

sb_gnn_adam_options sb_gnn_adam_options_default(void)
{
    return (sb_gnn_adam_options){.lr = 1e-3f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .weight_decay = 0.0f};
}

sb_status sb_gnn_adam_create(const sb_gnn_model *m, const sb_gnn_adam_options *opt, sb_gnn_adam **out,
                             sb_error *err)
{
    *out = NULL;
    sb_gnn_adam_options o = opt ? *opt : sb_gnn_adam_options_default();
    if (!(o.lr > 0) || !(o.beta1 >= 0 && o.beta1 < 1) || !(o.beta2 >= 0 && o.beta2 < 1) || !(o.eps > 0) ||
        !(o.weight_decay >= 0))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "gnn adam: bad options (lr %g, betas %g %g, eps %g, wd %g)",
                            (double)o.lr, (double)o.beta1, (double)o.beta2, (double)o.eps,
                            (double)o.weight_decay);
    sb_gnn_adam *a = calloc(1, sizeof *a);
    if (!a) return sb_error_set(err, SB_ERR_NOMEM, "gnn adam: out of memory");
    a->opt = o;
    a->n = m->nparams;
    a->mom = calloc(a->n, sizeof(float));
    a->vel = calloc(a->n, sizeof(float));
    if (!a->mom || !a->vel) {
        sb_gnn_adam_free(a);
        return sb_error_set(err, SB_ERR_NOMEM, "gnn adam: out of memory");
    }
    *out = a;
    return SB_OK;
}

void sb_gnn_adam_free(sb_gnn_adam *a)
{
    if (!a) return;
    free(a->mom);
    free(a->vel);
    free(a);
}

void sb_gnn_adam_set_lr(sb_gnn_adam *a, float lr) { a->opt.lr = lr; }

void sb_gnn_adam_step(sb_gnn_adam *a, sb_gnn_model *m, const float *g)
{
    const sb_gnn_adam_options o = a->opt;
    a->t++;
    const float bc1 = 1.0f - (float)pow(o.beta1, (double)a->t);
    const float bc2 = 1.0f - (float)pow(o.beta2, (double)a->t);
    const float step = o.lr / bc1, rs2 = 1.0f / sqrtf(bc2);
    float *w = m->params;
    for (size_t i = 0; i < a->n; i++) {
        a->mom[i] = o.beta1 * a->mom[i] + (1.0f - o.beta1) * g[i];
        a->vel[i] = o.beta2 * a->vel[i] + (1.0f - o.beta2) * g[i] * g[i];
        if (o.weight_decay > 0) w[i] -= o.lr * o.weight_decay * w[i];
        w[i] -= step * a->mom[i] / (sqrtf(a->vel[i]) * rs2 + o.eps);
    }
}
