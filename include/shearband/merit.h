/*
 * shearband/merit.h: the figure of merit gamma and its statistics (METHOD.md section 7).
 *
 * For one case (a glass under one loading orientation) an indicator gives two slab
 * profiles, along X and along Y, on the same slab centres as the observed band locator.
 * With the observed band at centre index s* on axis a,
 *
 *     gamma = #{ slab positions p on both axes : v_p <= v(a, s*) } / #{ all positions }
 *
 * for indicators where a higher value favours banding (CNN/GNN/SVM DFS, v_flex), and with
 * >= for indicators where a lower value does (five-fold bonds, local density). Ties count
 * as "<=" (or ">="), so a flat profile gives gamma = 1: a constant indicator is not
 * penalised for ties, exactly as the paper's definition reads ("lower than or equal to").
 * gamma = 1 when the band sits at the unique best value; a random indicator has mean 0.5
 * only in the limit of many positions (the +1/npos of the tie with itself).
 *
 * C(gamma) is the empirical CDF over cases and mean gamma its mean, with a percentile
 * bootstrap confidence interval.
 */
#ifndef SHEARBAND_MERIT_H
#define SHEARBAND_MERIT_H

#include <stddef.h>
#include <stdint.h>

#include "shearband/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sb_sense {
    SB_HIGHER_FAVOURS_BAND = +1, /* gamma counts v <= v(band) */
    SB_LOWER_FAVOURS_BAND = -1,  /* gamma counts v >= v(band) */
} sb_sense;

/* gamma of one case. profile_x[nx], profile_y[ny]: the indicator's slab profiles;
 * band_axis 0 = X (vertical band), 1 = Y (horizontal band); band_index: the slab index of
 * the observed band on that axis. */
sb_status sb_gamma(const double *profile_x, size_t nx, const double *profile_y, size_t ny,
                   int band_axis, size_t band_index, sb_sense sense, double *gamma,
                   sb_error *err);

/* Summary of gamma over cases: mean, standard error, and a percentile bootstrap
 * confidence interval at level `level` (e.g. 0.95) from `resamples` resamples drawn with
 * a seeded generator (same seed, same interval). */
typedef struct sb_gamma_summary {
    size_t n;
    size_t nclusters; /* the units resampled (n when every case is its own) */
    double mean;
    double stderr_mean; /* over clusters, size-weighted; NaN (and the interval) when fewer
                         * than two clusters */
    double ci_lo, ci_hi;
    double level;
} sb_gamma_summary;

sb_status sb_gamma_summarize(const double *gamma, size_t n, double level, size_t resamples,
                             uint64_t seed, sb_gamma_summary *out, sb_error *err);

/* The same with correlated cases: cluster[k] names case k's cluster (any labels; cases of
 * one label belong together), and the bootstrap draws whole clusters with replacement (the
 * mean of a resample: all its cases pooled). A survey's two partner orientations load a
 * glass identically and form one cluster, so its interval reflects the number of distinct
 * loadings rather than of runs. cluster = NULL, or all labels distinct, gives exactly
 * sb_gamma_summarize. */
sb_status sb_gamma_summarize_clustered(const double *gamma, const uint64_t *cluster, size_t n,
                                       double level, size_t resamples, uint64_t seed,
                                       sb_gamma_summary *out, sb_error *err);

/* Empirical CDF: sorts a copy of gamma into sorted[n]; C(sorted[k]) = (k+1)/n. */
sb_status sb_gamma_cdf(const double *gamma, size_t n, double *sorted, sb_error *err);

/* Delta = max - min over both profiles (the brittleness measure of METHOD.md section 6). */
double sb_profile_delta(const double *profile_x, size_t nx, const double *profile_y, size_t ny);

#ifdef __cplusplus
}
#endif
#endif
