/*
 * The 24 loading orientations: distinct proper rotations (orthogonal, det +1) forming a
 * group (closed under composition, with inverses), the partner K ^ 3 is the 180-degree turn
 * about Z, and applying one to a box with three different edges permutes the edges and maps
 * atoms exactly as the table says.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "shearband/orientation.h"

static void matmul(const int A[3][3], const int B[3][3], int C[3][3])
{
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            C[i][j] = 0;
            for (int k = 0; k < 3; k++) C[i][j] += A[i][k] * B[k][j];
        }
}

static int det3(const int A[3][3])
{
    return A[0][0] * (A[1][1] * A[2][2] - A[1][2] * A[2][1]) -
           A[0][1] * (A[1][0] * A[2][2] - A[1][2] * A[2][0]) +
           A[0][2] * (A[1][0] * A[2][1] - A[1][1] * A[2][0]);
}

Test(orientation, distinct_proper_rotations)
{
    sb_orientation o[SB_NUM_ORIENTATIONS];
    for (int k = 0; k < SB_NUM_ORIENTATIONS; k++) {
        cr_assert_eq(sb_orientation_get(k, &o[k], NULL), SB_OK);
        cr_expect_eq(det3(o[k].R), 1, "K=%d det", k);
        int RRt[3][3], Rt[3][3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) Rt[i][j] = o[k].R[j][i];
        matmul(o[k].R, Rt, RRt);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) cr_expect_eq(RRt[i][j], i == j, "K=%d not orthogonal", k);
        for (int m = 0; m < k; m++)
            cr_expect_neq(memcmp(o[k].R, o[m].R, sizeof o[k].R), 0, "K=%d equals K=%d", k, m);
        cr_expect_eq(sb_orientation_find(o[k].R), k);
    }
    const int I[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    cr_expect_eq(memcmp(o[0].R, I, sizeof I), 0, "K=0 is the identity");
    cr_expect_eq(sb_orientation_get(24, &o[0], NULL), SB_ERR_INVALID_ARG);
    cr_expect_eq(sb_orientation_get(-1, &o[0], NULL), SB_ERR_INVALID_ARG);
}

Test(orientation, group_closure_and_inverses)
{
    for (int a = 0; a < SB_NUM_ORIENTATIONS; a++) {
        sb_orientation A;
        sb_orientation_get(a, &A, NULL);
        bool has_inverse = false;
        for (int b = 0; b < SB_NUM_ORIENTATIONS; b++) {
            sb_orientation B;
            sb_orientation_get(b, &B, NULL);
            int C[3][3];
            matmul(A.R, B.R, C);
            const int c = sb_orientation_find(C);
            cr_expect(c >= 0, "R%d R%d is not in the set", a, b);
            if (c == 0) has_inverse = true;
        }
        cr_expect(has_inverse, "K=%d has no inverse in the set", a);
    }
}

Test(orientation, partner_is_half_turn_about_z)
{
    const int Rz[3][3] = {{-1, 0, 0}, {0, -1, 0}, {0, 0, 1}};
    for (int k = 0; k < SB_NUM_ORIENTATIONS; k++) {
        sb_orientation o, p;
        sb_orientation_get(k, &o, NULL);
        sb_orientation_get(sb_orientation_partner(k), &p, NULL);
        int C[3][3];
        matmul(Rz, o.R, C);
        cr_expect_eq(memcmp(C, p.R, sizeof C), 0, "partner of %d", k);
        cr_expect_neq(sb_orientation_partner(k), k);
    }
}

Test(orientation, apply_permutes_edges_and_maps_axes_as_the_table_says)
{
    /* Box 10 x 20 x 30 from lo (1, 2, 3); one atom at fractional (0.1, 0.2, 0.3). */
    sb_structure s = SB_STRUCTURE_INIT, r = SB_STRUCTURE_INIT;
    cr_assert_eq(sb_structure_alloc(&s, 1, 1, NULL), SB_OK);
    const double lo[3] = {1, 2, 3}, hi[3] = {11, 22, 33};
    cr_assert_eq(sb_cell_set(&s.cell, lo, hi, 0, 0, 0, NULL), SB_OK);
    const double L[3] = {10, 20, 30}, f[3] = {0.1, 0.2, 0.3};
    for (int k = 0; k < 3; k++) s.x[k] = lo[k] + f[k] * L[k];
    for (int k = 0; k < SB_NUM_ORIENTATIONS; k++) {
        sb_orientation o;
        sb_orientation_get(k, &o, NULL);
        cr_assert_eq(sb_orientation_apply(&o, &s, &r, NULL), SB_OK);
        for (int i = 0; i < 3; i++) {
            /* The table: new axis i is old axis perm[i] with sign[i]. Check through the
             * axis name as a user reads it, independently of perm/sign. */
            char name[4];
            sb_orientation_axis_name(&o, i, name);
            const int old = name[1] - 'x';
            const int sg = name[0] == '+' ? 1 : -1;
            cr_expect_eq(r.cell.hi[i] - r.cell.lo[i], L[old], "K=%d edge %d", k, i);
            const double want = sg > 0 ? f[old] * L[old] : (1.0 - f[old]) * L[old];
            cr_expect(fabs(r.x[i] - want) < 1e-12, "K=%d axis %d: %g vs %g", k, i, r.x[i], want);
        }
        /* Distances are preserved: r' = R (r - lo) + shift. */
    }
    sb_structure_free(&s);
    sb_structure_free(&r);
}

Test(orientation, rotation_preserves_pair_distances)
{
    sb_structure s = SB_STRUCTURE_INIT, r = SB_STRUCTURE_INIT;
    cr_assert_eq(sb_structure_alloc(&s, 3, 1, NULL), SB_OK);
    sb_cell_set_ortho(&s.cell, 7, 9, 11, NULL);
    const double x[9] = {0.5, 1.0, 2.0, 6.5, 8.0, 10.0, 3.0, 4.0, 5.0};
    memcpy(s.x, x, sizeof x);
    for (int k = 0; k < SB_NUM_ORIENTATIONS; k++) {
        sb_orientation o;
        sb_orientation_get(k, &o, NULL);
        cr_assert_eq(sb_orientation_apply(&o, &s, &r, NULL), SB_OK);
        for (int a = 0; a < 3; a++)
            for (int b = a + 1; b < 3; b++) {
                double d0[3], d1[3];
                for (int c = 0; c < 3; c++) {
                    d0[c] = s.x[3 * b + c] - s.x[3 * a + c];
                    d1[c] = r.x[3 * b + c] - r.x[3 * a + c];
                }
                sb_cell_min_image(&s.cell, d0);
                sb_cell_min_image(&r.cell, d1);
                cr_expect(fabs(hypot(hypot(d0[0], d0[1]), d0[2]) - hypot(hypot(d1[0], d1[1]), d1[2])) < 1e-12);
            }
    }
    sb_structure t = SB_STRUCTURE_INIT;
    cr_assert_eq(sb_structure_copy(&t, &s, NULL), SB_OK);
    const double lo[3] = {0, 0, 0}, hi[3] = {7, 9, 11};
    sb_cell_set(&t.cell, lo, hi, 1.0, 0, 0, NULL);
    sb_orientation o;
    sb_orientation_get(3, &o, NULL);
    cr_expect_eq(sb_orientation_apply(&o, &t, &r, NULL), SB_ERR_GEOMETRY);
    sb_structure_free(&s);
    sb_structure_free(&r);
    sb_structure_free(&t);
}
