/*
 * shearband/brittleness.h: brittle vs ductile (METHOD.md 6 and 9.4, the paper's Fig. 5).
 *
 * A sweep over the quench end temperature T_q at one cooling rate: each glass is quenched to
 * T_q and minimised (shearband/quench.h), Delta = max - min of its indicator profiles is
 * computed (shearband/predict.h), and one verification shear (orientation K, to the band
 * strain) says whether a band actually formed (the band locator's no-band rule,
 * shearband/analysis.h). Then the Delta threshold is calibrated for THIS system size and
 * slab width: the threshold that best separates banding from non-banding glasses.
 *
 * At the rates a small machine affords (~1e13 K/s) the glasses quenched to any T_q below the
 * glass transition hardly differ. `anneal_time` holds each glass at its T_q with Cu/Zr swap
 * Monte Carlo before the minimisation (METHOD.md 2: the cheap way to well-relaxed glasses),
 * so that T_q sets how far the glass relaxed, as a slow cooling would.
 *
 * Calibration. Classify "brittle" when Delta > t. The classification only changes when t
 * crosses one of the observed Delta values, so with the distinct values d_1 < ... < d_m the
 * candidate thresholds fall into the intervals (-inf, d_1), [d_1, d_2), ..., [d_m, inf). On
 * each interval count the misclassified glasses and the balanced accuracy (TPR + TNR) / 2
 * (plain accuracy of the class present when only one class exists); take the interval with
 * the highest balanced accuracy (ties: fewer misclassified, then the first), report it as
 * the separating interval and its midpoint as the threshold. When the best interval is
 * unbounded (all glasses banded, or none), the threshold is not determined (NaN) and only a
 * bound is known.
 *
 * Resumability: finished glasses (OUT.data present) and finished shears (shear.done) are
 * reused; interrupted ones are resumed from their restart / checkpoint.
 */
#ifndef SHEARBAND_BRITTLENESS_H
#define SHEARBAND_BRITTLENESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shearband/analysis.h"
#include "shearband/quench.h"
#include "shearband/shear.h"
#include "shearband/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sb_threshold_calibration {
    size_t n, nbanded;
    double lo, hi;              /* separating interval [lo, hi); -INFINITY / INFINITY when open */
    double threshold;           /* midpoint of [lo, hi); NaN when the interval is unbounded */
    double balanced_accuracy;   /* of the chosen interval */
    size_t misclassified;       /* glasses on the wrong side of any t in [lo, hi) */
    size_t false_brittle;       /* Delta > t but no band */
    size_t false_ductile;       /* Delta <= t but a band */
} sb_threshold_calibration;

/* Calibrate on delta[0..n) and banded[0..n) (n >= 1, all delta finite). */
sb_status sb_threshold_calibrate(const double *delta, const bool *banded, size_t n, sb_threshold_calibration *cal,
                                 sb_error *err);

enum { SB_BRITTLENESS_MAX_GLASSES = 64 };

typedef struct sb_brittleness_options {
    double tq[SB_BRITTLENESS_MAX_GLASSES]; /* quench end temperatures, K */
    size_t ntq;
    const char *dir;              /* everything lives here: glasses/, runs/, results */
    sb_quench_options quench;     /* template: rate, natoms, seed...; tq/run_dir/output set per glass */
    double anneal_time;           /* ps; > 0: hold each glass at its T_q for this long with
                                     Cu/Zr swap Monte Carlo before minimising (the cooling
                                     is still shared: each colder glass branches off where
                                     the hotter one's hold began). 0 = off */
    sb_shear_options shear;       /* template: step, minimizer...; orientation/run_dir set per glass */
    int orientation;              /* loading orientation for Delta and the verification shear (0) */
    double band_strain;           /* 0.20 */
    sb_band_options band;         /* no-band rule */
    const char *indicator;        /* "cnn" */
    const char *model_path;
    double dfs_width, dfs_step;   /* 19, 1 */
    double delta_threshold;       /* threshold to compare with (0.06) */
    bool figures;
    int argc;
    char *const *argv;
} sb_brittleness_options;

sb_brittleness_options sb_brittleness_options_default(void);

typedef struct sb_brittleness_glass {
    double tq;                /* K */
    double pe_per_atom;       /* eV/atom after minimisation; NaN when unknown */
    double delta;             /* max - min of the indicator's DFS over both axes */
    bool banded;              /* the verification shear passed the no-band rule */
    double band_signed;       /* NaN when no band */
    double predicted_signed;
    bool quench_reused, shear_reused;
    int64_t md_steps_run;     /* quench MD steps run by this call */
    int64_t shear_steps_run;  /* AQS steps run by this call */
} sb_brittleness_glass;

typedef struct sb_brittleness_result {
    size_t n;
    sb_brittleness_glass glass[SB_BRITTLENESS_MAX_GLASSES];
    sb_threshold_calibration cal;
} sb_brittleness_result;

/* Writes DIR/brittleness.csv, DIR/brittleness.json and DIR/delta_vs_tq.{png,svg}. */
sb_status sb_brittleness_run(const sb_brittleness_options *opt, sb_brittleness_result *res, sb_error *err);

#ifdef __cplusplus
}
#endif
#endif
