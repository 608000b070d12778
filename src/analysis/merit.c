/*
 * The figure of merit gamma (shearband/merit.h): how high the indicator's slab profile
 * stands at the observed band compared with every other slab position, both axes pooled.
 *
 * The bootstrap uses its own splitmix64 stream so that the interval depends only on the
 * data and the seed, not on the C library's rand().
 */
#include "shearband/merit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

sb_status sb_gamma(const double *profile_x, size_t nx, const double *profile_y, size_t ny,
                   int band_axis, size_t band_index, sb_sense sense, double *gamma,
                   sb_error *err)
{
    if (band_axis != 0 && band_axis != 1)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "band axis must be 0 (X) or 1 (Y), not %d",
                            band_axis);
    const size_t nband = band_axis == 0 ? nx : ny;
    if (band_index >= nband)
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "band slab index %zu outside the %s profile of %zu positions",
                            band_index, band_axis == 0 ? "X" : "Y", nband);
    if (sense != SB_HIGHER_FAVOURS_BAND && sense != SB_LOWER_FAVOURS_BAND)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "bad indicator sense %d", (int)sense);
    const double vb = band_axis == 0 ? profile_x[band_index] : profile_y[band_index];
    if (!isfinite(vb))
        return sb_error_set(err, SB_ERR_NUMERIC, "indicator profile is not finite at the band");
    size_t count = 0;
    const double *prof[2] = {profile_x, profile_y};
    const size_t len[2] = {nx, ny};
    for (int a = 0; a < 2; a++) {
        for (size_t p = 0; p < len[a]; p++) {
            const double v = prof[a][p];
            if (!isfinite(v))
                return sb_error_set(err, SB_ERR_NUMERIC, "indicator profile %c[%zu] is not finite",
                                    "XY"[a], p);
            if (sense == SB_HIGHER_FAVOURS_BAND ? v <= vb : v >= vb) count++;
        }
    }
    *gamma = (double)count / (double)(nx + ny);
    return SB_OK;
}

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Quantile of sorted data by linear interpolation between order statistics (type 7). */
static double quantile_sorted(const double *v, size_t n, double q)
{
    if (n == 1) return v[0];
    const double h = q * (double)(n - 1);
    const size_t lo = (size_t)floor(h);
    const size_t hi = lo + 1 < n ? lo + 1 : lo;
    return v[lo] + (h - (double)lo) * (v[hi] - v[lo]);
}

sb_status sb_gamma_summarize(const double *gamma, size_t n, double level, size_t resamples,
                             uint64_t seed, sb_gamma_summary *out, sb_error *err)
{
    return sb_gamma_summarize_clustered(gamma, NULL, n, level, resamples, seed, out, err);
}

sb_status sb_gamma_summarize_clustered(const double *gamma, const uint64_t *cluster, size_t n,
                                       double level, size_t resamples, uint64_t seed,
                                       sb_gamma_summary *out, sb_error *err)
{
    memset(out, 0, sizeof *out);
    if (n == 0) return sb_error_set(err, SB_ERR_INVALID_ARG, "no cases to summarise");
    if (!(level > 0.0 && level < 1.0))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "confidence level %g not in (0,1)", level);
    if (resamples < 10)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "need at least 10 bootstrap resamples");
    /* Clusters in order of first appearance: their labels, gamma sums and sizes (O(n m),
     * for the tens to hundreds of cases of a survey). */
    double *csum = malloc(n * sizeof *csum), *means = malloc(resamples * sizeof *means);
    size_t *csize = malloc(n * sizeof *csize);
    uint64_t *label = malloc(n * sizeof *label);
    if (!csum || !csize || !label || !means) {
        free(csum);
        free(csize);
        free(label);
        free(means);
        return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate bootstrap resamples");
    }
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        size_t c = 0;
        if (cluster)
            while (c < m && label[c] != cluster[k]) c++;
        else
            c = m;
        if (c == m) {
            label[m] = cluster ? cluster[k] : k;
            csum[m] = 0.0;
            csize[m++] = 0;
        }
        csum[c] += gamma[k];
        csize[c]++;
    }
    double sum = 0.0;
    for (size_t c = 0; c < m; c++) sum += csum[c];
    const double mean = sum / (double)n;
    /* Standard error of the ratio estimator sum / n over m clusters (linearised): with
     * singleton clusters the usual s / sqrt(n). */
    double ss = 0.0;
    for (size_t c = 0; c < m; c++) {
        const double r = csum[c] - mean * (double)csize[c];
        ss += r * r;
    }
    out->n = n;
    out->nclusters = m;
    out->mean = mean;
    out->level = level;
    /* One unit says nothing about the spread: no error bar rather than a zero one. */
    out->stderr_mean = out->ci_lo = out->ci_hi = NAN;
    if (m >= 2) out->stderr_mean = sqrt(ss * (double)m / (double)(m - 1)) / (double)n;

    uint64_t state = seed;
    for (size_t b = 0; m >= 2 && b < resamples; b++) {
        double s = 0.0;
        size_t cnt = 0;
        for (size_t d = 0; d < m; d++) {
            const size_t c = splitmix64(&state) % m;
            s += csum[c];
            cnt += csize[c];
        }
        means[b] = s / (double)cnt;
    }
    if (m >= 2) {
        qsort(means, resamples, sizeof *means, cmp_double);
        out->ci_lo = quantile_sorted(means, resamples, (1.0 - level) / 2.0);
        out->ci_hi = quantile_sorted(means, resamples, 1.0 - (1.0 - level) / 2.0);
    }
    free(csum);
    free(csize);
    free(label);
    free(means);
    return SB_OK;
}

sb_status sb_gamma_cdf(const double *gamma, size_t n, double *sorted, sb_error *err)
{
    if (n == 0) return sb_error_set(err, SB_ERR_INVALID_ARG, "no cases for a CDF");
    memcpy(sorted, gamma, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_double);
    return SB_OK;
}

double sb_profile_delta(const double *profile_x, size_t nx, const double *profile_y, size_t ny)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t p = 0; p < nx; p++) {
        lo = fmin(lo, profile_x[p]);
        hi = fmax(hi, profile_x[p]);
    }
    for (size_t p = 0; p < ny; p++) {
        lo = fmin(lo, profile_y[p]);
        hi = fmax(hi, profile_y[p]);
    }
    return (nx + ny) ? hi - lo : 0.0;
}
