/* Brute-force structural checks used by the engine tests (glass_checks.h). */
#include "glass_checks.h"

#include <math.h>
#include <stdlib.h>

double sbt_min_pair_distance(const sb_structure *s)
{
    double best = INFINITY;
    for (size_t i = 0; i < s->n; i++)
        for (size_t j = i + 1; j < s->n; j++) {
            double d[3];
            for (int k = 0; k < 3; k++) d[k] = s->x[3 * j + k] - s->x[3 * i + k];
            sb_cell_min_image(&s->cell, d);
            const double r = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
            if (r < best) best = r;
        }
    return best;
}

static double legendre6(double x)
{
    const double x2 = x * x;
    return (((231.0 * x2 - 315.0) * x2 + 105.0) * x2 - 5.0) / 16.0;
}

double sbt_global_q6(const sb_structure *s, double rcut, size_t *nb)
{
    size_t cap = 16 * s->n + 16, n = 0;
    double *u = malloc(3 * cap * sizeof *u);
    if (!u) return NAN;
    for (size_t i = 0; i < s->n; i++)
        for (size_t j = i + 1; j < s->n; j++) {
            double d[3];
            for (int k = 0; k < 3; k++) d[k] = s->x[3 * j + k] - s->x[3 * i + k];
            sb_cell_min_image(&s->cell, d);
            const double r = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
            if (r >= rcut || r == 0.0) continue;
            if (n == cap) {
                cap *= 2;
                double *g = realloc(u, 3 * cap * sizeof *u);
                if (!g) {
                    free(u);
                    return NAN;
                }
                u = g;
            }
            for (int k = 0; k < 3; k++) u[3 * n + k] = d[k] / r;
            n++;
        }
    /* P6 is even, so each bond counts once whatever its direction. */
    double sum = 0.0;
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b < n; b++)
            sum += legendre6(u[3 * a] * u[3 * b] + u[3 * a + 1] * u[3 * b + 1] +
                             u[3 * a + 2] * u[3 * b + 2]);
    free(u);
    if (nb) *nb = n;
    return n ? sqrt(fmax(sum, 0.0)) / (double)n : NAN;
}
