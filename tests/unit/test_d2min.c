/*
 * D2min, J and von Mises strain against analytic cases, invariances and a brute-force
 * oracle (strain.h):
 *   - a homogeneous affine map of positions and cell (simple shear up to xy = 0.4 ly, and a
 *     general triangular F with stretch) gives D2min = 0 to round-off, J = F, and the von
 *     Mises strain computed by hand from F;
 *   - rigid translation with wrapping and a permutation of the current atoms change nothing;
 *   - one displaced atom gives the closed forms D2min_k = |delta|^2 (N_k - S^T Y^-1 S) for
 *     itself (S = sum of its bonds) and |delta|^2 (1 - d0^T Y_j^-1 d0) for each neighbour j;
 *   - a random non-affine field in a sheared cell matches an O(N^2) implementation that
 *     builds current bonds by minimum image in the current cell and solves by Gauss-Jordan;
 *   - coplanar neighbourhoods and isolated atoms are flagged with D2min = 0, J = I;
 *   - bad arguments and a missing id fail with a message.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/strain.h"
#include "shearband/structure.h"
#include "strain_synthetic.h"

enum { NGLASS = 1200 };
static const double RHO = 0.0585, DMIN = 2.1, RC = 5.0;

typedef struct fixture {
    sb_cell cell;
    double *x;
    sb_neighbor_list nl;
} fixture;

static void fixture_make(fixture *f, uint64_t seed)
{
    f->x = malloc(3 * NGLASS * sizeof *f->x);
    cr_assert_eq(syn_glass(NGLASS, RHO, DMIN, seed, &f->cell, f->x), 0, "RSA failed");
    memset(&f->nl, 0, sizeof f->nl);
    syn_brute_neighbors(&f->nl, &f->cell, f->x, NGLASS, RC);
}

static void fixture_free(fixture *f)
{
    free(f->x);
    syn_free_neighbors(&f->nl);
}

static double max_abs(const double *v, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(v[i]));
    return m;
}

/* Von Mises strain of F computed independently of the library: C = F^T F written out. */
static double vm_by_hand(const double F[3][3])
{
    double E[3][3];
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            double c = F[0][a] * F[0][b] + F[1][a] * F[1][b] + F[2][a] * F[2][b];
            E[a][b] = 0.5 * (c - (a == b));
        }
    const double s = E[0][1] * E[0][1] + E[0][2] * E[0][2] + E[1][2] * E[1][2];
    const double t = pow(E[0][0] - E[1][1], 2) + pow(E[0][0] - E[2][2], 2) + pow(E[1][1] - E[2][2], 2);
    return sqrt(s + t / 6.0);
}

/* Apply an upper-triangular F (column convention r' = F r, i.e. rows r' = r F^T) to cell
 * and positions: H' = H F^T stays lower triangular. */
static void deform_cell(const sb_cell *c, const double F[3][3], sb_cell *out)
{
    double Hn[3][3];
    for (int r = 0; r < 3; r++)
        for (int k = 0; k < 3; k++)
            Hn[r][k] = c->h[r][0] * F[k][0] + c->h[r][1] * F[k][1] + c->h[r][2] * F[k][2];
    cr_assert(fabs(Hn[0][1]) < 1e-14 && fabs(Hn[0][2]) < 1e-14 && fabs(Hn[1][2]) < 1e-14);
    const double lo[3] = {c->lo[0], c->lo[1], c->lo[2]};
    const double hi[3] = {lo[0] + Hn[0][0], lo[1] + Hn[1][1], lo[2] + Hn[2][2]};
    cr_assert_eq(sb_cell_set(out, lo, hi, Hn[1][0], Hn[2][0], Hn[2][1], NULL), SB_OK);
}

static void check_affine(const double F[3][3], uint64_t seed)
{
    fixture f;
    fixture_make(&f, seed);
    sb_cell cc;
    deform_cell(&f.cell, F, &cc);
    double *y = malloc(3 * NGLASS * sizeof *y);
    syn_affine_map(&f.cell, &cc, f.x, y, NGLASS);
    sb_d2min_options o = sb_d2min_options_default();
    sb_d2min_result r = SB_D2MIN_RESULT_INIT;
    sb_error err;
    cr_assert_eq(sb_d2min_from_neighbors(&f.cell, f.x, &cc, y, NGLASS, &f.nl, &o, &r, &err), SB_OK,
                 "%s", err.msg);
    cr_assert_eq(r.n_singular, 0);
    const double vm = vm_by_hand(F);
    for (size_t i = 0; i < NGLASS; i++) {
        cr_assert(r.d2min[i] < 1e-20, "atom %zu: D2min %g not zero for an affine map", i, r.d2min[i]);
        cr_assert(r.nneighbors[i] > 20);
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++)
                cr_assert(fabs(r.gradient[9 * i + 3 * a + b] - F[a][b]) < 1e-12,
                          "atom %zu J[%d][%d] = %.17g, F = %.17g", i, a, b,
                          r.gradient[9 * i + 3 * a + b], F[a][b]);
        cr_assert(fabs(r.shear_strain[i] - vm) < 1e-12, "eta %.17g vs %.17g", r.shear_strain[i], vm);
    }
    sb_d2min_result_free(&r);
    free(y);
    fixture_free(&f);
}

Test(d2min, affine_simple_shear_large_tilt)
{
    /* xy = 0.4 ly: 40 % engineering shear strain, beyond LAMMPS's flip limit. */
    const double g = 0.4;
    const double F[3][3] = {{1, g, 0}, {0, 1, 0}, {0, 0, 1}};
    check_affine(F, 11);
    /* The analytic von Mises strain of simple shear: sqrt(g^2/4 + g^4/12). */
    cr_assert(fabs(vm_by_hand(F) - sqrt(g * g / 4 + g * g * g * g / 12)) < 1e-15);
}

Test(d2min, affine_general_stretch)
{
    const double F[3][3] = {{1.1, 0.3, -0.2}, {0, 0.93, 0.15}, {0, 0, 1.07}};
    check_affine(F, 12);
}

Test(d2min, von_mises_of_identity_and_shear)
{
    const double I[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    cr_assert_eq(sb_von_mises_strain(I), 0.0);
    const double g = 0.2;
    const double S[9] = {1, g, 0, 0, 1, 0, 0, 0, 1};
    cr_assert(fabs(sb_von_mises_strain(S) - sqrt(g * g / 4 + g * g * g * g / 12)) < 1e-15);
}

/* A non-affine current frame: shear xy = gamma ly plus Gaussian noise of width sigma. */
static double *make_nonaffine(const fixture *f, double gamma, double sigma, uint64_t seed, sb_cell *cc)
{
    const double F[3][3] = {{1, gamma, 0}, {0, 1, 0}, {0, 0, 1}};
    deform_cell(&f->cell, F, cc);
    double *y = malloc(3 * NGLASS * sizeof *y);
    syn_affine_map(&f->cell, cc, f->x, y, NGLASS);
    uint64_t st = seed;
    for (size_t i = 0; i < 3 * NGLASS; i++) y[i] += sigma * syn_gauss(&st);
    return y;
}

Test(d2min, rigid_translation_with_wrapping)
{
    fixture f;
    fixture_make(&f, 21);
    sb_cell cc;
    double *y = make_nonaffine(&f, 0.25, 0.15, 5, &cc);
    sb_d2min_result r0 = SB_D2MIN_RESULT_INIT, r1 = SB_D2MIN_RESULT_INIT;
    cr_assert_eq(sb_d2min_from_neighbors(&f.cell, f.x, &cc, y, NGLASS, &f.nl, NULL, &r0, NULL), SB_OK);
    /* Translate by a large vector (a third of the cell along each axis) and wrap. */
    double t[3];
    const double ts[3] = {0.31, -0.27, 0.42};
    sb_cell_frac_to_vec(&cc, ts, t);
    int wrapped = 0;
    for (size_t i = 0; i < NGLASS; i++) {
        double before[3];
        for (int k = 0; k < 3; k++) before[k] = y[3 * i + k] += t[k];
        sb_cell_wrap(&cc, y + 3 * i, NULL);
        if (fabs(before[0] - y[3 * i]) > 1.0 || fabs(before[1] - y[3 * i + 1]) > 1.0) wrapped++;
    }
    cr_assert(wrapped > NGLASS / 4, "translation should wrap many atoms (%d)", wrapped);
    cr_assert_eq(sb_d2min_from_neighbors(&f.cell, f.x, &cc, y, NGLASS, &f.nl, NULL, &r1, NULL), SB_OK);
    double scale = max_abs(r0.d2min, NGLASS);
    cr_assert(scale > 0.1);
    for (size_t i = 0; i < NGLASS; i++) {
        cr_assert(fabs(r0.d2min[i] - r1.d2min[i]) <= 1e-10 * scale, "atom %zu: %g vs %g", i,
                  r0.d2min[i], r1.d2min[i]);
        for (int k = 0; k < 9; k++)
            cr_assert(fabs(r0.gradient[9 * i + k] - r1.gradient[9 * i + k]) < 1e-11);
    }
    sb_d2min_result_free(&r0);
    sb_d2min_result_free(&r1);
    free(y);
    fixture_free(&f);
}

/* Y^-1 by Gauss-Jordan with partial pivoting (an independent route from the adjugate). */
static void gj_inverse(const double A[3][3], double Ai[3][3])
{
    double m[3][6];
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 6; c++) m[r][c] = c < 3 ? A[r][c] : (c - 3 == r);
    for (int c = 0; c < 3; c++) {
        int p = c;
        for (int r = c + 1; r < 3; r++)
            if (fabs(m[r][c]) > fabs(m[p][c])) p = r;
        for (int k = 0; k < 6; k++) {
            double t = m[c][k];
            m[c][k] = m[p][k];
            m[p][k] = t;
        }
        const double piv = m[c][c];
        for (int k = 0; k < 6; k++) m[c][k] /= piv;
        for (int r = 0; r < 3; r++)
            if (r != c) {
                const double fct = m[r][c];
                for (int k = 0; k < 6; k++) m[r][k] -= fct * m[c][k];
            }
    }
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++) Ai[r][c] = m[r][c + 3];
}

Test(d2min, single_displaced_atom_closed_form)
{
    fixture f;
    fixture_make(&f, 31);
    const size_t k = 417;
    const double delta[3] = {0.21, -0.13, 0.08};
    double *y = malloc(3 * NGLASS * sizeof *y);
    memcpy(y, f.x, 3 * NGLASS * sizeof *y);
    for (int a = 0; a < 3; a++) y[3 * k + a] += delta[a];
    sb_d2min_result r = SB_D2MIN_RESULT_INIT;
    cr_assert_eq(sb_d2min_from_neighbors(&f.cell, f.x, &f.cell, y, NGLASS, &f.nl, NULL, &r, NULL), SB_OK);
    const double dd = delta[0] * delta[0] + delta[1] * delta[1] + delta[2] * delta[2];
    int is_nb[NGLASS] = {0};
    for (size_t e = f.nl.offset[k]; e < f.nl.offset[k + 1]; e++) is_nb[f.nl.j[e]] = 1;
    int checked = 0;
    for (size_t i = 0; i < NGLASS; i++) {
        double Y[3][3] = {{0}}, S[3] = {0}, Yi[3][3];
        for (size_t e = f.nl.offset[i]; e < f.nl.offset[i + 1]; e++) {
            const double *d0 = f.nl.d + 3 * e;
            for (int a = 0; a < 3; a++) {
                S[a] += d0[a];
                for (int b = 0; b < 3; b++) Y[a][b] += d0[a] * d0[b];
            }
        }
        gj_inverse(Y, Yi);
        double expect = 0.0;
        if (i == k) {
            double q = 0.0;
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++) q += S[a] * Yi[a][b] * S[b];
            expect = dd * ((double)sb_neighbor_count(&f.nl, i) - q);
        } else if (is_nb[i]) {
            /* The bond from i to k (exactly one image of k within 5 A of i). */
            const double *d0 = NULL;
            for (size_t e = f.nl.offset[i]; e < f.nl.offset[i + 1]; e++)
                if (f.nl.j[e] == k) d0 = f.nl.d + 3 * e;
            cr_assert_not_null(d0);
            double q = 0.0;
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++) q += d0[a] * Yi[a][b] * d0[b];
            expect = dd * (1.0 - q);
            checked++;
        }
        cr_assert(fabs(r.d2min[i] - expect) <= 1e-10 * dd + 1e-20, "atom %zu: D2min %.17g, closed form %.17g",
                  i, r.d2min[i], expect);
    }
    cr_assert(checked > 20, "atom k should have many neighbours (%d)", checked);
    cr_assert(r.d2min[k] > 0.1 * dd);
    sb_d2min_result_free(&r);
    free(y);
    fixture_free(&f);
}

Test(d2min, matches_bruteforce_on_nonaffine_field)
{
    fixture f;
    fixture_make(&f, 41);
    sb_cell cc;
    double *y = make_nonaffine(&f, 0.33, 0.2, 9, &cc);
    sb_d2min_result r = SB_D2MIN_RESULT_INIT;
    cr_assert_eq(sb_d2min_from_neighbors(&f.cell, f.x, &cc, y, NGLASS, &f.nl, NULL, &r, NULL), SB_OK);
    for (size_t i = 0; i < NGLASS; i++) {
        /* O(N) scan of all atoms and 27 images for reference neighbours; current bond by
         * minimum image in the current (tilted) cell. */
        double X[3][3] = {{0}}, Y[3][3] = {{0}}, Yi[3][3], J[3][3];
        double b0[64][3], b1[64][3];
        int nb = 0;
        for (size_t j = 0; j < NGLASS; j++) {
            double d[3];
            for (int a = 0; a < 3; a++) d[a] = f.x[3 * j + a] - f.x[3 * i + a];
            sb_cell_min_image(&f.cell, d);
            const double r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
            if (j == i || r2 > RC * RC) continue;
            double c[3];
            for (int a = 0; a < 3; a++) c[a] = y[3 * j + a] - y[3 * i + a];
            sb_cell_min_image(&cc, c);
            cr_assert(nb < 64);
            memcpy(b0[nb], d, sizeof d);
            memcpy(b1[nb], c, sizeof c);
            nb++;
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++) {
                    X[a][b] += c[a] * d[b];
                    Y[a][b] += d[a] * d[b];
                }
        }
        cr_assert_eq((uint32_t)nb, r.nneighbors[i]);
        gj_inverse(Y, Yi);
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) J[a][b] = X[a][0] * Yi[0][b] + X[a][1] * Yi[1][b] + X[a][2] * Yi[2][b];
        double d2 = 0.0;
        for (int m = 0; m < nb; m++)
            for (int a = 0; a < 3; a++) {
                const double res = b1[m][a] - (J[a][0] * b0[m][0] + J[a][1] * b0[m][1] + J[a][2] * b0[m][2]);
                d2 += res * res;
            }
        cr_assert(fabs(r.d2min[i] - d2) <= 1e-10 * d2, "atom %zu: %.17g vs brute force %.17g", i,
                  r.d2min[i], d2);
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++)
                cr_assert(fabs(r.gradient[9 * i + 3 * a + b] - J[a][b]) < 1e-10);
        double Jf[9];
        memcpy(Jf, J, sizeof Jf);
        cr_assert(fabs(r.shear_strain[i] - vm_by_hand(J)) < 1e-10);
        (void)Jf;
    }
    sb_d2min_result_free(&r);
    free(y);
    fixture_free(&f);
}

Test(d2min, coplanar_and_isolated_atoms_are_flagged)
{
    /* A square net of spacing 2.5 A in z ~ 0 (within 1e-4 A) plus an isolated atom at z = 10; lz = 20 A so
     * no bond leaves the plane: every Y is rank 2. */
    sb_cell c;
    sb_cell_set_ortho(&c, 10.0, 10.0, 20.0, NULL);
    const size_t n = 17;
    double x[3 * 17], y[3 * 17];
    for (size_t i = 0; i < 16; i++) {
        x[3 * i] = 2.5 * (double)(i % 4);
        x[3 * i + 1] = 2.5 * (double)(i / 4);
        x[3 * i + 2] = 1e-4 * sin(3.0 * (double)i); /* nearly, not exactly, coplanar */
    }
    x[48] = 5.0, x[49] = 5.0, x[50] = 10.0;
    for (size_t i = 0; i < 3 * n; i++) y[i] = x[i] + 0.1 * sin((double)i);
    sb_neighbor_list nl;
    memset(&nl, 0, sizeof nl);
    syn_brute_neighbors(&nl, &c, x, n, RC);
    sb_d2min_result r = SB_D2MIN_RESULT_INIT;
    cr_assert_eq(sb_d2min_from_neighbors(&c, x, &c, y, n, &nl, NULL, &r, NULL), SB_OK);
    cr_assert_eq(r.n_singular, n);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(r.singular[i], 1);
        cr_assert_eq(r.d2min[i], 0.0);
        cr_assert_eq(r.shear_strain[i], 0.0);
        for (int a = 0; a < 9; a++) cr_assert_eq(r.gradient[9 * i + a], (a % 4 == 0) ? 1.0 : 0.0);
    }
    cr_assert_eq(r.nneighbors[16], 0);
    sb_d2min_result_free(&r);
    syn_free_neighbors(&nl);
}

Test(d2min, bad_arguments_fail_with_message)
{
    fixture f;
    fixture_make(&f, 51);
    sb_d2min_options o = sb_d2min_options_default();
    sb_d2min_result r = SB_D2MIN_RESULT_INIT;
    sb_error err;
    o.cutoff = -1.0;
    cr_assert_eq(sb_d2min_from_neighbors(&f.cell, f.x, &f.cell, f.x, NGLASS, &f.nl, &o, &r, &err),
                 SB_ERR_INVALID_ARG);
    cr_assert(strstr(err.msg, "cutoff"));
    o.cutoff = 6.0; /* longer than the list's 5 A */
    cr_assert_eq(sb_d2min_from_neighbors(&f.cell, f.x, &f.cell, f.x, NGLASS, &f.nl, &o, &r, &err),
                 SB_ERR_INVALID_ARG);
    cr_assert(strstr(err.msg, "shorter"));
    /* A shorter D2min cutoff than the list is fine: entries beyond it are skipped. */
    o.cutoff = 4.0;
    cr_assert_eq(sb_d2min_from_neighbors(&f.cell, f.x, &f.cell, f.x, NGLASS, &f.nl, &o, &r, &err), SB_OK);
    cr_assert(r.nneighbors[0] < sb_neighbor_count(&f.nl, 0));
    sb_d2min_result_free(&r);
    fixture_free(&f);
}

/* ---- Structure-level entry point: id matching (needs the real neighbour list). ---- */

static void fill_structure(sb_structure *s, const sb_cell *c, const double *x, size_t n)
{
    cr_assert_eq(sb_structure_alloc(s, n, 1, NULL), SB_OK);
    s->cell = *c;
    memcpy(s->x, x, 3 * n * sizeof *x);
    for (size_t i = 0; i < n; i++) s->id[i] = (int64_t)(1000 + 7 * i); /* non-contiguous */
}

Test(d2min, permuted_current_frame_and_missing_id)
{
    fixture f;
    fixture_make(&f, 61);
    sb_cell cc;
    double *y = make_nonaffine(&f, 0.2, 0.15, 3, &cc);
    sb_structure R = SB_STRUCTURE_INIT, C = SB_STRUCTURE_INIT, P = SB_STRUCTURE_INIT;
    fill_structure(&R, &f.cell, f.x, NGLASS);
    fill_structure(&C, &cc, y, NGLASS);
    sb_d2min_result r0 = SB_D2MIN_RESULT_INIT, r1 = SB_D2MIN_RESULT_INIT, rk = SB_D2MIN_RESULT_INIT;
    sb_error err;
    cr_assert_eq(sb_d2min_compute(&R, &C, NULL, &r0, &err), SB_OK, "%s", err.msg);
    /* The library neighbour list must agree with the brute-force kernel call. */
    cr_assert_eq(sb_d2min_from_neighbors(&f.cell, f.x, &cc, y, NGLASS, &f.nl, NULL, &rk, NULL), SB_OK);
    /* Reverse-and-rotate permutation of the current frame. */
    fill_structure(&P, &cc, y, NGLASS);
    for (size_t i = 0; i < NGLASS; i++) {
        const size_t src = (NGLASS - 1 - i + 313) % NGLASS;
        P.id[i] = C.id[src];
        memcpy(P.x + 3 * i, C.x + 3 * src, 3 * sizeof(double));
    }
    cr_assert_eq(sb_d2min_compute(&R, &P, NULL, &r1, &err), SB_OK, "%s", err.msg);
    for (size_t i = 0; i < NGLASS; i++) {
        cr_assert(fabs(r0.d2min[i] - rk.d2min[i]) <= 1e-10 * (rk.d2min[i] + 1e-12));
        cr_assert(fabs(r0.d2min[i] - r1.d2min[i]) <= 1e-12 * (r0.d2min[i] + 1e-12));
    }
    /* A missing id. */
    P.id[5] = 999999;
    cr_assert_eq(sb_d2min_compute(&R, &P, NULL, &r1, &err), SB_ERR_INVALID_ARG);
    cr_assert(strstr(err.msg, "missing"), "%s", err.msg);
    sb_structure_free(&R), sb_structure_free(&C), sb_structure_free(&P);
    sb_d2min_result_free(&r0), sb_d2min_result_free(&r1), sb_d2min_result_free(&rk);
    free(y);
    fixture_free(&f);
}
