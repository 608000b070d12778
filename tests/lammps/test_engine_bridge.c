/*
 * The LAMMPS bridge on real LAMMPS: exact load/gather round trip, fcc Cu cohesive energy
 * as an oracle for "the potential is wired right", force-evaluation counting, and LAMMPS
 * errors (bad command, missing potential file) becoming SB_ERR_ENGINE with LAMMPS's own
 * message while the caller survives and can run the next job.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/engine.h"
#include "shearband/fileutil.h"

#define POTENTIAL "/usr/share/lammps/potentials/CuZr_mm.eam.fs"

static void tmp_path(char *buf, size_t sz, const char *name)
{
    const char *dir = getenv("SB_TEST_TMP");
    if (!dir) dir = "/tmp";
    sb_mkdir_p(dir, NULL);
    snprintf(buf, sz, "%s/engine_bridge_%s", dir, name);
}

/* n x n x n fcc cells of lattice constant a, all type 1 (Cu), in a 2-type box. */
static void make_fcc(sb_structure *s, int n, double a)
{
    cr_assert_eq(sb_structure_alloc(s, (size_t)(4 * n * n * n), 2, NULL), SB_OK);
    const char *names[2] = {"Cu", "Zr"};
    cr_assert_eq(sb_structure_set_elements(s, names, NULL), SB_OK);
    sb_cell_set_ortho(&s->cell, n * a, n * a, n * a, NULL);
    static const double basis[4][3] = {{0, 0, 0}, {0.5, 0.5, 0}, {0.5, 0, 0.5}, {0, 0.5, 0.5}};
    size_t i = 0;
    for (int cx = 0; cx < n; cx++)
        for (int cy = 0; cy < n; cy++)
            for (int cz = 0; cz < n; cz++)
                for (int b = 0; b < 4; b++, i++) {
                    s->x[3 * i] = (cx + basis[b][0]) * a;
                    s->x[3 * i + 1] = (cy + basis[b][1]) * a;
                    s->x[3 * i + 2] = (cz + basis[b][2]) * a;
                    s->type[i] = 1;
                }
}

typedef struct fcc_result {
    double pe_per_atom, max_x_diff, pxy;
    uint64_t evals;
    int64_t steps;
    int thermo_refused;
} fcc_result;

static sb_status fcc_job(sb_engine *e, void *arg, void *result, sb_error *err)
{
    const sb_structure *s = arg;
    fcc_result *r = result;
    sb_status st = sb_engine_load_structure(e, s, true, err);
    if (st) return st;
    double *x = malloc(3 * s->n * sizeof *x);
    st = sb_engine_gather_x(e, x, NULL, err);
    r->max_x_diff = 0;
    for (size_t i = 0; i < 3 * s->n; i++) r->max_x_diff = fmax(r->max_x_diff, fabs(x[i] - s->x[i]));
    free(x);
    if (st) return st;
    double v;
    r->thermo_refused = sb_engine_thermo(e, "pe", &v, NULL) == SB_ERR_INVALID_ARG;
    if ((st = sb_engine_command(e, err, "pair_style eam/fs"))) return st;
    if ((st = sb_engine_command(e, err, "pair_coeff * * %s Cu Zr", POTENTIAL))) return st;
    if ((st = sb_engine_count_forces(e, err))) return st;
    const int64_t t0 = sb_engine_timestep(e);
    if ((st = sb_engine_command(e, err, "run 10"))) return st;
    r->steps = sb_engine_timestep(e) - t0;
    r->evals = sb_engine_force_evals(e);
    r->thermo_refused += sb_engine_thermo(e, "cella", &v, NULL) == SB_ERR_INVALID_ARG;
    if ((st = sb_engine_thermo(e, "pe", &v, err))) return st;
    r->pe_per_atom = v / (double)sb_engine_natoms(e);
    return sb_engine_thermo(e, "pxy", &r->pxy, err);
}

Test(engine_bridge, fcc_cu_round_trip_energy_and_force_count)
{
    sb_structure s = SB_STRUCTURE_INIT;
    /* Measured with plain lmp (box/relax minimisation of fcc Cu with CuZr_mm.eam.fs):
     * a0 = 3.6391 A, E = -3.28312 eV/atom. */
    make_fcc(&s, 4, 3.639);
    char log[4096];
    tmp_path(log, sizeof log, "fcc.log");
    fcc_result r;
    memset(&r, 0, sizeof r);
    sb_engine_job job = {.run = fcc_job, .arg = &s, .result = &r, .result_size = sizeof r};
    job.engine_opt = sb_engine_options_default();
    job.engine_opt.log_path = log;
    sb_error err;
    sb_status st = sb_engine_run_job(&job, &err);
    cr_assert_eq(st, SB_OK, "%s", err.msg);
    /* LAMMPS maps triclinic positions through lamda coordinates: a few ulp. */
    cr_expect(r.max_x_diff < 1e-12, "positions must round-trip, off by %g", r.max_x_diff);
    cr_expect_eq(r.thermo_refused, 2, "thermo before a run and an unknown keyword must be refused");
    cr_expect(fabs(r.pe_per_atom - (-3.28312)) < 1e-4, "fcc Cu energy %.5f eV/atom", r.pe_per_atom);
    cr_expect(fabs(r.pxy) < 1.0, "perfect fcc has no shear stress: pxy = %g bar", r.pxy);
    cr_expect_eq(r.steps, 10);
    /* setup + one per step */
    cr_expect_eq(r.evals, 11, "force evaluations %llu", (unsigned long long)r.evals);
    sb_structure_free(&s);
}

static sb_status bad_command_job(sb_engine *e, void *arg, void *result, sb_error *err)
{
    (void)arg;
    (void)result;
    return sb_engine_command(e, err, "this_is_not_a_lammps_command 1 2 3");
}

static sb_status missing_potential_job(sb_engine *e, void *arg, void *result, sb_error *err)
{
    (void)result;
    sb_status st = sb_engine_load_structure(e, arg, true, err);
    if (st) return st;
    if ((st = sb_engine_command(e, err, "pair_style eam/fs"))) return st;
    return sb_engine_command(e, err, "pair_coeff * * /nonexistent/CuZr.eam.fs Cu Zr");
}

static sb_status ok_job(sb_engine *e, void *arg, void *result, sb_error *err)
{
    (void)arg;
    *(int *)result = 42;
    return sb_engine_command(e, err, "variable a equal 1");
}

Test(engine_bridge, lammps_errors_become_status_and_caller_survives)
{
    char log[4096];
    sb_error err;
    tmp_path(log, sizeof log, "bad.log");
    sb_engine_job job = {.run = bad_command_job};
    job.engine_opt = sb_engine_options_default();
    job.engine_opt.log_path = log;
    sb_status st = sb_engine_run_job(&job, &err);
    cr_assert_eq(st, SB_ERR_ENGINE, "status %d: %s", st, err.msg);
    cr_expect(strstr(err.msg, "Unknown command") != NULL, "message: %s", err.msg);
    cr_expect(strstr(err.msg, "this_is_not_a_lammps_command") != NULL, "message: %s", err.msg);

    sb_structure s = SB_STRUCTURE_INIT;
    make_fcc(&s, 3, 3.639);
    tmp_path(log, sizeof log, "nopot.log");
    job.run = missing_potential_job;
    job.arg = &s;
    job.engine_opt.log_path = log;
    st = sb_engine_run_job(&job, &err);
    cr_assert_eq(st, SB_ERR_ENGINE, "status %d: %s", st, err.msg);
    cr_expect(strstr(err.msg, "/nonexistent/CuZr.eam.fs") != NULL, "message: %s", err.msg);
    sb_structure_free(&s);

    /* ...and the next job runs normally in the same caller. */
    int answer = 0;
    tmp_path(log, sizeof log, "ok.log");
    job.run = ok_job;
    job.arg = NULL;
    job.result = &answer;
    job.result_size = sizeof answer;
    job.engine_opt.log_path = log;
    st = sb_engine_run_job(&job, &err);
    cr_assert_eq(st, SB_OK, "%s", err.msg);
    cr_expect_eq(answer, 42);
}

Test(engine_bridge, library_errors_keep_their_status)
{
    /* A job's own (non-LAMMPS) failure comes back with its code and message. */
    sb_structure empty = SB_STRUCTURE_INIT;
    char log[4096];
    tmp_path(log, sizeof log, "empty.log");
    sb_engine_job job = {.run = missing_potential_job, .arg = &empty};
    job.engine_opt = sb_engine_options_default();
    job.engine_opt.log_path = log;
    sb_error err;
    cr_expect_eq(sb_engine_run_job(&job, &err), SB_ERR_INVALID_ARG, "%s", err.msg);
    cr_expect(strstr(err.msg, "empty") != NULL, "message: %s", err.msg);
}

Test(engine_bridge, log_error_parser)
{
    char log[4096], msg[512];
    tmp_path(log, sizeof log, "fake.log");
    FILE *fp = fopen(log, "w");
    fputs("LAMMPS (29 Sep 2021)\nERROR: first (a.cpp:1)\nLast command: one\nmore\n"
          "ERROR: Cannot open file x (b.cpp:2)\nLast command: pair_coeff * * x\n", fp);
    fclose(fp);
    cr_assert(sb_engine_log_error(log, msg, sizeof msg));
    cr_expect_str_eq(msg, "ERROR: Cannot open file x (b.cpp:2) (last command: pair_coeff * * x)");
    fp = fopen(log, "w");
    fputs("all good\n", fp);
    fclose(fp);
    cr_expect(!sb_engine_log_error(log, msg, sizeof msg));
}
