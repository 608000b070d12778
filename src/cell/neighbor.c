/*
 * Periodic neighbour lists by binning in fractional coordinates (API in shearband/neighbor.h).
 *
 * Why fractional bins. In a triclinic cell the Cartesian box is a parallelepiped, so we bin
 * the reduced coordinates s in [0,1)^3 instead: bin k-index b_k = floor(s_k * nb_k). A pair
 * at Cartesian separation |d| <= rc has reduced separation |ds_k| = |d . g_k| <= rc / w_k,
 * where g_k is column k of H^-1 and w_k = 1/|g_k| the perpendicular width of the cell along
 * axis k. Hence its bins differ by at most m_k = ceil(rc * nb_k / w_k) along k, and the
 * stencil {-m_k..m_k}^3 around an atom's bin finds every neighbour, for any tilt.
 *
 * Images. The stencil offset t = b + delta is not folded into [0, nb) blindly: the
 * neighbour bin is t mod nb and the image shift n = floor(t / nb). Every (bin, shift) pair
 * corresponds to exactly one t, so each periodic image of each atom is visited once, even
 * when 2 m_k + 1 > nb_k (cutoff larger than half the cell, or larger than the cell: then
 * the same bin is visited with several shifts, giving several images of the same atom,
 * including images of atom i itself). Only d = 0 (i itself, unshifted) is skipped.
 * Displacements are computed from the wrapped positions r = s H and the shift n H, so
 * d = r_j + n H - r_i is the true separation of one image pair whatever the input wrapping.
 *
 * Bin sizes: nb_k = max(1, floor(w_k * bin_factor / rc)), finer along axis 0 (see
 * NB_AXIS0_REFINE). Bins are numbered with axis 0 fastest, so for one stencil row (fixed
 * offsets along axes 1 and 2) the axis-0 offsets that share an image shift are consecutive
 * bins, i.e. one contiguous run of sorted atoms: the inner loop runs over such segments
 * (usually one per row, two when the row wraps around the cell), not over single bins.
 *
 * Layout and passes (plan, then execute):
 *   1. validate, wrap every atom into [0,1)^3 and compute its bin (parallel over atoms);
 *   2. counting sort of the atoms by bin: Cartesian wrapped positions are copied into bin
 *      order so a stencil bin is one contiguous run of memory;
 *   3. count pass: for each atom (in bin order, for locality) count its neighbours into
 *      offset[i+1]; prefix sum gives the CSR offsets and the exact total, so j[] and d[]
 *      are sized once (reusing the previous capacity) before anything is written;
 *   4. fill pass: the same loop writes atom i's neighbours at offset[i]...
 * Threads split the atoms (in bin order); the thread that handles atom i is the only writer
 * of offset[i+1] and of row i, so no atomics are needed. Doing the distance tests twice was
 * preferred to per-thread buffers copied into place afterwards, because it keeps the peak
 * memory at one list (the 256k-atom, 8 A list is ~1 GB); the count pass is vectorised and
 * took about a fifth of the build time in a perf profile (32k atoms, rc = 5 A).
 *
 * The plan (steps 1-2) and a gather of one atom's neighbours into caller buffers are also
 * exposed library-internally (neighbor_internal.h) for kernels that consume each atom's
 * neighbours once and need no stored list (the fused D2min kernel, src/strain/d2min.c),
 * with a faster form of the gather for the atoms of one bin: a tile of the bin's stencil
 * candidates culled to the reach of the bin's atoms (nb_tile_build, nb_tile_gather).
 */
#include "shearband/neighbor.h"

#include "cell/neighbor_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* Upper bound on the stencil reach along one axis (2^20 images of the cell). */
enum { NB_MAX_REACH = 1 << 20 };

/* Bins along axis 0 are this many times finer than along axes 1 and 2. A row of axis-0
 * bins is one contiguous run of sorted atoms, so finer bins there cost no extra loop
 * overhead but shrink the candidate window from 3 bins (>= 3 rc) towards 2 rc + a bin
 * (measured: ~5-10 % faster at 32k atoms, rc = 5 A; bench/README.md). */
static const double NB_AXIS0_REFINE = 2.0;

/* Output rows are indexed by the caller's atom order, which is usually random in space,
 * while atoms are visited in bin order: prefetch the row of the atom NB_PREFETCH ahead. */
enum { NB_PREFETCH = 8 };
#if defined(__GNUC__)
#define NB_PREFETCH_WRITE(ptr) __builtin_prefetch((ptr), 1, 1)
#else
#define NB_PREFETCH_WRITE(ptr) ((void)(ptr))
#endif

sb_neighbor_options sb_neighbor_options_default(void)
{
    sb_neighbor_options o;
    o.bin_factor = 1.0;
    o.half = 0;
    return o;
}


void nb_plan_free(nb_plan *p)
{
    for (int k = 0; k < 3; k++) {
        free(p->ax[k].bin);
        free(p->ax[k].shift);
    }
    free(p->seg.start);
    free(p->seg.first);
    free(p->seg.last);
    free(p->seg.shift);
    free(p->bin_start);
    free(p->sbin);
    free(p->orig);
    free(p->r);
}

static long floor_div(long a, long b)
{
    long q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

/* Choose bins per axis: nb_k = max(1, floor(w_k * factor / rc)) (times NB_AXIS0_REFINE
 * along axis 0), with the total capped at
 * about 2 bins per atom (tiny cutoffs in big cells would otherwise make empty bins the
 * dominant cost); the reach m_k is then recomputed from the final nb_k, so it stays exact. */
static sb_status plan_axes(nb_plan *p, const double w[3], double rc, double factor, size_t n,
                           sb_error *err)
{
    double want[3];
    double total = 1.0;
    for (int k = 0; k < 3; k++) {
        want[k] = floor(w[k] * factor * (k == 0 ? NB_AXIS0_REFINE : 1.0) / rc);
        if (!(want[k] >= 1.0)) want[k] = 1.0;
        total *= want[k];
    }
    const double cap = 2.0 * (double)n + 64.0;
    if (total > cap) {
        const double f = cbrt(cap / total);
        for (int k = 0; k < 3; k++) {
            want[k] = floor(want[k] * f);
            if (want[k] < 1.0) want[k] = 1.0;
        }
    }
    p->nbins = 1;
    for (int k = 0; k < 3; k++) {
        nb_axis *a = &p->ax[k];
        a->nb = (size_t)want[k];
        const double reach = ceil(rc * (double)a->nb / w[k]);
        if (!(reach <= (double)NB_MAX_REACH))
            return sb_error_set(err, SB_ERR_INVALID_ARG,
                                "neighbour cutoff %g spans more than %d cell widths along axis %d",
                                rc, NB_MAX_REACH, k);
        a->m = (long)reach;
        const size_t span = 2 * (size_t)a->m + 1;
        a->bin = malloc(a->nb * span * sizeof *a->bin);
        a->shift = malloc(a->nb * span * sizeof *a->shift);
        if (!a->bin || !a->shift)
            return sb_error_set(err, SB_ERR_NOMEM, "out of memory for the neighbour stencil");
        const long nbl = (long)a->nb;
        for (long b = 0; b < nbl; b++)
            for (long dlt = -a->m; dlt <= a->m; dlt++) {
                const long t = b + dlt;
                const long sh = floor_div(t, nbl);
                const size_t idx = (size_t)b * span + (size_t)(dlt + a->m);
                a->shift[idx] = sh;
                a->bin[idx] = (size_t)(t - sh * nbl);
            }
        p->nbins *= a->nb;
    }
    /* Segments along axis 0: a new one starts whenever the image shift changes. */
    const nb_axis *a0 = &p->ax[0];
    const size_t span0 = 2 * (size_t)a0->m + 1;
    nb_segments *sg = &p->seg;
    sg->start = malloc((a0->nb + 1) * sizeof *sg->start);
    sg->first = malloc(a0->nb * span0 * sizeof *sg->first);
    sg->last = malloc(a0->nb * span0 * sizeof *sg->last);
    sg->shift = malloc(a0->nb * span0 * sizeof *sg->shift);
    if (!sg->start || !sg->first || !sg->last || !sg->shift)
        return sb_error_set(err, SB_ERR_NOMEM, "out of memory for the neighbour stencil");
    size_t ns = 0;
    for (size_t b = 0; b < a0->nb; b++) {
        sg->start[b] = ns;
        for (size_t t = 0; t < span0; t++) {
            const size_t bin = a0->bin[b * span0 + t];
            const long sh = a0->shift[b * span0 + t];
            if (t > 0 && sh == sg->shift[ns - 1]) {
                sg->last[ns - 1] = bin;
            } else {
                sg->first[ns] = sg->last[ns] = bin;
                sg->shift[ns] = sh;
                ns++;
            }
        }
    }
    sg->start[a0->nb] = ns;
    return SB_OK;
}

/* Wrap, bin and counting-sort the atoms. */
static sb_status plan_atoms(nb_plan *p, const sb_cell *cell, const double *x, size_t n,
                            sb_error *err)
{
    size_t *bin_of = malloc((n ? n : 1) * sizeof *bin_of);
    double *s = malloc(3 * (n ? n : 1) * sizeof *s);
    p->bin_start = calloc(p->nbins + 1, sizeof *p->bin_start);
    p->sbin = malloc((n ? n : 1) * sizeof *p->sbin);
    p->orig = malloc((n ? n : 1) * sizeof *p->orig);
    p->r = malloc(3 * (n ? n : 1) * sizeof *p->r);
    if (!bin_of || !s || !p->bin_start || !p->sbin || !p->orig || !p->r) {
        free(bin_of);
        free(s);
        return sb_error_set(err, SB_ERR_NOMEM, "out of memory binning %zu atoms", n);
    }
    const size_t nb0 = p->ax[0].nb, nb1 = p->ax[1].nb;
    size_t bad = n; /* smallest index of a non-finite atom, n if none */
#pragma omp parallel for schedule(static) reduction(min : bad)
    for (size_t i = 0; i < n; i++) {
        const double *xi = x + 3 * i;
        if (!isfinite(xi[0]) || !isfinite(xi[1]) || !isfinite(xi[2])) {
            if (i < bad) bad = i;
            bin_of[i] = 0;
            continue;
        }
        double *si = s + 3 * i;
        sb_cell_to_frac(cell, xi, si);
        size_t bk[3];
        for (int k = 0; k < 3; k++) {
            double f = si[k] - floor(si[k]);
            if (f >= 1.0) f -= 1.0; /* s just below an integer rounded up */
            si[k] = f;
            const size_t nbk = p->ax[k].nb;
            size_t b = (size_t)(f * (double)nbk);
            if (b >= nbk) b = nbk - 1;
            bk[k] = b;
        }
        bin_of[i] = (bk[2] * nb1 + bk[1]) * nb0 + bk[0];
    }
    if (bad < n) {
        const size_t i = bad;
        free(bin_of);
        free(s);
        return sb_error_set(err, SB_ERR_NUMERIC,
                            "neighbour list: position of atom %zu (0-based) is not finite "
                            "(%g, %g, %g)", i, x[3 * i], x[3 * i + 1], x[3 * i + 2]);
    }
    /* Counting sort (serial and stable: it is a small fraction of the build). */
    for (size_t i = 0; i < n; i++) p->bin_start[bin_of[i] + 1]++;
    for (size_t q = 0; q < p->nbins; q++) p->bin_start[q + 1] += p->bin_start[q];
    size_t *next = malloc((p->nbins ? p->nbins : 1) * sizeof *next);
    if (!next) {
        free(bin_of);
        free(s);
        return sb_error_set(err, SB_ERR_NOMEM, "out of memory sorting %zu atoms", n);
    }
    memcpy(next, p->bin_start, p->nbins * sizeof *next);
    for (size_t i = 0; i < n; i++) {
        const size_t q = bin_of[i];
        const size_t k = next[q]++;
        p->orig[k] = (uint32_t)i;
        p->sbin[k] = q;
        double rk[3];
        sb_cell_frac_to_vec(cell, s + 3 * i, rk);
        p->r[k] = rk[0];
        p->r[n + k] = rk[1];
        p->r[2 * n + k] = rk[2];
    }
    p->n = n;
    size_t max_occupancy = 0;
    for (size_t q = 0; q < p->nbins; q++) {
        const size_t occ = p->bin_start[q + 1] - p->bin_start[q];
        if (occ > max_occupancy) max_occupancy = occ;
    }
    const size_t seg_bins = p->ax[0].nb < 2 * (size_t)p->ax[0].m + 1 ? p->ax[0].nb
                                                                       : 2 * (size_t)p->ax[0].m + 1;
    p->max_occupancy = max_occupancy;
    p->scratch_len = max_occupancy * seg_bins;
    if (p->scratch_len > n) p->scratch_len = n;
    free(next);
    free(bin_of);
    free(s);
    return SB_OK;
}

/*
 * Visit the neighbours of sorted atom ki. With out_j == NULL only count them; otherwise
 * write them to out_j / out_d (room for exactly the counted number), using scratch
 * (scratch_len slots, owned by the calling thread). Returns the count.
 *
 * Loops: stencil rows (axis 2, axis 1) x segments along axis 0, each segment a contiguous
 * run of sorted atoms with one image shift. The distance test is branch-free: in the count
 * pass a vectorisable sum of 0/1 flags, in the fill pass a compaction of the accepted
 * sorted indices into scratch (only ~15-25 % of the candidates are within the cutoff, so a
 * branch per candidate would mispredict often); accepted entries are then written in a
 * second, short loop.
 */
static size_t scan_atom(const nb_plan *p, size_t ki, uint32_t *out_j, double *out_d,
                        size_t *scratch)
{
    const nb_axis *a0 = &p->ax[0], *a1 = &p->ax[1], *a2 = &p->ax[2];
    const nb_segments *sg = &p->seg;
    const size_t nb0 = a0->nb, nb1 = a1->nb;
    const size_t q = p->sbin[ki];
    const size_t b0 = q % nb0, b1 = (q / nb0) % nb1, b2 = q / (nb0 * nb1);
    const size_t span1 = 2 * (size_t)a1->m + 1, span2 = 2 * (size_t)a2->m + 1;
    const size_t s0 = sg->start[b0], s1 = sg->start[b0 + 1];
    const double *restrict rx = p->r, *restrict ry = p->r + p->n, *restrict rz = p->r + 2 * p->n;
    const double xi = rx[ki], yi = ry[ki], zi = rz[ki];
    const uint32_t i = p->orig[ki];
    const double (*h)[3] = p->h;
    const double rc2 = p->rc2;
    const int half = p->half;
    size_t cnt = 0;
    for (size_t t2 = 0; t2 < span2; t2++) {
        const size_t n2 = a2->bin[b2 * span2 + t2];
        const long sh2 = a2->shift[b2 * span2 + t2];
        for (size_t t1 = 0; t1 < span1; t1++) {
            const size_t n1 = a1->bin[b1 * span1 + t1];
            const long sh1 = a1->shift[b1 * span1 + t1];
            const size_t row = (n2 * nb1 + n1) * nb0;
            for (size_t sgi = s0; sgi < s1; sgi++) {
                const long sh0 = sg->shift[sgi];
                /* base = n H - r_i, so d = r_j + base */
                const double bx = (double)sh0 * h[0][0] + (double)sh1 * h[1][0] +
                                  (double)sh2 * h[2][0] - xi;
                const double by = (double)sh1 * h[1][1] + (double)sh2 * h[2][1] - yi;
                const double bz = (double)sh2 * h[2][2] - zi;
                const size_t k0 = p->bin_start[row + sg->first[sgi]];
                const size_t k1 = p->bin_start[row + sg->last[sgi] + 1];
                if (!out_j && !half) {
                    double c = 0.0;
#pragma omp simd reduction(+ : c)
                    for (size_t kj = k0; kj < k1; kj++) {
                        const double dx = rx[kj] + bx, dy = ry[kj] + by, dz = rz[kj] + bz;
                        const double r2 = dx * dx + dy * dy + dz * dz;
                        c += (r2 <= rc2 && r2 > 0.0) ? 1.0 : 0.0;
                    }
                    cnt += (size_t)c;
                    continue;
                }
                size_t m = 0;
                for (size_t kj = k0; kj < k1; kj++) {
                    const double dx = rx[kj] + bx, dy = ry[kj] + by, dz = rz[kj] + bz;
                    const double r2 = dx * dx + dy * dy + dz * dz;
                    scratch[m] = kj;
                    m += (size_t)((r2 <= rc2) & (r2 > 0.0));
                }
                /* half list, j == i: keep n lexicographically positive in (n2, n1, n0) */
                const int self_keep = sh2 > 0 || (sh2 == 0 && (sh1 > 0 || (sh1 == 0 && sh0 > 0)));
                for (size_t t = 0; t < m; t++) {
                    const size_t kj = scratch[t];
                    const uint32_t j = p->orig[kj];
                    if (half && (j < i || (j == i && !self_keep))) continue;
                    if (out_j) {
                        out_j[cnt] = j;
                        double *d = out_d + 3 * cnt;
                        d[0] = rx[kj] + bx;
                        d[1] = ry[kj] + by;
                        d[2] = rz[kj] + bz;
                    }
                    cnt++;
                }
            }
        }
    }
    return cnt;
}

sb_status nb_plan_build(nb_plan *p, const sb_cell *cell, const double *x, size_t n,
                        double cutoff, double bin_factor, int half, sb_error *err)
{
    memset(p, 0, sizeof *p);
    memcpy(p->h, cell->h, sizeof p->h);
    p->rc2 = cutoff * cutoff;
    p->half = half;
    double w[3];
    sb_cell_widths(cell, w);
    sb_status st = plan_axes(p, w, cutoff, bin_factor, n, err);
    if (st == SB_OK) {
        /* Tile cull margin: 1e-9 of the largest coordinate an image r_j + n H can have,
         * against round-off of a few ulp in the distances being compared. */
        const long reach = p->ax[0].m > p->ax[1].m ? (p->ax[0].m > p->ax[2].m ? p->ax[0].m : p->ax[2].m)
                                                   : (p->ax[1].m > p->ax[2].m ? p->ax[1].m : p->ax[2].m);
        const double extent = (double)(reach + 1) *
                              (fabs(p->h[0][0]) + fabs(p->h[1][0]) + fabs(p->h[1][1]) +
                               fabs(p->h[2][0]) + fabs(p->h[2][1]) + fabs(p->h[2][2]));
        const double rcull = cutoff + 1e-9 * (cutoff + extent);
        p->cull2 = rcull * rcull;
        st = plan_atoms(p, cell, x, n, err);
    }
    if (st != SB_OK) nb_plan_free(p);
    return st;
}

size_t nb_plan_max_candidates(const nb_plan *p)
{
    const nb_axis *a0 = &p->ax[0], *a1 = &p->ax[1], *a2 = &p->ax[2];
    const nb_segments *sg = &p->seg;
    const size_t nb0 = a0->nb, nb1 = a1->nb, nb2 = a2->nb;
    const size_t span1 = 2 * (size_t)a1->m + 1, span2 = 2 * (size_t)a2->m + 1;
    size_t most = 0;
    for (size_t b2 = 0; b2 < nb2; b2++)
        for (size_t b1 = 0; b1 < nb1; b1++)
            for (size_t b0 = 0; b0 < nb0; b0++) {
                size_t c = 0;
                for (size_t t2 = 0; t2 < span2; t2++)
                    for (size_t t1 = 0; t1 < span1; t1++) {
                        const size_t row = (a2->bin[b2 * span2 + t2] * nb1 +
                                            a1->bin[b1 * span1 + t1]) * nb0;
                        for (size_t sgi = sg->start[b0]; sgi < sg->start[b0 + 1]; sgi++)
                            c += p->bin_start[row + sg->last[sgi] + 1] -
                                 p->bin_start[row + sg->first[sgi]];
                    }
                if (c > most) most = c;
            }
    return most;
}

/* The stencil walk of scan_atom (same loops, same order, same arithmetic for d). Per
 * segment the accept flags go to okbuf in a vectorised loop; the accepted sorted
 * indices are then compacted without branches (~1 candidate in 6 is accepted, so a branch
 * would mispredict often) and only their displacements are computed and written. */
size_t nb_plan_gather(const nb_plan *p, size_t ki, uint32_t *restrict kj_out,
                      double *restrict dx_out, double *restrict dy_out, double *restrict dz_out,
                      double *restrict okbuf)
{
    const nb_axis *a0 = &p->ax[0], *a1 = &p->ax[1], *a2 = &p->ax[2];
    const nb_segments *sg = &p->seg;
    const size_t nb0 = a0->nb, nb1 = a1->nb;
    const size_t q = p->sbin[ki];
    const size_t b0 = q % nb0, b1 = (q / nb0) % nb1, b2 = q / (nb0 * nb1);
    const size_t span1 = 2 * (size_t)a1->m + 1, span2 = 2 * (size_t)a2->m + 1;
    const size_t s0 = sg->start[b0], s1 = sg->start[b0 + 1];
    const double *restrict rx = p->r, *restrict ry = p->r + p->n, *restrict rz = p->r + 2 * p->n;
    const double xi = rx[ki], yi = ry[ki], zi = rz[ki];
    const double (*h)[3] = p->h;
    const double rc2 = p->rc2;
    size_t m = 0;
    for (size_t t2 = 0; t2 < span2; t2++) {
        const size_t n2 = a2->bin[b2 * span2 + t2];
        const long sh2 = a2->shift[b2 * span2 + t2];
        for (size_t t1 = 0; t1 < span1; t1++) {
            const size_t n1 = a1->bin[b1 * span1 + t1];
            const long sh1 = a1->shift[b1 * span1 + t1];
            const size_t row = (n2 * nb1 + n1) * nb0;
            for (size_t sgi = s0; sgi < s1; sgi++) {
                const long sh0 = sg->shift[sgi];
                const double bx = (double)sh0 * h[0][0] + (double)sh1 * h[1][0] +
                                  (double)sh2 * h[2][0] - xi;
                const double by = (double)sh1 * h[1][1] + (double)sh2 * h[2][1] - yi;
                const double bz = (double)sh2 * h[2][2] - zi;
                const size_t k0 = p->bin_start[row + sg->first[sgi]];
                const size_t k1 = p->bin_start[row + sg->last[sgi] + 1];
                const size_t len = k1 - k0;
                /* 1. distances, vectorised; 2. compaction of the accepted indices,
                 * branch-free; 3. displacements of the accepted (~1 in 6) only. */
#pragma omp simd
                for (size_t t = 0; t < len; t++) {
                    const double dx = rx[k0 + t] + bx, dy = ry[k0 + t] + by, dz = rz[k0 + t] + bz;
                    const double r2 = dx * dx + dy * dy + dz * dz;
                    okbuf[t] = (r2 <= rc2 && r2 > 0.0) ? 1.0 : 0.0;
                }
                const size_t m0 = m;
                for (size_t t = 0; t < len; t++) {
                    kj_out[m] = (uint32_t)(k0 + t);
                    m += (size_t)okbuf[t];
                }
                for (size_t u = m0; u < m; u++) {
                    const size_t kj = kj_out[u];
                    dx_out[u] = rx[kj] + bx;
                    dy_out[u] = ry[kj] + by;
                    dz_out[u] = rz[kj] + bz;
                }
            }
        }
    }
    return m;
}

int nb_tile_alloc(nb_tile *t, const nb_plan *p)
{
    memset(t, 0, sizeof *t);
    /* A candidate is an atom of one of the span0 x span1 x span2 stencil offsets (a bin
     * visited once per offset), each holding at most max_occupancy atoms. */
    size_t cap = p->max_occupancy;
    size_t segs = 1;
    for (size_t b0 = 0; b0 < p->ax[0].nb; b0++) {
        const size_t s = p->seg.start[b0 + 1] - p->seg.start[b0];
        if (s > segs) segs = s;
    }
    for (int k = 0; k < 3; k++) cap *= 2 * (size_t)p->ax[k].m + 1;
    t->cap = cap ? cap : 1;
    t->gcap = segs * (2 * (size_t)p->ax[1].m + 1) * (2 * (size_t)p->ax[2].m + 1);
    const size_t slots = t->cap + t->gcap; /* + one padding entry per group */
    t->k = malloc(slots * sizeof *t->k);
    t->rx = malloc(slots * sizeof *t->rx);
    t->ry = malloc(slots * sizeof *t->ry);
    t->rz = malloc(slots * sizeof *t->rz);
    t->ok = malloc(slots * sizeof *t->ok);
    t->gstart = malloc((t->gcap + 1) * sizeof *t->gstart);
    t->sx = malloc(t->gcap * sizeof *t->sx);
    t->sy = malloc(t->gcap * sizeof *t->sy);
    t->sz = malloc(t->gcap * sizeof *t->sz);
    return t->k && t->rx && t->ry && t->rz && t->ok && t->gstart && t->sx && t->sy && t->sz;
}

void nb_tile_free(nb_tile *t)
{
    free(t->k);
    free(t->rx);
    free(t->ry);
    free(t->rz);
    free(t->ok);
    free(t->gstart);
    free(t->sx);
    free(t->sy);
    free(t->sz);
    memset(t, 0, sizeof *t);
}

size_t nb_tile_capacity(const nb_tile *t)
{
    return t->cap;
}

/* Pad the group that started at g0 to an even length with a candidate infinitely far away
 * (never accepted), so that the pair-wise loops of nb_tile_gather need no odd tail. */
static void tile_pad(nb_tile *t, size_t *n, size_t g0)
{
    if ((*n - g0) % 2 == 0) return;
    t->k[*n] = 0;
    t->rx[*n] = t->ry[*n] = t->rz[*n] = HUGE_VAL;
    ++*n;
}

/* The stencil walk of nb_plan_gather, once per bin. A candidate is kept if its image is
 * within sqrt(cull2) of the bounding box of the home atoms (a vectorised flag, then the
 * same branch-free compaction); a new group starts when the image shift changes. */
void nb_tile_build(nb_tile *t, const nb_plan *p, size_t q)
{
    const size_t h0 = p->bin_start[q], h1 = p->bin_start[q + 1];
    const double *restrict rx = p->r, *restrict ry = p->r + p->n, *restrict rz = p->r + 2 * p->n;
    t->n = t->ngroups = 0;
    t->gstart[0] = 0;
    if (h0 == h1) return;
    double lox = rx[h0], hix = rx[h0], loy = ry[h0], hiy = ry[h0], loz = rz[h0], hiz = rz[h0];
    for (size_t k = h0 + 1; k < h1; k++) {
        lox = rx[k] < lox ? rx[k] : lox, hix = rx[k] > hix ? rx[k] : hix;
        loy = ry[k] < loy ? ry[k] : loy, hiy = ry[k] > hiy ? ry[k] : hiy;
        loz = rz[k] < loz ? rz[k] : loz, hiz = rz[k] > hiz ? rz[k] : hiz;
    }
    const nb_axis *a0 = &p->ax[0], *a1 = &p->ax[1], *a2 = &p->ax[2];
    const nb_segments *sg = &p->seg;
    const size_t nb0 = a0->nb, nb1 = a1->nb;
    const size_t b0 = q % nb0, b1 = (q / nb0) % nb1, b2 = q / (nb0 * nb1);
    const size_t span1 = 2 * (size_t)a1->m + 1, span2 = 2 * (size_t)a2->m + 1;
    const size_t s0 = sg->start[b0], s1 = sg->start[b0 + 1];
    const double (*h)[3] = p->h;
    const double cull2 = p->cull2;
    double *restrict ok = t->ok;
    uint32_t *restrict tk = t->k;
    size_t n = 0, ng = 0;
    long gsh0 = 0, gsh1 = 0, gsh2 = 0; /* shift of the open group */
    for (size_t t2 = 0; t2 < span2; t2++) {
        const size_t n2 = a2->bin[b2 * span2 + t2];
        const long sh2 = a2->shift[b2 * span2 + t2];
        for (size_t t1 = 0; t1 < span1; t1++) {
            const size_t n1 = a1->bin[b1 * span1 + t1];
            const long sh1 = a1->shift[b1 * span1 + t1];
            const size_t row = (n2 * nb1 + n1) * nb0;
            for (size_t sgi = s0; sgi < s1; sgi++) {
                const long sh0 = sg->shift[sgi];
                const double sx = (double)sh0 * h[0][0] + (double)sh1 * h[1][0] + (double)sh2 * h[2][0];
                const double sy = (double)sh1 * h[1][1] + (double)sh2 * h[2][1];
                const double sz = (double)sh2 * h[2][2];
                const size_t k0 = p->bin_start[row + sg->first[sgi]];
                const size_t len = p->bin_start[row + sg->last[sgi] + 1] - k0;
                /* the box moved by -n H instead of every candidate by +n H */
                const double lx = lox - sx, hx = hix - sx, ly = loy - sy, hy = hiy - sy;
                const double lz = loz - sz, hz = hiz - sz;
#pragma omp simd
                for (size_t u = 0; u < len; u++) {
                    const double px = rx[k0 + u], py = ry[k0 + u], pz = rz[k0 + u];
                    /* distance to the box: p minus p clamped into the box, per axis (selects
                     * between variables vectorise; fmax, a libm call, and selects against
                     * a constant 0 did not, with gcc 12) */
                    double cx = px < lx ? lx : px, cy = py < ly ? ly : py, cz = pz < lz ? lz : pz;
                    cx = cx > hx ? hx : cx;
                    cy = cy > hy ? hy : cy;
                    cz = cz > hz ? hz : cz;
                    const double ex = px - cx, ey = py - cy, ez = pz - cz;
                    ok[u] = ex * ex + ey * ey + ez * ez <= cull2 ? 1.0 : 0.0;
                }
                const int new_group = ng == 0 || sh0 != gsh0 || sh1 != gsh1 || sh2 != gsh2;
                if (new_group && ng > 0) tile_pad(t, &n, t->gstart[ng - 1]);
                const size_t n0 = n;
                for (size_t u = 0; u < len; u++) {
                    tk[n] = (uint32_t)(k0 + u);
                    n += (size_t)(int64_t)ok[u]; /* one cvttsd2si; to size_t it is a branch */
                }
                if (n == n0) continue;
                if (new_group) {
                    t->gstart[ng] = n0;
                    t->sx[ng] = sx;
                    t->sy[ng] = sy;
                    t->sz[ng] = sz;
                    gsh0 = sh0, gsh1 = sh1, gsh2 = sh2;
                    ng++;
                }
                for (size_t v = n0; v < n; v++) {
                    const size_t kj = tk[v];
                    t->rx[v] = rx[kj];
                    t->ry[v] = ry[kj];
                    t->rz[v] = rz[kj];
                }
            }
        }
    }
    if (ng > 0) tile_pad(t, &n, t->gstart[ng - 1]);
    t->n = n;
    t->ngroups = ng;
    t->gstart[ng] = n;
}

/* Per group: distances flagged in a vectorised loop, accepted tile slots compacted without
 * branches, then their displacements, with the arithmetic of nb_plan_gather. */
size_t nb_tile_gather(nb_tile *t, const nb_plan *p, size_t ki, uint32_t *restrict kj_out,
                      double *restrict dx_out, double *restrict dy_out, double *restrict dz_out)
{
    const double *restrict rx = t->rx, *restrict ry = t->ry, *restrict rz = t->rz;
    double *restrict ok = t->ok;
    const double xi = p->r[ki], yi = p->r[p->n + ki], zi = p->r[2 * p->n + ki];
    const double rc2 = p->rc2;
    size_t m = 0;
    for (size_t g = 0; g < t->ngroups; g++) {
        const double bx = t->sx[g] - xi, by = t->sy[g] - yi, bz = t->sz[g] - zi;
        const size_t u0 = t->gstart[g], u1 = t->gstart[g + 1];
#pragma omp simd
        for (size_t u = u0; u < u1; u++) {
            const double dx = rx[u] + bx, dy = ry[u] + by, dz = rz[u] + bz;
            const double r2 = dx * dx + dy * dy + dz * dz;
            ok[u] = (r2 <= rc2 && r2 > 0.0) ? 1.0 : 0.0;
        }
        const size_t m0 = m;
        for (size_t u = u0; u < u1; u += 2) { /* groups have even lengths (tile_pad) */
            kj_out[m] = (uint32_t)u;
            m += (size_t)(int64_t)ok[u];
            kj_out[m] = (uint32_t)u + 1;
            m += (size_t)(int64_t)ok[u + 1];
        }
        for (size_t v = m0; v < m; v++) {
            const size_t u = kj_out[v];
            dx_out[v] = rx[u] + bx;
            dy_out[v] = ry[u] + by;
            dz_out[v] = rz[u] + bz;
            kj_out[v] = t->k[u];
        }
    }
    return m;
}

static void list_reset(sb_neighbor_list *nl)
{
    nl->n = 0;
    if (nl->offset) nl->offset[0] = 0;
}

sb_status sb_neighbor_build_opts(sb_neighbor_list *nl, const sb_cell *cell, const double *x,
                                 size_t n, double cutoff, const sb_neighbor_options *opt,
                                 sb_error *err)
{
    const sb_neighbor_options o = opt ? *opt : sb_neighbor_options_default();
    if (!nl || !cell)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "neighbour list: NULL list or cell");
    list_reset(nl);
    if (!(cutoff > 0.0) || !isfinite(cutoff))
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "neighbour cutoff must be a finite number > 0, got %g", cutoff);
    if (!(o.bin_factor >= 1.0) || !isfinite(o.bin_factor))
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "neighbour bin_factor must be finite and >= 1, got %g", o.bin_factor);
    if (n > (size_t)UINT32_MAX)
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "neighbour list: %zu atoms exceed the limit of %u", n, UINT32_MAX);
    if (n > 0 && !x)
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "neighbour list: NULL positions for %zu atoms", n);

    size_t *off = realloc(nl->offset, (n + 1) * sizeof *off);
    if (!off) return sb_error_set(err, SB_ERR_NOMEM, "out of memory for %zu neighbour offsets", n);
    nl->offset = off;
    off[0] = 0;
    nl->cutoff = cutoff;
    nl->half = o.half ? 1 : 0;
    if (n == 0) return SB_OK;

    nb_plan p;
    sb_status st = nb_plan_build(&p, cell, x, n, cutoff, o.bin_factor, nl->half, err);
    if (st != SB_OK) return st;

    /* Count pass: row lengths into off[i+1]. */
    sb_status scratch_status = SB_OK;
#pragma omp parallel
    {
        size_t *scratch = malloc((p.scratch_len ? p.scratch_len : 1) * sizeof *scratch);
        if (!scratch) {
#pragma omp atomic write
            scratch_status = SB_ERR_NOMEM;
        }
#pragma omp for schedule(dynamic, 64)
        for (size_t k = 0; k < n; k++) {
            if (k + NB_PREFETCH < n) NB_PREFETCH_WRITE(off + p.orig[k + NB_PREFETCH] + 1);
            off[(size_t)p.orig[k] + 1] = scratch ? scan_atom(&p, k, NULL, NULL, scratch) : 0;
        }
        free(scratch);
    }
    if (scratch_status != SB_OK) {
        nb_plan_free(&p);
        list_reset(nl);
        return sb_error_set(err, SB_ERR_NOMEM, "out of memory for neighbour scratch");
    }
    for (size_t i = 0; i < n; i++) off[i + 1] += off[i];
    const size_t total = off[n];

    if (total > nl->capacity) {
        /* Grow with 10 % slack so that small fluctuations between rebuilds do not realloc.
         * The old entries need not survive (all are rewritten): free and allocate afresh
         * rather than realloc, which would copy them. (Transparent huge pages were tried:
         * ~5 % faster rebuilds but a first build up to 60 % slower; not used.) */
        const size_t cap = total + total / 10;
        free(nl->j);
        free(nl->d);
        nl->capacity = 0;
        nl->j = malloc(cap * sizeof *nl->j);
        nl->d = malloc(3 * cap * sizeof *nl->d);
        if (!nl->j || !nl->d) {
            free(nl->j);
            free(nl->d);
            nl->j = NULL;
            nl->d = NULL;
            nb_plan_free(&p);
            list_reset(nl);
            return sb_error_set(err, SB_ERR_NOMEM,
                                "out of memory for %zu neighbour entries (cutoff %g)", total,
                                cutoff);
        }
        nl->capacity = cap;
    }

    /* Fill pass: each atom's row written by the thread that owns the atom. */
    uint32_t *jj = nl->j;
    double *dd = nl->d;
#pragma omp parallel
    {
        size_t *scratch = malloc((p.scratch_len ? p.scratch_len : 1) * sizeof *scratch);
        if (!scratch) {
#pragma omp atomic write
            scratch_status = SB_ERR_NOMEM;
        }
#pragma omp for schedule(dynamic, 64)
        for (size_t k = 0; k < n; k++) {
            if (k + NB_PREFETCH < n) {
                /* rows are in original atom order, random in space: fetch ahead */
                const size_t ia = p.orig[k + NB_PREFETCH];
                NB_PREFETCH_WRITE(jj + off[ia]);
                NB_PREFETCH_WRITE(dd + 3 * off[ia]);
            }
            const size_t i = p.orig[k];
            if (scratch) scan_atom(&p, k, jj + off[i], dd + 3 * off[i], scratch);
        }
        free(scratch);
    }
    nb_plan_free(&p);
    if (scratch_status != SB_OK) {
        list_reset(nl);
        return sb_error_set(err, SB_ERR_NOMEM, "out of memory for neighbour scratch");
    }
    nl->n = n;
    return SB_OK;
}

sb_status sb_neighbor_build(sb_neighbor_list *nl, const sb_cell *cell, const double *x, size_t n,
                            double cutoff, sb_error *err)
{
    return sb_neighbor_build_opts(nl, cell, x, n, cutoff, NULL, err);
}

void sb_neighbor_free(sb_neighbor_list *nl)
{
    if (!nl) return;
    free(nl->offset);
    free(nl->j);
    free(nl->d);
    memset(nl, 0, sizeof *nl);
}
