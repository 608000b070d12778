/*
 * Slab profiles of a per-atom quantity along a cell axis (definition in
 * shearband/analysis.h).
 *
 * Why slabs in reduced coordinates: a sheared AQS cell is tilted (xy up to ~0.4 ly) and a
 * slab must tile the periodic cell exactly, with every atom in the same number of slabs, or
 * the profile of a uniform field would not be flat. Planes of constant s_k do that for any
 * triclinic cell; their spacing in Angstrom is the perpendicular width W_k, so a slab of
 * width w is |ds_k| <= w / (2 W_k).
 *
 * Algorithm, O(N + M) for N atoms and M centres instead of the O(N M) double loop:
 *   1. compute s_k of every atom, wrap it into [0, 1) and counting-sort the atoms into M
 *      equal bins of s_k (bin b = [b/M, (b+1)/M));
 *   2. prefix sums of the per-bin atom count and value sum over two periods, so that any run
 *      of consecutive bins (periodically) is two subtractions;
 *   3. for slab m the window [c - h, c + h] covers bins lo..hi (unwrapped); bins strictly
 *      between lo and hi lie entirely inside the window and are added whole, and the atoms
 *      of the two boundary bins are tested one by one with the exact definition. The bins
 *      are 1/M wide and a window is >= 1/M wide, so over all slabs every bin is a boundary
 *      bin a bounded number of times (about 2) and the total cost is O(N + M).
 * A window that wraps onto itself (slab nearly as wide as the cell) falls back to testing
 * every atom for that slab, and a slab at least as wide as the cell holds all atoms.
 */
#include "shearband/analysis.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

sb_slab_options sb_slab_options_default(void)
{
    sb_slab_options o;
    o.axis = 0;
    o.width = 19.0;
    o.step = 1.0;
    o.mode = SB_SLAB_FRACTION;
    return o;
}

void sb_profile_free(sb_profile *p)
{
    if (!p) return;
    free(p->centre);
    free(p->value);
    free(p->count);
    memset(p, 0, sizeof *p);
}

double sb_profile_signed_position(int axis, double centre)
{
    return axis == 0 ? 0.0 - centre : centre; /* 0 - 0 is +0, not -0 */
}

/* Reduced coordinate along axis k of Cartesian r, wrapped into [0, 1). */
static double slab_frac(const sb_cell *cell, const double *r, int k)
{
    const double d0 = r[0] - cell->lo[0], d1 = r[1] - cell->lo[1], d2 = r[2] - cell->lo[2];
    double s = d0 * cell->hinv[0][k] + d1 * cell->hinv[1][k] + d2 * cell->hinv[2][k];
    s -= floor(s);
    if (s >= 1.0) s -= 1.0;
    return s;
}

/* The exact membership test of the definition. */
static inline int slab_inside(double s, double c, double h)
{
    double ds = s - c;
    ds -= nearbyint(ds);
    return fabs(ds) <= h;
}

sb_status sb_slab_profile(const sb_cell *cell, const double *x, const double *value, size_t n,
                          const sb_slab_options *opt, sb_profile *out, sb_error *err)
{
    const sb_slab_options o = opt ? *opt : sb_slab_options_default();
    if (o.axis < 0 || o.axis > 2)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "slab axis must be 0 (X), 1 (Y) or 2 (Z), got %d",
                            o.axis);
    if (!(o.width > 0.0) || !isfinite(o.width))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "slab width must be > 0, got %g", o.width);
    if (!(o.step > 0.0) || !isfinite(o.step))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "slab step must be > 0, got %g", o.step);
    if (o.mode != SB_SLAB_FRACTION && o.mode != SB_SLAB_MEAN)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "unknown slab mode %d", (int)o.mode);
    double w3[3];
    sb_cell_widths(cell, w3);
    const double W = w3[o.axis];
    const double mreal = ceil(W / o.step - 1e-9);
    if (!(mreal >= 1.0) || mreal > 1e8)
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "slab step %g gives %g centres across a cell %g A wide", o.step, mreal, W);
    const size_t M = (size_t)mreal;

    sb_profile_free(out);
    out->axis = o.axis;
    out->n = M;
    out->length = W;
    out->width = o.width;
    out->centre = malloc(M * sizeof *out->centre);
    out->value = malloc(M * sizeof *out->value);
    out->count = malloc(M * sizeof *out->count);
    const size_t nn = n ? n : 1;
    size_t *bin_of = malloc(nn * sizeof *bin_of);
    size_t *start = calloc(M + 1, sizeof *start);
    double *ss = malloc(nn * sizeof *ss);    /* s of atoms, bin-sorted */
    double *vs = malloc(nn * sizeof *vs);    /* value (or 0/1 indicator), bin-sorted */
    double *s_atom = malloc(nn * sizeof *s_atom);
    size_t *pc = malloc((2 * M + 1) * sizeof *pc);
    double *pv = malloc((2 * M + 1) * sizeof *pv);
    if (!out->centre || !out->value || !out->count || !bin_of || !start || !ss || !vs || !s_atom ||
        !pc || !pv) {
        free(bin_of), free(start), free(ss), free(vs), free(s_atom), free(pc), free(pv);
        sb_profile_free(out);
        return sb_error_set(err, SB_ERR_NOMEM, "out of memory for a slab profile of %zu atoms", n);
    }

    /* 1. Counting sort by bin. */
    for (size_t i = 0; i < n; i++) {
        const double s = slab_frac(cell, x + 3 * i, o.axis);
        size_t b = (size_t)(s * (double)M);
        if (b >= M) b = M - 1;
        s_atom[i] = s;
        bin_of[i] = b;
        start[b + 1]++;
    }
    for (size_t b = 0; b < M; b++) start[b + 1] += start[b];
    {
        size_t *fill = out->count; /* borrowed as the running insertion point */
        memcpy(fill, start, M * sizeof *fill);
        for (size_t i = 0; i < n; i++) {
            const size_t p = fill[bin_of[i]]++;
            ss[p] = s_atom[i];
            vs[p] = o.mode == SB_SLAB_FRACTION ? (value[i] > 0.5 ? 1.0 : 0.0) : value[i];
        }
    }
    /* 2. Prefix sums over two periods: pc[q] = atoms in bins 0..q-1 (bin q means q mod M). */
    pc[0] = 0;
    pv[0] = 0.0;
    for (size_t q = 0; q < 2 * M; q++) {
        const size_t b = q % M;
        double sum = 0.0;
        for (size_t p = start[b]; p < start[b + 1]; p++) sum += vs[p];
        pc[q + 1] = pc[q] + (start[b + 1] - start[b]);
        pv[q + 1] = pv[q] + sum;
    }

    /* 3. Slide. */
    const double h = o.width / (2.0 * W);
    double total_v = 0.0;
    for (size_t p = 0; p < n; p++) total_v += vs[p];
    for (size_t m = 0; m < M; m++) {
        const double c = (double)m * o.step / W;
        size_t cnt = 0;
        double sum = 0.0;
        if (2.0 * h >= 1.0) {
            cnt = n;
            sum = total_v;
        } else {
            long lo = (long)floor((c - h) * (double)M);
            long hi = (long)floor((c + h) * (double)M);
            if (hi - lo + 1 >= (long)M) {
                for (size_t p = 0; p < n; p++)
                    if (slab_inside(ss[p], c, h)) {
                        cnt++;
                        sum += vs[p];
                    }
            } else {
                /* Shift so that lo is in [0, M); then hi < lo + M - 1 < 2M. */
                long shift = lo >= 0 ? (lo / (long)M) * (long)M : -((-lo + (long)M - 1) / (long)M) * (long)M;
                lo -= shift;
                hi -= shift;
                if (hi > lo + 1) {
                    cnt += pc[hi] - pc[lo + 1];
                    sum += pv[hi] - pv[lo + 1];
                }
                const size_t edge[2] = {(size_t)lo % M, (size_t)hi % M};
                const int nedge = hi == lo ? 1 : 2;
                for (int e = 0; e < nedge; e++)
                    for (size_t p = start[edge[e]]; p < start[edge[e] + 1]; p++)
                        if (slab_inside(ss[p], c, h)) {
                            cnt++;
                            sum += vs[p];
                        }
            }
        }
        out->centre[m] = (double)m * o.step;
        out->count[m] = cnt;
        out->value[m] = cnt ? sum / (double)cnt : 0.0;
    }
    free(bin_of), free(start), free(ss), free(vs), free(s_atom), free(pc), free(pv);
    return SB_OK;
}
