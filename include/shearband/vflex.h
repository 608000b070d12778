/*
 * shearband/vflex.h: the flexibility volume of Ding et al., Nat. Commun. 7, 13733 (2016)
 * (METHOD.md section 8):
 *
 *     v_flex,i = Omega_i * MSD_i / a_i^2
 *
 * Omega_i: the atom's Voronoi volume (A^3); a_i: the mean distance to its Voronoi
 * neighbours (A), both from shearband/voronoi.h; MSD_i: its vibrational mean-square
 * displacement (A^2) from shearband/vibration.h. v_flex has units of volume (A^3): the
 * atom's volume scaled by how far it rattles relative to its neighbour distance. The
 * indicator table (shearband/indicator.h, "vflex") calls the top 20 % fertile.
 *
 * Atoms without a Voronoi cell (possible only in a radical tessellation: volume 0, no
 * faces, a_i = 0) get v_flex = 0: they own no volume to be flexible with.
 */
#ifndef SHEARBAND_VFLEX_H
#define SHEARBAND_VFLEX_H

#include <stddef.h>

#include "shearband/status.h"
#include "shearband/voronoi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* v_flex of one atom from its volume (A^3), MSD (A^2) and mean neighbour distance (A). */
double sb_vflex_value(double volume, double msd, double mean_neighbor_distance);

/* vflex[i] for n atoms from Voronoi records and per-atom MSD (same atom order). Fails with
 * SB_ERR_NUMERIC (naming the atom index) for a negative or non-finite MSD, volume or
 * distance. */
sb_status sb_vflex_compute(const sb_voronoi_atom *vor, const double *msd, size_t n, double *vflex,
                           sb_error *err);

#ifdef __cplusplus
}
#endif
#endif
