/*
 * shearband/metrics.h: how well a per-atom probability separates fertile from other atoms.
 *
 * Inputs: n scores (probabilities, or any real score where higher means "more likely
 * positive") and n labels (0 or 1; any non-zero byte counts as 1).
 *   - ROC-AUC: the probability that a random positive scores above a random negative, ties
 *     counting one half: the Mann-Whitney U statistic divided by n_pos * n_neg. Exact, by
 *     sorting and mid-ranks: O(n log n). NaN if either class is empty.
 *   - PR-AUC: average precision, AP = sum over distinct score thresholds t (descending) of
 *     (R(t) - R(t_prev)) * P(t), with P and R taken over all atoms scoring >= t (tied
 *     scores enter together, as scikit-learn's average_precision_score). NaN without
 *     positives. A random scorer gives AP ~ base rate.
 *   - At the threshold (default 0.5, "fertile if p > 0.5"): the confusion counts, precision
 *     TP/(TP+FP) (NaN if nothing is predicted positive), recall TP/(TP+FN) (NaN without
 *     positives), F1 (NaN if precision or recall is NaN or both are 0), accuracy, and the
 *     base rate n_pos / n.
 * Non-finite scores are an error (SB_ERR_NUMERIC naming the index).
 */
#ifndef SHEARBAND_METRICS_H
#define SHEARBAND_METRICS_H

#include <stddef.h>

#include "shearband/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sb_metrics {
    size_t n, n_pos, n_neg;
    size_t tp, fp, tn, fn; /* at score > threshold */
    double threshold;
    double roc_auc, pr_auc;
    double precision, recall, f1, accuracy, base_rate;
} sb_metrics;

/* ROC-AUC (Mann-Whitney, ties = 1/2). */
sb_status sb_roc_auc(const float *score, const unsigned char *label, size_t n, double *auc,
                     sb_error *err);
/* Average precision (PR-AUC). */
sb_status sb_average_precision(const float *score, const unsigned char *label, size_t n,
                               double *ap, sb_error *err);
/* Every metric above; positive prediction when score > threshold. */
sb_status sb_metrics_compute(const float *score, const unsigned char *label, size_t n,
                             double threshold, sb_metrics *m, sb_error *err);

#ifdef __cplusplus
}
#endif
#endif
