/*
 * Classification metrics (shearband/metrics.h).
 *
 * Both areas come from one sort of the scores in descending order. Walking the sorted list
 * group by group of equal scores:
 *   - ROC-AUC: a positive beats every negative of a strictly lower score and ties with the
 *     negatives of its own group (1/2 each). Counting, for each group, the negatives seen so
 *     far above it gives U = sum_groups pos_g * (neg_below_g + neg_g / 2), exactly the
 *     Mann-Whitney statistic, in O(n log n) instead of the O(n_pos n_neg) pair count.
 *   - Average precision: after each group the cumulative TP and FP give P and R; AP adds
 *     (R - R_prev) * P. Taking whole groups at once makes AP independent of the order of
 *     tied atoms (scikit-learn's definition).
 * Sorting uses an index array so the caller's data are untouched; ties are kept apart only
 * by score, so the result does not depend on atom order.
 */
#include "shearband/metrics.h"

#include <math.h>
#include <stdlib.h>

static const float *metrics_sort_key;

static int cmp_desc(const void *a, const void *b)
{
    const float x = metrics_sort_key[*(const size_t *)a], y = metrics_sort_key[*(const size_t *)b];
    return (x < y) - (x > y);
}

/* Shared pass: both areas. The qsort comparator uses a file-scope key, so this function is
 * not reentrant across threads (metrics are computed once per evaluation, not in loops). */
static sb_status metrics_areas(const float *score, const unsigned char *label, size_t n,
                               double *auc, double *ap, size_t *npos_out, sb_error *err)
{
    size_t npos = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(score[i]))
            return sb_error_set(err, SB_ERR_NUMERIC, "metrics: score %zu is not finite", i);
        npos += label[i] != 0;
    }
    const size_t nneg = n - npos;
    *npos_out = npos;
    if (n == 0 || npos == 0) {
        *auc = NAN;
        *ap = NAN;
        return SB_OK;
    }
    size_t *idx = malloc(n * sizeof *idx);
    if (!idx) return sb_error_set(err, SB_ERR_NOMEM, "metrics: cannot sort %zu scores", n);
    for (size_t i = 0; i < n; i++) idx[i] = i;
    metrics_sort_key = score;
    qsort(idx, n, sizeof *idx, cmp_desc);
    double u = 0, sum_ap = 0;
    size_t tp = 0, fp = 0;
    for (size_t g = 0; g < n;) {
        size_t e = g, gp = 0, gn = 0;
        while (e < n && score[idx[e]] == score[idx[g]]) {
            if (label[idx[e]]) gp++;
            else gn++;
            e++;
        }
        /* negatives strictly below this group: nneg - fp - gn */
        u += (double)gp * ((double)(nneg - fp - gn) + 0.5 * (double)gn);
        tp += gp;
        fp += gn;
        if (gp) sum_ap += (double)gp / (double)npos * (double)tp / (double)(tp + fp);
        g = e;
    }
    free(idx);
    *auc = nneg ? u / ((double)npos * (double)nneg) : NAN;
    *ap = sum_ap;
    return SB_OK;
}

sb_status sb_roc_auc(const float *score, const unsigned char *label, size_t n, double *auc,
                     sb_error *err)
{
    double ap;
    size_t npos;
    return metrics_areas(score, label, n, auc, &ap, &npos, err);
}

sb_status sb_average_precision(const float *score, const unsigned char *label, size_t n,
                               double *ap, sb_error *err)
{
    double auc;
    size_t npos;
    return metrics_areas(score, label, n, &auc, ap, &npos, err);
}

sb_status sb_metrics_compute(const float *score, const unsigned char *label, size_t n,
                             double threshold, sb_metrics *m, sb_error *err)
{
    *m = (sb_metrics){0};
    m->n = n;
    m->threshold = threshold;
    sb_status st = metrics_areas(score, label, n, &m->roc_auc, &m->pr_auc, &m->n_pos, err);
    if (st != SB_OK) return st;
    m->n_neg = n - m->n_pos;
    for (size_t i = 0; i < n; i++) {
        const int pred = score[i] > threshold, y = label[i] != 0;
        m->tp += pred && y;
        m->fp += pred && !y;
        m->fn += !pred && y;
        m->tn += !pred && !y;
    }
    m->precision = m->tp + m->fp ? (double)m->tp / (double)(m->tp + m->fp) : NAN;
    m->recall = m->n_pos ? (double)m->tp / (double)m->n_pos : NAN;
    m->f1 = (isfinite(m->precision) && isfinite(m->recall) && m->precision + m->recall > 0)
                ? 2 * m->precision * m->recall / (m->precision + m->recall)
                : NAN;
    m->accuracy = n ? (double)(m->tp + m->tn) / (double)n : NAN;
    m->base_rate = n ? (double)m->n_pos / (double)n : NAN;
    return SB_OK;
}
