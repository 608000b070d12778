/*
 * shearband/indicator.h: per-atom structural indicators and what they predict.
 *
 * An indicator assigns every atom a value (possibly orientation dependent). Its slab
 * profiles along the loading X and Y axes (the same slabs as the band locator) are either
 * the density of fertile sites (DFS: the fraction of the slab's atoms that are fertile,
 * by the indicator's own rule) or the slab mean of the value. From the profiles follow:
 *   - the predicted band: the best slab over both axes (highest for indicators where a
 *     higher value favours banding, lowest otherwise), with the paper's signed position;
 *   - Delta = max - min over both profiles (brittle above a calibrated threshold);
 *   - gamma against an observed band (shearband/merit.h).
 * The table of known indicators (METHOD.md section 8):
 *   cnn    p > 0.5 fertile, DFS,        higher favours, orientation dependent
 *   gnn    p > 0.5 fertile, DFS,        higher favours, orientation dependent
 *   svm    softness > 0 fertile, DFS,   higher favours
 *   vflex  top 20 % fertile, DFS,       higher favours
 *   ffb    slab mean of FFB,            lower favours
 *   rho    slab mean of rho_a,          lower favours
 * Positions and cell passed here must already be in the loading frame (the sample rotated
 * by the orientation): profiles are along the loading axes.
 */
#ifndef SHEARBAND_INDICATOR_H
#define SHEARBAND_INDICATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shearband/analysis.h"
#include "shearband/merit.h"
#include "shearband/status.h"
#include "shearband/structure.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sb_fertile_rule {
    SB_FERTILE_ABOVE = 0,        /* fertile when value > parameter */
    SB_FERTILE_TOP_FRACTION = 1, /* fertile when among the top `parameter` fraction */
    SB_PROFILE_SLAB_MEAN = 2,    /* no fertile flag: the profile is the slab mean */
} sb_fertile_rule;

typedef struct sb_indicator_info {
    const char *name;
    const char *description;
    sb_fertile_rule rule;
    double parameter;
    sb_sense sense;
    bool orientation_dependent;
} sb_indicator_info;

/* The indicator called `name`, or NULL. */
const sb_indicator_info *sb_indicator_lookup(const char *name);
/* All known indicators, in the paper's order; *count receives their number. */
const sb_indicator_info *sb_indicator_table(size_t *count);

/* fertile[i] = 1/0 by the indicator's rule (ids break ties of the top-fraction rule; may be
 * NULL). For SB_PROFILE_SLAB_MEAN there is no flag: fails with SB_ERR_INVALID_ARG. */
sb_status sb_indicator_fertile(const sb_indicator_info *ind, const double *value, const int64_t *id,
                               size_t n, unsigned char *fertile, sb_error *err);

/* The two profiles ([0] along X, [1] along Y) of an indicator. */
sb_status sb_indicator_profiles(const sb_indicator_info *ind, const sb_cell *cell, const double *x,
                                const int64_t *id, const double *value, size_t n, double width, double step,
                                sb_profile out[2], sb_error *err);

typedef struct sb_prediction {
    int axis;               /* 0 = X (vertical band), 1 = Y (horizontal band) */
    size_t index;           /* slab index on that axis */
    double centre;          /* A from the lower face */
    double signed_position; /* paper convention */
    double best;            /* profile value at the predicted band */
    double delta;           /* max - min over both profiles */
} sb_prediction;

/* Predicted band and Delta from the two profiles. */
void sb_indicator_predict(const sb_indicator_info *ind, const sb_profile prof[2], sb_prediction *pred);

/* gamma of the indicator's profiles against an observed band at (axis, centre in A): the
 * slab nearest to the observed centre (periodically) is the band's slab. */
sb_status sb_indicator_gamma(const sb_indicator_info *ind, const sb_profile prof[2], int band_axis,
                             double band_centre, double *gamma, sb_error *err);

/* Indicator sources. An indicator's per-atom values come from a callback, so that the CNN,
 * GNN, SVM, flexibility volume and Voronoi indicators all plug in the same way:
 *   values(ctx, glass_index, glass, loaded, orientation, out, err)
 * with `glass` the sample as read, `loaded` the same atoms (same order) rotated into the
 * loading frame, and out[i] the value of atom i. Orientation-independent sources may cache
 * per glass_index (a caller-chosen number identifying the glass). */
typedef sb_status (*sb_indicator_values_fn)(void *ctx, size_t glass_index, const sb_structure *glass,
                                            const sb_structure *loaded, int orientation, double *out,
                                            sb_error *err);

typedef struct sb_indicator_source {
    const sb_indicator_info *info;
    sb_indicator_values_fn values;
    void *ctx;
} sb_indicator_source;

/* Built-in source for the Voronoi indicators "ffb" and "rho" (plain tessellation, default
 * filters). The context caches the current glass; free it with sb_indicator_voronoi_free. */
sb_status sb_indicator_voronoi_source(const char *name, sb_indicator_source *src, sb_error *err);
void sb_indicator_voronoi_free(sb_indicator_source *src);

/* Built-in source for "vflex" (flexibility volume, shearband/vflex.h): the vibrational MSD
 * of an isoconfigurational NVT ensemble (opt; NULL = sb_vibration_options_default(); its
 * run_dir is ignored), run through LAMMPS in cache_root/<glass fingerprint>/ and reused
 * from there, times the Voronoi volume over the squared mean neighbour distance. Free with
 * sb_indicator_vflex_free. */
struct sb_vibration_options;
sb_status sb_indicator_vflex_source(const char *cache_root, const struct sb_vibration_options *opt,
                                   sb_indicator_source *src, sb_error *err);
void sb_indicator_vflex_free(sb_indicator_source *src);

#ifdef __cplusplus
}
#endif
#endif
