/*
 * shearband/quench.h: make a Cu_x Zr_(100-x) glass by melt-quench molecular dynamics.
 *
 * Schedule (METHOD.md section 2), all NPT at P = 0 (Nose-Hoover, LAMMPS fix npt iso):
 *   random gas of N atoms at the given number density (C-generated, seeded, minimum
 *   separation) -> short minimisation (push-off) -> velocities at T_melt (seeded) ->
 *   melt at T_melt for melt_time -> cool at `rate` to T_q
 *   [with swap_anneal: cool to swap_temp, hold swap_time with Cu<->Zr swap Monte Carlo
 *    (fix atom/swap ... ke yes) on top of MD, then cool on to T_q (swap_temp = T_q: hold at
 *    T_q, then minimise)]
 *   -> minimise to 0 K with the box relaxed to P = 0 (fix box/relax iso 0), then once more
 *   at fixed box.
 * Units: K, ps, K/s, A, eV, g/cm^3 (METHOD.md: LAMMPS metal).
 *
 * The run directory holds the LAMMPS log, the parameter record and a restart file written
 * after every chunk of MD (write_restart to a temporary name, then rename): with `resume`
 * the run continues from it, re-entering the schedule at the restart's time step (the
 * ramps use `run N start A stop B`, so they stay continuous). A resumed glass is a valid
 * glass of the same schedule but not bitwise the uninterrupted one (the restart does not
 * carry neighbour-list order or the velocity RNG). An uninterrupted run is bitwise
 * reproducible for a given seed on one process.
 */
#ifndef SHEARBAND_QUENCH_H
#define SHEARBAND_QUENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shearband/status.h"
#include "shearband/structure.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sb_quench_options {
    size_t natoms;                /* 4000 */
    double cu_percent;            /* x of Cu_x Zr_(100-x): 50 */
    const char *potential;        /* /usr/share/lammps/potentials/CuZr_mm.eam.fs */
    const char *pair_style;       /* "eam/fs" or "eam/alloy" */
    char elements[2][SB_ELEMENT_LEN]; /* element names in the potential file: Cu, Zr */
    double melt_temp;             /* 2000 K */
    double melt_time;             /* 10 ps */
    double rate;                  /* cooling rate, 1e13 K/s */
    double tq;                    /* 50 K: end of MD cooling, then minimisation */
    double timestep;              /* 0.002 ps */
    double tdamp, pdamp;          /* thermostat / barostat damping: 0.2 ps, 2.0 ps */
    double number_density;        /* initial gas, atoms/A^3: 0.055 (liquid CuZr near 2000 K) */
    double min_separation;        /* initial gas, A: 2.0 */
    uint64_t seed;                /* positions, types, velocities, swap MC: 1 */
    bool swap_anneal;             /* false */
    double swap_temp, swap_time;  /* 750 K, 100 ps */
    int swap_every, swap_attempts; /* fix atom/swap N X: 50, 20 */
    double ftol;                  /* final minimisation force tolerance, eV/A: 1e-8 */
    int min_maxiter;              /* 10000 (maxeval = 10 x) */
    int chunk_steps;              /* MD steps between checkpoints; 0 = auto (~2e6/N) */
    const char *run_dir;          /* required: log.lammps, quench.params, quench.restart */
    const char *output;           /* required: OUT.data; provenance beside it as OUT.json */
    bool resume;                  /* continue from run_dir/quench.restart */
    const char *branch_from;      /* NULL, or the run_dir of a finished quench with the same
                                     options but a higher tq (>= this tq; with swap_anneal
                                     <= swap_temp): continue ITS cooling from the end of its
                                     MD on down to this tq instead of melting again. The
                                     cooling ramp is one and the same line, T(t) = T_melt -
                                     rate t, so a sweep over T_q costs one trajectory. With
                                     swap_anneal at this glass's own tq (swap_temp = tq),
                                     the branch anneals at its own tq too and is continued
                                     from where its anneal began (quench.cooled.restart);
                                     it need not be finished. */
    bool verbose;                 /* LAMMPS screen output */
    bool progress;                /* one updating progress line on stderr */
    long max_chunks;              /* stop (SB_ERR_INTERRUPTED) after this many chunks; 0 = off */
    int argc;                     /* command line for provenance (may be 0) */
    char *const *argv;
} sb_quench_options;

sb_quench_options sb_quench_options_default(void);

typedef struct sb_quench_result {
    size_t natoms, ncu;
    double pe_per_atom;      /* eV/atom after minimisation */
    double density;          /* g/cm^3 */
    double volume;           /* A^3 */
    double pressure;         /* bar, after minimisation */
    int64_t md_steps;        /* MD steps in the schedule */
    int64_t md_steps_run;    /* MD steps run by this call (less when resumed) */
    double md_seconds;       /* wall time of those steps */
    double us_per_atom_step; /* MD cost, microseconds per atom-step */
    int64_t min_iterations;  /* minimiser iterations (both minimisations) */
    bool already_done;       /* resume found the finished outputs: nothing was run */
    char lammps_version[32];
} sb_quench_result;

/* Validate everything that can be checked without LAMMPS (ranges, files, elements). */
sb_status sb_quench_validate(const sb_quench_options *opt, sb_error *err);

/* The JSON record a quench writes next to its glass: GLASS.data -> GLASS.json (the
 * extension replaced). SB_ERR_INVALID_ARG when the glass itself is a .json or the path is
 * longer than sz. */
sb_status sb_quench_record_path(const char *output, char *buf, size_t sz, sb_error *err);

/* Run the whole quench in an engine job (a child process in serial use). */
sb_status sb_quench(const sb_quench_options *opt, sb_quench_result *res, sb_error *err);

/* The random initial gas (exposed for tests): n atoms, ncu of type 1, in a cube at the
 * given number density, every pair at least min_sep apart (random sequential addition on
 * a cell grid). Fails with SB_ERR_INVALID_ARG if the density is too high to place them. */
sb_status sb_quench_initial_gas(const sb_quench_options *opt, sb_structure *s, sb_error *err);

#ifdef __cplusplus
}
#endif
#endif
