/*
 * Rendering (shearband/plot.h): write BASE.dat and BASE.gp (script.c), then run gnuplot
 * (gnuplot_run.c) and move the images into place.
 *
 * The renderer runs
 *     gnuplot -e "sb_png='BASE.png.tmp.PID'; sb_svg='BASE.svg.tmp.PID'" BASE.gp
 * in the figure's folder and renames the temporaries into place only when gnuplot
 * succeeded, so a failed render leaves no image at all (stale images of an earlier render
 * are removed first: an image must always match the .dat/.gp beside it).
 * File names reach gnuplot only as quoted string literals and the child is started with
 * execv (no shell), so spaces and quotes in paths are harmless.
 */
#define _POSIX_C_SOURCE 200809L
#include "plot_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *sb_plot_gnuplot_path(const sb_figure_options *opt)
{
    if (opt && opt->gnuplot && opt->gnuplot[0]) return opt->gnuplot;
    const char *env = getenv("SB_GNUPLOT");
    if (env && env[0]) return env;
#ifdef SB_GNUPLOT
    return SB_GNUPLOT;
#else
    return "gnuplot";
#endif
}

/* Resolve a command name without '/' through PATH, as execvp would. */
static bool resolve_executable(const char *name, char *out, size_t outsz)
{
    if (strchr(name, '/')) {
        if (access(name, X_OK) != 0) return false;
        snprintf(out, outsz, "%s", name);
        return true;
    }
    const char *path = getenv("PATH");
    if (!path || !path[0]) path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *end = strchr(path, ':');
        const size_t len = end ? (size_t)(end - path) : strlen(path);
        const int n = snprintf(out, outsz, "%.*s/%s", (int)len, path, name);
        struct stat sb;
        if (len > 0 && n > 0 && (size_t)n < outsz && stat(out, &sb) == 0 &&
            S_ISREG(sb.st_mode) && access(out, X_OK) == 0)
            return true;
        path += len + (end ? 1 : 0);
    }
    return false;
}

bool sb_plot_gnuplot_available(const sb_figure_options *opt)
{
    char exe[4096];
    return resolve_executable(sb_plot_gnuplot_path(opt), exe, sizeof exe);
}

/* path_base "dir/name" -> dir ("." when none) and name. */
static sb_status split_base(const char *path_base, char *dir, size_t dsz, char *name,
                            size_t nsz, sb_error *err)
{
    for (const unsigned char *c = (const unsigned char *)path_base; *c; c++)
        if (*c < 0x20 || *c == 0x7f) /* cannot be written inside a gnuplot string */
            return sb_error_set(err, SB_ERR_INVALID_ARG,
                                "figure: output path contains a control character (byte %u)",
                                (unsigned)*c);
    const char *slash = strrchr(path_base, '/');
    const char *nm = slash ? slash + 1 : path_base;
    if (!nm[0])
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "figure: output path '%s' names a folder, not a file base",
                            path_base);
    if (strlen(nm) + 24 >= nsz || strlen(path_base) + 24 >= dsz)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "figure: output path too long: %s",
                            path_base);
    strcpy(name, nm);
    if (!slash) strcpy(dir, ".");
    else if (slash == path_base) strcpy(dir, "/");
    else snprintf(dir, dsz, "%.*s", (int)(slash - path_base), path_base);
    return SB_OK;
}

/* Write "sb_png='NAME.png.tmp.PID'; sb_svg=..." (or '' for an output not wanted). */
static void temp_setup(char *setup, size_t sz, const char *png_tmp, const char *svg_tmp)
{
    size_t w = 0;
    const char *vals[2] = {png_tmp, svg_tmp}, *vars[2] = {"sb_png", "sb_svg"};
    for (int v = 0; v < 2; v++) {
        w += (size_t)snprintf(setup + w, w < sz ? sz - w : 0, "%s%s='", v ? "; " : "", vars[v]);
        for (const char *p = vals[v]; *p && w + 3 < sz; p++) {
            if (*p == '\'') setup[w++] = '\'';
            setup[w++] = *p;
        }
        if (w + 2 < sz) setup[w++] = '\'';
        setup[w < sz ? w : sz - 1] = '\0';
    }
}

/* Check the job, write BASE.dat and BASE.gp, run gnuplot, move the images into place. */
static sb_status render_job(const plot_job *job, const char *path_base, sb_error *err)
{
    const sb_figure *fig = job->figs[0];
    for (size_t p = 0; p < job->n; p++) {
        bool any = job->figs[p]->opt.diagonal;
        for (size_t i = 0; i < job->figs[p]->nseries; i++) any |= job->figs[p]->series[i].s.n > 0;
        if (!any)
            return sb_error_set(err, SB_ERR_INVALID_ARG, "%s: figure%s has no data to plot",
                                path_base, job->n > 1 ? " panel" : "");
    }
    if (!fig->opt.png && !fig->opt.svg)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "%s: neither png nor svg output asked for",
                            path_base);
    char dir[4200], name[4200];
    sb_status st = split_base(path_base, dir, sizeof dir, name, sizeof name, err);
    if (st != SB_OK) return st;
    struct stat sbuf;
    if (stat(dir, &sbuf) != 0 || !S_ISDIR(sbuf.st_mode))
        return sb_error_set(err, SB_ERR_IO, "%s: output folder '%s' does not exist", path_base,
                            dir);

    char dat[4300], gp[4300], png[4300], svg[4300];
    snprintf(dat, sizeof dat, "%s.dat", path_base);
    snprintf(gp, sizeof gp, "%s.gp", path_base);
    snprintf(png, sizeof png, "%s.png", path_base);
    snprintf(svg, sizeof svg, "%s.svg", path_base);
    /* Images of an earlier render would no longer match the new data: remove them. */
    remove(png);
    remove(svg);
    st = plot_write_data(job, dat, err);
    if (st == SB_OK) st = plot_write_script(job, gp, name, err);
    if (st != SB_OK) return st;

    char exe[4096];
    const char *gnuplot = sb_plot_gnuplot_path(&fig->opt);
    if (!resolve_executable(gnuplot, exe, sizeof exe))
        return sb_error_set(err, SB_ERR_UNSUPPORTED,
                            "gnuplot not found (tried '%s'; set SB_GNUPLOT or install "
                            "gnuplot); data and script written to %s and %s",
                            gnuplot, dat, gp);

    const long pid = (long)getpid();
    char png_tmp_name[4300], svg_tmp_name[4300], png_tmp[8600], svg_tmp[8600];
    snprintf(png_tmp_name, sizeof png_tmp_name, "%s.png.tmp.%ld", name, pid);
    snprintf(svg_tmp_name, sizeof svg_tmp_name, "%s.svg.tmp.%ld", name, pid);
    snprintf(png_tmp, sizeof png_tmp, "%s/%s", dir, png_tmp_name);
    snprintf(svg_tmp, sizeof svg_tmp, "%s/%s", dir, svg_tmp_name);
    char setup[9000], script[4300];
    temp_setup(setup, sizeof setup, fig->opt.png ? png_tmp_name : "",
               fig->opt.svg ? svg_tmp_name : "");
    snprintf(script, sizeof script, "%s.gp", name);

    st = plot_run_gnuplot(exe, dir, setup, script, err);
    if (st == SB_OK) {
        const char *tmps[2] = {png_tmp, svg_tmp}, *finals[2] = {png, svg};
        const bool want[2] = {fig->opt.png, fig->opt.svg};
        for (int e = 0; e < 2 && st == SB_OK; e++) {
            if (!want[e]) continue;
            if (stat(tmps[e], &sbuf) != 0 || sbuf.st_size == 0)
                st = sb_error_set(err, SB_ERR_IO, "%s: gnuplot reported success but wrote no "
                                  "image", finals[e]);
        }
        for (int e = 0; e < 2 && st == SB_OK; e++) {
            if (want[e] && rename(tmps[e], finals[e]) != 0)
                st = sb_error_set(err, SB_ERR_IO, "%s: cannot rename into place: %s",
                                  finals[e], strerror(errno));
        }
        if (st != SB_OK) {
            remove(png);
            remove(svg);
        }
    } else if (st == SB_ERR_UNSUPPORTED) {
        sb_error_prefix(err, "gnuplot could not be run (data and script written to %s and %s): ",
                        dat, gp);
    } else {
        sb_error_prefix(err, "%s: ", gp);
    }
    remove(png_tmp);
    remove(svg_tmp);
    return st;
}

sb_status sb_plot_render(const sb_figure *fig, const char *path_base, sb_error *err)
{
    if (!fig || !path_base)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "figure: NULL figure or path");
    const plot_job job = {.figs = &fig, .n = 1, .rows = 1, .cols = 1, .letters = false,
                          .title = NULL, .width_px = fig->opt.width_px,
                          .height_px = fig->opt.height_px, .provenance = fig->opt.provenance};
    return render_job(&job, path_base, err);
}

sb_panel_options sb_panel_options_default(void)
{
    sb_panel_options o;
    memset(&o, 0, sizeof o);
    o.letters = true;
    return o;
}

sb_status sb_plot_render_panels(const sb_figure *const *figs, size_t n,
                                const sb_panel_options *opt, const char *path_base,
                                sb_error *err)
{
    if (!figs || n == 0 || !path_base)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "panels: no figures or no path");
    for (size_t p = 0; p < n; p++)
        if (!figs[p]) return sb_error_set(err, SB_ERR_INVALID_ARG, "panels: figure %zu is NULL", p);
    const sb_panel_options o = opt ? *opt : sb_panel_options_default();
    if (n > 26)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "panels: %zu panels (at most 26)", n);
    if (o.placement) {
        for (size_t p = 0; p < n; p++) {
            const double *pl = o.placement + 4 * p;
            if (!(pl[0] >= 0 && pl[1] >= 0 && pl[2] > 0 && pl[3] > 0 && pl[0] + pl[2] <= 1.0001 &&
                  pl[1] + pl[3] <= 1.0001))
                return sb_error_set(err, SB_ERR_INVALID_ARG,
                                    "panels: placement of panel %zu (%g %g %g %g) is not inside "
                                    "the image (fractions 0..1)",
                                    p, pl[0], pl[1], pl[2], pl[3]);
        }
    }
    int rows = o.rows, cols = o.cols;
    if (rows < 0 || cols < 0)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "panels: negative rows or cols");
    if (rows == 0 && cols == 0) rows = 1;
    if (cols == 0) cols = (int)((n + (size_t)rows - 1) / (size_t)rows);
    if (rows == 0) rows = (int)((n + (size_t)cols - 1) / (size_t)cols);
    if ((size_t)rows * (size_t)cols < n)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "panels: %zu figures do not fit %d x %d",
                            n, rows, cols);
    const sb_figure_options *f0 = &figs[0]->opt;
    const int gc = o.placement ? 1 : cols, gr = o.placement ? 1 : rows;
    const int w = o.width_px > 0 ? o.width_px : gc * f0->width_px;
    const int h = o.height_px > 0 ? o.height_px : gr * f0->height_px;
    if (w < 100 || h < 100 || w > 20000 || h > 20000)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "panels: size %d x %d px out of range", w,
                            h);
    const plot_job job = {.figs = figs, .n = n, .rows = rows, .cols = cols,
                          .letters = o.letters, .title = o.title, .width_px = w,
                          .height_px = h,
                          .provenance = o.provenance ? o.provenance : f0->provenance,
                          .placement = o.placement};
    return render_job(&job, path_base, err);
}
