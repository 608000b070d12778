/* gamma, its summary statistics and Delta against hand-made profiles. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include <stdint.h>

#include "shearband/merit.h"

Test(merit, band_at_unique_maximum_gives_one)
{
    const double x[] = {0.01, 0.02, 0.03, 0.02};
    const double y[] = {0.02, 0.09, 0.01};
    double g = 0;
    cr_assert_eq(sb_gamma(x, 4, y, 3, 1, 1, SB_HIGHER_FAVOURS_BAND, &g, NULL), SB_OK);
    cr_assert_float_eq(g, 1.0, 1e-15);
}

Test(merit, constructed_case_has_known_value)
{
    /* Band on X at index 2 (value 0.30): positions <= 0.30 are 0.10 0.20 0.30 (X) and
     * 0.05 0.30 (Y) -> 5 of 8. */
    const double x[] = {0.10, 0.20, 0.30, 0.40};
    const double y[] = {0.05, 0.50, 0.30, 0.60};
    double g = 0;
    cr_assert_eq(sb_gamma(x, 4, y, 4, 0, 2, SB_HIGHER_FAVOURS_BAND, &g, NULL), SB_OK);
    cr_assert_float_eq(g, 5.0 / 8.0, 1e-15);
    /* Reversed sense: positions >= 0.30 are 0.30 0.40 (X) and 0.50 0.30 0.60 (Y) -> 5/8. */
    cr_assert_eq(sb_gamma(x, 4, y, 4, 0, 2, SB_LOWER_FAVOURS_BAND, &g, NULL), SB_OK);
    cr_assert_float_eq(g, 5.0 / 8.0, 1e-15);
    /* At the global minimum the reversed sense gives 1, the direct sense 1/8. */
    cr_assert_eq(sb_gamma(x, 4, y, 4, 1, 0, SB_LOWER_FAVOURS_BAND, &g, NULL), SB_OK);
    cr_assert_float_eq(g, 1.0, 1e-15);
    cr_assert_eq(sb_gamma(x, 4, y, 4, 1, 0, SB_HIGHER_FAVOURS_BAND, &g, NULL), SB_OK);
    cr_assert_float_eq(g, 1.0 / 8.0, 1e-15);
}

Test(merit, ties_count_as_lower_or_equal)
{
    const double x[] = {0.2, 0.2, 0.1};
    const double y[] = {0.2, 0.3, 0.2};
    double g = 0;
    /* v(band) = 0.2: <= gives 0.2 0.2 0.1 0.2 0.2 = 5 of 6; >= gives 0.2 0.2 0.2 0.3 0.2 = 5. */
    cr_assert_eq(sb_gamma(x, 3, y, 3, 0, 0, SB_HIGHER_FAVOURS_BAND, &g, NULL), SB_OK);
    cr_assert_float_eq(g, 5.0 / 6.0, 1e-15);
    cr_assert_eq(sb_gamma(x, 3, y, 3, 0, 0, SB_LOWER_FAVOURS_BAND, &g, NULL), SB_OK);
    cr_assert_float_eq(g, 5.0 / 6.0, 1e-15);
    const double flat[] = {0.5, 0.5, 0.5};
    cr_assert_eq(sb_gamma(flat, 3, flat, 3, 1, 2, SB_HIGHER_FAVOURS_BAND, &g, NULL), SB_OK);
    cr_assert_float_eq(g, 1.0, 1e-15);
}

Test(merit, bad_arguments_are_errors)
{
    const double x[] = {0.1, NAN};
    double g = 0;
    sb_error err;
    cr_assert_eq(sb_gamma(x, 2, x, 2, 2, 0, SB_HIGHER_FAVOURS_BAND, &g, &err), SB_ERR_INVALID_ARG);
    cr_assert_eq(sb_gamma(x, 2, x, 2, 0, 5, SB_HIGHER_FAVOURS_BAND, &g, &err), SB_ERR_INVALID_ARG);
    cr_assert(strstr(err.msg, "outside") != NULL);
    cr_assert_eq(sb_gamma(x, 2, x, 2, 0, 0, SB_HIGHER_FAVOURS_BAND, &g, &err), SB_ERR_NUMERIC);
    cr_assert_eq(sb_gamma(x, 2, x, 2, 0, 1, SB_HIGHER_FAVOURS_BAND, &g, &err), SB_ERR_NUMERIC);
}

static uint64_t rng_state = 12345;
static double uniform(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

Test(merit, random_indicator_has_mean_one_half)
{
    /* 2000 synthetic cases with 40 + 40 slab positions of independent random values and a
     * band at a random position: gamma is uniform on {1..80}/80, mean 81/160 = 0.50625. */
    enum { NCASE = 2000, NPOS = 40 };
    static double gam[NCASE];
    double x[NPOS], y[NPOS];
    for (int c = 0; c < NCASE; c++) {
        for (int p = 0; p < NPOS; p++) {
            x[p] = uniform();
            y[p] = uniform();
        }
        const int axis = uniform() < 0.5;
        const size_t idx = (size_t)(uniform() * NPOS);
        cr_assert_eq(sb_gamma(x, NPOS, y, NPOS, axis, idx, SB_HIGHER_FAVOURS_BAND, &gam[c], NULL), SB_OK);
    }
    sb_gamma_summary s;
    cr_assert_eq(sb_gamma_summarize(gam, NCASE, 0.95, 2000, 7, &s, NULL), SB_OK);
    const double expected = (2.0 * NPOS + 1.0) / (2.0 * 2.0 * NPOS);
    cr_assert(fabs(s.mean - expected) < 3.0 * s.stderr_mean, "mean %g vs %g +- %g", s.mean,
              expected, s.stderr_mean);
    cr_assert(fabs(s.mean - 0.5) < 3.0 * s.stderr_mean + 1.0 / (2.0 * NPOS));
    /* Standard error of a uniform variable: sqrt(1/12 / n). */
    cr_assert(fabs(s.stderr_mean - sqrt(1.0 / 12.0 / NCASE)) < 0.1 * s.stderr_mean);
    cr_assert(s.ci_lo < s.mean && s.mean < s.ci_hi);
    /* The 95 % bootstrap interval spans about +-1.96 standard errors. */
    const double half = 0.5 * (s.ci_hi - s.ci_lo);
    cr_assert(fabs(half / s.stderr_mean - 1.96) < 0.25, "half-width %g vs se %g", half, s.stderr_mean);
}

Test(merit, bootstrap_is_deterministic_per_seed)
{
    const double g[] = {0.9, 0.7, 0.4, 1.0, 0.55, 0.8};
    sb_gamma_summary a, b, c;
    cr_assert_eq(sb_gamma_summarize(g, 6, 0.95, 500, 1, &a, NULL), SB_OK);
    cr_assert_eq(sb_gamma_summarize(g, 6, 0.95, 500, 1, &b, NULL), SB_OK);
    cr_assert_eq(sb_gamma_summarize(g, 6, 0.95, 500, 2, &c, NULL), SB_OK);
    cr_assert_eq(a.ci_lo, b.ci_lo);
    cr_assert_eq(a.ci_hi, b.ci_hi);
    cr_assert(a.ci_lo != c.ci_lo || a.ci_hi != c.ci_hi);
    cr_assert_float_eq(a.mean, (0.9 + 0.7 + 0.4 + 1.0 + 0.55 + 0.8) / 6.0, 1e-15);
    cr_assert(a.ci_lo >= 0.4 && a.ci_hi <= 1.0);
}

/* Clusters: distinct labels reproduce the plain bootstrap exactly; a survey in which every
 * case is run twice (two identical partner cases) has the interval of the single cases when
 * the pairs are clustered, while treating the copies as independent cases narrows it by
 * ~sqrt(2) -- the error the clustering exists to avoid. */
Test(merit, clustered_bootstrap_resamples_whole_clusters)
{
    enum { N = 60 };
    double g[N], g2[2 * N];
    uint64_t own[N], pair[2 * N];
    for (int k = 0; k < N; k++) {
        g[k] = uniform();
        own[k] = 1000 + 7 * (uint64_t)k; /* any distinct labels */
        g2[2 * k] = g2[2 * k + 1] = g[k];
        pair[2 * k] = pair[2 * k + 1] = (uint64_t)k;
    }
    sb_gamma_summary a, b, c, d;
    cr_assert_eq(sb_gamma_summarize(g, N, 0.95, 4000, 3, &a, NULL), SB_OK);
    cr_assert_eq(sb_gamma_summarize_clustered(g, own, N, 0.95, 4000, 3, &b, NULL), SB_OK);
    cr_expect_eq(b.nclusters, N);
    cr_expect(a.ci_lo == b.ci_lo && a.ci_hi == b.ci_hi && a.stderr_mean == b.stderr_mean,
              "distinct labels must give the plain bootstrap");
    cr_assert_eq(sb_gamma_summarize_clustered(g2, pair, 2 * N, 0.95, 4000, 3, &c, NULL), SB_OK);
    cr_expect_eq(c.n, 2 * N);
    cr_expect_eq(c.nclusters, N);
    cr_expect_float_eq(c.mean, a.mean, 1e-14);
    cr_expect_float_eq(c.stderr_mean, a.stderr_mean, 1e-14);
    /* Each drawn pair contributes twice its single value over twice the count: the same
     * resample means as the single cases, so the same interval. */
    cr_expect_float_eq(c.ci_lo, a.ci_lo, 1e-12);
    cr_expect_float_eq(c.ci_hi, a.ci_hi, 1e-12);
    /* One loading, however many runs: the mean, but no error bar. */
    const uint64_t one[3] = {5, 5, 5};
    sb_gamma_summary e;
    cr_assert_eq(sb_gamma_summarize_clustered(g, one, 3, 0.95, 100, 3, &e, NULL), SB_OK);
    cr_expect(e.nclusters == 1 && isnan(e.stderr_mean) && isnan(e.ci_lo) && isnan(e.ci_hi));
    cr_expect_float_eq(e.mean, (g[0] + g[1] + g[2]) / 3.0, 1e-15);
    cr_assert_eq(sb_gamma_summarize(g2, 2 * N, 0.95, 4000, 3, &d, NULL), SB_OK);
    const double ratio = (a.ci_hi - a.ci_lo) / (d.ci_hi - d.ci_lo);
    cr_expect(fabs(ratio - sqrt(2.0)) < 0.15, "unclustered copies narrow the interval by %g", ratio);
}

Test(merit, cdf_and_delta)
{
    const double g[] = {0.9, 0.2, 0.5};
    double sorted[3];
    cr_assert_eq(sb_gamma_cdf(g, 3, sorted, NULL), SB_OK);
    cr_assert(sorted[0] == 0.2 && sorted[1] == 0.5 && sorted[2] == 0.9);
    const double x[] = {0.03, 0.05}, y[] = {0.11, 0.04};
    cr_assert_float_eq(sb_profile_delta(x, 2, y, 2), 0.08, 1e-15);
}
