/*
 * test_gnn_noalloc.c: "plan, then compute" for the GNN: after the plan is built, forward,
 * backward, train_step (with Adam) and predict must not allocate, for both backends
 * (OpenBLAS sgemm included: it works in buffers it set up at its first call, hence the
 * warm-up step). malloc and friends are interposed process-wide, as in test_nn_noalloc.c.
 * The graph build is outside the hot path (it reuses its storage but may grow it).
 */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "sbtest.h"
#include "shearband/gnn.h"

void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void *__libc_memalign(size_t, size_t);
void __libc_free(void *);

static atomic_int counting, calls;
static atomic_size_t largest; /* bytes of the largest counted request */

static void count(size_t n)
{
    if (!atomic_load(&counting)) return;
    atomic_fetch_add(&calls, 1);
    size_t cur = atomic_load(&largest);
    while (n > cur && !atomic_compare_exchange_weak(&largest, &cur, n)) {
    }
}

void *malloc(size_t n)
{
    count(n);
    return __libc_malloc(n);
}
void *calloc(size_t a, size_t b)
{
    count(a * b);
    return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n)
{
    count(n);
    return __libc_realloc(p, n);
}
void *aligned_alloc(size_t al, size_t n)
{
    count(n);
    return __libc_memalign(al, n);
}
int posix_memalign(void **p, size_t al, size_t n);
int posix_memalign(void **p, size_t al, size_t n)
{
    count(n);
    *p = __libc_memalign(al, n);
    return *p ? 0 : 12;
}
void free(void *p) { __libc_free(p); }


static void check_backend(const char *backend)
{
    sbtest_rng rng;
    sbtest_rng_seed(&rng, 1);
    sb_cell cell;
    cr_assert_eq(sb_cell_set_ortho(&cell, 12, 12, 12, NULL), SB_OK);
    enum { N = 100 };
    double *x = __libc_malloc(3 * N * sizeof *x);
    int type[N];
    cr_assert_eq(sbtest_random_glass(&rng, &cell, N, 2.0, x, type), 0);
    sb_gnn_config c = sb_gnn_config_default();
    c.latent = 16;
    c.steps = 3;
    c.cutoff = 4.0;
    sb_gnn_graph g = SB_GNN_GRAPH_INIT;
    sb_gnn_model *m;
    sb_gnn_plan *p;
    sb_gnn_adam *a;
    sb_error err;
    cr_assert_eq(sb_gnn_graph_build(&g, &c, &cell, x, type, N, NULL, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(sb_gnn_model_create(&c, &m, &err), SB_OK);
    sb_gnn_model_init(m, 1);
    sb_gnn_plan_options o = sb_gnn_plan_options_default();
    o.backend = backend;
    o.threads = 1;
    cr_assert_eq(sb_gnn_plan_create(m, g.n, g.nedges, &o, &p, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(sb_gnn_adam_create(m, NULL, &a, &err), SB_OK);
    float y[N], prob[N];
    unsigned char mask[N];
    for (int i = 0; i < N; i++) {
        y[i] = (float)(i % 4 == 0);
        mask[i] = i % 3 != 0;
    }
    cr_assert_eq(sb_gnn_train_step(p, a, &g, y, NULL, 3.0f, NULL, &err), SB_OK, "%s", err.msg); /* warm-up */
    sb_status st[8];
    int k = 0;
    atomic_store(&calls, 0);
    atomic_store(&largest, 0);
    atomic_store(&counting, 1);
    for (int it = 0; it < 2; it++) st[k++] = sb_gnn_train_step(p, a, &g, y, it ? mask : NULL, 3.0f, NULL, &err);
    st[k++] = sb_gnn_forward(p, &g, NULL, &err);
    st[k++] = sb_gnn_backward(p, y, &err);
    sb_gnn_adam_step(a, m, sb_gnn_plan_grads(p));
    st[k++] = sb_gnn_predict(p, &g, prob, &err);
    atomic_store(&counting, 0);
    for (int i = 0; i < k; i++) cr_assert_eq(st[i], SB_OK, "%s", err.msg);
    int n = atomic_load(&calls);
    cr_log_info("%s backend: %d allocation calls during 5 passes, largest %zu bytes", backend, n,
                (size_t)atomic_load(&largest));
    cr_expect_eq(n, 0, "%s backend: %d allocations during compute", backend, n);
    sb_gnn_adam_free(a);
    sb_gnn_plan_free(p);
    sb_gnn_model_free(m);
    sb_gnn_graph_free(&g);
    __libc_free(x);
}

Test(gnn_noalloc, reference_backend_does_not_allocate) { check_backend("reference"); }
Test(gnn_noalloc, blas_backend_does_not_allocate) { check_backend("blas"); }
