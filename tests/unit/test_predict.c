/*
 * Band prediction (predict.h) against hand-made indicators on the bundled glass:
 *   - a source that makes exactly the atoms of one horizontal slab fertile puts the
 *     predicted band on Y inside that slab, with Delta = max - min recomputed by brute force
 *     from the atoms (fraction of fertile atoms in each slab, periodic);
 *   - the same with a vertical slab gives a vertical band at a negative signed position;
 *   - no fertile atom: Delta = 0 and "ductile" at any positive threshold;
 *   - the DFS CSV written by sb_predict_run is read back by the ensemble's reader
 *     (sb_ensemble_read_dfs) with the same numbers (the Fig. 2 two-command workflow).
 */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "shearband/ensemble.h"
#include "shearband/io.h"
#include "shearband/predict.h"

#define GLASS SB_SOURCE_DIR "/examples/cu50zr50_864.data"

typedef struct slab_ctx {
    int axis;
    double lo, hi; /* fertile when lo <= x_axis < hi in the loading frame */
} slab_ctx;

static sb_status slab_values(void *vctx, size_t gi, const sb_structure *glass, const sb_structure *loaded,
                             int orientation, double *out, sb_error *err)
{
    (void)gi, (void)glass, (void)orientation, (void)err;
    const slab_ctx *c = vctx;
    for (size_t i = 0; i < loaded->n; i++) {
        const double v = loaded->x[3 * i + c->axis];
        out[i] = v >= c->lo && v < c->hi ? 0.9 : 0.1;
    }
    return SB_OK;
}

static void run_slab(int axis, double lo, double hi, sb_predict_result *r, sb_profile prof[2])
{
    sb_structure g = SB_STRUCTURE_INIT;
    sb_error err;
    cr_assert_eq(sb_read_structure(GLASS, &g, &err), SB_OK, "%s", err.msg);
    slab_ctx c = {axis, lo, hi};
    sb_indicator_source src = {sb_indicator_lookup("cnn"), slab_values, &c};
    double *v = malloc(g.n * sizeof *v);
    cr_assert_eq(sb_predict_case(&src, 0, &g, 0, 19.0, 1.0, 0.06, v, prof, r, &err), SB_OK, "%s", err.msg);
    size_t nf = 0;
    for (size_t i = 0; i < g.n; i++) nf += v[i] > 0.5;
    cr_assert_eq(r->fertile, nf);
    cr_assert(nf > 0);
    free(v);
    sb_structure_free(&g);
}

Test(predict, horizontal_slab)
{
    sb_predict_result r;
    sb_profile prof[2] = {SB_PROFILE_INIT, SB_PROFILE_INIT};
    run_slab(1, 10.0, 16.0, &r, prof);
    cr_assert_eq(r.pred.axis, 1, "band on Y expected");
    /* The 19 A slab holding all of [10, 16) is centred within [6.5, 19.5]. */
    cr_assert(r.pred.centre >= 6.5 && r.pred.centre <= 19.5, "centre %g", r.pred.centre);
    cr_assert(r.pred.signed_position > 0);
    double mx = -1, mn = 2;
    for (int a = 0; a < 2; a++)
        for (size_t k = 0; k < prof[a].n; k++) {
            mx = fmax(mx, prof[a].value[k]);
            mn = fmin(mn, prof[a].value[k]);
        }
    cr_assert_float_eq(r.pred.delta, mx - mn, 1e-15);
    cr_assert_float_eq(r.pred.best, mx, 1e-15);
    cr_assert(r.brittle == (r.pred.delta > 0.06));
    sb_profile_free(&prof[0]);
    sb_profile_free(&prof[1]);
}

Test(predict, vertical_slab)
{
    sb_predict_result r;
    sb_profile prof[2] = {SB_PROFILE_INIT, SB_PROFILE_INIT};
    run_slab(0, 3.0, 9.0, &r, prof);
    cr_assert_eq(r.pred.axis, 0, "band on X expected");
    cr_assert(r.pred.signed_position <= 0);
    cr_assert(r.pred.centre >= 0.0 && r.pred.centre <= 12.5, "centre %g", r.pred.centre);
    /* The X peak slab holds all fertile atoms; a Y slab (19 of ~25 A) only ~3/4 of them. */
    double ymax = 0;
    for (size_t k = 0; k < prof[1].n; k++) ymax = fmax(ymax, prof[1].value[k]);
    cr_assert(r.pred.best > 1.15 * ymax, "%g vs %g", r.pred.best, ymax);
    sb_profile_free(&prof[0]);
    sb_profile_free(&prof[1]);
}

static sb_status none_fertile(void *vctx, size_t gi, const sb_structure *glass, const sb_structure *loaded,
                              int orientation, double *out, sb_error *err)
{
    (void)vctx, (void)gi, (void)glass, (void)orientation, (void)err;
    for (size_t i = 0; i < loaded->n; i++) out[i] = 0.2;
    return SB_OK;
}

Test(predict, no_fertile_sites_is_ductile)
{
    sb_structure g = SB_STRUCTURE_INIT;
    sb_error err;
    cr_assert_eq(sb_read_structure(GLASS, &g, &err), SB_OK);
    sb_indicator_source src = {sb_indicator_lookup("gnn"), none_fertile, NULL};
    double *v = malloc(g.n * sizeof *v);
    sb_profile prof[2] = {SB_PROFILE_INIT, SB_PROFILE_INIT};
    sb_predict_result r;
    cr_assert_eq(sb_predict_case(&src, 0, &g, 5, 19.0, 1.0, 1e-9, v, prof, &r, &err), SB_OK);
    cr_assert_eq(r.fertile, 0);
    cr_assert_eq(r.pred.delta, 0.0);
    cr_assert(!r.brittle);
    sb_profile_free(&prof[0]);
    sb_profile_free(&prof[1]);
    free(v);
    sb_structure_free(&g);
}

Test(predict, dfs_csv_reads_back_in_ensemble)
{
    const char *tmp = getenv("SB_TEST_TMP");
    char dir[4096], csv[4200];
    snprintf(dir, sizeof dir, "%s/predict_unit", tmp ? tmp : "/tmp");
    sb_predict_options o = sb_predict_options_default();
    o.indicator = "rho";
    o.out_dir = dir;
    o.figures = false;
    o.orientations[0] = 3;
    sb_predict_result r;
    sb_error err;
    cr_assert_eq(sb_predict_run(GLASS, &o, &r, &err), SB_OK, "%s", err.msg);
    snprintf(csv, sizeof csv, "%s/dfs_o03.csv", dir);
    size_t nx, ny;
    double *xp, *xv, *yp, *yv;
    cr_assert_eq(sb_ensemble_read_dfs(csv, &nx, &xp, &xv, &ny, &yp, &yv, &err), SB_OK, "%s", err.msg);
    cr_assert(nx > 10 && ny > 10);
    double mx = -INFINITY, mn = INFINITY, at = NAN;
    for (size_t k = 0; k < nx; k++) {
        mx = fmax(mx, xv[k]);
        if (xv[k] < mn) mn = xv[k], at = -xp[k];
    }
    for (size_t k = 0; k < ny; k++) {
        mx = fmax(mx, yv[k]);
        if (yv[k] < mn) mn = yv[k], at = yp[k];
    }
    /* rho: lower favours banding, the band is at the minimum. */
    cr_assert_float_eq(r.pred.delta, mx - mn, 1e-7);
    cr_assert_float_eq(r.pred.signed_position, at, 1e-3);
    free(xp), free(xv), free(yp), free(yv);
}
