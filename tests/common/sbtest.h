/*
 * sbtest.h: helpers shared by every test (linked from tests/common/).
 *
 *  - a small seeded RNG (splitmix64 seeding a xoshiro256** stream): the same seed gives
 *    the same numbers on every platform, so a failing random case can be replayed from
 *    the seed printed in the assertion message;
 *  - random periodic cells with controlled tilt, random "glass-like" configurations
 *    (uniform positions with a minimum periodic separation, two types);
 *  - a brute-force neighbour oracle that loops over every pair and every image vector in
 *    a range derived only from the perpendicular widths, and a canonical form of a
 *    neighbour list (i, j, image vector n) that compares lists exactly.
 * Everything here is plain, slow and obviously correct: it is the reference, not the
 * thing under test.
 */
#ifndef SBTEST_H
#define SBTEST_H

#include <stddef.h>
#include <stdint.h>

#include "shearband/cell.h"
#include "shearband/neighbor.h"

/* ---------------------------------------------------------------- random numbers */
typedef struct sbtest_rng {
    uint64_t s[4];
} sbtest_rng;

void sbtest_rng_seed(sbtest_rng *rng, uint64_t seed);
uint64_t sbtest_rng_u64(sbtest_rng *rng);
/* Uniform in [0, 1) with 53 random bits. */
double sbtest_rng_uniform(sbtest_rng *rng);
/* Uniform in [lo, hi). */
double sbtest_rng_range(sbtest_rng *rng, double lo, double hi);
/* Uniform integer in [0, n) (n > 0). */
uint64_t sbtest_rng_below(sbtest_rng *rng, uint64_t n);
/* Standard normal (Box-Muller). */
double sbtest_rng_normal(sbtest_rng *rng);
/* Random permutation of 0..n-1 into perm. */
void sbtest_rng_permutation(sbtest_rng *rng, size_t *perm, size_t n);

/* ---------------------------------------------------------------- cells and structures */
/* A random cell: edge lengths uniform in [lmin, lmax], tilts xy, xz uniform in
 * [-tilt*lx, tilt*lx] and yz in [-tilt*ly, tilt*ly], origin lo uniform in [-10, 10)^3. */
void sbtest_random_cell(sbtest_rng *rng, double lmin, double lmax, double tilt, sb_cell *cell);

/* A hard case for neighbour searches: a random cell (edges 6-14, tilt as above) with 5-204
 * atoms scattered over five periodic images per axis (*x: malloc'ed, 3n doubles), and a
 * cutoff log-uniform between 0.3 x the smallest and 2 x the largest cell width. */
void sbtest_random_neighbor_case(sbtest_rng *rng, double tilt, sb_cell *cell, double **x, size_t *n,
                                 double *cutoff);

/* Shortest periodic image of d, by brute force over image vectors in [-range, range]^3
 * added to the fractionally rounded d. Returns |d|^2 and writes the image to out. */
double sbtest_min_image_brute(const sb_cell *cell, const double d[3], int range, double out[3]);

/* n random positions (x: 3n) inside the cell with every pair, and every atom and its own
 * images, at least rmin apart over all periodic images; types (if not NULL) 1 or 2 with
 * equal probability. Returns 0 on success, -1 if random sequential placement could not
 * fit the atoms (too dense, or rmin larger than a cell width). O(n^2): for tests. */
int sbtest_random_glass(sbtest_rng *rng, const sb_cell *cell, size_t n, double rmin, double *x,
                        int *type);

/* ---------------------------------------------------------------- neighbour oracle */
/* One neighbour entry in canonical form: atom i sees image n of atom j at d. */
typedef struct sbtest_pair {
    uint32_t i, j;
    int n[3];
    double d[3];
    double r;
} sbtest_pair;

/* Every (i, j, n) with 0 < |x_j + n H - x_i| <= cutoff, by brute force over all pairs and
 * every image vector in a range wide enough for the cutoff. Sorted by (i, j, n).
 * *out is malloc'd (free it); returns the count. */
size_t sbtest_brute_neighbors(const sb_cell *cell, const double *x, size_t n, double cutoff,
                              sbtest_pair **out);

/* Convert a built list to canonical form against the caller's positions x: the image
 * vector of each entry is n = round((d - (x_j - x_i)) H^-1). *max_resid receives the
 * largest |d - (x_j + n H - x_i)| (should be ~1e-12). Sorted by (i, j, n). */
size_t sbtest_canonical_list(const sb_neighbor_list *nl, const sb_cell *cell, const double *x,
                             sbtest_pair **out, double *max_resid);

/* Compare two canonical lists, ignoring entries whose distance is within tol of the
 * cutoff on either side (rounding may legitimately decide those). Returns 0 when equal;
 * otherwise writes a description of the first difference to msg. */
int sbtest_compare_pairs(const sbtest_pair *a, size_t na, const sbtest_pair *b, size_t nb,
                         double cutoff, double tol, char *msg, size_t msglen);

/* Sort canonical entries by (i, j, n). */
void sbtest_sort_pairs(sbtest_pair *p, size_t n);

#endif
