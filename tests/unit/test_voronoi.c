/* Voronoi analysis: volumes tile the cell, crystal indices, invariances, radical option. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/io.h"
#include "shearband/voronoi.h"

static uint64_t rng = 4242;
static double uniform(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

/* A cubic crystal of nc^3 conventional cells with the given basis (fractional). */
static void crystal(sb_structure *s, int nc, double a, const double (*basis)[3], int nbasis)
{
    cr_assert_eq(sb_structure_alloc(s, (size_t)nc * nc * nc * nbasis, 1, NULL), SB_OK);
    cr_assert_eq(sb_cell_set_ortho(&s->cell, nc * a, nc * a, nc * a, NULL), SB_OK);
    size_t n = 0;
    for (int i = 0; i < nc; i++)
        for (int j = 0; j < nc; j++)
            for (int k = 0; k < nc; k++)
                for (int b = 0; b < nbasis; b++) {
                    s->x[3 * n] = (i + basis[b][0]) * a;
                    s->x[3 * n + 1] = (j + basis[b][1]) * a;
                    s->x[3 * n + 2] = (k + basis[b][2]) * a;
                    n++;
                }
}

Test(voronoi, fcc_is_rhombic_dodecahedra)
{
    static const double fcc[4][3] = {{0, 0, 0}, {0.5, 0.5, 0}, {0.5, 0, 0.5}, {0, 0.5, 0.5}};
    sb_structure s = SB_STRUCTURE_INIT;
    crystal(&s, 4, 3.61, fcc, 4);
    sb_voronoi_atom *v = calloc(s.n, sizeof *v);
    sb_voronoi_params p = sb_voronoi_params_default();
    cr_assert_eq(sb_voronoi_compute(&s, &p, v, NULL), SB_OK);
    for (size_t i = 0; i < s.n; i++) {
        cr_assert_eq(v[i].nfaces, 12, "atom %zu has %d faces", i, v[i].nfaces);
        cr_assert_eq(v[i].index[1], 12, "atom %zu: n4 = %d", i, v[i].index[1]);
        cr_assert_eq(v[i].index[2], 0);
        cr_assert_float_eq(v[i].volume, 3.61 * 3.61 * 3.61 / 4, 1e-10);
        cr_assert_float_eq(v[i].mean_neighbor_distance, 3.61 / sqrt(2.0), 1e-10);
        cr_assert_float_eq(v[i].ffb, 0.0, 0.0);
    }
    free(v);
    sb_structure_free(&s);
}

Test(voronoi, bcc_is_truncated_octahedra)
{
    static const double bcc[2][3] = {{0, 0, 0}, {0.5, 0.5, 0.5}};
    sb_structure s = SB_STRUCTURE_INIT;
    crystal(&s, 5, 3.30, bcc, 2);
    sb_voronoi_atom *v = calloc(s.n, sizeof *v);
    sb_voronoi_params p = sb_voronoi_params_default();
    cr_assert_eq(sb_voronoi_compute(&s, &p, v, NULL), SB_OK);
    for (size_t i = 0; i < s.n; i++) {
        cr_assert_eq(v[i].index[1], 6, "atom %zu: n4 = %d", i, v[i].index[1]);
        cr_assert_eq(v[i].index[3], 8, "atom %zu: n6 = %d", i, v[i].index[3]);
        cr_assert_eq(v[i].nfaces, 14);
        cr_assert_float_eq(v[i].volume, 3.30 * 3.30 * 3.30 / 2, 1e-10);
    }
    free(v);
    sb_structure_free(&s);
}

static void random_triclinic(sb_structure *s, size_t n, int ntypes)
{
    cr_assert_eq(sb_structure_alloc(s, n, ntypes, NULL), SB_OK);
    const double lo[3] = {-3, 1, 2};
    const double hi[3] = {lo[0] + 14 + 4 * uniform(), lo[1] + 13 + 4 * uniform(), lo[2] + 15 + 4 * uniform()};
    const double xy = (uniform() - 0.5) * 10, xz = (uniform() - 0.5) * 8, yz = (uniform() - 0.5) * 8;
    cr_assert_eq(sb_cell_set(&s->cell, lo, hi, xy, xz, yz, NULL), SB_OK);
    for (size_t i = 0; i < n; i++) {
        const double f[3] = {uniform(), uniform(), uniform()};
        sb_cell_to_cart(&s->cell, f, &s->x[3 * i]);
        s->type[i] = 1 + (int)(uniform() * ntypes);
    }
}

Test(voronoi, volumes_tile_random_triclinic_cells)
{
    for (int trial = 0; trial < 6; trial++) {
        sb_structure s = SB_STRUCTURE_INIT;
        random_triclinic(&s, 300 + 50 * trial, 2);
        sb_voronoi_atom *v = calloc(s.n, sizeof *v);
        sb_voronoi_params p = sb_voronoi_params_default();
        p.radical = trial % 2;
        p.radius[0] = 1.28;
        p.radius[1] = 1.60;
        cr_assert_eq(sb_voronoi_compute(&s, &p, v, NULL), SB_OK);
        double sum = 0;
        for (size_t i = 0; i < s.n; i++) sum += v[i].volume;
        const double vol = sb_cell_volume(&s.cell);
        cr_assert(fabs(sum - vol) < 1e-10 * vol, "trial %d: sum %.15g vs cell %.15g", trial, sum, vol);
        free(v);
        sb_structure_free(&s);
    }
}

Test(voronoi, radical_radii_move_volume_to_big_atoms)
{
    sb_structure s = SB_STRUCTURE_INIT;
    random_triclinic(&s, 400, 2);
    sb_voronoi_atom *a = calloc(s.n, sizeof *a), *b = calloc(s.n, sizeof *b);
    sb_voronoi_params p = sb_voronoi_params_default();
    cr_assert_eq(sb_voronoi_compute(&s, &p, a, NULL), SB_OK);
    p.radical = true;
    p.radius[0] = 1.0;
    p.radius[1] = 1.6;
    cr_assert_eq(sb_voronoi_compute(&s, &p, b, NULL), SB_OK);
    double va[2] = {0, 0}, vb[2] = {0, 0};
    for (size_t i = 0; i < s.n; i++) {
        va[s.type[i] - 1] += a[i].volume;
        vb[s.type[i] - 1] += b[i].volume;
    }
    cr_assert(vb[1] > va[1] && vb[0] < va[0]);
    /* Equal radii give the plain tessellation. */
    p.radius[1] = 1.0;
    cr_assert_eq(sb_voronoi_compute(&s, &p, b, NULL), SB_OK);
    for (size_t i = 0; i < s.n; i++) cr_assert(fabs(a[i].volume - b[i].volume) < 1e-9);
    free(a);
    free(b);
    sb_structure_free(&s);
}

Test(voronoi, invariant_to_translation_and_order)
{
    sb_structure s = SB_STRUCTURE_INIT, t = SB_STRUCTURE_INIT;
    random_triclinic(&s, 350, 2);
    cr_assert_eq(sb_structure_copy(&t, &s, NULL), SB_OK);
    for (size_t i = 0; i < s.n; i++) {
        const size_t src = s.n - 1 - i;
        for (int k = 0; k < 3; k++) t.x[3 * i + k] = s.x[3 * src + k] + 2.5 * (k + 1) + s.cell.h[1][k];
        t.type[i] = s.type[src];
    }
    sb_voronoi_atom *a = calloc(s.n, sizeof *a), *b = calloc(s.n, sizeof *b);
    sb_voronoi_params p = sb_voronoi_params_default();
    cr_assert_eq(sb_voronoi_compute(&s, &p, a, NULL), SB_OK);
    cr_assert_eq(sb_voronoi_compute(&t, &p, b, NULL), SB_OK);
    for (size_t i = 0; i < s.n; i++) {
        const sb_voronoi_atom *x = &a[i], *y = &b[s.n - 1 - i];
        cr_assert(fabs(x->volume - y->volume) < 1e-9 * x->volume);
        cr_assert_eq(x->nfaces, y->nfaces);
        cr_assert(memcmp(x->index, y->index, sizeof x->index) == 0);
    }
    free(a);
    free(b);
    sb_structure_free(&s);
    sb_structure_free(&t);
}

Test(voronoi, bad_parameters)
{
    sb_structure s = SB_STRUCTURE_INIT;
    random_triclinic(&s, 50, 2);
    sb_voronoi_atom *v = calloc(s.n, sizeof *v);
    sb_voronoi_params p = sb_voronoi_params_default();
    sb_error err;
    p.face_area_fraction = 1.5;
    cr_assert_eq(sb_voronoi_compute(&s, &p, v, &err), SB_ERR_INVALID_ARG);
    p = sb_voronoi_params_default();
    p.radical = true;
    p.radius[1] = 0;
    cr_assert_eq(sb_voronoi_compute(&s, &p, v, &err), SB_ERR_INVALID_ARG);
    cr_assert(strstr(err.msg, "type 2") != NULL);
    free(v);
    sb_structure_free(&s);
}

/* A real glass whose cell voro++ fails to cut on its first block grid (datasets/g001, atom
 * id 227 with 11^3 blocks): the retry on other grids must give every cell, and the cells
 * must still tile the box. */
Test(voronoi, glass_with_a_degenerate_cell)
{
    sb_structure s = SB_STRUCTURE_INIT;
    sb_error err = {0};
    cr_assert_eq(sb_read_structure(SB_SOURCE_DIR "/datasets/glasses/g001.data", &s, &err), SB_OK,
                 "%s", err.msg);
    sb_voronoi_atom *out = calloc(s.n, sizeof *out);
    cr_assert_not_null(out);
    const sb_voronoi_params p = sb_voronoi_params_default();
    cr_assert_eq(sb_voronoi_compute(&s, &p, out, &err), SB_OK, "%s", err.msg);
    double sum = 0.0;
    for (size_t i = 0; i < s.n; i++) {
        cr_assert_gt(out[i].volume, 0.0, "atom %zu has no cell", i);
        sum += out[i].volume;
    }
    const double vol = sb_cell_volume(&s.cell);
    cr_expect_lt(fabs(sum - vol) / vol, 1e-10, "volumes sum to %.12g, cell %.12g", sum, vol);
    free(out);
    sb_structure_free(&s);
}
