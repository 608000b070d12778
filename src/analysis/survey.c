/*
 * The survey (shearband/survey.h): for every glass x orientation, the observed band from a
 * shear run and gamma of every indicator.
 *
 * Work per case: (1) make sure the shear run exists (reuse a finished run, resume an
 * interrupted one, or start it when run_missing); (2) read its snapshot at the band strain
 * and locate the band with the survey's own band options, so that f_top and w_SB can be
 * varied without re-running anything (METHOD.md 9.5); (3) rotate the undeformed glass into
 * the loading frame, get each indicator's per-atom values from its source, build its
 * profiles and take gamma at the observed band. Cases without a band are kept in the table
 * and excluded from the statistics; the confidence intervals resample loadings (a glass and
 * its pair of partner orientations, which load it identically), so the two runs of one
 * loading are not counted as independent evidence. The table is rewritten (atomically) after every case,
 * so an interrupted survey shows what it has done and a re-run reuses every finished run.
 */
#define _POSIX_C_SOURCE 200809L
#include "shearband/survey.h"

#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/fileutil.h"
#include "shearband/io.h"
#include "shearband/json.h"
#include "shearband/merit.h"
#include "shearband/orientation.h"
#include "shearband/plot.h"

sb_survey_options sb_survey_options_default(void)
{
    sb_survey_options o;
    memset(&o, 0, sizeof o);
    o.norientations = 24;
    for (int k = 0; k < 24; k++) o.orientations[k] = k;
    o.run_missing = true;
    o.shear = sb_shear_options_default();
    o.band_strain = 0.20;
    o.band = sb_band_options_default();
    o.dfs_width = 19.0;
    o.dfs_step = 1.0;
    o.ci_level = 0.95;
    o.bootstrap = 10000;
    o.bootstrap_seed = 20211;
    o.figures = true;
    return o;
}

/* ---- one case ----------------------------------------------------------------------- */

typedef struct survey_case {
    size_t glass;
    int orientation;
    int have_run;
    int found;
    int axis;
    double centre;      /* A, in the undeformed loading frame */
    double signed_pos;
    double gamma[SB_SURVEY_MAX_INDICATORS];
    double pred_signed[SB_SURVEY_MAX_INDICATORS];
    double delta[SB_SURVEY_MAX_INDICATORS];
    char recipe[96]; /* the run's AQS minimiser, line search and start (its shear.params) */
} survey_case;

/* The AQS recipe a run was made with, from its parameter record (shear.params) or, for a
 * run kept without it (datasets/runs holds shear.json), from the parameters of its
 * shear.json: a survey that reuses runs reports what they used, not the options it would
 * start new runs with. */
static void read_recipe(const char *run_dir, char *out, size_t sz)
{
    char path[4300], min[32] = "?", ls[32] = "?", ex[32] = "?";
    char *text = NULL;
    bool (*value)(const char *, const char *, char *, size_t) = sb_params_value;
    snprintf(path, sizeof path, "%s/shear.params", run_dir);
    if (sb_read_file(path, &text, NULL, NULL) != SB_OK) {
        value = sb_json_scalar;
        snprintf(path, sizeof path, "%s/shear.json", run_dir);
        (void)sb_read_file(path, &text, NULL, NULL); /* text stays NULL without either */
    }
    if (text) {
        value(text, "minimizer", min, sizeof min);
        value(text, "linesearch", ls, sizeof ls);
        value(text, "extrapolate", ex, sizeof ex);
        free(text);
    }
    if (!strcmp(min, "cg")) snprintf(out, sz, "cg, line %s, extrapolate %s", ls, ex);
    else snprintf(out, sz, "%s, extrapolate %s", min, ex);
}

/* Glass file name without folder and extension: the run-directory stem. */
static void glass_stem(const char *path, char *out, size_t sz)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    const char *base = basename(buf);
    snprintf(out, sz, "%s", base);
    char *dot = strrchr(out, '.');
    if (dot && dot != out) *dot = '\0';
}

static sb_status ensure_run(const sb_survey_options *opt, const sb_structure *glass, const char *run_dir,
                            int orientation, int *have, sb_error *err)
{
    char done[4200], ckpt[4200];
    sb_status rc = sb_path_join(done, sizeof done, run_dir, "shear.done", err);
    if (rc == SB_OK) rc = sb_path_join(ckpt, sizeof ckpt, run_dir, "checkpoint.txt", err);
    if (rc != SB_OK) return rc;
    *have = sb_file_exists(done);
    if (*have || !opt->run_missing) return SB_OK;
    sb_shear_options so = opt->shear;
    so.orientation = orientation;
    so.run_dir = run_dir;
    so.resume = sb_file_exists(ckpt);
    /* The band strain must be among the saved snapshots. */
    int saved = 0;
    for (int k = 0; k < so.nsave; k++) saved |= fabs(so.save[k] - opt->band_strain) < 1e-9;
    if (!saved && so.nsave < SB_SHEAR_MAX_SAVES) so.save[so.nsave++] = opt->band_strain;
    if (so.max_strain < opt->band_strain) so.max_strain = opt->band_strain;
    sb_shear_result res;
    rc = sb_shear(glass, &so, &res, err);
    if (rc != SB_OK) return sb_error_prefix(err, "shearing %s: ", run_dir);
    *have = 1;
    return SB_OK;
}

static sb_status locate_band(const sb_survey_options *opt, const char *run_dir, const sb_structure *loaded,
                             survey_case *c, sb_error *err)
{
    sb_band_result band = SB_BAND_RESULT_INIT;
    sb_status rc = sb_band_locate_run(run_dir, opt->band_strain, &opt->band, &band, err);
    if (rc == SB_OK) {
        c->found = band.found;
        c->axis = band.axis;
        /* Same reduced coordinate in the undeformed loading frame. */
        double w0[3];
        sb_cell_widths(&loaded->cell, w0);
        c->centre = band.centre / band.profile[band.axis].length * w0[band.axis];
        c->signed_pos = sb_profile_signed_position(c->axis, c->centre);
    }
    sb_band_result_free(&band);
    return rc;
}

static sb_status judge_case(const sb_survey_options *opt, size_t gi, const sb_structure *glass,
                            const sb_structure *loaded, survey_case *c, double *values, sb_error *err)
{
    for (int s = 0; s < opt->nsources; s++) {
        const sb_indicator_source *src = &opt->sources[s];
        c->gamma[s] = c->pred_signed[s] = c->delta[s] = NAN;
        sb_status rc = src->values(src->ctx, gi, glass, loaded, c->orientation, values, err);
        if (rc != SB_OK) return sb_error_prefix(err, "indicator %s: ", src->info->name);
        sb_profile prof[2] = {SB_PROFILE_INIT, SB_PROFILE_INIT};
        rc = sb_indicator_profiles(src->info, &loaded->cell, loaded->x, loaded->id, values, loaded->n,
                                   opt->dfs_width, opt->dfs_step, prof, err);
        if (rc == SB_OK) {
            sb_prediction pred;
            sb_indicator_predict(src->info, prof, &pred);
            c->pred_signed[s] = pred.signed_position;
            c->delta[s] = pred.delta;
            if (c->found) rc = sb_indicator_gamma(src->info, prof, c->axis, c->centre, &c->gamma[s], err);
        }
        sb_profile_free(&prof[0]);
        sb_profile_free(&prof[1]);
        if (rc != SB_OK) return rc;
    }
    return SB_OK;
}

/* ---- outputs ------------------------------------------------------------------------ */

static sb_status write_table(const sb_survey_options *opt, const survey_case *cases, size_t ncases,
                             sb_error *err)
{
    char path[4200];
    sb_status rc = sb_path_join(path, sizeof path, opt->out_dir, "survey.csv", err);
    if (rc != SB_OK) return rc;
    sb_atomic_file af;
    if ((rc = sb_atomic_open(&af, path, err)) != SB_OK) return rc;
    fprintf(af.fp, "glass,orientation,band_found,band_axis,band_signed_position_A");
    for (int s = 0; s < opt->nsources; s++) {
        const char *n = opt->sources[s].info->name;
        fprintf(af.fp, ",gamma_%s,predicted_signed_position_%s,delta_%s", n, n, n);
    }
    fputc('\n', af.fp);
    for (size_t k = 0; k < ncases; k++) {
        const survey_case *c = &cases[k];
        char stem[256];
        glass_stem(opt->glasses[c->glass], stem, sizeof stem);
        if (!c->have_run) {
            fprintf(af.fp, "%s,%d,no_run,,", stem, c->orientation);
            for (int s = 0; s < opt->nsources; s++) fprintf(af.fp, ",,,");
            fputc('\n', af.fp);
            continue;
        }
        fprintf(af.fp, "%s,%d,%d,%s,", stem, c->orientation, c->found, c->found ? (c->axis ? "horizontal" : "vertical") : "");
        if (c->found) fprintf(af.fp, "%.3f", c->signed_pos);
        for (int s = 0; s < opt->nsources; s++) {
            fputc(',', af.fp);
            if (c->found) fprintf(af.fp, "%.6f", c->gamma[s]);
            fprintf(af.fp, ",%.3f,%.6f", c->pred_signed[s], c->delta[s]);
        }
        fputc('\n', af.fp);
    }
    return sb_atomic_commit(&af, err);
}

static sb_status write_summary(const sb_survey_options *opt, const sb_survey_summary *sum,
                               const sb_gamma_summary *gs, const survey_case *cases, size_t ncases,
                               sb_error *err)
{
    char path[4200];
    sb_status rc = sb_path_join(path, sizeof path, opt->out_dir, "survey.json", err);
    if (rc != SB_OK) return rc;
    sb_atomic_file af;
    if ((rc = sb_atomic_open(&af, path, err)) != SB_OK) return rc;
    sb_json j;
    sb_json_start(&j, af.fp);
    sb_json_object(&j, NULL);
    sb_json_provenance(&j, opt->argc, opt->argv);
    sb_json_object(&j, "parameters");
    sb_json_array(&j, "glasses");
    for (size_t g = 0; g < opt->nglasses; g++) sb_json_str(&j, NULL, opt->glasses[g]);
    sb_json_end(&j);
    sb_json_array(&j, "orientations");
    for (int k = 0; k < opt->norientations; k++) sb_json_int(&j, NULL, opt->orientations[k]);
    sb_json_end(&j);
    sb_json_str(&j, "runs_dir", opt->runs_dir);
    sb_json_num(&j, "band_strain", opt->band_strain);
    sb_json_num(&j, "f_top", opt->band.f_top);
    sb_json_num(&j, "w_SB_A", opt->band.width);
    sb_json_num(&j, "band_step_A", opt->band.step);
    sb_json_num(&j, "band_z_min", opt->band.z_min);
    sb_json_num(&j, "band_concentration_min", opt->band.concentration_min);
    sb_json_num(&j, "w_DFS_A", opt->dfs_width);
    sb_json_num(&j, "dfs_step_A", opt->dfs_step);
    sb_json_num(&j, "ci_level", opt->ci_level);
    sb_json_int(&j, "bootstrap_resamples", (int64_t)opt->bootstrap);
    sb_json_int(&j, "bootstrap_seed", (int64_t)opt->bootstrap_seed);
    sb_json_num(&j, "shear_step", opt->shear.step);
    sb_json_str(&j, "new_runs_minimizer", sb_minimizer_name(opt->shear.minimizer));
    sb_json_num(&j, "shear_ftol", opt->shear.ftol);
    sb_json_end(&j);
    sb_json_int(&j, "cases", (int64_t)sum->cases);
    sb_json_int(&j, "cases_with_band", (int64_t)sum->with_band);
    sb_json_int(&j, "cases_without_band", (int64_t)sum->without_band);
    sb_json_int(&j, "cases_skipped_no_run", (int64_t)sum->skipped);
    /* The recipes of the runs used, with their counts (in order of first use). */
    sb_json_object(&j, "run_recipes");
    for (size_t c = 0; c < ncases; c++) {
        if (!cases[c].have_run) continue;
        bool seen = false;
        for (size_t d = 0; d < c && !seen; d++)
            seen = cases[d].have_run && !strcmp(cases[d].recipe, cases[c].recipe);
        if (seen) continue;
        int64_t n = 0;
        for (size_t d = c; d < ncases; d++) n += cases[d].have_run && !strcmp(cases[d].recipe, cases[c].recipe);
        sb_json_int(&j, cases[c].recipe, n);
    }
    sb_json_end(&j);
    sb_json_array(&j, "indicators");
    for (int s = 0; s < opt->nsources; s++) {
        sb_json_object(&j, NULL);
        sb_json_str(&j, "name", opt->sources[s].info->name);
        sb_json_str(&j, "description", opt->sources[s].info->description);
        sb_json_str(&j, "sense", opt->sources[s].info->sense == SB_HIGHER_FAVOURS_BAND ? "higher favours band"
                                                                                       : "lower favours band");
        sb_json_int(&j, "n", (int64_t)gs[s].n);
        sb_json_num(&j, "mean_gamma", gs[s].mean);
        sb_json_num(&j, "stderr", gs[s].stderr_mean);
        sb_json_num(&j, "ci_lo", gs[s].ci_lo);
        sb_json_num(&j, "ci_hi", gs[s].ci_hi);
        sb_json_int(&j, "loadings_resampled", (int64_t)gs[s].nclusters);
        sb_json_end(&j);
    }
    sb_json_end(&j);
    sb_json_finish(&j);
    return sb_atomic_commit(&af, err);
}

static sb_status render_figures(const sb_survey_options *opt, double *const *gam, const size_t *ng,
                                const sb_gamma_summary *gs, sb_error *err)
{
    const char *labels[SB_SURVEY_MAX_INDICATORS];
    double mean[SB_SURVEY_MAX_INDICATORS], lo[SB_SURVEY_MAX_INDICATORS], hi[SB_SURVEY_MAX_INDICATORS];
    const double *curves[SB_SURVEY_MAX_INDICATORS];
    size_t counts[SB_SURVEY_MAX_INDICATORS];
    size_t nc = 0, nload = 0;
    for (int s = 0; s < opt->nsources; s++) {
        if (ng[s] == 0) continue;
        nload = gs[s].nclusters > nload ? gs[s].nclusters : nload;
        labels[nc] = opt->sources[s].info->name;
        curves[nc] = gam[s];
        counts[nc] = ng[s];
        mean[nc] = gs[s].mean;
        lo[nc] = gs[s].ci_lo;
        hi[nc] = gs[s].ci_hi;
        nc++;
    }
    if (nc == 0) return SB_OK;
    char base[4200];
    sb_figure *fig = NULL;
    sb_figure_options fo = sb_figure_options_default();
    /* Titles carry the sample size: a CDF of 6 cases and one of 48 look alike. */
    size_t ncases = 0;
    for (size_t k = 0; k < nc; k++) ncases = counts[k] > ncases ? counts[k] : ncases;
    char title[160];
    snprintf(title, sizeof title, "C({/Symbol g}) over %zu cases with a band, %zu glass%s", ncases, opt->nglasses,
             opt->nglasses == 1 ? "" : "es");
    fo.title = title;
    sb_status rc = sb_figure_cdf(&fig, nc, counts, curves, labels, &fo, err);
    if (rc == SB_OK) rc = sb_path_join(base, sizeof base, opt->out_dir, "gamma_cdf", err);
    if (rc == SB_OK) rc = sb_plot_render(fig, base, err);
    sb_figure_free(fig);
    fig = NULL;
    if (rc != SB_OK) return rc;
    fo = sb_figure_options_default();
    snprintf(title, sizeof title, "mean {/Symbol g}, %.0f %% bootstrap CI over %zu loadings (%zu cases)",
             100 * opt->ci_level, nload, ncases);
    fo.title = title;
    fo.ymin = 0.0;
    fo.ymax = 1.05;
    /* A single loading has no interval (NaN): bars without error bars, not zero-width ones. */
    bool have_ci = true;
    for (size_t k = 0; k < nc; k++) have_ci = have_ci && isfinite(lo[k]) && isfinite(hi[k]);
    rc = sb_figure_bars(&fig, nc, labels, mean, have_ci ? lo : NULL, have_ci ? hi : NULL, 0.5,
                        "no predictive power", &fo, err);
    if (rc == SB_OK) rc = sb_path_join(base, sizeof base, opt->out_dir, "gamma_mean", err);
    if (rc == SB_OK) rc = sb_plot_render(fig, base, err);
    sb_figure_free(fig);
    return rc;
}

/* ---- driver ------------------------------------------------------------------------- */

sb_status sb_survey_run(const sb_survey_options *opt, sb_survey_summary *sum, sb_error *err)
{
    memset(sum, 0, sizeof *sum);
    if (opt->nglasses == 0) return sb_error_set(err, SB_ERR_INVALID_ARG, "survey needs at least one glass");
    if (opt->norientations < 1 || opt->norientations > 24)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "survey needs 1..24 orientations");
    if (opt->nsources < 1 || opt->nsources > SB_SURVEY_MAX_INDICATORS)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "survey needs 1..%d indicators", SB_SURVEY_MAX_INDICATORS);
    if (!opt->runs_dir || !opt->out_dir) return sb_error_set(err, SB_ERR_INVALID_ARG, "survey needs runs and output folders");
    for (int s = 0; s < opt->nsources; s++)
        if (!opt->sources[s].info || !opt->sources[s].values)
            return sb_error_set(err, SB_ERR_INVALID_ARG, "indicator source %d is incomplete", s);
    sb_status rc = sb_mkdir_p(opt->out_dir, err);
    if (rc == SB_OK) rc = sb_mkdir_p(opt->runs_dir, err);
    if (rc != SB_OK) return rc;

    const size_t ncases = opt->nglasses * (size_t)opt->norientations;
    survey_case *cases = calloc(ncases, sizeof *cases);
    if (!cases) return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate %zu survey cases", ncases);
    double *values = NULL;
    size_t k = 0;
    for (size_t g = 0; g < opt->nglasses && rc == SB_OK; g++) {
        sb_structure glass = SB_STRUCTURE_INIT;
        rc = sb_read_structure(opt->glasses[g], &glass, err);
        if (rc != SB_OK) break;
        double *grown = realloc(values, (glass.n ? glass.n : 1) * sizeof *values);
        if (!grown) {
            sb_structure_free(&glass);
            rc = sb_error_set(err, SB_ERR_NOMEM, "cannot allocate indicator values");
            break;
        }
        values = grown;
        char stem[256];
        glass_stem(opt->glasses[g], stem, sizeof stem);
        for (int o = 0; o < opt->norientations && rc == SB_OK; o++, k++) {
            survey_case *c = &cases[k];
            c->glass = g;
            c->orientation = opt->orientations[o];
            sum->cases++;
            char run_dir[4200];
            snprintf(run_dir, sizeof run_dir, "%s/%s_o%02d", opt->runs_dir, stem, c->orientation);
            rc = ensure_run(opt, &glass, run_dir, c->orientation, &c->have_run, err);
            if (rc != SB_OK) break;
            if (!c->have_run) {
                sum->skipped++;
                continue;
            }
            read_recipe(run_dir, c->recipe, sizeof c->recipe);
            sb_orientation ori;
            sb_structure loaded = SB_STRUCTURE_INIT;
            rc = sb_orientation_get(c->orientation, &ori, err);
            if (rc == SB_OK) rc = sb_orientation_apply(&ori, &glass, &loaded, err);
            if (rc == SB_OK) rc = locate_band(opt, run_dir, &loaded, c, err);
            if (rc == SB_OK) rc = judge_case(opt, g, &glass, &loaded, c, values, err);
            sb_structure_free(&loaded);
            if (rc == SB_OK) {
                if (c->found) sum->with_band++;
                else sum->without_band++;
                rc = write_table(opt, cases, k + 1, err);
            }
        }
        sb_structure_free(&glass);
    }
    free(values);

    double *gam[SB_SURVEY_MAX_INDICATORS] = {0};
    size_t ng[SB_SURVEY_MAX_INDICATORS] = {0};
    sb_gamma_summary gs[SB_SURVEY_MAX_INDICATORS];
    memset(gs, 0, sizeof gs);
    uint64_t *cluster = malloc((ncases ? ncases : 1) * sizeof *cluster);
    if (!cluster && rc == SB_OK) rc = sb_error_set(err, SB_ERR_NOMEM, "cannot allocate case clusters");
    for (int s = 0; s < opt->nsources && rc == SB_OK; s++) {
        gam[s] = malloc((ncases ? ncases : 1) * sizeof **gam);
        if (!gam[s]) {
            rc = sb_error_set(err, SB_ERR_NOMEM, "cannot allocate gamma values");
            break;
        }
        for (size_t c = 0; c < ncases; c++)
            if (cases[c].have_run && cases[c].found) {
                /* A case's loading: the glass and the pair {K, K^3} of orientations that load
                 * it identically; the bootstrap resamples loadings, not runs. */
                const int ko = cases[c].orientation, kp = sb_orientation_partner(ko);
                cluster[ng[s]] = (uint64_t)cases[c].glass * SB_NUM_ORIENTATIONS + (uint64_t)(ko < kp ? ko : kp);
                gam[s][ng[s]++] = cases[c].gamma[s];
            }
        sum->mean[s] = sum->ci_lo[s] = sum->ci_hi[s] = NAN;
        gs[s].mean = gs[s].ci_lo = gs[s].ci_hi = gs[s].stderr_mean = NAN;
        if (ng[s] > 0) {
            rc = sb_gamma_summarize_clustered(gam[s], cluster, ng[s], opt->ci_level, opt->bootstrap,
                                              opt->bootstrap_seed, &gs[s], err);
            sum->mean[s] = gs[s].mean;
            sum->ci_lo[s] = gs[s].ci_lo;
            sum->ci_hi[s] = gs[s].ci_hi;
        }
    }
    if (rc == SB_OK) rc = write_summary(opt, sum, gs, cases, ncases, err);
    if (rc == SB_OK && opt->figures) rc = render_figures(opt, gam, ng, gs, err);
    for (int s = 0; s < opt->nsources; s++) free(gam[s]);
    free(cluster);
    free(cases);
    return rc;
}
