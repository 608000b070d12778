/*
 * shearband/fertile.h: the fertile-site CNN (METHOD.md sections 6 and 8): training on a
 * dataset manifest (shearband/dataset.h) and per-atom inference on a glass.
 *
 * Examples. One example is (case, atom): the spatial density map (shearband/sdm.h) of that
 * atom in the case's glass under the case's loading orientation (R_K of orientation.h; the
 * map is drawn in the loading frame), labelled 1 if the atom is among the case's positives.
 * Maps are computed on the fly, batch by batch; they are never stored for the whole
 * dataset (a 32x32x2 map is 8 KB: 4000 atoms x 24 orientations would be 780 MB per glass).
 *
 * Epochs. Every training positive is seen once per epoch, together with neg_per_pos times
 * as many negatives drawn without replacement from all training negatives (all of them if
 * neg_per_pos = 0). The class imbalance left (neg_per_pos : 1) is compensated by the loss
 * weight pos_weight = n_neg / n_pos of the epoch (pos_weight_auto) or a fixed value.
 * Validation and test always use ALL atoms of their cases, at the natural base rate.
 * Randomness (negative draw, shuffle, dropout) comes from streams keyed by (seed, epoch),
 * so a run resumed at an epoch boundary repeats exactly what the uninterrupted run did.
 *
 * Losses: the training loss is the pos_weight-weighted BCE of the epoch's examples; the
 * validation loss is the UNWEIGHTED BCE over all validation atoms (natural base rate), so
 * the two are on different scales. Without a validation split the training loss is
 * monitored.
 *
 * Early stopping: the monitored validation quantity (PR-AUC by default, or the loss) must
 * improve within `patience` epochs; the model written is the best epoch's.
 *
 * Outputs for MODEL (the path given):
 *   MODEL                 the best model (SBNN file; metadata: SDM parameters, architecture,
 *                         training provenance; sb_fertile_load reads them back)
 *   MODEL.log.csv         epoch, train loss, val loss, val ROC-AUC, val PR-AUC, seconds,
 *                         maps per second
 *   MODEL.metrics.json    provenance, parameters, best epoch, val and TEST metrics
 *   MODEL.ckpt            resumable state after the last epoch (model, Adam, counters)
 *   MODEL.curve.png/.svg  learning curve (when gnuplot is available)
 */
#ifndef SHEARBAND_FERTILE_H
#define SHEARBAND_FERTILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shearband/dataset.h"
#include "shearband/metrics.h"
#include "shearband/nn.h"
#include "shearband/sdm.h"
#include "shearband/status.h"
#include "shearband/structure.h"
#include "shearband/survey.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The OpenMP thread count a computation with option `threads` uses (threads > 0: that; 0:
 * the current OpenMP setting), for provenance records. */
int sb_fertile_threads(int requested);

/* Default architecture for a map kind (small CNNs, 2D or 3D). */
const char *sb_fertile_default_arch(sb_sdm_kind kind);
/* SDM defaults per kind: proj_xy / proj_3 G = 32 (0.5 A pixels), grid3d G = 16. */
sb_sdm_params sb_fertile_default_sdm(sb_sdm_kind kind);

typedef struct sb_train_options {
    sb_sdm_params sdm;
    const char *arch;      /* NULL: sb_fertile_default_arch(sdm.kind) */
    int epochs;            /* 30 */
    int batch;             /* 64 */
    float lr;              /* 1e-3 */
    uint64_t seed;         /* 1 */
    int threads;           /* OpenMP threads (0: leave as is) */
    const char *backend;   /* NULL: sb_nn_default_backend() */
    double neg_per_pos;    /* negatives per positive per epoch (3; 0: all negatives) */
    bool augment;          /* each training map under a random symmetry of simple shear
                              (sb_sdm_symmetry: half turn about Z, mirror Z; true) */
    bool augment_rotations;/* each training map in a random one of the 24 cube frames
                              instead of its loading's: the network learns the
                              orientation-averaged propensity, an orientation-blind model
                              (false) */
    bool pos_weight_auto;  /* pos_weight = n_neg / n_pos of the epoch (true) */
    float pos_weight;      /* used when !pos_weight_auto (1) */
    double soft_tau;       /* > 0: train on soft targets sigmoid(ln(D2min / D_thr) / tau)
                              (sb_labels_targets) instead of the 0/1 labels; sampling,
                              metrics and early stopping keep the 0/1 labels (0.25; 0: off) */
    int patience;          /* epochs without improvement before stopping (5; 0: never stop) */
    bool monitor_loss;     /* monitor validation loss instead of PR-AUC (false) */
    const char *model_path;/* required */
    bool resume;           /* continue from MODEL.ckpt */
    const char *init_model;/* start from this model's weights (same SDM and architecture;
                              fine-tuning, e.g. after pre-training on other labels) or NULL */
    bool progress;         /* one line per epoch on stderr */
    bool figure;           /* learning-curve figure (true) */
    int argc;
    char *const *argv;
} sb_train_options;

sb_train_options sb_train_options_default(void);

typedef struct sb_train_result {
    int epochs_run;        /* epochs completed in total (with resumed ones) */
    int best_epoch;        /* 1-based */
    double best_monitor;
    sb_metrics val, test;  /* of the best model; n = 0 when the split is empty */
    double seconds;        /* this call */
    double maps_per_second;/* training maps (SDM + forward + backward) per second */
    size_t n_train_pos, n_train_neg;
} sb_train_result;

sb_status sb_fertile_train(const sb_dataset *d, const sb_train_options *opt, sb_train_result *res,
                           sb_error *err);

/* Load a fertile model and the SDM parameters it was trained with; SB_ERR_FORMAT naming
 * the file when the metadata lack them (not a fertile-site model). */
sb_status sb_fertile_load(const char *path, sb_nn_model **model, sb_sdm_params *sdm, sb_error *err);

typedef struct sb_fertile_options {
    const char *backend; /* NULL: default */
    int threads;         /* 0: leave as is */
    int batch;           /* 256 */
} sb_fertile_options;

sb_fertile_options sb_fertile_options_default(void);

/* Probability that each atom of s is a fertile site under orientation k: prob[s->n].
 * builder: an SDM builder of s with the model's parameters (reuse it across orientations),
 * or NULL to make one for this call. */
sb_status sb_fertile_predict(sb_nn_model *model, const sb_sdm_params *sdm, const sb_structure *s,
                             sb_sdm_builder *builder, int orientation,
                             const sb_fertile_options *opt, float *prob, sb_error *err);

/* The "cnn" indicator for sb_survey_run (shearband/survey.h): per-atom p_fertile of the
 * model at `model_path` under each case's orientation. The context holds the model and the
 * SDM builder of the current glass (rebuilt when the glass index changes); free it with
 * sb_fertile_survey_free. opt may be NULL. */
sb_status sb_fertile_survey_source(const char *model_path, const sb_fertile_options *opt,
                                   sb_indicator_source *src, sb_error *err);
void sb_fertile_survey_free(sb_indicator_source *src);

#ifdef __cplusplus
}
#endif
#endif
