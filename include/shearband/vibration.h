/*
 * shearband/vibration.h: per-atom vibrational mean-square displacement (MSD) of a glass from
 * short NVT runs in an isoconfigurational ensemble (the MSD input of the flexibility volume,
 * Ding et al., Nat. Commun. 7, 13733 (2016); METHOD.md section 8).
 *
 * Ensemble. M runs start from the same 0 K configuration and differ only in the seed of the
 * initial Maxwell-Boltzmann velocities (run k gets velocity seed sb_vibration_run_seed(seed,
 * k)). Each run: velocities at T (zero total momentum) -> Nose-Hoover NVT at T at the
 * glass's own volume for `equilibration` ps -> `sampling` ps during which the unwrapped
 * position r_i(t) = x_i + image_i . H is sampled every `sample_every` ps (samples at
 * 0, dt_s, ..., sampling: sampling/dt_s + 1 of them). Per run
 *     MSD_i = < |r_i(t) - <r_i>|^2 >_t       (<.>_t over the samples),
 * accumulated as displacements from the first sample (no cancellation between large
 * absolute coordinates). The ensemble value is the mean over the M runs. The total
 * momentum stays zero under Nose-Hoover, so the centre of mass does not drift into the MSD.
 * Units: K, ps, A^2 (LAMMPS metal).
 *
 * Defaults (M = 8 runs, 1 ps equilibration, 4 ps sampling every 0.05 ps, dt 2 fs, Nose-Hoover
 * damping 0.1 ps) were chosen by measuring convergence on examples/cu50zr50_864.data with
 * bench/bench_vflex (numbers in bench/README-vflex.md): the run-to-run (isoconfigurational)
 * scatter dominates, not the window: single runs correlate only r ~ 0.3-0.5 atom by atom;
 * 1 ps windows are clearly worse than 4 ps, 8 ps no better; 1 ps of equilibration reaches
 * the target temperature and measures the same thing as 2 ps; two independent 8-run
 * ensembles give v_flex correlated at 0.74 with 74 % of the top-20 % fertile atoms in
 * common (two 4-run ensembles: ~0.65 and ~65 %).
 *
 * Run directory (results are cached per run, so a second call, or a call with a larger M,
 * reuses every finished run; an interrupted ensemble resumes at the first missing run):
 *   vibration.params   the parameters that define a run (everything but M) plus a
 *                      fingerprint of the glass (atom count, hash of ids, types, positions
 *                      and cell); a call with different ones is refused
 *   run_K.log          LAMMPS log of run K (K = 0, 1, ...)
 *   msd_run_K.txt      per-atom MSD of run K (header: seeds, temperatures, samples, LAMMPS
 *                      version; then "id msd_A2" in the glass's atom order), written
 *                      atomically after the run
 *   vibration.json     provenance, parameters, per-run seeds / mean temperature / mean MSD
 * Runs are engine jobs (shearband/engine.h): a LAMMPS error ends the run with SB_ERR_ENGINE
 * and LAMMPS's own message, the caller survives, and finished runs stay cached.
 */
#ifndef SHEARBAND_VIBRATION_H
#define SHEARBAND_VIBRATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shearband/status.h"
#include "shearband/structure.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { SB_VIBRATION_MAX_RUNS = 1000 };

typedef struct sb_vibration_options {
    double temperature;    /* K (300) */
    int runs;              /* M, isoconfigurational ensemble size (8) */
    double equilibration;  /* ps of NVT before sampling (1) */
    double sampling;       /* ps of sampling (4) */
    double sample_every;   /* ps between samples (0.05) */
    double timestep;       /* ps (0.002) */
    double tdamp;          /* Nose-Hoover damping time, ps (0.1) */
    uint64_t seed;         /* ensemble seed (1) */
    const char *potential; /* /usr/share/lammps/potentials/CuZr_mm.eam.fs */
    const char *pair_style; /* eam/fs (or eam/alloy) */
    const char *run_dir;   /* required */
    bool verbose;          /* LAMMPS screen output */
    bool progress;         /* one line per run on stderr */
    int argc;              /* command line for provenance (may be 0) */
    char *const *argv;
} sb_vibration_options;

sb_vibration_options sb_vibration_options_default(void);

typedef struct sb_vibration_result {
    size_t n;               /* atoms (glass order) */
    int runs;               /* M */
    double *msd;            /* n: ensemble mean MSD, A^2 */
    double *msd_run;        /* runs * n: run k's MSD at msd_run[k * n + i] */
    double *run_temperature; /* runs: mean instantaneous temperature over the samples, K */
    uint64_t *run_seed;     /* runs: LAMMPS velocity seeds */
    double mean_msd;        /* mean over atoms of msd */
    int samples;            /* samples per run */
    int runs_computed;      /* runs run by this call */
    int runs_reused;        /* runs read from the cache */
    double seconds;         /* wall time of the runs computed by this call */
    char lammps_version[32];
} sb_vibration_result;

#define SB_VIBRATION_RESULT_INIT {0}

void sb_vibration_result_free(sb_vibration_result *r);

/* Check the options against the glass without LAMMPS (ranges, potential file, element names). */
sb_status sb_vibration_validate(const sb_structure *glass, const sb_vibration_options *opt,
                                sb_error *err);

/* Run (or reuse) the M runs for glass and average them into res (freed first). */
sb_status sb_vibration_msd(const sb_structure *glass, const sb_vibration_options *opt,
                           sb_vibration_result *res, sb_error *err);

/* The LAMMPS velocity seed of run k of an ensemble with seed `seed` (1 .. 900000000). */
uint64_t sb_vibration_run_seed(uint64_t seed, int k);

#ifdef __cplusplus
}
#endif
#endif
