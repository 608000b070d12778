/*
 * test_gnn_invariance.c: symmetries the GNN must have by construction, and the model file.
 *  - atom order: permuting the atoms permutes the outputs (graph sums are order-free;
 *    only float summation order changes, so the tolerance is 1e-5 normalised);
 *  - translation and periodic images: shifting every atom and moving single atoms by
 *    lattice vectors changes nothing (edges come from minimum-free periodic images);
 *  - loading frame: rotating an orthogonal sample by a cube rotation Q and loading it with
 *    R_K gives the outputs of the original loaded with R_K Q (as the SDM/CNN test); and a
 *    genuinely different orientation gives different outputs (the test can fail);
 *  - the model file round-trips bit for bit, and a flipped byte, a truncated file and a CNN
 *    (SBNN) file are refused with SB_ERR_CHECKSUM / SB_ERR_FORMAT naming the file.
 */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_testutil.h"
#include "sbtest.h"
#include "shearband/fileutil.h"
#include "shearband/gnn.h"
#include "shearband/nn.h"
#include "shearband/orientation.h"

static sb_gnn_config small_config(void)
{
    sb_gnn_config c = sb_gnn_config_default();
    c.latent = 16;
    c.steps = 3;
    c.cutoff = 4.0;
    return c;
}

static sb_gnn_model *make_model(const sb_gnn_config *c, uint64_t seed)
{
    sb_gnn_model *m;
    sb_error err;
    cr_assert_eq(sb_gnn_model_create(c, &m, &err), SB_OK, "%s", err.msg);
    sb_gnn_model_init(m, seed);
    return m;
}

/* logits of (cell, x, type) under rotation R, into z[n] */
static void run(sb_gnn_model *m, const sb_cell *cell, const double *x, const int *type, size_t n,
                const int R[3][3], float *z)
{
    sb_gnn_config c = sb_gnn_model_config(m);
    sb_gnn_graph g = SB_GNN_GRAPH_INIT;
    sb_error err;
    cr_assert_eq(sb_gnn_graph_build(&g, &c, cell, x, type, n, R, &err), SB_OK, "%s", err.msg);
    sb_gnn_plan *p;
    cr_assert_eq(sb_gnn_plan_create(m, g.n, g.nedges, NULL, &p, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(sb_gnn_forward(p, &g, z, &err), SB_OK, "%s", err.msg);
    sb_gnn_plan_free(p);
    sb_gnn_graph_free(&g);
}

static void random_glass(sbtest_rng *rng, sb_cell *cell, size_t n, double *x, int *type)
{
    cr_assert_eq(sbtest_random_glass(rng, cell, n, 2.0, x, type), 0, "could not place %zu atoms", n);
}

Test(gnn_invariance, atom_permutation_permutes_outputs)
{
    sbtest_rng rng;
    sbtest_rng_seed(&rng, 1);
    sb_cell cell;
    const double lo[3] = {-2, 1, 0}, hi[3] = {9, 11, 10};
    cr_assert_eq(sb_cell_set(&cell, lo, hi, 2.5, -1.5, 1.0, NULL), SB_OK);
    const size_t n = 70;
    double *x = malloc(3 * n * sizeof *x), *xp = malloc(3 * n * sizeof *xp);
    int *type = malloc(n * sizeof *type), *tp = malloc(n * sizeof *tp);
    size_t *perm = malloc(n * sizeof *perm);
    random_glass(&rng, &cell, n, x, type);
    sbtest_rng_permutation(&rng, perm, n);
    for (size_t k = 0; k < n; k++) {
        memcpy(xp + 3 * k, x + 3 * perm[k], 3 * sizeof *x);
        tp[k] = type[perm[k]];
    }
    sb_gnn_config c = small_config();
    sb_gnn_model *m = make_model(&c, 3);
    float *z = malloc(n * sizeof *z), *zp = malloc(n * sizeof *zp), *zb = malloc(n * sizeof *zb);
    run(m, &cell, x, type, n, NULL, z);
    run(m, &cell, xp, tp, n, NULL, zp);
    for (size_t k = 0; k < n; k++) zb[k] = z[perm[k]];
    double e = nn_test_nerr(zp, zb, n);
    cr_log_info("permutation: normalised difference %.2e", e);
    cr_expect_lt(e, 1e-5, "permuted outputs differ: %g", e);
    /* the outputs are not trivially constant */
    double spread = 0;
    for (size_t k = 1; k < n; k++) spread = fmax(spread, fabs(z[k] - z[0]));
    cr_expect_gt(spread, 1e-3);
    free(x);
    free(xp);
    free(type);
    free(tp);
    free(perm);
    free(z);
    free(zp);
    free(zb);
    sb_gnn_model_free(m);
}

Test(gnn_invariance, translation_and_periodic_images)
{
    sbtest_rng rng;
    sbtest_rng_seed(&rng, 2);
    sb_cell cell;
    const double lo[3] = {0, 0, 0}, hi[3] = {10, 9, 11};
    cr_assert_eq(sb_cell_set(&cell, lo, hi, -2.0, 1.5, 3.0, NULL), SB_OK);
    const size_t n = 70;
    double *x = malloc(3 * n * sizeof *x), *xs = malloc(3 * n * sizeof *xs);
    int *type = malloc(n * sizeof *type);
    random_glass(&rng, &cell, n, x, type);
    const double shift[3] = {3.3, -7.1, 12.9};
    for (size_t i = 0; i < n; i++) {
        int img[3] = {(int)sbtest_rng_below(&rng, 5) - 2, (int)sbtest_rng_below(&rng, 5) - 2,
                      (int)sbtest_rng_below(&rng, 5) - 2};
        for (int k = 0; k < 3; k++)
            xs[3 * i + k] = x[3 * i + k] + shift[k] + img[0] * cell.h[0][k] + img[1] * cell.h[1][k] +
                            img[2] * cell.h[2][k];
    }
    sb_gnn_config c = small_config();
    sb_gnn_model *m = make_model(&c, 4);
    float *z = malloc(n * sizeof *z), *zs = malloc(n * sizeof *zs);
    run(m, &cell, x, type, n, NULL, z);
    run(m, &cell, xs, type, n, NULL, zs);
    double e = nn_test_nerr(zs, z, n);
    cr_log_info("translation + images: normalised difference %.2e", e);
    cr_expect_lt(e, 1e-5, "%g", e);
    free(x);
    free(xs);
    free(type);
    free(z);
    free(zs);
    sb_gnn_model_free(m);
}

Test(gnn_invariance, cube_rotation_of_the_sample_composes_with_the_orientation)
{
    sbtest_rng rng;
    sbtest_rng_seed(&rng, 3);
    const double L[3] = {10, 11, 12};
    sb_cell cell;
    cr_assert_eq(sb_cell_set_ortho(&cell, L[0], L[1], L[2], NULL), SB_OK);
    const size_t n = 90;
    double *x = malloc(3 * n * sizeof *x), *xq = malloc(3 * n * sizeof *xq);
    int *type = malloc(n * sizeof *type);
    random_glass(&rng, &cell, n, x, type);
    sb_gnn_config c = small_config();
    sb_gnn_model *m = make_model(&c, 5);
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    for (int q = 1; q < SB_NUM_ORIENTATIONS; q += 5) {
        sb_orientation Q;
        cr_assert_eq(sb_orientation_get(q, &Q, NULL), SB_OK);
        double Lq[3];
        for (int r = 0; r < 3; r++) Lq[r] = L[Q.perm[r]];
        sb_cell cq;
        cr_assert_eq(sb_cell_set_ortho(&cq, Lq[0], Lq[1], Lq[2], NULL), SB_OK);
        for (size_t i = 0; i < n; i++)
            for (int r = 0; r < 3; r++)
                xq[3 * i + r] = Q.R[r][0] * x[3 * i] + Q.R[r][1] * x[3 * i + 1] + Q.R[r][2] * x[3 * i + 2];
        for (int k = 0; k < SB_NUM_ORIENTATIONS; k += 7) {
            sb_orientation K;
            cr_assert_eq(sb_orientation_get(k, &K, NULL), SB_OK);
            int RKQ[3][3] = {{0}};
            for (int r = 0; r < 3; r++)
                for (int cc = 0; cc < 3; cc++)
                    for (int l = 0; l < 3; l++) RKQ[r][cc] += K.R[r][l] * Q.R[l][cc];
            run(m, &cq, xq, type, n, (const int (*)[3])K.R, a);
            run(m, &cell, x, type, n, (const int (*)[3])RKQ, b);
            double e = nn_test_nerr(a, b, n);
            cr_expect_lt(e, 1e-5, "Q %d K %d: normalised difference %g", q, k, e);
        }
    }
    /* a different loading of the same sample is a different input */
    sb_orientation K0, K1;
    sb_orientation_get(0, &K0, NULL);
    sb_orientation_get(4, &K1, NULL);
    run(m, &cell, x, type, n, (const int (*)[3])K0.R, a);
    run(m, &cell, x, type, n, (const int (*)[3])K1.R, b);
    double e = nn_test_nerr(a, b, n);
    cr_log_info("orientation 0 vs 4: normalised difference %.3f", e);
    cr_expect_gt(e, 1e-3, "the GNN ignores the orientation (%g)", e);
    free(x);
    free(xq);
    free(type);
    free(a);
    free(b);
    sb_gnn_model_free(m);
}

Test(gnn_graph, every_edge_has_its_twin_and_features_in_the_loading_frame)
{
    sbtest_rng rng;
    sbtest_rng_seed(&rng, 4);
    sb_cell cell;
    const double lo[3] = {0, 0, 0}, hi[3] = {7, 8, 9};
    cr_assert_eq(sb_cell_set(&cell, lo, hi, 1.0, 2.0, -1.0, NULL), SB_OK);
    const size_t n = 40;
    double x[3 * 40];
    int type[40];
    random_glass(&rng, &cell, n, x, type);
    sb_gnn_config c = small_config();
    c.cutoff = 4.5; /* more than half of some widths: images of the same atom */
    sb_orientation K;
    sb_orientation_get(13, &K, NULL);
    sb_gnn_graph g = SB_GNN_GRAPH_INIT;
    sb_error err;
    cr_assert_eq(sb_gnn_graph_build(&g, &c, &cell, x, type, n, (const int (*)[3])K.R, &err), SB_OK, "%s", err.msg);
    sbtest_pair *pairs;
    size_t np = sbtest_brute_neighbors(&cell, x, n, c.cutoff, &pairs);
    cr_expect_eq(g.nedges, np, "edges %zu, brute force %zu", g.nedges, np);
    for (size_t i = 0; i < n; i++)
        for (size_t e = g.offset[i]; e < g.offset[i + 1]; e++) {
            const uint32_t t = g.rev[e];
            cr_assert(t >= g.offset[g.src[e]] && t < g.offset[g.src[e] + 1], "twin of edge %zu not in its sender's row", e);
            cr_assert_eq(g.src[t], (uint32_t)i);
            cr_assert_eq(g.rev[t], (uint32_t)e, "rev is not an involution at edge %zu", e);
            for (int k = 0; k < 4; k++) {
                const float want = k < 3 ? -g.edge_feat[4 * e + k] : g.edge_feat[4 * e + k];
                cr_assert_float_eq(g.edge_feat[4 * t + k], want, 1e-6);
            }
            cr_assert(g.edge_feat[4 * e + 3] <= 1.0f + 1e-6f);
        }
    /* loading frame: feature r is (R d)_r / cutoff, with |R d| = |d| */
    for (size_t e = 0; e < g.nedges; e++) {
        const float *f = g.edge_feat + 4 * e;
        cr_assert_float_eq(sqrt(f[0] * f[0] + f[1] * f[1] + f[2] * f[2]), f[3], 1e-5);
    }
    for (size_t i = 0; i < n; i++) cr_assert_eq(g.node_feat[2 * i + (size_t)(type[i] - 1)], 1.0f);
    /* a type outside 1..nspecies names the atom */
    type[7] = 3;
    cr_expect_eq(sb_gnn_graph_build(&g, &c, &cell, x, type, n, NULL, &err), SB_ERR_INVALID_ARG);
    cr_expect(strstr(err.msg, "atom 7") != NULL, "%s", err.msg);
    free(pairs);
    sb_gnn_graph_free(&g);
}

static void tmp_path(char *buf, size_t n, const char *name)
{
    const char *base = getenv("SB_TEST_TMP");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/gnn", base ? base : "/tmp");
    cr_assert_eq(sb_mkdir_p(dir, NULL), SB_OK);
    snprintf(buf, n, "%s/%s", dir, name);
}

static long file_size(const char *path)
{
    FILE *fp = fopen(path, "rb");
    cr_assert(fp);
    fseek(fp, 0, SEEK_END);
    long s = ftell(fp);
    fclose(fp);
    return s;
}

Test(gnn_file, round_trip_and_damage)
{
    sb_gnn_config c = small_config();
    c.edge_length = false;
    c.cutoff = 4.25;
    c.agg_norm = 7.5;
    sb_gnn_model *m = make_model(&c, 9), *r;
    sb_error err;
    cr_assert_eq(sb_gnn_model_set_meta(m, "trained_on", "manifest.txt", NULL), SB_OK);
    cr_assert_eq(sb_gnn_model_set_meta(m, "epochs", "12", NULL), SB_OK);
    char path[1024], bad[1100];
    tmp_path(path, sizeof path, "m.sbgn");
    cr_assert_eq(sb_gnn_model_save(m, path, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(sb_gnn_model_load(path, &r, &err), SB_OK, "%s", err.msg);
    sb_gnn_config rc = sb_gnn_model_config(r);
    cr_expect_eq(rc.latent, c.latent);
    cr_expect_eq(rc.steps, c.steps);
    cr_expect_eq(rc.nspecies, c.nspecies);
    cr_expect_eq(rc.edge_length, false);
    cr_expect_eq(rc.cutoff, 4.25);
    cr_expect_eq(rc.agg_norm, 7.5);
    cr_assert_eq(sb_gnn_model_num_params(r), sb_gnn_model_num_params(m));
    cr_expect_eq(memcmp(sb_gnn_model_params(r), sb_gnn_model_params(m), sb_gnn_model_num_params(m) * sizeof(float)), 0);
    cr_expect_str_eq(sb_gnn_model_get_meta(r, "trained_on"), "manifest.txt");
    cr_expect_str_eq(sb_gnn_model_get_meta(r, "epochs"), "12");
    sb_gnn_model_free(r);
    /* every 97th byte flipped in turn: always a checksum or format error */
    FILE *fp = fopen(path, "rb");
    long size = file_size(path);
    unsigned char *data = malloc((size_t)size);
    cr_assert_eq(fread(data, 1, (size_t)size, fp), (size_t)size);
    fclose(fp);
    snprintf(bad, sizeof bad, "%s.bad", path);
    for (long k = 0; k < size; k += 97) {
        data[k] ^= 0x10;
        fp = fopen(bad, "wb");
        fwrite(data, 1, (size_t)size, fp);
        fclose(fp);
        data[k] ^= 0x10;
        sb_status st = sb_gnn_model_load(bad, &r, &err);
        cr_expect(st == SB_ERR_CHECKSUM || st == SB_ERR_FORMAT, "byte %ld: status %d", k, (int)st);
        cr_expect(strstr(err.msg, bad) != NULL, "the message does not name the file: %s", err.msg);
    }
    fp = fopen(bad, "wb");
    fwrite(data, 1, (size_t)size - 5, fp);
    fclose(fp);
    cr_expect_eq(sb_gnn_model_load(bad, &r, &err), SB_ERR_FORMAT);
    cr_expect(strstr(err.msg, "truncated") != NULL, "%s", err.msg);
    free(data);
    /* a CNN model file is refused by name */
    sb_nn_model *cnn;
    cr_assert_eq(sb_nn_model_create_from_string((sb_nn_shape){1, 1, 4, 4}, "dense1", &cnn, NULL), SB_OK);
    cr_assert_eq(sb_nn_model_save(cnn, bad, &err), SB_OK);
    sb_nn_model_free(cnn);
    cr_expect_eq(sb_gnn_model_load(bad, &r, &err), SB_ERR_FORMAT);
    cr_expect(strstr(err.msg, "CNN") != NULL, "%s", err.msg);
    cr_expect_eq(sb_gnn_model_load("/nonexistent/x.sbgn", &r, &err), SB_ERR_IO);
    sb_gnn_model_free(m);
}
