/* Linear-SVM softness on synthetic data with a known separating plane. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/softness.h"

static uint64_t rng = 31;
static double uniform(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}
static double gauss(void) { return sqrt(-2 * log(1 - uniform())) * cos(6.283185307179586 * uniform()); }

/* Rare positives (5 %) far out along a known direction, in features of very different
 * scales: standardisation and class weighting must both work for high recall. */
Test(softness, finds_a_rare_separable_class)
{
    enum { N = 4000, F = 6 };
    static double X[N * F];
    static uint8_t y[N];
    static double s[N];
    const double scale[F] = {1, 100, 0.01, 5, 1, 1};
    for (int i = 0; i < N; i++) {
        y[i] = uniform() < 0.05;
        for (int k = 0; k < F; k++) X[i * F + k] = gauss() * scale[k];
        /* The class shifts features 1 and 3 (in their own units). */
        if (y[i]) {
            X[i * F + 1] += 4.0 * scale[1];
            X[i * F + 3] -= 4.0 * scale[3];
        }
    }
    sb_softness_options opt = sb_softness_options_default();
    sb_softness_model m;
    cr_assert_eq(sb_softness_train(X, y, N, F, &opt, &m, NULL), SB_OK);
    sb_softness_predict(&m, X, N, s);
    int tp = 0, fp = 0, fn = 0;
    for (int i = 0; i < N; i++) {
        tp += y[i] && s[i] > 0;
        fp += !y[i] && s[i] > 0;
        fn += y[i] && s[i] <= 0;
    }
    cr_assert(tp > 0.95 * (tp + fn), "recall %d / %d", tp, tp + fn);
    cr_assert(fp < 0.02 * N, "false positives %d", fp);
    /* The hyperplane points along +1 and -3 in standardised units; noise features are small. */
    cr_assert(m.w[1] > 0 && m.w[3] < 0);
    cr_assert(fabs(m.w[0]) < 0.2 * fabs(m.w[1]) && fabs(m.w[2]) < 0.2 * fabs(m.w[1]));
    /* Softness is a distance: scaling the weights does not change it. */
    sb_softness_model m2 = m;
    double w2[F];
    for (int k = 0; k < F; k++) w2[k] = 3 * m.w[k];
    m2.w = w2;
    m2.bias = 3 * m.bias;
    double s2;
    sb_softness_predict(&m2, X, 1, &s2);
    cr_assert(fabs(s2 - s[0]) < 1e-12 * (1 + fabs(s[0])));
    sb_softness_free(&m);
}

Test(softness, rejects_degenerate_labels)
{
    double X[4] = {1, 2, 3, 4};
    uint8_t y[4] = {0, 0, 0, 0};
    sb_softness_options opt = sb_softness_options_default();
    sb_softness_model m;
    sb_error err;
    cr_assert_eq(sb_softness_train(X, y, 4, 1, &opt, &m, &err), SB_ERR_INVALID_ARG);
    cr_assert(strstr(err.msg, "all 0") != NULL);
}
