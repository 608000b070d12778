/*
 * A tiny ensemble on real LAMMPS (the 864-atom example glass, 4 AQS steps of 5e-3):
 *   - the table has one row per run, named orientation_seed, and the summary files exist;
 *   - different shuffle seeds give stress curves that are not bitwise identical (compared
 *     at 17 digits in checkpoint.txt: the CSV's 10 digits hide the round-off noise);
 *   - resumable: after deleting one run's directory, a re-run stopped half-way (at a
 *     checkpoint, as an interruption would) and then resumed shears only that run (the
 *     other run's files keep their modification times), and the redone run reproduces the
 *     deleted one bitwise (same seed, same path); a further call shears nothing, and one
 *     with other shear parameters refuses the finished runs instead of reusing them;
 *   - validation refuses duplicate seeds and a band strain that is not saved.
 */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shearband/ensemble.h"
#include "shearband/io.h"

#define GLASS SB_SOURCE_DIR "/examples/cu50zr50_864.data"

static void tmp_dir(char *buf, size_t sz, const char *name)
{
    const char *dir = getenv("SB_TEST_TMP");
    snprintf(buf, sz, "%s/ensemble_%s", dir ? dir : "/tmp", name);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", buf);
    cr_assert_eq(system(cmd), 0);
}

static sb_ensemble_options tiny(const char *dir, const uint64_t *seeds, size_t nseeds)
{
    sb_ensemble_options o = sb_ensemble_options_default();
    o.dir = dir;
    o.seeds = seeds;
    o.nseeds = nseeds;
    o.shear.step = 5e-3;
    o.shear.max_strain = 0.02;
    o.shear.nsave = 1;
    o.shear.save[0] = 0.02;
    o.shear.ftol = 1e-6;
    o.shear.checkpoint_every = 2; /* so that a run can be stopped half-way */
    o.figure = false; /* gnuplot is exercised by the plot tests */
    return o;
}

/* The stress-strain rows of a run at full precision (checkpoint.txt, 5 numbers a row). */
static size_t checkpoint_rows(const char *dir, const char *run, double *rows, size_t max)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/runs/%s/checkpoint.txt", dir, run);
    FILE *fp = fopen(path, "r");
    cr_assert_not_null(fp, "%s", path);
    char line[512];
    size_t n = 0;
    while (fgets(line, sizeof line, fp))
        if (sscanf(line, "rows %zu", &n) == 1) break;
    cr_assert(n > 0 && n <= max, "%s: %zu rows", path, n);
    for (size_t r = 0; r < 5 * n; r++) cr_assert_eq(fscanf(fp, "%lf", &rows[r]), 1);
    fclose(fp);
    return n;
}

static struct timespec mtime_of(const char *dir, const char *run, const char *file)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/runs/%s/%s", dir, run, file);
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0, "%s", path);
    return sb.st_mtim;
}

static size_t count_data_lines(const char *path)
{
    FILE *fp = fopen(path, "r");
    cr_assert_not_null(fp, "%s", path);
    char line[1024];
    size_t n = 0;
    while (fgets(line, sizeof line, fp))
        if (line[0] != '#' && strncmp(line, "run,", 4) != 0) n++;
    fclose(fp);
    return n;
}

Test(ensemble_lammps, table_noise_resume_and_reproduction, .timeout = 1200)
{
    sb_structure g = SB_STRUCTURE_INIT;
    sb_error err;
    cr_assert_eq(sb_read_structure(GLASS, &g, &err), SB_OK, "%s", err.msg);
    char dir[4096];
    tmp_dir(dir, sizeof dir, "resume");
    const uint64_t seeds[] = {11, 12};
    sb_ensemble_options o = tiny(dir, seeds, 2);

    sb_ensemble_result r = SB_ENSEMBLE_RESULT_INIT;
    cr_assert_eq(sb_ensemble_run(&g, &o, &r, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(r.nruns, 2);
    cr_expect_eq(r.nran, 2);
    cr_expect_str_eq(r.runs[0].name, "00_11");
    cr_expect_str_eq(r.runs[1].name, "00_12");
    for (size_t i = 0; i < 2; i++) {
        cr_expect_eq(r.runs[i].status, SB_OK, "%s", r.runs[i].error);
        cr_expect_eq(r.runs[i].steps, 4);
        cr_expect(r.runs[i].have_band, "band snapshot analysed");
        cr_expect(r.runs[i].yield_stress > 0.1 && r.runs[i].yield_stress < 5.0, "%g GPa",
                  r.runs[i].yield_stress);
    }
    cr_expect_eq(r.nhorizontal + r.nvertical + r.nnoband, 2);
    sb_ensemble_result_free(&r);
    char path[4400];
    snprintf(path, sizeof path, "%s/ensemble.csv", dir);
    cr_expect_eq(count_data_lines(path), 2, "one row per run");
    snprintf(path, sizeof path, "%s/ensemble.json", dir);
    cr_expect(access(path, R_OK) == 0);
    snprintf(path, sizeof path, "%s/band_histogram.csv", dir);
    cr_expect(access(path, R_OK) == 0);

    double a[64], b[64], again[64];
    const size_t na = checkpoint_rows(dir, "00_11", a, 12);
    const size_t nb = checkpoint_rows(dir, "00_12", b, 12);
    cr_assert_eq(na, nb);
    cr_expect(memcmp(a, b, 5 * na * sizeof *a) != 0,
              "different shuffle seeds must not give bitwise identical curves");
    /* ... but the same physics: stresses agree to round-off. */
    for (size_t k = 0; k < na; k++)
        cr_expect(fabs(a[5 * k + 1] - b[5 * k + 1]) < 1e-4, "row %zu: %.17g vs %.17g", k,
                  a[5 * k + 1], b[5 * k + 1]);

    /* Delete one run: only it is redone, bitwise as before. */
    const struct timespec t_kept = mtime_of(dir, "00_12", "shear.json");
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/runs/00_11'", dir);
    cr_assert_eq(system(cmd), 0);
    /* First only half of it (stopped at a checkpoint as if interrupted), then the rest. */
    o.shear.max_steps = 2;
    cr_assert_eq(sb_ensemble_run(&g, &o, &r, &err), SB_ERR_INTERRUPTED, "%s", err.msg);
    cr_expect_eq(r.runs[0].status, SB_ERR_INTERRUPTED);
    cr_expect_eq(r.runs[1].status, SB_OK, "%s", r.runs[1].error);
    sb_ensemble_result_free(&r);
    o.shear.max_steps = 0;
    cr_assert_eq(sb_ensemble_run(&g, &o, &r, &err), SB_OK, "%s", err.msg);
    cr_expect_eq(r.nran, 1, "only the deleted run is sheared again");
    cr_expect(r.runs[0].ran);
    cr_expect(!r.runs[1].ran);
    sb_ensemble_result_free(&r);
    const struct timespec t_after = mtime_of(dir, "00_12", "shear.json");
    cr_expect(t_kept.tv_sec == t_after.tv_sec && t_kept.tv_nsec == t_after.tv_nsec,
              "the finished run's files were not rewritten");
    const size_t n2 = checkpoint_rows(dir, "00_11", again, 12);
    cr_assert_eq(n2, na);
    cr_expect(memcmp(a, again, 5 * na * sizeof *a) == 0, "the same seed reproduces bitwise");

    /* Nothing left to do. */
    cr_assert_eq(sb_ensemble_run(&g, &o, &r, &err), SB_OK, "%s", err.msg);
    cr_expect_eq(r.nran, 0);
    sb_ensemble_result_free(&r);
    snprintf(path, sizeof path, "%s/ensemble.csv", dir);
    cr_expect_eq(count_data_lines(path), 2);

    /* Finished runs made with other parameters are not silently reused. */
    o.shear.ftol = 1e-7;
    cr_expect_eq(sb_ensemble_run(&g, &o, &r, &err), SB_ERR_INVALID_ARG);
    cr_expect(strstr(err.msg, "different parameters") != NULL, "%s", err.msg);
    cr_expect_eq(r.nran, 0);
    cr_expect_eq(r.nfailed, 2);
    sb_ensemble_result_free(&r);
    sb_structure_free(&g);
}

Test(ensemble_lammps, validation)
{
    sb_structure g = SB_STRUCTURE_INIT;
    sb_error err;
    cr_assert_eq(sb_read_structure(GLASS, &g, &err), SB_OK, "%s", err.msg);
    const uint64_t dup[] = {3, 4, 3};
    sb_ensemble_options o = tiny("/tmp/unused", dup, 3);
    cr_expect_eq(sb_ensemble_validate(&g, &o, &err), SB_ERR_INVALID_ARG);
    cr_expect(strstr(err.msg, "seed 3") != NULL, "%s", err.msg);
    o = tiny("/tmp/unused", dup, 2);
    cr_expect_eq(sb_ensemble_validate(&g, &o, &err), SB_OK, "%s", err.msg);
    o.band_strain = 0.015;
    cr_expect_eq(sb_ensemble_validate(&g, &o, &err), SB_ERR_INVALID_ARG);
    cr_expect(strstr(err.msg, "--save") != NULL, "%s", err.msg);
    o = tiny("/tmp/unused", dup, 2);
    o.norientations = 2;
    o.orientations[0] = o.orientations[1] = 5;
    cr_expect_eq(sb_ensemble_validate(&g, &o, &err), SB_ERR_INVALID_ARG);
    o = tiny("/tmp/unused", dup, 2);
    o.ranks_per_run = 0;
    cr_expect_eq(sb_ensemble_validate(&g, &o, &err), SB_ERR_INVALID_ARG);
    o = tiny(NULL, dup, 2);
    cr_expect_eq(sb_ensemble_validate(&g, &o, &err), SB_ERR_INVALID_ARG);
    sb_structure_free(&g);
}
