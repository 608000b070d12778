/*
 * shearband/strain.h: local deformation between two configurations of the same atoms.
 *
 * D2min (Falk & Langer, PRE 57, 7192, 1998) measures how far the motion of an atom's
 * neighbourhood is from affine. For atom i with reference neighbours j (|d0_ij| <= r_c in
 * the reference configuration R):
 *     X = sum_j d_ij d0_ij^T,   Y = sum_j d0_ij d0_ij^T,   J = X Y^-1,
 *     D2min_i = sum_j |d_ij - J d0_ij|^2          (Angstrom^2, unnormalised, as OVITO)
 * where d0_ij is the reference bond (minimum image or any periodic image within r_c) and
 * d_ij the same bond in the current configuration C. J is the best-fit local deformation
 * gradient (column-vector convention: d ~ J d0).
 *
 * Conventions:
 *   - Units Angstrom; cells as in shearband/cell.h (rows a, b, c of a lower-triangular H).
 *   - Atoms are matched between R and C by id, never by order. Results are indexed like the
 *     REFERENCE structure (result[i] belongs to ref->id[i]).
 *   - Current bonds are built in reduced coordinates, so that the affine part of a shear
 *     lives entirely in the cell matrix and large tilts (AQS at 20-40 % strain) are exact:
 *         ds0_ij = d0_ij H_R^-1,   u_i = s_i(C) - s_i(R) - nearbyint(s_i(C) - s_i(R)),
 *         d_ij   = (ds0_ij + u_j - u_i) H_C.
 *     This assumes every atom moves by less than half a cell edge in reduced coordinates
 *     between R and C, apart from the affine deformation carried by the cell (true for AQS
 *     frames; wrapping across boundaries is harmless). A uniform deformation of cell and
 *     positions (s unchanged) gives d = d0 H_R^-1 H_C exactly, hence D2min = 0 to round-off.
 *   - Von Mises shear strain as OVITO's atomic-strain modifier defines it: Green-Lagrange
 *     E = (J^T J - I)/2 and
 *       eta = sqrt(Exy^2 + Exz^2 + Eyz^2 + ((Exx-Eyy)^2 + (Exx-Ezz)^2 + (Eyy-Ezz)^2)/6).
 *   - Singular fits: when Y is (nearly) singular, i.e. the neighbours do not span 3-D space
 *     (fewer than 3 neighbours, or all nearly coplanar/collinear), J is undefined. Such an
 *     atom gets singular = 1, d2min = 0, shear_strain = 0 and J = identity, never NaN (NaN
 *     poisons every later mean and histogram). The test is
 *         det(Y) < singular_tol * (trace(Y)/3)^3,
 *     scale-free: the ratio is 1 for an isotropic shell and 0 for coplanar neighbours
 *     (it is the product of the three eigenvalues over the cube of their mean).
 * Ownership: sb_d2min_result owns its arrays; initialise with SB_D2MIN_RESULT_INIT and
 * release with sb_d2min_result_free().
 */
#ifndef SHEARBAND_STRAIN_H
#define SHEARBAND_STRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "shearband/cell.h"
#include "shearband/neighbor.h"
#include "shearband/status.h"
#include "shearband/structure.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sb_d2min_options {
    double cutoff;       /* neighbour cutoff r_c in the reference, Angstrom (default 5.0) */
    double singular_tol; /* det(Y) / (tr(Y)/3)^3 below this flags the atom (default 1e-4) */
    int gradient;        /* also store J (9 doubles per atom), default 1 */
} sb_d2min_options;

sb_d2min_options sb_d2min_options_default(void);

typedef struct sb_d2min_result {
    size_t n;                /* atoms (reference order) */
    double *d2min;           /* n, Angstrom^2 */
    double *shear_strain;    /* n, von Mises shear strain of J (dimensionless) */
    double *gradient;        /* 9n, J row-major: J[a][b] = gradient[9i + 3a + b]; NULL if
                              * options.gradient == 0 */
    unsigned char *singular; /* n, 1 where Y was singular (see above) */
    uint32_t *nneighbors;    /* n, reference neighbours used */
    size_t n_singular;       /* number of flagged atoms */
    double cutoff;           /* cutoff used */
} sb_d2min_result;

#define SB_D2MIN_RESULT_INIT {0}

void sb_d2min_result_free(sb_d2min_result *r);

/* D2min, J and von Mises strain of cur relative to ref (matched by id). Builds the
 * reference neighbour list itself. Fails with SB_ERR_INVALID_ARG if the atom counts differ
 * or an id of ref is missing in cur (the message names the id), SB_ERR_NOMEM, or a
 * neighbour-list error. res is (re)allocated. */
sb_status sb_d2min_compute(const sb_structure *ref, const sb_structure *cur,
                           const sb_d2min_options *opt, sb_d2min_result *res, sb_error *err);

/* The kernel, for callers that already hold the reference neighbour list nl (built on
 * ref_x in ref_cell with nl->cutoff >= opt->cutoff; entries beyond opt->cutoff are
 * skipped) and current positions cur_x already in reference order (cur_x[3i..3i+2] is the
 * atom at ref index i). n atoms. res is (re)allocated. */
sb_status sb_d2min_from_neighbors(const sb_cell *ref_cell, const double *ref_x,
                                  const sb_cell *cur_cell, const double *cur_x, size_t n,
                                  const sb_neighbor_list *nl, const sb_d2min_options *opt,
                                  sb_d2min_result *res, sb_error *err);

/* Von Mises shear strain of a deformation gradient J (row-major 3x3), OVITO's definition
 * (Green-Lagrange strain, see above). */
double sb_von_mises_strain(const double J[9]);

/* Green-Lagrange strain E = (J^T J - I)/2 (row-major 3x3 in and out). */
void sb_green_lagrange(const double J[9], double E[9]);

#ifdef __cplusplus
}
#endif
#endif
