/* Spatial density maps against a brute-force oracle, and their symmetries: exact cube
 * rotation, atom order, translation and periodic wrapping. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/sdm.h"

static uint64_t rng = 99;
static double uniform(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

/* n random atoms of 2 types in an (optionally tilted) cell. */
static void random_structure(sb_structure *s, size_t n, double lx, double ly, double lz, double xy,
                             double xz, double yz)
{
    cr_assert_eq(sb_structure_alloc(s, n, 2, NULL), SB_OK);
    const double lo[3] = {-1.0, 2.0, 0.5}, hi[3] = {lo[0] + lx, lo[1] + ly, lo[2] + lz};
    cr_assert_eq(sb_cell_set(&s->cell, lo, hi, xy, xz, yz, NULL), SB_OK);
    for (size_t i = 0; i < n; i++) {
        const double f[3] = {uniform(), uniform(), uniform()};
        sb_cell_to_cart(&s->cell, f, &s->x[3 * i]);
        s->type[i] = 1 + (uniform() < 0.5);
    }
}

/* The 24 proper rotations of the cube as signed permutation matrices. */
static int all_rotations(int rots[24][3][3])
{
    static const int perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    int n = 0;
    for (int pi = 0; pi < 6; pi++)
        for (int sg = 0; sg < 8; sg++) {
            int r[3][3] = {{0}};
            for (int row = 0; row < 3; row++) r[row][perms[pi][row]] = (sg >> row & 1) ? -1 : 1;
            const int det = r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1]) -
                            r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0]) +
                            r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]);
            if (det == 1) memcpy(rots[n++], r, sizeof r);
        }
    return n;
}

/* Brute force: every atom, every image in -2..2, every pixel, 3-sigma truncation per axis. */
static void oracle_proj_xy(const sb_structure *s, size_t i, const int rot[3][3], const sb_sdm_params *p,
                           float *out)
{
    const int g = p->grid;
    const double h = p->half_width, pix = 2 * h / g, a = h + 3 * p->sigma;
    memset(out, 0, sb_sdm_map_size(p) * sizeof *out);
    for (size_t j = 0; j < s->n; j++)
        for (int n0 = -2; n0 <= 2; n0++)
            for (int n1 = -2; n1 <= 2; n1++)
                for (int n2 = -2; n2 <= 2; n2++) {
                    double d[3];
                    for (int k = 0; k < 3; k++)
                        d[k] = s->x[3 * j + k] - s->x[3 * i + k] + n0 * s->cell.h[0][k] +
                               n1 * s->cell.h[1][k] + n2 * s->cell.h[2][k];
                    if (fabs(d[0]) > a || fabs(d[1]) > a || fabs(d[2]) > a) continue;
                    double X[3];
                    for (int r = 0; r < 3; r++) X[r] = rot[r][0] * d[0] + rot[r][1] * d[1] + rot[r][2] * d[2];
                    if (fabs(X[2]) > h) continue;
                    for (int row = 0; row < g; row++)
                        for (int col = 0; col < g; col++) {
                            const double du = -h + (col + 0.5) * pix - X[0];
                            const double dv = -h + (row + 0.5) * pix - X[1];
                            if (fabs(du) > 3 * p->sigma || fabs(dv) > 3 * p->sigma) continue;
                            out[((size_t)(s->type[j] - 1) * g + row) * g + col] +=
                                (float)(exp(-(du * du + dv * dv) / (2 * p->sigma * p->sigma)) /
                                        (2 * 3.14159265358979323846 * p->sigma * p->sigma));
                        }
                }
}

static double rel_diff(const float *a, const float *b, size_t n)
{
    double num = 0, den = 0;
    for (size_t k = 0; k < n; k++) {
        num += ((double)a[k] - b[k]) * ((double)a[k] - b[k]);
        den += (double)b[k] * b[k];
    }
    return sqrt(num / (den > 0 ? den : 1));
}

static void check_against_oracle(double xy, double half_width)
{
    sb_structure s = SB_STRUCTURE_INIT;
    random_structure(&s, 300, 15.0, 13.0, 14.0, xy, 0.3 * xy, -0.2 * xy);
    sb_sdm_params p = sb_sdm_params_default();
    p.half_width = half_width;
    p.grid = 16;
    sb_sdm_builder *b;
    cr_assert_eq(sb_sdm_builder_create(&b, &s, &p, NULL), SB_OK);
    int rots[24][3][3];
    cr_assert_eq(all_rotations(rots), 24);
    const size_t m = sb_sdm_map_size(&p);
    float *got = malloc(m * sizeof *got), *want = malloc(m * sizeof *want);
    for (size_t i = 0; i < s.n; i += 37) {
        const int k = (int)(i % 24);
        cr_assert_eq(sb_sdm_compute(b, &i, 1, (const int (*)[3])rots[k], got, NULL), SB_OK);
        oracle_proj_xy(&s, i, (const int (*)[3])rots[k], &p, want);
        cr_assert(rel_diff(got, want, m) < 1e-6, "atom %zu orientation %d: rel diff %g", i, k,
                  rel_diff(got, want, m));
    }
    free(got);
    free(want);
    sb_sdm_builder_free(b);
    sb_structure_free(&s);
}

Test(sdm, matches_brute_force_orthogonal) { check_against_oracle(0.0, 5.0); }
Test(sdm, matches_brute_force_tilted) { check_against_oracle(5.0, 5.0); }
/* A cube wider than the cell: images of the same atom (and of the centre) all count. */
Test(sdm, matches_brute_force_cube_larger_than_cell) { check_against_oracle(2.0, 9.0); }

Test(sdm, single_atom_is_a_normalised_gaussian)
{
    sb_structure s = SB_STRUCTURE_INIT;
    cr_assert_eq(sb_structure_alloc(&s, 1, 2, NULL), SB_OK);
    cr_assert_eq(sb_cell_set_ortho(&s.cell, 40, 40, 40, NULL), SB_OK);
    s.type[0] = 2;
    sb_sdm_params p = sb_sdm_params_default();
    const size_t m = sb_sdm_map_size(&p);
    float *map = malloc(m * sizeof *map);
    sb_sdm_builder *b;
    cr_assert_eq(sb_sdm_builder_create(&b, &s, &p, NULL), SB_OK);
    const int id[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    const size_t i0 = 0;
    cr_assert_eq(sb_sdm_compute(b, &i0, 1, id, map, NULL), SB_OK);
    const size_t plane = (size_t)p.grid * p.grid;
    double sum0 = 0, sum1 = 0;
    for (size_t k = 0; k < plane; k++) {
        sum0 += map[k];
        sum1 += map[plane + k];
    }
    /* Type 2 -> channel 1; the integral of the density over the image is one atom. */
    cr_assert_float_eq(sum0, 0.0, 0.0);
    const double pix = 2 * p.half_width / p.grid;
    cr_assert(fabs(sum1 * pix * pix - 1.0) < 0.01, "integral %g", sum1 * pix * pix);
    /* Pixel (15,15) centre is at (-0.25, -0.25): exp(-(0.0625+0.0625)/0.5) / (2 pi 0.25). */
    const double want = exp(-0.25) / (2 * 3.14159265358979323846 * 0.25);
    cr_assert(fabs(map[plane + 15 * p.grid + 15] - want) < 1e-6 * want);
    free(map);
    sb_sdm_builder_free(b);
    sb_structure_free(&s);
}

/* Rotating the sample by Q and loading it with R_K is loading the original with R_K Q. */
Test(sdm, cube_rotation_of_the_sample_rotates_the_map)
{
    sb_structure s = SB_STRUCTURE_INIT, t = SB_STRUCTURE_INIT;
    random_structure(&s, 400, 16.0, 18.0, 20.0, 0, 0, 0);
    int rots[24][3][3];
    all_rotations(rots);
    sb_sdm_params p = sb_sdm_params_default();
    p.kind = SB_SDM_PROJ_3;
    p.half_width = 6.0;
    p.grid = 12;
    const size_t m = sb_sdm_map_size(&p);
    float *a = malloc(m * sizeof *a), *c = malloc(m * sizeof *c);
    for (int q = 1; q < 24; q += 5) {
        /* t = Q s: positions rotated about the origin, cell edges permuted. */
        const int (*Q)[3] = (const int (*)[3])rots[q];
        cr_assert_eq(sb_structure_copy(&t, &s, NULL), SB_OK);
        double L[3] = {16, 18, 20}, Lr[3];
        for (int r = 0; r < 3; r++) Lr[r] = fabs(Q[r][0] * L[0] + Q[r][1] * L[1] + Q[r][2] * L[2]);
        cr_assert_eq(sb_cell_set_ortho(&t.cell, Lr[0], Lr[1], Lr[2], NULL), SB_OK);
        for (size_t i = 0; i < s.n; i++)
            for (int r = 0; r < 3; r++)
                t.x[3 * i + r] = Q[r][0] * s.x[3 * i] + Q[r][1] * s.x[3 * i + 1] + Q[r][2] * s.x[3 * i + 2];
        sb_structure_wrap(&t);
        sb_sdm_builder *bs, *bt;
        cr_assert_eq(sb_sdm_builder_create(&bs, &s, &p, NULL), SB_OK);
        cr_assert_eq(sb_sdm_builder_create(&bt, &t, &p, NULL), SB_OK);
        for (int k = 0; k < 24; k += 7) {
            int rk_q[3][3] = {{0}};
            for (int r = 0; r < 3; r++)
                for (int cc = 0; cc < 3; cc++)
                    for (int l = 0; l < 3; l++) rk_q[r][cc] += rots[k][r][l] * Q[l][cc];
            for (size_t i = 0; i < s.n; i += 53) {
                cr_assert_eq(sb_sdm_compute(bt, &i, 1, (const int (*)[3])rots[k], a, NULL), SB_OK);
                cr_assert_eq(sb_sdm_compute(bs, &i, 1, (const int (*)[3])rk_q, c, NULL), SB_OK);
                cr_assert(rel_diff(a, c, m) < 1e-6, "Q %d K %d atom %zu: %g", q, k, i, rel_diff(a, c, m));
            }
        }
        /* And a genuinely different orientation gives a different map. */
        size_t i0 = 0;
        cr_assert_eq(sb_sdm_compute(bs, &i0, 1, (const int (*)[3])rots[0], a, NULL), SB_OK);
        cr_assert_eq(sb_sdm_compute(bs, &i0, 1, (const int (*)[3])rots[3], c, NULL), SB_OK);
        cr_assert(rel_diff(a, c, m) > 0.1);
        sb_sdm_builder_free(bs);
        sb_sdm_builder_free(bt);
    }
    free(a);
    free(c);
    sb_structure_free(&s);
    sb_structure_free(&t);
}

Test(sdm, invariant_to_order_translation_and_wrapping)
{
    sb_structure s = SB_STRUCTURE_INIT, t = SB_STRUCTURE_INIT;
    random_structure(&s, 500, 17.0, 17.0, 17.0, 3.0, -2.0, 1.0);
    cr_assert_eq(sb_structure_copy(&t, &s, NULL), SB_OK);
    /* Reverse the order, translate everything, and push each atom by random lattice vectors. */
    const double shift[3] = {3.3, -7.1, 0.4};
    for (size_t i = 0; i < s.n; i++) {
        const size_t src = s.n - 1 - i;
        const int n0 = (int)(uniform() * 5) - 2, n1 = (int)(uniform() * 5) - 2, n2 = (int)(uniform() * 5) - 2;
        for (int k = 0; k < 3; k++)
            t.x[3 * i + k] = s.x[3 * src + k] + shift[k] + n0 * s.cell.h[0][k] + n1 * s.cell.h[1][k] +
                             n2 * s.cell.h[2][k];
        t.type[i] = s.type[src];
        t.id[i] = s.id[src];
    }
    sb_sdm_params p = sb_sdm_params_default();
    p.kind = SB_SDM_GRID3D;
    p.half_width = 6.0;
    p.grid = 12;
    const size_t m = sb_sdm_map_size(&p);
    float *a = malloc(m * sizeof *a), *c = malloc(m * sizeof *c);
    sb_sdm_builder *bs, *bt;
    cr_assert_eq(sb_sdm_builder_create(&bs, &s, &p, NULL), SB_OK);
    cr_assert_eq(sb_sdm_builder_create(&bt, &t, &p, NULL), SB_OK);
    const int rot[3][3] = {{0, 1, 0}, {0, 0, 1}, {1, 0, 0}};
    for (size_t i = 0; i < s.n; i += 41) {
        const size_t ti = s.n - 1 - i;
        cr_assert_eq(sb_sdm_compute(bs, &i, 1, rot, a, NULL), SB_OK);
        cr_assert_eq(sb_sdm_compute(bt, &ti, 1, rot, c, NULL), SB_OK);
        cr_assert(rel_diff(a, c, m) < 1e-6, "atom %zu: %g", i, rel_diff(a, c, m));
    }
    free(a);
    free(c);
    sb_sdm_builder_free(bs);
    sb_sdm_builder_free(bt);
    sb_structure_free(&s);
    sb_structure_free(&t);
}

Test(sdm, bad_input_is_an_error)
{
    sb_structure s = SB_STRUCTURE_INIT;
    random_structure(&s, 10, 10, 10, 10, 0, 0, 0);
    s.type[3] = 3;
    sb_sdm_params p = sb_sdm_params_default();
    sb_sdm_builder *b;
    sb_error err;
    cr_assert_eq(sb_sdm_builder_create(&b, &s, &p, &err), SB_ERR_INVALID_ARG);
    cr_assert(strstr(err.msg, "type 3") != NULL, "%s", err.msg);
    s.type[3] = 1;
    p.sigma = -1;
    cr_assert_eq(sb_sdm_builder_create(&b, &s, &p, &err), SB_ERR_INVALID_ARG);
    p = sb_sdm_params_default();
    cr_assert_eq(sb_sdm_builder_create(&b, &s, &p, &err), SB_OK);
    const int mirror[3][3] = {{-1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    float *map = malloc(sb_sdm_map_size(&p) * sizeof *map);
    size_t i = 0;
    cr_assert_eq(sb_sdm_compute(b, &i, 1, mirror, map, &err), SB_ERR_INVALID_ARG);
    i = 10;
    const int id[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    cr_assert_eq(sb_sdm_compute(b, &i, 1, id, map, &err), SB_ERR_INVALID_ARG);
    free(map);
    sb_sdm_builder_free(b);
    sb_structure_free(&s);
}

/* The symmetries of simple shear as index flips: the half turn about Z equals loading with
 * C2z R, the mirror Z -> -Z equals the map of the mirrored sample, for every kind. */
Test(sdm, shear_symmetries_are_exact_flips)
{
    sb_structure s = SB_STRUCTURE_INIT, t = SB_STRUCTURE_INIT;
    random_structure(&s, 400, 16.0, 18.0, 20.0, 0, 0, 0);
    /* t: z -> -z (an improper map, so not a loading rotation: a new sample) */
    cr_assert_eq(sb_structure_copy(&t, &s, NULL), SB_OK);
    for (size_t i = 0; i < s.n; i++) t.x[3 * i + 2] = -s.x[3 * i + 2];
    sb_structure_wrap(&t);
    const int R[3][3] = {{0, 1, 0}, {-1, 0, 0}, {0, 0, 1}}; /* a rotation about Z */
    const int C2R[3][3] = {{0, -1, 0}, {1, 0, 0}, {0, 0, 1}}; /* diag(-1, -1, 1) R */
    const int E[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    const sb_sdm_kind kinds[3] = {SB_SDM_PROJ_XY, SB_SDM_PROJ_3, SB_SDM_GRID3D};
    for (int kk = 0; kk < 3; kk++) {
        sb_sdm_params p = sb_sdm_params_default();
        p.kind = kinds[kk];
        p.half_width = 6.0;
        p.grid = 12;
        const size_t m = sb_sdm_map_size(&p);
        float *a = malloc(m * sizeof *a), *c = malloc(m * sizeof *c);
        sb_sdm_builder *bs, *bt;
        cr_assert_eq(sb_sdm_builder_create(&bs, &s, &p, NULL), SB_OK);
        cr_assert_eq(sb_sdm_builder_create(&bt, &t, &p, NULL), SB_OK);
        for (size_t i = 0; i < s.n; i += 37) {
            cr_assert_eq(sb_sdm_compute(bs, &i, 1, R, a, NULL), SB_OK);
            sb_sdm_symmetry(&p, a, SB_SDM_HALF_TURN_Z);
            cr_assert_eq(sb_sdm_compute(bs, &i, 1, C2R, c, NULL), SB_OK);
            cr_assert(rel_diff(a, c, m) < 1e-6, "%s half turn, atom %zu: %g", sb_sdm_kind_name(p.kind), i,
                      rel_diff(a, c, m));
            cr_assert_eq(sb_sdm_compute(bs, &i, 1, E, a, NULL), SB_OK);
            sb_sdm_symmetry(&p, a, SB_SDM_MIRROR_Z);
            cr_assert_eq(sb_sdm_compute(bt, &i, 1, E, c, NULL), SB_OK);
            cr_assert(rel_diff(a, c, m) < 1e-6, "%s mirror, atom %zu: %g", sb_sdm_kind_name(p.kind), i,
                      rel_diff(a, c, m));
            /* each is its own inverse; applied twice nothing changes */
            memcpy(c, a, m * sizeof *a);
            sb_sdm_symmetry(&p, a, 3u);
            sb_sdm_symmetry(&p, a, 3u);
            cr_assert(memcmp(a, c, m * sizeof *a) == 0);
        }
        /* the flips are not trivial: a half turn changes the map (but not for proj_xy's mirror) */
        size_t i0 = 0;
        cr_assert_eq(sb_sdm_compute(bs, &i0, 1, R, a, NULL), SB_OK);
        memcpy(c, a, m * sizeof *a);
        sb_sdm_symmetry(&p, a, SB_SDM_HALF_TURN_Z);
        cr_assert(rel_diff(a, c, m) > 0.1);
        sb_sdm_builder_free(bs);
        sb_sdm_builder_free(bt);
        free(a);
        free(c);
    }
    sb_structure_free(&s);
    sb_structure_free(&t);
}
