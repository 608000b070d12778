/*
 * The figures module (shearband/plot.h) end to end with the real gnuplot: every builder
 * renders a PNG (magic and IHDR size checked), an SVG (XML, carries the title), a .dat
 * whose numbers are checked against hand-computed oracles (signed axis, histogram counts,
 * CDF staircase, colour-range percentile, draw order) and a .gp that re-renders on its
 * own from another folder. Failure paths: gnuplot's own error message comes back and no
 * image is left; a missing gnuplot gives SB_ERR_UNSUPPORTED and still writes .dat/.gp.
 * Tests are skipped (not passed) only if gnuplot is not installed.
 */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plot/plot_internal.h"
#include "shearband/fileutil.h"
#include "shearband/plot.h"

/* ---------------------------------------------------------------- helpers */

static void need_gnuplot(void)
{
    if (!sb_plot_gnuplot_available(NULL))
        cr_skip_test("gnuplot not installed (%s)", sb_plot_gnuplot_path(NULL));
}

/* SB_TEST_TMP/plot/<sub>, created; returns a static buffer. */
static const char *tmpdir(const char *sub)
{
    static char dir[4096];
    const char *root = getenv("SB_TEST_TMP");
    snprintf(dir, sizeof dir, "%s/plot/%s", root && root[0] ? root : "/tmp/sb_test_tmp", sub);
    sb_error e;
    cr_assert_eq(sb_mkdir_p(dir, &e), SB_OK, "%s", e.msg);
    return dir;
}

static char *path_of(char *buf, size_t sz, const char *dir, const char *name)
{
    snprintf(buf, sz, "%s/%s", dir, name);
    return buf;
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    const long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    const size_t got = fread(s, 1, (size_t)n, fp);
    s[got] = '\0';
    fclose(fp);
    return s;
}

static bool file_contains(const char *path, const char *needle)
{
    char *s = slurp(path);
    const bool yes = s && strstr(s, needle);
    free(s);
    return yes;
}

/* PNG signature, then the IHDR chunk: big-endian width and height. */
static bool png_size(const char *path, unsigned *w, unsigned *h)
{
    unsigned char b[24];
    FILE *fp = fopen(path, "rb");
    if (!fp) return false;
    const size_t got = fread(b, 1, sizeof b, fp);
    fclose(fp);
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (got != sizeof b || memcmp(b, sig, 8) != 0 || memcmp(b + 12, "IHDR", 4) != 0)
        return false;
    *w = (unsigned)b[16] << 24 | (unsigned)b[17] << 16 | (unsigned)b[18] << 8 | b[19];
    *h = (unsigned)b[20] << 24 | (unsigned)b[21] << 16 | (unsigned)b[22] << 8 | b[23];
    return true;
}

static void check_png(const char *base, unsigned want_w, unsigned want_h)
{
    char p[4200];
    snprintf(p, sizeof p, "%s.png", base);
    unsigned w = 0, h = 0;
    cr_assert(png_size(p, &w, &h), "%s is not a PNG", p);
    cr_expect_eq(w, want_w, "%s: width %u", p, w);
    cr_expect_eq(h, want_h, "%s: height %u", p, h);
}

static void check_svg(const char *base, const char *title_word)
{
    char p[4200];
    snprintf(p, sizeof p, "%s.svg", base);
    char *s = slurp(p);
    cr_assert(s, "%s missing", p);
    const char *start = s;
    while (*start == ' ' || *start == '\n') start++;
    cr_expect(strncmp(start, "<?xml", 5) == 0 || strncmp(start, "<svg", 4) == 0,
              "%s does not start as XML", p);
    cr_expect(strstr(s, "</svg>") != NULL, "%s is not closed", p);
    if (title_word) cr_expect(strstr(s, title_word) != NULL, "%s lacks '%s'", p, title_word);
    free(s);
}

static void check_all(const char *base, unsigned w, unsigned h, const char *title_word)
{
    char p[4200];
    check_png(base, w, h);
    check_svg(base, title_word);
    snprintf(p, sizeof p, "%s.dat", base);
    cr_expect(sb_file_exists(p), "%s missing", p);
    snprintf(p, sizeof p, "%s.gp", base);
    cr_expect(sb_file_exists(p), "%s missing", p);
}

/* Run `gnuplot SCRIPT` from cwd; returns the exit status (-1 if it could not run). */
static int run_gnuplot(const char *script, const char *cwd)
{
    const pid_t pid = fork();
    if (pid == 0) {
        if (chdir(cwd) != 0) _exit(126);
        execl(sb_plot_gnuplot_path(NULL), "gnuplot", script, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The .gp re-renders both images on its own, run from another folder. */
static void check_standalone(const char *base, unsigned w, unsigned h)
{
    char gp[4200], png[4200], svg[4200];
    snprintf(gp, sizeof gp, "%s.gp", base);
    snprintf(png, sizeof png, "%s.png", base);
    snprintf(svg, sizeof svg, "%s.svg", base);
    remove(png);
    remove(svg);
    cr_assert_eq(run_gnuplot(gp, "/"), 0, "gnuplot %s failed", gp);
    check_png(base, w, h);
    check_svg(base, NULL);
}

/* Rows of data block `index` of a .dat file (columns x y ylo yhi value). */
static size_t read_block(const char *dat, int index, double (*rows)[5], size_t max)
{
    FILE *fp = fopen(dat, "r");
    cr_assert(fp, "cannot open %s", dat);
    char line[512];
    int block = 0, blank = 0;
    bool in_data = false;
    size_t n = 0;
    while (fgets(line, sizeof line, fp)) {
        if (line[0] == '\n') {
            blank++;
            if (blank == 2 && in_data) {
                block++;
                in_data = false;
            }
            continue;
        }
        blank = 0;
        if (line[0] == '#') continue;
        in_data = true;
        if (block != index || n >= max) continue;
        double *r = rows[n];
        char c[5][64];
        cr_assert_eq(sscanf(line, "%63s %63s %63s %63s %63s", c[0], c[1], c[2], c[3], c[4]), 5,
                     "bad row: %s", line);
        for (int k = 0; k < 5; k++) r[k] = strcmp(c[k], "NaN") == 0 ? NAN : strtod(c[k], NULL);
        n++;
    }
    fclose(fp);
    return n;
}

static bool no_temp_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return false;
    bool clean = true;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp.")) clean = false;
    closedir(d);
    return clean;
}

/* ---------------------------------------------------------------- generic figure */

Test(plot, generic_figure_all_styles_render_and_rerender)
{
    need_gnuplot();
    const char *dir = tmpdir("generic");
    char base[4200];
    path_of(base, sizeof base, dir, "styles");
    double x[12], y[12], e[12], lo[12], hi[12], v[12];
    for (int i = 0; i < 12; i++) {
        x[i] = i;
        y[i] = sin(0.5 * i) + 2;
        e[i] = 0.1 + 0.02 * i;
        lo[i] = y[i] - 0.3;
        hi[i] = y[i] + 0.1;
        v[i] = i * i;
    }
    sb_figure_options o = sb_figure_options_default();
    o.title = "Zebra styles";
    o.xlabel = "x (Å)";
    o.ylabel = "y";
    o.y2label = "y2";
    sb_figure *fig;
    sb_error err;
    cr_assert_eq(sb_figure_create(&fig, &o, &err), SB_OK, "%s", err.msg);
    const sb_plot_style styles[] = {SB_PLOT_LINES, SB_PLOT_POINTS, SB_PLOT_LINESPOINTS,
                                    SB_PLOT_STEPS, SB_PLOT_BOXES, SB_PLOT_ERRORBARS,
                                    SB_PLOT_BARS_ERRORBARS, SB_PLOT_COLOR_POINTS};
    for (size_t k = 0; k < sizeof styles / sizeof styles[0]; k++) {
        sb_plot_series s = sb_plot_series_default();
        s.n = 12;
        s.x = x;
        s.y = y;
        s.style = styles[k];
        if (styles[k] == SB_PLOT_ERRORBARS) s.yerr = e;
        if (styles[k] == SB_PLOT_BARS_ERRORBARS) {
            s.ylo = lo;
            s.yhi = hi;
            s.label_values = true;
        }
        if (styles[k] == SB_PLOT_COLOR_POINTS) s.value = v;
        s.axis = (k % 2) ? SB_PLOT_Y2 : SB_PLOT_Y1;
        s.dash = (sb_plot_dash)(k % 4);
        s.label = "series";
        cr_assert_eq(sb_figure_add_series(fig, &s, &err), SB_OK, "%s", err.msg);
    }
    sb_plot_marker m = sb_plot_marker_default();
    m.value = 5.5;
    m.label = "band";
    cr_assert_eq(sb_figure_add_marker(fig, &m, &err), SB_OK, "%s", err.msg);
    m.vertical = false;
    m.value = 2.0;
    m.label = "threshold 6 %";
    cr_assert_eq(sb_figure_add_marker(fig, &m, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(sb_figure_series_count(fig), 8);
    cr_assert_eq(sb_plot_render(fig, base, &err), SB_OK, "%s", err.msg);
    sb_figure_free(fig);
    check_all(base, 1000, 700, "Zebra");
    cr_expect(no_temp_files(dir));

    /* yerr folded into ylo/yhi in block 5; other blocks carry NaN there. */
    char dat[4300];
    snprintf(dat, sizeof dat, "%s.dat", base);
    double rows[16][5];
    cr_assert_eq(read_block(dat, 5, rows, 16), 12);
    for (int i = 0; i < 12; i++) {
        cr_expect_float_eq(rows[i][2], y[i] - e[i], 1e-9);
        cr_expect_float_eq(rows[i][3], y[i] + e[i], 1e-9);
    }
    cr_assert_eq(read_block(dat, 0, rows, 16), 12);
    cr_expect(isnan(rows[3][2]) && isnan(rows[3][4]));
    cr_expect(file_contains(dat, "# shearband "), "no provenance line in %s", dat);
    check_standalone(base, 1000, 700);
}

Test(plot, options_size_and_png_only)
{
    need_gnuplot();
    const char *dir = tmpdir("sizes");
    char base[4200];
    path_of(base, sizeof base, dir, "small");
    const double x[] = {1, 2, 3}, y[] = {1, 4, 9};
    sb_figure_options o = sb_figure_options_default();
    o.width_px = 640;
    o.height_px = 480;
    o.svg = false;
    o.xlog = o.ylog = true;
    sb_figure *fig;
    sb_error err;
    cr_assert_eq(sb_figure_create(&fig, &o, &err), SB_OK);
    sb_plot_series s = sb_plot_series_default();
    s.n = 3;
    s.x = x;
    s.y = y;
    cr_assert_eq(sb_figure_add_series(fig, &s, &err), SB_OK);
    cr_assert_eq(sb_figure_set_text(fig, "title", "set later", &err), SB_OK);
    cr_assert_eq(sb_figure_set_text(fig, "nonsense", "x", &err), SB_ERR_INVALID_ARG);
    cr_assert_eq(sb_plot_render(fig, base, &err), SB_OK, "%s", err.msg);
    sb_figure_free(fig);
    check_png(base, 640, 480);
    char svg[4300], gp[4300];
    snprintf(svg, sizeof svg, "%s.svg", base);
    snprintf(gp, sizeof gp, "%s.gp", base);
    cr_expect(!sb_file_exists(svg), "svg written although not asked for");
    cr_expect(file_contains(gp, "set title 'set later'"));
    cr_expect(file_contains(gp, "set logscale x"));
}

/* ---------------------------------------------------------------- builders */

Test(plot, slab_profiles_on_signed_axis)
{
    need_gnuplot();
    const char *dir = tmpdir("builders");
    char base[4200];
    path_of(base, sizeof base, dir, "slab");
    double pos[40], fx[40], fy[40];
    for (int i = 0; i < 40; i++) {
        pos[i] = 1.0 + 2.0 * i;
        fx[i] = 0.01;
        fy[i] = 0.01 + 0.03 * exp(-pow((pos[i] - 30) / 5, 2));
    }
    sb_plot_profile px = {40, pos, fx}, py = {40, pos, fy};
    sb_figure_options o = sb_figure_options_default();
    o.title = "Slab profiles";
    sb_figure *fig;
    sb_error err;
    cr_assert_eq(sb_figure_slab_profiles(&fig, px, py, 31.0, &o, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(sb_plot_render(fig, base, &err), SB_OK, "%s", err.msg);
    sb_figure_free(fig);
    check_all(base, 1000, 700, "Slab");
    char dat[4300], gp[4300];
    snprintf(dat, sizeof dat, "%s.dat", base);
    snprintf(gp, sizeof gp, "%s.gp", base);
    double rows[64][5];
    /* X profile at -x, increasing: first row is -79 (the slab at x = 79). */
    cr_assert_eq(read_block(dat, 0, rows, 64), 40);
    cr_expect_float_eq(rows[0][0], -79.0, 1e-12);
    cr_expect_float_eq(rows[39][0], -1.0, 1e-12);
    for (int i = 1; i < 40; i++) cr_expect_lt(rows[i - 1][0], rows[i][0]);
    /* Y profile at +y, unchanged. */
    cr_assert_eq(read_block(dat, 1, rows, 64), 40);
    for (int i = 0; i < 40; i++) {
        cr_expect_float_eq(rows[i][0], pos[i], 1e-12);
        cr_expect_float_eq(rows[i][1], fy[i], 1e-9);
    }
    /* The band line (stopping below the legend at the top) and the axis fitted to the
     * data. */
    cr_expect(file_contains(gp, "set arrow 2 from first 31, graph 0 to first 31, graph 0."));
    cr_expect(file_contains(gp, "title 'band (horizontal)'"));
    cr_expect(file_contains(gp, "set xrange [-79:79]"));
    check_standalone(base, 1000, 700);
}

Test(plot, dfs_with_band_histogram_on_second_axis)
{
    need_gnuplot();
    const char *dir = tmpdir("builders");
    char base[4200];
    path_of(base, sizeof base, dir, "dfs");
    double pos[20], d[20];
    for (int i = 0; i < 20; i++) {
        pos[i] = 2.0 * i + 1;
        d[i] = 0.1 + 0.01 * sin(i);
    }
    sb_plot_profile px = {20, pos, d}, py = {20, pos, d};
    const double bands[] = {-20.2, -19.9, -20.4, 31.0, 30.6, NAN};
    sb_figure *fig;
    sb_error err;
    cr_assert_eq(sb_figure_dfs_bands(&fig, px, py, 6, bands, 1.0, NULL, &err), SB_OK, "%s",
                 err.msg);
    cr_assert_eq(sb_plot_render(fig, base, &err), SB_OK, "%s", err.msg);
    sb_figure_free(fig);
    check_all(base, 1000, 700, "fertile");
    char dat[4300], gp[4300];
    snprintf(dat, sizeof dat, "%s.dat", base);
    snprintf(gp, sizeof gp, "%s.gp", base);
    double rows[8][5];
    /* Bins of width 1 centred on integers: 3 bands at -20, 2 at +31, the NaN ignored
     * (block 0: the histogram is drawn first, under the DFS curve in blocks 1-2). */
    cr_assert_eq(read_block(dat, 0, rows, 8), 2);
    cr_expect_float_eq(rows[0][0], -20.0, 1e-12);
    cr_expect_float_eq(rows[0][1], 3.0, 1e-12);
    cr_expect_float_eq(rows[1][0], 31.0, 1e-12);
    cr_expect_float_eq(rows[1][1], 2.0, 1e-12);
    double prof[32][5];
    cr_assert_eq(read_block(dat, 1, prof, 32), 20);
    cr_expect_float_eq(prof[0][0], -39.0, 1e-12);
    cr_expect(file_contains(gp, "axes x1y2 with boxes"));
    cr_expect(file_contains(gp, "set y2tics"));
    cr_assert_eq(sb_figure_dfs_bands(&fig, px, py, 6, bands, 0.0, NULL, &err),
                 SB_ERR_INVALID_ARG);
}

Test(plot, stress_strain_overlay_few_and_many)
{
    need_gnuplot();
    const char *dir = tmpdir("builders");
    char base[4200];
    enum { NC = 12, NP = 50 };
    double strain[NP], stress[NC][NP];
    const double *xs[NC], *ys[NC];
    size_t n[NC];
    for (int c = 0; c < NC; c++) {
        for (int i = 0; i < NP; i++) {
            strain[i] = 0.004 * i;
            stress[c][i] = 2.0 * tanh(strain[i] / (0.06 + 0.002 * c));
        }
        xs[c] = strain;
        ys[c] = stress[c];
        n[c] = NP;
    }
    const char *labels[3] = {"T_q = 700 K", NULL, "it's 900 K"};
    sb_figure *fig;
    sb_error err;
    path_of(base, sizeof base, dir, "stress3");
    cr_assert_eq(sb_figure_stress_strain(&fig, 3, n, xs, ys, labels, NULL, &err), SB_OK);
    cr_assert_eq(sb_plot_render(fig, base, &err), SB_OK, "%s", err.msg);
    sb_figure_free(fig);
    check_all(base, 1000, 700, "stress");
    path_of(base, sizeof base, dir, "stress12");
    cr_assert_eq(sb_figure_stress_strain(&fig, NC, n, xs, ys, NULL, NULL, &err), SB_OK);
    cr_assert_eq(sb_figure_series_count(fig), NC);
    cr_assert_eq(sb_plot_render(fig, base, &err), SB_OK, "%s", err.msg);
    sb_figure_free(fig);
    check_all(base, 1000, 700, NULL);
}

Test(plot, cdf_staircase_and_diagonal)
{
    need_gnuplot();
    const char *dir = tmpdir("builders");
    char base[4200];
    path_of(base, sizeof base, dir, "cdf");
    const double g1[] = {0.5, 0.25, NAN, 0.75};
    const double g2[] = {0.9, 0.95, 0.99, 0.6, 0.8};
    const double *g[2] = {g1, g2};
    const size_t n[2] = {4, 5};
    const char *labels[2] = {"CNN", "ρ_a"};
    sb_figure *fig;
    sb_error err;
    cr_assert_eq(sb_figure_cdf(&fig, 2, n, g, labels, NULL, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(sb_plot_render(fig, base, &err), SB_OK, "%s", err.msg);
    sb_figure_free(fig);
    check_all(base, 1000, 700, "CNN");
    char dat[4300], gp[4300];
    snprintf(dat, sizeof dat, "%s.dat", base);
    snprintf(gp, sizeof gp, "%s.gp", base);
    /* (0,0), then the sorted finite samples at k/3, then (1,1). */
    const double want[5][2] = {{0, 0}, {0.25, 1.0 / 3}, {0.5, 2.0 / 3}, {0.75, 1}, {1, 1}};
    double rows[8][5];
    cr_assert_eq(read_block(dat, 0, rows, 8), 5);
    for (int i = 0; i < 5; i++) {
        cr_expect_float_eq(rows[i][0], want[i][0], 1e-9);
        cr_expect_float_eq(rows[i][1], want[i][1], 1e-9);
    }
    cr_expect(file_contains(gp, "x with lines"), "no diagonal");
    cr_expect(file_contains(gp, "with steps"));
    cr_expect(file_contains(gp, "set xrange [0:1]"));
}

Test(plot, bars_with_confidence_intervals)
{
    need_gnuplot();
    const char *dir = tmpdir("builders");
    char base[4200];
    path_of(base, sizeof base, dir, "bars");
    const char *cat[6] = {"CNN", "GNN", "SVM", "v_{flex}", "FFB", "ρ_a"};
    const double mean[6] = {0.712, 0.64, 0.61, 0.58, 0.55, 0.53};
    double lo[6], hi[6];
    for (int i = 0; i < 6; i++) {
        lo[i] = mean[i] - 0.03;
        hi[i] = mean[i] + 0.02;
    }
    sb_figure_options o = sb_figure_options_default();
    o.title = "Mean gamma";
    sb_figure *fig;
    sb_error err;
    cr_assert_eq(sb_figure_bars(&fig, 6, cat, mean, lo, hi, 0.5, "no predictive power", &o,
                                &err),
                 SB_OK, "%s", err.msg);
    cr_assert_eq(sb_plot_render(fig, base, &err), SB_OK, "%s", err.msg);
    sb_figure_free(fig);
    check_all(base, 1000, 700, "Mean");
    char dat[4300], gp[4300];
    snprintf(dat, sizeof dat, "%s.dat", base);
    snprintf(gp, sizeof gp, "%s.gp", base);
    double rows[8][5];
    cr_assert_eq(read_block(dat, 0, rows, 8), 6);
    for (int i = 0; i < 6; i++) {
        cr_expect_float_eq(rows[i][0], i + 1.0, 1e-12);
        cr_expect_float_eq(rows[i][2], lo[i], 1e-9);
        cr_expect_float_eq(rows[i][3], hi[i], 1e-9);
    }
    cr_expect(file_contains(gp, "set xtics ('CNN' 1, 'GNN' 2"));
    cr_expect(file_contains(gp, "with yerrorbars"));
    cr_expect(file_contains(gp, "title 'no predictive power'"));
    check_standalone(base, 1000, 700);
    cr_assert_eq(sb_figure_bars(&fig, 6, cat, mean, lo, NULL, NAN, NULL, NULL, &err),
                 SB_ERR_INVALID_ARG);
}

Test(plot, threshold_scatter_and_learning_curve)
{
    need_gnuplot();
    const char *dir = tmpdir("builders");
    char base[4200];
    double tq[8], delta[8], loss[8], vloss[8], auc[8];
    bool banded[8];
    for (int i = 0; i < 8; i++) {
        tq[i] = 600 + 70 * i;
        delta[i] = 9 - 0.6 * i;
        banded[i] = delta[i] > 6;
        loss[i] = 0.4 * exp(-i / 3.0) + 0.1;
        vloss[i] = loss[i] + 0.02;
        auc[i] = 0.9 - 0.2 * exp(-i / 2.0);
    }
    sb_figure *fig;
    sb_error err;
    path_of(base, sizeof base, dir, "delta");
    cr_assert_eq(sb_figure_threshold_scatter(&fig, 8, tq, delta, banded, 6.0, "threshold 6 %",
                                             NULL, &err),
                 SB_OK, "%s", err.msg);
    cr_assert_eq(sb_figure_series_count(fig), 2);
    cr_assert_eq(sb_plot_render(fig, base, &err), SB_OK, "%s", err.msg);
    sb_figure_free(fig);
    check_all(base, 1000, 700, "threshold");
    char dat[4300];
    snprintf(dat, sizeof dat, "%s.dat", base);
    double rows[8][5];
    int nb = 0;
    for (int i = 0; i < 8; i++) nb += banded[i];
    cr_expect_eq(read_block(dat, 0, rows, 8), (size_t)nb);
    cr_expect_eq(read_block(dat, 1, rows, 8), (size_t)(8 - nb));

    path_of(base, sizeof base, dir, "learning");
    cr_assert_eq(sb_figure_learning_curve(&fig, 8, loss, vloss, auc, NULL, &err), SB_OK);
    cr_assert_eq(sb_plot_render(fig, base, &err), SB_OK, "%s", err.msg);
    sb_figure_free(fig);
    check_all(base, 1000, 700, "epoch");
    char gp[4300];
    snprintf(gp, sizeof gp, "%s.gp", base);
    cr_expect(file_contains(gp, "axes x1y2"));
}

Test(plot, atom_map_order_clip_and_log)
{
    need_gnuplot();
    const char *dir = tmpdir("builders");
    char base[4200];
    path_of(base, sizeof base, dir, "map");
    enum { N = 100 };
    double x[N], y[N], v[N];
    /* values 1..100 in a scrambled order */
    for (int i = 0; i < N; i++) {
        const int k = (37 * i) % N;
        x[i] = (k % 10) * 3.0;
        y[i] = (k / 10) * 3.0;
        v[i] = k + 1.0;
    }
    sb_atom_map_options o = sb_atom_map_options_default();
    o.figure.title = "D^2_{min} map";
    o.value_label = "D^2_{min} (Å^2)";
    o.figure.svg = true; /* PNG only by default (large maps make huge SVGs) */
    sb_error err;
    cr_assert_eq(sb_plot_atom_map(base, N, x, y, v, &o, &err), SB_OK, "%s", err.msg);
    check_all(base, 860, 760, "map");
    char dat[4300], gp[4300];
    snprintf(dat, sizeof dat, "%s.dat", base);
    snprintf(gp, sizeof gp, "%s.gp", base);
    /* Drawn in increasing value; colour range [min : 99th percentile = 1 + 0.99*99]. */
    double rows[N][5];
    cr_assert_eq(read_block(dat, 0, rows, N), N);
    for (int i = 0; i < N; i++) cr_expect_float_eq(rows[i][4], i + 1.0, 1e-12);
    cr_expect(file_contains(gp, "set cbrange [1:99.01]"));
    cr_expect(file_contains(gp, "set size ratio -1"));
    cr_expect(file_contains(gp, "with circles"));
    cr_expect(file_contains(gp, "set palette defined"));

    /* Log scale: zero is floored to the lower end instead of being dropped. */
    v[0] = 0.0;
    o.log_scale = true;
    o.clip_percentile = 100.0;
    o.figure.svg = sb_atom_map_options_default().figure.svg;
    cr_expect(!o.figure.svg, "atom maps should default to PNG only");
    path_of(base, sizeof base, dir, "maplog");
    cr_assert_eq(sb_plot_atom_map(base, N, x, y, v, &o, &err), SB_OK, "%s", err.msg);
    check_png(base, 860, 760);
    char svg[4300];
    snprintf(svg, sizeof svg, "%s.svg", base);
    cr_expect(!sb_file_exists(svg));
    snprintf(dat, sizeof dat, "%s.dat", base);
    snprintf(gp, sizeof gp, "%s.gp", base);
    cr_assert_eq(read_block(dat, 0, rows, N), N);
    for (int i = 0; i < N; i++) cr_expect_gt(rows[i][4], 0.0);
    cr_expect(file_contains(gp, "set logscale cb"));
    cr_expect(file_contains(gp, ":100]"), "clip at 100 %% must reach the maximum");

    o.clip_percentile = 0.0;
    cr_expect_eq(sb_plot_atom_map(base, N, x, y, v, &o, &err), SB_ERR_INVALID_ARG);
}

/* ---------------------------------------------------------------- odd input, failures */

Test(plot, quotes_in_title_and_spaces_in_path)
{
    need_gnuplot();
    const char *dir = tmpdir("odd name's dir \"x\"");
    char base[4200];
    path_of(base, sizeof base, dir, "fig with 'quotes'");
    const double x[] = {0, 1, 2}, y[] = {0, 1, 0};
    sb_figure_options o = sb_figure_options_default();
    o.title = "Quixote's \"band\" \\ at 50 %\nsecond line";
    o.enhanced_text = false;
    sb_figure *fig;
    sb_error err;
    cr_assert_eq(sb_figure_create(&fig, &o, &err), SB_OK);
    sb_plot_series s = sb_plot_series_default();
    s.n = 3;
    s.x = x;
    s.y = y;
    s.label = "it's_raw";
    cr_assert_eq(sb_figure_add_series(fig, &s, &err), SB_OK);
    cr_assert_eq(sb_plot_render(fig, base, &err), SB_OK, "%s", err.msg);
    sb_figure_free(fig);
    check_all(base, 1000, 700, "Quixote");
    char gp[4300];
    snprintf(gp, sizeof gp, "%s.gp", base);
    cr_expect(file_contains(gp, "set title 'Quixote''s \"band\" \\ at 50 % second line'"));
    cr_expect(no_temp_files(dir));
    check_standalone(base, 1000, 700);
}

Test(plot, string_escaping)
{
    char buf[128] = {0};
    FILE *fp = fmemopen(buf, sizeof buf - 1, "w");
    plot_put_string(fp, "a'b\nc''");
    fclose(fp);
    cr_assert_str_eq(buf, "'a''b c'''''");
}

Test(plot, gnuplot_error_is_reported_and_leaves_no_image)
{
    need_gnuplot();
    const char *dir = tmpdir("failure");
    char base[4200], png[4300], svg[4300], dat[4300], gp[4300];
    path_of(base, sizeof base, dir, "negative_log");
    snprintf(png, sizeof png, "%s.png", base);
    snprintf(svg, sizeof svg, "%s.svg", base);
    snprintf(dat, sizeof dat, "%s.dat", base);
    snprintf(gp, sizeof gp, "%s.gp", base);
    const double x[] = {1, 2, 3}, y[] = {-1, -2, -3};
    sb_figure_options o = sb_figure_options_default();
    sb_plot_series s = sb_plot_series_default();
    s.n = 3;
    s.x = x;
    s.y = y;
    sb_figure *fig;
    sb_error err;
    /* First a good render, so there is an image that must not survive the bad one. */
    cr_assert_eq(sb_figure_create(&fig, &o, &err), SB_OK);
    cr_assert_eq(sb_figure_add_series(fig, &s, &err), SB_OK);
    cr_assert_eq(sb_plot_render(fig, base, &err), SB_OK, "%s", err.msg);
    sb_figure_free(fig);
    cr_assert(sb_file_exists(png));
    /* Log scale of negative data: gnuplot refuses. */
    o.ylog = true;
    cr_assert_eq(sb_figure_create(&fig, &o, &err), SB_OK);
    cr_assert_eq(sb_figure_add_series(fig, &s, &err), SB_OK);
    const sb_status st = sb_plot_render(fig, base, &err);
    sb_figure_free(fig);
    cr_assert_neq(st, SB_OK);
    cr_expect_eq(st, SB_ERR_IO);
    cr_expect(strstr(err.msg, "gnuplot failed") != NULL, "message: %s", err.msg);
    cr_expect(strstr(err.msg, "line") != NULL, "no gnuplot line number in: %s", err.msg);
    cr_expect(strstr(err.msg, "negative_log.gp") != NULL, "no script name in: %s", err.msg);
    cr_expect(!sb_file_exists(png), "a failed render left %s", png);
    cr_expect(!sb_file_exists(svg), "a failed render left %s", svg);
    cr_expect(sb_file_exists(dat) && sb_file_exists(gp));
    cr_expect(no_temp_files(dir));
}

Test(plot, missing_gnuplot_is_unsupported_but_writes_data_and_script)
{
    const char *dir = tmpdir("missing");
    char base[4200], png[4300], dat[4300], gp[4300];
    path_of(base, sizeof base, dir, "nognuplot");
    snprintf(png, sizeof png, "%s.png", base);
    snprintf(dat, sizeof dat, "%s.dat", base);
    snprintf(gp, sizeof gp, "%s.gp", base);
    const double x[] = {1, 2}, y[] = {3, 4};
    sb_plot_series s = sb_plot_series_default();
    s.n = 2;
    s.x = x;
    s.y = y;
    sb_error err;
    for (int way = 0; way < 2; way++) {
        remove(dat);
        remove(gp);
        sb_figure_options o = sb_figure_options_default();
        if (way == 0) o.gnuplot = "/nonexistent/bin/gnuplot";
        else setenv("SB_GNUPLOT", "/nonexistent/bin/gnuplot-env", 1);
        sb_figure *fig;
        cr_assert_eq(sb_figure_create(&fig, &o, &err), SB_OK);
        cr_assert_eq(sb_figure_add_series(fig, &s, &err), SB_OK);
        cr_expect(!sb_plot_gnuplot_available(&o));
        const sb_status st = sb_plot_render(fig, base, &err);
        sb_figure_free(fig);
        unsetenv("SB_GNUPLOT");
        cr_expect_eq(st, SB_ERR_UNSUPPORTED, "way %d: %s", way, err.msg);
        cr_expect(strstr(err.msg, "gnuplot not found") != NULL, "message: %s", err.msg);
        cr_expect(strstr(err.msg, way ? "gnuplot-env" : "/nonexistent/bin/gnuplot") != NULL,
                  "message does not name the executable: %s", err.msg);
        cr_expect(strstr(err.msg, "nognuplot.dat") != NULL, "message: %s", err.msg);
        cr_expect(sb_file_exists(dat) && sb_file_exists(gp));
        cr_expect(!sb_file_exists(png));
    }
}

Test(plot, invalid_arguments)
{
    sb_figure *fig;
    sb_error err;
    sb_figure_options o = sb_figure_options_default();
    o.xmin = 2;
    o.xmax = 1;
    cr_expect_eq(sb_figure_create(&fig, &o, &err), SB_ERR_INVALID_ARG);
    cr_expect(strstr(err.msg, "x range") != NULL, "%s", err.msg);
    o = sb_figure_options_default();
    o.width_px = 5;
    cr_expect_eq(sb_figure_create(&fig, &o, &err), SB_ERR_INVALID_ARG);
    cr_assert_eq(sb_figure_create(&fig, NULL, &err), SB_OK);
    /* nothing to plot */
    char base[4200];
    path_of(base, sizeof base, tmpdir("invalid"), "empty");
    cr_expect_eq(sb_plot_render(fig, base, &err), SB_ERR_INVALID_ARG);
    /* missing folder */
    const double x[] = {1}, y[] = {1};
    sb_plot_series s = sb_plot_series_default();
    s.n = 1;
    s.x = x;
    s.y = y;
    cr_assert_eq(sb_figure_add_series(fig, &s, &err), SB_OK);
    cr_expect_eq(sb_plot_render(fig, "/nonexistent/folder/fig", &err), SB_ERR_IO);
    cr_expect_eq(sb_plot_render(fig, "endswithslash/", &err), SB_ERR_INVALID_ARG);
    cr_expect_eq(sb_plot_render(fig, "new\nline", &err), SB_ERR_INVALID_ARG);
    /* colour-mapped series without values, error bars without errors */
    s.style = SB_PLOT_ATOMS;
    cr_expect_eq(sb_figure_add_series(fig, &s, &err), SB_ERR_INVALID_ARG);
    s.style = SB_PLOT_ERRORBARS;
    cr_expect_eq(sb_figure_add_series(fig, &s, &err), SB_ERR_INVALID_ARG);
    sb_plot_marker m = sb_plot_marker_default(); /* value NaN */
    cr_expect_eq(sb_figure_add_marker(fig, &m, &err), SB_ERR_INVALID_ARG);
    sb_figure_free(fig);
}

Test(plot, relative_output_path)
{
    need_gnuplot();
    /* Criterion runs each test in its own process: changing folder here is local. */
    const char *dir = tmpdir("relative");
    cr_assert_eq(chdir(dir), 0);
    sb_error err;
    cr_assert_eq(sb_mkdir_p("sub", &err), SB_OK);
    const double x[] = {0, 1, 2, 3}, y[] = {1, 0, 1, 0};
    sb_plot_series s = sb_plot_series_default();
    s.n = 4;
    s.x = x;
    s.y = y;
    s.style = SB_PLOT_LINESPOINTS;
    sb_figure *fig;
    cr_assert_eq(sb_figure_create(&fig, NULL, &err), SB_OK);
    cr_assert_eq(sb_figure_add_series(fig, &s, &err), SB_OK);
    cr_assert_eq(sb_plot_render(fig, "sub/rel", &err), SB_OK, "%s", err.msg);
    cr_assert_eq(sb_plot_render(fig, "here", &err), SB_OK, "%s", err.msg);
    sb_figure_free(fig);
    check_all("sub/rel", 1000, 700, NULL);
    check_all("here", 1000, 700, NULL);
    cr_expect(no_temp_files("sub") && no_temp_files("."));
}

Test(plot, panels_share_one_image_data_file_and_script)
{
    need_gnuplot();
    const char *dir = tmpdir("panels");
    char base[4200];
    path_of(base, sizeof base, dir, "fig3");
    const double g1[] = {0.2, 0.9, 0.7}, g2[] = {0.5, 0.4};
    const double *g[2] = {g1, g2};
    const size_t n[2] = {3, 2};
    const char *labels[2] = {"CNN", "SVM"};
    const double mean[2] = {0.6, 0.45};
    sb_figure *fa, *fb;
    sb_error err;
    cr_assert_eq(sb_figure_cdf(&fa, 2, n, g, labels, NULL, &err), SB_OK);
    cr_assert_eq(sb_figure_bars(&fb, 2, labels, mean, NULL, NULL, 0.5, "random", NULL, &err),
                 SB_OK);
    const sb_figure *figs[2] = {fa, fb};
    sb_panel_options po = sb_panel_options_default();
    po.title = "Panels";
    cr_assert_eq(sb_plot_render_panels(figs, 2, &po, base, &err), SB_OK, "%s", err.msg);
    check_all(base, 2000, 700, "(b)");
    /* both panels in the SVG too (the second pass over the outputs redraws panel a) */
    check_svg(base, "(a)");
    check_svg(base, "no correlation");
    check_svg(base, ">0.600<"); /* bar values to three digits, trailing zeros kept */
    char dat[4300], gp[4300];
    snprintf(dat, sizeof dat, "%s.dat", base);
    snprintf(gp, sizeof gp, "%s.gp", base);
    cr_expect(file_contains(gp, "set multiplot layout 1,2"));
    /* CDF blocks 0 and 1, then the bars as block 2 with the bar values. */
    double rows[8][5];
    cr_assert_eq(read_block(dat, 0, rows, 8), 5);
    cr_assert_eq(read_block(dat, 1, rows, 8), 4);
    cr_assert_eq(read_block(dat, 2, rows, 8), 2);
    cr_expect_float_eq(rows[0][1], 0.6, 1e-12);
    cr_expect_float_eq(rows[1][1], 0.45, 1e-12);
    check_standalone(base, 2000, 700);
    /* a 2 x 1 grid of explicit size */
    po.rows = 2;
    po.cols = 0;
    po.width_px = 800;
    po.height_px = 1100;
    cr_assert_eq(sb_plot_render_panels(figs, 2, &po, base, &err), SB_OK, "%s", err.msg);
    check_png(base, 800, 1100);
    po.rows = 1;
    po.cols = 1;
    cr_expect_eq(sb_plot_render_panels(figs, 2, &po, base, &err), SB_ERR_INVALID_ARG);
    sb_figure_free(fa);
    sb_figure_free(fb);
}

Test(plot, inset_placement_and_bare_pictures)
{
    need_gnuplot();
    const char *dir = tmpdir("panels");
    char base[4200];
    path_of(base, sizeof base, dir, "inset");
    const double tq[] = {600, 700, 800, 900}, delta[] = {9, 8, 5, 4};
    const bool banded[] = {true, true, false, false};
    double x[50], y[50], v[50];
    for (int i = 0; i < 50; i++) {
        x[i] = (i % 7) * 3.0;
        y[i] = (i / 7) * 3.0;
        v[i] = i;
    }
    sb_figure *main_fig, *inset;
    sb_error err;
    cr_assert_eq(sb_figure_threshold_scatter(&main_fig, 4, tq, delta, banded, 6.0, "6 %", NULL,
                                             &err),
                 SB_OK);
    sb_atom_map_options mo = sb_atom_map_options_default();
    mo.figure.bare = true;
    cr_assert_eq(sb_figure_atom_map(&inset, 50, x, y, v, &mo, &err), SB_OK);
    const sb_figure *figs[2] = {main_fig, inset};
    const double place[8] = {0, 0, 1, 1, 0.6, 0.55, 0.3, 0.35};
    sb_panel_options po = sb_panel_options_default();
    po.letters = false;
    po.placement = place;
    cr_assert_eq(sb_plot_render_panels(figs, 2, &po, base, &err), SB_OK, "%s", err.msg);
    check_all(base, 1000, 700, "quench"); /* size and outputs of the main figure */
    char gp[4300];
    snprintf(gp, sizeof gp, "%s.gp", base);
    cr_expect(file_contains(gp, "set origin 0.6,0.55"));
    cr_expect(file_contains(gp, "set size 0.3,0.35"));
    cr_expect(file_contains(gp, "unset xtics"));
    cr_expect(!file_contains(gp, "'(a)'"), "letters were switched off");
    const double outside[8] = {0, 0, 1, 1, 0.8, 0.8, 0.3, 0.3};
    po.placement = outside;
    cr_expect_eq(sb_plot_render_panels(figs, 2, &po, base, &err), SB_ERR_INVALID_ARG);
    sb_figure_free(main_fig);
    sb_figure_free(inset);
}
