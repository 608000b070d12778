/*
 * test_nn_noalloc.c: "plan, then compute": after a plan is built, forward, backward,
 * train_step (with Adam) and predict must not allocate. This executable interposes
 * malloc/calloc/realloc/aligned_alloc/posix_memalign (forwarding to glibc's __libc_*
 * entry points) and counts calls made while counting is switched on -- including any made
 * inside oneDNN or the OpenMP runtime, since interposition is process-wide.
 *
 * Reference backend: zero allocations. oneDNN backend: zero is not achievable through its
 * C API -- dnnl_primitive_execute builds a small argument map per call (C++ internals), and
 * the x64:gemm:jit inner product allocates its sgemm packing buffer (73,984 bytes, whatever
 * the batch) on every call. So the test demands that no allocation reaches 128 KB, while
 * the convolution activations of this batch-64 plan are 256-512 KB: such a tensor, or a
 * workspace or scratchpad of that size, allocated during compute would fail it.
 */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/nn.h"

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

static void check_backend(const char *backend, const char *arch)
{
    sb_nn_model *m;
    sb_nn_plan *p;
    sb_nn_adam *a;
    sb_error err;
    cr_assert_eq(sb_nn_model_create_from_string((sb_nn_shape){2, 1, 16, 16}, arch, &m, &err), SB_OK, "%s", err.msg);
    sb_nn_model_init(m, 1);
    sb_nn_plan_options o = sb_nn_plan_options_default();
    o.backend = backend;
    o.threads = 1;
    o.need_input_grad = true;
    cr_assert_eq(sb_nn_plan_create(m, 64, &o, &p, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(sb_nn_adam_create(m, NULL, &a, &err), SB_OK);
    float *x = calloc(64 * 512, sizeof(float)), y[64], prob[64];
    for (int i = 0; i < 64 * 512; i++) x[i] = (float)(i % 7) * 0.1f;
    for (int i = 0; i < 64; i++) y[i] = (float)(i % 4 == 0);
    /* warm up once (first executions may set up thread pools) */
    cr_assert_eq(sb_nn_train_step(p, a, x, y, 64, 3.0f, NULL, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(sb_nn_predict(p, x, 64, prob, &err), SB_OK, "%s", err.msg);
    sb_status st[8];
    int k = 0;
    atomic_store(&calls, 0);
    atomic_store(&largest, 0);
    atomic_store(&counting, 1);
    for (int it = 0; it < 3; it++) st[k++ % 8] = sb_nn_train_step(p, a, x, y, 64, 3.0f, NULL, &err);
    st[k++ % 8] = sb_nn_forward(p, x, 50, true, NULL, &err);
    st[k++ % 8] = sb_nn_backward(p, y, &err);
    sb_nn_adam_step(a, m, sb_nn_plan_grads(p));
    st[k++ % 8] = sb_nn_predict(p, x, 5, prob, &err);
    atomic_store(&counting, 0);
    for (int i = 0; i < k && i < 8; i++) cr_assert_eq(st[i], SB_OK, "%s", err.msg);
    int n = atomic_load(&calls);
    size_t big = atomic_load(&largest);
    cr_log_info("%s backend: %d allocation calls during 6 passes, largest %zu bytes", backend, n, big);
    if (strcmp(backend, "reference") == 0)
        cr_expect_eq(n, 0, "reference backend: %d allocations during compute", n);
    else /* oneDNN's primitive execute builds a small argument map per call (C++ internals) */
        cr_expect_lt(big, 128 * 1024, "%s backend: a %zu-byte allocation during compute", backend, big);
    free(x);
    sb_nn_adam_free(a);
    sb_nn_plan_free(p);
    sb_nn_model_free(m);
}

static const char *ARCH = "conv4k3,relu,pool,conv8k3,relu,pool,dense16,relu,dropout0.5,dense1";

Test(nn_noalloc, reference_backend_does_not_allocate) { check_backend("reference", ARCH); }

Test(nn_noalloc, default_backend_allocates_no_buffers) { check_backend(sb_nn_default_backend(), ARCH); }
