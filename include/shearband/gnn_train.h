/*
 * shearband/gnn_train.h: training the fertile-site GNN (shearband/gnn.h) on a dataset
 * manifest (shearband/dataset.h, docs/dataset.md) -- the SAME manifest, labels and
 * by-sample split as the CNN (shearband/fertile.h) -- and per-atom inference.
 *
 * Examples. One example is one whole case (glass, orientation): its graph under R_K with all
 * its atoms labelled; one Adam step per case (full-graph training, as Bapst et al.). No
 * negative subsampling: every atom of every training case counts, with the loss weight
 * pos_weight = n_neg / n_pos over the training split (or a fixed value). Graphs are rebuilt
 * per step (20 ms for 4,000 atoms at 5 A, ~1.5 % of a step) instead of stored (2.5 MB each).
 * Cases are visited in an order drawn from (seed, epoch), so a run is reproducible.
 *
 * Early stopping on validation PR-AUC (all atoms of the val cases, natural base rate) with
 * `patience` (without a val split: on the training loss); the best epoch's model is written. Outputs for MODEL:
 *   MODEL               the best model (SBGN file; metadata: kind=fertile-gnn, dataset,
 *                       label strain and f_thres, epochs, seed)
 *   MODEL.log.csv       epoch, train loss, val loss, val ROC-AUC, val PR-AUC, seconds
 *   MODEL.metrics.json  provenance, parameters, best epoch, val and TEST metrics
 */
#ifndef SHEARBAND_GNN_TRAIN_H
#define SHEARBAND_GNN_TRAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "shearband/dataset.h"
#include "shearband/gnn.h"
#include "shearband/metrics.h"
#include "shearband/status.h"
#include "shearband/structure.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sb_gnn_train_options {
    sb_gnn_config cfg;     /* sb_gnn_config_default(); nspecies raised to the glasses' types */
    int epochs;            /* 30 */
    float lr;              /* 1e-3 */
    uint64_t seed;         /* 1 */
    int threads;           /* OpenMP threads (0: leave as is) */
    const char *backend;   /* NULL: "blas" */
    bool pos_weight_auto;  /* n_neg / n_pos of the training split (true) */
    float pos_weight;      /* used when !pos_weight_auto */
    int patience;          /* 5; 0 = never stop early */
    const char *model_path;/* required */
    bool progress;         /* one line per epoch on stderr */
    int argc;
    char *const *argv;
} sb_gnn_train_options;

sb_gnn_train_options sb_gnn_train_options_default(void);

typedef struct sb_gnn_train_result {
    int epochs_run, best_epoch; /* best_epoch 1-based */
    double best_val_pr_auc;
    sb_metrics val, test;       /* of the best model; n = 0 when the split is empty */
    double seconds;
    double graphs_per_second;   /* training steps per second */
    size_t n_train_pos, n_train_neg;
} sb_gnn_train_result;

sb_status sb_gnn_train(const sb_dataset *d, const sb_gnn_train_options *opt, sb_gnn_train_result *res,
                       sb_error *err);

/* Probability that each atom of s is a fertile site under orientation k: prob[s->n]. */
sb_status sb_gnn_fertile_predict(sb_gnn_model *m, const sb_structure *s, int orientation,
                                 const sb_gnn_plan_options *opt, float *prob, sb_error *err);

#ifdef __cplusplus
}
#endif
#endif
