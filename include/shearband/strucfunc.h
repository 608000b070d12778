/*
 * shearband/strucfunc.h: per-atom structure functions, the inputs of the linear-SVM
 * "softness" of Cubuk et al., PRL 114, 108001 (2015) (METHOD.md section 8).
 *
 * Radial, for each neighbour species B and each mu on the grid mu_min, mu_min + mu_step, ...,
 * mu_max:
 *     G_B(i; mu) = sum_{j of species B, r_ij < rc_rad} exp(-(r_ij - mu)^2 / L^2)
 * with rc_rad = mu_max + 3 L (the Gaussians are negligible beyond).
 * Angular, for each unordered species pair {B, C} and each (xi, lambda, zeta):
 *     Psi_BC(i; xi, lambda, zeta) = sum_{unordered pairs {j,k}, species {B,C}, r_ij, r_ik < rc_ang}
 *         exp(-(r_ij^2 + r_ik^2 + r_jk^2) / xi^2) (1 + lambda cos theta_jik)^zeta
 * Feature order: radial block (species-major, then mu), then angular block (species pair
 * in order (1,1), (1,2), ..., (2,2), ..., then xi, lambda (-1 then +1), zeta).
 * Defaults for Cu-Zr (A): mu 2.0..6.0 step 0.2, L = 0.2; rc_ang = 5.0; xi {2.5, 3.0, 3.5,
 * 4.0, 4.5}; lambda +-1; zeta {1, 2, 4, 16}: 2 x 21 + 3 x 40 = 162 features.
 * Structure functions are rotation invariant: the same for every loading orientation.
 */
#ifndef SHEARBAND_STRUCFUNC_H
#define SHEARBAND_STRUCFUNC_H

#include <stddef.h>

#include "shearband/status.h"
#include "shearband/structure.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { SB_SF_MAX_XI = 8, SB_SF_MAX_ZETA = 8 };

typedef struct sb_sf_params {
    double mu_min, mu_max, mu_step, width_L;
    double angular_cutoff;
    int n_xi;
    double xi[SB_SF_MAX_XI];
    int n_zeta;
    double zeta[SB_SF_MAX_ZETA];
    int nspecies;
} sb_sf_params;

sb_sf_params sb_sf_params_default(void);
sb_status sb_sf_params_check(const sb_sf_params *p, sb_error *err);
size_t sb_sf_count(const sb_sf_params *p);
int sb_sf_n_mu(const sb_sf_params *p);

/* Human-readable name of feature k ("G_Zr(3.40)", "Psi_CuZr(xi=3.0,l=-1,z=4)"); species
 * names from type_name when given, else type numbers. */
void sb_sf_feature_name(const sb_sf_params *p, const char (*type_name)[8], size_t k, char *buf,
                        size_t bufsz);

/* Features of every atom: out[i * sb_sf_count(p) + k]. */
sb_status sb_sf_compute(const sb_structure *s, const sb_sf_params *p, double *out, sb_error *err);

#ifdef __cplusplus
}
#endif
#endif
