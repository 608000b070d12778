/*
 * nn_dnnl.c: the fast backend, on oneDNN's C API (oneDNN 2.x, CPU engine, OpenMP runtime).
 *
 * Why oneDNN: on this machine (see NOTES.md "CNN arithmetic") its JIT convolutions train
 * the reference CNN ~3.6x faster than im2col + OpenBLAS and ~2.5x faster than PyTorch.
 *
 * How: at plan time every layer gets its primitive descriptors (forward training, backward
 * data, backward weights), created with format_tag_any for activations and weights so that
 * oneDNN picks its own blocked layouts (forcing plain layouts silently selects the slow
 * "ref" kernels: the chosen implementation of each layer is kept for sb_nn_plan_impl and
 * checked by the tests). Wherever the layout one primitive produces differs from what the
 * next wants, a reorder is inserted. The result is two straight-line programs, a list of
 * (primitive, arguments) for the forward pass and one for the backward pass, that
 * forward/backward just replay: no allocation, no descriptor work, no branching on shapes.
 *
 * The plan's plain buffers are the interface: the input p->x (NCDHW), the logits, the
 * model's flat parameter array (reordered to the internal weight layout at the start of
 * every forward, cheap: about 1e5 floats) and the flat gradient array (reordered back at
 * the end of backward). Scratchpads are "user" mode, one shared buffer sized at plan time,
 * so no buffer is allocated during execution (oneDNN still makes small internal
 * allocations per call: an argument map, and the sgemm packing buffer of the
 * x64:gemm:jit inner product, ~74 KB; tests/unit/test_nn_noalloc.c bounds them). Dropout is a plain multiply by the
 * plan's mask, itself reordered to the activation's layout; flatten is a no-op because
 * oneDNN's inner product accepts a 4D/5D source with matching 4D/5D weights, whose plain
 * order (oihw) is exactly our [out][C*H*W] dense layout.
 */
#include "nn/nn_internal.h"

#ifdef SB_HAVE_DNNL

#include <dnnl.h>
#include <dnnl_debug.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DN_MAX_ARGS = 8 };

typedef struct dn_op {
    dnnl_primitive_t prim; /* NULL: a plain loop (dropout) */
    int nargs;
    dnnl_exec_arg_t args[DN_MAX_ARGS];
    bool train_only;
    /* plain loop: y = x * mask (mask NULL: copy), over n floats */
    float *x, *mask, *y;
    size_t n;
} dn_op;

typedef struct dn_prog {
    dn_op *ops;
    int n, cap;
} dn_prog;

typedef struct dn_layer {
    dnnl_primitive_desc_t fwd_pd;
    dnnl_memory_t x;      /* input as the forward primitive reads it */
    dnnl_memory_t w;      /* weights in the forward primitive's layout */
    dnnl_memory_t y, dy;  /* output and its gradient (same md) */
    dnnl_memory_t ws;     /* pooling workspace */
    dnnl_memory_t mask;   /* dropout mask in y's layout */
    char impl[160];
} dn_layer;

typedef struct dn_state {
    dnnl_engine_t eng;
    dnnl_stream_t strm;
    dnnl_primitive_attr_t attr;      /* user scratchpad */
    dnnl_primitive_attr_t attr_relu; /* user scratchpad + ReLU post-op (fused conv/dense + relu) */
    dn_prog fwd, bwd;
    dn_layer *layers;
    /* everything created, for destruction */
    dnnl_memory_t *mems;
    int nmem, capmem;
    dnnl_primitive_desc_t *pds;
    int npd, cappd;
    dnnl_primitive_t *prims;
    int nprim, capprim;
    dnnl_memory_t *scratch_mems;
    int nscratch, capscratch;
    void *scratch;
    size_t scratch_size;
} dn_state;

/* ---------------------------------------------------------------- bookkeeping */

static bool grow(void **arr, int *cap, int n, size_t elem)
{
    if (n < *cap) return true;
    int nc = *cap ? 2 * *cap : 16;
    void *na = realloc(*arr, (size_t)nc * elem);
    if (!na) return false;
    *arr = na;
    *cap = nc;
    return true;
}

static sb_status dn_fail(sb_error *err, dnnl_status_t s, const char *what, int layer)
{
    return sb_error_set(err, s == dnnl_out_of_memory ? SB_ERR_NOMEM : SB_ERR_UNSUPPORTED,
                        "oneDNN %s failed for layer %d: %s", what, layer, dnnl_status2str(s));
}

#define DN_TRY(call, what)                                                                   \
    do {                                                                                     \
        dnnl_status_t s_ = (call);                                                           \
        if (s_ != dnnl_success) return dn_fail(err, s_, what, layer);                       \
    } while (0)

#define DN_NOMEM() sb_error_set(err, SB_ERR_NOMEM, "oneDNN backend: out of memory")

/* A memory object on md: on handle (user buffer) or, if handle is NULL, zeroed memory
 * that oneDNN allocates and owns. */
static sb_status dn_mem(dn_state *s, const dnnl_memory_desc_t *md, void *handle,
                        dnnl_memory_t *out, int layer, sb_error *err)
{
    if (!grow((void **)&s->mems, &s->capmem, s->nmem, sizeof *s->mems)) return DN_NOMEM();
    DN_TRY(dnnl_memory_create(out, md, s->eng, handle ? handle : DNNL_MEMORY_ALLOCATE), "memory");
    s->mems[s->nmem++] = *out;
    if (!handle) {
        void *h = NULL;
        DN_TRY(dnnl_memory_get_data_handle(*out, &h), "memory handle");
        memset(h, 0, dnnl_memory_desc_get_size(md));
    }
    return SB_OK;
}

static sb_status dn_keep_pd(dn_state *s, dnnl_primitive_desc_t pd, sb_error *err)
{
    if (!grow((void **)&s->pds, &s->cappd, s->npd, sizeof *s->pds)) {
        dnnl_primitive_desc_destroy(pd);
        return DN_NOMEM();
    }
    s->pds[s->npd++] = pd;
    return SB_OK;
}

/* Create the primitive of pd and append it to prog with its arguments (plus a user
 * scratchpad if the primitive needs one). */
static sb_status dn_append(dn_state *s, dn_prog *prog, dnnl_primitive_desc_t pd, int nargs,
                           const dnnl_exec_arg_t *args, bool train_only, int layer, sb_error *err)
{
    if (!grow((void **)&prog->ops, &prog->cap, prog->n, sizeof *prog->ops)) return DN_NOMEM();
    if (!grow((void **)&s->prims, &s->capprim, s->nprim, sizeof *s->prims)) return DN_NOMEM();
    dn_op *op = &prog->ops[prog->n];
    memset(op, 0, sizeof *op);
    DN_TRY(dnnl_primitive_create(&op->prim, pd), "primitive creation");
    s->prims[s->nprim++] = op->prim;
    memcpy(op->args, args, (size_t)nargs * sizeof *args);
    op->nargs = nargs;
    op->train_only = train_only;
    const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    size_t ssz = smd ? dnnl_memory_desc_get_size(smd) : 0;
    if (ssz > 0) {
        if (!grow((void **)&s->scratch_mems, &s->capscratch, s->nscratch, sizeof *s->scratch_mems))
            return DN_NOMEM();
        dnnl_memory_t sm;
        DN_TRY(dnnl_memory_create(&sm, smd, s->eng, DNNL_MEMORY_NONE), "scratchpad memory");
        s->scratch_mems[s->nscratch++] = sm;
        op->args[op->nargs++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, sm};
        if (ssz > s->scratch_size) s->scratch_size = ssz;
    }
    prog->n++;
    return SB_OK;
}

static const dnnl_memory_desc_t *mem_md(dnnl_memory_t m)
{
    const dnnl_memory_desc_t *md = NULL;
    dnnl_memory_get_memory_desc(m, &md);
    return md;
}

static float *mem_ptr(dnnl_memory_t m)
{
    void *h = NULL;
    dnnl_memory_get_data_handle(m, &h);
    return h;
}

/* Append a reorder src -> dst to prog. */
static sb_status dn_reorder(dn_state *s, dn_prog *prog, dnnl_memory_t src, dnnl_memory_t dst,
                            bool train_only, int layer, sb_error *err)
{
    dnnl_primitive_desc_t pd;
    DN_TRY(dnnl_reorder_primitive_desc_create(&pd, mem_md(src), s->eng, mem_md(dst), s->eng, s->attr),
           "reorder");
    sb_status st = dn_keep_pd(s, pd, err);
    if (st != SB_OK) return st;
    dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}};
    return dn_append(s, prog, pd, 2, a, train_only, layer, err);
}

/* src seen in layout want: src itself if the layouts agree, else a new memory filled by a
 * reorder appended to prog. */
static sb_status dn_as(dn_state *s, dn_prog *prog, dnnl_memory_t src, const dnnl_memory_desc_t *want,
                       bool train_only, dnnl_memory_t *out, int layer, sb_error *err)
{
    if (dnnl_memory_desc_equal(mem_md(src), want)) {
        *out = src;
        return SB_OK;
    }
    sb_status st = dn_mem(s, want, NULL, out, layer, err);
    if (st != SB_OK) return st;
    return dn_reorder(s, prog, src, *out, train_only, layer, err);
}

/* Where a primitive producing layout `have` should write so that target ends up filled:
 * target itself if the layouts agree, else a temporary (*tmp set; the caller appends the
 * reorder tmp -> target after the producing op). */
static sb_status dn_out(dn_state *s, dnnl_memory_t target, const dnnl_memory_desc_t *have,
                        dnnl_memory_t *write_to, dnnl_memory_t *tmp, int layer, sb_error *err)
{
    *tmp = NULL;
    if (dnnl_memory_desc_equal(mem_md(target), have)) {
        *write_to = target;
        return SB_OK;
    }
    sb_status st = dn_mem(s, have, NULL, tmp, layer, err);
    *write_to = *tmp;
    return st;
}

static sb_status dn_finish_out(dn_state *s, dn_prog *prog, dnnl_memory_t tmp, dnnl_memory_t target,
                               int layer, sb_error *err)
{
    return tmp ? dn_reorder(s, prog, tmp, target, false, layer, err) : SB_OK;
}

static dnnl_format_tag_t plain_tag(int ndims)
{
    switch (ndims) {
    case 1: return dnnl_a;
    case 2: return dnnl_ab;
    case 3: return dnnl_abc;
    case 4: return dnnl_abcd;
    default: return dnnl_abcde;
    }
}

static void md_init(dnnl_memory_desc_t *md, int ndims, const dnnl_dims_t dims, dnnl_format_tag_t tag)
{
    dnnl_memory_desc_init_by_tag(md, ndims, dims, dnnl_f32, tag);
}

/* Windows never overhang the input (no padding), so the two average modes agree. */
static dnnl_alg_kind_t pool_alg(const nn_layer *L)
{
    return L->spec.kind == SB_NN_MAXPOOL ? dnnl_pooling_max : dnnl_pooling_avg_exclude_padding;
}

static const char *pd_impl(dnnl_primitive_desc_t pd)
{
    const char *str = "?";
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &str) != dnnl_success) return "?";
    return str;
}

/* ---------------------------------------------------------------- build */

static void dn_destroy(sb_nn_plan *p)
{
    dn_state *s = p->impl;
    if (!s) return;
    for (int i = 0; i < s->nprim; i++) dnnl_primitive_destroy(s->prims[i]);
    for (int i = 0; i < s->npd; i++) dnnl_primitive_desc_destroy(s->pds[i]);
    for (int i = 0; i < s->nmem; i++) dnnl_memory_destroy(s->mems[i]);
    for (int i = 0; i < s->nscratch; i++) dnnl_memory_destroy(s->scratch_mems[i]);
    free(s->prims);
    free(s->pds);
    free(s->mems);
    free(s->scratch_mems);
    free(s->fwd.ops);
    free(s->bwd.ops);
    free(s->layers);
    free(s->scratch);
    if (s->attr) dnnl_primitive_attr_destroy(s->attr);
    if (s->attr_relu) dnnl_primitive_attr_destroy(s->attr_relu);
    if (s->strm) dnnl_stream_destroy(s->strm);
    if (s->eng) dnnl_engine_destroy(s->eng);
    free(s);
    p->impl = NULL;
}

static sb_status append_plain(dn_prog *prog, float *x, float *mask, float *y, size_t n,
                              bool train_only, sb_error *err)
{
    if (!grow((void **)&prog->ops, &prog->cap, prog->n, sizeof *prog->ops)) return DN_NOMEM();
    dn_op *op = &prog->ops[prog->n++];
    memset(op, 0, sizeof *op);
    op->x = x;
    op->mask = mask;
    op->y = y;
    op->n = n;
    op->train_only = train_only;
    return SB_OK;
}

/* Spatial geometry of layer L for oneDNN: nsp spatial dims, strides, paddings, kernels. */
static int spatial(const sb_nn_model *m, dnnl_dims_t one, dnnl_dims_t two, dnnl_dims_t pad,
                   dnnl_dims_t zero, int k)
{
    int nsp = m->spatial_dims;
    for (int i = 0; i < DNNL_MAX_NDIMS; i++) {
        one[i] = 1;
        two[i] = 2;
        pad[i] = k / 2;
        zero[i] = 0;
    }
    return nsp;
}

static sb_status build_forward(sb_nn_plan *p, dn_state *s, int layer, dnnl_memory_t xin,
                               sb_error *err)
{
    sb_nn_model *m = p->model;
    nn_layer *L = &m->layers[layer];
    dn_layer *D = &s->layers[layer];
    const dnnl_memory_desc_t *xmd = mem_md(xin);
    const int N = p->batch;
    /* conv/dense followed by relu: the relu runs as a post-op of the conv/dense */
    const bool fuse = layer + 1 < m->nlayers && m->layers[layer + 1].spec.kind == SB_NN_RELU;
    const bool fused_in = layer > 0 && m->layers[layer].spec.kind == SB_NN_RELU &&
                          (m->layers[layer - 1].spec.kind == SB_NN_CONV || m->layers[layer - 1].spec.kind == SB_NN_DENSE);
    const_dnnl_primitive_attr_t fattr = fuse ? s->attr_relu : s->attr;
    dnnl_dims_t one, two, pad, zero;
    int nsp = spatial(m, one, two, pad, zero, L->spec.kernel);
    sb_status st = SB_OK;
    dnnl_primitive_desc_t pd = NULL;
    D->x = xin;
    switch (L->spec.kind) {
    case SB_NN_CONV:
    case SB_NN_DENSE: {
        bool conv = L->spec.kind == SB_NN_CONV;
        int nd = xmd->ndims;
        dnnl_dims_t wd, od, bd = {L->spec.units};
        dnnl_memory_desc_t src_any, w_any, b_md, dst_any, w_plain;
        wd[0] = L->spec.units;
        if (conv) {
            wd[1] = L->in.c;
            for (int i = 0; i < nsp; i++) wd[2 + i] = (nsp == 3 && i == 0) ? L->kdepth : L->spec.kernel;
            od[0] = N;
            od[1] = L->out.c;
            for (int i = 2; i < nd; i++) od[i] = xmd->dims[i];
        } else {
            for (int i = 1; i < nd; i++) wd[i] = xmd->dims[i];
            od[0] = N;
            od[1] = L->spec.units;
        }
        int ond = conv ? nd : 2;
        md_init(&src_any, nd, xmd->dims, dnnl_format_tag_any);
        md_init(&w_any, nd, wd, dnnl_format_tag_any);
        md_init(&w_plain, nd, wd, plain_tag(nd));
        md_init(&b_md, 1, bd, dnnl_a);
        md_init(&dst_any, ond, od, dnnl_format_tag_any);
        if (conv) {
            dnnl_convolution_desc_t cd;
            DN_TRY(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_training, dnnl_convolution_direct,
                                                      &src_any, &w_any, &b_md, &dst_any, one, pad, pad),
                   "convolution forward descriptor");
            DN_TRY(dnnl_primitive_desc_create(&pd, &cd, fattr, s->eng, NULL), "convolution forward");
        } else {
            dnnl_inner_product_desc_t id;
            DN_TRY(dnnl_inner_product_forward_desc_init(&id, dnnl_forward_training, &src_any, &w_any,
                                                        &b_md, &dst_any),
                   "inner product forward descriptor");
            DN_TRY(dnnl_primitive_desc_create(&pd, &id, fattr, s->eng, NULL), "inner product forward");
        }
        if ((st = dn_keep_pd(s, pd, err)) != SB_OK) return st;
        D->fwd_pd = pd;
        dnnl_memory_t src, wplain, bplain, b;
        if ((st = dn_as(s, &s->fwd, xin, dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0), false,
                        &src, layer, err)) != SB_OK)
            return st;
        D->x = src;
        if ((st = dn_mem(s, &w_plain, m->params + L->woff, &wplain, layer, err)) != SB_OK) return st;
        if ((st = dn_as(s, &s->fwd, wplain, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), false,
                        &D->w, layer, err)) != SB_OK)
            return st;
        if ((st = dn_mem(s, &b_md, m->params + L->boff, &bplain, layer, err)) != SB_OK) return st;
        if ((st = dn_as(s, &s->fwd, bplain, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1), false,
                        &b, layer, err)) != SB_OK)
            return st;
        if ((st = dn_mem(s, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0), NULL, &D->y, layer, err)) !=
            SB_OK)
            return st;
        dnnl_exec_arg_t a[4] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, D->w}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, D->y}};
        if ((st = dn_append(s, &s->fwd, pd, 4, a, false, layer, err)) != SB_OK) return st;
        break;
    }
    case SB_NN_MAXPOOL:
    case SB_NN_AVGPOOL: {
        const bool maxp = L->spec.kind == SB_NN_MAXPOOL;
        dnnl_dims_t od, kern;
        int nd = xmd->ndims;
        od[0] = N;
        od[1] = L->out.c;
        if (nsp == 3) {
            od[2] = L->out.d;
            od[3] = L->out.h;
            od[4] = L->out.w;
        } else {
            od[2] = L->out.h;
            od[3] = L->out.w;
        }
        for (int i = 0; i < DNNL_MAX_NDIMS; i++) kern[i] = 2;
        dnnl_memory_desc_t dst_any;
        md_init(&dst_any, nd, od, dnnl_format_tag_any);
        dnnl_pooling_desc_t pl;
        DN_TRY(dnnl_pooling_forward_desc_init(&pl, dnnl_forward_training, pool_alg(L), xmd, &dst_any, two, kern,
                                              zero, zero),
               "pooling forward descriptor");
        DN_TRY(dnnl_primitive_desc_create(&pd, &pl, s->attr, s->eng, NULL), "pooling forward");
        if ((st = dn_keep_pd(s, pd, err)) != SB_OK) return st;
        D->fwd_pd = pd;
        if ((st = dn_mem(s, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0), NULL, &D->y, layer, err)) !=
            SB_OK)
            return st;
        /* max-pool's backward needs the argmax workspace; average-pool's has none */
        if (maxp && (st = dn_mem(s, dnnl_primitive_desc_query_md(pd, dnnl_query_workspace_md, 0), NULL, &D->ws,
                                 layer, err)) != SB_OK)
            return st;
        dnnl_exec_arg_t a[3] = {{DNNL_ARG_SRC, xin}, {DNNL_ARG_DST, D->y}, {DNNL_ARG_WORKSPACE, D->ws}};
        if ((st = dn_append(s, &s->fwd, pd, maxp ? 3 : 2, a, false, layer, err)) != SB_OK) return st;
        break;
    }
    case SB_NN_RELU: {
        /* "use dst for bwd": the backward pass needs only the output, which lets the relu
         * be fused into the previous conv/dense (whose output is then the relu's). The
         * forward descriptor is still made, as the backward's hint. */
        dnnl_eltwise_desc_t ed;
        DN_TRY(dnnl_eltwise_forward_desc_init(&ed, dnnl_forward_training, dnnl_eltwise_relu_use_dst_for_bwd, xmd,
                                              0.0f, 0.0f),
               "relu forward descriptor");
        DN_TRY(dnnl_primitive_desc_create(&pd, &ed, s->attr, s->eng, NULL), "relu forward");
        if ((st = dn_keep_pd(s, pd, err)) != SB_OK) return st;
        D->fwd_pd = pd;
        if (fused_in) {
            D->y = xin;
            snprintf(D->impl, sizeof D->impl, "fused into layer %d", layer - 1);
            return SB_OK;
        }
        if ((st = dn_mem(s, xmd, NULL, &D->y, layer, err)) != SB_OK) return st;
        dnnl_exec_arg_t a[2] = {{DNNL_ARG_SRC, xin}, {DNNL_ARG_DST, D->y}};
        if ((st = dn_append(s, &s->fwd, pd, 2, a, false, layer, err)) != SB_OK) return st;
        break;
    }
    case SB_NN_DROPOUT: {
        /* mask (plain, drawn by the plan) -> y's layout; y = x * mask in training, x else. */
        dnnl_memory_desc_t plain;
        md_init(&plain, xmd->ndims, xmd->dims, plain_tag(xmd->ndims));
        dnnl_memory_t mplain;
        if ((st = dn_mem(s, &plain, p->masks[layer], &mplain, layer, err)) != SB_OK) return st;
        if ((st = dn_mem(s, xmd, NULL, &D->y, layer, err)) != SB_OK) return st;
        if (dnnl_memory_desc_equal(&plain, xmd)) {
            D->mask = mplain;
        } else {
            if ((st = dn_mem(s, xmd, NULL, &D->mask, layer, err)) != SB_OK) return st;
            if ((st = dn_reorder(s, &s->fwd, mplain, D->mask, true, layer, err)) != SB_OK) return st;
        }
        size_t n = dnnl_memory_desc_get_size(xmd) / sizeof(float);
        if ((st = append_plain(&s->fwd, mem_ptr(xin), mem_ptr(D->mask), mem_ptr(D->y), n, false, err)) != SB_OK)
            return st;
        break;
    }
    case SB_NN_FLATTEN: D->y = xin; break;
    }
    if (D->fwd_pd) snprintf(D->impl, sizeof D->impl, "%s", pd_impl(D->fwd_pd));
    else snprintf(D->impl, sizeof D->impl, "-");
    return SB_OK;
}

/* Gradient of the loss with respect to layer `layer`'s input goes to dxt (NULL: not
 * wanted); its output gradient is in s->layers[layer].dy. */
static sb_status build_backward(sb_nn_plan *p, dn_state *s, int layer, dnnl_memory_t dxt, sb_error *err)
{
    sb_nn_model *m = p->model;
    nn_layer *L = &m->layers[layer];
    dn_layer *D = &s->layers[layer];
    dnnl_dims_t one, two, pad, zero;
    (void)spatial(m, one, two, pad, zero, L->spec.kernel);
    sb_status st = SB_OK;
    dnnl_primitive_desc_t pd;
    dnnl_memory_t wr, tmp;
    char extra[128] = "";
    switch (L->spec.kind) {
    case SB_NN_CONV:
    case SB_NN_DENSE: {
        bool conv = L->spec.kind == SB_NN_CONV;
        const dnnl_memory_desc_t *xmd = mem_md(D->x), *ymd = mem_md(D->y), *wmd = mem_md(D->w);
        dnnl_memory_desc_t src_any, w_any, dst_any, b_md, w_plain;
        md_init(&src_any, xmd->ndims, xmd->dims, dnnl_format_tag_any);
        md_init(&w_any, wmd->ndims, wmd->dims, dnnl_format_tag_any);
        md_init(&w_plain, wmd->ndims, wmd->dims, plain_tag(wmd->ndims));
        md_init(&dst_any, ymd->ndims, ymd->dims, dnnl_format_tag_any);
        dnnl_dims_t bd = {L->spec.units};
        md_init(&b_md, 1, bd, dnnl_a);
        /* weights gradient */
        if (conv) {
            dnnl_convolution_desc_t cd;
            DN_TRY(dnnl_convolution_backward_weights_desc_init(&cd, dnnl_convolution_direct, &src_any, &w_any,
                                                               &b_md, &dst_any, one, pad, pad),
                   "convolution backward-weights descriptor");
            DN_TRY(dnnl_primitive_desc_create(&pd, &cd, s->attr, s->eng, D->fwd_pd), "convolution backward weights");
        } else {
            dnnl_inner_product_desc_t id;
            DN_TRY(dnnl_inner_product_backward_weights_desc_init(&id, &src_any, &w_any, &b_md, &dst_any),
                   "inner product backward-weights descriptor");
            DN_TRY(dnnl_primitive_desc_create(&pd, &id, s->attr, s->eng, D->fwd_pd), "inner product backward weights");
        }
        if ((st = dn_keep_pd(s, pd, err)) != SB_OK) return st;
        snprintf(extra, sizeof extra, "; bwd-w %s", pd_impl(pd));
        dnnl_memory_t src, dy, dwp, dbp, dw, db, dwt, dbt;
        if ((st = dn_as(s, &s->bwd, D->x, dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0), false, &src,
                        layer, err)) != SB_OK)
            return st;
        if ((st = dn_as(s, &s->bwd, D->dy, dnnl_primitive_desc_query_md(pd, dnnl_query_diff_dst_md, 0), false,
                        &dy, layer, err)) != SB_OK)
            return st;
        if ((st = dn_mem(s, &w_plain, p->grads + L->woff, &dwp, layer, err)) != SB_OK) return st;
        if ((st = dn_mem(s, &b_md, p->grads + L->boff, &dbp, layer, err)) != SB_OK) return st;
        if ((st = dn_out(s, dwp, dnnl_primitive_desc_query_md(pd, dnnl_query_diff_weights_md, 0), &dw, &dwt, layer,
                         err)) != SB_OK)
            return st;
        if ((st = dn_out(s, dbp, dnnl_primitive_desc_query_md(pd, dnnl_query_diff_weights_md, 1), &db, &dbt, layer,
                         err)) != SB_OK)
            return st;
        dnnl_exec_arg_t a[4] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_DIFF_WEIGHTS, dw},
                                {DNNL_ARG_DIFF_BIAS, db}};
        if ((st = dn_append(s, &s->bwd, pd, 4, a, false, layer, err)) != SB_OK) return st;
        if ((st = dn_finish_out(s, &s->bwd, dwt, dwp, layer, err)) != SB_OK) return st;
        if ((st = dn_finish_out(s, &s->bwd, dbt, dbp, layer, err)) != SB_OK) return st;
        if (!dxt) break;
        /* data gradient */
        if (conv) {
            dnnl_convolution_desc_t cd;
            DN_TRY(dnnl_convolution_backward_data_desc_init(&cd, dnnl_convolution_direct, &src_any, &w_any, &dst_any,
                                                            one, pad, pad),
                   "convolution backward-data descriptor");
            DN_TRY(dnnl_primitive_desc_create(&pd, &cd, s->attr, s->eng, D->fwd_pd), "convolution backward data");
        } else {
            dnnl_inner_product_desc_t id;
            DN_TRY(dnnl_inner_product_backward_data_desc_init(&id, &src_any, &w_any, &dst_any),
                   "inner product backward-data descriptor");
            DN_TRY(dnnl_primitive_desc_create(&pd, &id, s->attr, s->eng, D->fwd_pd), "inner product backward data");
        }
        if ((st = dn_keep_pd(s, pd, err)) != SB_OK) return st;
        size_t len = strlen(extra);
        snprintf(extra + len, sizeof extra - len, "; bwd-d %s", pd_impl(pd));
        if ((st = dn_as(s, &s->bwd, D->w, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), false, &wr,
                        layer, err)) != SB_OK)
            return st;
        if ((st = dn_as(s, &s->bwd, D->dy, dnnl_primitive_desc_query_md(pd, dnnl_query_diff_dst_md, 0), false,
                        &dy, layer, err)) != SB_OK)
            return st;
        dnnl_memory_t dx;
        if ((st = dn_out(s, dxt, dnnl_primitive_desc_query_md(pd, dnnl_query_diff_src_md, 0), &dx, &tmp, layer,
                         err)) != SB_OK)
            return st;
        dnnl_exec_arg_t b[3] = {{DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_WEIGHTS, wr}, {DNNL_ARG_DIFF_SRC, dx}};
        if ((st = dn_append(s, &s->bwd, pd, 3, b, false, layer, err)) != SB_OK) return st;
        if ((st = dn_finish_out(s, &s->bwd, tmp, dxt, layer, err)) != SB_OK) return st;
        break;
    }
    case SB_NN_MAXPOOL:
    case SB_NN_AVGPOOL: {
        if (!dxt) break;
        const dnnl_memory_desc_t *xmd = mem_md(D->x), *ymd = mem_md(D->y);
        dnnl_memory_desc_t dsrc_any;
        md_init(&dsrc_any, xmd->ndims, xmd->dims, dnnl_format_tag_any);
        dnnl_dims_t kern;
        for (int i = 0; i < DNNL_MAX_NDIMS; i++) kern[i] = 2;
        dnnl_pooling_desc_t pl;
        DN_TRY(dnnl_pooling_backward_desc_init(&pl, pool_alg(L), &dsrc_any, ymd, two, kern, zero, zero),
               "pooling backward descriptor");
        DN_TRY(dnnl_primitive_desc_create(&pd, &pl, s->attr, s->eng, D->fwd_pd), "pooling backward");
        if ((st = dn_keep_pd(s, pd, err)) != SB_OK) return st;
        snprintf(extra, sizeof extra, "; bwd %s", pd_impl(pd));
        dnnl_memory_t dy, dx;
        if ((st = dn_as(s, &s->bwd, D->dy, dnnl_primitive_desc_query_md(pd, dnnl_query_diff_dst_md, 0), false,
                        &dy, layer, err)) != SB_OK)
            return st;
        if ((st = dn_out(s, dxt, dnnl_primitive_desc_query_md(pd, dnnl_query_diff_src_md, 0), &dx, &tmp, layer,
                         err)) != SB_OK)
            return st;
        const bool maxp = L->spec.kind == SB_NN_MAXPOOL;
        dnnl_exec_arg_t a[3] = {{DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_DIFF_SRC, dx}, {DNNL_ARG_WORKSPACE, D->ws}};
        if ((st = dn_append(s, &s->bwd, pd, maxp ? 3 : 2, a, false, layer, err)) != SB_OK) return st;
        if ((st = dn_finish_out(s, &s->bwd, tmp, dxt, layer, err)) != SB_OK) return st;
        break;
    }
    case SB_NN_RELU: {
        if (!dxt) break;
        const dnnl_memory_desc_t *xmd = mem_md(D->y);
        dnnl_eltwise_desc_t ed;
        DN_TRY(dnnl_eltwise_backward_desc_init(&ed, dnnl_eltwise_relu_use_dst_for_bwd, xmd, xmd, 0.0f, 0.0f),
               "relu backward descriptor");
        DN_TRY(dnnl_primitive_desc_create(&pd, &ed, s->attr, s->eng, D->fwd_pd), "relu backward");
        if ((st = dn_keep_pd(s, pd, err)) != SB_OK) return st;
        snprintf(extra, sizeof extra, "; bwd %s", pd_impl(pd));
        dnnl_memory_t dx;
        if ((st = dn_out(s, dxt, xmd, &dx, &tmp, layer, err)) != SB_OK) return st;
        dnnl_exec_arg_t a[3] = {{DNNL_ARG_DST, D->y}, {DNNL_ARG_DIFF_DST, D->dy}, {DNNL_ARG_DIFF_SRC, dx}};
        if ((st = dn_append(s, &s->bwd, pd, 3, a, false, layer, err)) != SB_OK) return st;
        if ((st = dn_finish_out(s, &s->bwd, tmp, dxt, layer, err)) != SB_OK) return st;
        break;
    }
    case SB_NN_DROPOUT: {
        if (!dxt) break;
        dnnl_memory_t dx;
        if ((st = dn_out(s, dxt, mem_md(D->dy), &dx, &tmp, layer, err)) != SB_OK) return st;
        size_t n = dnnl_memory_desc_get_size(mem_md(D->dy)) / sizeof(float);
        if ((st = append_plain(&s->bwd, mem_ptr(D->dy), mem_ptr(D->mask), mem_ptr(dx), n, false, err)) != SB_OK)
            return st;
        if ((st = dn_finish_out(s, &s->bwd, tmp, dxt, layer, err)) != SB_OK) return st;
        break;
    }
    case SB_NN_FLATTEN:
        if (dxt && dxt != D->dy) {
            if ((st = dn_reorder(s, &s->bwd, D->dy, dxt, false, layer, err)) != SB_OK) return st;
        }
        break;
    }
    size_t len = strlen(D->impl);
    snprintf(D->impl + len, sizeof D->impl - len, "%s", extra);
    return SB_OK;
}

static sb_status dn_build(sb_nn_plan *p, dn_state *s, sb_error *err)
{
    sb_nn_model *m = p->model;
    const int N = p->batch, nl = m->nlayers;
    int layer = -1;
    sb_status st;
    DN_TRY(dnnl_engine_create(&s->eng, dnnl_cpu, 0), "engine");
    DN_TRY(dnnl_stream_create(&s->strm, s->eng, dnnl_stream_default_flags), "stream");
    DN_TRY(dnnl_primitive_attr_create(&s->attr), "attribute");
    DN_TRY(dnnl_primitive_attr_set_scratchpad_mode(s->attr, dnnl_scratchpad_mode_user), "scratchpad mode");
    DN_TRY(dnnl_primitive_attr_create(&s->attr_relu), "attribute");
    DN_TRY(dnnl_primitive_attr_set_scratchpad_mode(s->attr_relu, dnnl_scratchpad_mode_user), "scratchpad mode");
    dnnl_post_ops_t po;
    DN_TRY(dnnl_post_ops_create(&po), "post-ops");
    dnnl_status_t pos = dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f);
    if (pos == dnnl_success) pos = dnnl_primitive_attr_set_post_ops(s->attr_relu, po);
    dnnl_post_ops_destroy(po);
    DN_TRY(pos, "ReLU post-op");
    /* input: plain N x C x (D x) H x W on the plan's buffer */
    dnnl_dims_t xd;
    int nd = m->spatial_dims + 2;
    xd[0] = N;
    xd[1] = m->input.c;
    if (nd == 5) {
        xd[2] = m->input.d;
        xd[3] = m->input.h;
        xd[4] = m->input.w;
    } else {
        xd[2] = m->input.h;
        xd[3] = m->input.w;
    }
    dnnl_memory_desc_t xmd;
    md_init(&xmd, nd, xd, plain_tag(nd));
    dnnl_memory_t x;
    if ((st = dn_mem(s, &xmd, p->x, &x, 0, err)) != SB_OK) return st;
    for (layer = 0; layer < nl; layer++) {
        if ((st = build_forward(p, s, layer, x, err)) != SB_OK) return st;
        x = s->layers[layer].y;
    }
    /* logits: last output -> plain [N][1] */
    dnnl_dims_t ld = {N, 1};
    dnnl_memory_desc_t lmd;
    md_init(&lmd, 2, ld, dnnl_ab);
    dnnl_memory_t lmem, dlmem;
    layer = nl - 1;
    if ((st = dn_mem(s, &lmd, p->logits, &lmem, layer, err)) != SB_OK) return st;
    if ((st = dn_reorder(s, &s->fwd, x, lmem, false, layer, err)) != SB_OK) return st;
    /* gradient memories: dy of each layer in its output's layout (flatten: shared) */
    for (int l = 0; l < nl; l++) {
        dn_layer *D = &s->layers[l];
        if (m->layers[l].spec.kind == SB_NN_FLATTEN && l > 0) {
            D->dy = s->layers[l - 1].dy;
        } else if ((st = dn_mem(s, mem_md(D->y), NULL, &D->dy, l, err)) != SB_OK) {
            return st;
        }
    }
    if ((st = dn_mem(s, &lmd, p->dlogits, &dlmem, layer, err)) != SB_OK) return st;
    if ((st = dn_reorder(s, &s->bwd, dlmem, s->layers[nl - 1].dy, false, layer, err)) != SB_OK) return st;
    dnnl_memory_t dx0 = NULL;
    if (p->dx && (st = dn_mem(s, &xmd, p->dx, &dx0, 0, err)) != SB_OK) return st;
    for (layer = nl - 1; layer >= 0; layer--) {
        dnnl_memory_t dxt = layer > 0 ? s->layers[layer - 1].dy : dx0;
        if ((st = build_backward(p, s, layer, dxt, err)) != SB_OK) return st;
    }
    /* one scratchpad for all primitives (they run one after another) */
    if (s->scratch_size > 0) {
        s->scratch = aligned_alloc(64, (s->scratch_size + 63) / 64 * 64);
        if (!s->scratch) return DN_NOMEM();
        layer = 0;
        for (int i = 0; i < s->nscratch; i++)
            DN_TRY(dnnl_memory_set_data_handle(s->scratch_mems[i], s->scratch), "scratchpad handle");
    }
    return SB_OK;
}

static sb_status dn_init(sb_nn_plan *p, sb_error *err)
{
    dn_state *s = calloc(1, sizeof *s);
    if (!s) return DN_NOMEM();
    p->impl = s;
    s->layers = calloc((size_t)p->model->nlayers, sizeof *s->layers);
    if (!s->layers) {
        dn_destroy(p);
        return DN_NOMEM();
    }
    sb_status st = dn_build(p, s, err);
    if (st != SB_OK) dn_destroy(p);
    return st;
}

/* ---------------------------------------------------------------- execution */

static sb_status run(dn_state *s, const dn_prog *prog, bool training, sb_error *err)
{
    for (int i = 0; i < prog->n; i++) {
        const dn_op *op = &prog->ops[i];
        if (op->train_only && !training) continue;
        if (op->prim) {
            dnnl_status_t r = dnnl_primitive_execute(op->prim, s->strm, op->nargs, op->args);
            if (r != dnnl_success)
                return sb_error_set(err, SB_ERR_INTERNAL, "oneDNN execution failed: %s", dnnl_status2str(r));
        } else if (training) {
            for (size_t j = 0; j < op->n; j++) op->y[j] = op->x[j] * op->mask[j];
        } else {
            memcpy(op->y, op->x, op->n * sizeof(float));
        }
    }
    dnnl_status_t r = dnnl_stream_wait(s->strm);
    if (r != dnnl_success)
        return sb_error_set(err, SB_ERR_INTERNAL, "oneDNN stream wait failed: %s", dnnl_status2str(r));
    return SB_OK;
}

static sb_status dn_forward(sb_nn_plan *p, bool training, sb_error *err)
{
    return run(p->impl, &((dn_state *)p->impl)->fwd, training, err);
}

static sb_status dn_backward(sb_nn_plan *p, sb_error *err)
{
    return run(p->impl, &((dn_state *)p->impl)->bwd, true, err);
}

static const char *dn_impl(const sb_nn_plan *p, int layer)
{
    const dn_state *s = p->impl;
    return s->layers[layer].impl;
}

const nn_backend sb_nn_backend_dnnl = {
    .name = "dnnl",
    .init = dn_init,
    .destroy = dn_destroy,
    .forward = dn_forward,
    .backward = dn_backward,
    .impl = dn_impl,
};

#endif /* SB_HAVE_DNNL */
