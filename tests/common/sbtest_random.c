/*
 * Test helpers: seeded RNG, random cells and glass-like structures, brute-force neighbour
 * oracle (declarations and rationale in sbtest.h).
 *
 * The oracle's image range: for a separation d = x_j + n H - x_i with |d| <= rc, the
 * fractional component ds_k = (s_j - s_i)_k + n_k obeys |ds_k| <= rc / w_k (w_k the
 * perpendicular width, see cell.h), so n_k runs over the integers within rc / w_k of
 * -(s_j - s_i)_k; we widen that by one on each side and test every vector in the box.
 */
#include "sbtest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- RNG */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void sbtest_rng_seed(sbtest_rng *rng, uint64_t seed)
{
    uint64_t x = seed;
    for (int k = 0; k < 4; k++) rng->s[k] = splitmix64(&x);
}

uint64_t sbtest_rng_u64(sbtest_rng *rng)
{
    uint64_t *s = rng->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double sbtest_rng_uniform(sbtest_rng *rng)
{
    return (double)(sbtest_rng_u64(rng) >> 11) * 0x1.0p-53;
}

double sbtest_rng_range(sbtest_rng *rng, double lo, double hi)
{
    return lo + (hi - lo) * sbtest_rng_uniform(rng);
}

uint64_t sbtest_rng_below(sbtest_rng *rng, uint64_t n)
{
    /* rejection to avoid modulo bias */
    const uint64_t lim = UINT64_MAX - UINT64_MAX % n;
    uint64_t v;
    do v = sbtest_rng_u64(rng);
    while (v >= lim);
    return v % n;
}

double sbtest_rng_normal(sbtest_rng *rng)
{
    double u;
    do u = sbtest_rng_uniform(rng);
    while (u <= 0.0);
    const double v = sbtest_rng_uniform(rng);
    return sqrt(-2.0 * log(u)) * cos(2.0 * 3.14159265358979323846 * v);
}

void sbtest_rng_permutation(sbtest_rng *rng, size_t *perm, size_t n)
{
    for (size_t i = 0; i < n; i++) perm[i] = i;
    for (size_t i = n; i > 1; i--) {
        const size_t k = (size_t)sbtest_rng_below(rng, i);
        const size_t t = perm[i - 1];
        perm[i - 1] = perm[k];
        perm[k] = t;
    }
}

/* ---------------------------------------------------------------- cells */
void sbtest_random_cell(sbtest_rng *rng, double lmin, double lmax, double tilt, sb_cell *cell)
{
    double lo[3], hi[3];
    for (int k = 0; k < 3; k++) {
        lo[k] = sbtest_rng_range(rng, -10.0, 10.0);
        hi[k] = lo[k] + sbtest_rng_range(rng, lmin, lmax);
    }
    const double lx = hi[0] - lo[0], ly = hi[1] - lo[1];
    const double xy = sbtest_rng_range(rng, -tilt, tilt) * lx;
    const double xz = sbtest_rng_range(rng, -tilt, tilt) * lx;
    const double yz = sbtest_rng_range(rng, -tilt, tilt) * ly;
    sb_error err;
    if (sb_cell_set(cell, lo, hi, xy, xz, yz, &err) != SB_OK) {
        fprintf(stderr, "sbtest_random_cell: %s\n", err.msg);
        abort();
    }
}

static void image_vec(const sb_cell *cell, const int n[3], double v[3])
{
    const double nd[3] = {n[0], n[1], n[2]};
    sb_cell_frac_to_vec(cell, nd, v);
}

double sbtest_min_image_brute(const sb_cell *cell, const double d[3], int range, double out[3])
{
    double ds[3], base[3];
    sb_cell_vec_to_frac(cell, d, ds);
    int n0[3];
    for (int k = 0; k < 3; k++) n0[k] = -(int)lround(ds[k]);
    image_vec(cell, n0, base);
    for (int k = 0; k < 3; k++) base[k] += d[k];
    double best2 = INFINITY;
    for (int a = -range; a <= range; a++)
        for (int b = -range; b <= range; b++)
            for (int c = -range; c <= range; c++) {
                const int n[3] = {a, b, c};
                double v[3];
                image_vec(cell, n, v);
                for (int k = 0; k < 3; k++) v[k] += base[k];
                const double r2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
                if (r2 < best2) {
                    best2 = r2;
                    memcpy(out, v, sizeof v);
                }
            }
    return best2;
}

/* Smallest |x_b + n H - x_a|^2 over all images with |ds_k| within reach (all images that
 * could be closer than r). Includes n = 0 (callers exclude a == b themselves). */
static double closest_image2(const sb_cell *cell, const double w[3], const double *xa,
                             const double *xb, double r, int skip_zero)
{
    double d[3] = {xb[0] - xa[0], xb[1] - xa[1], xb[2] - xa[2]};
    double ds[3];
    sb_cell_vec_to_frac(cell, d, ds);
    int lo[3], hi[3];
    for (int k = 0; k < 3; k++) {
        lo[k] = (int)floor(-ds[k] - r / w[k]) - 1;
        hi[k] = (int)ceil(-ds[k] + r / w[k]) + 1;
    }
    double best = INFINITY;
    for (int a = lo[0]; a <= hi[0]; a++)
        for (int b = lo[1]; b <= hi[1]; b++)
            for (int c = lo[2]; c <= hi[2]; c++) {
                if (skip_zero && !a && !b && !c) continue;
                const int n[3] = {a, b, c};
                double v[3];
                image_vec(cell, n, v);
                for (int k = 0; k < 3; k++) v[k] += d[k];
                const double r2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
                if (r2 < best) best = r2;
            }
    return best;
}

int sbtest_random_glass(sbtest_rng *rng, const sb_cell *cell, size_t n, double rmin, double *x,
                        int *type)
{
    double w[3];
    sb_cell_widths(cell, w);
    if (n > 0 && rmin > fmin(w[0], fmin(w[1], w[2]))) return -1; /* own images too close */
    const double rmin2 = rmin * rmin;
    for (size_t i = 0; i < n; i++) {
        int placed = 0;
        for (int attempt = 0; attempt < 10000 && !placed; attempt++) {
            double s[3];
            for (int k = 0; k < 3; k++) s[k] = sbtest_rng_uniform(rng);
            sb_cell_to_cart(cell, s, x + 3 * i);
            placed = 1;
            for (size_t j = 0; j < i && placed; j++)
                if (closest_image2(cell, w, x + 3 * j, x + 3 * i, rmin, 0) < rmin2) placed = 0;
        }
        if (!placed) return -1;
        if (type) type[i] = 1 + (int)sbtest_rng_below(rng, 2);
    }
    return 0;
}

/* ---------------------------------------------------------------- oracle */
static int pair_cmp(const void *pa, const void *pb)
{
    const sbtest_pair *a = pa, *b = pb;
    if (a->i != b->i) return a->i < b->i ? -1 : 1;
    if (a->j != b->j) return a->j < b->j ? -1 : 1;
    for (int k = 0; k < 3; k++)
        if (a->n[k] != b->n[k]) return a->n[k] < b->n[k] ? -1 : 1;
    return 0;
}

void sbtest_sort_pairs(sbtest_pair *p, size_t n)
{
    if (n > 1) qsort(p, n, sizeof *p, pair_cmp);
}

size_t sbtest_brute_neighbors(const sb_cell *cell, const double *x, size_t n, double cutoff,
                              sbtest_pair **out)
{
    double w[3];
    sb_cell_widths(cell, w);
    size_t cap = 1024, cnt = 0;
    sbtest_pair *p = malloc(cap * sizeof *p);
    const double rc2 = cutoff * cutoff;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            const double *xi = x + 3 * i, *xj = x + 3 * j;
            const double d0[3] = {xj[0] - xi[0], xj[1] - xi[1], xj[2] - xi[2]};
            double ds[3];
            sb_cell_vec_to_frac(cell, d0, ds);
            int lo[3], hi[3];
            for (int k = 0; k < 3; k++) {
                lo[k] = (int)floor(-ds[k] - cutoff / w[k]) - 1;
                hi[k] = (int)ceil(-ds[k] + cutoff / w[k]) + 1;
            }
            for (int a = lo[0]; a <= hi[0]; a++)
                for (int b = lo[1]; b <= hi[1]; b++)
                    for (int c = lo[2]; c <= hi[2]; c++) {
                        const int nv[3] = {a, b, c};
                        double v[3];
                        image_vec(cell, nv, v);
                        for (int k = 0; k < 3; k++) v[k] += d0[k];
                        const double r2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
                        if (r2 > rc2 || r2 == 0.0) continue;
                        if (cnt == cap) {
                            cap *= 2;
                            p = realloc(p, cap * sizeof *p);
                        }
                        sbtest_pair *e = &p[cnt++];
                        e->i = (uint32_t)i;
                        e->j = (uint32_t)j;
                        memcpy(e->n, nv, sizeof nv);
                        memcpy(e->d, v, sizeof v);
                        e->r = sqrt(r2);
                    }
        }
    sbtest_sort_pairs(p, cnt);
    *out = p;
    return cnt;
}

size_t sbtest_canonical_list(const sb_neighbor_list *nl, const sb_cell *cell, const double *x,
                             sbtest_pair **out, double *max_resid)
{
    const size_t total = nl->offset[nl->n];
    sbtest_pair *p = malloc((total ? total : 1) * sizeof *p);
    double worst = 0.0;
    for (size_t i = 0; i < nl->n; i++)
        for (size_t e = nl->offset[i]; e < nl->offset[i + 1]; e++) {
            const size_t j = nl->j[e];
            const double *d = nl->d + 3 * e;
            const double *xi = x + 3 * i, *xj = x + 3 * j;
            const double extra[3] = {d[0] - (xj[0] - xi[0]), d[1] - (xj[1] - xi[1]),
                                     d[2] - (xj[2] - xi[2])};
            double ds[3];
            sb_cell_vec_to_frac(cell, extra, ds);
            sbtest_pair *q = &p[e];
            q->i = (uint32_t)i;
            q->j = (uint32_t)j;
            for (int k = 0; k < 3; k++) q->n[k] = (int)lround(ds[k]);
            double v[3];
            image_vec(cell, q->n, v);
            double res2 = 0.0;
            for (int k = 0; k < 3; k++) {
                const double r = d[k] - (xj[k] + v[k] - xi[k]);
                res2 += r * r;
            }
            if (sqrt(res2) > worst) worst = sqrt(res2);
            memcpy(q->d, d, 3 * sizeof *d);
            q->r = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        }
    sbtest_sort_pairs(p, total);
    if (max_resid) *max_resid = worst;
    *out = p;
    return total;
}

int sbtest_compare_pairs(const sbtest_pair *a, size_t na, const sbtest_pair *b, size_t nb,
                         double cutoff, double tol, char *msg, size_t msglen)
{
    size_t ia = 0, ib = 0;
    for (;;) {
        while (ia < na && fabs(a[ia].r - cutoff) <= tol) ia++;
        while (ib < nb && fabs(b[ib].r - cutoff) <= tol) ib++;
        if (ia == na && ib == nb) return 0;
        const sbtest_pair *pa = ia < na ? &a[ia] : NULL, *pb = ib < nb ? &b[ib] : NULL;
        const int c = !pa ? 1 : !pb ? -1 : pair_cmp(pa, pb);
        if (c == 0) {
            ia++;
            ib++;
            continue;
        }
        const sbtest_pair *e = c < 0 ? pa : pb;
        snprintf(msg, msglen,
                 "entry i=%u j=%u n=(%d,%d,%d) |d|=%.6f (cutoff %.6f) only in the %s list", e->i,
                 e->j, e->n[0], e->n[1], e->n[2], e->r, cutoff, c < 0 ? "first" : "second");
        return 1;
    }
}

void sbtest_random_neighbor_case(sbtest_rng *rng, double tilt, sb_cell *cell, double **x, size_t *n,
                                 double *cutoff)
{
    sbtest_random_cell(rng, 6.0, 14.0, tilt, cell);
    double w[3];
    sb_cell_widths(cell, w);
    *n = 5 + (size_t)sbtest_rng_below(rng, 200);
    *x = malloc(3 * *n * sizeof **x);
    for (size_t i = 0; i < *n; i++) {
        double s[3];
        for (int k = 0; k < 3; k++) s[k] = sbtest_rng_uniform(rng) + (double)sbtest_rng_below(rng, 5) - 2.0;
        sb_cell_to_cart(cell, s, *x + 3 * i);
    }
    const double wmin = fmin(w[0], fmin(w[1], w[2])), wmax = fmax(w[0], fmax(w[1], w[2]));
    const double lo = 0.3 * wmin, hi = 2.0 * wmax;
    *cutoff = lo * exp(sbtest_rng_uniform(rng) * log(hi / lo));
}
