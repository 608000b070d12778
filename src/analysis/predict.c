/*
 * Band prediction for one glass (shearband/predict.h; METHOD.md section 6).
 *
 * Per orientation: rotate the undeformed glass into the loading frame (the indicators are
 * evaluated there, as in the survey), ask the indicator source for per-atom values, build
 * the two slab profiles (DFS = fraction of fertile atoms per slab, or the slab mean for the
 * Voronoi indicators) with the band locator's sliding slabs, and take the predicted band at
 * the best slab over both axes and Delta = max - min. The verdict compares Delta with a
 * threshold whose value is only meaningful for the size and w_DFS it was calibrated on, so
 * the threshold and that caveat travel with every output.
 */
#define _POSIX_C_SOURCE 200809L
#include "shearband/predict.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/fertile.h"
#include "shearband/fileutil.h"
#include "shearband/indicator_model.h"
#include "shearband/io.h"
#include "shearband/json.h"
#include "shearband/orientation.h"
#include "shearband/plot.h"

const char *sb_predict_threshold_note(void)
{
    return "the Delta threshold (paper: 6 %) depends on system size and slab width and must be "
           "calibrated for this setup (shearband brittleness); the verdict is only as good as that calibration";
}

sb_predict_options sb_predict_options_default(void)
{
    sb_predict_options o;
    memset(&o, 0, sizeof o);
    o.indicator = "cnn";
    o.norientations = 1;
    o.orientations[0] = 0;
    o.out_dir = "predict";
    o.width = 19.0;
    o.step = 1.0;
    o.delta_threshold = 0.06;
    o.figures = true;
    o.band_strain = 0.20;
    o.band = sb_band_options_default();
    return o;
}

sb_status sb_predict_case(const sb_indicator_source *src, size_t glass_index, const sb_structure *glass,
                          int orientation, double width, double step, double threshold, double *values,
                          sb_profile prof[2], sb_predict_result *res, sb_error *err)
{
    memset(res, 0, sizeof *res);
    res->orientation = orientation;
    res->atoms = glass->n;
    res->threshold = threshold;
    sb_orientation ori;
    sb_structure loaded = SB_STRUCTURE_INIT;
    sb_status rc = sb_orientation_get(orientation, &ori, err);
    if (rc == SB_OK) rc = sb_orientation_apply(&ori, glass, &loaded, err);
    if (rc == SB_OK) {
        rc = src->values(src->ctx, glass_index, glass, &loaded, orientation, values, err);
        if (rc != SB_OK) sb_error_prefix(err, "indicator %s: ", src->info->name);
    }
    if (rc == SB_OK)
        rc = sb_indicator_profiles(src->info, &loaded.cell, loaded.x, loaded.id, values, loaded.n, width, step,
                                   prof, err);
    if (rc == SB_OK && src->info->rule != SB_PROFILE_SLAB_MEAN) {
        unsigned char *fert = malloc(glass->n ? glass->n : 1);
        if (!fert) rc = sb_error_set(err, SB_ERR_NOMEM, "cannot allocate fertile flags");
        if (rc == SB_OK) rc = sb_indicator_fertile(src->info, values, loaded.id, loaded.n, fert, err);
        for (size_t i = 0; rc == SB_OK && i < loaded.n; i++) res->fertile += fert[i];
        res->has_fertile = true;
        free(fert);
    }
    sb_structure_free(&loaded);
    if (rc != SB_OK) return rc;
    sb_indicator_predict(src->info, prof, &res->pred);
    res->vmin = INFINITY;
    res->vmax = -INFINITY;
    for (int a = 0; a < 2; a++)
        for (size_t k = 0; k < prof[a].n; k++) {
            if (prof[a].value[k] < res->vmin) res->vmin = prof[a].value[k];
            if (prof[a].value[k] > res->vmax) res->vmax = prof[a].value[k];
        }
    res->brittle = res->pred.delta > threshold;
    return SB_OK;
}

/* The observed band of a shear run, matched into the undeformed loading frame through the
 * reduced coordinate along the axis (an affine shear leaves it unchanged; the survey does
 * the same), and gamma of the prediction against it. */
static sb_status observe(const sb_predict_options *opt, const sb_indicator_info *info, const sb_profile prof[2],
                         sb_predict_result *r, sb_error *err)
{
    sb_band_result band = SB_BAND_RESULT_INIT;
    sb_status rc = sb_band_locate_run(opt->observed_run, opt->band_strain, &opt->band, &band, err);
    r->observed = rc == SB_OK;
    r->gamma = NAN;
    r->observed_signed = NAN;
    r->peak_signed = NAN;
    r->gamma_at_peak = NAN;
    if (rc == SB_OK) {
        r->observed_found = band.found;
        r->observed_axis = band.axis;
        snprintf(r->observed_reason, sizeof r->observed_reason, "%s", band.reason);
        /* The strongest localisation, even when the no-band rule rejects it. */
        const double peak = band.peak_centre / band.profile[band.axis].length * prof[band.axis].length;
        r->peak_signed = sb_profile_signed_position(band.axis, peak);
        rc = sb_indicator_gamma(info, prof, band.axis, peak, &r->gamma_at_peak, err);
        if (rc == SB_OK && band.found) {
            const double centre = band.centre / band.profile[band.axis].length * prof[band.axis].length;
            r->observed_signed = sb_profile_signed_position(band.axis, centre);
            rc = sb_indicator_gamma(info, prof, band.axis, centre, &r->gamma, err);
        }
    }
    sb_band_result_free(&band);
    return rc;
}

/* ---- outputs ------------------------------------------------------------------------ */

static sb_status write_profiles(const char *path, const sb_profile prof[2], sb_error *err)
{
    sb_atomic_file af;
    sb_status rc = sb_atomic_open(&af, path, err);
    if (rc != SB_OK) return rc;
    /* Read by sb_ensemble_read_dfs: the first three columns; the rest is for people. */
    fprintf(af.fp, "signed_position,dfs,axis,centre_A,atoms\n");
    for (int a = 0; a < 2; a++)
        for (size_t k = 0; k < prof[a].n; k++)
            fprintf(af.fp, "%.4f,%.8f,%c,%.4f,%zu\n", sb_profile_signed_position(a, prof[a].centre[k]),
                    prof[a].value[k], a ? 'y' : 'x', prof[a].centre[k], prof[a].count[k]);
    return sb_atomic_commit(&af, err);
}

static sb_status write_atoms(const char *path, const sb_indicator_info *info, const sb_structure *g,
                             const double *values, sb_error *err)
{
    unsigned char *fert = NULL;
    sb_status rc = SB_OK;
    if (info->rule != SB_PROFILE_SLAB_MEAN) {
        fert = malloc(g->n ? g->n : 1);
        if (!fert) return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate fertile flags");
        rc = sb_indicator_fertile(info, values, g->id, g->n, fert, err);
    }
    sb_atomic_file af;
    if (rc == SB_OK) rc = sb_atomic_open(&af, path, err);
    if (rc == SB_OK) {
        fprintf(af.fp, "id,type,%s,fertile\n", info->name);
        for (size_t i = 0; i < g->n; i++) {
            fprintf(af.fp, "%lld,%d,%.8g,", (long long)g->id[i], g->type[i], values[i]);
            if (fert) fprintf(af.fp, "%d", fert[i]);
            fputc('\n', af.fp);
        }
        rc = sb_atomic_commit(&af, err);
    }
    free(fert);
    return rc;
}

static void json_prediction(sb_json *j, const sb_predict_options *opt, const sb_predict_result *r)
{
    sb_json_int(j, "orientation", r->orientation);
    sb_json_int(j, "atoms", (int64_t)r->atoms);
    if (r->has_fertile) {
        sb_json_int(j, "fertile_atoms", (int64_t)r->fertile);
        sb_json_num(j, "fertile_fraction", r->atoms ? (double)r->fertile / (double)r->atoms : NAN);
    }
    sb_json_object(j, "predicted_band");
    sb_json_str(j, "orientation_of_band", r->pred.axis ? "horizontal" : "vertical");
    sb_json_str(j, "profile_axis", r->pred.axis ? "y" : "x");
    sb_json_num(j, "centre_A", r->pred.centre);
    sb_json_num(j, "signed_position_A", r->pred.signed_position);
    sb_json_num(j, "profile_value_at_band", r->pred.best);
    sb_json_end(j);
    sb_json_num(j, "profile_min", r->vmin);
    sb_json_num(j, "profile_max", r->vmax);
    sb_json_num(j, "delta", r->pred.delta);
    sb_json_num(j, "delta_threshold", opt->delta_threshold);
    sb_json_str(j, "verdict", r->brittle ? "brittle (band expected)" : "ductile (no band expected)");
    sb_json_str(j, "threshold_note", sb_predict_threshold_note());
    if (r->observed) {
        sb_json_object(j, "observed");
        sb_json_str(j, "run", opt->observed_run);
        sb_json_num(j, "band_strain", opt->band_strain);
        sb_json_num(j, "f_top", opt->band.f_top);
        sb_json_num(j, "w_SB_A", opt->band.width);
        sb_json_bool(j, "band_found", r->observed_found);
        sb_json_str(j, "reason", r->observed_reason);
        sb_json_str(j, "peak_axis", r->observed_axis ? "y" : "x");
        sb_json_num(j, "peak_signed_position_A", r->peak_signed);
        sb_json_num(j, "gamma_at_peak", r->gamma_at_peak);
        if (r->observed_found) {
            sb_json_str(j, "orientation_of_band", r->observed_axis ? "horizontal" : "vertical");
            sb_json_num(j, "signed_position_A", r->observed_signed);
            sb_json_num(j, "gamma", r->gamma);
        }
        sb_json_end(j);
    }
}

static sb_status write_json(const char *path, const char *glass_path, const sb_predict_options *opt,
                            const sb_indicator_info *info, const sb_predict_result *r, sb_error *err)
{
    sb_atomic_file af;
    sb_status rc = sb_atomic_open(&af, path, err);
    if (rc != SB_OK) return rc;
    sb_json j;
    sb_json_start(&j, af.fp);
    sb_json_object(&j, NULL);
    sb_json_provenance(&j, opt->argc, opt->argv);
    sb_json_object(&j, "parameters");
    sb_json_str(&j, "glass", glass_path);
    sb_json_str(&j, "indicator", info->name);
    sb_json_str(&j, "indicator_description", info->description);
    sb_json_str(&j, "sense", info->sense == SB_HIGHER_FAVOURS_BAND ? "higher favours band" : "lower favours band");
    sb_json_str(&j, "profile", info->rule == SB_PROFILE_SLAB_MEAN ? "slab mean" : "density of fertile sites");
    if (opt->model_path) sb_json_str(&j, "model", opt->model_path);
    if (opt->model_note) sb_json_str(&j, "model_note", opt->model_note);
    sb_json_num(&j, "w_DFS_A", opt->width);
    sb_json_num(&j, "step_A", opt->step);
    sb_json_num(&j, "delta_threshold", opt->delta_threshold);
    sb_json_end(&j);
    json_prediction(&j, opt, r);
    sb_json_finish(&j);
    return sb_atomic_commit(&af, err);
}

static sb_status render(const char *base, const sb_indicator_info *info, const sb_profile prof[2],
                        const sb_predict_result *r, const sb_predict_options *opt, sb_error *err)
{
    char title[256], band_label[96], obs_label[128];
    snprintf(title, sizeof title, "%s, orientation %d: {/Symbol D} = %.3f %s %.3f, %s", info->name,
             r->orientation, r->pred.delta, r->brittle ? ">" : "<=", opt->delta_threshold,
             r->brittle ? "brittle" : "ductile");
    snprintf(band_label, sizeof band_label, "predicted %s band", r->pred.axis ? "horizontal" : "vertical");
    sb_figure_options fo = sb_figure_options_default();
    fo.title = title;
    fo.ylabel = info->rule == SB_PROFILE_SLAB_MEAN ? "slab mean of the indicator" : "density of fertile sites (DFS)";
    fo.provenance = "shearband predict";
    /* Headroom above the profiles for the legend (inside, top right). */
    const double span = r->vmax > r->vmin ? r->vmax - r->vmin : fabs(r->vmax) + 1e-3;
    fo.ymin = r->vmin - 0.05 * span;
    fo.ymax = r->vmax + 0.75 * span;
    sb_figure *fig = NULL;
    const sb_plot_profile px = {prof[0].n, prof[0].centre, prof[0].value};
    const sb_plot_profile py = {prof[1].n, prof[1].centre, prof[1].value};
    sb_status rc = sb_figure_slab_profiles(&fig, px, py, NAN, &fo, err);
    if (rc == SB_OK) {
        sb_plot_marker m = sb_plot_marker_default();
        m.vertical = true;
        m.value = r->pred.signed_position;
        m.label = band_label;
        m.in_legend = true;
        m.color = "#D55E00";
        rc = sb_figure_add_marker(fig, &m, err);
    }
    if (rc == SB_OK && r->observed_found) {
        snprintf(obs_label, sizeof obs_label, "observed %s band ({/Symbol g} = %.2f)",
                 r->observed_axis ? "horizontal" : "vertical", r->gamma);
        sb_plot_marker m = sb_plot_marker_default();
        m.vertical = true;
        m.value = r->observed_signed;
        m.label = obs_label;
        m.in_legend = true;
        m.color = "#009E73";
        m.dash = SB_PLOT_SOLID;
        rc = sb_figure_add_marker(fig, &m, err);
    } else if (rc == SB_OK && r->observed && isfinite(r->peak_signed)) {
        snprintf(obs_label, sizeof obs_label, "D2min peak, no band called ({/Symbol g} there %.2f)", r->gamma_at_peak);
        sb_plot_marker m = sb_plot_marker_default();
        m.vertical = true;
        m.value = r->peak_signed;
        m.label = obs_label;
        m.in_legend = true;
        m.color = "#808080";
        m.dash = SB_PLOT_DOTTED;
        rc = sb_figure_add_marker(fig, &m, err);
    }
    if (rc == SB_OK) rc = sb_plot_render(fig, base, err);
    sb_figure_free(fig);
    return rc;
}

sb_status sb_predict_run(const char *glass_path, const sb_predict_options *opt, sb_predict_result *res,
                         sb_error *err)
{
    if (opt->norientations < 1 || opt->norientations > 24)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "predict needs 1..24 orientations");
    if (!(opt->width > 0) || !(opt->step > 0))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "slab width %g and step %g must be positive", opt->width,
                            opt->step);
    if (!opt->out_dir) return sb_error_set(err, SB_ERR_INVALID_ARG, "predict needs an output folder");
    if (opt->observed_run && opt->norientations != 1)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "an observed run (%s) belongs to one orientation, not %d",
                            opt->observed_run, opt->norientations);
    sb_indicator_source src;
    sb_status rc = sb_indicator_source_open(opt->indicator, opt->model_path, &src, err);
    if (rc != SB_OK) return rc;
    sb_structure glass = SB_STRUCTURE_INIT;
    rc = sb_read_structure(glass_path, &glass, err);
    if (rc == SB_OK && glass.ntypes > 2)
        rc = sb_error_set(err, SB_ERR_INVALID_ARG, "%s: %d atom types; a two-species Cu-Zr glass is expected",
                          glass_path, glass.ntypes);
    if (rc == SB_OK) rc = sb_mkdir_p(opt->out_dir, err);
    double *values = NULL;
    if (rc == SB_OK) {
        values = malloc((glass.n ? glass.n : 1) * sizeof *values);
        if (!values) rc = sb_error_set(err, SB_ERR_NOMEM, "cannot allocate indicator values");
    }
    sb_atomic_file table;
    char path[4200], name[64];
    if (rc == SB_OK) rc = sb_path_join(path, sizeof path, opt->out_dir, "predict.csv", err);
    if (rc == SB_OK) rc = sb_atomic_open(&table, path, err);
    if (rc != SB_OK) {
        free(values);
        sb_structure_free(&glass);
        sb_indicator_source_close(&src);
        return rc;
    }
    fprintf(table.fp, "orientation,band,signed_position_A,centre_A,value_at_band,delta,threshold,verdict,fertile\n");
    for (int o = 0; o < opt->norientations && rc == SB_OK; o++) {
        sb_profile prof[2] = {SB_PROFILE_INIT, SB_PROFILE_INIT};
        sb_predict_result *r = &res[o];
        rc = sb_predict_case(&src, 0, &glass, opt->orientations[o], opt->width, opt->step, opt->delta_threshold,
                             values, prof, r, err);
        if (rc == SB_OK && opt->observed_run) rc = observe(opt, src.info, prof, r, err);
        if (rc == SB_OK) {
            snprintf(name, sizeof name, "dfs_o%02d.csv", r->orientation);
            rc = sb_path_join(path, sizeof path, opt->out_dir, name, err);
        }
        if (rc == SB_OK) rc = write_profiles(path, prof, err);
        if (rc == SB_OK) {
            snprintf(name, sizeof name, "atoms_o%02d.csv", r->orientation);
            rc = sb_path_join(path, sizeof path, opt->out_dir, name, err);
        }
        if (rc == SB_OK) rc = write_atoms(path, src.info, &glass, values, err);
        if (rc == SB_OK) {
            snprintf(name, sizeof name, "predict_o%02d.json", r->orientation);
            rc = sb_path_join(path, sizeof path, opt->out_dir, name, err);
        }
        if (rc == SB_OK) rc = write_json(path, glass_path, opt, src.info, r, err);
        if (rc == SB_OK && opt->figures) {
            snprintf(name, sizeof name, "dfs_o%02d", r->orientation);
            rc = sb_path_join(path, sizeof path, opt->out_dir, name, err);
            if (rc == SB_OK) rc = render(path, src.info, prof, r, opt, err);
        }
        if (rc == SB_OK) {
            fprintf(table.fp, "%d,%s,%.3f,%.3f,%.6f,%.6f,%.4f,%s,", r->orientation,
                    r->pred.axis ? "horizontal" : "vertical", r->pred.signed_position, r->pred.centre, r->pred.best,
                    r->pred.delta, r->threshold, r->brittle ? "brittle" : "ductile");
            if (r->has_fertile) fprintf(table.fp, "%zu", r->fertile);
            fputc('\n', table.fp);
        }
        sb_profile_free(&prof[0]);
        sb_profile_free(&prof[1]);
    }
    if (rc == SB_OK) rc = sb_atomic_commit(&table, err);
    else sb_atomic_abort(&table);
    free(values);
    sb_structure_free(&glass);
    sb_indicator_source_close(&src);
    return rc;
}
