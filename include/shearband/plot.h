/*
 * shearband/plot.h: publication figures, rendered by gnuplot.
 *
 * Every figure is written as three things next to each other:
 *   BASE.dat  the numbers, one gnuplot data block per series (blocks separated by two
 *             blank lines, addressed with `index`), columns  x  y  ylo  yhi  value,
 *             NaN where a column does not apply; a commented header carries provenance
 *             (tool, version, commit, UTC time and the caller's provenance line);
 *   BASE.gp   a standalone gnuplot script that reads BASE.dat and writes both images;
 *             `gnuplot /any/where/BASE.gp` re-renders them (it changes into its own folder
 *             first), so a scientist can restyle a figure without shearband;
 *   BASE.png  (pngcairo, 1000 x 700 px by default) and BASE.svg (vector).
 *
 * Why gnuplot driven from C, and not PLplot (or our own rasteriser):
 *   1. the figure travels with its data and a plain script: readers restyle and re-render
 *      it in any editor, which is what users of OVITO/Python scripts expect;
 *   2. gnuplot's pngcairo and svg terminals give publication-quality, antialiased output
 *      with real fonts and enhanced text (D^2_{min}, {/Symbol g});
 *   3. PLplot's Debian package pulls in wxWidgets, and its error path calls exit(), which a
 *      library must never do.
 * The cost is one child process per figure (milliseconds, negligible next to the physics)
 * and a runtime dependency. gnuplot is found as: the figure's `gnuplot` option, else the
 * environment variable SB_GNUPLOT, else the path found at build time, else `gnuplot` on
 * PATH. When it is missing, rendering returns SB_ERR_UNSUPPORTED ("gnuplot not found; data
 * and script written to ...") after writing BASE.dat and BASE.gp.
 *
 * Conventions:
 *   - Text (titles, labels, legend entries) is gnuplot "enhanced text" by default:
 *     "D^2_{min} (Å^2)" gives a superscript and a subscript. Set enhanced_text = false for
 *     literal text (file names with underscores). Any character is safe: strings are
 *     escaped for gnuplot; newlines become spaces.
 *   - Colours are "#rrggbb" or gnuplot colour names; NULL picks the next colour of a
 *     colour-blind-safe palette (Okabe-Ito).
 *   - Ranges: NaN means automatic, per end.
 *   - Everything passed in is copied: the caller's arrays and strings may be freed as soon
 *     as a call returns. An sb_figure is owned by the caller (sb_figure_free).
 *   - The signed slab axis of the paper (METHOD.md section 5): profiles along X are drawn at
 *     -x, profiles along Y at +y, so horizontal bands sit at positive and vertical bands at
 *     negative positions. The builders below take unsigned slab centres and sign them.
 *   - Rendering writes each output through a temporary name and renames it into place, so
 *     a failed render leaves no half figure (and no BASE.png / BASE.svg at all).
 *
 * Usage (a builder, one extra marker, render, free), from an sb_band_result r of
 * shearband/analysis.h (this module does not depend on analysis: profiles are plain arrays):
 *     sb_plot_profile px = {r.profile[0].n, r.profile[0].centre, r.profile[0].value};
 *     sb_plot_profile py = {r.profile[1].n, r.profile[1].centre, r.profile[1].value};
 *     double band = r.found ? r.signed_position : NAN;
 *     sb_figure *fig;
 *     sb_figure_options o = sb_figure_options_default();
 *     o.title = "sample 3, orientation 7";
 *     if (sb_figure_slab_profiles(&fig, px, py, band, &o, &err) != SB_OK) return err.code;
 *     sb_plot_marker m = sb_plot_marker_default();  m.value = -20.0;  m.label = "DFS peak";
 *     sb_figure_add_marker(fig, &m, &err);
 *     sb_status st = sb_plot_render(fig, "out/profile_s3_o7", &err);
 *     sb_figure_free(fig);
 * Generic figures: sb_figure_create(), sb_figure_add_series() per curve, then render.
 */
#ifndef SHEARBAND_PLOT_H
#define SHEARBAND_PLOT_H

#include <stdbool.h>
#include <stddef.h>

#include "shearband/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sb_plot_style {
    SB_PLOT_LINES = 0,
    SB_PLOT_POINTS,
    SB_PLOT_LINESPOINTS,
    SB_PLOT_STEPS,          /* staircase: y[i] holds from x[i] to x[i+1] (CDFs) */
    SB_PLOT_BOXES,          /* filled bars centred on x (histograms) */
    SB_PLOT_ERRORBARS,      /* points with vertical error bars (yerr or ylo/yhi) */
    SB_PLOT_BARS_ERRORBARS, /* filled bars with error bars (mean with a CI) */
    SB_PLOT_COLOR_POINTS,   /* points coloured by value[] through the figure's palette */
    SB_PLOT_ATOMS           /* discs of radius `radius` (x units) coloured by value[] */
} sb_plot_style;

typedef enum sb_plot_axis { SB_PLOT_Y1 = 0, SB_PLOT_Y2 } sb_plot_axis;

typedef enum sb_plot_dash {
    SB_PLOT_SOLID = 0,
    SB_PLOT_DASHED,
    SB_PLOT_DOTTED,
    SB_PLOT_DASHDOT
} sb_plot_dash;

typedef enum sb_plot_marker_shape {
    SB_PLOT_CIRCLE = 0, /* filled */
    SB_PLOT_OPEN_CIRCLE,
    SB_PLOT_SQUARE,
    SB_PLOT_OPEN_SQUARE,
    SB_PLOT_TRIANGLE,
    SB_PLOT_OPEN_TRIANGLE,
    SB_PLOT_DIAMOND,
    SB_PLOT_CROSS
} sb_plot_marker_shape;

typedef enum sb_plot_legend {
    SB_LEGEND_TOP_RIGHT = 0,
    SB_LEGEND_TOP_LEFT,
    SB_LEGEND_BOTTOM_RIGHT,
    SB_LEGEND_BOTTOM_LEFT,
    SB_LEGEND_OUTSIDE, /* right of the plot */
    SB_LEGEND_BELOW,   /* under the x axis, horizontal */
    SB_LEGEND_NONE
} sb_plot_legend;

typedef enum sb_plot_palette {
    SB_PALETTE_INFERNO = 0, /* black - purple - orange - yellow: dark background, bright peak */
    SB_PALETTE_VIRIDIS,     /* dark blue - green - yellow */
    SB_PALETTE_GRAY         /* black to white */
} sb_plot_palette;

/* Figure-wide settings. Start from sb_figure_options_default(). Strings are copied by
 * sb_figure_create(); NULL means "none" (builders fill their own default labels). */
typedef struct sb_figure_options {
    const char *title;
    const char *xlabel, *ylabel, *y2label; /* y2label only matters with a y2 series */
    const char *cblabel;                   /* colour box (colour-mapped series) */
    double xmin, xmax, ymin, ymax, y2min, y2max, cbmin, cbmax; /* NaN: automatic */
    bool xlog, ylog, y2log, cblog;
    sb_plot_legend legend;
    bool grid;          /* light dotted grid on the major tics; default true */
    bool equal_aspect;  /* one x unit as long as one y unit (maps); default false */
    bool enhanced_text; /* gnuplot enhanced text in labels; default true */
    bool bare;          /* picture only: no tics, axis labels, colour box or legend, no
                           margins (insets) */
    bool diagonal;      /* the dashed y = x line (a CDF with no correlation) */
    const char *diagonal_label; /* legend text of the diagonal; NULL: none */
    sb_plot_palette palette;
    int width_px, height_px; /* 1000 x 700 */
    double font_pt;          /* 20 */
    bool png, svg;           /* both true */
    const char *gnuplot;     /* executable; NULL: $SB_GNUPLOT, build-time path, PATH */
    const char *provenance;  /* extra header line for BASE.dat (e.g. the command line) */
} sb_figure_options;

sb_figure_options sb_figure_options_default(void);

/* One curve / point set / bar set. Start from sb_plot_series_default(). */
typedef struct sb_plot_series {
    size_t n;
    const double *x, *y;       /* n values each (required) */
    const double *yerr;        /* symmetric error bars, or NULL */
    const double *ylo, *yhi;   /* asymmetric: absolute lower/upper ends, or NULL */
    const double *value;       /* colour values for COLOR_POINTS / ATOMS, else NULL */
    const char *label;         /* legend entry; NULL: not in the legend */
    sb_plot_style style;
    sb_plot_axis axis;
    const char *color;         /* NULL: next palette colour */
    double line_width;         /* 0: 2.5 (lines), 1.5 (error bars, box borders) */
    sb_plot_dash dash;
    sb_plot_marker_shape marker;
    double point_size;         /* 0: 1.5 */
    double box_width;          /* BOXES/BARS: full width in x units; 0: 0.8 of spacing */
    double fill_alpha;         /* BOXES/BARS: 0..1 opacity of the fill; 0: 0.5 */
    double radius;             /* ATOMS: disc radius in x units; 0: 1.3 Å */
    bool label_values;         /* BOXES/BARS: print each bar's value above it */
} sb_plot_series;

sb_plot_series sb_plot_series_default(void);

/* A straight reference line across the plot, with an optional text next to it. */
typedef struct sb_plot_marker {
    bool vertical;      /* true: x = value; false: y = value */
    double value;
    sb_plot_axis axis;  /* horizontal lines: which y axis `value` is on */
    const char *label;  /* e.g. "band", "threshold 6 %"; NULL: none */
    bool in_legend;     /* label as a legend entry instead of text beside the line */
    const char *color;  /* NULL: dark gray */
    sb_plot_dash dash;  /* default SB_PLOT_DASHED */
    double line_width;  /* 0: 2 */
} sb_plot_marker;

sb_plot_marker sb_plot_marker_default(void);

typedef struct sb_figure sb_figure; /* opaque */

/* A new empty figure with a copy of opt (NULL: defaults). */
sb_status sb_figure_create(sb_figure **out, const sb_figure_options *opt, sb_error *err);
void sb_figure_free(sb_figure *fig);

/* The figure's own options (copied strings), to adjust after a builder made it. String
 * fields must be changed through sb_figure_set_text(). */
sb_figure_options *sb_figure_options_of(sb_figure *fig);
/* Replace one text field: which is "title", "xlabel", "ylabel", "y2label", "cblabel",
 * "diagonal_label", "gnuplot" or "provenance"; text NULL clears it. */
sb_status sb_figure_set_text(sb_figure *fig, const char *which, const char *text,
                             sb_error *err);

/* Append a series (data copied; x, y required; n may be 0 for an empty series). */
sb_status sb_figure_add_series(sb_figure *fig, const sb_plot_series *s, sb_error *err);
sb_status sb_figure_add_marker(sb_figure *fig, const sb_plot_marker *m, sb_error *err);
/* Categorical x tic labels (bar charts): label[i] written at x = pos[i]. Replaces the
 * numeric x tics. */
sb_status sb_figure_set_xtics(sb_figure *fig, size_t n, const double *pos,
                              const char *const *label, sb_error *err);

size_t sb_figure_series_count(const sb_figure *fig);

/* Write BASE.dat and BASE.gp, then run gnuplot to make BASE.png and/or BASE.svg.
 * The folder of path_base must exist. Errors: SB_ERR_IO (files, or gnuplot's own message
 * when it fails on the script), SB_ERR_UNSUPPORTED (gnuplot not found; .dat/.gp written),
 * SB_ERR_INVALID_ARG (empty figure, bad range). */
sb_status sb_plot_render(const sb_figure *fig, const char *path_base, sb_error *err);

/* Several figures as the panels of one image, like the paper's (a), (b): a grid of rows x
 * cols filled row by row, each panel with its own axes, labels and legend, and "(a)",
 * "(b)"... at the top left of each. The terminal, font, outputs and gnuplot come from the
 * first figure; the data of all panels go to one BASE.dat, the script to one BASE.gp. */
typedef struct sb_panel_options {
    int rows, cols;          /* 0, 0: one row; one of them 0: derived from the other */
    bool letters;            /* panel letters; default true */
    const char *title;       /* over all panels; NULL: none */
    int width_px, height_px; /* 0: cols x the first figure's width, rows x its height */
    const char *provenance;  /* NULL: the first figure's */
    /* Free placement instead of the grid (insets, Fig. 5): 4 numbers per panel, x, y,
     * width, height as fractions of the image, (0, 0) at the bottom left; the plot area
     * of panels after the first is cleared to white first. Insets usually want the
     * `bare` figure option. NULL: the grid. */
    const double *placement;
} sb_panel_options;

sb_panel_options sb_panel_options_default(void);
sb_status sb_plot_render_panels(const sb_figure *const *figs, size_t n,
                                const sb_panel_options *opt, const char *path_base,
                                sb_error *err);

/* The gnuplot executable rendering would use for these options (NULL: defaults) and
 * whether it exists and is executable. */
const char *sb_plot_gnuplot_path(const sb_figure_options *opt);
bool sb_plot_gnuplot_available(const sb_figure_options *opt);

/* ---------------------------------------------------------------------------------------
 * Builders for the project's recurring figures. Each makes a new figure in *out (free it
 * with sb_figure_free) with the paper's styling and default labels; opt (NULL: defaults)
 * overrides title, labels, ranges, size and output settings; labels left NULL get the
 * builder's defaults. Callers may add series or markers before sb_plot_render().
 * ------------------------------------------------------------------------------------- */

/* A slab profile: values at slab centres (Å, unsigned: 0..L). */
typedef struct sb_plot_profile {
    size_t n;
    const double *pos;
    const double *val;
} sb_plot_profile;

/* Fig. 1c-d: fraction of highly deformed atoms per slab on the signed axis: the X profile
 * (blue) at -x, the Y profile (pink) at +y; a dashed vertical line marks the band at
 * band_signed (NaN: no band marked). */
sb_status sb_figure_slab_profiles(sb_figure **out, sb_plot_profile along_x,
                                  sb_plot_profile along_y, double band_signed,
                                  const sb_figure_options *opt, sb_error *err);

/* Fig. 2: DFS profile on the signed axis (red line, left axis) with the histogram of
 * observed band positions (signed, Å; blue bars, right axis: number of bands per bin of
 * width bin_width Å, bins centred on multiples of bin_width). */
sb_status sb_figure_dfs_bands(sb_figure **out, sb_plot_profile dfs_x, sb_plot_profile dfs_y,
                              size_t nbands, const double *band_signed, double bin_width,
                              const sb_figure_options *opt, sb_error *err);

/* Stress-strain curves, one line each (ncurves >= 1): strain[c][0..n[c]) against
 * stress[c][..] (GPa). label may be NULL (no legend) or have NULL entries. More than eight
 * curves are drawn thin and semi-transparent in one colour cycle. */
sb_status sb_figure_stress_strain(sb_figure **out, size_t ncurves, const size_t *n,
                                  const double *const *strain, const double *const *stress,
                                  const char *const *label, const sb_figure_options *opt,
                                  sb_error *err);

/* Fig. 3a: empirical CDFs C(gamma) of the samples gamma[c][0..n[c]), as steps from (0,0)
 * to (1,1), with the dashed diagonal of no correlation. */
sb_status sb_figure_cdf(sb_figure **out, size_t ncurves, const size_t *n,
                        const double *const *gamma, const char *const *label,
                        const sb_figure_options *opt, sb_error *err);

/* Fig. 3b / Fig. 4: one filled bar per category with value[i] and, when lo and hi are not
 * NULL, an error bar from lo[i] to hi[i] (a confidence interval); the value is printed
 * above each bar. A dashed horizontal line at `reference` (NaN: none) with its label
 * (e.g. 0.5, "no predictive power"). */
sb_status sb_figure_bars(sb_figure **out, size_t n, const char *const *category,
                         const double *value, const double *lo, const double *hi,
                         double reference, const char *reference_label,
                         const sb_figure_options *opt, sb_error *err);

/* Fig. 5: scatter of y against x with a dashed red horizontal threshold line. When
 * `banded` is not NULL the points are split into two series: banded (filled, "shear band")
 * and not banded (open, "no band"). */
sb_status sb_figure_threshold_scatter(sb_figure **out, size_t n, const double *x,
                                      const double *y, const bool *banded, double threshold,
                                      const char *threshold_label,
                                      const sb_figure_options *opt, sb_error *err);

/* Training history: training loss and (if not NULL) validation loss on the left axis,
 * validation ROC-AUC (if not NULL) on the right axis, against epoch 1..n. */
sb_status sb_figure_learning_curve(sb_figure **out, size_t n, const double *train_loss,
                                   const double *val_loss, const double *val_auc,
                                   const sb_figure_options *opt, sb_error *err);

/* ---------------------------------------------------------------------------------------
 * Per-atom maps (Fig. 1a-b): atoms projected on the XY plane as discs coloured by a value
 * (D2min, probability...), bright = large, drawn in increasing order of value so the
 * bright atoms lie on top; axes in Å with equal aspect, and a labelled colour box.
 * ------------------------------------------------------------------------------------- */
typedef struct sb_atom_map_options {
    sb_figure_options figure;  /* palette default INFERNO, labels "x (Å)", "y (Å)", 860 x 760
                                  px, PNG only (an SVG of 32,000 discs is ~55 MB) */
    const char *value_label;   /* colour-box label; NULL: "value" */
    bool log_scale;            /* logarithmic colour scale (non-positive values floored) */
    double clip_percentile;    /* colour range top at this percentile of the values, so a
                                  few huge values do not wash the map out; default 99;
                                  100: the maximum */
    double vmin, vmax;         /* explicit colour range (NaN: from the data) */
    double atom_radius;        /* Å; default 1.3 (Cu/Zr ~1.28/1.60) */
    double xlo, xhi, ylo, yhi; /* the box to show (NaN: data extent plus one radius) */
} sb_atom_map_options;

sb_atom_map_options sb_atom_map_options_default(void);

sb_status sb_figure_atom_map(sb_figure **out, size_t n, const double *x, const double *y,
                             const double *value, const sb_atom_map_options *opt,
                             sb_error *err);
/* Build and render in one call. */
sb_status sb_plot_atom_map(const char *path_base, size_t n, const double *x, const double *y,
                           const double *value, const sb_atom_map_options *opt,
                           sb_error *err);

#ifdef __cplusplus
}
#endif
#endif
