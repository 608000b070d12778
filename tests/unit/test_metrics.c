/*
 * Metrics (shearband/metrics.h) against hand-computed cases and brute-force oracles:
 * ROC-AUC as the O(n^2) pair count with ties = 1/2, average precision straight from its
 * definition (one threshold per distinct score, P and R over all atoms scoring >= t).
 * Random cases use few distinct score values so that ties are frequent.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "sbtest.h"
#include "shearband/metrics.h"

static double brute_auc(const float *s, const unsigned char *y, size_t n)
{
    double u = 0, pairs = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (y[i] && !y[j]) {
                pairs += 1;
                u += s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0;
            }
    return u / pairs;
}

static double brute_ap(const float *s, const unsigned char *y, size_t n)
{
    size_t npos = 0;
    for (size_t i = 0; i < n; i++) npos += y[i] != 0;
    double ap = 0, rprev = 0;
    /* thresholds: distinct scores in descending order */
    float t = INFINITY;
    for (;;) {
        float next = -INFINITY;
        int found = 0;
        for (size_t i = 0; i < n; i++)
            if (s[i] < t && (!found || s[i] > next)) next = s[i], found = 1;
        if (!found) break;
        t = next;
        size_t tp = 0, k = 0;
        for (size_t i = 0; i < n; i++)
            if (s[i] >= t) k++, tp += y[i] != 0;
        const double r = (double)tp / (double)npos, p = (double)tp / (double)k;
        ap += (r - rprev) * p;
        rprev = r;
    }
    return ap;
}

Test(metrics, hand_cases)
{
    sb_error err;
    double auc, ap;
    /* perfect separation */
    const float s1[] = {0.9f, 0.8f, 0.2f, 0.1f};
    const unsigned char y1[] = {1, 1, 0, 0};
    cr_assert_eq(sb_roc_auc(s1, y1, 4, &auc, &err), SB_OK);
    cr_assert_float_eq(auc, 1.0, 1e-15);
    cr_assert_eq(sb_average_precision(s1, y1, 4, &ap, &err), SB_OK);
    cr_assert_float_eq(ap, 1.0, 1e-15);
    /* reversed */
    const unsigned char y2[] = {0, 0, 1, 1};
    sb_roc_auc(s1, y2, 4, &auc, &err);
    cr_assert_float_eq(auc, 0.0, 1e-15);
    /* ranking + - + - : AUC = 3/4; AP = (1/2)*1 + (1/2)*(2/3) = 5/6 */
    const unsigned char y3[] = {1, 0, 1, 0};
    sb_roc_auc(s1, y3, 4, &auc, &err);
    cr_assert_float_eq(auc, 0.75, 1e-15);
    sb_average_precision(s1, y3, 4, &ap, &err);
    cr_assert_float_eq(ap, 5.0 / 6.0, 1e-15);
    /* all scores tied: AUC 1/2, AP = base rate */
    const float s4[] = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
    const unsigned char y4[] = {1, 0, 0, 1, 0};
    sb_roc_auc(s4, y4, 5, &auc, &err);
    cr_assert_float_eq(auc, 0.5, 1e-15);
    sb_average_precision(s4, y4, 5, &ap, &err);
    cr_assert_float_eq(ap, 0.4, 1e-15);
}

Test(metrics, threshold_counts)
{
    const float s[] = {0.9f, 0.6f, 0.5f, 0.4f, 0.7f, 0.1f};
    const unsigned char y[] = {1, 0, 1, 0, 1, 0};
    sb_metrics m;
    sb_error err;
    cr_assert_eq(sb_metrics_compute(s, y, 6, 0.5, &m, &err), SB_OK);
    /* > 0.5: indices 0,1,4 -> TP 2 (0,4), FP 1 (1); 0.5 itself is negative -> FN 1 (2) */
    cr_assert_eq(m.tp, 2);
    cr_assert_eq(m.fp, 1);
    cr_assert_eq(m.fn, 1);
    cr_assert_eq(m.tn, 2);
    cr_assert_float_eq(m.precision, 2.0 / 3.0, 1e-15);
    cr_assert_float_eq(m.recall, 2.0 / 3.0, 1e-15);
    cr_assert_float_eq(m.f1, 2.0 / 3.0, 1e-15);
    cr_assert_float_eq(m.accuracy, 4.0 / 6.0, 1e-15);
    cr_assert_float_eq(m.base_rate, 0.5, 1e-15);
    cr_assert_float_eq(m.roc_auc, brute_auc(s, y, 6), 1e-15);
}

Test(metrics, degenerate)
{
    const float s[] = {0.2f, 0.1f};
    const unsigned char y0[] = {0, 0};
    sb_metrics m;
    sb_error err;
    cr_assert_eq(sb_metrics_compute(s, y0, 2, 0.5, &m, &err), SB_OK);
    cr_assert(isnan(m.roc_auc) && isnan(m.pr_auc) && isnan(m.recall) && isnan(m.precision));
    cr_assert_float_eq(m.accuracy, 1.0, 1e-15);
    const float bad[] = {0.2f, NAN};
    cr_assert_eq(sb_metrics_compute(bad, y0, 2, 0.5, &m, &err), SB_ERR_NUMERIC);
}

Test(metrics, random_against_brute_force)
{
    sbtest_rng rng;
    sbtest_rng_seed(&rng, 77);
    for (int trial = 0; trial < 200; trial++) {
        const size_t n = 2 + sbtest_rng_below(&rng, 60);
        const int levels = 1 + (int)sbtest_rng_below(&rng, 8);
        float *s = malloc(n * sizeof *s);
        unsigned char *y = malloc(n);
        size_t npos = 0;
        for (size_t i = 0; i < n; i++) {
            s[i] = (float)sbtest_rng_below(&rng, (uint64_t)levels) / (float)levels;
            y[i] = sbtest_rng_uniform(&rng) < 0.3 + 0.3 * s[i];
            npos += y[i];
        }
        if (npos == 0) y[0] = 1, npos = 1;
        if (npos == n) y[n - 1] = 0;
        double auc, ap;
        sb_error err;
        cr_assert_eq(sb_roc_auc(s, y, n, &auc, &err), SB_OK);
        cr_assert_eq(sb_average_precision(s, y, n, &ap, &err), SB_OK);
        cr_assert_float_eq(auc, brute_auc(s, y, n), 1e-12, "trial %d", trial);
        cr_assert_float_eq(ap, brute_ap(s, y, n), 1e-12, "trial %d", trial);
        /* invariance: a permutation of the atoms changes nothing */
        size_t *perm = malloc(n * sizeof *perm);
        sbtest_rng_permutation(&rng, perm, n);
        float *s2 = malloc(n * sizeof *s2);
        unsigned char *y2 = malloc(n);
        for (size_t i = 0; i < n; i++) s2[i] = s[perm[i]], y2[i] = y[perm[i]];
        double auc2, ap2;
        sb_roc_auc(s2, y2, n, &auc2, &err);
        sb_average_precision(s2, y2, n, &ap2, &err);
        cr_assert_eq(auc, auc2);
        cr_assert_float_eq(ap, ap2, 1e-14);
        free(perm), free(s2), free(y2), free(s), free(y);
    }
}
