/*
 * Per-atom maps (Fig. 1a-b of the paper): every atom projected on the XY plane as a disc
 * of radius ~ an atomic radius, coloured by a per-atom value such as D2min.
 *
 * Three choices make the band visible:
 *   - the colour scale tops out at a high percentile (default 99 %) of the values: D2min
 *     is heavy-tailed, and scaling to the maximum would leave all but a handful of atoms
 *     black; atoms above the cut take the brightest colour;
 *   - atoms are drawn in increasing order of value, so along the projection direction a
 *     bright (strongly deformed) atom is never hidden behind a dark one;
 *   - a dark-to-bright perceptual map (inferno by default): quiet glass is dark, the band
 *     bright. Discs are sized in Å (gnuplot `circles` in axis units) and the aspect ratio
 *     is 1, so the picture looks the same at any output size.
 * With log_scale the colour range runs from the 1st percentile of the positive values to
 * the clip value, and values below that lower end (including zero) are written as the
 * lower end: column 5 of the .dat is the value as coloured.
 */
#define _POSIX_C_SOURCE 200809L
#include "plot_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

sb_atom_map_options sb_atom_map_options_default(void)
{
    sb_atom_map_options o;
    memset(&o, 0, sizeof o);
    o.figure = sb_figure_options_default();
    o.figure.palette = SB_PALETTE_INFERNO;
    o.figure.legend = SB_LEGEND_NONE;
    o.figure.grid = false;
    o.figure.equal_aspect = true;
    o.figure.width_px = 860; /* square plot plus colour box */
    o.figure.height_px = 760;
    /* gnuplot writes each disc as an SVG path of ~1.7 kB: 32,000 atoms make a 55 MB file.
     * The PNG is the useful output; ask for svg explicitly for small maps. */
    o.figure.svg = false;
    o.value_label = NULL;
    o.log_scale = false;
    o.clip_percentile = 99.0;
    o.vmin = o.vmax = NAN;
    o.atom_radius = 1.3;
    o.xlo = o.xhi = o.ylo = o.yhi = NAN;
    return o;
}

/* Linear-interpolated percentile q (0..100) of sorted v[0..m). */
static double percentile(const double *v, size_t m, double q)
{
    if (m == 0) return NAN;
    const double r = q / 100.0 * (double)(m - 1);
    const size_t i = (size_t)floor(r);
    if (i + 1 >= m) return v[m - 1];
    return v[i] + (r - (double)i) * (v[i + 1] - v[i]);
}

typedef struct { double v; size_t i; } keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->v != y->v) return (x->v > y->v) - (x->v < y->v);
    return (x->i > y->i) - (x->i < y->i); /* stable: deterministic output */
}

sb_status sb_figure_atom_map(sb_figure **out, size_t n, const double *x, const double *y,
                             const double *value, const sb_atom_map_options *opt,
                             sb_error *err)
{
    *out = NULL;
    const sb_atom_map_options o = opt ? *opt : sb_atom_map_options_default();
    if (n == 0 || !x || !y || !value)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "atom map: no atoms given");
    if (!(o.clip_percentile > 0 && o.clip_percentile <= 100))
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "atom map: clip_percentile %g outside (0, 100]", o.clip_percentile);
    if (!(o.atom_radius > 0) || !isfinite(o.atom_radius))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "atom map: atom_radius %g must be > 0",
                            o.atom_radius);

    keyed *order = malloc(n * sizeof *order);
    double *sorted = malloc(n * sizeof *sorted);
    double *px = malloc(n * sizeof *px), *py = malloc(n * sizeof *py);
    double *pv = malloc(n * sizeof *pv);
    sb_status st = SB_OK;
    if (!order || !sorted || !px || !py || !pv) {
        st = sb_error_set(err, SB_ERR_NOMEM, "atom map: out of memory for %zu atoms", n);
        goto done;
    }
    size_t m = 0, mpos = 0;
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]) || !isfinite(value[i])) continue;
        order[m].v = value[i];
        order[m].i = i;
        m++;
        if (x[i] < xmin) xmin = x[i];
        if (x[i] > xmax) xmax = x[i];
        if (y[i] < ymin) ymin = y[i];
        if (y[i] > ymax) ymax = y[i];
    }
    if (m == 0) {
        st = sb_error_set(err, SB_ERR_NUMERIC, "atom map: no atom has a finite position and "
                          "value");
        goto done;
    }
    qsort(order, m, sizeof *order, cmp_keyed);
    /* Colour range. */
    for (size_t k = 0; k < m; k++)
        if (!o.log_scale || order[k].v > 0) sorted[mpos++] = order[k].v;
    /* order is sorted by value, so sorted[] is too */
    double vmin = o.vmin, vmax = o.vmax;
    if (isnan(vmax)) vmax = percentile(sorted, mpos, o.clip_percentile);
    if (isnan(vmin)) vmin = o.log_scale ? percentile(sorted, mpos, 1.0) : sorted[0];
    if (o.log_scale && !(vmin > 0)) {
        st = sb_error_set(err, SB_ERR_INVALID_ARG,
                          "atom map: a logarithmic colour scale needs positive values");
        goto done;
    }
    if (!(vmax > vmin)) vmax = vmin + (vmin != 0 ? fabs(vmin) * 1e-6 : 1.0);
    for (size_t k = 0; k < m; k++) {
        const size_t i = order[k].i;
        px[k] = x[i];
        py[k] = y[i];
        pv[k] = (o.log_scale && value[i] < vmin) ? vmin : value[i];
    }

    sb_figure_options fo = o.figure;
    if (!fo.xlabel) fo.xlabel = "x (Å)";
    if (!fo.ylabel) fo.ylabel = "y (Å)";
    if (!fo.cblabel) fo.cblabel = o.value_label ? o.value_label : "value";
    fo.equal_aspect = true;
    fo.cbmin = vmin;
    fo.cbmax = vmax;
    fo.cblog = o.log_scale;
    const double r = o.atom_radius;
    if (isnan(fo.xmin)) fo.xmin = isnan(o.xlo) ? xmin - r : o.xlo;
    if (isnan(fo.xmax)) fo.xmax = isnan(o.xhi) ? xmax + r : o.xhi;
    if (isnan(fo.ymin)) fo.ymin = isnan(o.ylo) ? ymin - r : o.ylo;
    if (isnan(fo.ymax)) fo.ymax = isnan(o.yhi) ? ymax + r : o.yhi;
    if (!(fo.xmax > fo.xmin)) fo.xmax = fo.xmin + 2 * r;
    if (!(fo.ymax > fo.ymin)) fo.ymax = fo.ymin + 2 * r;
    st = sb_figure_create(out, &fo, err);
    if (st != SB_OK) goto done;
    sb_plot_series s = sb_plot_series_default();
    s.n = m;
    s.x = px;
    s.y = py;
    s.value = pv;
    s.style = SB_PLOT_ATOMS;
    s.radius = r;
    st = sb_figure_add_series(*out, &s, err);
    if (st != SB_OK) {
        sb_figure_free(*out);
        *out = NULL;
    }
done:
    free(order);
    free(sorted);
    free(px);
    free(py);
    free(pv);
    return st;
}

sb_status sb_plot_atom_map(const char *path_base, size_t n, const double *x, const double *y,
                           const double *value, const sb_atom_map_options *opt,
                           sb_error *err)
{
    sb_figure *fig = NULL;
    sb_status st = sb_figure_atom_map(&fig, n, x, y, value, opt, err);
    if (st != SB_OK) return st;
    st = sb_plot_render(fig, path_base, err);
    sb_figure_free(fig);
    return st;
}
