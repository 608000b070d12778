/*
 * Periodic cell tests: coordinate round trips, H^-1, wrapping, minimum image against a
 * brute-force search over 7x7x7 images, perpendicular widths against V / |face area| and
 * 1 / |column of H^-1|, volume against the triple product, input validation.
 * Random cells come from sbtest_random_cell (seeded; the seed is in every message).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "sbtest.h"
#include "shearband/cell.h"

enum { NCELLS = 200 };

static void cross(const double a[3], const double b[3], double c[3])
{
    c[0] = a[1] * b[2] - a[2] * b[1];
    c[1] = a[2] * b[0] - a[0] * b[2];
    c[2] = a[0] * b[1] - a[1] * b[0];
}

static double dot(const double a[3], const double b[3])
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

static double norm(const double a[3])
{
    return sqrt(dot(a, a));
}

Test(cell, matrix_and_inverse)
{
    sbtest_rng rng;
    sbtest_rng_seed(&rng, 1);
    for (int c = 0; c < NCELLS; c++) {
        sb_cell cell;
        sbtest_random_cell(&rng, 1.0, 50.0, 1.5, &cell);
        const double lx = cell.hi[0] - cell.lo[0], ly = cell.hi[1] - cell.lo[1],
                     lz = cell.hi[2] - cell.lo[2];
        const double want[3][3] = {{lx, 0, 0}, {cell.xy, ly, 0}, {cell.xz, cell.yz, lz}};
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                cr_assert_eq(cell.h[i][j], want[i][j], "cell %d H[%d][%d]", c, i, j);
                double s = 0;
                for (int k = 0; k < 3; k++) s += cell.h[i][k] * cell.hinv[k][j];
                cr_assert_lt(fabs(s - (i == j)), 1e-12, "cell %d: (H H^-1)[%d][%d] = %g", c, i,
                             j, s);
            }
    }
}

Test(cell, frac_cart_round_trip)
{
    sbtest_rng rng;
    sbtest_rng_seed(&rng, 2);
    for (int c = 0; c < NCELLS; c++) {
        sb_cell cell;
        sbtest_random_cell(&rng, 2.0, 40.0, 1.0, &cell);
        for (int p = 0; p < 20; p++) {
            double r[3], s[3], r2[3], s2[3];
            for (int k = 0; k < 3; k++) r[k] = sbtest_rng_range(&rng, -100, 100);
            sb_cell_to_frac(&cell, r, s);
            sb_cell_to_cart(&cell, s, r2);
            for (int k = 0; k < 3; k++)
                cr_assert_lt(fabs(r2[k] - r[k]), 1e-11, "cell %d: round trip moved %g", c,
                             r2[k] - r[k]);
            /* definition: r = lo + s0 a + s1 b + s2 c */
            for (int k = 0; k < 3; k++) {
                const double v = cell.lo[k] + s[0] * cell.h[0][k] + s[1] * cell.h[1][k] +
                                 s[2] * cell.h[2][k];
                cr_assert_lt(fabs(v - r[k]), 1e-11);
            }
            sb_cell_frac_to_vec(&cell, s, r2);
            sb_cell_vec_to_frac(&cell, r2, s2);
            for (int k = 0; k < 3; k++) cr_assert_lt(fabs(s2[k] - s[k]), 1e-12);
        }
    }
}

Test(cell, wrap_into_cell_modulo_lattice)
{
    sbtest_rng rng;
    sbtest_rng_seed(&rng, 3);
    for (int c = 0; c < NCELLS; c++) {
        sb_cell cell;
        sbtest_random_cell(&rng, 2.0, 30.0, 1.0, &cell);
        for (int p = 0; p < 20; p++) {
            double s0[3], r[3];
            for (int k = 0; k < 3; k++) s0[k] = sbtest_rng_range(&rng, -6, 6);
            if (p == 0) s0[0] = 1.0; /* exactly on a face */
            if (p == 1) s0[1] = -1e-17; /* just below the lower face */
            sb_cell_to_cart(&cell, s0, r);
            double w[3] = {r[0], r[1], r[2]};
            int image[3] = {5, -2, 0};
            sb_cell_wrap(&cell, w, image);
            double s[3];
            sb_cell_to_frac(&cell, w, s);
            for (int k = 0; k < 3; k++)
                cr_assert(s[k] >= -1e-12 && s[k] < 1.0 + 1e-12, "cell %d: wrapped s = %.17g", c,
                          s[k]);
            /* unwrapped position r = wrapped + (image - initial) H */
            const double dimg[3] = {image[0] - 5, image[1] + 2, image[2]};
            double v[3];
            sb_cell_frac_to_vec(&cell, dimg, v);
            for (int k = 0; k < 3; k++)
                cr_assert_lt(fabs(w[k] + v[k] - r[k]), 1e-9, "cell %d: image flags wrong", c);
            /* without image counters */
            double w2[3] = {r[0], r[1], r[2]};
            sb_cell_wrap(&cell, w2, NULL);
            for (int k = 0; k < 3; k++) cr_assert_eq(w2[k], w[k]);
        }
    }
}

static void check_min_image(double tilt, uint64_t seed)
{
    sbtest_rng rng;
    sbtest_rng_seed(&rng, seed);
    for (int c = 0; c < NCELLS; c++) {
        sb_cell cell;
        sbtest_random_cell(&rng, 3.0, 20.0, tilt, &cell);
        for (int p = 0; p < 30; p++) {
            double d[3], best[3];
            for (int k = 0; k < 3; k++) d[k] = sbtest_rng_range(&rng, -60, 60);
            /* 7x7x7 images around the rounded d, wider for elongated cells: the shortest
             * image n obeys |n_k| <= 1/2 + |d_rounded| / w_k */
            double w[3], ds0[3], r0[3];
            sb_cell_widths(&cell, w);
            sb_cell_vec_to_frac(&cell, d, ds0);
            for (int k = 0; k < 3; k++) ds0[k] -= nearbyint(ds0[k]);
            sb_cell_frac_to_vec(&cell, ds0, r0);
            int range = 3;
            while (range < 0.5 + norm(r0) / fmin(w[0], fmin(w[1], w[2]))) range++;
            const double want2 = sbtest_min_image_brute(&cell, d, range, best);
            double m[3] = {d[0], d[1], d[2]};
            sb_cell_min_image(&cell, m);
            cr_assert_lt(fabs(sqrt(dot(m, m)) - sqrt(want2)), 1e-9,
                         "seed %llu cell %d: min_image |d| = %.12g, brute force %.12g "
                         "(tilts %.3f %.3f %.3f)",
                         (unsigned long long)seed, c, norm(m), sqrt(want2), cell.xy, cell.xz,
                         cell.yz);
            /* and it is an image of d: (m - d) H^-1 integer */
            const double diff[3] = {m[0] - d[0], m[1] - d[1], m[2] - d[2]};
            double ds[3];
            sb_cell_vec_to_frac(&cell, diff, ds);
            for (int k = 0; k < 3; k++) cr_assert_lt(fabs(ds[k] - nearbyint(ds[k])), 1e-9);
        }
    }
}

Test(cell, min_image_orthogonal)
{
    check_min_image(0.0, 10);
}

Test(cell, min_image_lammps_tilt_limits)
{
    check_min_image(0.5, 11);
}

Test(cell, min_image_moderately_over_tilted)
{
    /* e.g. AQS at 20 % engineering shear strain past a flip: |xy| up to 0.7 lx */
    check_min_image(0.7, 12);
}

Test(cell, min_image_heavily_tilted)
{
    check_min_image(1.5, 13);
}

Test(cell, min_image_non_finite_returns)
{
    sb_cell cell;
    sb_error err;
    const double lo[3] = {0, 0, 0}, hi[3] = {3, 4, 5};
    cr_assert_eq(sb_cell_set(&cell, lo, hi, 1.0, -0.5, 2.0, &err), SB_OK);
    double d[3] = {NAN, 1.0, 2.0};
    sb_cell_min_image(&cell, d); /* must return, not loop over "infinitely many" images */
    cr_assert(isnan(d[0]) && d[1] == 1.0 && d[2] == 2.0);
    double e[3] = {1.0, INFINITY, 2.0};
    sb_cell_min_image(&cell, e);
    cr_assert(isinf(e[1]));
    int img[3] = {1, 2, 3};
    sb_cell_wrap(&cell, e, img);
    cr_assert(isinf(e[1]) && e[0] == 1.0 && img[0] == 1 && img[1] == 2 && img[2] == 3);
}

Test(cell, widths_volume)
{
    sbtest_rng rng;
    sbtest_rng_seed(&rng, 4);
    for (int c = 0; c < NCELLS; c++) {
        sb_cell cell;
        sbtest_random_cell(&rng, 1.0, 30.0, 1.5, &cell);
        const double *a = cell.h[0], *b = cell.h[1], *cc = cell.h[2];
        double bxc[3], cxa[3], axb[3];
        cross(b, cc, bxc);
        cross(cc, a, cxa);
        cross(a, b, axb);
        const double vol = dot(a, bxc);
        cr_assert_lt(fabs(sb_cell_volume(&cell) - vol), 1e-9 * vol, "cell %d volume", c);
        cr_assert_gt(sb_cell_volume(&cell), 0.0);
        double w[3];
        sb_cell_widths(&cell, w);
        const double want[3] = {vol / norm(bxc), vol / norm(cxa), vol / norm(axb)};
        for (int k = 0; k < 3; k++) {
            cr_assert_lt(fabs(w[k] - want[k]), 1e-9 * want[k], "cell %d width %d", c, k);
            /* equivalently 1 / |column k of H^-1| */
            const double g[3] = {cell.hinv[0][k], cell.hinv[1][k], cell.hinv[2][k]};
            cr_assert_lt(fabs(w[k] - 1.0 / norm(g)), 1e-9 * want[k]);
        }
        /* orthogonal cells: widths are the edge lengths */
        if (!sb_cell_is_triclinic(&cell))
            for (int k = 0; k < 3; k++) cr_assert_lt(fabs(w[k] - cell.h[k][k]), 1e-12);
    }
    sb_cell cell;
    sb_error err;
    cr_assert_eq(sb_cell_set_ortho(&cell, 2.0, 3.0, 4.0, &err), SB_OK);
    cr_assert_eq(sb_cell_volume(&cell), 24.0);
    cr_assert_not(sb_cell_is_triclinic(&cell));
    const double lo[3] = {0, 0, 0}, hi[3] = {2, 3, 4};
    cr_assert_eq(sb_cell_set(&cell, lo, hi, 0.0, 0.0, 1.0, &err), SB_OK);
    cr_assert(sb_cell_is_triclinic(&cell));
    /* a tilt shears the cell without changing its volume */
    cr_assert_lt(fabs(sb_cell_volume(&cell) - 24.0), 1e-12);
}

Test(cell, set_rejects_bad_input)
{
    sb_cell cell;
    sb_error err;
    const double lo[3] = {0, 0, 0};
    const double bad_hi[][3] = {{0, 1, 1}, {1, -1, 1}, {1, 1, 0}, {NAN, 1, 1}, {1, INFINITY, 1},
                                {1, 1, -INFINITY}};
    for (size_t c = 0; c < sizeof bad_hi / sizeof bad_hi[0]; c++) {
        sb_error_clear(&err);
        cr_assert_eq(sb_cell_set(&cell, lo, bad_hi[c], 0, 0, 0, &err), SB_ERR_GEOMETRY,
                     "case %zu accepted", c);
        cr_assert_neq(err.msg[0], '\0');
    }
    const double hi[3] = {1, 1, 1};
    const double nan_lo[3] = {0, NAN, 0};
    cr_assert_eq(sb_cell_set(&cell, nan_lo, hi, 0, 0, 0, &err), SB_ERR_GEOMETRY);
    cr_assert_eq(sb_cell_set(&cell, lo, hi, NAN, 0, 0, &err), SB_ERR_GEOMETRY);
    cr_assert_eq(sb_cell_set(&cell, lo, hi, 0, INFINITY, 0, &err), SB_ERR_GEOMETRY);
    cr_assert_eq(sb_cell_set(&cell, lo, hi, 0, 0, -INFINITY, &err), SB_ERR_GEOMETRY);
    /* finite bounds whose difference overflows */
    const double huge_lo[3] = {-1e308, 0, 0}, huge_hi[3] = {1e308, 1, 1};
    cr_assert_eq(sb_cell_set(&cell, huge_lo, huge_hi, 0, 0, 0, &err), SB_ERR_GEOMETRY);
    cr_assert_eq(sb_cell_set_ortho(&cell, 1, 0, 1, &err), SB_ERR_GEOMETRY);
    cr_assert_eq(sb_cell_set_ortho(&cell, 1, 1, NAN, &err), SB_ERR_GEOMETRY);
    cr_assert_eq(sb_cell_set_ortho(&cell, 1, 1, 1, &err), SB_OK);
}
