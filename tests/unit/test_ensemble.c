/*
 * The ensemble's pure parts (no LAMMPS): the band histogram against a brute-force count,
 * and the DFS profile reader (sign convention, -0, explicit axis column, errors).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/ensemble.h"

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    cr_assert_not_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void tmp_path(char *buf, size_t sz, const char *name)
{
    const char *dir = getenv("SB_TEST_TMP");
    snprintf(buf, sz, "%s/ensemble_%s", dir ? dir : "/tmp", name);
}

Test(ensemble, histogram_matches_brute_force)
{
    /* Pseudo-random positions on the signed axis, a few NaN (no band). */
    double pos[500];
    unsigned s = 12345;
    for (size_t i = 0; i < 500; i++) {
        s = s * 1103515245u + 12345u;
        pos[i] = (i % 37 == 0) ? NAN : ((double)(s >> 8) / (double)(1u << 24) - 0.5) * 80.0;
    }
    const double w[] = {1.0, 2.0, 2.5, 7.0};
    for (size_t k = 0; k < sizeof w / sizeof w[0]; k++) {
        long lo;
        size_t nb, *count;
        sb_error err;
        cr_assert_eq(sb_ensemble_histogram(pos, 500, w[k], &lo, &nb, &count, &err), SB_OK);
        size_t total = 0;
        for (size_t b = 0; b < nb; b++) {
            /* Brute force: positions within half a bin of the centre (lround's rounding
             * of exact halves away from zero decides the edges). */
            const double c = (double)(lo + (long)b) * w[k];
            size_t brute = 0;
            for (size_t i = 0; i < 500; i++)
                if (isfinite(pos[i]) && lround(pos[i] / w[k]) == lo + (long)b) brute++;
            cr_expect_eq(count[b], brute, "bin %zu (centre %g) of width %g", b, c, w[k]);
            for (size_t i = 0; i < 500; i++)
                if (isfinite(pos[i]) && lround(pos[i] / w[k]) == lo + (long)b)
                    cr_expect(fabs(pos[i] - c) <= 0.5 * w[k] + 1e-12);
            total += count[b];
        }
        cr_expect_eq(total, 500 - (500 + 36) / 37, "every finite position counted once");
        cr_expect(count[0] > 0 && count[nb - 1] > 0, "range is the occupied range");
        free(count);
    }
}

Test(ensemble, histogram_edge_cases)
{
    long lo;
    size_t nb, *count;
    sb_error err;
    const double none[] = {NAN, NAN};
    cr_assert_eq(sb_ensemble_histogram(none, 2, 1.0, &lo, &nb, &count, &err), SB_OK);
    cr_expect_eq(nb, 0);
    cr_expect_null(count);
    const double one[] = {-12.4};
    cr_assert_eq(sb_ensemble_histogram(one, 1, 2.0, &lo, &nb, &count, &err), SB_OK);
    cr_expect_eq(nb, 1);
    cr_expect_eq(lo, -6);
    cr_expect_eq(count[0], 1);
    free(count);
    cr_expect_eq(sb_ensemble_histogram(one, 1, 0.0, &lo, &nb, &count, &err), SB_ERR_INVALID_ARG);
    cr_expect_eq(sb_ensemble_histogram(one, 1, NAN, &lo, &nb, &count, &err), SB_ERR_INVALID_ARG);
}

Test(ensemble, dfs_reader_splits_by_sign_and_axis)
{
    char path[4096];
    tmp_path(path, sizeof path, "dfs_sign.csv");
    /* Unsorted, a header, a comment, -0 belongs to X, +0 to Y. */
    write_text(path, "# DFS of sample 1\nsigned_position,dfs\n-2,0.20\n3,0.13\n-0,0.10\n"
                     "0,0.11\n-1,0.15\n1,0.12\n");
    size_t nx, ny;
    double *xp, *xv, *yp, *yv;
    sb_error err;
    cr_assert_eq(sb_ensemble_read_dfs(path, &nx, &xp, &xv, &ny, &yp, &yv, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(nx, 3);
    cr_assert_eq(ny, 3);
    const double exp_xp[] = {0, 1, 2}, exp_xv[] = {0.10, 0.15, 0.20};
    const double exp_yp[] = {0, 1, 3}, exp_yv[] = {0.11, 0.12, 0.13};
    for (size_t i = 0; i < 3; i++) {
        cr_expect_eq(xp[i], exp_xp[i]);
        cr_expect_eq(xv[i], exp_xv[i]);
        cr_expect_eq(yp[i], exp_yp[i]);
        cr_expect_eq(yv[i], exp_yv[i]);
    }
    free(xp);
    free(xv);
    free(yp);
    free(yv);

    /* An explicit axis column wins over the sign. */
    write_text(path, "signed_position,dfs,axis\n0,0.5,x\n0,0.6,y\n-4,0.7,x\n");
    cr_assert_eq(sb_ensemble_read_dfs(path, &nx, &xp, &xv, &ny, &yp, &yv, &err), SB_OK, "%s", err.msg);
    cr_expect_eq(nx, 2);
    cr_expect_eq(ny, 1);
    cr_expect_eq(xp[0], 0.0);
    cr_expect_eq(xv[0], 0.5);
    cr_expect_eq(xp[1], 4.0);
    cr_expect_eq(yv[0], 0.6);
    free(xp);
    free(xv);
    free(yp);
    free(yv);
}

Test(ensemble, dfs_reader_errors_name_the_line)
{
    char path[4096];
    size_t nx, ny;
    double *xp, *xv, *yp, *yv;
    sb_error err;
    tmp_path(path, sizeof path, "dfs_bad.csv");
    write_text(path, "signed_position,dfs\n1,0.1\n2;0.2\n");
    cr_expect_eq(sb_ensemble_read_dfs(path, &nx, &xp, &xv, &ny, &yp, &yv, &err), SB_ERR_PARSE);
    cr_expect(strstr(err.msg, ":3:") != NULL, "%s", err.msg);
    cr_expect_null(xp);
    write_text(path, "signed_position,dfs\n1,0.1,z\n");
    cr_expect_eq(sb_ensemble_read_dfs(path, &nx, &xp, &xv, &ny, &yp, &yv, &err), SB_ERR_PARSE);
    write_text(path, "signed_position,dfs\n");
    cr_expect_eq(sb_ensemble_read_dfs(path, &nx, &xp, &xv, &ny, &yp, &yv, &err), SB_ERR_PARSE);
    cr_expect(strstr(err.msg, "no data") != NULL, "%s", err.msg);
    cr_expect_eq(sb_ensemble_read_dfs("/nonexistent/dfs.csv", &nx, &xp, &xv, &ny, &yp, &yv, &err),
                 SB_ERR_IO);
}

/* Distinct AQS paths per orientation: by hand on five runs of orientation 3 (two repeat the
 * first path, one differs only by 2e-4 GPa, one by its band axis) and one of orientation 4;
 * unfinished runs do not count. */
Test(ensemble, distinct_paths_by_hand)
{
    sb_ensemble_member m[7];
    memset(m, 0, sizeof m);
    for (int i = 0; i < 7; i++) {
        m[i].orientation = 3;
        m[i].status = SB_OK;
        m[i].yield_stress = 2.1;
        m[i].yield_strain = 0.118;
        m[i].have_band = true;
        m[i].band.found = 1;
        m[i].band.axis = 1;
        m[i].band.centre = 12.0;
    }
    m[1].band.centre = 12.6;       /* same path: centre within 1 A */
    m[2].yield_stress = 2.1002;    /* another path */
    m[3].band.axis = 0;            /* another path */
    m[5].orientation = 4;
    m[6].status = SB_ERR_INTERRUPTED; /* not finished: ignored */
    m[6].yield_stress = 9.9;
    sb_ensemble_result r = SB_ENSEMBLE_RESULT_INIT;
    r.nruns = 7;
    r.runs = m;
    size_t n = 0;
    cr_expect_eq(sb_ensemble_distinct_paths(&r, 3, &n), 3);
    cr_expect_eq(n, 5);
    cr_expect_eq(sb_ensemble_distinct_paths(&r, 4, &n), 1);
    cr_expect_eq(n, 1);
    cr_expect_eq(sb_ensemble_distinct_paths(&r, 0, &n), 0);
    cr_expect_eq(n, 0);
    m[4].band.found = 0; /* no band: differs from a band */
    cr_expect_eq(sb_ensemble_distinct_paths(&r, 3, NULL), 4);
}
