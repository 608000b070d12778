/*
 * Brittle vs ductile over a T_q sweep and the calibration of the Delta threshold
 * (shearband/brittleness.h; METHOD.md 6, 9.4; the paper's Fig. 5).
 *
 * Glasses first, hottest first: each one's quench branches off the next hotter one
 * (sb_quench_options.branch_from), so the sweep is one cooling trajectory stopped at every
 * T_q and costs the MD of the coldest glass alone (reuse DIR/glasses/tq<T>.data, resume an
 * interrupted quench). With anneal_time, each glass is then held at its T_q with swap MC:
 * the cooling is still shared (each branch leaves the trajectory where its anneal begins),
 * the anneals are each glass's own. Then per glass: Delta of the chosen indicator in orientation K on
 * the minimised glass (sb_predict_case), then the verification shear in DIR/runs/tq<T>_oKK
 * (reuse, resume or start) and the band locator on its snapshot at the band strain. The threshold is calibrated by scanning the intervals
 * between sorted Delta values (the classification is constant on each), which is exact and
 * O(n^2) for the few glasses of a sweep. The table is rewritten after every glass.
 */
#define _POSIX_C_SOURCE 200809L
#include "shearband/brittleness.h"
#include "shearband/indicator_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/fileutil.h"
#include "shearband/io.h"
#include "shearband/json.h"
#include "shearband/plot.h"
#include "shearband/predict.h"

/* ---- calibration -------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

sb_status sb_threshold_calibrate(const double *delta, const bool *banded, size_t n, sb_threshold_calibration *cal,
                                 sb_error *err)
{
    memset(cal, 0, sizeof *cal);
    if (n == 0) return sb_error_set(err, SB_ERR_INVALID_ARG, "threshold calibration needs at least one glass");
    for (size_t i = 0; i < n; i++)
        if (!isfinite(delta[i])) return sb_error_set(err, SB_ERR_INVALID_ARG, "Delta of glass %zu is not finite", i);
    double *d = malloc(n * sizeof *d);
    if (!d) return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate %zu Delta values", n);
    memcpy(d, delta, n * sizeof *d);
    qsort(d, n, sizeof *d, cmp_double);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || d[i] != d[m - 1]) d[m++] = d[i];
    size_t npos = 0;
    for (size_t i = 0; i < n; i++) npos += banded[i];
    const size_t nneg = n - npos;
    cal->n = n;
    cal->nbanded = npos;
    double best = -1.0;
    size_t best_mis = n + 1;
    /* Interval k: t in [d_{k-1}, d_k) with d_{-1} = -inf, d_m = +inf; a representative t is
     * d_{k-1} itself (or below d_0 for k = 0): brittle iff delta > t. */
    for (size_t k = 0; k <= m; k++) {
        size_t tp = 0, tn = 0, fp = 0, fn = 0;
        for (size_t i = 0; i < n; i++) {
            const bool brittle = k == 0 ? true : delta[i] > d[k - 1];
            if (brittle && banded[i]) tp++;
            else if (brittle) fp++;
            else if (banded[i]) fn++;
            else tn++;
        }
        double score;
        if (npos && nneg) score = 0.5 * ((double)tp / (double)npos + (double)tn / (double)nneg);
        else score = (double)(tp + tn) / (double)n;
        const size_t mis = fp + fn;
        if (score > best + 1e-12 || (fabs(score - best) <= 1e-12 && mis < best_mis)) {
            best = score;
            best_mis = mis;
            cal->lo = k == 0 ? -INFINITY : d[k - 1];
            cal->hi = k == m ? INFINITY : d[k];
            cal->misclassified = mis;
            cal->false_brittle = fp;
            cal->false_ductile = fn;
        }
    }
    cal->balanced_accuracy = best;
    cal->threshold = isfinite(cal->lo) && isfinite(cal->hi) ? 0.5 * (cal->lo + cal->hi) : NAN;
    free(d);
    return SB_OK;
}

/* ---- the sweep ---------------------------------------------------------------------- */

sb_brittleness_options sb_brittleness_options_default(void)
{
    sb_brittleness_options o;
    memset(&o, 0, sizeof o);
    const double tq[] = {600, 700, 800, 900, 1000};
    o.ntq = 5;
    memcpy(o.tq, tq, sizeof tq);
    o.dir = "brittleness";
    o.quench = sb_quench_options_default();
    o.shear = sb_shear_options_default();
    o.shear.step = 1e-3;
    o.orientation = 0;
    o.band_strain = 0.20;
    o.band = sb_band_options_default();
    o.indicator = "cnn";
    o.dfs_width = 19.0;
    o.dfs_step = 1.0;
    o.delta_threshold = 0.06;
    o.figures = true;
    return o;
}

static sb_status make_glass(const sb_brittleness_options *opt, double tq, const char *gdir, const char *data,
                            const char *branch, sb_brittleness_glass *g, sb_error *err)
{
    if (sb_file_exists(data)) {
        g->quench_reused = true;
        /* Its energy from the record the quench wrote next to it. */
        char json[4200], *text = NULL, val[64];
        if (sb_quench_record_path(data, json, sizeof json, NULL) == SB_OK &&
            sb_read_file(json, &text, NULL, NULL) == SB_OK &&
            sb_json_scalar(text, "energy_eV_per_atom", val, sizeof val)) {
            char *end;
            const double e = strtod(val, &end); /* "null" (unknown) stays NaN */
            if (end != val && *end == '\0' && isfinite(e)) g->pe_per_atom = e;
        }
        free(text);
        return SB_OK;
    }
    char restart[4200];
    sb_status rc = sb_path_join(restart, sizeof restart, gdir, "quench.restart", err);
    if (rc != SB_OK) return rc;
    sb_quench_options q = opt->quench;
    q.tq = tq;
    q.run_dir = gdir;
    q.output = data;
    q.resume = sb_file_exists(restart);
    q.branch_from = branch;
    if (opt->anneal_time > 0) {
        q.swap_anneal = true;
        q.swap_temp = tq;
        q.swap_time = opt->anneal_time;
    }
    q.argc = opt->argc;
    q.argv = opt->argv;
    sb_quench_result qr;
    rc = sb_quench(&q, &qr, err);
    if (rc != SB_OK) return sb_error_prefix(err, "quench to T_q = %g K: ", tq);
    g->md_steps_run = qr.md_steps_run;
    g->pe_per_atom = qr.pe_per_atom;
    return SB_OK;
}

static sb_status verify_shear(const sb_brittleness_options *opt, const sb_structure *glass, const char *run_dir,
                              sb_brittleness_glass *g, sb_error *err)
{
    char done[4200], ckpt[4200];
    sb_status rc = sb_path_join(done, sizeof done, run_dir, "shear.done", err);
    if (rc == SB_OK) rc = sb_path_join(ckpt, sizeof ckpt, run_dir, "checkpoint.txt", err);
    if (rc != SB_OK) return rc;
    if (sb_file_exists(done)) {
        g->shear_reused = true;
    } else {
        sb_shear_options so = opt->shear;
        so.orientation = opt->orientation;
        so.run_dir = run_dir;
        so.resume = sb_file_exists(ckpt);
        so.nsave = 1;
        so.save[0] = opt->band_strain;
        so.max_strain = opt->band_strain;
        so.argc = opt->argc;
        so.argv = opt->argv;
        sb_shear_result sr;
        rc = sb_shear(glass, &so, &sr, err);
        if (rc != SB_OK) return sb_error_prefix(err, "verification shear %s: ", run_dir);
        g->shear_steps_run = sr.steps_run;
    }
    sb_band_result band = SB_BAND_RESULT_INIT;
    rc = sb_band_locate_run(run_dir, opt->band_strain, &opt->band, &band, err);
    if (rc == SB_OK) {
        g->banded = band.found;
        g->band_signed = band.found ? band.signed_position : NAN;
    }
    sb_band_result_free(&band);
    return rc;
}

static sb_status write_table(const sb_brittleness_options *opt, const sb_brittleness_result *res, sb_error *err)
{
    char path[4200];
    sb_status rc = sb_path_join(path, sizeof path, opt->dir, "brittleness.csv", err);
    sb_atomic_file af;
    if (rc == SB_OK) rc = sb_atomic_open(&af, path, err);
    if (rc != SB_OK) return rc;
    fprintf(af.fp, "tq_K,pe_per_atom_eV,delta,banded,band_signed_position_A,predicted_signed_position_A,"
                   "verdict_at_threshold\n");
    for (size_t k = 0; k < res->n; k++) {
        const sb_brittleness_glass *g = &res->glass[k];
        fprintf(af.fp, "%g,%.6f,%.6f,%d,", g->tq, g->pe_per_atom, g->delta, g->banded);
        if (g->banded) fprintf(af.fp, "%.3f", g->band_signed);
        fprintf(af.fp, ",%.3f,%s\n", g->predicted_signed, g->delta > opt->delta_threshold ? "brittle" : "ductile");
    }
    return sb_atomic_commit(&af, err);
}

static void json_bound(sb_json *j, const char *key, double v)
{
    if (isfinite(v)) sb_json_num(j, key, v);
    else sb_json_null(j, key);
}

static sb_status write_json(const sb_brittleness_options *opt, const sb_brittleness_result *res, sb_error *err)
{
    char path[4200];
    sb_status rc = sb_path_join(path, sizeof path, opt->dir, "brittleness.json", err);
    sb_atomic_file af;
    if (rc == SB_OK) rc = sb_atomic_open(&af, path, err);
    if (rc != SB_OK) return rc;
    sb_json j;
    sb_json_start(&j, af.fp);
    sb_json_object(&j, NULL);
    sb_json_provenance(&j, opt->argc, opt->argv);
    sb_json_object(&j, "parameters");
    sb_json_num(&j, "rate_K_per_s", opt->quench.rate);
    /* hold at T_q with swap Monte Carlo before the minimisation, ps (0: none) */
    sb_json_num(&j, "anneal_at_tq_ps", opt->anneal_time > 0 ? opt->anneal_time : 0.0);
    sb_json_int(&j, "atoms", (int64_t)opt->quench.natoms);
    sb_json_num(&j, "cu_percent", opt->quench.cu_percent);
    sb_json_int(&j, "seed", (int64_t)opt->quench.seed);
    sb_json_int(&j, "orientation", opt->orientation);
    sb_json_num(&j, "shear_step", opt->shear.step);
    sb_json_num(&j, "band_strain", opt->band_strain);
    sb_json_num(&j, "f_top", opt->band.f_top);
    sb_json_num(&j, "w_SB_A", opt->band.width);
    sb_json_num(&j, "band_z_min", opt->band.z_min);
    sb_json_num(&j, "band_concentration_min", opt->band.concentration_min);
    sb_json_str(&j, "indicator", opt->indicator);
    if (opt->model_path) sb_json_str(&j, "model", opt->model_path);
    sb_json_num(&j, "w_DFS_A", opt->dfs_width);
    sb_json_num(&j, "dfs_step_A", opt->dfs_step);
    sb_json_num(&j, "delta_threshold_given", opt->delta_threshold);
    sb_json_end(&j);
    sb_json_array(&j, "glasses");
    for (size_t k = 0; k < res->n; k++) {
        const sb_brittleness_glass *g = &res->glass[k];
        sb_json_object(&j, NULL);
        sb_json_num(&j, "tq_K", g->tq);
        sb_json_num(&j, "delta", g->delta);
        sb_json_bool(&j, "banded", g->banded);
        json_bound(&j, "band_signed_position_A", g->band_signed);
        sb_json_num(&j, "predicted_signed_position_A", g->predicted_signed);
        sb_json_end(&j);
    }
    sb_json_end(&j);
    const sb_threshold_calibration *c = &res->cal;
    sb_json_object(&j, "calibration");
    sb_json_str(&j, "rule", "brittle when Delta > t; t maximises balanced accuracy over the glasses; "
                            "valid only for this system size and w_DFS");
    sb_json_int(&j, "glasses", (int64_t)c->n);
    sb_json_int(&j, "banded", (int64_t)c->nbanded);
    json_bound(&j, "interval_lo", c->lo);
    json_bound(&j, "interval_hi", c->hi);
    json_bound(&j, "threshold", c->threshold);
    sb_json_num(&j, "balanced_accuracy", c->balanced_accuracy);
    sb_json_int(&j, "misclassified", (int64_t)c->misclassified);
    sb_json_int(&j, "false_brittle", (int64_t)c->false_brittle);
    sb_json_int(&j, "false_ductile", (int64_t)c->false_ductile);
    sb_json_end(&j);
    sb_json_finish(&j);
    return sb_atomic_commit(&af, err);
}

static sb_status render(const sb_brittleness_options *opt, const sb_brittleness_result *res, sb_error *err)
{
    double x[SB_BRITTLENESS_MAX_GLASSES], y[SB_BRITTLENESS_MAX_GLASSES];
    bool b[SB_BRITTLENESS_MAX_GLASSES];
    for (size_t k = 0; k < res->n; k++) {
        x[k] = res->glass[k].tq;
        y[k] = res->glass[k].delta;
        b[k] = res->glass[k].banded;
    }
    const bool have_cal = isfinite(res->cal.threshold);
    const double thr = have_cal ? res->cal.threshold : opt->delta_threshold;
    char label[96], title[160];
    snprintf(label, sizeof label, have_cal ? "calibrated threshold %.3f" : "threshold %.3f (given, not calibrated)",
             thr);
    snprintf(title, sizeof title, "%s, orientation %d: %zu of %zu glasses banded", opt->indicator,
             opt->orientation, res->cal.nbanded, res->n);
    sb_figure_options fo = sb_figure_options_default();
    fo.title = title;
    fo.xlabel = "T_q (K)";
    fo.ylabel = "{/Symbol D} (profile max - min)";
    /* Delta >= 0: start at 0 and keep the threshold line inside the frame. */
    double top = thr;
    for (size_t k = 0; k < res->n; k++)
        if (y[k] > top) top = y[k];
    fo.ymin = 0.0;
    fo.ymax = 1.15 * top;
    fo.provenance = "shearband brittleness";
    sb_figure *fig = NULL;
    char base[4200];
    sb_status rc = sb_figure_threshold_scatter(&fig, res->n, x, y, b, thr, label, &fo, err);
    if (rc == SB_OK) rc = sb_path_join(base, sizeof base, opt->dir, "delta_vs_tq", err);
    if (rc == SB_OK) rc = sb_plot_render(fig, base, err);
    sb_figure_free(fig);
    return rc;
}

/* Folder, data file and verification-run folder of glass k. */
static sb_status glass_paths(const sb_brittleness_options *opt, size_t k, const char *gdirs, const char *rdirs,
                             char gdir[4200], char data[4200], char run_dir[4200], sb_error *err)
{
    char stem[64], name[96];
    snprintf(stem, sizeof stem, "tq%g", opt->tq[k]);
    sb_status rc = sb_path_join(gdir, 4200, gdirs, stem, err);
    snprintf(name, sizeof name, "%s.data", stem);
    if (rc == SB_OK) rc = sb_path_join(data, 4200, gdirs, name, err);
    snprintf(name, sizeof name, "%s_o%02d", stem, opt->orientation);
    if (rc == SB_OK) rc = sb_path_join(run_dir, 4200, rdirs, name, err);
    return rc;
}

/* All glasses of the sweep, hottest first, each branching off the next hotter one: the
 * glasses share one cooling trajectory (same melt, same rate) and differ only in where it
 * stops, which is what a T_q sweep means, at the MD cost of the coldest glass alone. */
static sb_status make_glasses(const sb_brittleness_options *opt, const char *gdirs, const char *rdirs,
                              sb_brittleness_result *res, sb_error *err)
{
    size_t order[SB_BRITTLENESS_MAX_GLASSES];
    for (size_t k = 0; k < opt->ntq; k++) order[k] = k;
    for (size_t a = 1; a < opt->ntq; a++) /* insertion sort, descending T_q */
        for (size_t b = a; b > 0 && opt->tq[order[b]] > opt->tq[order[b - 1]]; b--) {
            const size_t t = order[b];
            order[b] = order[b - 1];
            order[b - 1] = t;
        }
    char hotter[4200] = "";
    sb_status rc = SB_OK;
    for (size_t r = 0; r < opt->ntq && rc == SB_OK; r++) {
        const size_t k = order[r];
        sb_brittleness_glass *g = &res->glass[k];
        g->pe_per_atom = NAN; /* from the quench, or the record of a glass reused */
        char gdir[4200], data[4200], run_dir[4200], mark[4200];
        rc = glass_paths(opt, k, gdirs, rdirs, gdir, data, run_dir, err);
        if (rc == SB_OK) rc = sb_mkdir_p(gdir, err);
        if (rc != SB_OK) break;
        rc = make_glass(opt, opt->tq[k], gdir, data, hotter[0] ? hotter : NULL, g, err);
        /* The next colder glass branches off this one if its MD is kept: the restart of a
         * finished quench, or with anneal_time the state where its cooling from the melt
         * ended (the anneal at its own T_q is not on the colder glass's schedule). A glass
         * reused from elsewhere without it makes the next one start from the melt. */
        if (rc == SB_OK && sb_path_join(mark, sizeof mark, gdir,
                                        opt->anneal_time > 0 ? "quench.cooled.restart" : "quench.done",
                                        err) == SB_OK)
            snprintf(hotter, sizeof hotter, "%s", sb_file_exists(mark) ? gdir : "");
    }
    return rc;
}

sb_status sb_brittleness_run(const sb_brittleness_options *opt, sb_brittleness_result *res, sb_error *err)
{
    memset(res, 0, sizeof *res);
    if (opt->ntq < 1 || opt->ntq > SB_BRITTLENESS_MAX_GLASSES)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "brittleness needs 1..%d T_q values", SB_BRITTLENESS_MAX_GLASSES);
    if (!opt->dir) return sb_error_set(err, SB_ERR_INVALID_ARG, "brittleness needs a folder");
    /* One glass per T_q: a repeat names the same glass and shear (tqT), a duplicate row. */
    for (size_t a = 0; a < opt->ntq; a++)
        for (size_t b = 0; b < a; b++)
            if (opt->tq[a] == opt->tq[b])
                return sb_error_set(err, SB_ERR_INVALID_ARG, "T_q %g K given twice", opt->tq[a]);
    sb_indicator_source src;
    sb_status rc = sb_indicator_source_open(opt->indicator, opt->model_path, &src, err);
    if (rc != SB_OK) return rc;
    char gdirs[4200], rdirs[4200];
    rc = sb_path_join(gdirs, sizeof gdirs, opt->dir, "glasses", err);
    if (rc == SB_OK) rc = sb_path_join(rdirs, sizeof rdirs, opt->dir, "runs", err);
    if (rc == SB_OK) rc = sb_mkdir_p(gdirs, err);
    if (rc == SB_OK) rc = sb_mkdir_p(rdirs, err);
    if (rc == SB_OK) rc = make_glasses(opt, gdirs, rdirs, res, err);
    double *values = NULL;
    for (size_t k = 0; k < opt->ntq && rc == SB_OK; k++) {
        sb_brittleness_glass *g = &res->glass[k];
        g->tq = opt->tq[k];
        g->band_signed = NAN;
        char gdir[4200], data[4200], run_dir[4200];
        rc = glass_paths(opt, k, gdirs, rdirs, gdir, data, run_dir, err);
        sb_structure glass = SB_STRUCTURE_INIT;
        if (rc == SB_OK) rc = sb_read_structure(data, &glass, err);
        if (rc == SB_OK) {
            double *grown = realloc(values, (glass.n ? glass.n : 1) * sizeof *values);
            if (!grown) rc = sb_error_set(err, SB_ERR_NOMEM, "cannot allocate indicator values");
            else values = grown;
        }
        sb_profile prof[2] = {SB_PROFILE_INIT, SB_PROFILE_INIT};
        sb_predict_result pr;
        if (rc == SB_OK)
            rc = sb_predict_case(&src, k, &glass, opt->orientation, opt->dfs_width, opt->dfs_step,
                                 opt->delta_threshold, values, prof, &pr, err);
        sb_profile_free(&prof[0]);
        sb_profile_free(&prof[1]);
        if (rc == SB_OK) {
            g->delta = pr.pred.delta;
            g->predicted_signed = pr.pred.signed_position;
            rc = verify_shear(opt, &glass, run_dir, g, err);
        }
        sb_structure_free(&glass);
        if (rc == SB_OK) {
            res->n = k + 1;
            rc = write_table(opt, res, err);
        }
    }
    free(values);
    sb_indicator_source_close(&src);
    if (rc != SB_OK) return rc;
    double d[SB_BRITTLENESS_MAX_GLASSES];
    bool b[SB_BRITTLENESS_MAX_GLASSES];
    for (size_t k = 0; k < res->n; k++) {
        d[k] = res->glass[k].delta;
        b[k] = res->glass[k].banded;
    }
    rc = sb_threshold_calibrate(d, b, res->n, &res->cal, err);
    if (rc == SB_OK) rc = write_json(opt, res, err);
    if (rc == SB_OK && opt->figures) rc = render(opt, res, err);
    return rc;
}
