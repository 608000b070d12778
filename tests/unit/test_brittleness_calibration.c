/*
 * Calibration of the Delta threshold (brittleness.h) on hand-made sweeps:
 *   - perfectly separable: the interval is exactly [largest non-banded Delta, smallest
 *     banded Delta), the threshold its midpoint, nothing misclassified;
 *   - overlapping: the best balanced accuracy equals a brute-force scan of thresholds on a
 *     fine grid, and the reported misclassification count is recounted at the threshold;
 *   - all banded / none banded: the interval is unbounded and the threshold undetermined;
 *   - order of the glasses does not matter; non-finite Delta is refused;
 *   - a sweep naming one T_q twice is refused before anything is made.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/brittleness.h"
#include "shearband/fileutil.h"

static double balanced(const double *d, const bool *b, size_t n, double t, size_t *mis)
{
    size_t tp = 0, tn = 0, np = 0, nn = 0;
    *mis = 0;
    for (size_t i = 0; i < n; i++) {
        const bool brittle = d[i] > t;
        if (b[i]) np++, tp += brittle;
        else nn++, tn += !brittle;
        *mis += brittle != b[i];
    }
    if (np && nn) return 0.5 * ((double)tp / (double)np + (double)tn / (double)nn);
    return (double)(tp + tn) / (double)n;
}

Test(calibration, perfectly_separable)
{
    const double d[] = {0.08, 0.02, 0.07, 0.04, 0.03};
    const bool b[] = {true, false, true, false, false};
    sb_threshold_calibration c;
    sb_error err;
    cr_assert_eq(sb_threshold_calibrate(d, b, 5, &c, &err), SB_OK);
    cr_assert_float_eq(c.lo, 0.04, 1e-15);
    cr_assert_float_eq(c.hi, 0.07, 1e-15);
    cr_assert_float_eq(c.threshold, 0.055, 1e-15);
    cr_assert_eq(c.misclassified, 0);
    cr_assert_float_eq(c.balanced_accuracy, 1.0, 1e-15);
    cr_assert_eq(c.nbanded, 2);
}

Test(calibration, overlapping_matches_brute_force)
{
    const double d[] = {0.02, 0.05, 0.06, 0.04, 0.07, 0.08, 0.035, 0.065};
    const bool b[] = {false, false, false, true, true, true, false, true};
    const size_t n = 8;
    sb_threshold_calibration c;
    sb_error err;
    cr_assert_eq(sb_threshold_calibrate(d, b, n, &c, &err), SB_OK);
    double best = -1;
    for (double t = 0.0; t <= 0.1; t += 1e-5) {
        size_t mis;
        const double s = balanced(d, b, n, t, &mis);
        if (s > best) best = s;
    }
    cr_assert_float_eq(c.balanced_accuracy, best, 1e-12);
    size_t mis;
    cr_assert_float_eq(balanced(d, b, n, c.threshold, &mis), best, 1e-12);
    cr_assert_eq(mis, c.misclassified);
    cr_assert(c.misclassified > 0, "these data overlap");
    cr_assert_eq(c.false_brittle + c.false_ductile, c.misclassified);
    /* Every threshold inside the interval classifies the same way. */
    size_t mis2;
    cr_assert_float_eq(balanced(d, b, n, c.lo, &mis2), best, 1e-12);
    cr_assert_float_eq(balanced(d, b, n, 0.5 * (c.threshold + c.hi), &mis2), best, 1e-12);
}

Test(calibration, all_banded_is_undetermined)
{
    const double d[] = {0.05, 0.09, 0.07};
    const bool b[] = {true, true, true};
    sb_threshold_calibration c;
    sb_error err;
    cr_assert_eq(sb_threshold_calibrate(d, b, 3, &c, &err), SB_OK);
    cr_assert(isinf(c.lo) && c.lo < 0);
    cr_assert_float_eq(c.hi, 0.05, 1e-15);
    cr_assert(isnan(c.threshold));
    cr_assert_eq(c.misclassified, 0);
}

Test(calibration, none_banded_is_undetermined)
{
    const double d[] = {0.05, 0.09, 0.07};
    const bool b[] = {false, false, false};
    sb_threshold_calibration c;
    sb_error err;
    cr_assert_eq(sb_threshold_calibrate(d, b, 3, &c, &err), SB_OK);
    cr_assert_float_eq(c.lo, 0.09, 1e-15);
    cr_assert(isinf(c.hi) && c.hi > 0);
    cr_assert(isnan(c.threshold));
    cr_assert_eq(c.misclassified, 0);
}

Test(calibration, order_invariant)
{
    const double d1[] = {0.02, 0.05, 0.06, 0.04, 0.07, 0.08};
    const bool b1[] = {false, false, true, true, true, true};
    const double d2[] = {0.08, 0.04, 0.02, 0.07, 0.06, 0.05};
    const bool b2[] = {true, true, false, true, true, false};
    sb_threshold_calibration c1, c2;
    sb_error err;
    cr_assert_eq(sb_threshold_calibrate(d1, b1, 6, &c1, &err), SB_OK);
    cr_assert_eq(sb_threshold_calibrate(d2, b2, 6, &c2, &err), SB_OK);
    cr_assert_float_eq(c1.threshold, c2.threshold, 1e-15);
    cr_assert_eq(c1.misclassified, c2.misclassified);
}

Test(calibration, refuses_bad_input)
{
    const double d[] = {0.02, NAN};
    const bool b[] = {false, true};
    sb_threshold_calibration c;
    sb_error err;
    cr_assert_eq(sb_threshold_calibrate(d, b, 2, &c, &err), SB_ERR_INVALID_ARG);
    cr_assert_eq(sb_threshold_calibrate(d, b, 0, &c, &err), SB_ERR_INVALID_ARG);
}

Test(calibration, sweep_refuses_repeated_tq, .timeout = 60) /* without the check it would quench */
{
    sb_brittleness_options o = sb_brittleness_options_default();
    o.dir = "no/such/sweep";
    o.indicator = "rho";
    o.ntq = 3;
    o.tq[0] = 700;
    o.tq[1] = 800;
    o.tq[2] = 700;
    sb_brittleness_result *r = malloc(sizeof *r);
    cr_assert(r);
    sb_error err;
    cr_assert_eq(sb_brittleness_run(&o, r, &err), SB_ERR_INVALID_ARG);
    cr_expect(strstr(err.msg, "T_q 700 K given twice") != NULL, "%s", err.msg);
    cr_expect(!sb_file_exists("no/such/sweep"), "a refused sweep made its folder");
    free(r);
}
