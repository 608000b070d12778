/*
 * Writing a figure as BASE.dat + BASE.gp (the renderer in render.c then runs gnuplot).
 *
 * The data file holds one gnuplot block per series (addressed with `index`), five columns
 * x y ylo yhi value with NaN where a column does not apply, after a commented provenance
 * header. The script is written for people to read and edit: one `set` per line, the plot
 * command spelled out, comments for the sections. It first changes into its own folder
 * (from gnuplot's ARG0), so `gnuplot /some/where/BASE.gp` works from anywhere, and takes
 * the output names from the variables sb_png / sb_svg when those are already defined (the
 * renderer's hook for temporary names). Panels are gnuplot's multiplot, each panel's
 * settings after a `reset`, all panels' data in the one file with continuing indices.
 *
 * Layout heuristics that keep figures clean without the caller's help: a legend inside the
 * plot gets empty space of about its own height above (or below) the data through
 * gnuplot's offsets, and vertical marker lines stop short of it; point series get 3 % of
 * air at both x ends; with two y axes each axis label takes its first curve's colour.
 */
#define _POSIX_C_SOURCE 200809L
#include "plot_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shearband/fileutil.h"
#include "shearband/version.h"

/* Perceptually uniform colour maps (matplotlib's inferno and viridis, 11 stops). */
static const char *const inferno[] = {"#000004", "#160b39", "#420a68", "#6a176e",
                                      "#932667", "#bc3754", "#dd513a", "#f37819",
                                      "#fca50a", "#f6d746", "#fcffa4"};
static const char *const viridis[] = {"#440154", "#482475", "#414487", "#355f8d",
                                      "#2a788e", "#21918c", "#22a884", "#44bf70",
                                      "#7ad151", "#bddf26", "#fde725"};

static const char *style_name(sb_plot_style st)
{
    switch (st) {
    case SB_PLOT_LINES: return "lines";
    case SB_PLOT_POINTS: return "points";
    case SB_PLOT_LINESPOINTS: return "linespoints";
    case SB_PLOT_STEPS: return "steps";
    case SB_PLOT_BOXES: return "boxes";
    case SB_PLOT_ERRORBARS: return "errorbars";
    case SB_PLOT_BARS_ERRORBARS: return "bars with error bars";
    case SB_PLOT_COLOR_POINTS: return "colour-mapped points";
    case SB_PLOT_ATOMS: return "atoms (colour-mapped discs)";
    }
    return "?";
}

static int point_type(sb_plot_marker_shape m)
{
    switch (m) {
    case SB_PLOT_CIRCLE: return 7;
    case SB_PLOT_OPEN_CIRCLE: return 6;
    case SB_PLOT_SQUARE: return 5;
    case SB_PLOT_OPEN_SQUARE: return 4;
    case SB_PLOT_TRIANGLE: return 9;
    case SB_PLOT_OPEN_TRIANGLE: return 8;
    case SB_PLOT_DIAMOND: return 13;
    case SB_PLOT_CROSS: return 2;
    }
    return 7;
}

static int dash_type(sb_plot_dash d)
{
    switch (d) {
    case SB_PLOT_SOLID: return 1;
    case SB_PLOT_DASHED: return 2;
    case SB_PLOT_DOTTED: return 3;
    case SB_PLOT_DASHDOT: return 4;
    }
    return 1;
}

static void put_num(FILE *fp, double v)
{
    if (isfinite(v)) fprintf(fp, "%.10g", v);
    else fputs("NaN", fp);
}

/* A comment block: every line of text prefixed with "# ". */
static void put_comment(FILE *fp, const char *lead, const char *text)
{
    fprintf(fp, "# %s", lead);
    for (const char *p = text; *p; p++) {
        fputc(*p, fp);
        if (*p == '\n' && p[1]) fputs("#   ", fp);
    }
    fputc('\n', fp);
}

static void put_stamp(FILE *fp)
{
    char stamp[32];
    const time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(fp, "# shearband %s (commit %s), written %s\n", sb_version(), sb_git_commit(),
            stamp);
}

/* The data blocks of one figure, numbered on from *k (panels share one file). */
static void put_data_blocks(FILE *fp, const sb_figure *fig, size_t *k)
{
    for (size_t i = 0; i < fig->nseries; i++) {
        const plot_series *ps = &fig->series[i];
        if (ps->s.n == 0) continue;
        if (*k > 0) fputs("\n\n", fp);
        fprintf(fp, "# index %zu: %s, %s, axis y%d\n", *k, ps->label ? ps->label : "(no label)",
                style_name(ps->s.style), ps->s.axis == SB_PLOT_Y2 ? 2 : 1);
        for (size_t r = 0; r < ps->s.n; r++) {
            const double *row = ps->cols + PLOT_NCOL * r;
            for (int c = 0; c < PLOT_NCOL; c++) {
                if (c) fputc(' ', fp);
                put_num(fp, row[c]);
            }
            fputc('\n', fp);
        }
        (*k)++;
    }
}

sb_status plot_write_data(const plot_job *job, const char *path, sb_error *err)
{
    sb_atomic_file af;
    sb_status st = sb_atomic_open(&af, path, err);
    if (st != SB_OK) return st;
    FILE *fp = af.fp;
    fputs("# Data of a shearband figure; the .gp script beside this file plots it.\n", fp);
    put_stamp(fp);
    if (job->provenance) put_comment(fp, "provenance: ", job->provenance);
    if (job->title) put_comment(fp, "figure: ", job->title);
    for (size_t p = 0; p < job->n; p++)
        if (job->figs[p]->opt.title)
            put_comment(fp, job->n > 1 ? "panel: " : "figure: ", job->figs[p]->opt.title);
    fputs("# One block per series (gnuplot 'index' k), blocks separated by two blank lines.\n"
          "# Columns: x y ylo yhi value  (NaN where a column does not apply)\n",
          fp);
    size_t k = 0;
    for (size_t p = 0; p < job->n; p++) {
        if (job->n > 1) fprintf(fp, "# --- panel %c\n", (char)('a' + p % 26));
        put_data_blocks(fp, job->figs[p], &k);
    }
    return sb_atomic_commit(&af, err);
}

/* "set xrange [lo:hi]" with * for an automatic end. */
static void put_range(FILE *fp, const char *axis, double lo, double hi)
{
    if (isnan(lo) && isnan(hi)) return;
    fprintf(fp, "set %srange [", axis);
    if (isnan(lo)) fputc('*', fp);
    else put_num(fp, lo);
    fputc(':', fp);
    if (isnan(hi)) fputc('*', fp);
    else put_num(fp, hi);
    fputs("]\n", fp);
}

static void put_label_cmd(FILE *fp, const char *what, const char *text, const char *extra)
{
    if (!text) return;
    fprintf(fp, "set %s ", what);
    plot_put_string(fp, text);
    if (extra) fprintf(fp, " %s", extra);
    fputc('\n', fp);
}

/* Default bar width: 0.8 of the smallest spacing between distinct x (0.8 for one bar). */
static double default_box_width(const plot_series *ps)
{
    double best = INFINITY;
    for (size_t i = 0; i < ps->s.n; i++)
        for (size_t j = i + 1; j < ps->s.n && j < i + 64; j++) {
            const double d = fabs(ps->cols[PLOT_NCOL * j] - ps->cols[PLOT_NCOL * i]);
            if (d > 0 && d < best) best = d;
        }
    return isfinite(best) ? 0.8 * best : 0.8;
}

static void put_title(FILE *fp, const plot_series *ps)
{
    if (ps->label && ps->label[0]) {
        fputs(" title ", fp);
        plot_put_string(fp, ps->label);
    } else {
        fputs(" notitle", fp);
    }
}

static void put_color(FILE *fp, const char *color)
{
    fputs(" lc rgb ", fp);
    plot_put_string(fp, color);
}

/* The plot clause(s) of one series; returns how many clauses were written. */
static void put_series_clause(FILE *fp, const plot_series *ps, size_t k, bool *first)
{
    const sb_plot_series *s = &ps->s;
    const char *axes = s->axis == SB_PLOT_Y2 ? " axes x1y2" : "";
    const double lw = s->line_width > 0 ? s->line_width : 2.5;
    const double lw_thin = s->line_width > 0 ? s->line_width : 1.5;
    const double ps_size = s->point_size > 0 ? s->point_size : 1.5;
    const int dt = dash_type(s->dash), pt = point_type(s->marker);
    fputs(*first ? "    plot " : ", \\\n         ", fp);
    *first = false;
    fprintf(fp, "sb_data index %zu", k);
    switch (s->style) {
    case SB_PLOT_LINES:
    case SB_PLOT_STEPS:
        fprintf(fp, " using 1:2%s with %s lw %g dt %d", axes,
                s->style == SB_PLOT_STEPS ? "steps" : "lines", lw, dt);
        put_color(fp, ps->color);
        break;
    case SB_PLOT_POINTS:
        fprintf(fp, " using 1:2%s with points pt %d ps %g", axes, pt, ps_size);
        put_color(fp, ps->color);
        break;
    case SB_PLOT_LINESPOINTS:
        fprintf(fp, " using 1:2%s with linespoints lw %g dt %d pt %d ps %g", axes, lw, dt, pt,
                ps_size);
        put_color(fp, ps->color);
        break;
    case SB_PLOT_ERRORBARS:
        fprintf(fp, " using 1:2:3:4%s with yerrorbars lw %g pt %d ps %g", axes, lw_thin, pt,
                ps_size);
        put_color(fp, ps->color);
        break;
    case SB_PLOT_BOXES:
    case SB_PLOT_BARS_ERRORBARS: {
        const double bw = s->box_width > 0 ? s->box_width : default_box_width(ps);
        const double alpha = s->fill_alpha > 0 ? (s->fill_alpha < 1 ? s->fill_alpha : 1) : 0.5;
        fprintf(fp, " using 1:2:(%g)%s with boxes fill transparent solid %g border lw %g", bw,
                axes, alpha, lw_thin);
        put_color(fp, ps->color);
        break;
    }
    case SB_PLOT_COLOR_POINTS:
        fprintf(fp, " using 1:2:5%s with points pt %d ps %g lc palette", axes, pt, ps_size);
        break;
    case SB_PLOT_ATOMS:
        fprintf(fp, " using 1:2:(%g):5%s with circles fill solid 1.0 noborder lc palette",
                s->radius > 0 ? s->radius : 1.3, axes);
        break;
    }
    put_title(fp, ps);
    if (s->style == SB_PLOT_BARS_ERRORBARS && ps->has_err)
        fprintf(fp, ", \\\n         sb_data index %zu using 1:2:3:4%s with yerrorbars lw 2 pt 7 "
                    "ps 0.001 lc rgb '#222222' notitle",
                k, axes);
    if ((s->style == SB_PLOT_BOXES || s->style == SB_PLOT_BARS_ERRORBARS) && s->label_values)
        /* above the error bar when there is one (a NaN column would void the point); three
         * significant digits, trailing zeros kept (0.660, not 0.66) */
        fprintf(fp, ", \\\n         sb_data index %zu using 1:%d:(sprintf('%%#.3g', column(2)))%s "
                    "with labels offset 0,char 0.8 notitle",
                k, ps->has_err ? 4 : 2, axes);
}

static const char *legend_words(sb_plot_legend l)
{
    switch (l) {
    case SB_LEGEND_TOP_RIGHT: return "inside top right";
    case SB_LEGEND_TOP_LEFT: return "inside top left";
    case SB_LEGEND_BOTTOM_RIGHT: return "inside bottom right";
    case SB_LEGEND_BOTTOM_LEFT: return "inside bottom left";
    case SB_LEGEND_OUTSIDE: return "outside right top vertical";
    case SB_LEGEND_BELOW: return "below center horizontal";
    case SB_LEGEND_NONE: return NULL;
    }
    return "inside top right";
}

/* Room for the legend and for points at the edges, through gnuplot's offsets (which only
 * widen autoscaled ranges): a legend inside the plot at the top (bottom) gets empty space
 * above (below) the data of about its own height, so it never hides a curve; point-like
 * series get 3 % of air left and right so no marker sits on the frame. */
static int legend_entries(const sb_figure *fig)
{
    const sb_figure_options *o = &fig->opt;
    int entries = o->diagonal && o->diagonal_label ? 1 : 0;
    for (size_t i = 0; i < fig->nmarkers; i++)
        entries += fig->markers[i].m.in_legend && fig->markers[i].label ? 1 : 0;
    for (size_t i = 0; i < fig->nseries; i++) {
        const plot_series *ps = &fig->series[i];
        if (ps->s.n > 0 && ps->label && ps->label[0]) entries++;
    }
    return entries;
}

/* Height of a legend inside the plot as a fraction of the plot height (0 if none). */
static double legend_fraction(const sb_figure *fig)
{
    const sb_figure_options *o = &fig->opt;
    const int entries = legend_entries(fig);
    if (entries == 0 || o->legend == SB_LEGEND_NONE || o->legend == SB_LEGEND_OUTSIDE ||
        o->legend == SB_LEGEND_BELOW)
        return 0.0;
    const double plot_px = o->height_px > 300 ? o->height_px - 200.0 : 100.0;
    const double h = (entries * 1.75 * o->font_pt + 20.0) / plot_px;
    return h > 0.6 ? 0.6 : h;
}

static bool legend_on_top(sb_plot_legend l)
{
    return l == SB_LEGEND_TOP_LEFT || l == SB_LEGEND_TOP_RIGHT;
}

static void put_offsets(FILE *fp, const sb_figure *fig)
{
    const sb_figure_options *o = &fig->opt;
    const int entries = legend_entries(fig);
    bool pointy = false;
    for (size_t i = 0; i < fig->nseries; i++) {
        const plot_series *ps = &fig->series[i];
        if (ps->s.n == 0) continue;
        const sb_plot_style st = ps->s.style;
        pointy |= st == SB_PLOT_POINTS || st == SB_PLOT_LINESPOINTS ||
                  st == SB_PLOT_ERRORBARS || st == SB_PLOT_COLOR_POINTS;
    }
    double top = 0, bottom = 0, side = 0;
    const double h = legend_fraction(fig);
    if (h > 0) {
        /* the data keep 1 - h of the height: offset f = h / (1 - h) of the data range */
        const double f = h / (1.0 - h);
        if (legend_on_top(o->legend) && isnan(o->ymax) && !o->ylog) top = f;
        if (!legend_on_top(o->legend) && isnan(o->ymin) && !o->ylog) bottom = f;
    }
    if (entries > 0 && o->legend == SB_LEGEND_BELOW) {
        /* gnuplot 5.4 does not reserve room for a key below the x label: do it here,
         * assuming two entries per row. */
        const int rows = (entries + 1) / 2;
        fprintf(fp, "set bmargin %.1f\n", 2.5 + 1.6 * rows + (o->xlabel ? 1.2 : 0.0));
    }
    if (pointy && fig->nxtics == 0 && !o->xlog && isnan(o->xmin) && isnan(o->xmax)) side = 0.03;
    if (top == 0 && bottom == 0 && side == 0) return;
    fprintf(fp, "set offsets graph %.3f, graph %.3f, graph %.3f, graph %.3f\n", side, side, top,
            bottom);
}

static void put_markers(FILE *fp, const sb_figure *fig)
{
    for (size_t i = 0; i < fig->nmarkers; i++) {
        const sb_plot_marker *m = &fig->markers[i].m;
        const double lw = m->line_width > 0 ? m->line_width : 2.0;
        const char *sys = (!m->vertical && m->axis == SB_PLOT_Y2) ? "second" : "first";
        fprintf(fp, "set arrow %zu from ", i + 1);
        if (m->vertical) {
            /* Stop short of a legend inside the plot instead of crossing it. */
            const double h = legend_fraction(fig);
            const bool top = legend_on_top(fig->opt.legend);
            fputs("first ", fp);
            put_num(fp, m->value);
            fprintf(fp, ", graph %g to first ", h > 0 && !top ? h + 0.01 : 0.0);
            put_num(fp, m->value);
            fprintf(fp, ", graph %g", h > 0 && top ? 0.99 - h : 1.0);
        } else {
            fprintf(fp, "graph 0, %s ", sys);
            put_num(fp, m->value);
            fprintf(fp, " to graph 1, %s ", sys);
            put_num(fp, m->value);
        }
        fprintf(fp, " nohead front lw %g dt %d", lw, dash_type(m->dash));
        put_color(fp, m->color);
        fputc('\n', fp);
        if (!m->label || !m->label[0] || m->in_legend) continue;
        fprintf(fp, "set label %zu ", i + 1);
        plot_put_string(fp, m->label);
        /* Along the line (no opaque box: a figure must not hide data behind its text). */
        if (m->vertical) {
            fputs(" at first ", fp);
            put_num(fp, m->value);
            fputs(", graph 0.03 rotate by 90 offset char 1.3,0 left front", fp);
        } else {
            fprintf(fp, " at graph 0.02, %s ", sys);
            put_num(fp, m->value);
            fputs(" offset 0,char 0.7 left front", fp);
        }
        fputs(" tc rgb ", fp);
        plot_put_string(fp, m->color);
        fputc('\n', fp);
    }
}

static void put_palette(FILE *fp, sb_plot_palette p)
{
    if (p == SB_PALETTE_GRAY) {
        fputs("set palette gray\n", fp);
        return;
    }
    const char *const *c = p == SB_PALETTE_VIRIDIS ? viridis : inferno;
    fputs("set palette defined (", fp);
    for (int i = 0; i < 11; i++) fprintf(fp, "%s%d '%s'", i ? ", " : "", i, c[i]);
    fputs(")\n", fp);
}

/* The `set` commands of one figure (everything but the terminal and the plot). */
static void put_layout(FILE *fp, const sb_figure *fig)
{
    const sb_figure_options *o = &fig->opt;
    /* Which axes and colour maps are in use. */
    const plot_series *first_y1 = NULL, *first_y2 = NULL;
    bool mapped = false;
    for (size_t i = 0; i < fig->nseries; i++) {
        const plot_series *ps = &fig->series[i];
        if (ps->s.n == 0) continue;
        if (ps->s.style == SB_PLOT_COLOR_POINTS || ps->s.style == SB_PLOT_ATOMS) mapped = true;
        if (ps->s.axis == SB_PLOT_Y2) {
            if (!first_y2) first_y2 = ps;
        } else if (!first_y1) {
            first_y1 = ps;
        }
    }
    char title_font[64];
    snprintf(title_font, sizeof title_font, "font ',%g'", o->font_pt * 1.1);
    put_label_cmd(fp, "title", o->title, title_font);
    put_label_cmd(fp, "xlabel", o->xlabel, NULL);
    /* With two y axes each label takes the colour of its axis's first curve. */
    char tc1[64] = "", tc2[64] = "";
    if (first_y2) {
        if (first_y1 && first_y1->color)
            snprintf(tc1, sizeof tc1, "tc rgb '%s'", first_y1->color);
        if (first_y2->color) snprintf(tc2, sizeof tc2, "tc rgb '%s'", first_y2->color);
    }
    put_label_cmd(fp, "ylabel", o->ylabel, tc1[0] ? tc1 : NULL);
    if (first_y2) {
        put_label_cmd(fp, "y2label", o->y2label, tc2[0] ? tc2 : NULL);
        fputs("set ytics nomirror\nset y2tics\n", fp);
        if (tc1[0]) fprintf(fp, "set ytics %s\n", tc1);
        if (tc2[0]) fprintf(fp, "set y2tics %s\n", tc2);
    }
    /* Every point-like clause sets its own size; the tiny default only removes the gap
     * gnuplot leaves in the middle of plain error bars. */
    fputs("set border lw 1.5\nset tics scale 1.2\nset mxtics\nset mytics\nset pointsize 0.001\n",
          fp);
    if (first_y2) fputs("set my2tics\n", fp);
    if (o->grid) fputs("set grid back lw 1 dt 3 lc rgb '#b0b0b0'\n", fp);
    const char *kw = legend_words(o->legend);
    if (kw)
        fprintf(fp, "set key %s reverse Left samplen 2.5 spacing 1.15 box lc rgb '#c8c8c8'\n",
                kw);
    else
        fputs("unset key\n", fp);
    put_offsets(fp, fig);
    put_range(fp, "x", o->xmin, o->xmax);
    put_range(fp, "y", o->ymin, o->ymax);
    put_range(fp, "y2", o->y2min, o->y2max);
    put_range(fp, "cb", o->cbmin, o->cbmax);
    if (o->xlog) fputs("set logscale x\n", fp);
    if (o->ylog) fputs("set logscale y\n", fp);
    if (o->y2log && first_y2) fputs("set logscale y2\n", fp);
    if (o->equal_aspect) fputs("set size ratio -1\n", fp);
    if (mapped) {
        put_palette(fp, o->palette);
        if (o->cblog) fputs("set logscale cb\n", fp);
        put_label_cmd(fp, "cblabel", o->cblabel, NULL);
        fputs("set colorbox\n", fp);
    } else {
        fputs("unset colorbox\n", fp);
    }
    if (fig->nxtics > 0) {
        fputs("set xtics (", fp);
        for (size_t i = 0; i < fig->nxtics; i++) {
            if (i) fputs(", ", fp);
            plot_put_string(fp, fig->xtic_label[i]);
            fputc(' ', fp);
            put_num(fp, fig->xtic_pos[i]);
        }
        fputs(") scale 0\nunset mxtics\n", fp);
        if (o->grid) fputs("set grid noxtics\n", fp);
    }
    put_markers(fp, fig);
    if (o->bare)
        fputs("# bare: the picture only\n"
              "unset xtics\nunset ytics\nunset y2tics\nunset mxtics\nunset mytics\n"
              "unset xlabel\nunset ylabel\nunset y2label\nunset cblabel\nunset colorbox\n"
              "unset key\nunset grid\nunset title\nset margins 0,0,0,0\n",
              fp);
}

/* The plot command of one figure, its data blocks starting at index *k. */
static void put_plot(FILE *fp, const sb_figure *fig, size_t *k)
{
    const sb_figure_options *o = &fig->opt;
    bool first = true;
    for (size_t i = 0; i < fig->nseries; i++) {
        const plot_series *ps = &fig->series[i];
        if (ps->s.n == 0) continue;
        put_series_clause(fp, ps, (*k)++, &first);
    }
    for (size_t i = 0; i < fig->nmarkers; i++) {
        const sb_plot_marker *m = &fig->markers[i].m;
        if (!m->in_legend || !m->label) continue;
        fputs(first ? "    plot " : ", \\\n         ", fp);
        first = false;
        fprintf(fp, "NaN with lines lw %g dt %d", m->line_width > 0 ? m->line_width : 2.0,
                dash_type(m->dash));
        put_color(fp, m->color);
        fputs(" title ", fp);
        plot_put_string(fp, m->label);
    }
    if (o->diagonal) {
        fputs(first ? "    plot " : ", \\\n         ", fp);
        first = false;
        fputs("x with lines lw 2 dt 2 lc rgb '#555555'", fp);
        if (o->diagonal_label) {
            fputs(" title ", fp);
            plot_put_string(fp, o->diagonal_label);
        } else {
            fputs(" notitle", fp);
        }
    }
    fputc('\n', fp);
}

/* Copy text to fp with every line indented (layout commands inside the output loop). */
static void put_indented(FILE *fp, const char *text, const char *indent)
{
    bool bol = true;
    for (const char *p = text; *p; p++) {
        if (bol) fputs(indent, fp);
        fputc(*p, fp);
        bol = *p == '\n';
    }
}

sb_status plot_write_script(const plot_job *job, const char *path, const char *base_name,
                            sb_error *err)
{
    const sb_figure_options *o = &job->figs[0]->opt;
    sb_atomic_file af;
    sb_status st = sb_atomic_open(&af, path, err);
    if (st != SB_OK) return st;
    FILE *fp = af.fp;
    fprintf(fp, "# A shearband figure. Re-render (from any folder) with:  gnuplot %s.gp\n",
            base_name);
    fprintf(fp, "# It reads %s.dat beside it and writes %s.png and %s.svg there.\n", base_name,
            base_name, base_name);
    put_stamp(fp);
    if (job->provenance) put_comment(fp, "provenance: ", job->provenance);
    fputs("set encoding utf8\n"
          "# Work in the folder of this script (ARG0 is the script's path).\n"
          "if (exists(\"ARG0\") && strstrt(ARG0, '/') > 0) {\n"
          "    sb_i = strlen(ARG0)\n"
          "    while (sb_i > 1 && ARG0[sb_i:sb_i] ne '/') { sb_i = sb_i - 1 }\n"
          "    if (sb_i > 1) { cd ARG0[1:sb_i - 1] } else { cd '/' }\n"
          "}\n",
          fp);
    const char *exts[2] = {"png", "svg"};
    for (int e = 0; e < 2; e++) {
        fprintf(fp, "if (!exists(\"sb_%s\")) sb_%s = ", exts[e], exts[e]);
        char name[4200];
        snprintf(name, sizeof name, "%s.%s", base_name, exts[e]);
        plot_put_string(fp, name);
        fputc('\n', fp);
    }
    {
        char name[4200];
        snprintf(name, sizeof name, "%s.dat", base_name);
        fputs("sb_data = ", fp);
        plot_put_string(fp, name);
        fputc('\n', fp);
    }
    const bool panels = job->n > 1;
    if (!panels) {
        fputs("\n# Layout\n", fp);
        put_layout(fp, job->figs[0]);
    }

    /* The plot, once per output terminal. */
    fputs("\n# Plot\n", fp);
    char outs[16] = "";
    if (o->png) strcat(outs, "png");
    if (o->svg) strcat(outs, outs[0] ? " svg" : "svg");
    const char *enh = o->enhanced_text ? "enhanced" : "noenhanced";
    fprintf(fp, "do for [sb_term in '%s'] {\n", outs);
    fprintf(fp, "    if (sb_term eq 'png') {\n"
                "        set terminal pngcairo size %d,%d %s font 'Sans,%g' linewidth 1.25 "
                "rounded background rgb 'white'\n"
                "        set output sb_png\n"
                "    } else {\n"
                "        set terminal svg size %d,%d dynamic %s font 'Sans,%g' linewidth 1.25 "
                "rounded background rgb 'white'\n"
                "        set output sb_svg\n"
                "    }\n",
            job->width_px, job->height_px, enh, o->font_pt, job->width_px, job->height_px, enh,
            o->font_pt);
    size_t k = 0;
    if (!panels) {
        put_plot(fp, job->figs[0], &k);
    } else {
        if (job->placement) fputs("    set multiplot", fp);
        else fprintf(fp, "    set multiplot layout %d,%d", job->rows, job->cols);
        if (job->title) {
            fputs(" title ", fp);
            plot_put_string(fp, job->title);
            fprintf(fp, " font ',%g'", o->font_pt * 1.2);
        }
        fputc('\n', fp);
        for (size_t p = 0; p < job->n && st == SB_OK; p++) {
            fprintf(fp, "    # --- panel %c\n", (char)('a' + p % 26));
            /* Every panel starts from gnuplot's defaults, the first too: the loop runs
             * once per output and must not inherit the last panel's settings. */
            fputs("    reset\n    set encoding utf8\n", fp);
            char *buf = NULL;
            size_t len = 0;
            FILE *mem = open_memstream(&buf, &len);
            if (!mem) {
                st = sb_error_set(err, SB_ERR_NOMEM, "figure: out of memory");
                break;
            }
            if (job->placement) {
                const double *pl = job->placement + 4 * p;
                fprintf(mem, "set origin %g,%g\nset size %g,%g\n", pl[0], pl[1], pl[2], pl[3]);
                if (p > 0)
                    fputs("set object 1001 rectangle from graph 0,0 to graph 1,1 behind "
                          "fillcolor rgb 'white' fillstyle solid noborder\n",
                          mem);
            }
            put_layout(mem, job->figs[p]);
            if (job->letters) {
                char letter[8];
                snprintf(letter, sizeof letter, "(%c)", (char)('a' + p % 26));
                fprintf(mem, "set label 1000 '%s' at graph 0, graph 1 offset char -5, char 1.4 "
                             "font ',%g' front\n",
                        letter, o->font_pt * 1.15);
            }
            fclose(mem);
            put_indented(fp, buf, "    ");
            free(buf);
            put_plot(fp, job->figs[p], &k);
        }
        fputs("    unset multiplot\n", fp);
    }
    fputs("    set output\n}\n", fp);
    if (st != SB_OK) {
        sb_atomic_abort(&af);
        return st;
    }
    return sb_atomic_commit(&af, err);
}

