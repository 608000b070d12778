/*
 * shearband/orientation.h: the 24 loading orientations of a cubic (or any orthogonal)
 * sample: the proper rotations of the cube, applied to the sample before it is sheared in
 * xy (shear direction X, shear-plane normal Y; METHOD.md section 3).
 *
 * A rotation R is a signed permutation matrix with det R = +1:
 *     R[i][perm[i]] = sign[i], all other entries 0,   r'_i = sum_j R[i][j] r_j,
 * so new axis i is the old sample axis perm[i], reversed when sign[i] = -1. Index
 *     K = 4 * p + q,   p = 0..5 the permutation in lexicographic order
 *                       (012, 021, 102, 120, 201, 210), q = 0..3 the signs of new X and Y
 *                       (++, +-, -+, --), the sign of Z following from det R = +1.
 * K = 0 is the identity. Orientations K and K ^ 3 (same permutation, X and Y both
 * reversed) are a rotation by 180 degrees about the loading Z axis of each other: simple
 * shear with (n, s) and (-n, -s) is the same deformation, so they differ only by numerical
 * noise (12 physically distinct loadings, 12 pairs).
 *
 * Applied to an orthogonal cell [lo, hi), a rotation gives the orthogonal cell with edges
 * L'_i = L_perm[i] and lower corner 0: r'_i = sign_i (r_perm[i] - lo_perm[i]) (+ L'_i when
 * sign_i = -1), wrapped into the new cell.
 */
#ifndef SHEARBAND_ORIENTATION_H
#define SHEARBAND_ORIENTATION_H

#include "shearband/status.h"
#include "shearband/structure.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { SB_NUM_ORIENTATIONS = 24 };

typedef struct sb_orientation {
    int index;
    int R[3][3];
    int perm[3];
    int sign[3];
} sb_orientation;

/* Orientation K (0..23); SB_ERR_INVALID_ARG otherwise. */
sb_status sb_orientation_get(int k, sb_orientation *o, sb_error *err);

/* Index of the orientation whose matrix is R, or -1 if R is not one of the 24. */
int sb_orientation_find(const int R[3][3]);

/* The partner orientation K ^ 3: the same loading up to a 180-degree turn about Z. */
int sb_orientation_partner(int k);

/* Which signed sample axis becomes loading axis `axis` (0 = X shear direction, 1 = Y plane
 * normal, 2 = Z): "+x", "-y", ... into buf (at least 3 chars). */
void sb_orientation_axis_name(const sb_orientation *o, int axis, char buf[4]);

/* out = in rotated by o (deep copy; image flags dropped, positions wrapped). in must have an
 * orthogonal cell (SB_ERR_GEOMETRY otherwise). */
sb_status sb_orientation_apply(const sb_orientation *o, const sb_structure *in, sb_structure *out,
                               sb_error *err);

#ifdef __cplusplus
}
#endif
#endif
