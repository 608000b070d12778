/*
 * The figure description (shearband/plot.h): options, series, markers and categorical
 * tics, deep-copied into an sb_figure so callers can free their arrays at once.
 *
 * Nothing here knows about gnuplot except the colour cycle; render.c turns a figure into
 * a data file and a script. Default colours are assigned when a series is added (not at
 * render time), so a figure renders the same however often it is rendered.
 */
#define _POSIX_C_SOURCE 200809L
#include "plot_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Okabe & Ito (2008): distinguishable under the common colour-vision deficiencies. */
static const char *const cycle[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                    "#E69F00", "#56B4E9", "#000000", "#B8A000"};

const char *plot_cycle_color(int i)
{
    const int nc = (int)(sizeof cycle / sizeof cycle[0]);
    return cycle[((i % nc) + nc) % nc];
}

void plot_put_string(FILE *fp, const char *s)
{
    fputc('\'', fp);
    for (const char *p = s ? s : ""; *p; p++) {
        if (*p == '\'') fputs("''", fp);
        else if (*p == '\n' || *p == '\r' || *p == '\t') fputc(' ', fp);
        else fputc(*p, fp);
    }
    fputc('\'', fp);
}

char *plot_strdup(const char *s, bool *ok)
{
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) *ok = false;
    return d;
}

sb_figure_options sb_figure_options_default(void)
{
    sb_figure_options o;
    memset(&o, 0, sizeof o);
    o.xmin = o.xmax = o.ymin = o.ymax = NAN;
    o.y2min = o.y2max = o.cbmin = o.cbmax = NAN;
    o.legend = SB_LEGEND_TOP_RIGHT;
    o.grid = true;
    o.enhanced_text = true;
    o.palette = SB_PALETTE_INFERNO;
    o.width_px = 1000;
    o.height_px = 700;
    o.font_pt = 20.0;
    o.png = true;
    o.svg = true;
    return o;
}

sb_plot_series sb_plot_series_default(void)
{
    sb_plot_series s;
    memset(&s, 0, sizeof s);
    s.style = SB_PLOT_LINES;
    s.axis = SB_PLOT_Y1;
    s.dash = SB_PLOT_SOLID;
    s.marker = SB_PLOT_CIRCLE;
    return s;
}

sb_plot_marker sb_plot_marker_default(void)
{
    sb_plot_marker m;
    memset(&m, 0, sizeof m);
    m.vertical = true;
    m.value = NAN;
    m.dash = SB_PLOT_DASHED;
    return m;
}

static const char **text_field(sb_figure_options *o, int k)
{
    switch (k) {
    case PLOT_TXT_TITLE: return &o->title;
    case PLOT_TXT_XLABEL: return &o->xlabel;
    case PLOT_TXT_YLABEL: return &o->ylabel;
    case PLOT_TXT_Y2LABEL: return &o->y2label;
    case PLOT_TXT_CBLABEL: return &o->cblabel;
    case PLOT_TXT_DIAGONAL: return &o->diagonal_label;
    case PLOT_TXT_GNUPLOT: return &o->gnuplot;
    default: return &o->provenance;
    }
}

static const char *const text_names[PLOT_TXT_COUNT] = {
    "title", "xlabel", "ylabel", "y2label", "cblabel", "diagonal_label", "gnuplot",
    "provenance"};

static sb_status check_options(const sb_figure_options *o, sb_error *err)
{
    const struct { const char *name; double lo, hi; } r[] = {
        {"x", o->xmin, o->xmax}, {"y", o->ymin, o->ymax},
        {"y2", o->y2min, o->y2max}, {"cb", o->cbmin, o->cbmax}};
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
        if (isinf(r[i].lo) || isinf(r[i].hi))
            return sb_error_set(err, SB_ERR_INVALID_ARG, "figure: %s range must be finite",
                                r[i].name);
        if (!isnan(r[i].lo) && !isnan(r[i].hi) && !(r[i].lo < r[i].hi))
            return sb_error_set(err, SB_ERR_INVALID_ARG,
                                "figure: %s range [%g:%g] is empty (min must be < max)",
                                r[i].name, r[i].lo, r[i].hi);
    }
    if (o->width_px < 100 || o->height_px < 100 || o->width_px > 20000 || o->height_px > 20000)
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "figure: size %d x %d px out of range (100..20000)", o->width_px,
                            o->height_px);
    if (!(o->font_pt > 1.0 && o->font_pt < 200.0))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "figure: font size %g pt out of range",
                            o->font_pt);
    return SB_OK;
}

sb_status sb_figure_create(sb_figure **out, const sb_figure_options *opt, sb_error *err)
{
    *out = NULL;
    const sb_figure_options o = opt ? *opt : sb_figure_options_default();
    sb_status st = check_options(&o, err);
    if (st != SB_OK) return st;
    sb_figure *fig = calloc(1, sizeof *fig);
    if (!fig) return sb_error_set(err, SB_ERR_NOMEM, "figure: out of memory");
    fig->opt = o;
    bool ok = true;
    for (int k = 0; k < PLOT_TXT_COUNT; k++) {
        const char **f = text_field(&fig->opt, k);
        fig->text[k] = plot_strdup(*f, &ok);
        *f = fig->text[k];
    }
    if (!ok) {
        sb_figure_free(fig);
        return sb_error_set(err, SB_ERR_NOMEM, "figure: out of memory");
    }
    *out = fig;
    return SB_OK;
}

void sb_figure_free(sb_figure *fig)
{
    if (!fig) return;
    for (int k = 0; k < PLOT_TXT_COUNT; k++) free(fig->text[k]);
    for (size_t i = 0; i < fig->nseries; i++) {
        free(fig->series[i].cols);
        free(fig->series[i].label);
        free(fig->series[i].color);
    }
    free(fig->series);
    for (size_t i = 0; i < fig->nmarkers; i++) {
        free(fig->markers[i].label);
        free(fig->markers[i].color);
    }
    free(fig->markers);
    for (size_t i = 0; i < fig->nxtics; i++) free(fig->xtic_label[i]);
    free(fig->xtic_label);
    free(fig->xtic_pos);
    free(fig);
}

sb_figure_options *sb_figure_options_of(sb_figure *fig) { return &fig->opt; }

size_t sb_figure_series_count(const sb_figure *fig) { return fig->nseries; }

sb_status sb_figure_set_text(sb_figure *fig, const char *which, const char *text,
                             sb_error *err)
{
    for (int k = 0; k < PLOT_TXT_COUNT; k++) {
        if (strcmp(which, text_names[k]) != 0) continue;
        bool ok = true;
        char *copy = plot_strdup(text, &ok);
        if (!ok) return sb_error_set(err, SB_ERR_NOMEM, "figure: out of memory");
        free(fig->text[k]);
        fig->text[k] = copy;
        *text_field(&fig->opt, k) = copy;
        return SB_OK;
    }
    return sb_error_set(err, SB_ERR_INVALID_ARG, "figure: unknown text field '%s'", which);
}

static bool is_color_mapped(sb_plot_style st)
{
    return st == SB_PLOT_COLOR_POINTS || st == SB_PLOT_ATOMS;
}

sb_status sb_figure_add_series(sb_figure *fig, const sb_plot_series *s, sb_error *err)
{
    const size_t idx = fig->nseries;
    if (s->n > 0 && (!s->x || !s->y))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "figure: series %zu has no x or y data",
                            idx);
    if ((int)s->style < 0 || s->style > SB_PLOT_ATOMS)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "figure: series %zu: unknown style %d",
                            idx, (int)s->style);
    if (is_color_mapped(s->style) && s->n > 0 && !s->value)
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "figure: series %zu: a colour-mapped style needs value[]", idx);
    if ((s->ylo == NULL) != (s->yhi == NULL))
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "figure: series %zu: ylo and yhi must be given together", idx);
    if (s->style == SB_PLOT_ERRORBARS && s->n > 0 && !s->yerr && !s->ylo)
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "figure: series %zu: error bars need yerr[] or ylo[]/yhi[]", idx);
    if (s->n > ((size_t)-1) / (PLOT_NCOL * sizeof(double)))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "figure: series %zu too long", idx);
    if (fig->nseries == fig->cap_series) {
        const size_t cap = fig->cap_series ? 2 * fig->cap_series : 8;
        plot_series *p = realloc(fig->series, cap * sizeof *p);
        if (!p) return sb_error_set(err, SB_ERR_NOMEM, "figure: out of memory");
        fig->series = p;
        fig->cap_series = cap;
    }
    plot_series ps;
    memset(&ps, 0, sizeof ps);
    ps.s = *s;
    bool ok = true;
    ps.cols = malloc((s->n ? s->n : 1) * PLOT_NCOL * sizeof(double));
    ps.label = plot_strdup(s->label, &ok);
    const char *color = s->color;
    if (!color && !is_color_mapped(s->style)) color = plot_cycle_color(fig->next_color++);
    ps.color = plot_strdup(color, &ok);
    if (!ps.cols || !ok) {
        free(ps.cols);
        free(ps.label);
        free(ps.color);
        return sb_error_set(err, SB_ERR_NOMEM, "figure: out of memory");
    }
    ps.has_err = s->yerr || s->ylo;
    ps.has_value = s->value != NULL;
    for (size_t i = 0; i < s->n; i++) {
        double *row = ps.cols + PLOT_NCOL * i;
        row[0] = s->x[i];
        row[1] = s->y[i];
        if (s->ylo) {
            row[2] = s->ylo[i];
            row[3] = s->yhi[i];
        } else if (s->yerr) {
            row[2] = s->y[i] - s->yerr[i];
            row[3] = s->y[i] + s->yerr[i];
        } else {
            row[2] = row[3] = NAN;
        }
        row[4] = s->value ? s->value[i] : NAN;
    }
    /* The copy's pointers describe the owned data; yerr is folded into ylo/yhi. */
    ps.s.x = ps.s.y = ps.s.yerr = ps.s.ylo = ps.s.yhi = ps.s.value = NULL;
    ps.s.label = ps.label;
    ps.s.color = ps.color;
    fig->series[fig->nseries++] = ps;
    return SB_OK;
}

sb_status sb_figure_add_marker(sb_figure *fig, const sb_plot_marker *m, sb_error *err)
{
    if (!isfinite(m->value))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "figure: marker line at non-finite %s",
                            m->vertical ? "x" : "y");
    if (fig->nmarkers == fig->cap_markers) {
        const size_t cap = fig->cap_markers ? 2 * fig->cap_markers : 4;
        plot_marker *p = realloc(fig->markers, cap * sizeof *p);
        if (!p) return sb_error_set(err, SB_ERR_NOMEM, "figure: out of memory");
        fig->markers = p;
        fig->cap_markers = cap;
    }
    plot_marker pm;
    pm.m = *m;
    bool ok = true;
    pm.label = plot_strdup(m->label, &ok);
    pm.color = plot_strdup(m->color ? m->color : "#444444", &ok);
    if (!ok) {
        free(pm.label);
        free(pm.color);
        return sb_error_set(err, SB_ERR_NOMEM, "figure: out of memory");
    }
    pm.m.label = pm.label;
    pm.m.color = pm.color;
    fig->markers[fig->nmarkers++] = pm;
    return SB_OK;
}

sb_status sb_figure_set_xtics(sb_figure *fig, size_t n, const double *pos,
                              const char *const *label, sb_error *err)
{
    double *p = malloc((n ? n : 1) * sizeof *p);
    char **l = calloc(n ? n : 1, sizeof *l);
    bool ok = p && l;
    for (size_t i = 0; ok && i < n; i++) {
        if (!isfinite(pos[i])) {
            for (size_t k = 0; k < i; k++) free(l[k]);
            free(p);
            free(l);
            return sb_error_set(err, SB_ERR_INVALID_ARG, "figure: x tic %zu at non-finite x", i);
        }
        p[i] = pos[i];
        l[i] = plot_strdup(label[i] ? label[i] : "", &ok);
    }
    if (!ok) {
        for (size_t k = 0; l && k < n; k++) free(l[k]);
        free(p);
        free(l);
        return sb_error_set(err, SB_ERR_NOMEM, "figure: out of memory");
    }
    for (size_t i = 0; i < fig->nxtics; i++) free(fig->xtic_label[i]);
    free(fig->xtic_label);
    free(fig->xtic_pos);
    fig->xtic_pos = p;
    fig->xtic_label = l;
    fig->nxtics = n;
    return SB_OK;
}
