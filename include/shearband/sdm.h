/*
 * shearband/sdm.h: the spatial density map (SDM), a per-atom, per-loading image of the
 * atom's neighbourhood that the fertile-site CNN reads (METHOD.md section 8).
 *
 * Frame. Loading orientation K rotates the sample by the proper cube rotation R_K before
 * the xy shear. The SDM of atom i under K is drawn in that loading frame: every neighbour
 * image j at displacement d_ij (sample frame) sits at X = R_K d_ij, with X the shear
 * direction, Y the shear-plane normal and Z the third axis. Because R_K only permutes and
 * flips axes, the selection cube below is the same set of atoms for all 24 orientations
 * and the rotated coordinates are exact in floating point; maps of a rotated sample agree
 * with the composed orientation up to the order of float summation (a test checks this).
 *
 * Content. Atoms with |X|, |Y|, |Z| <= h (half-width h, default 8 A) are smeared with an
 * isotropic Gaussian of width sigma (default 0.5 A), one channel per species (LAMMPS type t
 * -> channel t-1), sampled at pixel centres -h + (k + 1/2) * 2h/G. Atoms up to 3 sigma
 * beyond the in-plane edges also contribute to the edge pixels so that the map does not
 * flicker when an atom crosses the edge. The centre atom itself is included (it is at the
 * origin in every map and tells the network its species). Variants:
 *   - SB_SDM_PROJ_XY:    the cube projected on the shear plane XY: nspecies x G x G.
 *   - SB_SDM_PROJ_3:     projections on XY, XZ and YZ: 3*nspecies x G x G (channel order:
 *                        plane-major: XY species..., XZ species..., YZ species...).
 *   - SB_SDM_GRID3D:     the full voxel grid: nspecies x G x G x G, laid out [c][X][Y][Z]
 *                        with Z fastest.
 * Values are number densities: per A^2 for projections (Gaussian normalised in 2D) and
 * per A^3 for the 3D grid, so maps of different resolutions are comparable.
 * Image pixel layout for 2D maps: out[c][row][col] with col along X (or the first axis of
 * the plane) and row along Y (second axis), row-major, float32 (what the CNN consumes).
 */
#ifndef SHEARBAND_SDM_H
#define SHEARBAND_SDM_H

#include <stddef.h>

#include "shearband/status.h"
#include "shearband/structure.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sb_sdm_kind {
    SB_SDM_PROJ_XY = 0,
    SB_SDM_PROJ_3 = 1,
    SB_SDM_GRID3D = 2,
} sb_sdm_kind;

typedef struct sb_sdm_params {
    sb_sdm_kind kind;
    double half_width; /* h, A */
    int grid;          /* G pixels (voxels) per edge */
    double sigma;      /* Gaussian width, A */
    int nspecies;      /* channels per plane; atom types 1..nspecies */
} sb_sdm_params;

sb_sdm_params sb_sdm_params_default(void);
sb_status sb_sdm_params_check(const sb_sdm_params *p, sb_error *err);

/* Name of a kind ("proj_xy", "proj_3", "grid3d") and the reverse (-1 if unknown). */
const char *sb_sdm_kind_name(sb_sdm_kind kind);
int sb_sdm_kind_from_name(const char *name);

/* Shape of one map: channels and spatial dims (dims[2] = 1 for 2D maps). */
void sb_sdm_shape(const sb_sdm_params *p, int *channels, int dims[3]);
size_t sb_sdm_map_size(const sb_sdm_params *p); /* floats per map */

/* A builder holds one structure's binned neighbourhoods; create once per glass, then
 * compute maps for any atoms and orientations. Thread-safe for concurrent compute calls
 * on disjoint output buffers. */
typedef struct sb_sdm_builder sb_sdm_builder;

sb_status sb_sdm_builder_create(sb_sdm_builder **b, const sb_structure *s, const sb_sdm_params *p,
                                sb_error *err);
void sb_sdm_builder_free(sb_sdm_builder *b);

/* Maps of atoms[0..count-1] (indices into the structure) under the loading rotation rot
 * (rows = loading axes X, Y, Z in sample coordinates; entries 0/+-1): out receives
 * count * sb_sdm_map_size(p) floats. Threaded over atoms with OpenMP. */
sb_status sb_sdm_compute(sb_sdm_builder *b, const size_t *atoms, size_t count, const int rot[3][3],
                         float *out, sb_error *err);

/* Symmetries of simple shear (shear along X on planes normal to Y, the loading of
 * shearband/shear.h): the half turn about Z, (X, Y, Z) -> (-X, -Y, Z), and the mirror
 * Z -> -Z leave the loading, and so D2min and the fertile-site labels, unchanged. On a map
 * each is an exact reversal of pixel (voxel) indices, because pixel centres sit
 * symmetrically about the atom: sb_sdm_symmetry applies them in place (sym bit 0: half
 * turn, bit 1: mirror; 0..3), so training can multiply its examples by four. The result
 * equals the map of the transformed neighbourhood to rounding. */
enum { SB_SDM_HALF_TURN_Z = 1, SB_SDM_MIRROR_Z = 2 };
void sb_sdm_symmetry(const sb_sdm_params *p, float *map, unsigned sym);

#ifdef __cplusplus
}
#endif
#endif
