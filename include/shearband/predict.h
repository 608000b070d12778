/*
 * shearband/predict.h: predict where a glass will band, and whether it will (METHOD.md 6).
 *
 * For one glass and one or more loading orientations: the per-atom indicator values (for the
 * learned indicators, p_fertile; fertile where the indicator's rule says so), the DFS
 * profiles along the loading X and Y axes (the same sliding slabs as the band locator), the
 * predicted band (axis, signed centre in the paper's convention, the DFS at the peak), Delta
 * = max - min over both profiles and the brittle/ductile verdict against a threshold.
 *
 * The threshold is NOT universal: the paper's 6 % holds for its system size and slab width.
 * A smaller glass has fewer atoms per slab, so its DFS fluctuates more and Delta is larger
 * for the same structure; the threshold must be calibrated for each size and w_DFS
 * (`shearband brittleness`, shearband/brittleness.h). Every output says so.
 *
 * Outputs in out_dir, per orientation K (KK two digits):
 *   predict_oKK.json   provenance, parameters, prediction, Delta, verdict, threshold note;
 *   dfs_oKK.csv        the profiles: signed_position,dfs,axis,centre_A,atoms -- the format
 *                      `shearband ensemble --dfs FILE.csv` overlays (Fig. 2);
 *   atoms_oKK.csv      id,type,value,fertile per atom (fertile empty for slab-mean indicators);
 *   dfs_oKK.{png,svg}  both profiles on the signed axis with the predicted band marked
 *                      (+ .dat, .gp);
 * and predict.csv, one row per orientation.
 */
#ifndef SHEARBAND_PREDICT_H
#define SHEARBAND_PREDICT_H

#include <stdbool.h>
#include <stddef.h>

#include "shearband/analysis.h"
#include "shearband/indicator.h"
#include "shearband/status.h"
#include "shearband/structure.h"

#ifdef __cplusplus
extern "C" {
#endif



typedef struct sb_predict_result {
    int orientation;
    size_t atoms;
    size_t fertile;        /* fertile atoms; 0 for slab-mean indicators */
    bool has_fertile;      /* false for slab-mean indicators (ffb, rho) */
    sb_prediction pred;    /* axis, centre, signed position, best value, Delta */
    double vmin, vmax;     /* min and max over both profiles */
    double threshold;      /* Delta threshold used */
    bool brittle;          /* Delta > threshold */
    /* Only with sb_predict_options.observed_run: the band observed in that shear run. */
    bool observed;         /* an observed run was read */
    bool observed_found;   /* the band locator called a band */
    int observed_axis;
    double observed_signed;   /* signed position in the undeformed loading frame, A */
    double gamma;             /* of this prediction against the observed band; NaN if none */
    double peak_signed;       /* where the D2min slab profile peaks, band or not, A */
    double gamma_at_peak;     /* gamma against that peak (equals gamma when a band was called) */
    char observed_reason[160];
} sb_predict_result;

/* One glass, one orientation: values (n, caller-sized) and the two profiles (caller frees
 * with sb_profile_free). glass_index is passed to the source for its cache. */
sb_status sb_predict_case(const sb_indicator_source *src, size_t glass_index, const sb_structure *glass,
                          int orientation, double width, double step, double threshold, double *values,
                          sb_profile prof[2], sb_predict_result *res, sb_error *err);

typedef struct sb_predict_options {
    const char *indicator;     /* "cnn" */
    const char *model_path;    /* for cnn / gnn */
    int orientations[24];
    int norientations;         /* default 1: orientation 0 */
    const char *out_dir;       /* "predict" */
    double width;              /* w_DFS, A (19) */
    double step;               /* slab centre spacing, A (1) */
    double delta_threshold;    /* 0.06: the paper's value, for ITS size and w */
    const char *model_note;    /* optional sentence about the model, copied to the JSON */
    bool figures;              /* render dfs_oKK.{png,svg} (true) */
    /* Optional verification: a finished `shearband shear` run of THIS glass in the (single)
     * orientation; its snapshot at band_strain locates the observed band (band options) and
     * gamma of the prediction is reported and the band marked in the figure. */
    const char *observed_run;
    double band_strain;        /* 0.20 */
    sb_band_options band;      /* sb_band_options_default() */
    int argc;                  /* command line for provenance */
    char *const *argv;
} sb_predict_options;

sb_predict_options sb_predict_options_default(void);

/* The sentence every output carries about the threshold. */
const char *sb_predict_threshold_note(void);

/* Run the prediction on the glass file; res has opt->norientations entries. */
sb_status sb_predict_run(const char *glass_path, const sb_predict_options *opt, sb_predict_result *res,
                         sb_error *err);

#ifdef __cplusplus
}
#endif
#endif
