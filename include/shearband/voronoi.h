/*
 * shearband/voronoi.h: Voronoi analysis of a periodic (triclinic) configuration with voro++
 * (the same library LAMMPS's compute voronoi/atom uses), through a thin C++ shim.
 *
 * Per atom: the Voronoi (or radical, with per-species radii) cell volume, the faces that
 * survive the small-face filters, the Voronoi index <n3, n4, n5, n6, n7, n8> (number of kept
 * faces with that many edges), the five-fold bond fraction FFB = n5 / (kept faces), the
 * local density rho_a = 1 / volume (atoms per A^3) and the mean distance to the Voronoi
 * neighbours a_i (used by the flexibility volume).
 *
 * Small-face filters (noise in the index of a glass comes from tiny faces and short edges):
 *   - a face is dropped when its area is below face_area_fraction of the cell's total
 *     surface area (default 0.01, as commonly done since Sheng et al. 2006; 0 keeps all);
 *   - within kept faces, edges shorter than edge_length_min (A, default 0: keep all) are not
 *     counted when classifying the face (OVITO's "edge length threshold").
 * Volumes are never filtered: they always tile the cell exactly. In the radical tessellation
 * a small atom squeezed between large ones can own no cell at all: it gets volume 0, no
 * faces and rho 0.
 */
#ifndef SHEARBAND_VORONOI_H
#define SHEARBAND_VORONOI_H

#include <stdbool.h>
#include <stddef.h>

#include "shearband/status.h"
#include "shearband/structure.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { SB_VORONOI_MAX_TYPES = 8, SB_VORONOI_INDEX_MIN = 3, SB_VORONOI_INDEX_LEN = 6 };

typedef struct sb_voronoi_params {
    bool radical;                           /* radical (power) tessellation with radii */
    double radius[SB_VORONOI_MAX_TYPES];    /* per type (type t -> radius[t-1]), A */
    double face_area_fraction;
    double edge_length_min;
} sb_voronoi_params;

sb_voronoi_params sb_voronoi_params_default(void);

typedef struct sb_voronoi_atom {
    double volume;      /* A^3 */
    int nfaces;         /* kept faces */
    int index[SB_VORONOI_INDEX_LEN]; /* n3..n8 among kept faces */
    double ffb;         /* n5 / nfaces */
    double rho;         /* 1 / volume */
    double mean_neighbor_distance; /* over kept faces, A */
} sb_voronoi_atom;

/* Analyse every atom of s: out receives s->n records (caller allocates). Fails for an
 * unsupported feature (built without voro++), bad radii, or an atom whose cell could not be
 * computed (message names the atom id). */
sb_status sb_voronoi_compute(const sb_structure *s, const sb_voronoi_params *p, sb_voronoi_atom *out,
                             sb_error *err);

#ifdef __cplusplus
}
#endif
#endif
