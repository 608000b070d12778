/*
 * Neighbour-list tests. The oracle is sbtest_brute_neighbors (every pair x every image in a
 * range from the perpendicular widths); lists are compared in canonical form (i, j, image
 * vector n), which is exact integer data, so a missing, extra or duplicated image fails.
 * Entries within 1e-9 of the cutoff are ignored on both sides (rounding may decide them).
 * Random cases cover orthogonal and strongly tilted cells (up to |xy| = 0.95 lx) and cutoffs
 * from 0.2 x the smallest width to 2.5 x the largest one (many images of each atom,
 * including images of atom i itself); invariances: atom order, translation, image wrapping,
 * bin size, thread count; analytic lattices; errors.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "sbtest.h"
#include "shearband/neighbor.h"

enum { NCASES = 60 };

static double min3(const double w[3])
{
    return fmin(w[0], fmin(w[1], w[2]));
}

static double max3(const double w[3])
{
    return fmax(w[0], fmax(w[1], w[2]));
}

/* Build with opt and compare against the brute-force oracle; returns entries compared. */
static size_t check_against_oracle(const sb_cell *cell, const double *x, size_t n, double rc,
                                   const sb_neighbor_options *opt, const char *what)
{
    sb_neighbor_list nl = SB_NEIGHBOR_LIST_INIT;
    sb_error err;
    cr_assert_eq(sb_neighbor_build_opts(&nl, cell, x, n, rc, opt, &err), SB_OK, "%s: %s", what,
                 err.msg);
    cr_assert_eq(nl.n, n);
    for (size_t i = 0; i < n; i++) {
        cr_assert_leq(nl.offset[i], nl.offset[i + 1], "%s: offsets not monotonic", what);
        for (size_t e = nl.offset[i]; e < nl.offset[i + 1]; e++) {
            const double *d = nl.d + 3 * e;
            const double r = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
            cr_assert(r > 0.0 && r <= rc * (1 + 1e-12), "%s: |d| = %g outside (0, %g]", what, r,
                      rc);
            cr_assert_lt(nl.j[e], n);
        }
    }
    sbtest_pair *got, *want;
    double resid;
    const size_t ngot = sbtest_canonical_list(&nl, cell, x, &got, &resid);
    const size_t nwant = sbtest_brute_neighbors(cell, x, n, rc, &want);
    cr_assert_lt(resid, 1e-9, "%s: d is not an image separation (residual %g)", what, resid);
    char msg[256];
    const int diff = sbtest_compare_pairs(got, ngot, want, nwant, rc, 1e-9, msg, sizeof msg);
    cr_assert_eq(diff, 0, "%s: %s (list %zu entries, oracle %zu)", what, msg, ngot, nwant);
    free(got);
    free(want);
    sb_neighbor_free(&nl);
    return nwant;
}

/* One random case: cell with the given maximum tilt, n atoms, random cutoff. */
static void random_case(uint64_t seed, double tilt, const sb_neighbor_options *opt)
{
    sbtest_rng rng;
    sbtest_rng_seed(&rng, seed);
    sb_cell cell;
    sbtest_random_cell(&rng, 5.0, 12.0, tilt, &cell);
    double w[3];
    sb_cell_widths(&cell, w);
    const size_t n = 1 + (size_t)sbtest_rng_below(&rng, 30);
    double *x = malloc(3 * n * sizeof *x);
    /* Half the cases: unwrapped positions spread over several cell images. */
    const int spread = (int)sbtest_rng_below(&rng, 2) * 3;
    for (size_t i = 0; i < n; i++) {
        double s[3];
        for (int k = 0; k < 3; k++)
            s[k] = sbtest_rng_uniform(&rng) + (spread ? (double)sbtest_rng_below(&rng, 7) - 3 : 0);
        sb_cell_to_cart(&cell, s, x + 3 * i);
    }
    /* cutoff log-uniform between 0.2 min width and 2.5 max width */
    const double lo = 0.2 * min3(w), hi = 2.5 * max3(w);
    const double rc = lo * exp(sbtest_rng_uniform(&rng) * log(hi / lo));
    char what[128];
    snprintf(what, sizeof what, "seed %llu (n=%zu, rc=%.3f, widths %.2f %.2f %.2f)",
             (unsigned long long)seed, n, rc, w[0], w[1], w[2]);
    check_against_oracle(&cell, x, n, rc, opt, what);
    free(x);
}

Test(neighbor, oracle_orthogonal)
{
    for (uint64_t s = 0; s < NCASES; s++) random_case(1000 + s, 0.0, NULL);
}

Test(neighbor, oracle_tilted_within_lammps_limits)
{
    for (uint64_t s = 0; s < NCASES; s++) random_case(2000 + s, 0.5, NULL);
}

Test(neighbor, oracle_heavily_tilted)
{
    /* |xy| up to 0.95 lx, as in a heavily sheared AQS cell that was never flipped */
    for (uint64_t s = 0; s < NCASES; s++) random_case(3000 + s, 0.95, NULL);
}

Test(neighbor, oracle_xy_0p9)
{
    sbtest_rng rng;
    sbtest_rng_seed(&rng, 77);
    const double lo[3] = {-3, 1, 2}, hi[3] = {7, 9, 11};
    sb_cell cell;
    sb_error err;
    cr_assert_eq(sb_cell_set(&cell, lo, hi, 0.9 * 10, 0.3 * 10, -0.6 * 8, &err), SB_OK);
    double x[3 * 40];
    cr_assert_eq(sbtest_random_glass(&rng, &cell, 40, 1.2, x, NULL), 0);
    const double cuts[] = {1.0, 2.5, 4.0, 6.0, 9.0, 15.0};
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        const size_t m = check_against_oracle(&cell, x, 40, cuts[c], NULL, "xy = 0.9 lx");
        if (cuts[c] < 1.2) cr_assert_eq(m, 0, "pairs closer than the minimum separation");
        else cr_assert_gt(m, 0);
    }
}

Test(neighbor, oracle_finer_bins)
{
    for (uint64_t s = 0; s < NCASES / 2; s++) {
        sb_neighbor_options o = sb_neighbor_options_default();
        o.bin_factor = 2.0 + (double)(s % 3);
        random_case(4000 + s, 0.7, &o);
    }
}

Test(neighbor, glass_many_atoms)
{
    /* denser, more atoms per bin: several bins per axis with the default factor */
    sbtest_rng rng;
    sbtest_rng_seed(&rng, 5);
    for (int c = 0; c < 3; c++) {
        sb_cell cell;
        sbtest_random_cell(&rng, 14.0, 18.0, 0.4 * c, &cell);
        const size_t n = 400;
        double *x = malloc(3 * n * sizeof *x);
        cr_assert_eq(sbtest_random_glass(&rng, &cell, n, 1.6, x, NULL), 0);
        cr_assert_gt(check_against_oracle(&cell, x, n, 3.7, NULL, "glass 400"), 1000);
        free(x);
    }
}

Test(neighbor, tiny_cutoff_in_big_cell)
{
    /* far more candidate bins than atoms: the bin count is capped, the list stays exact */
    sbtest_rng rng;
    sbtest_rng_seed(&rng, 64);
    sb_cell cell;
    sbtest_random_cell(&rng, 80.0, 120.0, 0.3, &cell);
    const size_t n = 50;
    double x[3 * 50];
    for (size_t i = 0; i < n; i++) {
        /* pairs of close atoms so that the list is not empty */
        double s[3] = {sbtest_rng_uniform(&rng), sbtest_rng_uniform(&rng),
                       sbtest_rng_uniform(&rng)};
        sb_cell_to_cart(&cell, s, x + 3 * i);
        if (i % 2)
            for (int k = 0; k < 3; k++)
                x[3 * i + k] = x[3 * (i - 1) + k] + sbtest_rng_range(&rng, -0.03, 0.03);
    }
    cr_assert_gt(check_against_oracle(&cell, x, n, 0.05, NULL, "tiny cutoff"), 0);
}

/* Canonical form of the list built for x, expressed against reference positions xref
 * (same physical configuration up to lattice vectors per atom). */
static size_t canonical(const sb_cell *cell, const double *x, const double *xref, size_t n,
                        double rc, const sb_neighbor_options *opt, sbtest_pair **out)
{
    sb_neighbor_list nl = SB_NEIGHBOR_LIST_INIT;
    sb_error err;
    cr_assert_eq(sb_neighbor_build_opts(&nl, cell, x, n, rc, opt, &err), SB_OK, "%s", err.msg);
    double resid;
    const size_t m = sbtest_canonical_list(&nl, cell, xref, out, &resid);
    cr_assert_lt(resid, 1e-9);
    sb_neighbor_free(&nl);
    return m;
}

static void assert_same(const sbtest_pair *a, size_t na, const sbtest_pair *b, size_t nb,
                        double rc, const char *what)
{
    char msg[256];
    cr_assert_eq(sbtest_compare_pairs(a, na, b, nb, rc, 1e-9, msg, sizeof msg), 0, "%s: %s", what,
                 msg);
}

Test(neighbor, invariances)
{
    for (uint64_t seed = 0; seed < 20; seed++) {
        sbtest_rng rng;
        sbtest_rng_seed(&rng, 500 + seed);
        sb_cell cell;
        sbtest_random_cell(&rng, 6.0, 11.0, 0.8, &cell);
        double w[3];
        sb_cell_widths(&cell, w);
        const size_t n = 2 + (size_t)sbtest_rng_below(&rng, 40);
        double *x = malloc(3 * n * sizeof *x), *y = malloc(3 * n * sizeof *y);
        for (size_t i = 0; i < n; i++) {
            double s[3] = {sbtest_rng_uniform(&rng), sbtest_rng_uniform(&rng),
                           sbtest_rng_uniform(&rng)};
            sb_cell_to_cart(&cell, s, x + 3 * i);
        }
        const double rc = sbtest_rng_range(&rng, 0.3, 1.8) * min3(w);
        sbtest_pair *ref, *p;
        const size_t nref = canonical(&cell, x, x, n, rc, NULL, &ref);

        /* atom order: build on a permutation, map indices back */
        size_t *perm = malloc(n * sizeof *perm);
        sbtest_rng_permutation(&rng, perm, n);
        for (size_t k = 0; k < n; k++) memcpy(y + 3 * k, x + 3 * perm[k], 3 * sizeof *x);
        size_t np = canonical(&cell, y, y, n, rc, NULL, &p);
        for (size_t e = 0; e < np; e++) {
            p[e].i = (uint32_t)perm[p[e].i];
            p[e].j = (uint32_t)perm[p[e].j];
        }
        sbtest_sort_pairs(p, np);
        assert_same(p, np, ref, nref, rc, "permutation");
        free(p);

        /* translation: same image vectors relative to the translated positions */
        double t[3];
        for (int k = 0; k < 3; k++) t[k] = sbtest_rng_range(&rng, -30.0, 30.0);
        for (size_t i = 0; i < 3 * n; i++) y[i] = x[i] + t[i % 3];
        np = canonical(&cell, y, y, n, rc, NULL, &p);
        assert_same(p, np, ref, nref, rc, "translation");
        free(p);

        /* image wrapping: add random lattice vectors; d vectors unchanged, so expressed
         * against the original positions the canonical list is identical */
        for (size_t i = 0; i < n; i++) {
            const double m[3] = {(double)sbtest_rng_below(&rng, 41) - 20.0,
                                 (double)sbtest_rng_below(&rng, 41) - 20.0,
                                 (double)sbtest_rng_below(&rng, 41) - 20.0};
            double v[3];
            sb_cell_frac_to_vec(&cell, m, v);
            for (int k = 0; k < 3; k++) y[3 * i + k] = x[3 * i + k] + v[k];
        }
        np = canonical(&cell, y, x, n, rc, NULL, &p);
        assert_same(p, np, ref, nref, rc, "image wrapping");
        free(p);

        /* bin size */
        sb_neighbor_options o = sb_neighbor_options_default();
        o.bin_factor = 2.5;
        np = canonical(&cell, x, x, n, rc, &o, &p);
        assert_same(p, np, ref, nref, rc, "bin_factor 2.5");
        free(p);

        free(ref);
        free(perm);
        free(x);
        free(y);
    }
}

Test(neighbor, full_list_is_symmetric)
{
    sbtest_rng rng;
    sbtest_rng_seed(&rng, 99);
    for (int c = 0; c < 10; c++) {
        sb_cell cell;
        sbtest_random_cell(&rng, 5.0, 9.0, 0.9, &cell);
        double w[3];
        sb_cell_widths(&cell, w);
        const size_t n = 25;
        double x[3 * 25];
        for (size_t i = 0; i < 3 * n; i++) x[i] = sbtest_rng_range(&rng, -20, 20);
        const double rc = sbtest_rng_range(&rng, 0.5, 2.0) * max3(w);
        sbtest_pair *p;
        const size_t m = canonical(&cell, x, x, n, rc, NULL, &p);
        /* (i, j, n) present iff (j, i, -n) present, with d opposite */
        for (size_t e = 0; e < m; e++) {
            sbtest_pair key = p[e];
            key.i = p[e].j;
            key.j = p[e].i;
            for (int k = 0; k < 3; k++) key.n[k] = -p[e].n[k];
            size_t lo = 0, hi = m;
            while (lo < hi) { /* binary search in the sorted list */
                const size_t mid = (lo + hi) / 2;
                const sbtest_pair *q = &p[mid];
                int cmp = q->i != key.i ? (q->i < key.i ? -1 : 1)
                        : q->j != key.j ? (q->j < key.j ? -1 : 1)
                        : q->n[0] != key.n[0] ? (q->n[0] < key.n[0] ? -1 : 1)
                        : q->n[1] != key.n[1] ? (q->n[1] < key.n[1] ? -1 : 1)
                        : q->n[2] != key.n[2] ? (q->n[2] < key.n[2] ? -1 : 1) : 0;
                if (cmp < 0) lo = mid + 1;
                else hi = mid;
            }
            cr_assert_lt(lo, m, "twin of entry %zu missing", e);
            const sbtest_pair *q = &p[lo];
            cr_assert(q->i == key.i && q->j == key.j && q->n[0] == key.n[0] &&
                          q->n[1] == key.n[1] && q->n[2] == key.n[2],
                      "twin of (%u,%u) missing", p[e].i, p[e].j);
            for (int k = 0; k < 3; k++) cr_assert_lt(fabs(q->d[k] + p[e].d[k]), 1e-9);
        }
        free(p);
    }
}

Test(neighbor, half_list_is_half_of_full)
{
    sbtest_rng rng;
    sbtest_rng_seed(&rng, 123);
    for (int c = 0; c < 15; c++) {
        sb_cell cell;
        sbtest_random_cell(&rng, 5.0, 9.0, 0.6, &cell);
        double w[3];
        sb_cell_widths(&cell, w);
        const size_t n = 1 + (size_t)sbtest_rng_below(&rng, 25);
        double *x = malloc(3 * n * sizeof *x);
        for (size_t i = 0; i < 3 * n; i++) x[i] = sbtest_rng_range(&rng, -10, 10);
        const double rc = sbtest_rng_range(&rng, 0.3, 2.2) * max3(w);
        sb_neighbor_options o = sb_neighbor_options_default();
        o.half = 1;
        sbtest_pair *full, *half;
        const size_t nf = canonical(&cell, x, x, n, rc, NULL, &full);
        const size_t nh = canonical(&cell, x, x, n, rc, &o, &half);
        cr_assert_eq(2 * nh, nf, "half %zu, full %zu", nh, nf);
        /* keep rule: j > i, or j == i with n lexicographically positive in (n_c, n_b, n_a) */
        size_t m = 0;
        for (size_t e = 0; e < nf; e++) {
            const sbtest_pair *q = &full[e];
            const int *v = q->n;
            const int pos = v[2] > 0 || (v[2] == 0 && (v[1] > 0 || (v[1] == 0 && v[0] > 0)));
            if (q->j > q->i || (q->j == q->i && pos)) full[m++] = *q;
        }
        assert_same(half, nh, full, m, rc, "half list");
        free(full);
        free(half);
        free(x);
    }
}

/* Simple-cubic lattice, spacing 1, 4x4x4, described by a cell whose tilts are whole
 * lattice vectors: the lattice, hence every neighbour shell, is that of the cubic cell. */
Test(neighbor, simple_cubic_shells_in_tilted_cells)
{
    const double tilts[][3] = {{0, 0, 0}, {2, 0, 0}, {3, -3, 4}, {-5, 7, 1}};
    const double shells[][2] = {{1.01, 6}, {1.42, 18}, {1.74, 26}, {2.01, 32}};
    for (size_t t = 0; t < sizeof tilts / sizeof tilts[0]; t++) {
        sb_cell cell;
        sb_error err;
        const double lo[3] = {0.5, -1, 0}, hi[3] = {4.5, 3, 4};
        cr_assert_eq(sb_cell_set(&cell, lo, hi, tilts[t][0], tilts[t][1], tilts[t][2], &err),
                     SB_OK);
        double x[3 * 64];
        size_t n = 0;
        for (int a = 0; a < 4; a++)
            for (int b = 0; b < 4; b++)
                for (int c = 0; c < 4; c++) {
                    x[3 * n] = a + 0.25;
                    x[3 * n + 1] = b - 0.5;
                    x[3 * n + 2] = c + 0.1;
                    n++;
                }
        for (size_t s = 0; s < sizeof shells / sizeof shells[0]; s++) {
            sb_neighbor_list nl = SB_NEIGHBOR_LIST_INIT;
            cr_assert_eq(sb_neighbor_build(&nl, &cell, x, n, shells[s][0], &err), SB_OK, "%s",
                         err.msg);
            for (size_t i = 0; i < n; i++)
                cr_assert_eq(sb_neighbor_count(&nl, i), (size_t)shells[s][1],
                             "tilt set %zu, cutoff %g, atom %zu: %zu neighbours", t, shells[s][0],
                             i, sb_neighbor_count(&nl, i));
            sb_neighbor_free(&nl);
        }
    }
}

Test(neighbor, single_atom_sees_only_its_images)
{
    /* one atom in a unit cube: neighbours are the lattice vectors with 0 < |n| <= rc */
    sb_cell cell;
    sb_error err;
    cr_assert_eq(sb_cell_set_ortho(&cell, 1.0, 1.0, 1.0, &err), SB_OK);
    const double x[3] = {0.3, -7.2, 12.9};
    const double rc[] = {0.5, 1.0005, 1.5, 2.5};
    for (size_t c = 0; c < 4; c++) {
        size_t want = 0;
        for (int a = -3; a <= 3; a++)
            for (int b = -3; b <= 3; b++)
                for (int k = -3; k <= 3; k++) {
                    const double r2 = a * a + b * b + k * k;
                    if (r2 > 0 && r2 <= rc[c] * rc[c]) want++;
                }
        sb_neighbor_list nl = SB_NEIGHBOR_LIST_INIT;
        cr_assert_eq(sb_neighbor_build(&nl, &cell, x, 1, rc[c], &err), SB_OK);
        cr_assert_eq(nl.offset[1], want, "rc %g: %zu images, want %zu", rc[c], nl.offset[1], want);
        for (size_t e = 0; e < nl.offset[1]; e++) {
            cr_assert_eq(nl.j[e], 0u);
            for (int k = 0; k < 3; k++) /* every d is a lattice vector */
                cr_assert_lt(fabs(nl.d[3 * e + k] - nearbyint(nl.d[3 * e + k])), 1e-12);
        }
        sb_neighbor_free(&nl);
    }
    /* and in a tilted cell, against the oracle */
    const double lo[3] = {0, 0, 0}, hi[3] = {2.0, 1.5, 1.2};
    cr_assert_eq(sb_cell_set(&cell, lo, hi, 1.7, -0.9, 1.1, &err), SB_OK);
    cr_assert_gt(check_against_oracle(&cell, x, 1, 4.0, NULL, "one atom, tilted"), 50);
}

Test(neighbor, empty_lists)
{
    sb_cell cell;
    sb_error err;
    cr_assert_eq(sb_cell_set_ortho(&cell, 10.0, 10.0, 10.0, &err), SB_OK);
    sb_neighbor_list nl = SB_NEIGHBOR_LIST_INIT;
    /* no atoms */
    cr_assert_eq(sb_neighbor_build(&nl, &cell, NULL, 0, 3.0, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(nl.n, 0);
    cr_assert_eq(nl.offset[0], 0);
    /* atoms farther apart than the cutoff */
    const double x[6] = {1, 1, 1, 6, 6, 6};
    cr_assert_eq(sb_neighbor_build(&nl, &cell, x, 2, 3.0, &err), SB_OK);
    cr_assert_eq(nl.n, 2);
    cr_assert_eq(nl.offset[0], 0);
    cr_assert_eq(nl.offset[1], 0);
    cr_assert_eq(nl.offset[2], 0);
    /* the pair is sqrt(75) = 8.66 apart, in 8 images (+-5, +-5, +-5) */
    cr_assert_eq(sb_neighbor_build(&nl, &cell, x, 2, 8.6, &err), SB_OK);
    cr_assert_eq(nl.offset[2], 0);
    cr_assert_eq(sb_neighbor_build(&nl, &cell, x, 2, 8.7, &err), SB_OK);
    cr_assert_eq(nl.offset[1], 8);
    cr_assert_eq(nl.offset[2], 16);
    sb_neighbor_free(&nl);
}

Test(neighbor, rebuild_reuses_storage)
{
    sbtest_rng rng;
    sbtest_rng_seed(&rng, 31);
    sb_cell cell;
    sbtest_random_cell(&rng, 8.0, 9.0, 0.3, &cell);
    const size_t n = 60;
    double x[3 * 60];
    cr_assert_eq(sbtest_random_glass(&rng, &cell, n, 1.0, x, NULL), 0);
    sb_neighbor_list nl = SB_NEIGHBOR_LIST_INIT;
    sb_error err;
    cr_assert_eq(sb_neighbor_build(&nl, &cell, x, n, 4.0, &err), SB_OK);
    const size_t cap = nl.capacity;
    const uint32_t *j0 = nl.j;
    cr_assert_geq(cap, nl.offset[n]);
    /* smaller cutoff, fewer atoms: no reallocation of j/d, and still correct */
    cr_assert_eq(sb_neighbor_build(&nl, &cell, x, n / 2, 3.0, &err), SB_OK);
    cr_assert_eq(nl.capacity, cap);
    cr_assert_eq(nl.j, j0);
    sbtest_pair *got, *want;
    const size_t ng = sbtest_canonical_list(&nl, &cell, x, &got, NULL);
    const size_t nw = sbtest_brute_neighbors(&cell, x, n / 2, 3.0, &want);
    assert_same(got, ng, want, nw, 3.0, "rebuild");
    free(got);
    free(want);
    sb_neighbor_free(&nl);
    cr_assert_null(nl.j);
    cr_assert_eq(nl.capacity, 0);
}

Test(neighbor, threads_give_identical_list)
{
#ifdef _OPENMP
    sbtest_rng rng;
    sbtest_rng_seed(&rng, 8);
    sb_cell cell;
    sbtest_random_cell(&rng, 15.0, 16.0, 0.5, &cell);
    const size_t n = 300;
    double *x = malloc(3 * n * sizeof *x);
    cr_assert_eq(sbtest_random_glass(&rng, &cell, n, 1.5, x, NULL), 0);
    sb_neighbor_list a = SB_NEIGHBOR_LIST_INIT, b = SB_NEIGHBOR_LIST_INIT;
    sb_error err;
    const int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    cr_assert_eq(sb_neighbor_build(&a, &cell, x, n, 4.5, &err), SB_OK);
    omp_set_num_threads(3);
    cr_assert_eq(sb_neighbor_build(&b, &cell, x, n, 4.5, &err), SB_OK);
    omp_set_num_threads(saved);
    cr_assert_eq(memcmp(a.offset, b.offset, (n + 1) * sizeof *a.offset), 0);
    cr_assert_eq(memcmp(a.j, b.j, a.offset[n] * sizeof *a.j), 0);
    cr_assert_eq(memcmp(a.d, b.d, 3 * a.offset[n] * sizeof *a.d), 0);
    sb_neighbor_free(&a);
    sb_neighbor_free(&b);
    free(x);
#else
    cr_skip_test("built without OpenMP");
#endif
}

Test(neighbor, bad_arguments)
{
    sb_cell cell;
    sb_error err;
    cr_assert_eq(sb_cell_set_ortho(&cell, 10.0, 10.0, 10.0, &err), SB_OK);
    double x[3 * 10];
    for (int i = 0; i < 30; i++) x[i] = i * 0.37;
    sb_neighbor_list nl = SB_NEIGHBOR_LIST_INIT;
    const double bad_cut[] = {0.0, -1.0, NAN, INFINITY, -INFINITY};
    for (size_t c = 0; c < 5; c++) {
        cr_assert_eq(sb_neighbor_build(&nl, &cell, x, 10, bad_cut[c], &err), SB_ERR_INVALID_ARG,
                     "cutoff %g accepted", bad_cut[c]);
        cr_assert_eq(nl.n, 0);
        cr_assert_neq(strstr(err.msg, "cutoff"), NULL, "%s", err.msg);
    }
    cr_assert_eq(sb_neighbor_build(&nl, &cell, NULL, 3, 2.0, &err), SB_ERR_INVALID_ARG);
    /* j is uint32: more than 2^32 - 1 atoms is refused before x is read */
    cr_assert_eq(sb_neighbor_build(&nl, &cell, x, (size_t)UINT32_MAX + 1, 2.0, &err),
                 SB_ERR_INVALID_ARG);
    sb_neighbor_options o = sb_neighbor_options_default();
    o.bin_factor = 0.5;
    cr_assert_eq(sb_neighbor_build_opts(&nl, &cell, x, 10, 2.0, &o, &err), SB_ERR_INVALID_ARG);
    /* a good build, then non-finite positions: error names the first bad atom */
    cr_assert_eq(sb_neighbor_build(&nl, &cell, x, 10, 2.0, &err), SB_OK);
    const double bad_val[] = {NAN, INFINITY, -INFINITY};
    for (int c = 0; c < 3; c++) {
        double y[3 * 10];
        memcpy(y, x, sizeof y);
        y[3 * 7 + c] = bad_val[c];
        y[3 * 9] = NAN;
        cr_assert_eq(sb_neighbor_build(&nl, &cell, y, 10, 2.0, &err), SB_ERR_NUMERIC);
        cr_assert_neq(strstr(err.msg, "atom 7 "), NULL, "message does not name atom 7: %s",
                      err.msg);
        cr_assert_eq(nl.n, 0, "failed build left a stale list");
    }
    sb_neighbor_free(&nl);
    sb_neighbor_free(&nl); /* double free of an emptied list is safe */
}
