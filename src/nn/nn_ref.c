/*
 * nn_ref.c: the reference backend. Plain loops over plain NCDHW buffers, one function per
 * layer and direction, written to be read and checked rather than to be fast: it is the
 * oracle the tests compare the oneDNN backend against, and it is itself checked against
 * central finite differences.
 *
 * Storage: act[l] holds layer l's output for the whole batch, dact[l] the gradient of the
 * loss with respect to it. 2D is the D = 1 case of the 3D loops (kernel depth 1, pool
 * depth 1), so a single code path serves both spatial-density-map variants.
 * Convolution and dense sums accumulate in double so that the oracle is more precise than
 * what it checks. Single-threaded on purpose: its result must not depend on threads.
 */
#include "nn/nn_internal.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

typedef struct ref_state {
    float **act, **dact;
    int **argmax; /* pool layers: flat input index of each output's maximum */
} ref_state;

static void ref_destroy(sb_nn_plan *p)
{
    ref_state *r = p->impl;
    if (!r) return;
    for (int l = 0; l < p->model->nlayers; l++) {
        if (r->act) free(r->act[l]);
        if (r->dact) free(r->dact[l]);
        if (r->argmax) free(r->argmax[l]);
    }
    free(r->act);
    free(r->dact);
    free(r->argmax);
    free(r);
    p->impl = NULL;
}

static sb_status ref_init(sb_nn_plan *p, sb_error *err)
{
    const sb_nn_model *m = p->model;
    ref_state *r = calloc(1, sizeof *r);
    if (!r) return sb_error_set(err, SB_ERR_NOMEM, "out of memory");
    p->impl = r;
    int L = m->nlayers;
    bool ok = (r->act = calloc((size_t)L, sizeof *r->act)) && (r->dact = calloc((size_t)L, sizeof *r->dact)) &&
              (r->argmax = calloc((size_t)L, sizeof *r->argmax));
    for (int l = 0; ok && l < L; l++) {
        size_t cnt = (size_t)p->batch * m->layers[l].out_size;
        ok = (r->act[l] = calloc(cnt, sizeof(float))) && (r->dact[l] = calloc(cnt, sizeof(float)));
        if (ok && m->layers[l].spec.kind == SB_NN_MAXPOOL) ok = (r->argmax[l] = calloc(cnt, sizeof(int))) != NULL;
    }
    if (!ok) {
        ref_destroy(p);
        return sb_error_set(err, SB_ERR_NOMEM, "out of memory for batch %d", p->batch);
    }
    return SB_OK;
}

/* ---------------------------------------------------------------- convolution */

static void conv_forward(const nn_layer *L, int batch, const float *x, const float *w,
                         const float *b, float *y)
{
    const int C = L->in.c, D = L->in.d, H = L->in.h, W = L->in.w, O = L->out.c;
    const int k = L->spec.kernel, kd = L->kdepth;
    const int pd = kd / 2, ph = k / 2, pw = k / 2;
    for (int n = 0; n < batch; n++)
        for (int o = 0; o < O; o++)
            for (int z = 0; z < D; z++)
                for (int yy = 0; yy < H; yy++)
                    for (int xx = 0; xx < W; xx++) {
                        double s = b[o];
                        for (int c = 0; c < C; c++)
                            for (int dz = 0; dz < kd; dz++) {
                                int iz = z + dz - pd;
                                if (iz < 0 || iz >= D) continue;
                                for (int dy = 0; dy < k; dy++) {
                                    int iy = yy + dy - ph;
                                    if (iy < 0 || iy >= H) continue;
                                    for (int dx = 0; dx < k; dx++) {
                                        int ix = xx + dx - pw;
                                        if (ix < 0 || ix >= W) continue;
                                        s += (double)w[(((size_t)o * C + c) * kd + dz) * k * k + dy * k + dx] *
                                             x[((((size_t)n * C + c) * D + iz) * H + iy) * W + ix];
                                    }
                                }
                            }
                        y[((((size_t)n * O + o) * D + z) * H + yy) * W + xx] = (float)s;
                    }
}

/* Accumulates dW, db; overwrites dx (if not NULL). */
static void conv_backward(const nn_layer *L, int batch, const float *x, const float *w,
                          const float *dy, float *dw, float *db, float *dx)
{
    const int C = L->in.c, D = L->in.d, H = L->in.h, W = L->in.w, O = L->out.c;
    const int k = L->spec.kernel, kd = L->kdepth;
    const int pd = kd / 2, ph = k / 2, pw = k / 2;
    if (dx) memset(dx, 0, (size_t)batch * L->in_size * sizeof(float));
    for (int n = 0; n < batch; n++)
        for (int o = 0; o < O; o++)
            for (int z = 0; z < D; z++)
                for (int yy = 0; yy < H; yy++)
                    for (int xx = 0; xx < W; xx++) {
                        float g = dy[((((size_t)n * O + o) * D + z) * H + yy) * W + xx];
                        db[o] += g;
                        for (int c = 0; c < C; c++)
                            for (int dz = 0; dz < kd; dz++) {
                                int iz = z + dz - pd;
                                if (iz < 0 || iz >= D) continue;
                                for (int ddy = 0; ddy < k; ddy++) {
                                    int iy = yy + ddy - ph;
                                    if (iy < 0 || iy >= H) continue;
                                    for (int ddx = 0; ddx < k; ddx++) {
                                        int ix = xx + ddx - pw;
                                        if (ix < 0 || ix >= W) continue;
                                        size_t wi = (((size_t)o * C + c) * kd + dz) * k * k + ddy * k + ddx;
                                        size_t xi = ((((size_t)n * C + c) * D + iz) * H + iy) * W + ix;
                                        dw[wi] += g * x[xi];
                                        if (dx) dx[xi] += g * w[wi];
                                    }
                                }
                            }
                    }
}

/* ---------------------------------------------------------------- max-pool */

static void pool_forward(const nn_layer *L, int batch, const float *x, float *y, int *arg)
{
    const int C = L->in.c, D = L->in.d, H = L->in.h, W = L->in.w;
    const int OD = L->out.d, OH = L->out.h, OW = L->out.w;
    const int wd = L->kdepth;
    for (int n = 0; n < batch; n++)
        for (int c = 0; c < C; c++)
            for (int z = 0; z < OD; z++)
                for (int yy = 0; yy < OH; yy++)
                    for (int xx = 0; xx < OW; xx++) {
                        float best = -FLT_MAX;
                        int bi = -1;
                        for (int dz = 0; dz < wd; dz++)
                            for (int dy = 0; dy < 2; dy++)
                                for (int dx = 0; dx < 2; dx++) {
                                    int i = ((c * D + z * wd + dz) * H + yy * 2 + dy) * W + xx * 2 + dx;
                                    float v = x[(size_t)n * L->in_size + (size_t)i];
                                    if (bi < 0 || v > best) {
                                        best = v;
                                        bi = i;
                                    }
                                }
                        size_t o = (size_t)n * L->out_size + (((size_t)c * OD + z) * OH + yy) * OW + xx;
                        y[o] = best;
                        arg[o] = bi;
                    }
}

static void pool_backward(const nn_layer *L, int batch, const float *dy, const int *arg, float *dx)
{
    memset(dx, 0, (size_t)batch * L->in_size * sizeof(float));
    for (int n = 0; n < batch; n++)
        for (size_t o = 0; o < L->out_size; o++)
            dx[(size_t)n * L->in_size + (size_t)arg[(size_t)n * L->out_size + o]] +=
                dy[(size_t)n * L->out_size + o];
}

/* ---------------------------------------------------------------- dense */

static void dense_forward(const nn_layer *L, int batch, const float *x, const float *w,
                          const float *b, float *y)
{
    const size_t I = L->in_size, O = L->out_size;
    for (int n = 0; n < batch; n++)
        for (size_t o = 0; o < O; o++) {
            double s = b[o];
            for (size_t i = 0; i < I; i++) s += (double)w[o * I + i] * x[(size_t)n * I + i];
            y[(size_t)n * O + o] = (float)s;
        }
}

static void dense_backward(const nn_layer *L, int batch, const float *x, const float *w,
                           const float *dy, float *dw, float *db, float *dx)
{
    const size_t I = L->in_size, O = L->out_size;
    for (int n = 0; n < batch; n++)
        for (size_t o = 0; o < O; o++) {
            float g = dy[(size_t)n * O + o];
            db[o] += g;
            for (size_t i = 0; i < I; i++) dw[o * I + i] += g * x[(size_t)n * I + i];
        }
    if (!dx) return;
    for (int n = 0; n < batch; n++)
        for (size_t i = 0; i < I; i++) {
            double s = 0;
            for (size_t o = 0; o < O; o++) s += (double)w[o * I + i] * dy[(size_t)n * O + o];
            dx[(size_t)n * I + i] = (float)s;
        }
}

/* ---------------------------------------------------------------- average-pool */

/* Input offsets (within one sample) of the 2 x 2 (x 2) window of output o, max-pool's
 * windows; returns their count. The last row of an odd size is in no window. */
static int pool_window(const nn_layer *L, size_t o, size_t idx[8])
{
    const int D = L->in.d, H = L->in.h, W = L->in.w;
    const int OD = L->out.d, OH = L->out.h, OW = L->out.w, wd = L->kdepth;
    const int xx = (int)(o % (size_t)OW), yy = (int)(o / (size_t)OW % (size_t)OH);
    const int z = (int)(o / ((size_t)OW * (size_t)OH) % (size_t)OD);
    const int c = (int)(o / ((size_t)OW * (size_t)OH * (size_t)OD));
    int k = 0;
    for (int dz = 0; dz < wd; dz++)
        for (int dy = 0; dy < 2; dy++)
            for (int dx = 0; dx < 2; dx++)
                idx[k++] = (size_t)(((c * D + z * wd + dz) * H + yy * 2 + dy) * W + xx * 2 + dx);
    return k;
}

static void avgpool_forward(const nn_layer *L, int batch, const float *x, float *y)
{
    size_t idx[8];
    for (int n = 0; n < batch; n++) {
        const float *xn = x + (size_t)n * L->in_size;
        for (size_t o = 0; o < L->out_size; o++) {
            const int k = pool_window(L, o, idx);
            double sum = 0.0;
            for (int j = 0; j < k; j++) sum += xn[idx[j]];
            y[(size_t)n * L->out_size + o] = (float)(sum / k);
        }
    }
}

static void avgpool_backward(const nn_layer *L, int batch, const float *dy, float *dx)
{
    size_t idx[8];
    memset(dx, 0, (size_t)batch * L->in_size * sizeof(float));
    for (int n = 0; n < batch; n++) {
        float *dxn = dx + (size_t)n * L->in_size;
        for (size_t o = 0; o < L->out_size; o++) {
            const int k = pool_window(L, o, idx);
            const float g = dy[(size_t)n * L->out_size + o] / (float)k;
            for (int j = 0; j < k; j++) dxn[idx[j]] += g;
        }
    }
}

/* ---------------------------------------------------------------- driver */

static sb_status ref_forward(sb_nn_plan *p, bool training, sb_error *err)
{
    (void)err;
    ref_state *r = p->impl;
    const sb_nn_model *m = p->model;
    const int B = p->batch;
    for (int l = 0; l < m->nlayers; l++) {
        const nn_layer *L = &m->layers[l];
        const float *x = l == 0 ? p->x : r->act[l - 1];
        float *y = r->act[l];
        const float *w = m->params + L->woff, *b = m->params + L->boff;
        size_t cnt = (size_t)B * L->out_size;
        switch (L->spec.kind) {
        case SB_NN_CONV: conv_forward(L, B, x, w, b, y); break;
        case SB_NN_MAXPOOL: pool_forward(L, B, x, y, r->argmax[l]); break;
        case SB_NN_AVGPOOL: avgpool_forward(L, B, x, y); break;
        case SB_NN_DENSE: dense_forward(L, B, x, w, b, y); break;
        case SB_NN_RELU:
            for (size_t i = 0; i < cnt; i++) y[i] = x[i] > 0 ? x[i] : 0.0f;
            break;
        case SB_NN_DROPOUT:
            if (training)
                for (size_t i = 0; i < cnt; i++) y[i] = x[i] * p->masks[l][i];
            else
                memcpy(y, x, cnt * sizeof(float));
            break;
        case SB_NN_FLATTEN: memcpy(y, x, cnt * sizeof(float)); break;
        }
    }
    memcpy(p->logits, r->act[m->nlayers - 1], (size_t)B * sizeof(float));
    return SB_OK;
}

static sb_status ref_backward(sb_nn_plan *p, sb_error *err)
{
    (void)err;
    ref_state *r = p->impl;
    const sb_nn_model *m = p->model;
    const int B = p->batch;
    memset(p->grads, 0, m->nparams * sizeof(float));
    memcpy(r->dact[m->nlayers - 1], p->dlogits, (size_t)B * sizeof(float));
    for (int l = m->nlayers - 1; l >= 0; l--) {
        const nn_layer *L = &m->layers[l];
        const float *x = l == 0 ? p->x : r->act[l - 1];
        const float *dy = r->dact[l];
        float *dx = l == 0 ? p->dx : r->dact[l - 1]; /* NULL: input gradient not wanted */
        const float *w = m->params + L->woff;
        float *dw = p->grads + L->woff, *db = p->grads + L->boff;
        size_t cnt = (size_t)B * L->out_size;
        switch (L->spec.kind) {
        case SB_NN_CONV: conv_backward(L, B, x, w, dy, dw, db, dx); break;
        case SB_NN_DENSE: dense_backward(L, B, x, w, dy, dw, db, dx); break;
        case SB_NN_MAXPOOL:
            if (dx) pool_backward(L, B, dy, r->argmax[l], dx);
            break;
        case SB_NN_AVGPOOL:
            if (dx) avgpool_backward(L, B, dy, dx);
            break;
        case SB_NN_RELU:
            if (dx)
                for (size_t i = 0; i < cnt; i++) dx[i] = x[i] > 0 ? dy[i] : 0.0f;
            break;
        case SB_NN_DROPOUT:
            if (dx)
                for (size_t i = 0; i < cnt; i++) dx[i] = dy[i] * p->masks[l][i];
            break;
        case SB_NN_FLATTEN:
            if (dx) memcpy(dx, dy, cnt * sizeof(float));
            break;
        }
    }
    return SB_OK;
}

static const char *ref_impl(const sb_nn_plan *p, int layer)
{
    (void)p;
    (void)layer;
    return "reference";
}

const nn_backend sb_nn_backend_reference = {
    .name = "reference",
    .init = ref_init,
    .destroy = ref_destroy,
    .forward = ref_forward,
    .backward = ref_backward,
    .impl = ref_impl,
};
