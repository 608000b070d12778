/*
 * Periodic triclinic cell geometry (conventions in shearband/cell.h).
 *
 * H is lower triangular, so its inverse is too and both products are a handful of
 * multiplications; nothing here allocates. Wrapping uses floor() on fractional
 * coordinates, with a guard for the s == 1.0 that rounding can produce just below a face.
 */
#include "shearband/cell.h"

#include <math.h>
#include <string.h>

sb_status sb_cell_set(sb_cell *cell, const double lo[3], const double hi[3],
                      double xy, double xz, double yz, sb_error *err)
{
    for (int k = 0; k < 3; k++) {
        if (!isfinite(lo[k]) || !isfinite(hi[k]))
            return sb_error_set(err, SB_ERR_GEOMETRY, "cell bound along axis %d is not finite", k);
    }
    if (!isfinite(xy) || !isfinite(xz) || !isfinite(yz))
        return sb_error_set(err, SB_ERR_GEOMETRY, "cell tilt factor is not finite");
    double l[3];
    for (int k = 0; k < 3; k++) {
        l[k] = hi[k] - lo[k];
        if (!(l[k] > 0.0) || !isfinite(l[k]))
            return sb_error_set(err, SB_ERR_GEOMETRY,
                                "cell has zero, negative or overflowing length %g along %c "
                                "(volume must be finite and > 0)",
                                l[k], "xyz"[k]);
    }
    memset(cell, 0, sizeof *cell);
    memcpy(cell->lo, lo, sizeof cell->lo);
    memcpy(cell->hi, hi, sizeof cell->hi);
    cell->xy = xy;
    cell->xz = xz;
    cell->yz = yz;
    double (*h)[3] = cell->h;
    h[0][0] = l[0];
    h[1][0] = xy;
    h[1][1] = l[1];
    h[2][0] = xz;
    h[2][1] = yz;
    h[2][2] = l[2];
    /* Inverse of a lower-triangular matrix, written out. */
    double (*g)[3] = cell->hinv;
    g[0][0] = 1.0 / l[0];
    g[1][1] = 1.0 / l[1];
    g[2][2] = 1.0 / l[2];
    g[1][0] = -xy / (l[0] * l[1]);
    g[2][1] = -yz / (l[1] * l[2]);
    g[2][0] = (xy * yz - l[1] * xz) / (l[0] * l[1] * l[2]);
    return SB_OK;
}

sb_status sb_cell_set_ortho(sb_cell *cell, double lx, double ly, double lz, sb_error *err)
{
    const double lo[3] = {0.0, 0.0, 0.0};
    const double hi[3] = {lx, ly, lz};
    return sb_cell_set(cell, lo, hi, 0.0, 0.0, 0.0, err);
}

int sb_cell_is_triclinic(const sb_cell *cell)
{
    return cell->xy != 0.0 || cell->xz != 0.0 || cell->yz != 0.0;
}

double sb_cell_volume(const sb_cell *cell)
{
    return cell->h[0][0] * cell->h[1][1] * cell->h[2][2];
}

static void cross(const double a[3], const double b[3], double c[3])
{
    c[0] = a[1] * b[2] - a[2] * b[1];
    c[1] = a[2] * b[0] - a[0] * b[2];
    c[2] = a[0] * b[1] - a[1] * b[0];
}

void sb_cell_widths(const sb_cell *cell, double w[3])
{
    const double vol = sb_cell_volume(cell);
    for (int k = 0; k < 3; k++) {
        double n[3];
        cross(cell->h[(k + 1) % 3], cell->h[(k + 2) % 3], n);
        w[k] = vol / sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    }
}

void sb_cell_vec_to_frac(const sb_cell *cell, const double d[3], double ds[3])
{
    const double (*g)[3] = cell->hinv;
    /* ds = d g with g lower triangular: ds_k = sum_{i >= k} d_i g[i][k]. */
    ds[0] = d[0] * g[0][0] + d[1] * g[1][0] + d[2] * g[2][0];
    ds[1] = d[1] * g[1][1] + d[2] * g[2][1];
    ds[2] = d[2] * g[2][2];
}

void sb_cell_frac_to_vec(const sb_cell *cell, const double ds[3], double d[3])
{
    const double (*h)[3] = cell->h;
    d[0] = ds[0] * h[0][0] + ds[1] * h[1][0] + ds[2] * h[2][0];
    d[1] = ds[1] * h[1][1] + ds[2] * h[2][1];
    d[2] = ds[2] * h[2][2];
}

void sb_cell_to_frac(const sb_cell *cell, const double r[3], double s[3])
{
    const double d[3] = {r[0] - cell->lo[0], r[1] - cell->lo[1], r[2] - cell->lo[2]};
    sb_cell_vec_to_frac(cell, d, s);
}

void sb_cell_to_cart(const sb_cell *cell, const double s[3], double r[3])
{
    sb_cell_frac_to_vec(cell, s, r);
    for (int k = 0; k < 3; k++) r[k] += cell->lo[k];
}

void sb_cell_wrap(const sb_cell *cell, double r[3], int image[3])
{
    if (!isfinite(r[0]) || !isfinite(r[1]) || !isfinite(r[2])) return; /* left unchanged */
    double s[3];
    sb_cell_to_frac(cell, r, s);
    for (int k = 0; k < 3; k++) {
        double f = floor(s[k]);
        s[k] -= f;
        if (s[k] >= 1.0) { /* s just below an integer rounded up */
            s[k] -= 1.0;
            f += 1.0;
        }
        if (image) image[k] += (int)f;
    }
    sb_cell_to_cart(cell, s, r);
}

enum { MIN_IMAGE_MAX_REACH = 64 };

/* Best of base + n H over n in [-r0,r0] x [-r1,r1] x [-r2,r2]; updates best/best2. */
static void min_image_search(const sb_cell *cell, const double base[3], const int r[3],
                             double best[3], double *best2)
{
    for (int i = -r[0]; i <= r[0]; i++)
        for (int j = -r[1]; j <= r[1]; j++)
            for (int k = -r[2]; k <= r[2]; k++) {
                const double sh[3] = {i, j, k};
                double v[3];
                sb_cell_frac_to_vec(cell, sh, v);
                for (int m = 0; m < 3; m++) v[m] += base[m];
                const double r2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
                if (r2 < *best2) {
                    *best2 = r2;
                    memcpy(best, v, 3 * sizeof *v);
                }
            }
}

void sb_cell_min_image(const sb_cell *cell, double d[3])
{
    if (!isfinite(d[0]) || !isfinite(d[1]) || !isfinite(d[2])) return; /* nothing to reduce */
    double ds[3];
    sb_cell_vec_to_frac(cell, d, ds);
    for (int k = 0; k < 3; k++) ds[k] -= nearbyint(ds[k]);
    double base[3];
    sb_cell_frac_to_vec(cell, ds, base);
    if (!sb_cell_is_triclinic(cell)) {
        memcpy(d, base, sizeof base);
        return;
    }
    /* Rounding in fractional space is exact only for orthogonal cells; for tilted ones a
     * neighbouring image can be shorter. First take the best of the 27 nearest candidates.
     * Then make it exact: any image v = base + n H no longer than the best found so far
     * has |ds_k(v)| <= |best| / w_k (w_k the perpendicular width), and |ds_k(base)| <= 1/2,
     * so |n_k| <= 1/2 + |best| / w_k. For well-shaped cells that bound is 1 and we are
     * done; for elongated or heavily tilted cells the wider box is searched. */
    double best[3] = {base[0], base[1], base[2]};
    double best2 = base[0] * base[0] + base[1] * base[1] + base[2] * base[2];
    const int one[3] = {1, 1, 1};
    min_image_search(cell, base, one, best, &best2);
    int reach[3], wider = 0;
    for (int k = 0; k < 3; k++) {
        /* 1 / w_k = |column k of H^-1| */
        const double g = sqrt(cell->hinv[0][k] * cell->hinv[0][k] +
                              cell->hinv[1][k] * cell->hinv[1][k] +
                              cell->hinv[2][k] * cell->hinv[2][k]);
        const double bound = 0.5 + sqrt(best2) * g * (1.0 + 1e-12);
        /* capped for absurdly thin cells (a width below 1/64 of the distance) */
        reach[k] = bound < MIN_IMAGE_MAX_REACH ? (int)floor(bound) : MIN_IMAGE_MAX_REACH;
        if (reach[k] > 1) wider = 1;
    }
    if (wider) min_image_search(cell, base, reach, best, &best2);
    memcpy(d, best, sizeof best);
}
