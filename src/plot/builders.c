/*
 * Builders for the project's recurring figures (shearband/plot.h), thin layers over the
 * generic figure so callers never repeat the styling:
 *   slab profiles on the paper's signed axis (Fig. 1c-d), DFS + band histogram on two
 *   y axes (Fig. 2), stress-strain overlays, C(gamma) with the no-correlation diagonal
 *   (Fig. 3a), bars with confidence intervals (Fig. 3b, 4), a scatter with a threshold
 *   (Fig. 5) and a training history.
 * The signed axis (METHOD.md section 5): a slab centred at x along X is drawn at -x, a
 * slab centred at y along Y at +y, so a horizontal band (a peak of the Y profile) sits
 * right of zero and a vertical band left of it.
 * Colours follow the paper: X profile blue, Y profile pink; DFS red, band counts blue.
 */
#define _POSIX_C_SOURCE 200809L
#include "plot_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const BLUE = "#0072B2", *const PINK = "#CC3F8C", *const RED = "#D62728",
                         *const GRAY = "#444444";

/* Make the figure from opt (or defaults) and fill each NULL label with a default. */
static sb_status start(sb_figure **out, const sb_figure_options *opt, const char *xlabel,
                       const char *ylabel, const char *y2label, sb_error *err)
{
    sb_figure_options o = opt ? *opt : sb_figure_options_default();
    if (!o.xlabel) o.xlabel = xlabel;
    if (!o.ylabel) o.ylabel = ylabel;
    if (!o.y2label) o.y2label = y2label;
    return sb_figure_create(out, &o, err);
}

static sb_status fail(sb_figure **out, sb_status st)
{
    sb_figure_free(*out);
    *out = NULL;
    return st;
}

/* A copy of a profile with positions multiplied by sign, sorted by signed position. */
static sb_status signed_profile(sb_plot_profile p, double sign, double **xs, double **ys,
                                sb_error *err)
{
    *xs = malloc((p.n ? p.n : 1) * sizeof **xs);
    *ys = malloc((p.n ? p.n : 1) * sizeof **ys);
    if (!*xs || !*ys) {
        free(*xs);
        free(*ys);
        *xs = *ys = NULL;
        return sb_error_set(err, SB_ERR_NOMEM, "figure: out of memory");
    }
    if (p.n > 0 && (!p.pos || !p.val)) {
        free(*xs);
        free(*ys);
        *xs = *ys = NULL;
        return sb_error_set(err, SB_ERR_INVALID_ARG, "figure: profile with NULL pos or val");
    }
    /* Slab centres come in increasing order; reversing the X profile keeps the curve
     * increasing in the signed coordinate (only matters for reading the .dat). */
    for (size_t i = 0; i < p.n; i++) {
        const size_t j = sign < 0 ? p.n - 1 - i : i;
        (*xs)[i] = sign * p.pos[j];
        (*ys)[i] = p.val[j];
    }
    return SB_OK;
}

static sb_status add_signed_profile(sb_figure *fig, sb_plot_profile p, double sign,
                                    const char *label, const char *color, sb_plot_axis axis,
                                    sb_error *err)
{
    double *xs, *ys;
    sb_status st = signed_profile(p, sign, &xs, &ys, err);
    if (st != SB_OK) return st;
    sb_plot_series s = sb_plot_series_default();
    s.n = p.n;
    s.x = xs;
    s.y = ys;
    s.label = label;
    s.color = color;
    s.axis = axis;
    s.line_width = 3.0;
    st = sb_figure_add_series(fig, &s, err);
    free(xs);
    free(ys);
    return st;
}

static sb_status zero_line(sb_figure *fig, sb_error *err)
{
    sb_plot_marker m = sb_plot_marker_default();
    m.vertical = true;
    m.value = 0.0;
    m.dash = SB_PLOT_SOLID;
    m.line_width = 1.0;
    m.color = "#999999";
    return sb_figure_add_marker(fig, &m, err);
}

/* The signed axis spans exactly the data: [-max x centre, +max y centre]. */
static void fit_signed_axis(sb_figure *fig, sb_plot_profile px, sb_plot_profile py)
{
    sb_figure_options *o = sb_figure_options_of(fig);
    double lo = 0.0, hi = 0.0;
    for (size_t i = 0; i < px.n; i++)
        if (isfinite(px.pos[i]) && -px.pos[i] < lo) lo = -px.pos[i];
    for (size_t i = 0; i < py.n; i++)
        if (isfinite(py.pos[i]) && py.pos[i] > hi) hi = py.pos[i];
    if (!(hi > lo)) return;
    if (isnan(o->xmin)) o->xmin = lo;
    if (isnan(o->xmax)) o->xmax = hi;
}

sb_status sb_figure_slab_profiles(sb_figure **out, sb_plot_profile along_x,
                                  sb_plot_profile along_y, double band_signed,
                                  const sb_figure_options *opt, sb_error *err)
{
    sb_status st = start(out, opt, "slab centre:  −x  |  +y  (Å)",
                         "fraction of highly deformed atoms", NULL, err);
    if (st != SB_OK) return st;
    st = add_signed_profile(*out, along_x, -1.0, "along X (at −x)", BLUE, SB_PLOT_Y1, err);
    if (st == SB_OK)
        st = add_signed_profile(*out, along_y, +1.0, "along Y (at +y)", PINK, SB_PLOT_Y1, err);
    if (st == SB_OK) st = zero_line(*out, err);
    if (st == SB_OK && isfinite(band_signed)) {
        sb_plot_marker m = sb_plot_marker_default();
        m.value = band_signed;
        m.label = band_signed >= 0 ? "band (horizontal)" : "band (vertical)";
        m.in_legend = true;
        m.color = GRAY;
        st = sb_figure_add_marker(*out, &m, err);
    }
    if (st == SB_OK) fit_signed_axis(*out, along_x, along_y);
    return st == SB_OK ? SB_OK : fail(out, st);
}

sb_status sb_figure_dfs_bands(sb_figure **out, sb_plot_profile dfs_x, sb_plot_profile dfs_y,
                              size_t nbands, const double *band_signed, double bin_width,
                              const sb_figure_options *opt, sb_error *err)
{
    if (!(bin_width > 0) || !isfinite(bin_width))
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "figure: histogram bin width %g must be positive", bin_width);
    if (nbands > 0 && !band_signed)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "figure: NULL band positions");
    sb_status st = start(out, opt, "slab centre:  −x  |  +y  (Å)",
                         "density of fertile sites (DFS)", "number of shear bands", err);
    if (st != SB_OK) return st;
    /* Histogram first (drawn under the curve): bins centred on multiples of bin_width,
     * only the occupied ones kept. */
    double *centre = NULL, *count = NULL, max_count = 0;
    size_t nbins = 0;
    if (nbands > 0) {
        long lo = 0, hi = 0;
        bool have = false;
        for (size_t i = 0; i < nbands; i++) {
            if (!isfinite(band_signed[i])) continue;
            const long b = lround(band_signed[i] / bin_width);
            if (!have || b < lo) lo = b;
            if (!have || b > hi) hi = b;
            have = true;
        }
        const size_t span = have ? (size_t)(hi - lo + 1) : 0;
        if (span > 10000000)
            st = sb_error_set(err, SB_ERR_INVALID_ARG, "figure: band positions span too many "
                              "bins (bin width %g)", bin_width);
        if (st == SB_OK && span > 0) {
            centre = calloc(span, sizeof *centre);
            count = calloc(span, sizeof *count);
            if (!centre || !count) st = sb_error_set(err, SB_ERR_NOMEM, "figure: out of memory");
        }
        if (st == SB_OK && span > 0) {
            for (size_t i = 0; i < nbands; i++)
                if (isfinite(band_signed[i]))
                    count[lround(band_signed[i] / bin_width) - lo] += 1.0;
            for (size_t b = 0; b < span; b++) {
                if (count[b] == 0) continue;
                centre[nbins] = (double)((long)b + lo) * bin_width;
                count[nbins++] = count[b];
                if (count[b] > max_count) max_count = count[b];
            }
        }
    }
    if (st == SB_OK) {
        sb_plot_series s = sb_plot_series_default();
        s.n = nbins;
        s.x = centre ? centre : (const double[]){0};
        s.y = count ? count : (const double[]){0};
        s.label = "observed bands";
        s.style = SB_PLOT_BOXES;
        s.axis = SB_PLOT_Y2;
        s.color = BLUE;
        s.box_width = bin_width;
        s.fill_alpha = 0.45;
        st = sb_figure_add_series(*out, &s, err);
    }
    free(centre);
    free(count);
    /* The profiles are one red curve over the signed axis (X part, then Y part). */
    if (st == SB_OK)
        st = add_signed_profile(*out, dfs_x, -1.0, "DFS (before deformation)", RED,
                                SB_PLOT_Y1, err);
    if (st == SB_OK) st = add_signed_profile(*out, dfs_y, +1.0, NULL, RED, SB_PLOT_Y1, err);
    if (st == SB_OK) {
        sb_figure_options *o = sb_figure_options_of(*out);
        if (isnan(o->y2min)) o->y2min = 0.0;
        /* Headroom above the tallest bar for the legend (the y1 axis gets it from the
         * renderer's offsets; y2 is fixed here). */
        if (isnan(o->y2max) && max_count > 0) {
            const double want = 1.4 * max_count, step = want > 50 ? 10 : want > 10 ? 5 : 1;
            o->y2max = step * ceil(want / step);
        }
        /* The DFS axis stays automatic (not from 0): its fluctuation is the signal. */
        st = zero_line(*out, err);
        if (st == SB_OK) fit_signed_axis(*out, dfs_x, dfs_y);
    }
    return st == SB_OK ? SB_OK : fail(out, st);
}

sb_status sb_figure_stress_strain(sb_figure **out, size_t ncurves, const size_t *n,
                                  const double *const *strain, const double *const *stress,
                                  const char *const *label, const sb_figure_options *opt,
                                  sb_error *err)
{
    if (ncurves == 0 || !n || !strain || !stress)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "figure: no stress-strain curves given");
    sb_status st = start(out, opt, "shear strain γ", "shear stress τ (GPa)", NULL, err);
    if (st != SB_OK) return st;
    const bool many = ncurves > 8;
    if (many) sb_figure_options_of(*out)->legend = label ? SB_LEGEND_OUTSIDE : SB_LEGEND_NONE;
    for (size_t c = 0; c < ncurves && st == SB_OK; c++) {
        sb_plot_series s = sb_plot_series_default();
        s.n = n[c];
        s.x = strain[c];
        s.y = stress[c];
        s.label = label ? label[c] : NULL;
        s.line_width = many ? 1.2 : 2.5;
        /* Many curves: gnuplot's #AARRGGBB (AA = transparency) lets overlaps show density. */
        char color[16];
        if (many) {
            snprintf(color, sizeof color, "#60%s", plot_cycle_color((int)c) + 1);
            s.color = color;
        }
        st = sb_figure_add_series(*out, &s, err);
    }
    if (st == SB_OK) {
        sb_figure_options *o = sb_figure_options_of(*out);
        if (isnan(o->xmin)) o->xmin = 0.0;
        if (!many && o->legend == SB_LEGEND_TOP_RIGHT) o->legend = SB_LEGEND_BOTTOM_RIGHT;
    }
    return st == SB_OK ? SB_OK : fail(out, st);
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

sb_status sb_figure_cdf(sb_figure **out, size_t ncurves, const size_t *n,
                        const double *const *gamma, const char *const *label,
                        const sb_figure_options *opt, sb_error *err)
{
    if (ncurves == 0 || !n || !gamma)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "figure: no samples for a CDF");
    sb_status st = start(out, opt, "γ", "C(γ)", NULL, err);
    if (st != SB_OK) return st;
    sb_figure_options *o = sb_figure_options_of(*out);
    o->diagonal = true;
    if (!o->diagonal_label) st = sb_figure_set_text(*out, "diagonal_label", "no correlation",
                                                    err);
    if (isnan(o->xmin)) o->xmin = 0.0;
    if (isnan(o->xmax)) o->xmax = 1.0;
    if (isnan(o->ymin)) o->ymin = 0.0;
    if (isnan(o->ymax)) o->ymax = 1.0;
    if (o->legend == SB_LEGEND_TOP_RIGHT) o->legend = SB_LEGEND_TOP_LEFT;
    for (size_t c = 0; c < ncurves && st == SB_OK; c++) {
        /* Staircase of the empirical CDF: (0,0), (g_(k), k/m) for sorted finite g, and a
         * final point at x = 1 so the last step is visible. */
        size_t m = 0;
        for (size_t i = 0; i < n[c]; i++) m += isfinite(gamma[c][i]) ? 1 : 0;
        double *gx = malloc((m + 2) * sizeof *gx), *gy = malloc((m + 2) * sizeof *gy);
        if (!gx || !gy) {
            free(gx);
            free(gy);
            st = sb_error_set(err, SB_ERR_NOMEM, "figure: out of memory");
            break;
        }
        size_t k = 0;
        for (size_t i = 0; i < n[c]; i++)
            if (isfinite(gamma[c][i])) gx[1 + k++] = gamma[c][i];
        qsort(gx + 1, m, sizeof *gx, cmp_double);
        gx[0] = 0.0;
        gy[0] = 0.0;
        for (size_t i = 1; i <= m; i++) gy[i] = (double)i / (double)m;
        gx[m + 1] = 1.0;
        gy[m + 1] = m ? 1.0 : 0.0;
        sb_plot_series s = sb_plot_series_default();
        s.n = m + 2;
        s.x = gx;
        s.y = gy;
        s.style = SB_PLOT_STEPS;
        s.label = label ? label[c] : NULL;
        s.line_width = 3.0;
        st = sb_figure_add_series(*out, &s, err);
        free(gx);
        free(gy);
    }
    return st == SB_OK ? SB_OK : fail(out, st);
}

sb_status sb_figure_bars(sb_figure **out, size_t n, const char *const *category,
                         const double *value, const double *lo, const double *hi,
                         double reference, const char *reference_label,
                         const sb_figure_options *opt, sb_error *err)
{
    if (n == 0 || !category || !value)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "figure: bar chart without bars");
    if ((lo == NULL) != (hi == NULL))
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "figure: bar chart needs both lo and hi (or neither)");
    sb_status st = start(out, opt, NULL, "mean γ", NULL, err);
    if (st != SB_OK) return st;
    double *pos = malloc(n * sizeof *pos);
    if (!pos) return fail(out, sb_error_set(err, SB_ERR_NOMEM, "figure: out of memory"));
    for (size_t i = 0; i < n; i++) pos[i] = (double)(i + 1);
    sb_plot_series s = sb_plot_series_default();
    s.n = n;
    s.x = pos;
    s.y = value;
    s.ylo = lo;
    s.yhi = hi;
    s.style = SB_PLOT_BARS_ERRORBARS;
    s.color = BLUE;
    s.box_width = 0.6;
    s.fill_alpha = 0.75;
    s.label_values = true;
    st = sb_figure_add_series(*out, &s, err);
    if (st == SB_OK) st = sb_figure_set_xtics(*out, n, pos, category, err);
    free(pos);
    if (st == SB_OK && isfinite(reference)) {
        sb_plot_marker m = sb_plot_marker_default();
        m.vertical = false;
        m.value = reference;
        m.label = reference_label;
        m.in_legend = true;
        m.color = GRAY;
        st = sb_figure_add_marker(*out, &m, err);
    }
    if (st == SB_OK) {
        sb_figure_options *o = sb_figure_options_of(*out);
        if (isnan(o->xmin)) o->xmin = 0.4;
        if (isnan(o->xmax)) o->xmax = (double)n + 0.6;
        if (isnan(o->ymin) && !o->ylog) o->ymin = 0.0;
        /* Room above the tallest bar for its value. */
        if (isnan(o->ymax)) {
            double top = isfinite(reference) ? reference : 0.0;
            for (size_t i = 0; i < n; i++) {
                const double t = hi && isfinite(hi[i]) ? hi[i] : value[i];
                if (isfinite(t) && t > top) top = t;
            }
            /* room for the values over the bars and for the legend */
            o->ymax = top > 0 ? (reference_label ? 1.3 : 1.15) * top : NAN;
        }
        o->legend = reference_label ? SB_LEGEND_TOP_RIGHT : SB_LEGEND_NONE;
        o->grid = false;
    }
    return st == SB_OK ? SB_OK : fail(out, st);
}

sb_status sb_figure_threshold_scatter(sb_figure **out, size_t n, const double *x,
                                      const double *y, const bool *banded, double threshold,
                                      const char *threshold_label,
                                      const sb_figure_options *opt, sb_error *err)
{
    if (n > 0 && (!x || !y))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "figure: scatter with NULL x or y");
    sb_status st = start(out, opt, "quench temperature T_q (K)", "Δ = max DFS − min DFS (%)",
                         NULL, err);
    if (st != SB_OK) return st;
    double *bx = malloc((n ? n : 1) * sizeof *bx), *by = malloc((n ? n : 1) * sizeof *by);
    if (!bx || !by) {
        free(bx);
        free(by);
        return fail(out, sb_error_set(err, SB_ERR_NOMEM, "figure: out of memory"));
    }
    for (int pass = 0; pass < (banded ? 2 : 1) && st == SB_OK; pass++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            if (banded && banded[i] != (pass == 0)) continue;
            bx[m] = x[i];
            by[m] = y[i];
            m++;
        }
        sb_plot_series s = sb_plot_series_default();
        s.n = m;
        s.x = bx;
        s.y = by;
        s.style = SB_PLOT_POINTS;
        s.point_size = 2.0;
        s.color = BLUE;
        s.marker = pass == 0 ? SB_PLOT_CIRCLE : SB_PLOT_OPEN_CIRCLE;
        s.label = banded ? (pass == 0 ? "shear band" : "no band") : NULL;
        st = sb_figure_add_series(*out, &s, err);
    }
    free(bx);
    free(by);
    if (st == SB_OK && isfinite(threshold)) {
        sb_plot_marker m = sb_plot_marker_default();
        m.vertical = false;
        m.value = threshold;
        m.label = threshold_label;
        m.color = RED;
        m.line_width = 2.5;
        st = sb_figure_add_marker(*out, &m, err);
    }
    if (st == SB_OK && !banded) sb_figure_options_of(*out)->legend = SB_LEGEND_NONE;
    return st == SB_OK ? SB_OK : fail(out, st);
}

sb_status sb_figure_learning_curve(sb_figure **out, size_t n, const double *train_loss,
                                   const double *val_loss, const double *val_auc,
                                   const sb_figure_options *opt, sb_error *err)
{
    if (n > 0 && !train_loss)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "figure: learning curve without losses");
    sb_status st = start(out, opt, "epoch", "binary cross-entropy loss", "validation ROC-AUC",
                         err);
    if (st != SB_OK) return st;
    double *epoch = malloc((n ? n : 1) * sizeof *epoch);
    if (!epoch) return fail(out, sb_error_set(err, SB_ERR_NOMEM, "figure: out of memory"));
    for (size_t i = 0; i < n; i++) epoch[i] = (double)(i + 1);
    const struct { const double *y; const char *label; const char *color; sb_plot_axis ax;
                   sb_plot_dash dash; } curves[3] = {
        {train_loss, "training loss", BLUE, SB_PLOT_Y1, SB_PLOT_SOLID},
        {val_loss, "validation loss", BLUE, SB_PLOT_Y1, SB_PLOT_DASHED},
        {val_auc, "validation AUC", RED, SB_PLOT_Y2, SB_PLOT_SOLID}};
    for (int c = 0; c < 3 && st == SB_OK; c++) {
        if (!curves[c].y) continue;
        sb_plot_series s = sb_plot_series_default();
        s.n = n;
        s.x = epoch;
        s.y = curves[c].y;
        s.label = curves[c].label;
        s.color = curves[c].color;
        s.axis = curves[c].ax;
        s.dash = curves[c].dash;
        s.style = n <= 40 ? SB_PLOT_LINESPOINTS : SB_PLOT_LINES;
        s.point_size = 1.0;
        s.marker = curves[c].ax == SB_PLOT_Y2 ? SB_PLOT_SQUARE : SB_PLOT_CIRCLE;
        st = sb_figure_add_series(*out, &s, err);
    }
    free(epoch);
    if (st == SB_OK) {
        sb_figure_options *o = sb_figure_options_of(*out);
        if (o->legend == SB_LEGEND_TOP_RIGHT) o->legend = SB_LEGEND_BELOW;
        if (isnan(o->xmin) && n > 0) o->xmin = 0.0;
        if (isnan(o->xmax) && n > 0) o->xmax = (double)n;
    }
    return st == SB_OK ? SB_OK : fail(out, st);
}
