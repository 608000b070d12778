/*
 * shearband/svm_train.h: training the linear-SVM softness (shearband/softness.h) on a
 * dataset manifest (shearband/dataset.h, docs/dataset.md) -- the SAME manifest, labels and
 * by-sample split as the CNN (fertile.h) and the GNN (gnn_train.h) -- so that the three
 * models' held-out metrics compare directly (docs/models.md).
 *
 * Examples. One row per (training case, atom): the atom's structure functions (strucfunc.h)
 * with the case's label. Structure functions do not depend on the loading orientation, so
 * they are computed once per glass and shared by all its cases; an atom fertile under one
 * orientation and not under another appears twice with both labels (a rotation-invariant
 * model can only learn how often an environment is fertile). When the training rows exceed
 * max_rows they are subsampled (seeded): all positives up to half of max_rows, negatives
 * for the rest. Classes are balanced by the weight n_neg / n_pos of the rows used unless
 * pos_weight > 0 fixes it.
 *
 * Model selection. Each C of the grid is trained on the training rows and scored by PR-AUC
 * of the softness on ALL atoms of the validation cases (natural base rate); the best C's
 * model is kept (no validation split: the first grid value, reported as such). Test metrics
 * are for that model on all atoms of the test cases, fertile when softness > 0.
 *
 * Outputs for MODEL:
 *   MODEL               SBSV file (softness.h): structure-function parameters,
 *                       standardisation, hyperplane, metadata kind=fertile-svm, dataset,
 *                       label strain / f_thres, C, eps, pos_weight, rows, seed
 *   MODEL.metrics.json  the CNN's format (fertile.h): kind, provenance, parameters,
 *                       result (with the C grid and its validation scores), val, test
 */
#ifndef SHEARBAND_SVM_TRAIN_H
#define SHEARBAND_SVM_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shearband/dataset.h"
#include "shearband/metrics.h"
#include "shearband/softness.h"
#include "shearband/status.h"
#include "shearband/strucfunc.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { SB_SVM_MAX_GRID = 16 };

typedef struct sb_svm_train_options {
    sb_sf_params sf;        /* sb_sf_params_default(); nspecies raised to the glasses' types */
    int n_grid;             /* values of C tried (3: 0.01, 0.1, 1) */
    double C_grid[SB_SVM_MAX_GRID];
    double eps;             /* liblinear tolerance (0.01) */
    double pos_weight;      /* <= 0: n_neg / n_pos of the rows used (0) */
    size_t max_rows;        /* training rows at most (200000; 0 = all) */
    uint64_t seed;          /* row subsampling (1) */
    const char *model_path; /* required */
    bool progress;          /* one line per C on stderr */
    int argc;
    char *const *argv;
} sb_svm_train_options;

sb_svm_train_options sb_svm_train_options_default(void);

typedef struct sb_svm_train_result {
    double C;                                  /* chosen */
    int n_grid;
    double grid_val_pr_auc[SB_SVM_MAX_GRID];   /* NaN without a validation split */
    double grid_val_roc_auc[SB_SVM_MAX_GRID];
    sb_metrics val, test;                      /* of the chosen model; n = 0 for an empty split */
    size_t n_train_rows, n_train_pos, n_train_neg; /* rows used */
    size_t n_train_available;                  /* rows before subsampling */
    size_t nfeat;
    double pos_weight;
    double seconds, seconds_features;
} sb_svm_train_result;

sb_status sb_svm_train(const sb_dataset *d, const sb_svm_train_options *opt, sb_svm_train_result *res,
                       sb_error *err);

#ifdef __cplusplus
}
#endif
#endif
