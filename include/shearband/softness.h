/*
 * shearband/softness.h: the linear-SVM "softness" of Cubuk et al. (2015), trained with
 * liblinear (L2-regularised, L2-loss linear SVC) on standardised structure functions.
 *
 * softness_i = (w . z_i + b) / |w|, the signed distance of atom i's standardised feature
 * vector z_i = (x_i - mean) / std from the separating hyperplane; fertile when > 0.
 * Classes are balanced by weighting the rare positive class by n_neg / n_pos (the labels are
 * the top 5 % of D2min), unless the caller gives its own weight.
 */
#ifndef SHEARBAND_SOFTNESS_H
#define SHEARBAND_SOFTNESS_H

#include <stddef.h>
#include <stdint.h>

#include "shearband/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sb_softness_options {
    double C;             /* liblinear cost (default 1.0) */
    double eps;           /* stopping tolerance (default 0.01) */
    double pos_weight;    /* weight of the positive class; <= 0 means n_neg / n_pos */
} sb_softness_options;

sb_softness_options sb_softness_options_default(void);

typedef struct sb_softness_model {
    size_t nfeat;
    double *mean, *std; /* standardisation, nfeat each */
    double *w;          /* hyperplane in standardised units, nfeat */
    double bias;
} sb_softness_model;

/* Train on n rows of nfeat features (X row-major) with labels y (0/1). */
sb_status sb_softness_train(const double *X, const uint8_t *y, size_t n, size_t nfeat,
                            const sb_softness_options *opt, sb_softness_model *model, sb_error *err);

/* Signed distances of n rows. */
void sb_softness_predict(const sb_softness_model *model, const double *X, size_t n, double *softness);

void sb_softness_free(sb_softness_model *model);

#ifdef __cplusplus
}
#endif
#endif
