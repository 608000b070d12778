/*
 * shearband/shear.h: athermal quasistatic (AQS) simple shear of a glass (METHOD.md 3).
 *
 * Each step: the box tilt is set to xy = k * step * ly with an affine remap of all atoms
 * (change_box all xy final ... remap), then the energy is minimised at fixed box (CG or FIRE,
 * force tolerance ftol). The engineering shear strain is gamma = xy / ly; the shear stress is
 * tau = -pxy (bar) * 1e-4 GPa (LAMMPS's pressure tensor is compressive-positive). Step 0 is a
 * minimisation of the unsheared sample: the reference configuration.
 *
 * Before shearing, the sample is rotated by loading orientation K (shearband/orientation.h)
 * and, with `shuffle`, its atoms are put in a random order and renumbered 1..N in LAMMPS
 * (different summation order, hence a different numerical AQS path). Every output maps
 * back to the ORIGINAL atom ids (and original order) of the input glass, in the rotated
 * and sheared cell.
 *
 * Run directory:
 *   log.lammps           LAMMPS log of the last segment
 *   shear.params         the parameters; --resume refuses a run with different ones
 *   checkpoint.txt       step, exact cell, positions (LAMMPS order) and the CSV rows so far
 *   stress_strain.csv    strain, shear stress (GPa), energy (eV/atom), minimiser
 *                        iterations, force evaluations: rewritten (atomically) at every
 *                        checkpoint and at the end
 *   reference.dump       the 0-strain reference (original ids)
 *   strain_0.100.dump    snapshot at each saved strain, with per-atom d2min and
 *                        shear_strain (relative to the reference, D2min cutoff 5 A)
 *   shear.json           provenance, parameters, summary, band location at saved strains
 *   shear.done           marks a finished run: --resume then does nothing
 * Checkpoints and resume: the run is a sequence of segments of `checkpoint_every` steps;
 * EVERY segment (not only a resumed one) starts a fresh LAMMPS instance from the last
 * checkpoint, so an interrupted run resumed with `resume` is bitwise identical to an
 * uninterrupted one.
 */
#ifndef SHEARBAND_SHEAR_H
#define SHEARBAND_SHEAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shearband/status.h"
#include "shearband/structure.h"

#ifdef __cplusplus
extern "C" {
#endif

/* CG and FIRE are LAMMPS's `min_style`s; L-BFGS is the engine's own, driven through LAMMPS
 * (sb_engine_minimize_lbfgs). */
typedef enum sb_minimizer { SB_MIN_CG = 0, SB_MIN_FIRE = 1, SB_MIN_LBFGS = 2 } sb_minimizer;

/* "cg", "fire", "lbfgs" */
const char *sb_minimizer_name(sb_minimizer m);
/* The inverse of sb_minimizer_name; false for an unknown name. */
bool sb_minimizer_parse(const char *name, sb_minimizer *m);

/* CG line search (LAMMPS `min_modify line`); LAMMPS's own default is quadratic. */
typedef enum sb_linesearch {
    SB_LINE_FORCEZERO = 0, SB_LINE_QUADRATIC = 1, SB_LINE_BACKTRACK = 2
} sb_linesearch;

/* "forcezero", "quadratic", "backtrack" */
const char *sb_linesearch_name(sb_linesearch l);

enum { SB_SHEAR_MAX_SAVES = 32 };

/* sb_shear_options has mpi_comm. */
#define SB_SHEAR_HAS_MPI_COMM 1

typedef struct sb_shear_options {
    int orientation;         /* 0..23 (0) */
    bool shuffle;            /* re-order atoms (false) */
    uint64_t shuffle_seed;   /* seed of the permutation */
    double step;             /* strain increment (1e-4) */
    double max_strain;       /* 0.20 */
    sb_minimizer minimizer;  /* SB_MIN_LBFGS */
    sb_linesearch linesearch; /* CG only (SB_LINE_FORCEZERO) */
    double ftol;             /* eV/A (1e-8) */
    int maxiter;             /* per step (10000) */
    int maxeval;             /* per step (100000) */
    int nsave;               /* saved strains (2: 0.10, 0.20) */
    double save[SB_SHEAR_MAX_SAVES];
    double d2min_cutoff;     /* A (5.0); 0 = no D2min in snapshots */
    const char *potential;   /* /usr/share/lammps/potentials/CuZr_mm.eam.fs */
    const char *pair_style;  /* eam/fs */
    const char *run_dir;     /* required */
    bool resume;
    int checkpoint_every;    /* steps per segment (100) */
    double extrapolate;      /* start each minimisation from the affine move plus this
                              * factor times the previous step's non-affine displacement
                              * (0 = the affine move only, as the standard recipe) */
    double timestep;         /* ps; FIRE's initial step (0 = LAMMPS's default, 0.001) */
    const char *min_modify;  /* extra LAMMPS min_modify keywords, e.g. "line forcezero"
                              * or "tmax 20" (NULL = LAMMPS's defaults) */
    long max_steps;          /* stop with SB_ERR_INTERRUPTED after this many steps of this
                              * call, at a checkpoint (0 = off; for tests and time slices) */
    bool verbose, progress;
    const void *mpi_comm;    /* pointer to an MPI_Comm to run LAMMPS on under mpirun (the
                              * ranks of that communicator call sb_shear together; its rank 0
                              * writes the files); NULL = MPI_COMM_WORLD */
    int argc;
    char *const *argv;
} sb_shear_options;

sb_shear_options sb_shear_options_default(void);

typedef struct sb_shear_result {
    int64_t steps;            /* AQS steps completed in total */
    int64_t steps_run;        /* steps run by this call */
    double final_strain, final_stress;  /* GPa */
    double peak_strain, peak_stress;    /* GPa */
    double shear_modulus;     /* GPa: least-squares slope of stress vs strain up to 1 % */
    double seconds;           /* wall time of this call's steps */
    double seconds_per_step;
    uint64_t force_evals;     /* this call */
    int64_t min_iterations;   /* this call */
    bool already_done;
    char lammps_version[32];
} sb_shear_result;

sb_status sb_shear_validate(const sb_structure *glass, const sb_shear_options *opt, sb_error *err);

/* Shear the glass (orthogonal cell, element names set for its types). */
sb_status sb_shear(const sb_structure *glass, const sb_shear_options *opt, sb_shear_result *res,
                   sb_error *err);

/* Read stress_strain.csv rows back (for tests and plots): *rows gets 5 doubles per row. */
sb_status sb_shear_read_csv(const char *path, double **rows, size_t *nrows, sb_error *err);

#ifdef __cplusplus
}
#endif
#endif
