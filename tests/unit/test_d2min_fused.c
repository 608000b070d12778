/*
 * The fused D2min kernel behind sb_d2min_compute (stencil walk of the binning plan, no
 * stored neighbour list) against the straightforward path kept as its oracle,
 * sb_d2min_compute_reference (spatial sort, CSR list from sb_neighbor_build,
 * sb_d2min_from_neighbors). Both must agree on every output to 1e-12 relative: they sum the
 * same bonds, only possibly in another order.
 *
 * Frames: a glass-like reference (random sequential addition) mapped into a triclinic cell
 * with all three tilts, and a current frame in a differently tilted and stretched cell with
 * Gaussian non-affine noise (larger inside a band), wrapped, with atoms shuffled and ids
 * permuted so that matching by id is exercised. Cases cover a plain cell, a small cell
 * whose cutoff exceeds half the cell (several images of one atom, including the atom
 * itself), and a sparse one where some atoms have too few neighbours (singular fits).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/strain.h"
#include "shearband/structure.h"
#include "strain/d2min_internal.h"
#include "strain_synthetic.h"

/* Relative agreement |a - b| <= tol * max(|b|, floor). */
static void expect_close(const char *what, size_t i, double a, double b, double floor_abs)
{
    const double scale = fmax(fabs(b), floor_abs);
    cr_assert(fabs(a - b) <= 1e-12 * scale, "%s of atom %zu: fused %.17g, reference %.17g", what,
              i, a, b);
}

/* Build ref and cur structures for n atoms of density rho (minimum separation dmin). */
static void make_frames(size_t n, double rho, double dmin, uint64_t seed, sb_structure *R,
                        sb_structure *C)
{
    sb_cell cube;
    double *x = malloc(3 * n * sizeof *x);
    cr_assert_eq(syn_glass(n, rho, dmin, seed, &cube, x), 0, "RSA failed");
    const double L = cube.h[0][0];
    cr_assert_eq(sb_structure_alloc(R, n, 1, NULL), SB_OK);
    cr_assert_eq(sb_structure_alloc(C, n, 1, NULL), SB_OK);
    const double lo[3] = {-1.5, 2.0, 0.25};
    const double hr[3] = {lo[0] + L, lo[1] + L, lo[2] + L};
    cr_assert_eq(sb_cell_set(&R->cell, lo, hr, 0.13 * L, -0.07 * L, 0.21 * L, NULL), SB_OK);
    const double hc[3] = {lo[0] + 1.03 * L, lo[1] + 0.98 * L, lo[2] + L};
    cr_assert_eq(sb_cell_set(&C->cell, lo, hc, 0.41 * L, 0.05 * L, -0.12 * L, NULL), SB_OK);
    /* Current atom k holds reference atom perm[k]; ids are a random permutation of 1..n
     * offset by 1000, shared by both frames through perm. */
    size_t *perm = malloc(n * sizeof *perm);
    for (size_t i = 0; i < n; i++) perm[i] = i;
    uint64_t st = seed ^ 0x5eedULL;
    for (size_t i = n; i > 1; i--) {
        const size_t j = (size_t)(syn_next(&st) % i);
        const size_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
    for (size_t i = 0; i < n; i++) {
        R->id[i] = (int64_t)(1000 + 7 * i);
        double s[3];
        sb_cell_vec_to_frac(&cube, x + 3 * i, s);
        sb_cell_to_cart(&R->cell, s, R->x + 3 * i);
    }
    for (size_t k = 0; k < n; k++) {
        const size_t i = perm[k];
        C->id[k] = R->id[i];
        double s[3];
        sb_cell_to_frac(&R->cell, R->x + 3 * i, s);
        double *y = C->x + 3 * k;
        sb_cell_to_cart(&C->cell, s, y);
        const double sigma = fabs(s[1] - 0.4) < 0.15 ? 0.35 : 0.04;
        for (int c = 0; c < 3; c++) y[c] += sigma * syn_gauss(&st);
        sb_cell_wrap(&C->cell, y, NULL);
    }
    free(perm);
    free(x);
}

static void compare_paths(size_t n, double rho, double dmin, double cutoff, uint64_t seed,
                          int expect_singular)
{
    sb_structure R = SB_STRUCTURE_INIT, C = SB_STRUCTURE_INIT;
    make_frames(n, rho, dmin, seed, &R, &C);
    sb_d2min_options o = sb_d2min_options_default();
    o.cutoff = cutoff;
    sb_d2min_result a = SB_D2MIN_RESULT_INIT, b = SB_D2MIN_RESULT_INIT;
    sb_error err;
    cr_assert_eq(sb_d2min_compute(&R, &C, &o, &a, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(sb_d2min_compute_reference(&R, &C, &o, &b, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(a.n, n);
    cr_assert_eq(b.n, n);
    cr_assert_eq(a.n_singular, b.n_singular);
    cr_assert_eq(a.cutoff, b.cutoff);
    if (expect_singular) {
        cr_assert(a.n_singular > 0 && a.n_singular < n, "want some singular atoms, got %zu of %zu",
                  a.n_singular, n);
    } else {
        cr_assert_eq(a.n_singular, 0);
    }
    double d2max = 0.0, etamax = 0.0;
    for (size_t i = 0; i < n; i++) {
        d2max = fmax(d2max, b.d2min[i]);
        etamax = fmax(etamax, b.shear_strain[i]);
    }
    cr_assert(d2max > 0.0 && etamax > 0.0);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(a.nneighbors[i], b.nneighbors[i], "atom %zu: %u vs %u neighbours", i,
                     a.nneighbors[i], b.nneighbors[i]);
        cr_assert_eq(a.singular[i], b.singular[i], "atom %zu: singular flag differs", i);
        /* D2min is a sum of squared residuals: an atom with exactly 3 neighbours (or an
         * otherwise exact fit) has D2min = (round-off)^2 ~ 1e-34, whose digits mean
         * nothing, so values below 1e-14 of the largest are compared absolutely. */
        expect_close("D2min", i, a.d2min[i], b.d2min[i], 1e-14 * d2max);
        expect_close("shear strain", i, a.shear_strain[i], b.shear_strain[i], 1e-30 * etamax);
        double jmax = 0.0;
        for (int k = 0; k < 9; k++) jmax = fmax(jmax, fabs(b.gradient[9 * i + k]));
        for (int k = 0; k < 9; k++)
            expect_close("J entry", i, a.gradient[9 * i + k], b.gradient[9 * i + k], jmax);
    }
    /* Without J the other outputs are unchanged (bitwise: same kernel, J just not kept). */
    o.gradient = 0;
    sb_d2min_result c = SB_D2MIN_RESULT_INIT;
    cr_assert_eq(sb_d2min_compute(&R, &C, &o, &c, &err), SB_OK, "%s", err.msg);
    cr_assert_null(c.gradient);
    cr_assert_eq(memcmp(c.d2min, a.d2min, n * sizeof *a.d2min), 0);
    sb_d2min_result_free(&a);
    sb_d2min_result_free(&b);
    sb_d2min_result_free(&c);
    sb_structure_free(&R);
    sb_structure_free(&C);
}

Test(d2min_fused, matches_reference_triclinic_glass)
{
    compare_paths(3000, 0.0585, 2.1, 5.0, 11, 0);
    compare_paths(2500, 0.0585, 2.1, 4.2, 12, 0);
}

Test(d2min_fused, matches_reference_cutoff_beyond_half_cell)
{
    /* 150 atoms: L ~ 13.7 A, perpendicular widths ~ 11-13 A, cutoff 7 A > half of them. */
    compare_paths(150, 0.0585, 2.1, 7.0, 13, 0);
}

Test(d2min_fused, matches_reference_with_singular_atoms)
{
    /* Sparse gas with a short cutoff: many atoms have fewer than 3 neighbours. */
    compare_paths(800, 0.01, 2.0, 3.6, 14, 1);
}

Test(d2min_fused, same_errors_as_reference)
{
    sb_structure R = SB_STRUCTURE_INIT, C = SB_STRUCTURE_INIT;
    make_frames(200, 0.0585, 2.1, 15, &R, &C);
    C.id[17] = 5; /* an id the reference does not have */
    sb_d2min_result a = SB_D2MIN_RESULT_INIT;
    sb_error err;
    cr_assert_eq(sb_d2min_compute(&R, &C, NULL, &a, &err), SB_ERR_INVALID_ARG);
    cr_assert(strstr(err.msg, "missing") != NULL, "%s", err.msg);
    sb_d2min_options o = sb_d2min_options_default();
    o.cutoff = -1.0;
    cr_assert_eq(sb_d2min_compute(&R, &R, &o, &a, &err), SB_ERR_INVALID_ARG);
    cr_assert(strstr(err.msg, "cutoff") != NULL, "%s", err.msg);
    R.x[3 * 4 + 1] = NAN;
    cr_assert_eq(sb_d2min_compute(&R, &R, NULL, &a, &err), SB_ERR_NUMERIC);
    sb_d2min_result_free(&a);
    sb_structure_free(&R);
    sb_structure_free(&C);
}
