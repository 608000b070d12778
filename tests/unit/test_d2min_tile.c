/*
 * The candidate tiles behind the fused D2min kernel (nb_tile_build / nb_tile_gather,
 * cell/neighbor_internal.h) against the per-atom stencil walk nb_plan_gather(), which
 * test_neighbor_gather.c ties entry by entry to the public list: for every atom, the tile
 * of its bin must give the same neighbours in the same order with bitwise the same
 * displacements (the bounding-box cull may only drop candidates beyond the cutoff).
 * Cases: random triclinic cells (tilts up to 0.9 of the edge), unwrapped positions,
 * cutoffs from 0.3 x the smallest width to 2 x the largest (several images per atom,
 * including the atom's own), bin factors 1 and 2. Also: sb_d2min_compute gives bitwise the
 * same results on 1 and 3 threads (the tiles are per thread, the sums per atom).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "cell/neighbor_internal.h"
#include "sbtest.h"
#include "shearband/strain.h"
#include "shearband/structure.h"

static void tile_case(uint64_t seed, double tilt, double bin_factor)
{
    sbtest_rng rng;
    sbtest_rng_seed(&rng, seed);
    sb_cell cell;
    double *x, rc;
    size_t n;
    sbtest_random_neighbor_case(&rng, tilt, &cell, &x, &n, &rc);

    sb_error err;
    nb_plan p;
    cr_assert_eq(nb_plan_build(&p, &cell, x, n, rc, bin_factor, 0, &err), SB_OK, "%s", err.msg);
    nb_tile t;
    cr_assert(nb_tile_alloc(&t, &p));
    const size_t cap = nb_plan_max_candidates(&p), tcap = nb_tile_capacity(&t);
    cr_assert(tcap >= cap, "tile capacity %zu below the candidates %zu", tcap, cap);
    uint32_t *kj = malloc(cap * sizeof *kj), *tj = malloc(tcap * sizeof *tj);
    double *dx = malloc(cap * sizeof *dx), *dy = malloc(cap * sizeof *dy);
    double *dz = malloc(cap * sizeof *dz), *tx = malloc(tcap * sizeof *tx);
    double *ty = malloc(tcap * sizeof *ty), *tz = malloc(tcap * sizeof *tz);
    double *ok = malloc((p.scratch_len ? p.scratch_len : 1) * sizeof *ok);
    for (size_t q = 0; q < p.nbins; q++) {
        nb_tile_build(&t, &p, q);
        for (size_t k = p.bin_start[q]; k < p.bin_start[q + 1]; k++) {
            const size_t m = nb_plan_gather(&p, k, kj, dx, dy, dz, ok);
            const size_t mt = nb_tile_gather(&t, &p, k, tj, tx, ty, tz);
            cr_assert_eq(mt, m, "seed %llu atom %zu: tile %zu neighbours, walk %zu",
                         (unsigned long long)seed, k, mt, m);
            cr_assert_eq(memcmp(tj, kj, m * sizeof *kj), 0, "seed %llu atom %zu: indices differ",
                         (unsigned long long)seed, k);
            cr_assert(memcmp(tx, dx, m * sizeof *dx) == 0 && memcmp(ty, dy, m * sizeof *dy) == 0 &&
                          memcmp(tz, dz, m * sizeof *dz) == 0,
                      "seed %llu atom %zu: displacements differ", (unsigned long long)seed, k);
        }
    }
    free(kj), free(tj), free(dx), free(dy), free(dz), free(tx), free(ty), free(tz), free(ok);
    nb_tile_free(&t);
    nb_plan_free(&p);
    free(x);
}

Test(d2min_tile, equals_stencil_walk_orthogonal)
{
    for (uint64_t s = 0; s < 40; s++) tile_case(17000 + s, 0.0, 1.0);
}

Test(d2min_tile, equals_stencil_walk_triclinic)
{
    for (uint64_t s = 0; s < 40; s++) tile_case(18000 + s, 0.9, 1.0);
}

Test(d2min_tile, equals_stencil_walk_fine_bins)
{
    for (uint64_t s = 0; s < 40; s++) tile_case(19000 + s, 0.5, 2.0);
}

Test(d2min_tile, threads_give_identical_results)
{
#ifdef _OPENMP
    sbtest_rng rng;
    sbtest_rng_seed(&rng, 23);
    const size_t n = 600;
    sb_structure R = SB_STRUCTURE_INIT, C = SB_STRUCTURE_INIT;
    cr_assert_eq(sb_structure_alloc(&R, n, 1, NULL), SB_OK);
    cr_assert_eq(sb_structure_alloc(&C, n, 1, NULL), SB_OK);
    sbtest_random_cell(&rng, 21.0, 22.0, 0.3, &R.cell);
    cr_assert_eq(sbtest_random_glass(&rng, &R.cell, n, 2.0, R.x, NULL), 0);
    C.cell = R.cell;
    for (size_t i = 0; i < n; i++) {
        R.id[i] = C.id[i] = (int64_t)(i + 1);
        for (int k = 0; k < 3; k++) C.x[3 * i + k] = R.x[3 * i + k] + 0.2 * sbtest_rng_normal(&rng);
    }
    sb_d2min_result a = SB_D2MIN_RESULT_INIT, b = SB_D2MIN_RESULT_INIT;
    sb_error err;
    const int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    cr_assert_eq(sb_d2min_compute(&R, &C, NULL, &a, &err), SB_OK, "%s", err.msg);
    omp_set_num_threads(3);
    cr_assert_eq(sb_d2min_compute(&R, &C, NULL, &b, &err), SB_OK, "%s", err.msg);
    omp_set_num_threads(saved);
    cr_assert_eq(memcmp(a.d2min, b.d2min, n * sizeof *a.d2min), 0);
    cr_assert_eq(memcmp(a.shear_strain, b.shear_strain, n * sizeof *a.shear_strain), 0);
    cr_assert_eq(memcmp(a.gradient, b.gradient, 9 * n * sizeof *a.gradient), 0);
    cr_assert_eq(memcmp(a.nneighbors, b.nneighbors, n * sizeof *a.nneighbors), 0);
    sb_d2min_result_free(&a);
    sb_d2min_result_free(&b);
    sb_structure_free(&R);
    sb_structure_free(&C);
#endif
}
