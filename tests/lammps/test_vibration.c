/* Vibrational MSD ensembles (shearband/vibration.h) with real LAMMPS runs on the bundled
 * 864-atom Cu50Zr50 glass and on a perfect fcc Cu crystal, with short settings so that the
 * whole file runs in well under a minute. Oracles: positivity, monotonic growth with
 * temperature, the harmonic limit (MSD proportional to T, uniform over equivalent atoms,
 * magnitude of Cu's Debye-Waller factor), bitwise reproducibility for a seed, the per-run
 * cache, and a LAMMPS error surfacing as SB_ERR_ENGINE. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/fileutil.h"
#include "shearband/io.h"
#include "shearband/vibration.h"

static void tmpdir(char *buf, size_t sz, const char *name)
{
    const char *tmp = getenv("SB_TEST_TMP");
    snprintf(buf, sz, "%s/vibration/%s", tmp ? tmp : "/tmp", name);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", buf);
    cr_assert_eq(system(cmd), 0);
}

static void read_glass(sb_structure *g)
{
    sb_error err;
    cr_assert_eq(sb_read_structure(SB_SOURCE_DIR "/examples/cu50zr50_864.data", g, &err), SB_OK, "%s", err.msg);
}

/* Short settings: 0.5 ps equilibration, 1 ps sampling every 0.05 ps, 2 runs. */
static sb_vibration_options short_opts(const char *dir, double temp)
{
    sb_vibration_options o = sb_vibration_options_default();
    o.temperature = temp;
    o.runs = 2;
    o.equilibration = 0.5;
    o.sampling = 1.0;
    o.sample_every = 0.05;
    o.run_dir = dir;
    return o;
}

static double mean(const double *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += v[i];
    return s / (double)n;
}

Test(vibration, glass_msd_positive_reproducible_cached_and_grows_with_temperature, .timeout = 600)
{
    sb_structure g = SB_STRUCTURE_INIT;
    read_glass(&g);
    sb_error err;
    char d300[1024], d300b[1024], d100[1024];
    tmpdir(d300, sizeof d300, "glass300");
    tmpdir(d300b, sizeof d300b, "glass300b");
    tmpdir(d100, sizeof d100, "glass100");

    sb_vibration_options o = short_opts(d300, 300.0);
    sb_vibration_result r = SB_VIBRATION_RESULT_INIT;
    cr_assert_eq(sb_vibration_msd(&g, &o, &r, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(r.n, g.n);
    cr_assert_eq(r.runs_computed, 2);
    cr_assert_eq(r.samples, 21);
    for (size_t i = 0; i < g.n; i++) cr_assert(r.msd[i] > 0.0 && isfinite(r.msd[i]), "atom %zu: MSD %g", i, r.msd[i]);
    /* A 0 K glass heated to 300 K: mean vibrational MSD of order 0.01-0.1 A^2. */
    cr_assert(r.mean_msd > 0.005 && r.mean_msd < 0.2, "mean MSD %g A^2", r.mean_msd);
    for (int k = 0; k < 2; k++)
        cr_assert(fabs(r.run_temperature[k] - 300.0) < 90.0, "run %d at %g K", k, r.run_temperature[k]);
    /* The two runs differ (different velocity seeds) and average into msd. */
    cr_assert_neq(r.run_seed[0], r.run_seed[1]);
    cr_assert(memcmp(r.msd_run, r.msd_run + g.n, g.n * sizeof(double)) != 0);
    for (size_t i = 0; i < g.n; i++)
        cr_assert_float_eq(r.msd[i], 0.5 * (r.msd_run[i] + r.msd_run[g.n + i]), 1e-15);
    char path[1200];
    snprintf(path, sizeof path, "%s/vibration.json", d300);
    cr_assert(sb_file_exists(path));
    snprintf(path, sizeof path, "%s/run_1.log", d300);
    cr_assert(sb_file_exists(path));

    /* Same seed, fresh directory: run 0 is bitwise the same. */
    sb_vibration_options ob = short_opts(d300b, 300.0);
    ob.runs = 1;
    sb_vibration_result rb = SB_VIBRATION_RESULT_INIT;
    cr_assert_eq(sb_vibration_msd(&g, &ob, &rb, &err), SB_OK, "%s", err.msg);
    cr_assert(memcmp(r.msd_run, rb.msd_run, g.n * sizeof(double)) == 0, "same seeds gave different MSD");

    /* An atom given outside the cell (as data files allow) is wrapped, not lost: the same
     * trajectory up to rounding, so the same MSD to ~1e-9 (chaos amplifies the last bits). */
    char dshift[1024];
    tmpdir(dshift, sizeof dshift, "glass300shift");
    sb_structure gs = SB_STRUCTURE_INIT;
    cr_assert_eq(sb_structure_copy(&gs, &g, NULL), SB_OK);
    gs.x[0] += gs.cell.hi[0] - gs.cell.lo[0];
    if (gs.image) gs.image[0] -= 1;
    sb_vibration_options os = short_opts(dshift, 300.0);
    os.runs = 1;
    sb_vibration_result rs = SB_VIBRATION_RESULT_INIT;
    cr_assert_eq(sb_vibration_msd(&gs, &os, &rs, &err), SB_OK, "%s", err.msg);
    for (size_t i = 0; i < g.n; i++)
        cr_assert(fabs(rs.msd[i] - r.msd_run[i]) <= 1e-6 * r.msd_run[i], "atom %zu: %.17g vs %.17g", i,
                  rs.msd[i], r.msd_run[i]);
    sb_vibration_result_free(&rs);
    sb_structure_free(&gs);

    /* Cache: a larger ensemble in the first directory reuses runs 0 and 1 exactly. */
    o.runs = 3;
    sb_vibration_result rc = SB_VIBRATION_RESULT_INIT;
    cr_assert_eq(sb_vibration_msd(&g, &o, &rc, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(rc.runs_reused, 2);
    cr_assert_eq(rc.runs_computed, 1);
    cr_assert(memcmp(r.msd_run, rc.msd_run, 2 * g.n * sizeof(double)) == 0, "cached runs changed");
    /* ... and a call with nothing to do runs nothing. */
    sb_vibration_result rd = SB_VIBRATION_RESULT_INIT;
    cr_assert_eq(sb_vibration_msd(&g, &o, &rd, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(rd.runs_computed, 0);
    cr_assert(memcmp(rc.msd, rd.msd, g.n * sizeof(double)) == 0);

    /* Other parameters in the same directory are refused, not mixed in. */
    sb_vibration_options bad = o;
    bad.temperature = 100.0;
    cr_assert_eq(sb_vibration_msd(&g, &bad, &rd, &err), SB_ERR_INVALID_ARG);
    cr_assert(strstr(err.msg, "different parameters"), "%s", err.msg);

    /* 100 K: smaller MSD, atom by atom on average and in the mean (harmonic-ish: ~1/3). */
    sb_vibration_options o100 = short_opts(d100, 100.0);
    sb_vibration_result r100 = SB_VIBRATION_RESULT_INIT;
    cr_assert_eq(sb_vibration_msd(&g, &o100, &r100, &err), SB_OK, "%s", err.msg);
    const double ratio = r.mean_msd / r100.mean_msd;
    cr_assert(ratio > 2.0 && ratio < 4.5, "MSD(300 K) / MSD(100 K) = %g", ratio);
    size_t larger = 0;
    for (size_t i = 0; i < g.n; i++) larger += r.msd[i] > r100.msd[i];
    cr_assert(larger > 0.9 * (double)g.n, "only %zu of %zu atoms vibrate more at 300 K", larger, g.n);

    sb_vibration_result_free(&r);
    sb_vibration_result_free(&rb);
    sb_vibration_result_free(&rc);
    sb_vibration_result_free(&rd);
    sb_vibration_result_free(&r100);
    sb_structure_free(&g);
}

/* Perfect fcc Cu, 4x4x4 conventional cells (256 atoms), type 1 = Cu of the Cu-Zr potential. */
static void fcc_cu(sb_structure *s, double a)
{
    const int nc = 4;
    cr_assert_eq(sb_structure_alloc(s, 4 * nc * nc * nc, 1, NULL), SB_OK);
    const char *names[1] = {"Cu"};
    cr_assert_eq(sb_structure_set_elements(s, names, NULL), SB_OK);
    cr_assert_eq(sb_cell_set_ortho(&s->cell, nc * a, nc * a, nc * a, NULL), SB_OK);
    static const double basis[4][3] = {{0, 0, 0}, {0.5, 0.5, 0}, {0.5, 0, 0.5}, {0, 0.5, 0.5}};
    size_t i = 0;
    for (int x = 0; x < nc; x++)
        for (int y = 0; y < nc; y++)
            for (int z = 0; z < nc; z++)
                for (int b = 0; b < 4; b++, i++) {
                    s->x[3 * i] = (x + basis[b][0] + 0.25) * a;
                    s->x[3 * i + 1] = (y + basis[b][1] + 0.25) * a;
                    s->x[3 * i + 2] = (z + basis[b][2] + 0.25) * a;
                }
}

static double coefficient_of_variation(const double *v, size_t n)
{
    const double m = mean(v, n);
    double s2 = 0;
    for (size_t i = 0; i < n; i++) s2 += (v[i] - m) * (v[i] - m);
    return sqrt(s2 / (double)(n - 1)) / m;
}

Test(vibration, fcc_crystal_is_harmonic_and_uniform, .timeout = 600)
{
    sb_structure s = SB_STRUCTURE_INIT;
    fcc_cu(&s, 3.639);
    sb_error err;
    char d300[1024], d100[1024];
    tmpdir(d300, sizeof d300, "fcc300");
    tmpdir(d100, sizeof d100, "fcc100");
    sb_vibration_options o = sb_vibration_options_default();
    o.runs = 4;
    o.equilibration = 0.5;
    o.sampling = 2.0;
    o.sample_every = 0.02;
    o.run_dir = d300;
    sb_vibration_result r = SB_VIBRATION_RESULT_INIT, r100 = SB_VIBRATION_RESULT_INIT;
    cr_assert_eq(sb_vibration_msd(&s, &o, &r, &err), SB_OK, "%s", err.msg);
    o.temperature = 100.0;
    o.run_dir = d100;
    cr_assert_eq(sb_vibration_msd(&s, &o, &r100, &err), SB_OK, "%s", err.msg);

    /* Cu's Debye-Waller factor B ~ 0.55 A^2 at 300 K gives <u^2> = 3 B / (8 pi^2) ~ 0.021 A^2;
     * a 4 ps-window MSD about the mean in a 256-atom box misses the longest waves. */
    cr_assert(r.mean_msd > 0.010 && r.mean_msd < 0.035, "fcc Cu MSD at 300 K = %g A^2", r.mean_msd);
    /* Harmonic solid: MSD proportional to T (to the measured run temperatures). */
    const double t300 = mean(r.run_temperature, 4), t100 = mean(r100.run_temperature, 4);
    const double ratio = (r.mean_msd / t300) / (r100.mean_msd / t100);
    cr_assert(ratio > 0.85 && ratio < 1.2, "MSD/T at 300 K over MSD/T at 100 K = %g (T %g, %g)", ratio, t300, t100);
    /* Every atom is equivalent: the spread is finite-time noise only (measured CV ~0.14 for 2
     * runs, so ~0.10 for 4), far below the glass's (~0.4 with even shorter settings). */
    const double cv = coefficient_of_variation(r.msd, s.n), cv100 = coefficient_of_variation(r100.msd, s.n);
    cr_assert(cv < 0.2 && cv100 < 0.2, "fcc per-atom MSD spread %g / %g", cv, cv100);
    for (size_t i = 0; i < s.n; i++)
        cr_assert(fabs(r.msd[i] / r.mean_msd - 1.0) < 0.5, "atom %zu: MSD %g vs mean %g", i, r.msd[i], r.mean_msd);
    sb_vibration_result_free(&r);
    sb_vibration_result_free(&r100);
    sb_structure_free(&s);
}

Test(vibration, lammps_error_becomes_engine_status)
{
    sb_structure g = SB_STRUCTURE_INIT;
    read_glass(&g);
    /* Aluminium is a known element but not in the Cu-Zr potential file: LAMMPS's
     * pair_coeff fails (and, without exceptions, exits the job's process). */
    snprintf(g.type_name[0], sizeof g.type_name[0], "Al");
    char dir[1024];
    tmpdir(dir, sizeof dir, "error");
    sb_vibration_options o = short_opts(dir, 300.0);
    sb_vibration_result r = SB_VIBRATION_RESULT_INIT;
    sb_error err;
    cr_assert_eq(sb_vibration_msd(&g, &o, &r, &err), SB_ERR_ENGINE, "%s", err.msg);
    cr_assert(strstr(err.msg, "ERROR"), "%s", err.msg);
    cr_assert_null(r.msd);
    sb_structure_free(&g);
}

Test(vibration, invalid_options_are_refused_before_lammps)
{
    sb_structure g = SB_STRUCTURE_INIT;
    read_glass(&g);
    sb_error err;
    sb_vibration_options o = short_opts("/nonexistent-dir-unused", 300.0);
    o.sample_every = 0.003; /* not a multiple of 0.002 */
    cr_assert_eq(sb_vibration_validate(&g, &o, &err), SB_ERR_INVALID_ARG);
    o = short_opts("x", -5);
    cr_assert_eq(sb_vibration_validate(&g, &o, &err), SB_ERR_INVALID_ARG);
    o = short_opts("x", 300);
    o.runs = 0;
    cr_assert_eq(sb_vibration_validate(&g, &o, &err), SB_ERR_INVALID_ARG);
    o = short_opts("x", 300);
    o.sampling = 0.07; /* not a multiple of the 0.05 ps interval */
    cr_assert_eq(sb_vibration_validate(&g, &o, &err), SB_ERR_INVALID_ARG);
    o = short_opts("x", 300);
    o.potential = "/nonexistent.eam.fs";
    cr_assert_eq(sb_vibration_validate(&g, &o, &err), SB_ERR_IO);
    o = short_opts("x", 300);
    cr_assert_eq(sb_vibration_validate(&g, &o, &err), SB_OK, "%s", err.msg);
    cr_assert_neq(sb_vibration_run_seed(1, 0), sb_vibration_run_seed(1, 1));
    cr_assert_neq(sb_vibration_run_seed(1, 0), sb_vibration_run_seed(2, 0));
    for (int k = 0; k < 100; k++) {
        const uint64_t s = sb_vibration_run_seed(7, k);
        cr_assert(s >= 1 && s <= 900000000ULL);
    }
    sb_structure_free(&g);
}
