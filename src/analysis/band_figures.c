/*
 * The figures of an observed band (the paper's Fig. 1): the per-atom D2min field projected
 * on the XY plane (a), and the two slab profiles on the signed axis with the band marked (b).
 * Positions are wrapped into the cell first so the map shows the cell's own shape (a
 * parallelogram once sheared).
 */
#include "shearband/band_figures.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/plot.h"

/* A title shown literally: gnuplot's enhanced text would read _ ^ { } @ & as markup. */
static void literal_title(const char *in, char *out, size_t sz)
{
    size_t k = 0;
    for (const char *p = in ? in : ""; *p && k + 3 < sz; p++) {
        if (strchr("_^{}@&~", *p)) out[k++] = '\\';
        out[k++] = *p;
    }
    out[k] = '\0';
}

sb_status sb_band_figures(const sb_band_result *band, const sb_cell *cell, const double *x,
                          const double *d2min, size_t n, const char *path_base, const char *title_text,
                          sb_error *err)
{
    char base[4200], title[512];
    literal_title(title_text, title, sizeof title);
    /* (b) profiles */
    sb_plot_profile px = {band->profile[0].n, band->profile[0].centre, band->profile[0].value};
    sb_plot_profile py = {band->profile[1].n, band->profile[1].centre, band->profile[1].value};
    sb_figure_options fo = sb_figure_options_default();
    fo.title = title;
    sb_figure *fig = NULL;
    sb_status rc = sb_figure_slab_profiles(&fig, px, py, band->found ? band->signed_position : NAN, &fo, err);
    if (rc == SB_OK) {
        snprintf(base, sizeof base, "%s_profiles", path_base);
        rc = sb_plot_render(fig, base, err);
    }
    sb_figure_free(fig);
    if (rc != SB_OK || !x || !d2min) return rc;

    /* (a) D2min map */
    double *xy = malloc((n ? n : 1) * 2 * sizeof *xy);
    if (!xy) return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate the D2min map");
    for (size_t i = 0; i < n; i++) {
        double r[3] = {x[3 * i], x[3 * i + 1], x[3 * i + 2]};
        sb_cell_wrap(cell, r, NULL);
        xy[i] = r[0];
        xy[n + i] = r[1];
    }
    sb_atom_map_options mo = sb_atom_map_options_default();
    mo.figure.title = title;
    mo.value_label = "D^2_{min} (Å^2)";
    snprintf(base, sizeof base, "%s_d2min_map", path_base);
    rc = sb_plot_atom_map(base, n, xy, xy + n, d2min, &mo, err);
    free(xy);
    return rc;
}
