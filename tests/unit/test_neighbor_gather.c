/*
 * The library-internal stencil walk nb_plan_gather() (cell/neighbor_internal.h) against the
 * public full list: for the same positions, cutoff and bin factor, the gather of sorted
 * atom k must return exactly row orig[k] of sb_neighbor_build()'s list, entry by entry (same
 * neighbours in the same order, bitwise the same displacements), because both walk the same
 * plan. The list itself is tested against a brute-force oracle in test_neighbor.c, so this
 * ties the gather to that oracle. Cases: random triclinic cells (tilts up to 0.9 of the
 * edge), unwrapped positions, cutoffs from 0.3 x the smallest width to 2 x the largest
 * (many images per atom, including images of the atom itself), bin factors 1 and 2.
 * Also checks that nb_plan_max_candidates() bounds every atom's candidates (the buffers
 * would overflow otherwise: run under the sanitizer build).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cell/neighbor_internal.h"
#include "sbtest.h"
#include "shearband/neighbor.h"

static void gather_case(uint64_t seed, double tilt, double bin_factor)
{
    sbtest_rng rng;
    sbtest_rng_seed(&rng, seed);
    sb_cell cell;
    double *x, rc;
    size_t n;
    sbtest_random_neighbor_case(&rng, tilt, &cell, &x, &n, &rc);

    sb_neighbor_options o = sb_neighbor_options_default();
    o.bin_factor = bin_factor;
    sb_neighbor_list nl = SB_NEIGHBOR_LIST_INIT;
    sb_error err;
    cr_assert_eq(sb_neighbor_build_opts(&nl, &cell, x, n, rc, &o, &err), SB_OK, "%s", err.msg);
    nb_plan p;
    cr_assert_eq(nb_plan_build(&p, &cell, x, n, rc, bin_factor, 0, &err), SB_OK, "%s", err.msg);
    const size_t cap = nb_plan_max_candidates(&p);
    cr_assert(cap >= 1 && cap <= n * 2000, "capacity %zu", cap);
    uint32_t *kj = malloc(cap * sizeof *kj);
    double *dx = malloc(cap * sizeof *dx), *dy = malloc(cap * sizeof *dy);
    double *dz = malloc(cap * sizeof *dz);
    double *ok = malloc((p.scratch_len ? p.scratch_len : 1) * sizeof *ok);
    size_t total = 0;
    for (size_t k = 0; k < n; k++) {
        const size_t m = nb_plan_gather(&p, k, kj, dx, dy, dz, ok);
        cr_assert(m <= cap);
        const size_t i = p.orig[k];
        cr_assert_eq(m, sb_neighbor_count(&nl, i), "seed %llu atom %zu: gather %zu, list %zu",
                     (unsigned long long)seed, i, m, sb_neighbor_count(&nl, i));
        for (size_t t = 0; t < m; t++) {
            const size_t e = nl.offset[i] + t;
            cr_assert_eq(p.orig[kj[t]], nl.j[e], "seed %llu atom %zu entry %zu",
                         (unsigned long long)seed, i, t);
            const double got[3] = {dx[t], dy[t], dz[t]};
            cr_assert_eq(memcmp(got, nl.d + 3 * e, sizeof got), 0,
                         "seed %llu atom %zu entry %zu: displacement differs",
                         (unsigned long long)seed, i, t);
        }
        total += m;
    }
    cr_assert_eq(total, nl.offset[n]);
    free(kj), free(dx), free(dy), free(dz), free(ok);
    nb_plan_free(&p);
    sb_neighbor_free(&nl);
    free(x);
}

Test(neighbor_gather, equals_list_rows_orthogonal)
{
    for (uint64_t s = 0; s < 40; s++) gather_case(7000 + s, 0.0, 1.0);
}

Test(neighbor_gather, equals_list_rows_triclinic)
{
    for (uint64_t s = 0; s < 40; s++) gather_case(8000 + s, 0.9, 1.0);
}

Test(neighbor_gather, equals_list_rows_fine_bins)
{
    for (uint64_t s = 0; s < 40; s++) gather_case(9000 + s, 0.5, 2.0);
}
