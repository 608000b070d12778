/*
 * AQS shear on real LAMMPS with the 864-atom example glass (examples/, made with plain lmp):
 *   - elastic start: stress rises linearly with a plausible shear modulus, and the stress
 *     equals the strain derivative of the energy (finite differences: units and sign);
 *   - orientation K loads the axes the table says: the 0-strain shear stress of orientation
 *     K is -s_X s_Y p_(a,b) of the unrotated glass, with (a, b) the table's sample axes;
 *   - a run stopped after 3 steps and resumed is bitwise identical to an uninterrupted run;
 *   - the accelerated defaults reach the standard recipe's minima with fewer force evaluations;
 *   - the engine's L-BFGS reaches the standard recipe's minima, through a plastic event, with
 *     fewer force evaluations at the same tolerance, and gives up at the round-off floor;
 *   - shuffled atom order keeps original ids in the outputs;
 *   - a LAMMPS failure past validation (a file that is not an EAM potential) becomes
 *     SB_ERR_ENGINE with LAMMPS's message.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/engine.h"
#include "shearband/fileutil.h"
#include "shearband/io.h"
#include "shearband/orientation.h"
#include "shearband/shear.h"

#define GLASS SB_SOURCE_DIR "/examples/cu50zr50_864.data"
#define EV_PER_A3_IN_GPA 160.21766208

static void tmp_dir(char *buf, size_t sz, const char *name)
{
    const char *dir = getenv("SB_TEST_TMP");
    if (!dir) dir = "/tmp";
    snprintf(buf, sz, "%s/engine_shear_%s", dir, name);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", buf);
    cr_assert_eq(system(cmd), 0);
}

static void load_glass(sb_structure *g)
{
    sb_error err;
    cr_assert_eq(sb_read_structure(GLASS, g, &err), SB_OK, "%s", err.msg);
}

static sb_shear_options quick(const char *dir)
{
    sb_shear_options o = sb_shear_options_default();
    o.step = 1e-3;
    o.max_strain = 0.004;
    o.nsave = 0;
    o.run_dir = dir;
    return o;
}

static void read_csv(const char *dir, double **rows, size_t *n)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/stress_strain.csv", dir);
    sb_error err;
    cr_assert_eq(sb_shear_read_csv(path, rows, n, &err), SB_OK, "%s", err.msg);
}

Test(engine_shear, elastic_start_modulus_and_energy_derivative, .timeout = 600)
{
    sb_structure g = SB_STRUCTURE_INIT;
    load_glass(&g);
    char dir[4096];
    tmp_dir(dir, sizeof dir, "elastic");
    sb_shear_options o = quick(dir);
    sb_shear_result r;
    sb_error err;
    cr_assert_eq(sb_shear(&g, &o, &r, &err), SB_OK, "%s", err.msg);
    double *rows;
    size_t n;
    read_csv(dir, &rows, &n);
    cr_assert_eq(n, 5);
    double rho;
    sb_structure_density(&g, &rho, NULL);
    const double vol_per_atom = sb_cell_volume(&g.cell) / (double)g.n;
    for (size_t k = 0; k < n; k++) {
        cr_expect(fabs(rows[5 * k] - 1e-3 * (double)k) < 1e-12, "strain of row %zu", k);
        /* The reference minimum of the already minimised glass may need no iteration; every
         * strained step does. */
        cr_expect(rows[5 * k + 3] >= (k ? 1 : 0) && rows[5 * k + 4] >= rows[5 * k + 3],
                  "row %zu: %.0f iterations, %.0f evaluations", k, rows[5 * k + 3], rows[5 * k + 4]);
    }
    /* tau = (1/V) dE/dgamma: central difference of the energy per atom. */
    for (size_t k = 0; k + 1 < n; k++) {
        const double fd = (rows[5 * (k + 1) + 2] - rows[5 * k + 2]) / 1e-3 / vol_per_atom *
                          EV_PER_A3_IN_GPA;
        const double mid = 0.5 * (rows[5 * k + 1] + rows[5 * (k + 1) + 1]);
        cr_expect(fabs(fd - mid) < 0.05 * fabs(mid) + 2e-3,
                  "step %zu: dE/dgamma/V = %.5f GPa vs stress %.5f GPa", k, fd, mid);
    }
    cr_expect(r.shear_modulus > 15 && r.shear_modulus < 40, "G = %.2f GPa", r.shear_modulus);
    cr_expect(r.steps == 4 && r.steps_run == 4);
    fprintf(stderr, "shear 864 atoms, 4 steps of 1e-3 (defaults, ftol 1e-8): G = %.2f GPa, %.3f s/step, "
            "%.0f force evaluations/step\n", r.shear_modulus, r.seconds_per_step,
            (double)r.force_evals / 5.0);
    free(rows);
    sb_structure_free(&g);
}

/* The full stress tensor of the unrotated glass (run 0), for the orientation test. */
typedef struct tensor_result {
    double p[3][3];
} tensor_result;

static sb_status tensor_job(sb_engine *e, void *arg, void *result, sb_error *err)
{
    tensor_result *t = result;
    sb_status st = sb_engine_load_structure(e, arg, true, err);
    if (!st) st = sb_engine_command(e, err, "pair_style eam/fs");
    if (!st) st = sb_engine_command(e, err, "pair_coeff * * /usr/share/lammps/potentials/CuZr_mm.eam.fs Cu Zr");
    if (!st) st = sb_engine_command(e, err, "minimize 0 1e-8 10000 100000");
    static const char *const key[3][3] = {{"pxx", "pxy", "pxz"}, {"pxy", "pyy", "pyz"}, {"pxz", "pyz", "pzz"}};
    for (int a = 0; a < 3 && !st; a++)
        for (int b = 0; b < 3 && !st; b++) st = sb_engine_thermo(e, key[a][b], &t->p[a][b], err);
    return st;
}

Test(engine_shear, orientation_loads_the_axes_of_the_table, .timeout = 600)
{
    sb_structure g = SB_STRUCTURE_INIT;
    load_glass(&g);
    char dir[4096], log[4200];
    tmp_dir(dir, sizeof dir, "tensor");
    sb_mkdir_p(dir, NULL);
    snprintf(log, sizeof log, "%s/log.lammps", dir);
    tensor_result t;
    sb_engine_job job = {.run = tensor_job, .arg = &g, .result = &t, .result_size = sizeof t};
    job.engine_opt = sb_engine_options_default();
    job.engine_opt.log_path = log;
    sb_error err;
    cr_assert_eq(sb_engine_run_job(&job, &err), SB_OK, "%s", err.msg);
    /* Residual shear stresses of a small glass differ from component to component. */
    cr_assert(fabs(t.p[0][1] - t.p[0][2]) > 20 && fabs(t.p[0][1] - t.p[1][2]) > 20 &&
                  fabs(t.p[0][2] - t.p[1][2]) > 20,
              "residual shear stresses too similar to tell axes apart: %g %g %g bar", t.p[0][1],
              t.p[0][2], t.p[1][2]);
    const int ks[] = {5, 10, 14, 19, 22};
    for (size_t m = 0; m < sizeof ks / sizeof ks[0]; m++) {
        sb_orientation o;
        sb_orientation_get(ks[m], &o, NULL);
        char axis_x[4], axis_y[4];
        sb_orientation_axis_name(&o, 0, axis_x);
        sb_orientation_axis_name(&o, 1, axis_y);
        const int a = axis_x[1] - 'x', b = axis_y[1] - 'x';
        const double sign = (axis_x[0] == '+' ? 1 : -1) * (axis_y[0] == '+' ? 1 : -1);
        char name[32];
        snprintf(name, sizeof name, "orient%d", ks[m]);
        tmp_dir(dir, sizeof dir, name);
        sb_shear_options so = quick(dir);
        so.orientation = ks[m];
        so.max_strain = 1e-3;
        sb_shear_result r;
        cr_assert_eq(sb_shear(&g, &so, &r, &err), SB_OK, "%s", err.msg);
        double *rows;
        size_t n;
        read_csv(dir, &rows, &n);
        const double want = -sign * t.p[a][b] * 1e-4;
        cr_expect(fabs(rows[1] - want) < 2e-4,
                  "K=%d (X=%s, Y=%s): stress at 0 strain %.5f GPa, expected %.5f", ks[m], axis_x,
                  axis_y, rows[1], want);
        /* The reference snapshot holds the rotated glass with the original ids. */
        char ref_path[4300];
        snprintf(ref_path, sizeof ref_path, "%s/reference.dump", dir);
        sb_structure ref = SB_STRUCTURE_INIT;
        cr_assert_eq(sb_read_structure(ref_path, &ref, &err), SB_OK, "%s", err.msg);
        cr_expect(fabs((ref.cell.hi[0] - ref.cell.lo[0]) - (g.cell.hi[a] - g.cell.lo[a])) < 1e-9);
        free(rows);
        sb_structure_free(&ref);
    }
    sb_structure_free(&g);
}

/* Segments [0] [1 2 3] [4 5 6]: steps 3 and 6 start from an extrapolated guess, whose
 * history must survive the interruption; with either minimiser. */
static void check_resume(const char *name, sb_minimizer minimizer)
{
    sb_structure g = SB_STRUCTURE_INIT;
    load_glass(&g);
    char d1[4096], d2[4096], n1[64], n2[64];
    snprintf(n1, sizeof n1, "straight_%s", name);
    snprintf(n2, sizeof n2, "resumed_%s", name);
    tmp_dir(d1, sizeof d1, n1);
    tmp_dir(d2, sizeof d2, n2);
    sb_shear_options o = quick(d1);
    o.minimizer = minimizer;
    o.extrapolate = 1.0;
    o.max_strain = 0.006;
    o.checkpoint_every = 3;
    o.nsave = 1;
    o.save[0] = 0.004;
    sb_shear_result r1, r2;
    sb_error err;
    cr_assert_eq(sb_shear(&g, &o, &r1, &err), SB_OK, "%s", err.msg);

    o.run_dir = d2;
    o.max_steps = 2;
    cr_assert_eq(sb_shear(&g, &o, &r2, &err), SB_ERR_INTERRUPTED, "%s", err.msg);
    char path[4300];
    snprintf(path, sizeof path, "%s/shear.json", d2);
    cr_expect(!sb_file_exists(path), "no summary from a stopped run");
    o.max_steps = 0;
    cr_expect_eq(sb_shear(&g, &o, &r2, &err), SB_ERR_INVALID_ARG, "checkpoint needs --resume");
    o.resume = true;
    cr_assert_eq(sb_shear(&g, &o, &r2, &err), SB_OK, "%s", err.msg);
    cr_expect_eq(r2.steps_run, 3, "resumed from step 3 of 6: ran %lld", (long long)r2.steps_run);
    cr_expect_eq(r1.final_stress, r2.final_stress, "final stress %.17g vs %.17g", r1.final_stress,
                 r2.final_stress);

    double *a, *b;
    size_t na, nb;
    read_csv(d1, &a, &na);
    read_csv(d2, &b, &nb);
    cr_assert_eq(na, 7);
    cr_assert_eq(nb, na);
    cr_expect_eq(memcmp(a, b, 5 * na * sizeof *a), 0, "resumed table differs from uninterrupted");
    /* Snapshots agree too. */
    sb_structure s1 = SB_STRUCTURE_INIT, s2 = SB_STRUCTURE_INIT;
    snprintf(path, sizeof path, "%s/strain_0.004.dump", d1);
    cr_assert_eq(sb_read_structure(path, &s1, &err), SB_OK, "%s", err.msg);
    snprintf(path, sizeof path, "%s/strain_0.004.dump", d2);
    cr_assert_eq(sb_read_structure(path, &s2, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(s1.n, s2.n);
    cr_expect_eq(memcmp(s1.x, s2.x, 3 * s1.n * sizeof *s1.x), 0);
    cr_expect(sb_structure_find_property(&s1, "d2min") != NULL, "snapshot lacks d2min");
    /* A finished run is never redone. */
    cr_assert_eq(sb_shear(&g, &o, &r2, &err), SB_OK, "%s", err.msg);
    cr_expect(r2.already_done);
    free(a);
    free(b);
    sb_structure_free(&s1);
    sb_structure_free(&s2);
    sb_structure_free(&g);
}

Test(engine_shear, stopped_and_resumed_equals_uninterrupted, .timeout = 600)
{
    check_resume("lbfgs", SB_MIN_LBFGS);
}

/* The data set's runs (CG, forcezero, extrapolated start) are resumed across sessions. */
Test(engine_shear, stopped_and_resumed_equals_uninterrupted_cg, .timeout = 600)
{
    check_resume("cg", SB_MIN_CG);
}

/* Run the standard recipe (affine start, LAMMPS's quadratic line search, ftol 1e-8) and
 * `candidate` to `max_strain` in steps of 1e-3, expect the same minimum at every step (stress
 * within stress_tol GPa, energy within energy_tol eV/atom), and return both runs' force
 * evaluations summed from step `from` on. */
static void against_standard(const char *name, sb_shear_options candidate, double max_strain,
                             double stress_tol, double energy_tol, size_t from, uint64_t *e_std,
                             uint64_t *e_cand)
{
    sb_structure g = SB_STRUCTURE_INIT;
    load_glass(&g);
    char d1[4096], d2[4096], n2[64];
    snprintf(n2, sizeof n2, "%s_candidate", name);
    tmp_dir(d1, sizeof d1, name);
    tmp_dir(d2, sizeof d2, n2);
    sb_shear_options o = quick(d1);
    o.max_strain = max_strain;
    o.minimizer = SB_MIN_CG;
    o.extrapolate = 0.0;
    o.linesearch = SB_LINE_QUADRATIC;
    sb_shear_result r1, r2;
    sb_error err;
    cr_assert_eq(sb_shear(&g, &o, &r1, &err), SB_OK, "%s", err.msg);
    candidate.run_dir = d2;
    candidate.max_strain = max_strain;
    cr_assert_eq(sb_shear(&g, &candidate, &r2, &err), SB_OK, "%s", err.msg);
    double *a, *b;
    size_t na, nb;
    read_csv(d1, &a, &na);
    read_csv(d2, &b, &nb);
    cr_assert_eq(na, (size_t)llround(max_strain / 1e-3) + 1);
    cr_assert_eq(nb, na);
    *e_std = *e_cand = 0;
    for (size_t k = 0; k < na; k++) {
        cr_expect(fabs(a[5 * k + 1] - b[5 * k + 1]) < stress_tol, "%s, step %zu: stress %.10f vs %.10f GPa",
                  name, k, a[5 * k + 1], b[5 * k + 1]);
        cr_expect(fabs(a[5 * k + 2] - b[5 * k + 2]) < energy_tol, "%s, step %zu: energy %.12f vs %.12f eV",
                  name, k, a[5 * k + 2], b[5 * k + 2]);
        if (k >= from) {
            *e_std += (uint64_t)a[5 * k + 4];
            *e_cand += (uint64_t)b[5 * k + 4];
        }
    }
    /* The step-5 drop is this glass's first plastic event (checked for the longer runs). */
    if (na > 6) cr_expect(a[5 * 5 + 1] < a[5 * 4 + 1], "the standard recipe has its stress drop at step 5");
    free(a);
    free(b);
    sb_structure_free(&g);
}

/* The older accelerated recipe (CG, extrapolated start, forcezero line search) against the
 * standard recipe: the same minima in the elastic range (both converge from nearby starts),
 * with fewer force evaluations in the steps that can use the extrapolation (2-5). */
Test(engine_shear, accelerated_equals_standard_recipe, .timeout = 600)
{
    sb_shear_options o = quick(NULL);
    o.minimizer = SB_MIN_CG;
    o.linesearch = SB_LINE_FORCEZERO;
    o.extrapolate = 1.0;
    uint64_t ea, eb;
    against_standard("accelerated", o, 0.005, 1e-4, 1e-8, 2, &ea, &eb);
    cr_expect(eb * 3 < ea * 2, "accelerated %llu force evaluations vs standard %llu (steps 2-5)",
              (unsigned long long)eb, (unsigned long long)ea);
    fprintf(stderr, "AQS 864 atoms, steps 2-5 of 1e-3: standard recipe %llu force evaluations, "
            "accelerated %llu\n", (unsigned long long)ea, (unsigned long long)eb);
}

/* L-BFGS against the standard recipe, both from the affine start and to ftol 1e-8: the same
 * minimum at every step, including the stress drop at 0.5 % strain (the first plastic event
 * of this glass), with fewer force evaluations (measured 1.86x fewer to 3 %). */
Test(engine_shear, lbfgs_reaches_the_standard_minima, .timeout = 600)
{
    sb_shear_options o = quick(NULL);
    o.extrapolate = 0.0;
    o.minimizer = SB_MIN_LBFGS;
    uint64_t ea, eb;
    against_standard("lbfgs", o, 0.006, 1e-6, 1e-10, 0, &ea, &eb);
    cr_expect(eb * 10 < ea * 7, "L-BFGS %llu force evaluations vs standard %llu",
              (unsigned long long)eb, (unsigned long long)ea);
    fprintf(stderr, "AQS 864 atoms, 6 steps of 1e-3, ftol 1e-8: standard recipe %llu force evaluations, "
            "L-BFGS %llu\n", (unsigned long long)ea, (unsigned long long)eb);
}

/* A tolerance below the round-off floor of the force norm: L-BFGS must give up when the norm
 * stops improving (1000 iterations), not run to maxiter. */
Test(engine_shear, lbfgs_stops_at_the_round_off_floor, .timeout = 600)
{
    sb_structure g = SB_STRUCTURE_INIT;
    load_glass(&g);
    char d[4096];
    tmp_dir(d, sizeof d, "lbfgs_floor");
    sb_shear_options o = quick(d);
    o.max_strain = 0.001;
    o.extrapolate = 0.0;
    o.minimizer = SB_MIN_LBFGS;
    o.ftol = 1e-16;
    o.maxiter = 100000;
    o.maxeval = 100000;
    sb_shear_result r;
    sb_error err;
    cr_assert_eq(sb_shear(&g, &o, &r, &err), SB_OK, "%s", err.msg);
    double *a;
    size_t na;
    read_csv(d, &a, &na);
    cr_assert_eq(na, 2);
    cr_expect(a[5 * 1 + 3] > 1000 && a[5 * 1 + 3] < 20000, "step 1: %.0f iterations", a[5 * 1 + 3]);
    cr_expect(fabs(a[5 * 1 + 1] - 0.03791302) < 1e-7, "step 1 stress %.10f GPa", a[5 * 1 + 1]);
    /* The log gets one line per minimisation, not a thermo block per 5-step chunk (> 200). */
    char path[4200], *log = NULL;
    snprintf(path, sizeof path, "%s/log.lammps", d);
    cr_assert_eq(sb_read_file(path, &log, NULL, &err), SB_OK, "%s", err.msg);
    size_t loops = 0;
    for (const char *p = log; (p = strstr(p, "Loop time")) != NULL; p++) loops++;
    cr_expect(loops < 10, "%zu run blocks in the log", loops);
    cr_expect(strstr(log, "L-BFGS: ") != NULL && strstr(log, "(stalled)") != NULL,
              "no L-BFGS summary line in the log");
    free(log);
    free(a);
    sb_structure_free(&g);
}

Test(engine_shear, shuffle_keeps_original_ids, .timeout = 600)
{
    sb_structure g = SB_STRUCTURE_INIT;
    load_glass(&g);
    char d0[4096], d1[4096];
    tmp_dir(d0, sizeof d0, "plain");
    tmp_dir(d1, sizeof d1, "shuffled");
    sb_shear_options o = quick(d0);
    o.max_strain = 1e-3;
    o.nsave = 1;
    o.save[0] = 1e-3;
    sb_error err;
    cr_assert_eq(sb_shear(&g, &o, NULL, &err), SB_OK, "%s", err.msg);
    o.run_dir = d1;
    o.shuffle = true;
    o.shuffle_seed = 99;
    cr_assert_eq(sb_shear(&g, &o, NULL, &err), SB_OK, "%s", err.msg);
    char p0[4300], p1[4300];
    snprintf(p0, sizeof p0, "%s/strain_0.001.dump", d0);
    snprintf(p1, sizeof p1, "%s/strain_0.001.dump", d1);
    sb_structure a = SB_STRUCTURE_INIT, b = SB_STRUCTURE_INIT;
    cr_assert_eq(sb_read_structure(p0, &a, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(sb_read_structure(p1, &b, &err), SB_OK, "%s", err.msg);
    size_t *order;
    cr_assert_eq(sb_structure_id_order(&b, &order, &err), SB_OK);
    double worst = 0;
    for (size_t i = 0; i < a.n; i++) {
        const size_t j = sb_structure_index_of(&b, order, a.id[i]);
        cr_assert(j != (size_t)-1, "id %lld missing", (long long)a.id[i]);
        cr_expect_eq(a.type[i], b.type[j]);
        double d[3];
        for (int k = 0; k < 3; k++) d[k] = b.x[3 * j + k] - a.x[3 * i + k];
        sb_cell_min_image(&a.cell, d);
        worst = fmax(worst, sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]));
    }
    /* One elastic step: the two paths agree closely (not bitwise). */
    cr_expect(worst < 1e-3, "shuffled run moved atom ids: worst %.3g A", worst);
    /* The atom order in the input is the original one for both. */
    for (size_t i = 0; i < a.n; i++) cr_expect_eq(a.id[i], g.id[i]);
    free(order);
    sb_structure_free(&a);
    sb_structure_free(&b);
    sb_structure_free(&g);
}

Test(engine_shear, lammps_failure_past_validation_is_reported, .timeout = 120)
{
    sb_structure g = SB_STRUCTURE_INIT;
    load_glass(&g);
    char dir[4096], pot[4200];
    tmp_dir(dir, sizeof dir, "badpot");
    sb_mkdir_p(dir, NULL);
    snprintf(pot, sizeof pot, "%s/not_a_potential.eam.fs", dir);
    FILE *fp = fopen(pot, "w");
    fputs("this is not an EAM file\n", fp);
    fclose(fp);
    sb_shear_options o = quick(dir);
    o.potential = pot;
    sb_error err;
    cr_assert_eq(sb_shear(&g, &o, NULL, &err), SB_ERR_ENGINE, "%s", err.msg);
    cr_expect(strstr(err.msg, "ERROR") != NULL, "message: %s", err.msg);
    cr_expect(strstr(err.msg, "pair_coeff") != NULL, "message: %s", err.msg);
    fprintf(stderr, "reported: %s\n", err.msg);
    sb_structure_free(&g);
}

Test(engine_shear, validation)
{
    sb_structure g = SB_STRUCTURE_INIT;
    load_glass(&g);
    sb_shear_options o = quick("/tmp/unused");
    sb_error err;
    o.max_strain = 0.0045;
    cr_expect_eq(sb_shear_validate(&g, &o, &err), SB_ERR_INVALID_ARG, "not a multiple");
    o = quick("/tmp/unused");
    o.nsave = 1;
    o.save[0] = 0.1;
    cr_expect_eq(sb_shear_validate(&g, &o, &err), SB_ERR_INVALID_ARG, "save beyond max strain");
    o = quick("/tmp/unused");
    o.orientation = 24;
    cr_expect_eq(sb_shear_validate(&g, &o, &err), SB_ERR_INVALID_ARG);
    o = quick("/tmp/unused");
    o.max_strain = 0.6;
    cr_expect_eq(sb_shear_validate(&g, &o, &err), SB_ERR_INVALID_ARG, "tilt beyond LAMMPS limit");
    o = quick("/tmp/unused");
    o.extrapolate = -0.5;
    cr_expect_eq(sb_shear_validate(&g, &o, &err), SB_ERR_INVALID_ARG, "negative extrapolation");
    o.extrapolate = NAN;
    cr_expect_eq(sb_shear_validate(&g, &o, &err), SB_ERR_INVALID_ARG, "NaN extrapolation");
    o = quick("/tmp/unused");
    o.min_modify = "dmax 0.2\nquit";
    cr_expect_eq(sb_shear_validate(&g, &o, &err), SB_ERR_INVALID_ARG, "two commands in min_modify");
    g.cell.xy = 1.0;
    o = quick("/tmp/unused");
    sb_cell_set(&g.cell, g.cell.lo, g.cell.hi, 1.0, 0, 0, NULL);
    cr_expect_eq(sb_shear_validate(&g, &o, &err), SB_ERR_GEOMETRY);
    sb_structure_free(&g);
}
