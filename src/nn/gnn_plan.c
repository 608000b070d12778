/*
 * gnn_plan.c: forward and backward passes of the GNN (architecture in shearband/gnn.h),
 * written by hand on row matrices: rows are nodes or edges, columns the L latent features.
 *
 * Operations. Everything is one of four kinds:
 *   dense     Y = X W^T (+ b), on any number of rows: gemms on fixed blocks of rows
 *             (OpenBLAS sgemm for the "blas" backend, plain loops for "reference", the
 *             test oracle; threading below). Concatenated inputs are never
 *             materialised: [A | B] W^T = A W_A^T + B W_B^T, two gemms on column blocks
 *             of W (leading dimension = the full input width).
 *   gather    edge rows += node rows: P[i] (receiver) or P[src[e]] (sender). The edge
 *             MLP's first layer is linear in v_i and v_j, so W_r v_i is computed ONCE PER
 *             NODE (N x L) and gathered onto the edges, instead of gathering v_i onto every
 *             edge and multiplying there: 6L x L work per edge becomes 2L x L per edge plus
 *             4L x L per node, and no E x 6L concatenation buffer exists.
 *   scatter   node rows = sum of edge rows: over the edges RECEIVED (aggregation, and the
 *             backward of the receiver gather) or SENT (backward of the sender gather).
 *   relu      elementwise, and its backward mask from the stored post-activation.
 * Threads own destination rows: in a gather the thread that handles node row i writes
 * only the edge rows offset[i]..offset[i+1]-1 (edges are grouped by receiver); in a
 * receiver scatter it writes only node row i, reading i's own contiguous edge rows (CSR by
 * destination); in a sender scatter it writes node row j and reads rows rev[e] for e in
 * j's row: the edges j sends are exactly the twins of the edges j receives, because the
 * neighbour list is full and symmetric. No two threads ever write the same row, so no
 * atomics or per-thread copies are needed, and each sum runs in a fixed order.
 *
 * Dense layers are threaded the same way, by us, not by the BLAS library. The gemm
 * backends are serial kernels; the rows (nodes or edges) are cut into blocks of a FIXED
 * size, GNN_ROW_BLOCK, whatever the thread count:
 *   row-wise products (forward Y = X W^T, input gradient dX = dY W): the thread that
 *     takes a block computes and writes only that block's rows;
 *   reductions over rows (weight gradient dW += dY^T X, bias gradient db += 1^T dY): block
 *     c's partial product goes to its own slot c of the plan's workspace (in parallel),
 *     then each output entry is owned by one thread, which adds the slots in the order
 *     c = 0, 1, 2, ...
 * Every float operation is therefore the same for any number of threads, and results are
 * bit-identical run to run and between thread counts. Letting OpenBLAS thread one big
 * call instead is what made them differ: its multithreaded sgemm blocks the K sums
 * differently from its single-threaded one (training at 1 and 2 threads diverged after a
 * few steps). So the "blas" backend asks OpenBLAS's own pthreads pool for one thread
 * (openblas_set_num_threads(1), a process-wide setting, re-applied at each compute call);
 * an OpenMP-built OpenBLAS is serial inside our parallel regions by itself. The extra cost
 * is one packing of W per block and the slot sums (~1/GNN_ROW_BLOCK of the products):
 * bench_gnn at one thread showed no slowdown beyond its noise (train step at 5 A, 1.29 to
 * 1.32 s blocked against 1.38 to 1.42 s as one call; 256-row blocks were ~5 % slower).
 *
 * Memory (plan, then compute). Backward needs every step's post-ReLU activations: edge
 * buffers E_0..E_T and H_0..H_{T-1}, node buffers V_0..V_T, G and AGG per step, plus three
 * edge and a few node gradient buffers: about (2T + 5) x E x L floats. All are allocated
 * by sb_gnn_plan_create / _reserve; forward, backward and train_step allocate nothing.
 * (Recomputing H_t in backward would save T x E x L floats for ~25 % more work; not done.)
 *
 * Backward, step t, from dV_{t+1} and dE_{t+1} (the chain rule on the forward order):
 *   node update:  dZd = dV_{t+1} . [V_{t+1} > 0];  dD += dZd^T G_t;  dG = dZd D
 *                 dZg = dG . [G_t > 0];  dC += dZg^T [V_t | V_0 | AGG_t]
 *                 dV_t = dZg C_v;  dV_0 += dZg C_v0;  dAGG = dZg C_agg
 *   aggregation:  dE_{t+1}[e] += dAGG[receiver(e)]
 *   edge update:  dZb = dE_{t+1} . [E_{t+1} > 0];  dB += dZb^T H_t;  dH = dZb B
 *                 dZh = dH . [H_t > 0];  dA_e += dZh^T [E_t | E_0]
 *                 S_r = scatter_received(dZh), S_s = scatter_sent(dZh)
 *                 dA_r += S_r^T [V_t | V_0],  dA_s += S_s^T [V_t | V_0]
 *                 dV_t += S_r A_r,v + S_s A_s,v;  dV_0 += S_r A_r,v0 + S_s A_s,v0
 *                 dE_t = dZh A_e;  dE_0 += dZh A_e0
 *   (for t = 0, V_t = V_0 and E_t = E_0: their gradients join the dV_0, dE_0 totals).
 * Bias gradients are column sums, done as a gemm with a vector of ones.
 */
#include "nn/gnn_internal.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/nn.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* Rows per block of the blocked dense products (see the top of this file). Fixed, never
 * derived from the thread count: the block boundaries decide the rounding. */
enum { GNN_ROW_BLOCK = 1024 };

/* ---------------------------------------------------------------- gemm backends */

void gnn_gemm_blas(bool ta, bool tb, size_t M, size_t N, size_t K, const float *A, size_t lda, const float *B,
                   size_t ldb, float beta, float *C, size_t ldc)
{
    if (M == 0 || N == 0) return;
    if (K == 0) {
        for (size_t i = 0; i < M; i++)
            for (size_t j = 0; j < N; j++) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
        return;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (blasint)M,
                (blasint)N, (blasint)K, 1.0f, A, (blasint)lda, B, (blasint)ldb, beta, C, (blasint)ldc);
}

/* Plain loops with double accumulation: slow and obviously right. Serial, like every
 * backend kernel: the blocked drivers below do the threading. */
void gnn_gemm_ref(bool ta, bool tb, size_t M, size_t N, size_t K, const float *A, size_t lda, const float *B,
                  size_t ldb, float beta, float *C, size_t ldc)
{
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) {
            double s = 0.0;
            for (size_t k = 0; k < K; k++) {
                const float a = ta ? A[k * lda + i] : A[i * lda + k];
                const float b = tb ? B[j * ldb + k] : B[k * ldb + j];
                s += (double)a * b;
            }
            C[i * ldc + j] = (float)(s + (beta == 0.0f ? 0.0 : (double)beta * C[i * ldc + j]));
        }
}

/* Make OpenBLAS run each call on the calling thread. Its pthreads build keeps a pool of its
 * own (openblas_get_parallel() == 1) and would otherwise thread every large call, on top of
 * our threads and with thread-count dependent rounding; its OpenMP build (2) is serial
 * inside an active OpenMP region already, and must not be told anything (its
 * openblas_set_num_threads also sets the OpenMP thread count). */
static void blas_single_thread(void)
{
#ifdef OPENBLAS_VERSION
    if (openblas_get_parallel() == 1 && openblas_get_num_threads() != 1) openblas_set_num_threads(1);
#endif
}

/* ---------------------------------------------------------------- plan */

struct sb_gnn_plan {
    sb_gnn_model *model;
    sb_gnn_plan_options opt;
    gnn_gemm_fn gemm;
    const char *backend;
    size_t capn, cape;
    size_t bytes;
    const sb_gnn_graph *g; /* graph of the last forward */
    bool have_fwd;
    /* node buffers (capn x L unless noted) */
    float *enc_vh, **V, **G, **AGG, *PR, *PS, *dec1, *dec2, *logits /* capn */, *dlogits /* capn */;
    float *dV, *dV0, *dG, *dAGG, *SR, *SS, *dh1, *dh2;
    /* edge buffers (cape x L unless noted) */
    float *enc_eh, **E, **H, *dEa, *dEb, *dE0, *dEF /* cape x F */;
    float *ones; /* max(capn, cape) ones for bias gradients */
    float *partial; /* row_blocks(max(capn, cape)) slots of the largest weight-gradient block */
    float *grads;
};

sb_gnn_plan_options sb_gnn_plan_options_default(void)
{
    return (sb_gnn_plan_options){.backend = NULL, .threads = 0};
}

static void set_threads(const sb_gnn_plan *p)
{
#ifdef _OPENMP
    if (p->opt.threads > 0) omp_set_num_threads(p->opt.threads);
#endif
    if (p->gemm == gnn_gemm_blas) blas_single_thread();
}

static size_t row_blocks(size_t rows) { return (rows + GNN_ROW_BLOCK - 1) / GNN_ROW_BLOCK; }

static void free_buffers(sb_gnn_plan *p)
{
    const int T = p->model->cfg.steps;
    float **singles[] = {&p->enc_vh, &p->PR, &p->PS, &p->dec1, &p->dec2, &p->logits, &p->dlogits, &p->dV,
                         &p->dV0, &p->dG, &p->dAGG, &p->SR, &p->SS, &p->dh1, &p->dh2, &p->enc_eh, &p->dEa,
                         &p->dEb, &p->dE0, &p->dEF, &p->ones, &p->partial};
    for (size_t k = 0; k < sizeof singles / sizeof *singles; k++) {
        free(*singles[k]);
        *singles[k] = NULL;
    }
    float ***multi[] = {&p->V, &p->G, &p->AGG, &p->E, &p->H};
    const int count[] = {T + 1, T, T, T + 1, T};
    for (int k = 0; k < 5; k++) {
        if (*multi[k])
            for (int t = 0; t < count[k]; t++) free((*multi[k])[t]);
        free(*multi[k]);
        *multi[k] = NULL;
    }
    p->bytes = 0;
}

static float *fbuf(sb_gnn_plan *p, size_t n, bool *ok)
{
    float *b = calloc(n ? n : 1, sizeof(float));
    if (!b) *ok = false;
    p->bytes += (n ? n : 1) * sizeof(float);
    return b;
}

static float **fbufs(sb_gnn_plan *p, int count, size_t n, bool *ok)
{
    float **b = calloc((size_t)(count > 0 ? count : 1), sizeof *b);
    if (!b) {
        *ok = false;
        return NULL;
    }
    for (int t = 0; t < count; t++) b[t] = fbuf(p, n, ok);
    return b;
}

static sb_status alloc_buffers(sb_gnn_plan *p, size_t N, size_t E, sb_error *err)
{
    const sb_gnn_model *m = p->model;
    const int T = m->cfg.steps;
    const size_t L = (size_t)m->cfg.latent, nl = N * L, el = E * L;
    bool ok = true;
    p->bytes = m->nparams * sizeof(float);
    p->enc_vh = fbuf(p, nl, &ok);
    p->V = fbufs(p, T + 1, nl, &ok);
    p->G = fbufs(p, T, nl, &ok);
    p->AGG = fbufs(p, T, nl, &ok);
    p->PR = fbuf(p, nl, &ok);
    p->PS = fbuf(p, nl, &ok);
    p->dec1 = fbuf(p, nl, &ok);
    p->dec2 = fbuf(p, nl, &ok);
    p->logits = fbuf(p, N, &ok);
    p->dlogits = fbuf(p, N, &ok);
    p->dV = fbuf(p, nl, &ok);
    p->dV0 = fbuf(p, nl, &ok);
    p->dG = fbuf(p, nl, &ok);
    p->dAGG = fbuf(p, nl, &ok);
    p->SR = fbuf(p, nl, &ok);
    p->SS = fbuf(p, nl, &ok);
    p->dh1 = fbuf(p, nl, &ok);
    p->dh2 = fbuf(p, nl, &ok);
    p->enc_eh = fbuf(p, el, &ok);
    p->E = fbufs(p, T + 1, el, &ok);
    p->H = fbufs(p, T, el, &ok);
    p->dEa = fbuf(p, el, &ok);
    p->dEb = fbuf(p, el, &ok);
    p->dE0 = fbuf(p, el, &ok);
    p->dEF = fbuf(p, E * (size_t)m->edge_dim, &ok);
    const size_t no = N > E ? N : E;
    p->ones = fbuf(p, no, &ok);
    /* a weight gradient is out x k with out <= L and k the width of one input block: L, or
     * the species / edge-feature count for the encoders' first layers */
    size_t kmax = L;
    if ((size_t)m->cfg.nspecies > kmax) kmax = (size_t)m->cfg.nspecies;
    if ((size_t)m->edge_dim > kmax) kmax = (size_t)m->edge_dim;
    p->partial = fbuf(p, row_blocks(no) * L * kmax, &ok);
    if (ok)
        for (size_t i = 0; i < no; i++) p->ones[i] = 1.0f;
    if (!ok) {
        free_buffers(p);
        p->capn = p->cape = 0;
        return sb_error_set(err, SB_ERR_NOMEM, "gnn plan: out of memory for %zu nodes and %zu edges", N, E);
    }
    p->capn = N;
    p->cape = E;
    return SB_OK;
}

sb_status sb_gnn_plan_create(sb_gnn_model *m, size_t max_nodes, size_t max_edges, const sb_gnn_plan_options *opt,
                             sb_gnn_plan **out, sb_error *err)
{
    *out = NULL;
    sb_gnn_plan_options o = opt ? *opt : sb_gnn_plan_options_default();
    if (!o.backend) o.backend = "blas";
    gnn_gemm_fn gemm = NULL;
    if (strcmp(o.backend, "blas") == 0) gemm = gnn_gemm_blas;
    else if (strcmp(o.backend, "reference") == 0) gemm = gnn_gemm_ref;
    else
        return sb_error_set(err, SB_ERR_UNSUPPORTED, "gnn plan: backend '%s' unknown (use blas or reference)",
                            o.backend);
    if (max_nodes < 1) return sb_error_set(err, SB_ERR_INVALID_ARG, "gnn plan: max_nodes must be >= 1");
    sb_gnn_plan *p = calloc(1, sizeof *p);
    if (!p) return sb_error_set(err, SB_ERR_NOMEM, "gnn plan: out of memory");
    p->model = m;
    p->opt = o;
    p->gemm = gemm;
    p->backend = gemm == gnn_gemm_blas ? "blas" : "reference";
    p->grads = calloc(m->nparams, sizeof(float));
    if (!p->grads) {
        free(p);
        return sb_error_set(err, SB_ERR_NOMEM, "gnn plan: out of memory");
    }
    sb_status st = alloc_buffers(p, max_nodes, max_edges, err);
    if (st != SB_OK) {
        free(p->grads);
        free(p);
        return st;
    }
    *out = p;
    return SB_OK;
}

sb_status sb_gnn_plan_reserve(sb_gnn_plan *p, size_t max_nodes, size_t max_edges, sb_error *err)
{
    if (max_nodes <= p->capn && max_edges <= p->cape) return SB_OK;
    size_t N = max_nodes > p->capn ? max_nodes : p->capn, E = max_edges > p->cape ? max_edges : p->cape;
    free_buffers(p);
    p->have_fwd = false;
    return alloc_buffers(p, N, E, err);
}

void sb_gnn_plan_free(sb_gnn_plan *p)
{
    if (!p) return;
    free_buffers(p);
    free(p->grads);
    free(p);
}

const char *sb_gnn_plan_backend(const sb_gnn_plan *p) { return p->backend; }
size_t sb_gnn_plan_bytes(const sb_gnn_plan *p) { return p->bytes; }
float *sb_gnn_plan_grads(sb_gnn_plan *p) { return p->grads; }
const float *sb_gnn_plan_edge_feat_grad(const sb_gnn_plan *p) { return p->dEF; }

/* ---------------------------------------------------------------- building blocks */

/* C (rows x n, ldc) = beta C + X (rows x k, ldx) op(W) with op(W) k x n: one gemm per block
 * of GNN_ROW_BLOCK rows, each block written only by the thread that computes it. */
static void rows_gemm(const sb_gnn_plan *p, bool tw, size_t rows, size_t n, size_t k, const float *X, size_t ldx,
                      const float *W, size_t ldw, float beta, float *C, size_t ldc)
{
    const long nb = (long)row_blocks(rows);
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
    for (long b = 0; b < nb; b++) {
        const size_t r0 = (size_t)b * GNN_ROW_BLOCK, nr = rows - r0 < GNN_ROW_BLOCK ? rows - r0 : GNN_ROW_BLOCK;
        p->gemm(false, tw, nr, n, k, X + r0 * ldx, ldx, W, ldw, beta, C + r0 * ldc, ldc);
    }
}

/* G (m x k, ldg) += dY^T X summed over rows (dY rows x m, X rows x k): block b's product
 * into slot b (parallel over blocks), then every entry of G sums the slots in block order
 * (parallel over entries). A fixed-order reduction: no atomics, same bits for any thread
 * count. */
static void reduce_gemm(const sb_gnn_plan *p, size_t rows, size_t m, size_t k, const float *dY, size_t ldy,
                        const float *X, size_t ldx, float *G, size_t ldg)
{
    const size_t nb = row_blocks(rows), mk = m * k;
    if (nb == 0 || mk == 0) return;
    float *part = p->partial;
#ifdef _OPENMP
#pragma omp parallel
#endif
    {
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
        for (long b = 0; b < (long)nb; b++) {
            const size_t r0 = (size_t)b * GNN_ROW_BLOCK, nr = rows - r0 < GNN_ROW_BLOCK ? rows - r0 : GNN_ROW_BLOCK;
            p->gemm(true, false, m, k, nr, dY + r0 * ldy, ldy, X + r0 * ldx, ldx, 0.0f, part + (size_t)b * mk, k);
        }
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
        for (long q = 0; q < (long)mk; q++) {
            float s = part[q];
            for (size_t b = 1; b < nb; b++) s += part[b * mk + (size_t)q];
            G[((size_t)q / k) * ldg + (size_t)q % k] += s;
        }
    }
}

/* Y (rows x out, ld L) = beta Y + X[:, cols] W[:, col0 : col0 + k]^T for layer D. */
static void dense_fwd(const sb_gnn_plan *p, const gnn_dense *D, int col0, int k, size_t rows, const float *X,
                      size_t ldx, float beta, float *Y, size_t ldy)
{
    rows_gemm(p, true, rows, (size_t)D->out, (size_t)k, X, ldx, p->model->params + D->woff + col0, (size_t)D->in,
              beta, Y, ldy);
}

/* dW[:, col0 : col0 + k] += dY^T X */
static void dense_wgrad(const sb_gnn_plan *p, const gnn_dense *D, int col0, int k, size_t rows, const float *dY,
                        size_t ldy, const float *X, size_t ldx)
{
    reduce_gemm(p, rows, (size_t)D->out, (size_t)k, dY, ldy, X, ldx, p->grads + D->woff + col0, (size_t)D->in);
}

/* db += column sums of dY */
static void dense_bgrad(const sb_gnn_plan *p, const gnn_dense *D, size_t rows, const float *dY, size_t ldy)
{
    reduce_gemm(p, rows, (size_t)D->out, 1, dY, ldy, p->ones, 1, p->grads + D->boff, 1);
}

/* dX (rows x k, ld ldx) = beta dX + dY W[:, col0 : col0 + k] */
static void dense_dgrad(const sb_gnn_plan *p, const gnn_dense *D, int col0, int k, size_t rows, const float *dY,
                        size_t ldy, float beta, float *dX, size_t ldx)
{
    rows_gemm(p, false, rows, (size_t)k, (size_t)D->out, dY, ldy, p->model->params + D->woff + col0,
              (size_t)D->in, beta, dX, ldx);
}

/* Y += b row-wise, then ReLU if relu. */
static void bias_act(const sb_gnn_plan *p, const gnn_dense *D, size_t rows, float *Y, bool relu)
{
    const float *b = p->model->params + D->boff;
    const size_t w = (size_t)D->out;
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
    for (size_t r = 0; r < rows; r++) {
        float *y = Y + r * w;
        for (size_t c = 0; c < w; c++) {
            float v = y[c] + b[c];
            y[c] = relu && v < 0.0f ? 0.0f : v;
        }
    }
}

/* dY *= [Y > 0] */
static void relu_bwd(size_t count, const float *Y, float *dY)
{
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
    for (size_t k = 0; k < count; k++)
        if (!(Y[k] > 0.0f)) dY[k] = 0.0f;
}

/* Edge rows += node rows of the receiver (P[i] onto i's edges) and of the sender. */
static void gather_add(const sb_gnn_graph *g, size_t L, const float *Precv, const float *Psend, float *Y)
{
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
    for (size_t i = 0; i < g->n; i++) {
        const float *pr = Precv + i * L;
        for (size_t e = g->offset[i]; e < g->offset[i + 1]; e++) {
            float *y = Y + e * L;
            const float *ps = Psend + (size_t)g->src[e] * L;
            for (size_t c = 0; c < L; c++) y[c] += pr[c] + ps[c];
        }
    }
}

/* Edge rows += scale * node rows of the receiver (backward of the aggregation). */
static void gather_recv_add(const sb_gnn_graph *g, size_t L, float scale, const float *P, float *Y)
{
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
    for (size_t i = 0; i < g->n; i++) {
        const float *pr = P + i * L;
        for (size_t e = g->offset[i]; e < g->offset[i + 1]; e++) {
            float *y = Y + e * L;
            for (size_t c = 0; c < L; c++) y[c] += scale * pr[c];
        }
    }
}

/* S[i] = scale * sum of the edge rows i receives; if Ssend, also Ssend[i] = scale * sum of
 * the rows i sends. */
static void scatter(const sb_gnn_graph *g, size_t L, float scale, const float *Y, float *Srecv, float *Ssend)
{
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
    for (size_t i = 0; i < g->n; i++) {
        float *sr = Srecv + i * L;
        memset(sr, 0, L * sizeof(float));
        for (size_t e = g->offset[i]; e < g->offset[i + 1]; e++) {
            const float *y = Y + e * L;
            for (size_t c = 0; c < L; c++) sr[c] += y[c];
        }
        if (scale != 1.0f)
            for (size_t c = 0; c < L; c++) sr[c] *= scale;
        if (Ssend) {
            float *ss = Ssend + i * L;
            memset(ss, 0, L * sizeof(float));
            for (size_t e = g->offset[i]; e < g->offset[i + 1]; e++) {
                const float *y = Y + (size_t)g->rev[e] * L;
                for (size_t c = 0; c < L; c++) ss[c] += y[c];
            }
            if (scale != 1.0f)
                for (size_t c = 0; c < L; c++) ss[c] *= scale;
        }
    }
}

static void vec_add(size_t count, const float *a, float *y)
{
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
    for (size_t k = 0; k < count; k++) y[k] += a[k];
}

/* ---------------------------------------------------------------- forward */

sb_status sb_gnn_forward(sb_gnn_plan *p, const sb_gnn_graph *g, float *logits, sb_error *err)
{
    const sb_gnn_model *m = p->model;
    if (!g || g->n < 1)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "gnn forward: empty graph");
    if (g->n > p->capn || g->nedges > p->cape)
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "gnn forward: graph of %zu nodes and %zu edges exceeds the plan (%zu, %zu); "
                            "call sb_gnn_plan_reserve",
                            g->n, g->nedges, p->capn, p->cape);
    if (g->nspecies != m->cfg.nspecies || g->edge_dim != m->edge_dim)
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "gnn forward: graph has %d species and %d edge features, the model %d and %d",
                            g->nspecies, g->edge_dim, m->cfg.nspecies, m->edge_dim);
    set_threads(p);
    const size_t N = g->n, E = g->nedges, L = (size_t)m->cfg.latent;
    const int Li = m->cfg.latent, T = m->cfg.steps;
    const float agg = (float)(1.0 / m->cfg.agg_norm);
    const gnn_dense *Ly = m->layer;
    /* encoders */
    dense_fwd(p, &Ly[GNN_ENC_V1], 0, Ly[GNN_ENC_V1].in, N, g->node_feat, (size_t)g->nspecies, 0.0f, p->enc_vh, L);
    bias_act(p, &Ly[GNN_ENC_V1], N, p->enc_vh, true);
    dense_fwd(p, &Ly[GNN_ENC_V2], 0, Li, N, p->enc_vh, L, 0.0f, p->V[0], L);
    bias_act(p, &Ly[GNN_ENC_V2], N, p->V[0], true);
    dense_fwd(p, &Ly[GNN_ENC_E1], 0, Ly[GNN_ENC_E1].in, E, g->edge_feat, (size_t)g->edge_dim, 0.0f, p->enc_eh, L);
    bias_act(p, &Ly[GNN_ENC_E1], E, p->enc_eh, true);
    dense_fwd(p, &Ly[GNN_ENC_E2], 0, Li, E, p->enc_eh, L, 0.0f, p->E[0], L);
    bias_act(p, &Ly[GNN_ENC_E2], E, p->E[0], true);
    /* core, T times with shared weights */
    const gnn_dense *A = &Ly[GNN_CORE_E1], *B = &Ly[GNN_CORE_E2], *C = &Ly[GNN_CORE_V1], *D = &Ly[GNN_CORE_V2];
    for (int t = 0; t < T; t++) {
        float *Ht = p->H[t];
        dense_fwd(p, A, 0, Li, E, p->E[t], L, 0.0f, Ht, L);
        dense_fwd(p, A, Li, Li, E, p->E[0], L, 1.0f, Ht, L);
        dense_fwd(p, A, 2 * Li, Li, N, p->V[t], L, 0.0f, p->PR, L);
        dense_fwd(p, A, 3 * Li, Li, N, p->V[0], L, 1.0f, p->PR, L);
        dense_fwd(p, A, 4 * Li, Li, N, p->V[t], L, 0.0f, p->PS, L);
        dense_fwd(p, A, 5 * Li, Li, N, p->V[0], L, 1.0f, p->PS, L);
        gather_add(g, L, p->PR, p->PS, Ht);
        bias_act(p, A, E, Ht, true);
        dense_fwd(p, B, 0, Li, E, Ht, L, 0.0f, p->E[t + 1], L);
        bias_act(p, B, E, p->E[t + 1], true);
        scatter(g, L, agg, p->E[t + 1], p->AGG[t], NULL);
        dense_fwd(p, C, 0, Li, N, p->V[t], L, 0.0f, p->G[t], L);
        dense_fwd(p, C, Li, Li, N, p->V[0], L, 1.0f, p->G[t], L);
        dense_fwd(p, C, 2 * Li, Li, N, p->AGG[t], L, 1.0f, p->G[t], L);
        bias_act(p, C, N, p->G[t], true);
        dense_fwd(p, D, 0, Li, N, p->G[t], L, 0.0f, p->V[t + 1], L);
        bias_act(p, D, N, p->V[t + 1], true);
    }
    /* decoder */
    dense_fwd(p, &Ly[GNN_DEC1], 0, Li, N, p->V[T], L, 0.0f, p->dec1, L);
    bias_act(p, &Ly[GNN_DEC1], N, p->dec1, true);
    dense_fwd(p, &Ly[GNN_DEC2], 0, Li, N, p->dec1, L, 0.0f, p->dec2, L);
    bias_act(p, &Ly[GNN_DEC2], N, p->dec2, true);
    dense_fwd(p, &Ly[GNN_DEC3], 0, Li, N, p->dec2, L, 0.0f, p->logits, 1);
    bias_act(p, &Ly[GNN_DEC3], N, p->logits, false);
    for (size_t i = 0; i < N; i++)
        if (!isfinite(p->logits[i]))
            return sb_error_set(err, SB_ERR_NUMERIC, "gnn forward: logit of node %zu is not finite", i);
    p->g = g;
    p->have_fwd = true;
    if (logits) memcpy(logits, p->logits, N * sizeof(float));
    return SB_OK;
}

/* ---------------------------------------------------------------- backward */

static void backward_core(sb_gnn_plan *p)
{
    const sb_gnn_model *m = p->model;
    const sb_gnn_graph *g = p->g;
    const size_t N = g->n, E = g->nedges, L = (size_t)m->cfg.latent;
    const int Li = m->cfg.latent, T = m->cfg.steps;
    const float agg = (float)(1.0 / m->cfg.agg_norm);
    const gnn_dense *Ly = m->layer;
    const gnn_dense *A = &Ly[GNN_CORE_E1], *B = &Ly[GNN_CORE_E2], *C = &Ly[GNN_CORE_V1], *D = &Ly[GNN_CORE_V2];
    /* decoder: dV (= dV_T) from dlogits */
    dense_wgrad(p, &Ly[GNN_DEC3], 0, Li, N, p->dlogits, 1, p->dec2, L);
    dense_bgrad(p, &Ly[GNN_DEC3], N, p->dlogits, 1);
    dense_dgrad(p, &Ly[GNN_DEC3], 0, Li, N, p->dlogits, 1, 0.0f, p->dh2, L);
    relu_bwd(N * L, p->dec2, p->dh2);
    dense_wgrad(p, &Ly[GNN_DEC2], 0, Li, N, p->dh2, L, p->dec1, L);
    dense_bgrad(p, &Ly[GNN_DEC2], N, p->dh2, L);
    dense_dgrad(p, &Ly[GNN_DEC2], 0, Li, N, p->dh2, L, 0.0f, p->dh1, L);
    relu_bwd(N * L, p->dec1, p->dh1);
    dense_wgrad(p, &Ly[GNN_DEC1], 0, Li, N, p->dh1, L, p->V[T], L);
    dense_bgrad(p, &Ly[GNN_DEC1], N, p->dh1, L);
    dense_dgrad(p, &Ly[GNN_DEC1], 0, Li, N, p->dh1, L, 0.0f, p->dV, L);
    memset(p->dV0, 0, N * L * sizeof(float));
    memset(p->dE0, 0, E * L * sizeof(float));
    memset(p->dEa, 0, E * L * sizeof(float)); /* dE_T: E_T feeds only the last aggregation */
    for (int t = T - 1; t >= 0; t--) {
        /* node update */
        relu_bwd(N * L, p->V[t + 1], p->dV);
        dense_wgrad(p, D, 0, Li, N, p->dV, L, p->G[t], L);
        dense_bgrad(p, D, N, p->dV, L);
        dense_dgrad(p, D, 0, Li, N, p->dV, L, 0.0f, p->dG, L);
        relu_bwd(N * L, p->G[t], p->dG);
        dense_wgrad(p, C, 0, Li, N, p->dG, L, p->V[t], L);
        dense_wgrad(p, C, Li, Li, N, p->dG, L, p->V[0], L);
        dense_wgrad(p, C, 2 * Li, Li, N, p->dG, L, p->AGG[t], L);
        dense_bgrad(p, C, N, p->dG, L);
        dense_dgrad(p, C, 0, Li, N, p->dG, L, 0.0f, p->dV, L); /* dV now holds dV_t */
        dense_dgrad(p, C, Li, Li, N, p->dG, L, 1.0f, p->dV0, L);
        dense_dgrad(p, C, 2 * Li, Li, N, p->dG, L, 0.0f, p->dAGG, L);
        /* aggregation */
        gather_recv_add(g, L, agg, p->dAGG, p->dEa);
        /* edge update: dEa = dE_{t+1} */
        relu_bwd(E * L, p->E[t + 1], p->dEa);
        dense_wgrad(p, B, 0, Li, E, p->dEa, L, p->H[t], L);
        dense_bgrad(p, B, E, p->dEa, L);
        dense_dgrad(p, B, 0, Li, E, p->dEa, L, 0.0f, p->dEb, L);
        relu_bwd(E * L, p->H[t], p->dEb); /* dEb = dZh */
        dense_wgrad(p, A, 0, Li, E, p->dEb, L, p->E[t], L);
        dense_wgrad(p, A, Li, Li, E, p->dEb, L, p->E[0], L);
        dense_bgrad(p, A, E, p->dEb, L);
        scatter(g, L, 1.0f, p->dEb, p->SR, p->SS);
        dense_wgrad(p, A, 2 * Li, Li, N, p->SR, L, p->V[t], L);
        dense_wgrad(p, A, 3 * Li, Li, N, p->SR, L, p->V[0], L);
        dense_wgrad(p, A, 4 * Li, Li, N, p->SS, L, p->V[t], L);
        dense_wgrad(p, A, 5 * Li, Li, N, p->SS, L, p->V[0], L);
        dense_dgrad(p, A, 2 * Li, Li, N, p->SR, L, 1.0f, p->dV, L);
        dense_dgrad(p, A, 4 * Li, Li, N, p->SS, L, 1.0f, p->dV, L);
        dense_dgrad(p, A, 3 * Li, Li, N, p->SR, L, 1.0f, p->dV0, L);
        dense_dgrad(p, A, 5 * Li, Li, N, p->SS, L, 1.0f, p->dV0, L);
        dense_dgrad(p, A, Li, Li, E, p->dEb, L, 1.0f, p->dE0, L);
        dense_dgrad(p, A, 0, Li, E, p->dEb, L, 0.0f, p->dEa, L); /* dEa = dE_t */
    }
    /* V_0 and E_0 themselves: their direct paths plus the skip totals */
    vec_add(N * L, p->dV, p->dV0);
    vec_add(E * L, p->dEa, p->dE0);
    /* encoders */
    relu_bwd(N * L, p->V[0], p->dV0);
    dense_wgrad(p, &Ly[GNN_ENC_V2], 0, Li, N, p->dV0, L, p->enc_vh, L);
    dense_bgrad(p, &Ly[GNN_ENC_V2], N, p->dV0, L);
    dense_dgrad(p, &Ly[GNN_ENC_V2], 0, Li, N, p->dV0, L, 0.0f, p->dh1, L);
    relu_bwd(N * L, p->enc_vh, p->dh1);
    dense_wgrad(p, &Ly[GNN_ENC_V1], 0, Ly[GNN_ENC_V1].in, N, p->dh1, L, g->node_feat, (size_t)g->nspecies);
    dense_bgrad(p, &Ly[GNN_ENC_V1], N, p->dh1, L);
    relu_bwd(E * L, p->E[0], p->dE0);
    dense_wgrad(p, &Ly[GNN_ENC_E2], 0, Li, E, p->dE0, L, p->enc_eh, L);
    dense_bgrad(p, &Ly[GNN_ENC_E2], E, p->dE0, L);
    dense_dgrad(p, &Ly[GNN_ENC_E2], 0, Li, E, p->dE0, L, 0.0f, p->dEb, L);
    relu_bwd(E * L, p->enc_eh, p->dEb);
    dense_wgrad(p, &Ly[GNN_ENC_E1], 0, Ly[GNN_ENC_E1].in, E, p->dEb, L, g->edge_feat, (size_t)g->edge_dim);
    dense_bgrad(p, &Ly[GNN_ENC_E1], E, p->dEb, L);
    dense_dgrad(p, &Ly[GNN_ENC_E1], 0, Ly[GNN_ENC_E1].in, E, p->dEb, L, 0.0f, p->dEF, (size_t)g->edge_dim);
}

sb_status sb_gnn_backward(sb_gnn_plan *p, const float *dlogits, sb_error *err)
{
    if (!p->have_fwd)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "gnn backward: no forward pass to differentiate");
    memcpy(p->dlogits, dlogits, p->g->n * sizeof(float));
    memset(p->grads, 0, p->model->nparams * sizeof(float));
    set_threads(p);
    backward_core(p);
    return SB_OK;
}

/* ---------------------------------------------------------------- training and inference */

sb_status sb_gnn_train_step(sb_gnn_plan *p, sb_gnn_adam *a, const sb_gnn_graph *g, const float *labels,
                            const unsigned char *mask, float pos_weight, double *loss, sb_error *err)
{
    sb_status st = sb_gnn_forward(p, g, NULL, err);
    if (st != SB_OK) return st;
    size_t count = 0;
    for (size_t i = 0; i < g->n; i++) count += !mask || mask[i];
    if (count == 0) return sb_error_set(err, SB_ERR_INVALID_ARG, "gnn train step: the mask selects no node");
    /* the loss of shearband/nn.h node by node, so that masked nodes drop out of the mean */
    double sum = 0.0;
    for (size_t i = 0; i < g->n; i++) {
        if (mask && !mask[i]) {
            p->dlogits[i] = 0.0f;
            continue;
        }
        double li;
        float di;
        sb_nn_bce_loss(&p->logits[i], &labels[i], 1, pos_weight, &li, &di);
        sum += li;
        p->dlogits[i] = di / (float)count;
    }
    if (!isfinite(sum)) return sb_error_set(err, SB_ERR_NUMERIC, "gnn train step: loss is not finite");
    memset(p->grads, 0, p->model->nparams * sizeof(float));
    set_threads(p);
    backward_core(p);
    sb_gnn_adam_step(a, p->model, p->grads);
    if (loss) *loss = sum / (double)count;
    return SB_OK;
}

sb_status sb_gnn_predict(sb_gnn_plan *p, const sb_gnn_graph *g, float *prob, sb_error *err)
{
    sb_status st = sb_gnn_forward(p, g, NULL, err);
    if (st != SB_OK) return st;
    for (size_t i = 0; i < g->n; i++) {
        float z = p->logits[i];
        prob[i] = z >= 0 ? 1.0f / (1.0f + expf(-z)) : expf(z) / (1.0f + expf(z));
    }
    return SB_OK;
}
