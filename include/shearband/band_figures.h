/*
 * shearband/band_figures.h: the figures of an observed band (paper Fig. 1):
 *   PATH_profiles.{png,svg,gp,dat}   fraction of highly deformed atoms per slab along X
 *                                    (at -x) and Y (at +y), the band marked (Fig. 1c-d);
 *   PATH_d2min_map.{png,gp,dat}      D2min of every atom projected on the XY plane, bright =
 *                                    large, colour range clipped at the 99th percentile
 *                                    (Fig. 1a-b); skipped when x or d2min is NULL.
 */
#ifndef SHEARBAND_BAND_FIGURES_H
#define SHEARBAND_BAND_FIGURES_H

#include <stddef.h>

#include "shearband/analysis.h"
#include "shearband/cell.h"
#include "shearband/status.h"

#ifdef __cplusplus
extern "C" {
#endif

sb_status sb_band_figures(const sb_band_result *band, const sb_cell *cell, const double *x,
                          const double *d2min, size_t n, const char *path_base, const char *title,
                          sb_error *err);

#ifdef __cplusplus
}
#endif
#endif
