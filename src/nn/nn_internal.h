/*
 * nn_internal.h: the model and plan structs shared by the nn sources, and the backend
 * table. A backend is a small set of function pointers (ggml style): it builds its state
 * for a plan once, then runs forward and backward on the plan's plain buffers without
 * allocating. The reference backend (nn_ref.c) is always built and is the test oracle.
 */
#ifndef SB_NN_INTERNAL_H
#define SB_NN_INTERNAL_H

#include "core/binfile.h"
#include "shearband/nn.h"

typedef struct nn_layer {
    sb_nn_layer_spec spec;
    sb_nn_shape in, out; /* shapes of one sample */
    size_t in_size, out_size;
    size_t woff, wcount; /* weights in the flat parameter array */
    size_t boff, bcount; /* bias */
    int fan_in;
    int kdepth; /* conv kernel depth, pool window depth: 1 in 2D */
} nn_layer;

struct sb_nn_model {
    sb_nn_shape input;
    int nlayers;
    nn_layer *layers;
    int spatial_dims; /* 2 if input.d == 1, else 3 */
    size_t nparams;
    float *params;
    sb_bin_meta meta;
};

struct sb_nn_plan;

typedef struct nn_backend {
    const char *name;
    /* Build backend state in p->impl; may fail with SB_ERR_UNSUPPORTED. */
    sb_status (*init)(struct sb_nn_plan *p, sb_error *err);
    void (*destroy)(struct sb_nn_plan *p);
    /* Input: p->x (plain, batch rows, zero-padded beyond p->n). Output: p->logits[batch]. */
    sb_status (*forward)(struct sb_nn_plan *p, bool training, sb_error *err);
    /* Input: p->dlogits[batch]. Output: p->grads (flat), p->dx if p->opt.need_input_grad. */
    sb_status (*backward)(struct sb_nn_plan *p, sb_error *err);
    const char *(*impl)(const struct sb_nn_plan *p, int layer);
} nn_backend;

struct sb_nn_plan {
    sb_nn_model *model;
    const nn_backend *be;
    sb_nn_plan_options opt;
    int batch, n;       /* capacity and rows of the last forward */
    bool trained_fwd;   /* last forward was a training forward */
    uint64_t step;      /* training forwards so far (dropout stream) */
    float *x;           /* [batch * in_size] plain input */
    float *logits;      /* [batch] */
    float *dlogits;     /* [batch] */
    float *grads;       /* [nparams] */
    float *dx;          /* [batch * in_size] or NULL */
    float **masks;      /* per layer: dropout mask [batch * out_size] or NULL */
    void *impl;         /* backend state */
};

extern const nn_backend sb_nn_backend_reference;
#ifdef SB_HAVE_DNNL
extern const nn_backend sb_nn_backend_dnnl;
#endif

/* Deterministic RNG (splitmix64) used for init and dropout. */
static inline uint64_t nn_splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

#endif
