/*
 * Test helpers shared by the strain/band tests (header-only, static): a glass-like random
 * configuration (random sequential addition with a minimum separation, so every atom has a
 * dense, non-coplanar neighbour shell like a metallic glass), a deterministic RNG, and a
 * brute-force O(N^2 x 27 images) full neighbour list used as an oracle and so that the
 * D2min kernel can be tested independently of src/cell/neighbor.c.
 */
#ifndef SB_TEST_STRAIN_SYNTHETIC_H
#define SB_TEST_STRAIN_SYNTHETIC_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/cell.h"
#include "shearband/neighbor.h"

/* splitmix64: small, deterministic, good enough for test fields. */
static inline uint64_t syn_next(uint64_t *st)
{
    uint64_t z = (*st += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static inline double syn_unif(uint64_t *st) { return (double)(syn_next(st) >> 11) * 0x1.0p-53; }
static inline double syn_gauss(uint64_t *st)
{
    double u = syn_unif(st), v = syn_unif(st);
    if (u < 1e-300) u = 1e-300;
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* n atoms at number density rho (A^-3) in a cubic orthogonal cell (returned in *cell),
 * minimum separation dmin, positions in x (3n). Uses a grid so it stays fast for ~10^4
 * atoms. Returns 0 on success. */
static inline int syn_glass(size_t n, double rho, double dmin, uint64_t seed, sb_cell *cell,
                            double *x)
{
    const double L = cbrt((double)n / rho);
    sb_cell_set_ortho(cell, L, L, L, NULL);
    int g = (int)(L / dmin);
    if (g < 1) g = 1;
    const double gw = L / g;
    /* Grid of atom lists: head per cell, next per atom. */
    long *head = malloc((size_t)g * g * g * sizeof *head);
    long *next = malloc(n * sizeof *next);
    for (long c = 0; c < (long)g * g * g; c++) head[c] = -1;
    uint64_t st = seed;
    size_t placed = 0;
    long tries = 0;
    while (placed < n) {
        if (++tries > (long)n * 2000) {
            free(head), free(next);
            return 1;
        }
        double r[3] = {syn_unif(&st) * L, syn_unif(&st) * L, syn_unif(&st) * L};
        int ci[3];
        for (int k = 0; k < 3; k++) {
            ci[k] = (int)(r[k] / gw);
            if (ci[k] >= g) ci[k] = g - 1;
        }
        int ok = 1;
        for (int a = -1; a <= 1 && ok; a++)
            for (int b = -1; b <= 1 && ok; b++)
                for (int c = -1; c <= 1 && ok; c++) {
                    const int cx = (ci[0] + a + g) % g, cy = (ci[1] + b + g) % g, cz = (ci[2] + c + g) % g;
                    for (long j = head[(cx * g + cy) * g + cz]; j >= 0 && ok; j = next[j]) {
                        double d[3];
                        for (int k = 0; k < 3; k++) {
                            d[k] = x[3 * j + k] - r[k];
                            d[k] -= L * nearbyint(d[k] / L);
                        }
                        if (d[0] * d[0] + d[1] * d[1] + d[2] * d[2] < dmin * dmin) ok = 0;
                    }
                }
        if (!ok) continue;
        memcpy(x + 3 * placed, r, sizeof r);
        const long c = ((long)ci[0] * g + ci[1]) * g + ci[2];
        next[placed] = head[c];
        head[c] = (long)placed;
        placed++;
    }
    free(head), free(next);
    return 0;
}

/* Brute-force full neighbour list (every image within cutoff, 27 images around the
 * nearest one: valid while cutoff < half the smallest perpendicular width). */
static inline void syn_brute_neighbors(sb_neighbor_list *nl, const sb_cell *cell, const double *x,
                                       size_t n, double cutoff)
{
    size_t cap = 64 * n + 16, cnt = 0;
    nl->n = n;
    nl->cutoff = cutoff;
    nl->offset = malloc((n + 1) * sizeof *nl->offset);
    nl->j = malloc(cap * sizeof *nl->j);
    nl->d = malloc(3 * cap * sizeof *nl->d);
    nl->capacity = cap;
    for (size_t i = 0; i < n; i++) {
        nl->offset[i] = cnt;
        for (size_t j = 0; j < n; j++) {
            double d[3], ds[3];
            for (int k = 0; k < 3; k++) d[k] = x[3 * j + k] - x[3 * i + k];
            sb_cell_vec_to_frac(cell, d, ds);
            for (int k = 0; k < 3; k++) ds[k] -= nearbyint(ds[k]);
            for (int a = -1; a <= 1; a++)
                for (int b = -1; b <= 1; b++)
                    for (int c = -1; c <= 1; c++) {
                        const double t[3] = {ds[0] + a, ds[1] + b, ds[2] + c};
                        double v[3];
                        sb_cell_frac_to_vec(cell, t, v);
                        const double r2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
                        if (r2 <= 0.0 || r2 > cutoff * cutoff) continue;
                        if (cnt == cap) {
                            cap *= 2;
                            nl->j = realloc(nl->j, cap * sizeof *nl->j);
                            nl->d = realloc(nl->d, 3 * cap * sizeof *nl->d);
                            nl->capacity = cap;
                        }
                        nl->j[cnt] = (uint32_t)j;
                        memcpy(nl->d + 3 * cnt, v, sizeof v);
                        cnt++;
                    }
        }
    }
    nl->offset[n] = cnt;
}

static inline void syn_free_neighbors(sb_neighbor_list *nl)
{
    free(nl->offset), free(nl->j), free(nl->d);
    memset(nl, 0, sizeof *nl);
}

/* Map positions affinely from cell a to cell b keeping reduced coordinates. */
static inline void syn_affine_map(const sb_cell *a, const sb_cell *b, const double *x, double *y, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double s[3];
        sb_cell_to_frac(a, x + 3 * i, s);
        sb_cell_to_cart(b, s, y + 3 * i);
    }
}

#endif
