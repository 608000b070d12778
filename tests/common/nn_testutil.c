/* nn_testutil.c: helpers for the nn tests, see nn_testutil.h. */
#include "nn_testutil.h"

#include <math.h>

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double unit(uint64_t *s) { return (double)(next(s) >> 11) * 0x1.0p-53; }

double nn_test_nerr(const float *a, const float *b, size_t n)
{
    double d = 0, r = 0;
    for (size_t i = 0; i < n; i++) {
        double e = (double)a[i] - (double)b[i];
        d += e * e;
        r += (double)b[i] * b[i];
    }
    return sqrt(d) / (r > 0 ? sqrt(r) : 1e-30);
}

void nn_test_fill_uniform(float *x, size_t n, float lo, float hi, uint64_t *state)
{
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * (float)unit(state);
}

double nn_test_normal(uint64_t *state)
{
    double u1 = unit(state) + 0x1.0p-53, u2 = unit(state);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
