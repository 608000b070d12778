/*
 * Where the shear band is, from a per-atom D2min field (METHOD.md section 5; definitions,
 * the no-band rule and its defaults are documented in shearband/analysis.h).
 *
 * Steps: (1) mark the top f_top of atoms by D2min, with a total order (value descending,
 * then id ascending) so that the same field gives the same marks whatever the file order
 * or the sort implementation; (2) fraction profiles of the marks along X and Y with
 * sb_slab_profile; (3) the band is the highest peak of the two; (4) the peak is tested
 * against random placement (hypergeometric z-score) and against the largest excess the slab
 * could hold (concentration), so that the same thresholds work for any box size, slab
 * width and f_top.
 */
#include "shearband/analysis.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/fileutil.h"
#include "shearband/io.h"

sb_band_options sb_band_options_default(void)
{
    sb_band_options o;
    o.f_top = 0.01;
    o.width = 19.0;
    o.step = 1.0;
    o.z_min = 5.0;
    o.concentration_min = 0.3;
    return o;
}

void sb_band_result_free(sb_band_result *r)
{
    if (!r) return;
    sb_profile_free(&r->profile[0]);
    sb_profile_free(&r->profile[1]);
    memset(r, 0, sizeof *r);
}

typedef struct band_key {
    double v;
    int64_t id;
    size_t idx;
} band_key;

static int band_key_cmp(const void *pa, const void *pb)
{
    const band_key *a = pa, *b = pb;
    if (a->v > b->v) return -1;
    if (a->v < b->v) return 1;
    if (a->id < b->id) return -1;
    if (a->id > b->id) return 1;
    return 0;
}

/* k-th largest (0-based) of v[0..n-1], reordering v: Hoare quickselect, median-of-three. */
static double band_kth_largest(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        double a = v[lo], b = v[mid], c = v[hi];
        const double pivot = a > b ? (b > c ? b : (a > c ? c : a)) : (a > c ? a : (b > c ? c : b));
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] > pivot) i++;
            while (v[j] < pivot) j--;
            if (i <= j) {
                const double t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0) break;
                j--;
            }
        }
        if (k <= j && j != (size_t)-1) hi = j;
        else if (k >= i) lo = i;
        else return v[k];
    }
    return v[k];
}

/* Selection in O(N): the n_top-th largest value t by quickselect, then only the atoms with
 * value >= t (n_top plus any ties at t) are sorted by (value desc, id asc). */
sb_status sb_top_fraction_mask(const double *value, const int64_t *id, size_t n, double f_top,
                               unsigned char *mask, size_t *n_top_out, double *threshold_out,
                               sb_error *err)
{
    if (!(f_top > 0.0) || !(f_top <= 1.0))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "f_top must be in (0, 1], got %g", f_top);
    if (n == 0) return sb_error_set(err, SB_ERR_INVALID_ARG, "no atoms to rank");
    for (size_t i = 0; i < n; i++)
        if (!isfinite(value[i]))
            return sb_error_set(err, SB_ERR_NUMERIC, "per-atom value of atom %lld is not finite (%g)",
                                (long long)(id ? id[i] : (int64_t)i), value[i]);
    double nt = round(f_top * (double)n);
    if (nt < 1.0) nt = 1.0;
    size_t n_top = (size_t)nt;
    if (n_top > n) n_top = n;
    double *tmp = malloc(n * sizeof *tmp);
    if (!tmp) return sb_error_set(err, SB_ERR_NOMEM, "out of memory ranking %zu atoms", n);
    memcpy(tmp, value, n * sizeof *tmp);
    const double t = band_kth_largest(tmp, n, n_top - 1);
    free(tmp);
    size_t ncand = 0;
    for (size_t i = 0; i < n; i++) ncand += value[i] >= t;
    band_key *key = malloc(ncand * sizeof *key);
    if (!key) return sb_error_set(err, SB_ERR_NOMEM, "out of memory ranking %zu atoms", n);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (value[i] >= t) {
            key[k].v = value[i];
            key[k].id = id ? id[i] : (int64_t)i;
            key[k].idx = i;
            k++;
        }
    qsort(key, ncand, sizeof *key, band_key_cmp);
    memset(mask, 0, n);
    for (size_t q = 0; q < n_top; q++) mask[key[q].idx] = 1;
    if (n_top_out) *n_top_out = n_top;
    if (threshold_out) *threshold_out = key[n_top - 1].v;
    free(key);
    return SB_OK;
}

sb_status sb_band_locate(const sb_cell *cell, const double *x, const int64_t *id,
                         const double *d2min, const double *shear_strain, size_t n,
                         const sb_band_options *opt, sb_band_result *res, sb_error *err)
{
    const sb_band_options o = opt ? *opt : sb_band_options_default();
    if (!(o.z_min >= 0.0) || !(o.concentration_min >= 0.0) || !(o.concentration_min <= 1.0))
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "band thresholds must be z_min >= 0 and concentration_min in [0, 1]");
    sb_band_result_free(res);
    res->strain_std = NAN;
    res->strain_mean = NAN;
    unsigned char *mask = malloc(n ? n : 1);
    double *ind = malloc((n ? n : 1) * sizeof *ind);
    if (!mask || !ind) {
        free(mask), free(ind);
        return sb_error_set(err, SB_ERR_NOMEM, "out of memory locating the band");
    }
    sb_status st = sb_top_fraction_mask(d2min, id, n, o.f_top, mask, &res->n_top, &res->threshold, err);
    if (st == SB_OK) {
        for (size_t i = 0; i < n; i++) ind[i] = mask[i];
        for (int axis = 0; axis < 2 && st == SB_OK; axis++) {
            sb_slab_options so = sb_slab_options_default();
            so.axis = axis;
            so.width = o.width;
            so.step = o.step;
            so.mode = SB_SLAB_FRACTION;
            st = sb_slab_profile(cell, x, ind, n, &so, &res->profile[axis], err);
        }
    }
    free(ind);
    if (st != SB_OK) {
        free(mask);
        sb_band_result_free(res);
        return st;
    }

    /* The highest peak; scanning Y first makes a tie between axes go to the horizontal band.
     * The maximum is usually attained on a plateau of consecutive centres (a band narrower
     * than the slab stays wholly inside it for several positions); the middle of the longest
     * such run is reported, not its first centre, which would bias the position low. */
    int best_axis = -1;
    double best = -1.0;
    for (int a = 1; a >= 0; a--) {
        const sb_profile *q = &res->profile[a];
        for (size_t m = 0; m < q->n; m++)
            if (q->value[m] > best) {
                best = q->value[m];
                best_axis = a;
            }
    }
    const sb_profile *p = &res->profile[best_axis];
    const size_t M = p->n;
    size_t run_start = 0, run_len = M;
    size_t m0 = 0; /* a centre below the peak, if any: runs are scanned from there */
    while (m0 < M && p->value[m0] == best) m0++;
    if (m0 < M) {
        run_len = 0;
        size_t cur_start = 0, cur_len = 0;
        for (size_t k = 1; k <= M; k++) {
            const size_t m = (m0 + k) % M;
            if (p->value[m] == best) {
                if (cur_len == 0) cur_start = m;
                cur_len++;
                if (cur_len > run_len) {
                    run_len = cur_len;
                    run_start = cur_start;
                }
            } else {
                cur_len = 0;
            }
        }
    }
    const size_t best_m = (run_start + (run_len - 1) / 2) % M;
    double centre = p->centre[run_start] + 0.5 * (double)(run_len - 1) * o.step;
    if (centre >= p->length) centre -= p->length;
    res->peak_centre = centre;
    /* Refinement: the profile of a band of width ~w seen through a slab of width w is a
     * triangle whose top is flattened by counting noise (the slab's atom count fluctuates
     * too), so the grid maximum wanders by a step or two. The mean position of the highly
     * deformed atoms inside the peak slab (periodic offsets from the peak centre) uses every
     * one of them and is the reported centre. */
    {
        const double W = p->length, h = o.width / (2.0 * W), c0 = centre / W;
        double sum = 0.0;
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (!mask[i]) continue;
            double sv[3];
            sb_cell_to_frac(cell, x + 3 * i, sv);
            double ds = sv[best_axis] - c0;
            ds -= nearbyint(ds);
            if (fabs(ds) <= h || 2.0 * h >= 1.0) {
                sum += ds;
                k++;
            }
        }
        if (k > 0) {
            centre = (c0 + sum / (double)k) * W;
            centre -= W * floor(centre / W);
            if (centre >= W) centre -= W;
        }
    }
    free(mask);
    double mean = 0.0;
    for (size_t m = 0; m < M; m++) mean += p->value[m];
    mean /= (double)M;
    res->axis = best_axis;
    res->centre = centre;
    res->signed_position = sb_profile_signed_position(best_axis, res->centre);
    res->peak = best;
    res->mean = mean;
    res->peak_to_mean = mean > 0.0 ? best / mean : 0.0;
    res->n_slab = p->count[best_m];

    const double f = (double)res->n_top / (double)n;
    if (res->n_slab > 0 && f < 1.0) {
        /* Null: the n_top marks are a uniformly random subset of the n atoms, so the count
         * in a slab of n_slab atoms is hypergeometric. Its fraction has the binomial variance
         * times the finite-population factor (1 - n_slab/n) n/(n - 1): a slab holding a
         * large part of the cell (19 A in a 42 A box holds 45 %) fluctuates much less than
         * independent draws would, and a slab holding every atom not at all. */
        const double p_slab = (double)res->n_slab / (double)n;
        const double var = f * (1.0 - f) / (double)res->n_slab * (1.0 - p_slab) *
                           (n > 1 ? (double)n / (double)(n - 1) : 1.0);
        res->z = var > 0.0 ? (best - f) / sqrt(var) : 0.0;
        double pmax = (double)res->n_top / (double)res->n_slab;
        if (pmax > 1.0) pmax = 1.0;
        res->concentration = pmax > f ? (best - f) / (pmax - f) : 0.0;
    }

    if (shear_strain && n > 0) {
        double s = 0.0, s2 = 0.0;
        for (size_t i = 0; i < n; i++) s += shear_strain[i];
        const double mu = s / (double)n;
        for (size_t i = 0; i < n; i++) s2 += (shear_strain[i] - mu) * (shear_strain[i] - mu);
        res->strain_mean = mu;
        res->strain_std = sqrt(s2 / (double)n);
    }

    const double W = p->length;
    if (o.width >= res->profile[0].length && o.width >= res->profile[1].length) {
        res->found = 0;
        snprintf(res->reason, sizeof res->reason,
                 "no band: the slab (%g A) is at least as wide as the cell along X and Y", o.width);
    } else if (res->z < o.z_min) {
        res->found = 0;
        snprintf(res->reason, sizeof res->reason,
                 "no band: peak %.4f is only %.2f standard errors above f_top %.4f (z_min %g)",
                 best, res->z, f, o.z_min);
    } else if (res->concentration < o.concentration_min) {
        res->found = 0;
        snprintf(res->reason, sizeof res->reason,
                 "no band: peak concentration %.3f below %g (diffuse excess)", res->concentration,
                 o.concentration_min);
    } else {
        res->found = 1;
        snprintf(res->reason, sizeof res->reason,
                 "%s band at %.1f A of %.1f A (z %.1f, concentration %.2f)",
                 best_axis == 1 ? "horizontal" : "vertical", res->centre, W, res->z, res->concentration);
    }
    return SB_OK;
}

sb_status sb_band_locate_run(const char *run_dir, double strain, const sb_band_options *opt,
                             sb_band_result *res, sb_error *err)
{
    char name[64], path[4200];
    snprintf(name, sizeof name, "strain_%.3f.dump", strain);
    sb_status rc = sb_path_join(path, sizeof path, run_dir, name, err);
    if (rc != SB_OK) return rc;
    sb_structure snap = SB_STRUCTURE_INIT;
    rc = sb_read_structure(path, &snap, err);
    if (rc != SB_OK) return rc;
    const sb_property *d2 = sb_structure_find_property(&snap, "d2min");
    const sb_property *vm = sb_structure_find_property(&snap, "shear_strain");
    if (!d2 || d2->ncomp != 1)
        rc = sb_error_set(err, SB_ERR_FORMAT, "%s: no d2min column", path);
    else
        rc = sb_band_locate(&snap.cell, snap.x, snap.id, d2->data, vm && vm->ncomp == 1 ? vm->data : NULL, snap.n,
                            opt, res, err);
    sb_structure_free(&snap);
    return rc;
}
