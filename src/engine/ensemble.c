/*
 * An ensemble of AQS shear runs of one glass (shearband/ensemble.h; the paper's Fig. 2).
 *
 * Why an ensemble: AQS is deterministic for a given atom order, but the order in which
 * LAMMPS sums forces changes the round-off, and near an instability (the avalanche that
 * starts a band) round-off decides which of several nearly equivalent paths the system
 * takes. Shearing one glass many times with shuffled atom orders samples that numerical
 * noise: where the bands form, and how often horizontally or vertically, tells how much
 * of the band's location the undeformed structure fixes.
 *
 * Flow of sb_ensemble_run:
 *   1. the run list: orientations x seeds, named KK_SEED, each in DIR/runs/NAME;
 *   2. which runs are not finished (world rank 0 looks at the files; broadcast under MPI);
 *   3. the pending runs are executed: serially one fork-isolated sb_shear job after the
 *      other, or under MPI dealt round-robin to partitions of ranks_per_run ranks, each
 *      running LAMMPS on its own sub-communicator (pending index i -> partition i % P);
 *   4. per-run records (status, message, times) are gathered on world rank 0;
 *   5. world rank 0 reads every run directory (stress-strain CSV, band snapshot), locates
 *      the bands and writes ensemble.csv, band_histogram.csv, ensemble.json and the figure.
 * The summary is always derived from the files, never from memory, so an ensemble that
 * was completed over several invocations (or with different rank counts) gives the same
 * summary as one uninterrupted invocation.
 *
 * Shearing on a sub-communicator needs the shear API to take a communicator
 * (sb_shear_options.mpi_comm, announced by SB_SHEAR_HAS_MPI_COMM in shear.h). Without it
 * only one partition (ranks_per_run = world size: every run on MPI_COMM_WORLD) is possible
 * under mpirun, and sb_ensemble_run says so instead of hanging.
 */
#define _POSIX_C_SOURCE 200809L
#include "shearband/ensemble.h"

#include <errno.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "shearband/engine.h"
#include "shearband/fileutil.h"
#include "shearband/io.h"
#include "shearband/json.h"
#include "shearband/orientation.h"
#include "shearband/plot.h"
#include "shearband/version.h"

enum { ENS_PATH = 4096 };

sb_ensemble_options sb_ensemble_options_default(void)
{
    sb_ensemble_options o;
    memset(&o, 0, sizeof o);
    o.shear = sb_shear_options_default();
    o.norientations = 1;
    o.orientations[0] = 0;
    o.band = sb_band_options_default();
    o.bin_width = 2.0;
    o.figure = true;
    o.ranks_per_run = 1;
    return o;
}

void sb_ensemble_result_free(sb_ensemble_result *r)
{
    if (!r) return;
    free(r->runs);
    memset(r, 0, sizeof *r);
}

static bool same_path(const sb_ensemble_member *a, const sb_ensemble_member *b)
{
    if (fabs(a->yield_stress - b->yield_stress) > 1e-4 || fabs(a->yield_strain - b->yield_strain) > 1e-9)
        return false;
    if (a->have_band != b->have_band) return false;
    if (!a->have_band) return true;
    if (a->band.found != b->band.found) return false;
    if (!a->band.found) return true;
    return a->band.axis == b->band.axis && fabs(a->band.centre - b->band.centre) <= 1.0;
}

size_t sb_ensemble_distinct_paths(const sb_ensemble_result *res, int orientation, size_t *nruns)
{
    size_t n = 0, distinct = 0;
    for (size_t i = 0; i < res->nruns; i++) {
        const sb_ensemble_member *a = &res->runs[i];
        if (a->orientation != orientation || a->status != SB_OK) continue;
        n++;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++) {
            const sb_ensemble_member *b = &res->runs[j];
            seen = b->orientation == orientation && b->status == SB_OK && same_path(a, b);
        }
        distinct += !seen;
    }
    if (nruns) *nruns = n;
    return distinct;
}

static double ens_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The strain whose snapshot locates the band. */
static double band_strain_of(const sb_ensemble_options *o)
{
    if (o->band_strain > 0) return o->band_strain;
    double s = 0;
    for (int k = 0; k < o->shear.nsave; k++)
        if (o->shear.save[k] > s) s = o->shear.save[k];
    return s;
}

sb_status sb_ensemble_validate(const sb_structure *glass, const sb_ensemble_options *o,
                               sb_error *err)
{
    if (!o->dir || !o->dir[0])
        return sb_error_set(err, SB_ERR_INVALID_ARG, "an ensemble directory (-d) is required");
    if (o->norientations < 1 || o->norientations > SB_ENSEMBLE_MAX_ORIENTATIONS)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "%d orientations: give 1..24",
                            o->norientations);
    for (int a = 0; a < o->norientations; a++) {
        if (o->orientations[a] < 0 || o->orientations[a] >= SB_NUM_ORIENTATIONS)
            return sb_error_set(err, SB_ERR_INVALID_ARG, "orientation %d: use 0..23",
                                o->orientations[a]);
        for (int b = 0; b < a; b++)
            if (o->orientations[a] == o->orientations[b])
                return sb_error_set(err, SB_ERR_INVALID_ARG, "orientation %d given twice",
                                    o->orientations[a]);
    }
    if (o->nseeds > 0 && !o->seeds)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "%zu shuffle seeds but no array", o->nseeds);
    for (size_t a = 0; a < o->nseeds; a++)
        for (size_t b = 0; b < a; b++)
            if (o->seeds[a] == o->seeds[b])
                return sb_error_set(err, SB_ERR_INVALID_ARG, "shuffle seed %llu given twice",
                                    (unsigned long long)o->seeds[a]);
    if (!(o->bin_width > 0) || !isfinite(o->bin_width))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "--bin-width %g must be positive",
                            o->bin_width);
    if (o->ranks_per_run < 1)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "--ranks-per-run %d must be >= 1",
                            o->ranks_per_run);
    /* Said here, before any run starts, rather than by the first replica's minimiser. */
    if (o->ranks_per_run > 1 && o->shear.minimizer == SB_MIN_LBFGS)
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "--ranks-per-run %d: the L-BFGS minimiser runs on one rank per "
                            "replica; for several use CG (e.g. the standard recipe: --minimizer "
                            "cg --linesearch quadratic)", o->ranks_per_run);
    if (!(o->band.f_top > 0 && o->band.f_top < 1) || !(o->band.width > 0) || !(o->band.step > 0))
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "band options: f_top in (0, 1), width > 0 and step > 0 required");
    if (o->shear.d2min_cutoff <= 0)
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "the ensemble locates bands from D2min: --d2min-cutoff must be > 0");
    const double bs = band_strain_of(o);
    bool saved = false;
    for (int k = 0; k < o->shear.nsave; k++)
        if (fabs(o->shear.save[k] - bs) <= 1e-9 * fmax(1.0, bs)) saved = true;
    if (!saved)
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "band strain %g is not one of the saved strains (--save)", bs);
    if (o->dfs_csv && !sb_file_exists(o->dfs_csv))
        return sb_error_set(err, SB_ERR_IO, "--dfs %s: no such file", o->dfs_csv);
    /* The shear template under every orientation (box limits depend on it). */
    for (int a = 0; a < o->norientations; a++) {
        sb_shear_options so = o->shear;
        so.orientation = o->orientations[a];
        so.run_dir = o->dir;
        sb_status st = sb_shear_validate(glass, &so, err);
        if (st != SB_OK) return st;
    }
    return SB_OK;
}

/* ---- the run list ------------------------------------------------------------------ */

static sb_status make_runs(const sb_ensemble_options *o, sb_ensemble_result *res, sb_error *err)
{
    const size_t ns = o->nseeds ? o->nseeds : 1;
    res->nruns = (size_t)o->norientations * ns;
    res->runs = calloc(res->nruns, sizeof *res->runs);
    if (!res->runs) return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate %zu runs", res->nruns);
    size_t r = 0;
    for (int a = 0; a < o->norientations; a++)
        for (size_t s = 0; s < ns; s++, r++) {
            sb_ensemble_member *run = &res->runs[r];
            run->orientation = o->orientations[a];
            run->shuffle = o->nseeds > 0;
            run->seed = o->nseeds ? o->seeds[s] : 0;
            if (run->shuffle)
                snprintf(run->name, sizeof run->name, "%02d_%llu", run->orientation,
                         (unsigned long long)run->seed);
            else snprintf(run->name, sizeof run->name, "%02d_none", run->orientation);
            run->yield_stress = run->yield_strain = run->final_strain = NAN;
        }
    return SB_OK;
}

static sb_status run_path(char *out, size_t sz, const sb_ensemble_options *o, const char *name,
                          const char *file, sb_error *err)
{
    const int len = file ? snprintf(out, sz, "%s/runs/%s/%s", o->dir, name, file)
                         : snprintf(out, sz, "%s/runs/%s", o->dir, name);
    if (len < 0 || (size_t)len >= sz)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "path too long under %s", o->dir);
    return SB_OK;
}

static bool run_complete(const sb_ensemble_options *o, const char *name)
{
    static const char *const need[] = {"shear.done", "shear.json", "stress_strain.csv"};
    char path[ENS_PATH];
    for (size_t k = 0; k < sizeof need / sizeof need[0]; k++)
        if (run_path(path, sizeof path, o, name, need[k], NULL) != SB_OK || !sb_file_exists(path))
            return false;
    return true;
}

/* ---- executing runs ---------------------------------------------------------------- */

/* What a run's executor reports back (gathered on world rank 0 under MPI: plain bytes). */
typedef struct ens_record {
    int status;
    int ran;
    int partition;
    double start, end; /* wall clock, s since the epoch */
    char error[256];
} ens_record;

static void record_error(ens_record *rec, sb_status st, const sb_error *e)
{
    rec->status = (int)st;
    snprintf(rec->error, sizeof rec->error, "%.250s", e->msg);
}

/* Shear one run; comm NULL: the engine's default (a forked child serially, the world
 * under MPI). */
static void execute_run(const sb_structure *glass, const sb_ensemble_options *o,
                        const sb_ensemble_member *run, const void *comm, ens_record *rec)
{
    sb_error e;
    sb_error_clear(&e);
    char dir[ENS_PATH];
    rec->start = ens_wall();
    sb_status st = run_path(dir, sizeof dir, o, run->name, NULL, &e);
    if (st == SB_OK) {
        sb_shear_options so = o->shear;
        so.orientation = run->orientation;
        so.shuffle = run->shuffle;
        so.shuffle_seed = run->seed;
        so.run_dir = dir;
        so.resume = true;
        so.progress = false;
        so.argc = o->argc;
        so.argv = o->argv;
#ifdef SB_SHEAR_HAS_MPI_COMM
        so.mpi_comm = comm;
#else
        (void)comm;
#endif
        sb_shear_result r;
        memset(&r, 0, sizeof r);
        st = sb_shear(glass, &so, &r, &e);
        rec->ran = (st == SB_OK && !r.already_done) || r.steps_run > 0;
    }
    rec->end = ens_wall();
    if (st != SB_OK) record_error(rec, st, &e);
    else rec->status = SB_OK;
}

static void progress(const sb_ensemble_options *o, const sb_ensemble_member *run, size_t i, size_t n,
                     const ens_record *rec, int partition, int npart)
{
    if (!o->progress) return;
    if (npart > 1) fprintf(stderr, "ensemble [partition %d/%d] ", partition, npart);
    else fprintf(stderr, "ensemble ");
    if (rec->status != SB_OK)
        fprintf(stderr, "run %zu/%zu %s FAILED: %s\n", i + 1, n, run->name, rec->error);
    else
        fprintf(stderr, "run %zu/%zu %s %s (%.1f s)\n", i + 1, n, run->name,
                rec->ran ? "done" : "already complete", rec->end - rec->start);
    fflush(stderr);
}

/* Serial: one fork-isolated shear job after the other. */
static void execute_serial(const sb_structure *glass, const sb_ensemble_options *o,
                           const sb_ensemble_result *res, ens_record *recs)
{
    for (size_t i = 0; i < res->nruns; i++) {
        const sb_ensemble_member *run = &res->runs[i];
        /* Finished runs go through sb_shear too: it checks that they were made with the
         * same glass and parameters (shear.params) before reporting them done. */
        execute_run(glass, o, run, NULL, &recs[i]);
        if (recs[i].ran || recs[i].status != SB_OK)
            progress(o, run, i, res->nruns, &recs[i], 0, 1);
        /* A signal killed the job (Ctrl-C, the OOM killer): stop here; the runs left are
         * reported as not finished and a re-run picks them up. */
        if (recs[i].status == SB_ERR_INTERRUPTED) {
            for (size_t k = i + 1; k < res->nruns; k++) {
                if (run_complete(o, res->runs[k].name)) continue;
                recs[k].status = SB_ERR_INTERRUPTED;
                snprintf(recs[k].error, sizeof recs[k].error, "not started: interrupted");
            }
            break;
        }
    }
}

/* MPI: partitions of ranks_per_run consecutive world ranks, pending runs dealt
 * round-robin, records gathered on world rank 0. Every rank returns the same status. */
static sb_status execute_mpi(const sb_structure *glass, const sb_ensemble_options *o,
                             sb_ensemble_result *res, ens_record *recs, sb_error *err)
{
    int init = 0;
    MPI_Initialized(&init);
    if (!init) MPI_Init(NULL, NULL);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    res->world_rank = rank;
    res->world_size = size;
    const int rpr = o->ranks_per_run;
    if (size % rpr != 0)
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "--ranks-per-run %d does not divide the %d MPI ranks", rpr, size);
    const int npart = size / rpr;
    res->npartitions = npart;
#ifndef SB_SHEAR_HAS_MPI_COMM
    if (npart > 1)
        return sb_error_set(err, SB_ERR_UNSUPPORTED,
                            "this build's shear API cannot run LAMMPS on a sub-communicator "
                            "(needs sb_shear_options.mpi_comm): use --ranks-per-run %d (every "
                            "run on all ranks) or run without mpirun",
                            size);
#endif
    /* Which runs are pending: decided once, by world rank 0, for everyone. The gather
     * buffer is allocated up front so that running out of memory is a collective,
     * clean failure rather than an abort after the runs. */
    const size_t bytes = res->nruns * sizeof *recs;
    char *pending = calloc(res->nruns ? res->nruns : 1, 1);
    ens_record *all = rank == 0 ? malloc((size_t)size * bytes + 1) : NULL;
    int ok = pending && (rank != 0 || all), all_ok = 0;
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (!all_ok) {
        free(pending);
        free(all);
        return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate the run list of %zu runs",
                            res->nruns);
    }
    /* A finished run is checked by sb_shear on rank 0 alone (same glass and parameters:
     * it returns before any LAMMPS or MPI call), so a mismatch fails that run. */
    if (rank == 0)
        for (size_t i = 0; i < res->nruns; i++) {
            pending[i] = !run_complete(o, res->runs[i].name);
            if (!pending[i]) execute_run(glass, o, &res->runs[i], NULL, &recs[i]);
        }
    MPI_Bcast(pending, (int)res->nruns, MPI_CHAR, 0, MPI_COMM_WORLD);

    const int part = rank / rpr;
    MPI_Comm comm;
    MPI_Comm_split(MPI_COMM_WORLD, part, rank, &comm);
    int prank;
    MPI_Comm_rank(comm, &prank);
    size_t k = 0; /* index among pending runs */
    for (size_t i = 0; i < res->nruns; i++) {
        if (!pending[i]) continue;
        const int owner = (int)(k++ % (size_t)npart);
        recs[i].partition = owner;
        if (owner != part) continue;
        execute_run(glass, o, &res->runs[i], npart > 1 ? (const void *)&comm : NULL, &recs[i]);
        recs[i].partition = owner;
        if (prank == 0) progress(o, &res->runs[i], i, res->nruns, &recs[i], part, npart);
    }
    MPI_Comm_free(&comm);

    /* Gather every rank's records on world rank 0 and keep each run's from the rank 0 of
     * the partition that ran it. */
    MPI_Gather(recs, (int)bytes, MPI_BYTE, all, (int)bytes, MPI_BYTE, 0, MPI_COMM_WORLD);
    if (rank == 0) {
        for (size_t i = 0; i < res->nruns; i++)
            if (pending[i]) recs[i] = all[(size_t)recs[i].partition * (size_t)rpr * res->nruns + i];
        free(all);
    }
    free(pending);
    /* Every run's files are closed and renamed before anyone reads them. */
    MPI_Barrier(MPI_COMM_WORLD);
    return SB_OK;
}

/* ---- reading results back ---------------------------------------------------------- */

static sb_status read_stress_strain(const sb_ensemble_options *o, sb_ensemble_member *run,
                                    sb_error *err)
{
    char path[ENS_PATH];
    sb_status st = run_path(path, sizeof path, o, run->name, "stress_strain.csv", err);
    double *rows = NULL;
    size_t n = 0;
    if (st == SB_OK) st = sb_shear_read_csv(path, &rows, &n, err);
    if (st != SB_OK) return st;
    run->steps = n > 0 ? (int64_t)n - 1 : 0;
    for (size_t r = 0; r < n; r++) {
        if (isnan(run->yield_stress) || rows[5 * r + 1] > run->yield_stress) {
            run->yield_stress = rows[5 * r + 1];
            run->yield_strain = rows[5 * r];
        }
        run->final_strain = rows[5 * r];
    }
    free(rows);
    return SB_OK;
}

static sb_status locate_band(const sb_ensemble_options *o, sb_ensemble_member *run,
                             sb_ensemble_result *res, sb_error *err)
{
    char dir[ENS_PATH];
    sb_status st = run_path(dir, sizeof dir, o, run->name, NULL, err);
    if (st != SB_OK) return st;
    sb_band_result b = SB_BAND_RESULT_INIT;
    st = sb_band_locate_run(dir, band_strain_of(o), &o->band, &b, err);
    if (st == SB_OK) {
        res->length_x = fmax(res->length_x, b.profile[0].length);
        res->length_y = fmax(res->length_y, b.profile[1].length);
        run->band = b;
        memset(run->band.profile, 0, sizeof run->band.profile);
        run->have_band = true;
    }
    sb_band_result_free(&b);
    return st;
}

/* Fill the table from the run directories. Incomplete runs get SB_ERR_INTERRUPTED. */
static void collect(const sb_ensemble_options *o, sb_ensemble_result *res)
{
    for (size_t i = 0; i < res->nruns; i++) {
        sb_ensemble_member *run = &res->runs[i];
        sb_error e;
        sb_error_clear(&e);
        if (!run_complete(o, run->name)) {
            run->status = SB_ERR_INTERRUPTED;
            snprintf(run->error, sizeof run->error, "not finished");
            continue;
        }
        sb_status st = read_stress_strain(o, run, &e);
        if (st == SB_OK) st = locate_band(o, run, res, &e);
        run->status = (int)st;
        if (st != SB_OK) snprintf(run->error, sizeof run->error, "%.250s", e.msg);
    }
}

/* ---- summary files ----------------------------------------------------------------- */

sb_status sb_ensemble_histogram(const double *pos, size_t n, double w, long *lo, size_t *nbins,
                                size_t **count, sb_error *err)
{
    *lo = 0;
    *nbins = 0;
    *count = NULL;
    if (!(w > 0) || !isfinite(w))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "histogram bin width %g must be positive", w);
    long b0 = 0, b1 = -1;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(pos[i])) continue;
        const long b = lround(pos[i] / w);
        if (b1 < b0) b0 = b1 = b;
        if (b < b0) b0 = b;
        if (b > b1) b1 = b;
    }
    if (b1 < b0) return SB_OK;
    if (b1 - b0 > 10000000)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "band positions span too many bins (%g A)", w);
    *count = calloc((size_t)(b1 - b0 + 1), sizeof **count);
    if (!*count) return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate a histogram");
    for (size_t i = 0; i < n; i++)
        if (isfinite(pos[i])) (*count)[lround(pos[i] / w) - b0]++;
    *lo = b0;
    *nbins = (size_t)(b1 - b0 + 1);
    return SB_OK;
}

static const char *axis_name(const sb_ensemble_member *r)
{
    if (!r->have_band || !r->band.found) return "none";
    return r->band.axis == 1 ? "horizontal" : "vertical";
}

static void count_bands(sb_ensemble_result *res)
{
    res->nhorizontal = res->nvertical = res->nnoband = res->nfailed = 0;
    for (size_t i = 0; i < res->nruns; i++) {
        const sb_ensemble_member *r = &res->runs[i];
        if (r->status != SB_OK) res->nfailed++;
        else if (!r->have_band || !r->band.found) res->nnoband++;
        else if (r->band.axis == 1) res->nhorizontal++;
        else res->nvertical++;
    }
}

static sb_status write_table(const sb_ensemble_options *o, const sb_ensemble_result *res,
                             const char *lv, sb_error *err)
{
    char path[ENS_PATH];
    sb_status st = sb_path_join(path, sizeof path, o->dir, "ensemble.csv", err);
    sb_atomic_file af;
    if (st == SB_OK) st = sb_atomic_open(&af, path, err);
    if (st != SB_OK) return st;
    FILE *fp = af.fp;
    fprintf(fp, "# shearband %s ensemble of AQS shear runs of one glass; band at strain %g "
            "(f_top %g, w_SB %g A); signed centre: X negated (paper); LAMMPS %s; see "
            "ensemble.json\n",
            sb_version(), band_strain_of(o), o->band.f_top, o->band.width, lv);
    fprintf(fp, "run,orientation,shuffle_seed,band_found,axis,signed_centre_A,centre_A,"
            "peak_fraction,z,concentration,yield_stress_GPa,strain_at_max,steps,final_strain,"
            "status\n");
    for (size_t i = 0; i < res->nruns; i++) {
        const sb_ensemble_member *r = &res->runs[i];
        const bool b = r->have_band;
        char seed[32];
        if (r->shuffle) snprintf(seed, sizeof seed, "%llu", (unsigned long long)r->seed);
        else snprintf(seed, sizeof seed, "none");
        fprintf(fp, "%s,%d,%s,%d,%s,%.4f,%.4f,%.6f,%.4f,%.6f,%.6f,%.6f,%lld,%.6f,", r->name,
                r->orientation, seed, b ? r->band.found : 0, axis_name(r),
                b && r->band.found ? r->band.signed_position : NAN, b ? r->band.centre : NAN,
                b ? r->band.peak : NAN, b ? r->band.z : NAN, b ? r->band.concentration : NAN,
                r->yield_stress, r->yield_strain, (long long)r->steps, r->final_strain);
        if (r->status == SB_OK) fputs("ok\n", fp);
        else {
            /* One CSV field: no commas or quotes. */
            fputc('"', fp);
            for (const char *c = r->error; *c; c++) fputc(*c == '"' ? '\'' : *c == '\n' ? ' ' : *c, fp);
            fputs("\"\n", fp);
        }
    }
    return sb_atomic_commit(&af, err);
}

/* Signed positions of the bands found (NaN for the others). Caller frees. */
static double *band_positions(const sb_ensemble_result *res)
{
    double *pos = malloc((res->nruns ? res->nruns : 1) * sizeof *pos);
    if (!pos) return NULL;
    for (size_t i = 0; i < res->nruns; i++) {
        const sb_ensemble_member *r = &res->runs[i];
        pos[i] = r->status == SB_OK && r->have_band && r->band.found ? r->band.signed_position : NAN;
    }
    return pos;
}

static sb_status write_histogram(const sb_ensemble_options *o, const sb_ensemble_result *res,
                                 const double *pos, sb_error *err)
{
    long lo;
    size_t nb, *count;
    sb_status st = sb_ensemble_histogram(pos, res->nruns, o->bin_width, &lo, &nb, &count, err);
    if (st != SB_OK) return st;
    char path[ENS_PATH];
    sb_atomic_file af;
    st = sb_path_join(path, sizeof path, o->dir, "band_histogram.csv", err);
    if (st == SB_OK) st = sb_atomic_open(&af, path, err);
    if (st == SB_OK) {
        fprintf(af.fp, "# shearband %s ensemble: band positions on the signed axis (X negated: "
                "vertical bands < 0, horizontal > 0), bins of %g A centred on multiples of it\n",
                sb_version(), o->bin_width);
        fprintf(af.fp, "# runs %zu, horizontal %zu, vertical %zu, no band %zu, failed or "
                "unfinished %zu\n", res->nruns, res->nhorizontal, res->nvertical, res->nnoband,
                res->nfailed);
        fprintf(af.fp, "bin_centre_A,bin_lo_A,bin_hi_A,count\n");
        for (size_t b = 0; b < nb; b++) {
            const double c = (double)(lo + (long)b) * o->bin_width;
            fprintf(af.fp, "%.6g,%.6g,%.6g,%zu\n", c, c - 0.5 * o->bin_width,
                    c + 0.5 * o->bin_width, count[b]);
        }
        st = sb_atomic_commit(&af, err);
    }
    free(count);
    return st;
}

static int cmp_pair(const void *a, const void *b)
{
    const double x = ((const double *)a)[0], y = ((const double *)b)[0];
    return (x > y) - (x < y);
}

sb_status sb_ensemble_read_dfs(const char *path, size_t *nx, double **xpos, double **xval,
                               size_t *ny, double **ypos, double **yval, sb_error *err)
{
    *nx = *ny = 0;
    *xpos = *xval = *ypos = *yval = NULL;
    FILE *fp = fopen(path, "r");
    if (!fp) return sb_error_set(err, SB_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    /* Pairs (position, value) per axis, sorted afterwards. */
    double *px = NULL, *py = NULL;
    size_t cx = 0, cy = 0, lineno = 0;
    sb_status st = SB_OK;
    char line[512];
    bool header_seen = false;
    while (st == SB_OK && fgets(line, sizeof line, fp)) {
        lineno++;
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '#' || *p == '\n' || *p == '\r' || *p == '\0') continue;
        char *end;
        errno = 0;
        const double pos = strtod(p, &end);
        if (end == p) {
            if (header_seen)
                st = sb_error_set(err, SB_ERR_PARSE, "%s:%zu: expected signed_position,dfs[,axis]",
                                  path, lineno);
            header_seen = true;
            continue;
        }
        header_seen = true;
        p = end;
        while (*p == ' ') p++;
        if (*p != ',') {
            st = sb_error_set(err, SB_ERR_PARSE, "%s:%zu: expected a comma after the position",
                              path, lineno);
            break;
        }
        const double val = strtod(p + 1, &end);
        if (end == p + 1 || !isfinite(pos) || !isfinite(val)) {
            st = sb_error_set(err, SB_ERR_PARSE, "%s:%zu: expected two finite numbers", path,
                              lineno);
            break;
        }
        p = end;
        while (*p == ' ') p++;
        int axis = signbit(pos) ? 0 : 1;
        if (*p == ',') {
            p++;
            while (*p == ' ') p++;
            if (*p == 'x' || *p == 'X' || *p == '0') axis = 0;
            else if (*p == 'y' || *p == 'Y' || *p == '1') axis = 1;
            else {
                st = sb_error_set(err, SB_ERR_PARSE, "%s:%zu: axis must be x or y", path, lineno);
                break;
            }
        }
        double **arr = axis == 0 ? &px : &py;
        size_t *cnt = axis == 0 ? nx : ny, *cap = axis == 0 ? &cx : &cy;
        if (*cnt == *cap) {
            *cap = *cap ? 2 * *cap : 64;
            double *g = realloc(*arr, 2 * *cap * sizeof *g);
            if (!g) {
                st = sb_error_set(err, SB_ERR_NOMEM, "out of memory reading %s", path);
                break;
            }
            *arr = g;
        }
        (*arr)[2 * *cnt] = axis == 0 ? -pos : pos; /* unsigned slab centre */
        (*arr)[2 * *cnt + 1] = val;
        (*cnt)++;
    }
    fclose(fp);
    if (st == SB_OK && *nx + *ny == 0) st = sb_error_set(err, SB_ERR_PARSE, "%s: no data rows", path);
    for (int a = 0; a < 2 && st == SB_OK; a++) {
        const size_t n = a == 0 ? *nx : *ny;
        double *arr = a == 0 ? px : py;
        double *ps = malloc((n ? n : 1) * sizeof *ps), *vs = malloc((n ? n : 1) * sizeof *vs);
        if (!ps || !vs) {
            free(ps);
            free(vs);
            st = sb_error_set(err, SB_ERR_NOMEM, "out of memory reading %s", path);
            break;
        }
        if (n) qsort(arr, n, 2 * sizeof *arr, cmp_pair);
        for (size_t i = 0; i < n; i++) {
            ps[i] = arr[2 * i];
            vs[i] = arr[2 * i + 1];
        }
        if (a == 0) {
            *xpos = ps;
            *xval = vs;
        } else {
            *ypos = ps;
            *yval = vs;
        }
    }
    free(px);
    free(py);
    if (st != SB_OK) {
        free(*xpos);
        free(*xval);
        free(*ypos);
        free(*yval);
        *xpos = *xval = *ypos = *yval = NULL;
        *nx = *ny = 0;
    }
    return st;
}

/* The figure; *note gets a sentence when it could not be rendered (not an error). */
static sb_status write_figure(const sb_ensemble_options *o, const sb_ensemble_result *res,
                              const double *pos, char *note, size_t notesz, sb_error *err)
{
    note[0] = '\0';
    size_t nx = 0, ny = 0;
    double *xp = NULL, *xv = NULL, *yp = NULL, *yv = NULL;
    sb_status st = SB_OK;
    if (o->dfs_csv) st = sb_ensemble_read_dfs(o->dfs_csv, &nx, &xp, &xv, &ny, &yp, &yv, err);
    if (st != SB_OK) return st;
    size_t nfound = 0;
    for (size_t i = 0; i < res->nruns; i++) nfound += isfinite(pos[i]);
    if (nfound == 0 && !o->dfs_csv) {
        snprintf(note, notesz, "not drawn: no run has a band and no DFS profile was given");
        return SB_OK;
    }
    char title[160];
    snprintf(title, sizeof title, "%zu runs: %zu horizontal, %zu vertical, %zu no band", res->nruns,
             res->nhorizontal, res->nvertical, res->nnoband);
    sb_figure_options fo = sb_figure_options_default();
    fo.title = title;
    fo.provenance = "shearband ensemble";
    sb_figure *fig = NULL;
    if (o->dfs_csv) {
        const sb_plot_profile px = {nx, xp, xv}, py = {ny, yp, yv};
        st = sb_figure_dfs_bands(&fig, px, py, res->nruns, pos, o->bin_width, &fo, err);
    } else {
        /* No DFS yet: the histogram alone on the left axis. */
        long lo;
        size_t nb, *count = NULL;
        fo.xlabel = "band centre:  −x  |  +y  (Å)";
        fo.ylabel = "number of shear bands";
        fo.ymin = 0;
        if (res->length_x > 0 && res->length_y > 0) {
            fo.xmin = -res->length_x;
            fo.xmax = res->length_y;
        }
        st = sb_ensemble_histogram(pos, res->nruns, o->bin_width, &lo, &nb, &count, err);
        double *c = NULL, *v = NULL;
        if (st == SB_OK) {
            c = malloc((nb ? nb : 1) * sizeof *c);
            v = malloc((nb ? nb : 1) * sizeof *v);
            if (!c || !v) st = sb_error_set(err, SB_ERR_NOMEM, "figure: out of memory");
        }
        if (st == SB_OK) st = sb_figure_create(&fig, &fo, err);
        if (st == SB_OK) {
            for (size_t b = 0; b < nb; b++) {
                c[b] = (double)(lo + (long)b) * o->bin_width;
                v[b] = (double)count[b];
            }
            sb_plot_series s = sb_plot_series_default();
            s.n = nb;
            s.x = c;
            s.y = v;
            s.label = "observed bands";
            s.style = SB_PLOT_BOXES;
            s.color = "#0072B2";
            s.box_width = o->bin_width;
            st = sb_figure_add_series(fig, &s, err);
        }
        if (st == SB_OK) {
            sb_plot_marker m = sb_plot_marker_default();
            m.vertical = true;
            m.value = 0.0;
            st = sb_figure_add_marker(fig, &m, err);
        }
        free(c);
        free(v);
        free(count);
    }
    char base[ENS_PATH];
    if (st == SB_OK) st = sb_path_join(base, sizeof base, o->dir, "ensemble_bands", err);
    if (st == SB_OK) {
        sb_error e;
        sb_error_clear(&e);
        const sb_status rs = sb_plot_render(fig, base, &e);
        if (rs == SB_ERR_UNSUPPORTED) snprintf(note, notesz, "%s", e.msg);
        else if (rs != SB_OK) {
            if (err) *err = e;
            st = rs;
        }
    }
    sb_figure_free(fig);
    free(xp);
    free(xv);
    free(yp);
    free(yv);
    return st;
}

static sb_status write_json(const sb_ensemble_options *o, const sb_ensemble_result *res,
                            const ens_record *recs, const char *lv, const char *figure_note,
                            sb_error *err)
{
    char path[ENS_PATH];
    sb_status st = sb_path_join(path, sizeof path, o->dir, "ensemble.json", err);
    sb_atomic_file af;
    if (st == SB_OK) st = sb_atomic_open(&af, path, err);
    if (st != SB_OK) return st;
    const sb_shear_options *s = &o->shear;
    sb_json j;
    sb_json_start(&j, af.fp);
    sb_json_object(&j, NULL);
    sb_json_str(&j, "kind", "shearband ensemble");
    sb_json_provenance(&j, o->argc, o->argv);
    sb_json_str(&j, "lammps_version", lv);
    sb_json_object(&j, "parameters");
    sb_json_array(&j, "orientations");
    for (int a = 0; a < o->norientations; a++) sb_json_int(&j, NULL, o->orientations[a]);
    sb_json_end(&j);
    sb_json_bool(&j, "shuffle", o->nseeds > 0);
    sb_json_array(&j, "shuffle_seeds");
    for (size_t k = 0; k < o->nseeds; k++) sb_json_int(&j, NULL, (int64_t)o->seeds[k]);
    sb_json_end(&j);
    sb_json_num(&j, "step", s->step);
    sb_json_num(&j, "max_strain", s->max_strain);
    sb_json_str(&j, "minimizer", sb_minimizer_name(s->minimizer));
    sb_json_num(&j, "ftol_eV_A", s->ftol);
    sb_json_int(&j, "maxiter", s->maxiter);
    sb_json_int(&j, "maxeval", s->maxeval);
    sb_json_array(&j, "save_strains");
    for (int k = 0; k < s->nsave; k++) sb_json_num(&j, NULL, s->save[k]);
    sb_json_end(&j);
    sb_json_num(&j, "d2min_cutoff_A", s->d2min_cutoff);
    sb_json_str(&j, "potential", s->potential);
    sb_json_str(&j, "pair_style", s->pair_style);
    sb_json_int(&j, "checkpoint_every", s->checkpoint_every);
    sb_json_num(&j, "band_strain", band_strain_of(o));
    sb_json_num(&j, "band_f_top", o->band.f_top);
    sb_json_num(&j, "band_slab_width_A", o->band.width);
    sb_json_num(&j, "band_slab_step_A", o->band.step);
    sb_json_num(&j, "band_z_min", o->band.z_min);
    sb_json_num(&j, "band_concentration_min", o->band.concentration_min);
    sb_json_num(&j, "histogram_bin_width_A", o->bin_width);
    if (o->dfs_csv) sb_json_str(&j, "dfs_profile", o->dfs_csv);
    else sb_json_null(&j, "dfs_profile");
    sb_json_end(&j);
    sb_json_object(&j, "execution");
    const sb_engine_mode mode = sb_engine_job_mode();
    sb_json_str(&j, "mode", mode == SB_ENGINE_MPI ? "mpi partitions"
                            : mode == SB_ENGINE_FORK ? "serial, one forked LAMMPS job per run"
                                                     : "serial, in-process (LAMMPS exceptions)");
    sb_json_int(&j, "world_ranks", res->world_size);
    sb_json_int(&j, "ranks_per_run", mode == SB_ENGINE_MPI ? o->ranks_per_run : 1);
    sb_json_int(&j, "partitions", res->npartitions);
    sb_json_int(&j, "runs_sheared_this_invocation", (int64_t)res->nran);
    sb_json_num(&j, "seconds_this_invocation", res->seconds);
    sb_json_end(&j);
    sb_json_object(&j, "summary");
    sb_json_int(&j, "runs", (int64_t)res->nruns);
    sb_json_int(&j, "horizontal", (int64_t)res->nhorizontal);
    sb_json_int(&j, "vertical", (int64_t)res->nvertical);
    sb_json_int(&j, "no_band", (int64_t)res->nnoband);
    sb_json_int(&j, "failed_or_unfinished", (int64_t)res->nfailed);
    if (figure_note && figure_note[0]) sb_json_str(&j, "figure", figure_note);
    else if (o->figure) sb_json_str(&j, "figure", "ensemble_bands.png");
    sb_json_end(&j);
    sb_json_array(&j, "runs");
    for (size_t i = 0; i < res->nruns; i++) {
        const sb_ensemble_member *r = &res->runs[i];
        sb_json_object(&j, NULL);
        sb_json_str(&j, "run", r->name);
        sb_json_int(&j, "orientation", r->orientation);
        if (r->shuffle) sb_json_int(&j, "shuffle_seed", (int64_t)r->seed);
        else sb_json_null(&j, "shuffle_seed");
        sb_json_str(&j, "status", r->status == SB_OK ? "ok" : r->error);
        sb_json_bool(&j, "sheared_this_invocation", r->ran);
        if (recs && r->ran) {
            sb_json_int(&j, "partition", recs[i].partition);
            sb_json_num(&j, "start_unix_s", recs[i].start);
            sb_json_num(&j, "end_unix_s", recs[i].end);
        }
        sb_json_str(&j, "band", axis_name(r));
        sb_json_num(&j, "signed_centre_A", r->have_band && r->band.found ? r->band.signed_position : NAN);
        sb_json_num(&j, "z", r->have_band ? r->band.z : NAN);
        sb_json_num(&j, "concentration", r->have_band ? r->band.concentration : NAN);
        sb_json_num(&j, "yield_stress_GPa", r->yield_stress);
        sb_json_num(&j, "strain_at_max", r->yield_strain);
        sb_json_end(&j);
    }
    sb_json_end(&j);
    sb_json_finish(&j);
    return sb_atomic_commit(&af, err);
}

static sb_status write_summary(const sb_ensemble_options *o, sb_ensemble_result *res,
                               const ens_record *recs, sb_error *err)
{
    count_bands(res);
    char lv[32];
    sb_engine_lammps_version(lv, sizeof lv);
    if (!strcmp(lv, "unknown")) {
        /* No instance opened in this process (serial: LAMMPS ran in children): take it
         * from a run's provenance line. */
        for (size_t i = 0; i < res->nruns && !strcmp(lv, "unknown"); i++) {
            char path[ENS_PATH];
            if (run_path(path, sizeof path, o, res->runs[i].name, "stress_strain.csv", NULL)) continue;
            FILE *fp = fopen(path, "r");
            if (!fp) continue;
            char line[512];
            if (fgets(line, sizeof line, fp)) {
                const char *p = strstr(line, "LAMMPS ");
                const char *q = p ? strchr(p, ';') : NULL;
                if (p && q && q - p - 7 < (long)sizeof lv)
                    snprintf(lv, sizeof lv, "%.*s", (int)(q - p - 7), p + 7);
            }
            fclose(fp);
        }
    }
    double *pos = band_positions(res);
    if (!pos) return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate band positions");
    char note[SB_ERROR_MSG_LEN] = "";
    sb_status st = write_table(o, res, lv, err);
    if (st == SB_OK) st = write_histogram(o, res, pos, err);
    if (st == SB_OK && o->figure) st = write_figure(o, res, pos, note, sizeof note, err);
    if (st == SB_OK) st = write_json(o, res, recs, lv, note, err);
    free(pos);
    return st;
}

sb_status sb_ensemble_summarize(const sb_ensemble_options *o, sb_ensemble_result *res,
                                sb_error *err)
{
    memset(res, 0, sizeof *res);
    res->world_size = res->npartitions = 1;
    sb_status st = make_runs(o, res, err);
    if (st != SB_OK) return st;
    collect(o, res);
    return write_summary(o, res, NULL, err);
}

sb_status sb_ensemble_run(const sb_structure *glass, const sb_ensemble_options *o,
                          sb_ensemble_result *res, sb_error *err)
{
    memset(res, 0, sizeof *res);
    res->world_size = res->npartitions = 1;
    const double t0 = ens_wall();
    sb_status st = sb_ensemble_validate(glass, o, err);
    char runs_dir[ENS_PATH];
    if (st == SB_OK) st = sb_path_join(runs_dir, sizeof runs_dir, o->dir, "runs", err);
    if (st == SB_OK) st = sb_mkdir_p(runs_dir, err);
    if (st == SB_OK) st = make_runs(o, res, err);
    if (st != SB_OK) return st;
    ens_record *recs = calloc(res->nruns, sizeof *recs);
    if (!recs) return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate %zu run records", res->nruns);
    if (sb_engine_job_mode() == SB_ENGINE_MPI) st = execute_mpi(glass, o, res, recs, err);
    else execute_serial(glass, o, res, recs);
    if (st != SB_OK || res->world_rank != 0) {
        free(recs);
        return st;
    }
    collect(o, res);
    /* Executor outcomes override what the files say (a failed run may have left files). */
    for (size_t i = 0; i < res->nruns; i++) {
        sb_ensemble_member *r = &res->runs[i];
        r->ran = recs[i].ran;
        if (recs[i].ran) res->nran++;
        if (recs[i].status != SB_OK) {
            r->status = recs[i].status;
            snprintf(r->error, sizeof r->error, "%s", recs[i].error);
        }
    }
    res->seconds = ens_wall() - t0;
    st = write_summary(o, res, recs, err);
    free(recs);
    if (st != SB_OK) return st;
    for (size_t i = 0; i < res->nruns; i++)
        if (res->runs[i].status != SB_OK)
            return sb_error_set(err, (sb_status)res->runs[i].status,
                                "ensemble: %zu of %zu runs failed; first: %s: %s", res->nfailed,
                                res->nruns, res->runs[i].name, res->runs[i].error);
    return SB_OK;
}
