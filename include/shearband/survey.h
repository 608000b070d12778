/*
 * shearband/survey.h: the paper's survey (METHOD.md sections 7 and 9.2): many glasses x
 * loading orientations, each sheared (or an existing run reused), the observed band located
 * at the band strain, and every requested indicator judged by gamma.
 *
 * Frames. Indicators are evaluated on the UNDEFORMED glass rotated by the orientation (the
 * loading frame). The observed band comes from the sheared snapshot, whose X slabs are
 * tilted with the cell; slab centres are matched through the reduced coordinate along the
 * axis (centre / perpendicular width), which an affine shear leaves unchanged.
 *
 * Indicators come from sources (shearband/indicator.h), so the CNN, GNN, SVM, flexibility
 * volume and Voronoi indicators all plug in the same way.
 *
 * Outputs in out_dir: survey.csv (one row per case: glass, orientation, band found, axis,
 * signed centre, then per indicator gamma, predicted signed position and Delta),
 * survey.json (provenance, parameters, per-indicator mean gamma with its bootstrap interval,
 * counts of cases and of cases without a band), gamma_cdf.{png,svg} (C(gamma) of every
 * indicator with the diagonal; Fig. 3a) and gamma_mean.{png,svg} (mean gamma bars with
 * confidence intervals; Fig. 3b), each with its .dat and .gp.
 */
#ifndef SHEARBAND_SURVEY_H
#define SHEARBAND_SURVEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shearband/analysis.h"
#include "shearband/indicator.h"
#include "shearband/shear.h"
#include "shearband/status.h"
#include "shearband/structure.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { SB_SURVEY_MAX_INDICATORS = 8 };

typedef struct sb_survey_options {
    const char *const *glasses;   /* paths of the glass files */
    size_t nglasses;
    int orientations[24];         /* loading orientations to survey */
    int norientations;            /* default: all 24 */
    const char *runs_dir;         /* runs live in runs_dir/<glass stem>_oKK */
    const char *out_dir;
    bool run_missing;             /* shear cases without a finished run (else skip them) */
    sb_shear_options shear;       /* template for new runs (orientation/run_dir set per case) */
    double band_strain;           /* snapshot that locates the band (0.20) */
    sb_band_options band;         /* f_top, w_SB, step, no-band thresholds */
    double dfs_width;             /* w_DFS (19 A) */
    double dfs_step;              /* slab centre spacing for indicators (1 A) */
    sb_indicator_source sources[SB_SURVEY_MAX_INDICATORS];
    int nsources;
    double ci_level;              /* 0.95 */
    size_t bootstrap;             /* 10000 resamples */
    uint64_t bootstrap_seed;
    bool figures;                 /* render the two figures (true) */
    int argc;                     /* command line for provenance */
    char *const *argv;
} sb_survey_options;

sb_survey_options sb_survey_options_default(void);

typedef struct sb_survey_summary {
    size_t cases;          /* glass x orientation pairs considered */
    size_t with_band;      /* cases where a band was found (gamma defined) */
    size_t without_band;   /* excluded from gamma */
    size_t skipped;        /* no finished run and run_missing = false */
    double mean[SB_SURVEY_MAX_INDICATORS];
    double ci_lo[SB_SURVEY_MAX_INDICATORS], ci_hi[SB_SURVEY_MAX_INDICATORS];
} sb_survey_summary;

sb_status sb_survey_run(const sb_survey_options *opt, sb_survey_summary *summary, sb_error *err);

#ifdef __cplusplus
}
#endif
#endif
