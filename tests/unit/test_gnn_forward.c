/*
 * test_gnn_forward.c: the GNN forward pass against a direct transcription of the
 * architecture stated in shearband/gnn.h.
 *
 * The library never builds the per-edge input of the core's edge MLP: it applies the v_i
 * and v_j column blocks of core_e1 once per node and gathers the products onto the edges,
 * splits every concatenation into column-block gemms, and runs the gemms on fixed row
 * blocks (src/nn/gnn_plan.c). The oracle here does none of that: for every edge it
 * concatenates [e, e0, v_i, v0_i, v_j, v0_j] into one vector and multiplies it by the full
 * 6L-wide weight rows, for every node [v, v0, agg] likewise, in double precision, straight
 * from the formulas:
 *     v0 = MLP_v(onehot), e0 = MLP_e(edge features); T times:
 *     e' = MLP_E([e, e0, v_i, v0_i, v_j, v0_j]); agg_i = sum_{e into i} e' / agg_norm;
 *     v' = MLP_V([v, v0, agg]); then z = MLP_D(v_T), ReLU after every layer but the last.
 * The gradient tests (test_gnn_grad.c) check that backward matches forward; this one checks
 * that forward is the network the header describes. A wrong column block, a receiver and
 * sender swapped, a missing skip connection or a wrong agg_norm each give O(1) errors;
 * float32 rounding gives ~1e-7. The graph (a tilted cell, ~2,000 edges) spans more than
 * one row block of the gemms.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn_testutil.h"
#include "sbtest.h"
#include "shearband/gnn.h"

enum { NATOMS = 150 };

/* y[out] = W x + b for dense layer li, then ReLU if relu */
static void dense(const sb_gnn_model *m, int li, const double *x, double *y, bool relu)
{
    size_t off;
    int in, out;
    sb_gnn_model_layer(m, li, &off, &in, &out);
    const float *w = sb_gnn_model_params_const(m) + off, *b = w + (size_t)in * (size_t)out;
    for (int o = 0; o < out; o++) {
        double s = b[o];
        for (int k = 0; k < in; k++) s += (double)w[(size_t)o * (size_t)in + (size_t)k] * x[k];
        y[o] = relu && s < 0 ? 0 : s;
    }
}

/* Layer indices in the order of shearband/gnn.h. */
enum { ENC_V1, ENC_V2, ENC_E1, ENC_E2, CORE_E1, CORE_E2, CORE_V1, CORE_V2, DEC1, DEC2, DEC3 };

static void oracle_forward(const sb_gnn_model *m, const sb_gnn_graph *g, double *z)
{
    const sb_gnn_config c = sb_gnn_model_config(m);
    const size_t L = (size_t)c.latent, N = g->n, E = g->nedges;
    double *v0 = calloc(N * L, sizeof *v0), *v = calloc(N * L, sizeof *v), *vn = calloc(N * L, sizeof *vn);
    double *e0 = calloc(E * L, sizeof *e0), *e = calloc(E * L, sizeof *e), *en = calloc(E * L, sizeof *en);
    double *in = calloc(6 * L + 8, sizeof *in), *h = calloc(L, sizeof *h), *h2 = calloc(L, sizeof *h2);
    for (size_t i = 0; i < N; i++) {
        for (int k = 0; k < g->nspecies; k++) in[k] = g->node_feat[i * (size_t)g->nspecies + (size_t)k];
        dense(m, ENC_V1, in, h, true);
        dense(m, ENC_V2, h, v0 + i * L, true);
    }
    for (size_t q = 0; q < E; q++) {
        for (int k = 0; k < g->edge_dim; k++) in[k] = g->edge_feat[q * (size_t)g->edge_dim + (size_t)k];
        dense(m, ENC_E1, in, h, true);
        dense(m, ENC_E2, h, e0 + q * L, true);
    }
    memcpy(v, v0, N * L * sizeof *v);
    memcpy(e, e0, E * L * sizeof *e);
    for (int t = 0; t < c.steps; t++) {
        for (size_t i = 0; i < N; i++)
            for (size_t q = g->offset[i]; q < g->offset[i + 1]; q++) {
                const size_t j = g->src[q]; /* edge q carries j -> i */
                const double *parts[6] = {e + q * L, e0 + q * L, v + i * L, v0 + i * L, v + j * L, v0 + j * L};
                for (int b = 0; b < 6; b++) memcpy(in + (size_t)b * L, parts[b], L * sizeof *in);
                dense(m, CORE_E1, in, h, true);
                dense(m, CORE_E2, h, en + q * L, true);
            }
        for (size_t i = 0; i < N; i++) {
            double *agg = in + 2 * L;
            memcpy(in, v + i * L, L * sizeof *in);
            memcpy(in + L, v0 + i * L, L * sizeof *in);
            memset(agg, 0, L * sizeof *agg);
            for (size_t q = g->offset[i]; q < g->offset[i + 1]; q++)
                for (size_t k = 0; k < L; k++) agg[k] += en[q * L + k];
            for (size_t k = 0; k < L; k++) agg[k] /= c.agg_norm;
            dense(m, CORE_V1, in, h, true);
            dense(m, CORE_V2, h, vn + i * L, true);
        }
        memcpy(v, vn, N * L * sizeof *v);
        memcpy(e, en, E * L * sizeof *e);
    }
    for (size_t i = 0; i < N; i++) {
        dense(m, DEC1, v + i * L, h, true);
        dense(m, DEC2, h, h2, true);
        dense(m, DEC3, h2, z + i, false);
    }
    free(v0);
    free(v);
    free(vn);
    free(e0);
    free(e);
    free(en);
    free(in);
    free(h);
    free(h2);
}

static void check(int steps, bool edge_length, const char *backend, uint64_t seed)
{
    sbtest_rng rng;
    sbtest_rng_seed(&rng, seed);
    const double k = cbrt((double)NATOMS / 24.0); /* ~0.07 atoms per A^3 */
    const double lo[3] = {0, 0, 0}, hi[3] = {7.5 * k, 7.0 * k, 6.5 * k};
    sb_cell cell;
    cr_assert_eq(sb_cell_set(&cell, lo, hi, 1.2 * k, -0.7 * k, 0.5 * k, NULL), SB_OK);
    double *x = malloc(3 * NATOMS * sizeof *x);
    int *type = malloc(NATOMS * sizeof *type);
    cr_assert_eq(sbtest_random_glass(&rng, &cell, NATOMS, 1.9, x, type), 0);
    sb_gnn_config c = sb_gnn_config_default();
    c.latent = 8;
    c.steps = steps;
    c.cutoff = 3.6;
    c.edge_length = edge_length;
    c.agg_norm = 7.0; /* not 1, so that a missing factor shows */
    sb_gnn_graph g = SB_GNN_GRAPH_INIT;
    sb_error err;
    cr_assert_eq(sb_gnn_graph_build(&g, &c, &cell, x, type, NATOMS, NULL, &err), SB_OK, "%s", err.msg);
    cr_assert_gt(g.nedges, 1500, "%zu edges: too few to span two row blocks", g.nedges);
    sb_gnn_model *m;
    cr_assert_eq(sb_gnn_model_create(&c, &m, &err), SB_OK, "%s", err.msg);
    sb_gnn_model_init(m, seed + 1);
    /* generic biases (init sets them to zero) */
    uint64_t s = seed + 2;
    for (int i = 0; i < SB_GNN_NUM_LAYERS; i++) {
        size_t off;
        int in, out;
        sb_gnn_model_layer(m, i, &off, &in, &out);
        nn_test_fill_uniform(sb_gnn_model_params(m) + off + (size_t)in * (size_t)out, (size_t)out, -0.1f, 0.1f, &s);
    }
    sb_gnn_plan_options o = sb_gnn_plan_options_default();
    o.backend = backend;
    sb_gnn_plan *p;
    cr_assert_eq(sb_gnn_plan_create(m, g.n, g.nedges, &o, &p, &err), SB_OK, "%s", err.msg);
    float *z = malloc(NATOMS * sizeof *z), *zo = malloc(NATOMS * sizeof *zo);
    double *zd = malloc(NATOMS * sizeof *zd);
    cr_assert_eq(sb_gnn_forward(p, &g, z, &err), SB_OK, "%s", err.msg);
    oracle_forward(m, &g, zd);
    double spread = 0;
    for (size_t i = 0; i < NATOMS; i++) {
        zo[i] = (float)zd[i];
        spread += fabs(zd[i] - zd[0]);
    }
    cr_assert_gt(spread, 1e-3 * NATOMS, "the logits hardly vary: the test would be blind");
    double e = nn_test_nerr(z, zo, NATOMS);
    cr_log_info("T %d, edge length %d, %s backend, %zu edges: normalised error %.2g", steps, edge_length, backend,
                g.nedges, e);
    cr_expect_lt(e, 1e-5, "T %d, edge length %d, %s backend: forward differs from the architecture by %.3g",
                 steps, edge_length, backend, e);
    free(z);
    free(zo);
    free(zd);
    sb_gnn_plan_free(p);
    sb_gnn_model_free(m);
    sb_gnn_graph_free(&g);
    free(x);
    free(type);
}

Test(gnn_forward, encoder_and_decoder_only) { check(0, true, "reference", 51); }
Test(gnn_forward, one_step_reference) { check(1, true, "reference", 52); }
Test(gnn_forward, three_steps_reference_no_length) { check(3, false, "reference", 53); }
Test(gnn_forward, three_steps_blas) { check(3, true, "blas", 54); }
