/*
 * shearband/engine.h: the simulation engine, LAMMPS embedded through its C library API.
 *
 * Conventions:
 *   - LAMMPS `metal` units throughout: Angstrom, eV, ps, K, bar, g/mol. Every engine
 *     instance is opened with `units metal`, `atom_style atomic`, `boundary p p p`,
 *     `atom_modify map array` (needed to gather/scatter by id) and `thermo_modify norm no`.
 *   - Atom ids inside LAMMPS are always 1..N in the order of the sb_structure that was
 *     loaded: LAMMPS atom id k is structure atom k-1. Callers keep the structure's own ids
 *     (s->id) to map results back; gather/scatter arrays are indexed by LAMMPS id - 1.
 *   - No LAMMPS or MPI type appears here: an engine is an opaque handle and a
 *     communicator is passed as a pointer to an MPI_Comm.
 *
 * Errors. Debian's LAMMPS 29Sep2021 is built without C++ exceptions: a bad command makes
 * LAMMPS print "ERROR: ..." to its log and call exit(1) inside the library. The engine
 * therefore
 *   1. validates every parameter it can before calling LAMMPS;
 *   2. runs each job (a quench, a shear run) through sb_engine_run_job(), which in a serial
 *      process fork()s a child that opens LAMMPS, does the whole job including writing
 *      its outputs atomically, and exits; the parent waits, and if the child died it reads
 *      the last "ERROR" line of the job's LAMMPS log and returns SB_ERR_ENGINE with
 *      LAMMPS's own message. The caller survives any LAMMPS failure.
 *   3. With a LAMMPS built with exceptions (lammps_config_has_exceptions()), errors are
 *      detected after each command with lammps_has_error() and no fork is needed.
 *   4. Under mpirun (MPI already initialised, or OMPI_COMM_WORLD_SIZE / PMI_SIZE set) there
 *      is no fork: the job runs in-process on MPI_COMM_WORLD, and a LAMMPS error without
 *      exceptions aborts the whole MPI job (LAMMPS's message is still in the log).
 * Functions taking an sb_engine * are only meant to be called inside a job (or on an
 * engine opened by hand in a process that accepts LAMMPS's exit on error).
 */
#ifndef SHEARBAND_ENGINE_H
#define SHEARBAND_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shearband/cell.h"
#include "shearband/status.h"
#include "shearband/structure.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sb_engine sb_engine;

typedef struct sb_engine_options {
    const char *log_path; /* LAMMPS log file; NULL = no log (errors then lose their text) */
    bool screen;          /* LAMMPS screen output to stdout (else -screen none) */
    const void *mpi_comm; /* pointer to an MPI_Comm to run on; NULL = serial instance */
} sb_engine_options;

sb_engine_options sb_engine_options_default(void);

/* Open a LAMMPS instance (see the conventions above for the commands it issues). */
sb_status sb_engine_open(sb_engine **engine, const sb_engine_options *opt, sb_error *err);
/* Replace the LAMMPS instance by a fresh one with the same options (the log continues in
 * append mode); the handle stays valid. Used to start each AQS segment from a checkpoint
 * in exactly the state a resumed run starts from. The force counter restarts at 0. */
sb_status sb_engine_reset(sb_engine *engine, sb_error *err);
/* Close the instance (MPI stays initialised: see sb_engine_finalize_mpi). NULL is fine. */
void sb_engine_close(sb_engine *engine);
/* Finalise MPI if LAMMPS initialised it (call once, at the very end of a process). */
void sb_engine_finalize_mpi(void);

/* Run one LAMMPS command, printf-style. The command text is kept for error messages.
 * Commands starting with run/minimize make thermo values current; change_box,
 * displace_atoms, create/delete/read commands and scatters make them stale. */
sb_status sb_engine_command(sb_engine *engine, sb_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The last command issued (for messages); "" before any. */
const char *sb_engine_last_command(const sb_engine *engine);

/* `pair_style STYLE`, through LAMMPS's OPT accelerator (STYLE/opt) when this build has it:
 * the same potential and tables with the inner loop specialised: for eam/fs on 4000 atoms
 * 15 % less time per MD step and 1.5x less per force evaluation in minimisations
 * (bench/README-aqs.md); results agree to round-off. */
sb_status sb_engine_pair_style(sb_engine *engine, const char *style, sb_error *err);
/* The pair style actually issued ("eam/fs/opt"), for provenance; "" before any. */
const char *sb_engine_pair_style_used(const sb_engine *engine);

/* Create the simulation box and atoms of s in an empty instance: region prism (triclinic,
 * also when s's cell is orthogonal and `triclinic` is set, which change_box xy needs) or
 * block, create_box with s->ntypes types, `mass` per type (s->mass must be finite), then
 * lammps_create_atoms with exact doubles (no text round trip). LAMMPS id k = atom k-1.
 * Element names are remembered for sb_engine_get_structure. */
sb_status sb_engine_load_structure(sb_engine *engine, const sb_structure *s, bool triclinic,
                                   sb_error *err);

size_t sb_engine_natoms(const sb_engine *engine);
int64_t sb_engine_timestep(const sb_engine *engine);
int sb_engine_rank(const sb_engine *engine); /* MPI rank in the engine's communicator */

/* Positions (3N, indexed by LAMMPS id - 1) and optionally image flags (3N ints). */
sb_status sb_engine_gather_x(sb_engine *engine, double *x, int *image, sb_error *err);
/* Set all positions (3N, indexed by LAMMPS id - 1). */
sb_status sb_engine_scatter_x(sb_engine *engine, const double *x, sb_error *err);
/* Current simulation cell. */
sb_status sb_engine_get_cell(sb_engine *engine, sb_cell *cell, sb_error *err);
/* Replace the box exactly (bounds and tilts, no remap of atoms). */
sb_status sb_engine_set_cell(sb_engine *engine, const sb_cell *cell, sb_error *err);
/* The whole configuration (ids 1..N, types, positions, image flags, cell, masses, the
 * element names given at load time) into out (freed first). */
sb_status sb_engine_get_structure(sb_engine *engine, sb_structure *out, sb_error *err);

/* A thermo keyword's value after a run/minimize. The engine sets thermo_style custom with
 * SB_ENGINE_THERMO_KEYWORDS when opened and refuses any other keyword, and refuses when no
 * run/minimize has happened since the last change (LAMMPS would exit on both). */
#define SB_ENGINE_THERMO_KEYWORDS \
    "step temp pe ke etotal press pxx pyy pzz pxy pxz pyz vol lx ly lz xy density"
sb_status sb_engine_thermo(sb_engine *engine, const char *keyword, double *value, sb_error *err);

/* Count force evaluations (MD steps and minimiser line-search evaluations alike) through a
 * `fix external pf/callback` that adds zero force. Install once after atoms exist. */
sb_status sb_engine_count_forces(sb_engine *engine, sb_error *err);
uint64_t sb_engine_force_evals(const sb_engine *engine);

/* Minimise the energy at fixed box by L-BFGS to a force two-norm below ftol (eV/A, the
 * criterion of LAMMPS's `minimize` ftol), or until maxiter iterations / maxeval force
 * evaluations. Driven from the force callback inside LAMMPS `run`s with no integrator, so
 * neighbour lists and periodic images are LAMMPS's own. Serial engines only. Afterwards the
 * thermo keywords are those of the final positions. */
typedef struct sb_engine_min_result {
    int64_t iterations;
    uint64_t force_evals;  /* every evaluation LAMMPS made, the final thermo one included */
    double fnorm;          /* force two-norm at the last evaluation (eV/A) */
    bool converged;        /* fnorm < ftol; false also when the norm stopped improving for
                            * 1000 iterations (the round-off floor), like CG's "linesearch
                            * alpha is zero" */
} sb_engine_min_result;
sb_status sb_engine_minimize_lbfgs(sb_engine *engine, double ftol, int64_t maxiter, int64_t maxeval,
                                   sb_engine_min_result *res, sb_error *err);

/* LAMMPS version, e.g. "29 Sep 2021" (from lammps_version()), and whether this LAMMPS
 * turns errors into exceptions. Neither needs an open instance. */
void sb_engine_lammps_version(char *buf, size_t bufsz);
bool sb_engine_has_exceptions(void);

/* How sb_engine_run_job will isolate LAMMPS in this process. */
typedef enum sb_engine_mode {
    SB_ENGINE_FORK = 0,   /* serial: a forked child per job */
    SB_ENGINE_EXCEPTIONS, /* LAMMPS with exceptions: in-process, errors caught */
    SB_ENGINE_MPI,        /* under mpirun: in-process on MPI_COMM_WORLD, errors abort */
} sb_engine_mode;
sb_engine_mode sb_engine_job_mode(void);

/* A job: run(engine, arg, result, err) is called with a freshly opened engine. result
 * points to result_size bytes that the job fills; they are copied back to the caller's
 * buffer (through a pipe when the job ran in a child). A job may close and reopen
 * engines itself through sb_engine_open with *engine_opt. */
typedef sb_status (*sb_engine_job_fn)(sb_engine *engine, void *arg, void *result,
                                      sb_error *err);
typedef struct sb_engine_job {
    sb_engine_job_fn run;
    void *arg;
    void *result;       /* may be NULL when result_size is 0 */
    size_t result_size;
    sb_engine_options engine_opt; /* log_path should be set: it carries LAMMPS's errors */
} sb_engine_job;

/* Run a job with LAMMPS errors contained (see the header comment). Returns the job's own
 * status, or SB_ERR_ENGINE "LAMMPS: ERROR: ... (last command: ...)" when LAMMPS died, or
 * SB_ERR_INTERRUPTED when the child was killed by a signal. */
sb_status sb_engine_run_job(const sb_engine_job *job, sb_error *err);

/* The last "ERROR" line of a LAMMPS log (and the "Last command:" line after it) into buf;
 * false when the log has none. */
bool sb_engine_log_error(const char *log_path, char *buf, size_t bufsz);

#ifdef __cplusplus
}
#endif
#endif
