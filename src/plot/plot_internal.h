/*
 * Private to src/plot/: the layout of an sb_figure and helpers shared by the files that
 * build, write and render figures.
 *
 * An sb_figure owns deep copies of everything it was given: each series' numbers live in
 * one block (x, y, ylo, yhi, value: 5 columns, NaN where absent), which is exactly the
 * column layout of the .dat file, so writing it is a plain loop.
 */
#ifndef SB_PLOT_INTERNAL_H
#define SB_PLOT_INTERNAL_H

#include <stdio.h>

#include "shearband/plot.h"

enum { PLOT_NCOL = 5 }; /* x y ylo yhi value */

typedef struct plot_series {
    sb_plot_series s; /* x, y, ... point into cols; label and color into the copies */
    double *cols;     /* n * PLOT_NCOL, row-major */
    char *label;
    char *color;
    bool has_err;     /* ylo/yhi columns are meaningful */
    bool has_value;
} plot_series;

typedef struct plot_marker {
    sb_plot_marker m;
    char *label;
    char *color;
} plot_marker;

/* The text fields of sb_figure_options, in one table so they can be copied uniformly. */
enum {
    PLOT_TXT_TITLE, PLOT_TXT_XLABEL, PLOT_TXT_YLABEL, PLOT_TXT_Y2LABEL, PLOT_TXT_CBLABEL,
    PLOT_TXT_DIAGONAL, PLOT_TXT_GNUPLOT, PLOT_TXT_PROVENANCE, PLOT_TXT_COUNT
};

struct sb_figure {
    sb_figure_options opt; /* its string fields point into text[] */
    char *text[PLOT_TXT_COUNT];
    plot_series *series;
    size_t nseries, cap_series;
    plot_marker *markers;
    size_t nmarkers, cap_markers;
    size_t nxtics;
    double *xtic_pos;
    char **xtic_label;
    int next_color;
};

/* The i-th colour of the default cycle (Okabe-Ito, colour-blind safe). */
const char *plot_cycle_color(int i);

/* Write s as a gnuplot single-quoted string ('' for a quote, newlines as spaces). */
void plot_put_string(FILE *fp, const char *s);

/* Duplicate a string (NULL stays NULL); *ok is cleared on allocation failure. */
char *plot_strdup(const char *s, bool *ok);

/* What one render draws: one figure, or several as panels of a grid. */
typedef struct plot_job {
    const sb_figure *const *figs;
    size_t n;
    int rows, cols;
    bool letters;
    const char *title; /* over all panels (the single figure's title is its own) */
    int width_px, height_px;
    const char *provenance;
    const double *placement; /* NULL or 4 per panel: x, y, w, h (screen fractions) */
} plot_job;

/* Write BASE.dat / BASE.gp (base_name is the file name without folder, used inside the
 * script so that it is independent of where the folder lives). */
sb_status plot_write_data(const plot_job *job, const char *path, sb_error *err);
sb_status plot_write_script(const plot_job *job, const char *path, const char *base_name,
                            sb_error *err);

/* Run `gnuplot -e SETUP SCRIPT` in folder dir; stderr is captured. On a non-zero exit the
 * error carries gnuplot's own message. Returns SB_ERR_UNSUPPORTED when the executable
 * cannot be run at all. */
sb_status plot_run_gnuplot(char *gnuplot, const char *dir, char *setup, char *script,
                           sb_error *err);

#endif
