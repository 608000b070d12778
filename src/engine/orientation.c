/*
 * The 24 proper rotations of the cube as loading orientations (shearband/orientation.h).
 * They are the signed permutation matrices of determinant +1: 6 permutations x 8 sign
 * patterns, of which the half with det = +1 survive. Fixing the signs of the new X and Y
 * axes and deriving the sign of Z from det R = sign(perm) s_x s_y s_z = +1 enumerates each
 * exactly once, in a fixed order, so an index names the same loading in every run.
 */
#include "shearband/orientation.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
static const int perm_parity[6] = {+1, -1, -1, +1, +1, -1};

sb_status sb_orientation_get(int k, sb_orientation *o, sb_error *err)
{
    if (k < 0 || k >= SB_NUM_ORIENTATIONS)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "orientation %d: use 0..%d", k,
                            SB_NUM_ORIENTATIONS - 1);
    memset(o, 0, sizeof *o);
    o->index = k;
    const int p = k / 4, q = k % 4;
    o->sign[0] = (q & 2) ? -1 : +1;
    o->sign[1] = (q & 1) ? -1 : +1;
    o->sign[2] = perm_parity[p] * o->sign[0] * o->sign[1];
    for (int i = 0; i < 3; i++) {
        o->perm[i] = perms[p][i];
        o->R[i][o->perm[i]] = o->sign[i];
    }
    return SB_OK;
}

int sb_orientation_find(const int R[3][3])
{
    for (int k = 0; k < SB_NUM_ORIENTATIONS; k++) {
        sb_orientation o;
        sb_orientation_get(k, &o, NULL);
        if (memcmp(o.R, R, sizeof o.R) == 0) return k;
    }
    return -1;
}

int sb_orientation_partner(int k)
{
    return k ^ 3;
}

void sb_orientation_axis_name(const sb_orientation *o, int axis, char buf[4])
{
    snprintf(buf, 4, "%c%c", o->sign[axis] > 0 ? '+' : '-', "xyz"[o->perm[axis]]);
}

sb_status sb_orientation_apply(const sb_orientation *o, const sb_structure *in, sb_structure *out,
                               sb_error *err)
{
    if (sb_cell_is_triclinic(&in->cell))
        return sb_error_set(err, SB_ERR_GEOMETRY,
                            "orientation %d needs an orthogonal cell (tilts %g %g %g)", o->index,
                            in->cell.xy, in->cell.xz, in->cell.yz);
    sb_structure tmp = SB_STRUCTURE_INIT;
    sb_status st = sb_structure_copy(&tmp, in, err);
    if (st != SB_OK) return st;
    double L[3], Ln[3];
    for (int k = 0; k < 3; k++) L[k] = in->cell.hi[k] - in->cell.lo[k];
    for (int i = 0; i < 3; i++) Ln[i] = L[o->perm[i]];
    st = sb_cell_set_ortho(&tmp.cell, Ln[0], Ln[1], Ln[2], err);
    if (st != SB_OK) {
        sb_structure_free(&tmp);
        return st;
    }
    for (size_t a = 0; a < in->n; a++) {
        const double *r = in->x + 3 * a;
        double *rn = tmp.x + 3 * a;
        for (int i = 0; i < 3; i++) {
            const int j = o->perm[i];
            double u = r[j] - in->cell.lo[j];
            u -= L[j] * floor(u / L[j]); /* into [0, L) first */
            double v = o->sign[i] > 0 ? u : Ln[i] - u;
            if (v >= Ln[i]) v -= Ln[i];
            if (v < 0) v += Ln[i];
            rn[i] = v;
        }
    }
    free(tmp.image);
    tmp.image = NULL;
    sb_structure_free(out);
    *out = tmp;
    return SB_OK;
}
