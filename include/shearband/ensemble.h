/*
 * shearband/ensemble.h: many AQS shear runs of ONE glass (METHOD.md section 9, study 1;
 * the paper's Fig. 2): the same sample sheared with re-shuffled atom orders and/or under
 * several loading orientations, and the statistics of where the band forms.
 *
 * Runs. The ensemble is the product  orientations x shuffle seeds  (a run with no seed
 * list is the unshuffled order, named "none"). Run (K, seed) is an ordinary shear run
 * (shearband/shear.h) in DIR/runs/KK_SEED/ (e.g. runs/00_17, runs/05_none): every option
 * of the shear template applies, only orientation, shuffle and run_dir change per run.
 *
 * Resumable. Every run is executed with shear's resume semantics: a finished run
 * (shear.done + shear.json + stress_strain.csv) is never redone, an interrupted one
 * continues from its last checkpoint (bitwise as if never stopped), a missing one starts.
 * Re-invoking the ensemble after an interruption therefore completes only what is
 * missing; the summary files are rewritten from all run directories each time.
 *
 * Where the band is. From each run's snapshot at band_strain (default: the template's
 * largest saved strain), strain_S.dump with its per-atom d2min and shear_strain, the band
 * is located with sb_band_locate (shearband/analysis.h, METHOD.md section 5) and the
 * ensemble's band options, so the whole table can be re-derived with other f_top / w_SB
 * without re-shearing (sb_ensemble_summarize). Yield stress = the maximum shear stress of
 * stress_strain.csv, with the strain where it occurs.
 *
 * Parallel runs. In a serial process each run is one fork-isolated engine job, one after
 * the other (a LAMMPS error fails that run only; the others go on). Under mpirun
 * (sb_engine_job_mode() == SB_ENGINE_MPI) MPI_COMM_WORLD is split into P / ranks_per_run
 * partitions of consecutive ranks; world rank 0 lists the runs that are not finished yet
 * and broadcasts the list, which is dealt round-robin to the partitions (runs of one
 * ensemble cost about the same, so a static deal balances as well as a queue and needs no
 * coordinator); each partition shears its runs with LAMMPS on its own sub-communicator,
 * rank 0 of the partition writing the run's files. Per-run statuses are gathered on world
 * rank 0, which (after a barrier) writes the summary. Without LAMMPS exceptions a LAMMPS
 * error under MPI aborts the whole MPI job (as for shear; the message is in the run's
 * log.lammps); re-running resumes.
 *
 * Outputs in DIR (written by world rank 0, atomically):
 *   ensemble.csv        one row per run: run, orientation, shuffle seed, band found, axis
 *                       (horizontal/vertical/none), signed centre (paper convention: X
 *                       negated), centre, peak fraction, z, concentration, yield stress
 *                       (GPa) and strain at the maximum, steps, status
 *   band_histogram.csv  bands per bin on the signed axis (bins centred on multiples of
 *                       bin_width), with the horizontal / vertical / no-band counts
 *   ensemble.json       provenance, all parameters, seeds, LAMMPS version, MPI layout,
 *                       counts and the per-run table
 *   ensemble_bands.{dat,gp,png,svg}  the figure (Fig. 2): histogram of band positions
 *                       (blue) and, when a DFS profile file is given, the DFS (red)
 * A DFS profile file is CSV with a header and columns signed_position,dfs[,axis]: axis is
 * x or y (or 0/1); without it, positions < 0 (or -0) are the X profile, others Y.
 */
#ifndef SHEARBAND_ENSEMBLE_H
#define SHEARBAND_ENSEMBLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shearband/analysis.h"
#include "shearband/shear.h"
#include "shearband/status.h"
#include "shearband/structure.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { SB_ENSEMBLE_MAX_ORIENTATIONS = 24 };

typedef struct sb_ensemble_options {
    const char *dir;             /* ensemble directory (required) */
    sb_shear_options shear;      /* template; orientation, shuffle, run_dir, resume set per
                                    run (default: sb_shear_options_default()) */
    int norientations;           /* 1 */
    int orientations[SB_ENSEMBLE_MAX_ORIENTATIONS]; /* {0} */
    size_t nseeds;               /* 0: one unshuffled run per orientation */
    const uint64_t *seeds;       /* shuffle seeds (copied where needed; must be distinct) */
    double band_strain;          /* snapshot used for the band; 0 = largest saved strain */
    sb_band_options band;        /* sb_band_options_default() */
    double bin_width;            /* histogram bin, A (2.0) */
    const char *dfs_csv;         /* optional DFS profile to overlay (NULL) */
    bool figure;                 /* render the figure (true); needs gnuplot */
    int ranks_per_run;           /* MPI ranks per run under mpirun (1) */
    bool progress;               /* one line per run on stderr (world rank 0 / serial) */
    int argc;                    /* command line, for provenance */
    char *const *argv;
} sb_ensemble_options;

sb_ensemble_options sb_ensemble_options_default(void);

typedef struct sb_ensemble_member {
    int orientation;
    bool shuffle;
    uint64_t seed;
    char name[48];            /* "05_17", "00_none" */
    int status;               /* sb_status of the run (SB_OK when complete) */
    char error[256];          /* message when status != SB_OK */
    bool ran;                 /* this call sheared (part of) it; false: already finished */
    int64_t steps;            /* AQS steps in stress_strain.csv (excluding step 0) */
    double final_strain;
    double yield_stress;      /* GPa, maximum of the stress-strain curve */
    double yield_strain;      /* strain at that maximum */
    bool have_band;           /* the band snapshot existed and was analysed */
    sb_band_result band;      /* the located band (profiles freed; only scalars kept) */
} sb_ensemble_member;

typedef struct sb_ensemble_result {
    size_t nruns;
    sb_ensemble_member *runs;    /* nruns, orientation-major, seeds in the given order */
    size_t nran;              /* runs this call sheared */
    size_t nfailed;
    size_t nhorizontal, nvertical, nnoband; /* among complete runs with a band snapshot */
    int world_rank, world_size, npartitions; /* 0, 1, 1 in a serial process */
    double length_x, length_y; /* largest slab-axis widths W_x, W_y of the runs' cells at
                                  the band strain, A (the extent of the signed axis) */
    double seconds;
} sb_ensemble_result;

#define SB_ENSEMBLE_RESULT_INIT {0}
void sb_ensemble_result_free(sb_ensemble_result *r);

sb_status sb_ensemble_validate(const sb_structure *glass, const sb_ensemble_options *opt,
                               sb_error *err);

/* Run (or complete) the ensemble and write the summary. Fails with the first run's error
 * when any run failed (after all others were attempted and the summary of the complete
 * ones was written); res->runs tells which. Under MPI every rank must call it; only world
 * rank 0's res has the table filled and the summary written. */
sb_status sb_ensemble_run(const sb_structure *glass, const sb_ensemble_options *opt,
                          sb_ensemble_result *res, sb_error *err);

/* Only the summary: read every run directory (no shearing) and write ensemble.csv,
 * band_histogram.csv, ensemble.json and the figure. Runs not complete get a status
 * SB_ERR_INTERRUPTED ("not finished"). */
sb_status sb_ensemble_summarize(const sb_ensemble_options *opt, sb_ensemble_result *res,
                                sb_error *err);

/* How many different AQS paths the complete runs of one orientation took: two runs share a
 * path when their yield stresses agree to 1e-4 GPa at the same strain and their bands (axis,
 * centre to 1 A, or no band) agree. *nruns gets the number of complete runs compared.
 * Converged minimisers give one path for all re-shuffled orders (docs/ensemble.md). */
size_t sb_ensemble_distinct_paths(const sb_ensemble_result *res, int orientation, size_t *nruns);

/* Histogram of signed band positions: bins centred on multiples of bin_width, from the
 * lowest to the highest occupied bin (*nbins, *lo = index of the first bin: its centre is
 * lo * bin_width); count has *nbins entries (caller frees). NaN positions are skipped. */
sb_status sb_ensemble_histogram(const double *signed_pos, size_t n, double bin_width,
                                long *lo, size_t *nbins, size_t **count, sb_error *err);

/* Read a DFS profile CSV (see the header comment) into two unsigned profiles: along X
 * (xpos = -signed position) and along Y; each sorted by position. Caller frees the four
 * arrays. */
sb_status sb_ensemble_read_dfs(const char *path, size_t *nx, double **xpos, double **xval,
                               size_t *ny, double **ypos, double **yval, sb_error *err);

#ifdef __cplusplus
}
#endif
#endif
