/*
 * test_gnn_grad.c: the GNN's hand-written backward pass against central finite
 * differences, and the BLAS backend against the plain reference.
 *
 * Gradients. A small model (L = 8, T = 2 and T = 3 steps, cutoff 3.6 A, both edge-feature
 * variants) on a 24-atom random glass in a tilted cell; the loss is a fixed random linear
 * functional of the logits, sum_i c_i z_i, so dL/dz = c exactly. For every one of the 11
 * dense layers, 24 parameters (12 weights, 12 biases) are perturbed by +-h (h = 1e-3) with
 * the reference backend, whose gemm accumulates in double. Entries whose perturbation
 * crosses a ReLU kink, or whose difference drowns in float32 rounding (one-sided slopes
 * differ by > 5 %), are skipped; at least half must remain. The normalised error
 * ||g_fd - g|| / ||g|| over the layer's sampled entries must be below 5e-2 (measured
 * 1e-5..3e-2: float32 forward passes and kinks crossed by hundreds of edge units set this
 * scale; smaller h gives more rounding noise, larger h more kinks); a wrong
 * index or a missing term gives O(1)). The edge-feature gradient is checked the same way.
 * The whole network under the real loss (weighted BCE of nn.h) is checked by a directional
 * derivative along a random direction of all parameters.
 * Backends: gemm in all four transposition cases, and full forward + backward, BLAS vs
 * reference: normalised error below 1e-5 (logits) and 1e-4 (gradients).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/gnn_internal.h"
#include "nn_testutil.h"
#include "sbtest.h"
#include "shearband/gnn.h"
#include "shearband/nn.h"

typedef struct fixture {
    sb_cell cell;
    double *x;
    int *type;
    size_t n;
    sb_gnn_config cfg;
    sb_gnn_graph g;
    sb_gnn_model *m;
} fixture;

static void setup(fixture *f, size_t n, int steps, bool edge_length, uint64_t seed)
{
    sbtest_rng rng;
    sbtest_rng_seed(&rng, seed);
    const double k = cbrt((double)n / 24.0); /* ~0.07 atoms per A^3 */
    const double lo[3] = {0, 0, 0}, hi[3] = {7.5 * k, 7.0 * k, 6.5 * k};
    cr_assert_eq(sb_cell_set(&f->cell, lo, hi, 1.2 * k, -0.7 * k, 0.5 * k, NULL), SB_OK);
    f->n = n;
    f->x = malloc(3 * n * sizeof *f->x);
    f->type = malloc(n * sizeof *f->type);
    cr_assert_eq(sbtest_random_glass(&rng, &f->cell, n, 1.9, f->x, f->type), 0);
    f->cfg = sb_gnn_config_default();
    f->cfg.latent = 8;
    f->cfg.steps = steps;
    f->cfg.cutoff = 3.6;
    f->cfg.edge_length = edge_length;
    f->cfg.agg_norm = 3.0; /* not 1, so that a missing factor shows */
    sb_gnn_graph g0 = SB_GNN_GRAPH_INIT;
    f->g = g0;
    sb_error err;
    cr_assert_eq(sb_gnn_graph_build(&f->g, &f->cfg, &f->cell, f->x, f->type, n, NULL, &err), SB_OK, "%s", err.msg);
    cr_assert_gt(f->g.nedges, 4 * n, "too few edges (%zu) for a meaningful test", f->g.nedges);
    cr_assert_eq(sb_gnn_model_create(&f->cfg, &f->m, &err), SB_OK, "%s", err.msg);
    sb_gnn_model_init(f->m, seed + 1);
    /* non-zero biases so that their gradients and the ReLU masks are generic */
    uint64_t s = seed + 2;
    for (int i = 0; i < SB_GNN_NUM_LAYERS; i++) {
        const gnn_dense *D = &f->m->layer[i];
        nn_test_fill_uniform(f->m->params + D->boff, (size_t)D->out, -0.1f, 0.1f, &s);
    }
}

static void teardown(fixture *f)
{
    sb_gnn_model_free(f->m);
    sb_gnn_graph_free(&f->g);
    free(f->x);
    free(f->type);
}

static double linear_loss(sb_gnn_plan *p, const sb_gnn_graph *g, const float *c, float *z)
{
    sb_error err;
    cr_assert_eq(sb_gnn_forward(p, g, z, &err), SB_OK, "%s", err.msg);
    double l = 0;
    for (size_t i = 0; i < g->n; i++) l += (double)c[i] * z[i];
    return l;
}

/* The perturbation crossed a ReLU kink when the two one-sided slopes disagree by more than
 * 5 % (plus float noise): central differences are meaningless there, the entry is skipped. */
static bool kink(double l0, double lp, double lm)
{
    const double a = lp - l0, b = l0 - lm;
    return fabs(a - b) > 0.05 * fmax(fabs(a), fabs(b)) + 1e-6 * (1.0 + fabs(l0));
}

static void check_gradients(int steps, bool edge_length, uint64_t seed)
{
    fixture f;
    setup(&f, 24, steps, edge_length, seed);
    sb_gnn_plan_options o = sb_gnn_plan_options_default();
    o.backend = "reference";
    sb_gnn_plan *p;
    sb_error err;
    cr_assert_eq(sb_gnn_plan_create(f.m, f.g.n, f.g.nedges, &o, &p, &err), SB_OK, "%s", err.msg);
    float *c = malloc(f.n * sizeof *c), *z = malloc(f.n * sizeof *z);
    uint64_t s = seed + 3;
    nn_test_fill_uniform(c, f.n, -1.0f, 1.0f, &s);
    linear_loss(p, &f.g, c, z);
    cr_assert_eq(sb_gnn_backward(p, c, &err), SB_OK, "%s", err.msg);
    const size_t np = sb_gnn_model_num_params(f.m);
    float *g = malloc(np * sizeof *g);
    memcpy(g, sb_gnn_plan_grads(p), np * sizeof *g);
    const size_t nef = f.g.nedges * (size_t)f.g.edge_dim;
    float *gef = malloc(nef * sizeof *gef);
    memcpy(gef, sb_gnn_plan_edge_feat_grad(p), nef * sizeof *gef);
    float *w = sb_gnn_model_params(f.m);
    const float h = 1e-3f;
    for (int li = 0; li < SB_GNN_NUM_LAYERS; li++) {
        const gnn_dense *D = &f.m->layer[li];
        const size_t nw = (size_t)D->in * (size_t)D->out;
        enum { NS = 24 };
        float fd[NS], an[NS];
        int k = 0, skipped = 0;
        sbtest_rng pick;
        sbtest_rng_seed(&pick, s + (uint64_t)li);
        for (int q = 0; q < NS; q++) {
            /* half from the weights, half from the bias */
            const size_t idx = q % 2 == 0 ? D->woff + (size_t)sbtest_rng_below(&pick, nw)
                                          : D->boff + (size_t)(q / 2) % (size_t)D->out;
            const float w0 = w[idx];
            double l0 = linear_loss(p, &f.g, c, z);
            w[idx] = w0 + h;
            double lp = linear_loss(p, &f.g, c, z);
            w[idx] = w0 - h;
            double lm = linear_loss(p, &f.g, c, z);
            w[idx] = w0;
            if (kink(l0, lp, lm)) {
                skipped++;
                continue;
            }
            fd[k] = (float)((lp - lm) / (2.0 * h));
            an[k] = g[idx];
            k++;
        }
        double e = nn_test_nerr(an, fd, (size_t)k);
        cr_log_info("T %d |d| %d layer %s: normalised error %.2e (%d kinks skipped)", steps, edge_length,
                    sb_gnn_model_layer(f.m, li, NULL, NULL, NULL), e, skipped);
        cr_expect_leq(skipped, NS / 2, "layer %d: too many kinks", li);
        cr_expect_lt(e, 5e-2, "T %d layer %s: normalised error %g", steps,
                     sb_gnn_model_layer(f.m, li, NULL, NULL, NULL), e);
    }
    /* edge features: perturb a few entries of the graph's features */
    {
        enum { NS = 24 };
        float fd[NS], an[NS];
        int k = 0, skipped = 0;
        for (int q = 0; q < NS; q++) {
            size_t idx = (size_t)(q * 7919) % nef;
            const float v0 = f.g.edge_feat[idx];
            const double l0 = linear_loss(p, &f.g, c, z);
            f.g.edge_feat[idx] = v0 + h;
            double lp = linear_loss(p, &f.g, c, z);
            f.g.edge_feat[idx] = v0 - h;
            double lm = linear_loss(p, &f.g, c, z);
            f.g.edge_feat[idx] = v0;
            if (kink(l0, lp, lm)) {
                skipped++;
                continue;
            }
            fd[k] = (float)((lp - lm) / (2.0 * h));
            an[k] = gef[idx];
            k++;
        }
        cr_expect_leq(skipped, NS / 2, "edge features: too many kinks");
        double e = nn_test_nerr(an, fd, (size_t)k);
        cr_log_info("T %d edge features: normalised error %.2e", steps, e);
        cr_expect_lt(e, 5e-2, "edge-feature gradient: normalised error %g", e);
    }
    free(g);
    free(gef);
    free(c);
    free(z);
    sb_gnn_plan_free(p);
    teardown(&f);
}

Test(gnn_grad, every_layer_two_steps) { check_gradients(2, true, 11); }
Test(gnn_grad, every_layer_three_steps_no_length) { check_gradients(3, false, 12); }

static double bce(sb_gnn_plan *p, const sb_gnn_graph *g, const float *y, float w, float *z)
{
    sb_error err;
    cr_assert_eq(sb_gnn_forward(p, g, z, &err), SB_OK, "%s", err.msg);
    double l;
    sb_nn_bce_loss(z, y, (int)g->n, w, &l, NULL);
    return l;
}

/* The whole network under the weighted BCE: directional derivative along random u. */
Test(gnn_grad, whole_network_directional_derivative)
{
    fixture f;
    setup(&f, 30, 7, true, 21);
    sb_gnn_plan_options o = sb_gnn_plan_options_default();
    o.backend = "reference";
    sb_gnn_plan *p;
    sb_gnn_adam *a;
    sb_error err;
    cr_assert_eq(sb_gnn_plan_create(f.m, f.g.n, f.g.nedges, &o, &p, &err), SB_OK, "%s", err.msg);
    float *y = malloc(f.n * sizeof *y), *z = malloc(f.n * sizeof *z), *dz = malloc(f.n * sizeof *dz);
    for (size_t i = 0; i < f.n; i++) y[i] = (float)(i % 3 == 0);
    const float pw = 2.0f;
    double l0 = bce(p, &f.g, y, pw, z);
    sb_nn_bce_loss(z, y, (int)f.n, pw, &l0, dz);
    cr_assert_eq(sb_gnn_backward(p, dz, &err), SB_OK);
    const size_t np = sb_gnn_model_num_params(f.m);
    float *u = malloc(np * sizeof *u), *w0 = malloc(np * sizeof *w0), *w = sb_gnn_model_params(f.m);
    uint64_t s = 5;
    nn_test_fill_uniform(u, np, -1.0f, 1.0f, &s);
    double an = 0, un = 0;
    for (size_t k = 0; k < np; k++) {
        an += (double)u[k] * sb_gnn_plan_grads(p)[k];
        un += (double)u[k] * u[k];
    }
    memcpy(w0, w, np * sizeof *w);
    const double h = 1e-3 / sqrt(un);
    for (size_t k = 0; k < np; k++) w[k] = (float)(w0[k] + h * u[k]);
    double lp = bce(p, &f.g, y, pw, z);
    for (size_t k = 0; k < np; k++) w[k] = (float)(w0[k] - h * u[k]);
    double lm = bce(p, &f.g, y, pw, z);
    memcpy(w, w0, np * sizeof *w);
    double fd = (lp - lm) / (2 * h);
    cr_log_info("whole network: analytic %.6e, finite difference %.6e", an, fd);
    cr_expect_lt(fabs(fd - an) / fabs(an), 2e-2, "directional derivative %g vs analytic %g", fd, an);
    /* and train_step's loss is the same loss with the same gradient (mask = all) */
    cr_assert_eq(sb_gnn_adam_create(f.m, NULL, &a, &err), SB_OK);
    double lt;
    float *gsave = malloc(np * sizeof *gsave);
    memcpy(gsave, sb_gnn_plan_grads(p), np * sizeof *gsave);
    cr_assert_eq(sb_gnn_train_step(p, a, &f.g, y, NULL, pw, &lt, &err), SB_OK, "%s", err.msg);
    cr_expect_lt(fabs(lt - l0), 1e-6 * fabs(l0));
    cr_expect_lt(nn_test_nerr(sb_gnn_plan_grads(p), gsave, np), 1e-6);
    free(gsave);
    sb_gnn_adam_free(a);
    free(u);
    free(w0);
    free(y);
    free(z);
    free(dz);
    sb_gnn_plan_free(p);
    teardown(&f);
}

Test(gnn_backend, gemm_blas_matches_reference_all_transpositions)
{
    const size_t M = 37, N = 19, K = 45;
    uint64_t s = 3;
    float *A = malloc(M * K * sizeof *A), *B = malloc(K * N * sizeof *B), *C0 = malloc(M * N * sizeof *C0);
    float *C1 = malloc(M * N * sizeof *C1), *C2 = malloc(M * N * sizeof *C2);
    nn_test_fill_uniform(A, M * K, -1, 1, &s);
    nn_test_fill_uniform(B, K * N, -1, 1, &s);
    nn_test_fill_uniform(C0, M * N, -1, 1, &s);
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
            for (int beta = 0; beta < 2; beta++) {
                memcpy(C1, C0, M * N * sizeof *C1);
                memcpy(C2, C0, M * N * sizeof *C2);
                size_t lda = ta ? M : K, ldb = tb ? K : N;
                gnn_gemm_blas(ta, tb, M, N, K, A, lda, B, ldb, (float)beta, C1, N);
                gnn_gemm_ref(ta, tb, M, N, K, A, lda, B, ldb, (float)beta, C2, N);
                double e = nn_test_nerr(C1, C2, M * N);
                cr_expect_lt(e, 1e-6, "ta %d tb %d beta %d: %g", ta, tb, beta, e);
                /* and the reference against a direct sum for one entry */
                double d = beta ? C0[5 * N + 7] : 0;
                for (size_t k = 0; k < K; k++)
                    d += (double)(ta ? A[k * M + 5] : A[5 * K + k]) * (tb ? B[7 * K + k] : B[k * N + 7]);
                cr_expect_lt(fabs(C2[5 * N + 7] - d), 1e-5);
            }
    free(A);
    free(B);
    free(C0);
    free(C1);
    free(C2);
}

Test(gnn_backend, blas_forward_backward_match_reference)
{
    fixture f;
    setup(&f, 40, 7, true, 31);
    sb_gnn_model_free(f.m);
    f.cfg.latent = 32;
    cr_assert_eq(sb_gnn_model_create(&f.cfg, &f.m, NULL), SB_OK);
    sb_gnn_model_init(f.m, 4);
    sb_gnn_plan *pb, *pr;
    sb_gnn_plan_options o = sb_gnn_plan_options_default();
    sb_error err;
    cr_assert_eq(sb_gnn_plan_create(f.m, f.g.n, f.g.nedges, &o, &pb, &err), SB_OK, "%s", err.msg);
    cr_assert_str_eq(sb_gnn_plan_backend(pb), "blas");
    o.backend = "reference";
    cr_assert_eq(sb_gnn_plan_create(f.m, f.g.n, f.g.nedges, &o, &pr, &err), SB_OK, "%s", err.msg);
    float *zb = malloc(f.n * sizeof *zb), *zr = malloc(f.n * sizeof *zr), *c = malloc(f.n * sizeof *c);
    uint64_t s = 8;
    nn_test_fill_uniform(c, f.n, -1, 1, &s);
    cr_assert_eq(sb_gnn_forward(pb, &f.g, zb, &err), SB_OK);
    cr_assert_eq(sb_gnn_forward(pr, &f.g, zr, &err), SB_OK);
    double ez = nn_test_nerr(zb, zr, f.n);
    cr_assert_eq(sb_gnn_backward(pb, c, &err), SB_OK);
    cr_assert_eq(sb_gnn_backward(pr, c, &err), SB_OK);
    size_t np = sb_gnn_model_num_params(f.m);
    double eg = nn_test_nerr(sb_gnn_plan_grads(pb), sb_gnn_plan_grads(pr), np);
    cr_log_info("blas vs reference: logits %.2e, gradients %.2e", ez, eg);
    cr_expect_lt(ez, 1e-5, "logits: %g", ez);
    cr_expect_lt(eg, 1e-4, "gradients: %g", eg);
    /* unknown backend and a graph larger than the plan are clear errors */
    sb_gnn_plan *bad;
    o.backend = "cuda";
    cr_expect_eq(sb_gnn_plan_create(f.m, 10, 10, &o, &bad, &err), SB_ERR_UNSUPPORTED);
    o.backend = NULL;
    cr_assert_eq(sb_gnn_plan_create(f.m, 10, 10, &o, &bad, &err), SB_OK);
    cr_expect_eq(sb_gnn_forward(bad, &f.g, zb, &err), SB_ERR_INVALID_ARG);
    cr_expect(strstr(err.msg, "reserve") != NULL, "%s", err.msg);
    cr_assert_eq(sb_gnn_plan_reserve(bad, f.g.n, f.g.nedges, &err), SB_OK);
    cr_assert_eq(sb_gnn_forward(bad, &f.g, zr, &err), SB_OK);
    cr_expect_eq(memcmp(zr, zb, f.n * sizeof *zb), 0, "reserve changed the result");
    sb_gnn_plan_free(bad);
    free(zb);
    free(zr);
    free(c);
    sb_gnn_plan_free(pb);
    sb_gnn_plan_free(pr);
    teardown(&f);
}

/* Threads own destination rows and every sum runs in a fixed order, so with the reference
 * gemm (also row-owned) 1 and 2 threads give bit-identical logits and gradients. */
Test(gnn_backend, reference_results_do_not_depend_on_thread_count)
{
    fixture f;
    setup(&f, 40, 3, true, 41);
    const size_t np = sb_gnn_model_num_params(f.m);
    float *z[2], *g[2];
    float *c = malloc(f.n * sizeof *c);
    uint64_t s = 9;
    nn_test_fill_uniform(c, f.n, -1, 1, &s);
    for (int t = 0; t < 2; t++) {
        sb_gnn_plan_options o = sb_gnn_plan_options_default();
        o.backend = "reference";
        o.threads = t + 1;
        sb_gnn_plan *p;
        sb_error err;
        cr_assert_eq(sb_gnn_plan_create(f.m, f.g.n, f.g.nedges, &o, &p, &err), SB_OK, "%s", err.msg);
        z[t] = malloc(f.n * sizeof *z[t]);
        g[t] = malloc(np * sizeof *g[t]);
        cr_assert_eq(sb_gnn_forward(p, &f.g, z[t], &err), SB_OK);
        cr_assert_eq(sb_gnn_backward(p, c, &err), SB_OK);
        memcpy(g[t], sb_gnn_plan_grads(p), np * sizeof *g[t]);
        sb_gnn_plan_free(p);
    }
    cr_expect_eq(memcmp(z[0], z[1], f.n * sizeof *z[0]), 0, "logits differ between 1 and 2 threads");
    cr_expect_eq(memcmp(g[0], g[1], np * sizeof *g[0]), 0, "gradients differ between 1 and 2 threads");
    for (int t = 0; t < 2; t++) {
        free(z[t]);
        free(g[t]);
    }
    free(c);
    teardown(&f);
}
