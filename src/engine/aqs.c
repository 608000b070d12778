/*
 * Athermal quasistatic simple shear (shearband/shear.h).
 *
 * Preparation (parent process, pure C): rotate the glass by the loading orientation, then
 * optionally permute its atoms (Fisher-Yates with the engine RNG). LAMMPS receives the
 * permuted atoms with ids 1..N, so its per-atom loops and force sums run in a different
 * order; perm[j] remembers which original atom LAMMPS atom j+1 is, and every output is
 * written back in the original order with the original ids.
 *
 * The AQS loop (child process, see job.c): step k sets xy = k * step * ly exactly
 * (`change_box all xy final V remap units box`; no accumulated round-off) and minimises at
 * fixed box. Per step we record the strain xy/ly, the shear stress -pxy * 1e-4 GPa, the
 * energy per atom, the minimiser iterations (change of the time step counter across the
 * minimize) and the force evaluations (fix external callback count).
 *
 * Initial guess (option `extrapolate`, alpha): the standard recipe starts each minimisation
 * from the affine remap of the last minimum. In the elastic stretches between plastic
 * events the non-affine displacement field grows nearly linearly with strain, so the
 * minimum of step k+1 is much closer to  s_k + alpha (s_k - s_(k-1))  (fractional
 * coordinates, i.e. the affine move plus alpha times the previous step's non-affine
 * displacement) than to s_k. Starting there leaves the minimiser less distance to cover.
 * After a plastic event (the stress dropped) the last displacement is an avalanche, not a
 * trend, and the next step starts from the plain affine move. Only the start point
 * changes. The first step of a segment knows only one minimum (the checkpoint) and is not
 * extrapolated, which keeps resumed runs bitwise identical to uninterrupted ones.
 *
 * Minimiser (the default is L-BFGS from the affine start, sb_engine_minimize_lbfgs). CG
 * needs ~2 force evaluations per iteration (its line search), L-BFGS ~1 with about as many
 * iterations, at the same force tolerance: measured on a 4000-atom Cu50Zr50 glass to 10 %
 * (bench/README-aqs.md), 2.0x fewer evaluations than the standard recipe (CG, quadratic
 * line search, affine start, ftol 1e-8) with the same minima and no bias in the yield
 * stress. The older accelerated recipe (CG with `line forcezero`, extrapolated start) saves
 * as much only because forcezero gives up near a force norm of 7e-5 eV/A: its looser
 * minima fall into avalanches earlier (peak stresses ~3 % low). The extrapolated start
 * saves 4-10 % more with either minimiser but leaves the standard path at some small
 * events, so it is off by default. Any change of minimiser picks another avalanche path
 * at some instabilities; over many loadings the statistics agree.
 *
 * Segments and checkpoints: steps are grouped in segments ending at multiples of
 * checkpoint_every. Each segment starts a fresh LAMMPS instance (sb_engine_reset) and loads
 * the positions and exact cell of the last checkpoint, so the LAMMPS state at the start of
 * a segment is the same whether the run went on or was resumed after an interruption:
 * resumed and uninterrupted runs agree bitwise. After a segment, the positions, cell and
 * rows so far go to checkpoint.txt (atomic rename; doubles printed with 17 significant
 * digits, which round-trips exactly) and the CSV is rewritten. Reloading costs one LAMMPS
 * setup per segment (~0.1 s), small against 100 minimisations.
 */
#define _POSIX_C_SOURCE 200809L
#include "shearband/shear.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine_internal.h"
#include "shearband/analysis.h"
#include "shearband/engine.h"
#include "shearband/fileutil.h"
#include "shearband/io.h"
#include "shearband/json.h"
#include "shearband/orientation.h"
#include "shearband/strain.h"

enum { SHEAR_PATH = 4096 };
static const char checkpoint_magic[] = "shearband-aqs-checkpoint 1";

sb_shear_options sb_shear_options_default(void)
{
    sb_shear_options o;
    memset(&o, 0, sizeof o);
    o.orientation = 0;
    o.step = 1e-4;
    o.max_strain = 0.20;
    o.minimizer = SB_MIN_LBFGS;
    o.ftol = 1e-8;
    o.maxiter = 10000;
    o.maxeval = 100000;
    o.nsave = 2;
    o.save[0] = 0.10;
    o.save[1] = 0.20;
    o.d2min_cutoff = 5.0;
    o.potential = "/usr/share/lammps/potentials/CuZr_mm.eam.fs";
    o.pair_style = "eam/fs";
    o.checkpoint_every = 100;
    o.extrapolate = 0.0;
    o.linesearch = SB_LINE_FORCEZERO;
    return o;
}

const char *sb_minimizer_name(sb_minimizer m)
{
    switch (m) {
    case SB_MIN_CG: return "cg";
    case SB_MIN_FIRE: return "fire";
    case SB_MIN_LBFGS: return "lbfgs";
    }
    return "?";
}

bool sb_minimizer_parse(const char *name, sb_minimizer *m)
{
    static const sb_minimizer all[] = {SB_MIN_CG, SB_MIN_FIRE, SB_MIN_LBFGS};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (name && strcmp(name, sb_minimizer_name(all[i])) == 0) {
            *m = all[i];
            return true;
        }
    return false;
}

const char *sb_linesearch_name(sb_linesearch l)
{
    switch (l) {
    case SB_LINE_QUADRATIC: return "quadratic";
    case SB_LINE_BACKTRACK: return "backtrack";
    default: return "forcezero";
    }
}

typedef struct shear_row {
    double strain, stress, energy;
    double iters, evals;
} shear_row;

static int64_t total_steps(const sb_shear_options *o)
{
    return llround(o->max_strain / o->step);
}

sb_status sb_shear_validate(const sb_structure *g, const sb_shear_options *o, sb_error *err)
{
    if (o->linesearch != SB_LINE_FORCEZERO && o->linesearch != SB_LINE_QUADRATIC &&
        o->linesearch != SB_LINE_BACKTRACK)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "unknown line search %d", (int)o->linesearch);
    if (!(o->timestep >= 0.0 && o->timestep < 1.0))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "timestep = %g ps: use 0 (LAMMPS's default) "
                            "or a value in (0, 1)", o->timestep);
    if (o->min_modify && strpbrk(o->min_modify, "\n\r&$"))
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "min_modify '%s': one line of LAMMPS min_modify keywords, no variables",
                            o->min_modify);
    if (!(o->extrapolate >= 0.0 && o->extrapolate <= 2.0))
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "extrapolate = %g: the factor on the previous step's non-affine "
                            "displacement must be in [0, 2]", o->extrapolate);
    if (g->n < 2) return sb_error_set(err, SB_ERR_INVALID_ARG, "the glass has %zu atoms", g->n);
    if (sb_cell_is_triclinic(&g->cell))
        return sb_error_set(err, SB_ERR_GEOMETRY,
                            "the glass must have an orthogonal cell to be rotated and sheared "
                            "(tilts %g %g %g)", g->cell.xy, g->cell.xz, g->cell.yz);
    if (o->orientation < 0 || o->orientation >= SB_NUM_ORIENTATIONS)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "--orientation %d: use 0..23", o->orientation);
    if (!(o->step > 0 && o->step <= 0.01))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "--step %g: use (0, 0.01]", o->step);
    if (!(o->max_strain >= o->step && o->max_strain <= 1.0))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "--max-strain %g: use [step, 1]", o->max_strain);
    if (fabs(o->max_strain / o->step - (double)total_steps(o)) > 1e-6 * (double)total_steps(o))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "--max-strain %g is not a multiple of --step %g",
                            o->max_strain, o->step);
    if (!(o->ftol > 0) || o->maxiter < 1 || o->maxeval < o->maxiter)
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "minimiser: ftol must be > 0 and 1 <= maxiter <= maxeval");
    if (o->nsave < 0 || o->nsave > SB_SHEAR_MAX_SAVES)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "at most %d saved strains", SB_SHEAR_MAX_SAVES);
    for (int s = 0; s < o->nsave; s++) {
        const double k = o->save[s] / o->step;
        if (!(o->save[s] > 0 && o->save[s] <= o->max_strain * (1 + 1e-9)) ||
            fabs(k - nearbyint(k)) > 1e-6 * k)
            return sb_error_set(err, SB_ERR_INVALID_ARG,
                                "--save %g: must be a multiple of the step %g in (0, max strain %g]",
                                o->save[s], o->step, o->max_strain);
    }
    if (o->d2min_cutoff < 0) return sb_error_set(err, SB_ERR_INVALID_ARG, "negative D2min cutoff");
    const sb_status pst = engine_check_potential(o->potential, o->pair_style, g, err);
    if (pst != SB_OK) return pst;
    if (o->checkpoint_every < 1)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "checkpoint interval must be >= 1 step");
    if (!o->run_dir || !o->run_dir[0])
        return sb_error_set(err, SB_ERR_INVALID_ARG, "a run directory (-d) is required");
    /* LAMMPS refuses tilts beyond half the box length (no `box tilt large` here). */
    sb_orientation orient;
    sb_orientation_get(o->orientation, &orient, NULL);
    const double lx = g->cell.hi[orient.perm[0]] - g->cell.lo[orient.perm[0]];
    const double ly = g->cell.hi[orient.perm[1]] - g->cell.lo[orient.perm[1]];
    if (o->max_strain * ly > 0.5 * lx)
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "--max-strain %g: tilt %.2f A would exceed half the box length %.2f A "
                            "(LAMMPS limit)", o->max_strain, o->max_strain * ly, 0.5 * lx);
    /* Cutoff sphere must fit (7.6 A for CuZr): LAMMPS handles it, but D2min snapshots and
     * any physics of a box this small would be meaningless. */
    double w[3];
    sb_cell_widths(&g->cell, w);
    if (fmin(w[0], fmin(w[1], w[2])) < 10.0)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "the glass box (%.1f A) is too small to shear",
                            fmin(w[0], fmin(w[1], w[2])));
    return SB_OK;
}

/* ---- files ------------------------------------------------------------------------- */

static void write_params(FILE *fp, const sb_structure *g, const sb_shear_options *o)
{
    fprintf(fp, "glass_atoms %zu\nglass_fingerprint %016llx\n", g->n, (unsigned long long)sb_glass_fingerprint(g));
    fprintf(fp, "orientation %d\nshuffle %d\nshuffle_seed %llu\n", o->orientation, (int)o->shuffle,
            (unsigned long long)o->shuffle_seed);
    fprintf(fp, "step %.17g\nmax_strain %.17g\nminimizer %s\nftol %.17g\nmaxiter %d\nmaxeval %d\n",
            o->step, o->max_strain, sb_minimizer_name(o->minimizer), o->ftol, o->maxiter,
            o->maxeval);
    fprintf(fp, "potential %s\npair_style %s\ncheckpoint_every %d\nd2min_cutoff %.17g\n",
            o->potential, o->pair_style, o->checkpoint_every, o->d2min_cutoff);
    fprintf(fp, "extrapolate %.17g\nlinesearch %s\n", o->extrapolate, sb_linesearch_name(o->linesearch));
    if (o->timestep > 0) fprintf(fp, "timestep %.17g\n", o->timestep);
    if (o->min_modify && *o->min_modify) fprintf(fp, "min_modify %s\n", o->min_modify);
    fprintf(fp, "save");
    for (int s = 0; s < o->nsave; s++) fprintf(fp, " %.17g", o->save[s]);
    fputc('\n', fp);
}

static sb_status check_params(const char *path, const sb_structure *g, const sb_shear_options *o,
                              sb_error *err)
{
    char *want = NULL;
    size_t wlen = 0;
    FILE *mem = open_memstream(&want, &wlen);
    if (!mem) return sb_error_set(err, SB_ERR_NOMEM, "cannot format parameters");
    write_params(mem, g, o);
    fclose(mem);
    const sb_status st = sb_params_match(path, want, wlen, "this run directory",
                                         "resume with the same glass and options or use a new directory", err);
    free(want);
    return st;
}

typedef struct shear_state {
    int64_t step; /* last completed step, -1 before the reference minimisation */
    sb_cell cell;
    double *x;    /* 3n, LAMMPS order */
    shear_row *rows;
    size_t nrows, caprows;
} shear_state;

static sb_status push_row(shear_state *s, const shear_row *r, sb_error *err)
{
    if (s->nrows == s->caprows) {
        const size_t cap = s->caprows ? 2 * s->caprows : 256;
        shear_row *g = realloc(s->rows, cap * sizeof *g);
        if (!g) return sb_error_set(err, SB_ERR_NOMEM, "cannot grow the stress-strain table");
        s->rows = g;
        s->caprows = cap;
    }
    s->rows[s->nrows++] = *r;
    return SB_OK;
}

static sb_status write_checkpoint(const char *path, const shear_state *s, size_t n, sb_error *err)
{
    sb_atomic_file af;
    sb_status st = sb_atomic_open(&af, path, err);
    if (st != SB_OK) return st;
    FILE *fp = af.fp;
    const sb_cell *c = &s->cell;
    fprintf(fp, "%s\nstep %lld\natoms %zu\n", checkpoint_magic, (long long)s->step, n);
    fprintf(fp, "cell %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g\n", c->lo[0], c->lo[1],
            c->lo[2], c->hi[0], c->hi[1], c->hi[2], c->xy, c->xz, c->yz);
    fprintf(fp, "rows %zu\n", s->nrows);
    for (size_t r = 0; r < s->nrows; r++)
        fprintf(fp, "%.17g %.17g %.17g %.17g %.17g\n", s->rows[r].strain, s->rows[r].stress,
                s->rows[r].energy, s->rows[r].iters, s->rows[r].evals);
    fprintf(fp, "positions\n");
    for (size_t i = 0; i < n; i++)
        fprintf(fp, "%.17g %.17g %.17g\n", s->x[3 * i], s->x[3 * i + 1], s->x[3 * i + 2]);
    fprintf(fp, "end\n");
    return sb_atomic_commit(&af, err);
}

static sb_status read_checkpoint(const char *path, shear_state *s, size_t n, sb_error *err)
{
    FILE *fp = fopen(path, "r");
    if (!fp) return sb_error_set(err, SB_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    char line[256];
    long long step;
    size_t natoms, nrows;
    double lo[3], hi[3], xy, xz, yz;
    sb_status st = SB_OK;
    if (!fgets(line, sizeof line, fp) || strncmp(line, checkpoint_magic, strlen(checkpoint_magic)) ||
        fscanf(fp, " step %lld atoms %zu", &step, &natoms) != 2 ||
        fscanf(fp, " cell %lf %lf %lf %lf %lf %lf %lf %lf %lf", &lo[0], &lo[1], &lo[2], &hi[0],
               &hi[1], &hi[2], &xy, &xz, &yz) != 9 ||
        fscanf(fp, " rows %zu", &nrows) != 1 || natoms != n) {
        fclose(fp);
        return sb_error_set(err, SB_ERR_PARSE, "%s: not a checkpoint of this %zu-atom run", path, n);
    }
    s->nrows = 0;
    for (size_t r = 0; r < nrows && st == SB_OK; r++) {
        shear_row row;
        if (fscanf(fp, "%lf %lf %lf %lf %lf", &row.strain, &row.stress, &row.energy, &row.iters,
                   &row.evals) != 5)
            st = sb_error_set(err, SB_ERR_PARSE, "%s: row %zu is malformed", path, r + 1);
        else st = push_row(s, &row, err);
    }
    if (st == SB_OK && fscanf(fp, " positions") != 0)
        st = sb_error_set(err, SB_ERR_PARSE, "%s: positions missing", path);
    for (size_t i = 0; i < 3 * n && st == SB_OK; i++)
        if (fscanf(fp, "%lf", &s->x[i]) != 1)
            st = sb_error_set(err, SB_ERR_PARSE, "%s: position %zu is malformed", path, i / 3 + 1);
    if (st == SB_OK && (fscanf(fp, " %255s", line) != 1 || strcmp(line, "end") != 0))
        st = sb_error_set(err, SB_ERR_PARSE, "%s: truncated (no 'end')", path);
    fclose(fp);
    if (st != SB_OK) return st;
    s->step = step;
    return sb_cell_set(&s->cell, lo, hi, xy, xz, yz, err);
}

static sb_status write_csv(const char *path, const shear_state *s, const sb_shear_options *o,
                           sb_error *err)
{
    sb_atomic_file af;
    sb_status st = sb_atomic_open(&af, path, err);
    if (st != SB_OK) return st;
    char lv[32];
    sb_engine_lammps_version(lv, sizeof lv);
    fprintf(af.fp,
            "# shearband AQS simple shear (xy): orientation %d, shuffle %s (seed %llu), step %g, "
            "%s ftol %g; LAMMPS %s; see shear.json\n",
            o->orientation, o->shuffle ? "yes" : "no", (unsigned long long)o->shuffle_seed, o->step,
            sb_minimizer_name(o->minimizer), o->ftol, lv);
    fprintf(af.fp, "strain,shear_stress_GPa,energy_eV_per_atom,min_iterations,force_evaluations\n");
    for (size_t r = 0; r < s->nrows; r++)
        fprintf(af.fp, "%.10g,%.10g,%.12g,%.0f,%.0f\n", s->rows[r].strain, s->rows[r].stress,
                s->rows[r].energy, s->rows[r].iters, s->rows[r].evals);
    return sb_atomic_commit(&af, err);
}

sb_status sb_shear_read_csv(const char *path, double **rows, size_t *nrows, sb_error *err)
{
    *rows = NULL;
    *nrows = 0;
    FILE *fp = fopen(path, "r");
    if (!fp) return sb_error_set(err, SB_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    char line[512];
    size_t cap = 0, lineno = 0;
    sb_status st = SB_OK;
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        if (line[0] == '#' || strncmp(line, "strain", 6) == 0) continue;
        double v[5];
        if (sscanf(line, "%lf,%lf,%lf,%lf,%lf", &v[0], &v[1], &v[2], &v[3], &v[4]) != 5) {
            st = sb_error_set(err, SB_ERR_PARSE, "%s:%zu: expected 5 comma-separated numbers", path,
                              lineno);
            break;
        }
        if (*nrows == cap) {
            cap = cap ? 2 * cap : 256;
            double *g = realloc(*rows, 5 * cap * sizeof *g);
            if (!g) {
                st = sb_error_set(err, SB_ERR_NOMEM, "out of memory reading %s", path);
                break;
            }
            *rows = g;
        }
        memcpy(*rows + 5 * *nrows, v, sizeof v);
        (*nrows)++;
    }
    fclose(fp);
    if (st != SB_OK) {
        free(*rows);
        *rows = NULL;
        *nrows = 0;
    }
    return st;
}

/* ---- the job ----------------------------------------------------------------------- */

typedef struct shear_job {
    const sb_shear_options *opt;
    const sb_structure *oriented; /* original order and ids, rotated cell */
    sb_structure loaded;          /* LAMMPS order (permuted), ids 1..N */
    size_t *perm;                 /* LAMMPS index j -> original index */
    char dir[SHEAR_PATH];
    char log[SHEAR_PATH], params[SHEAR_PATH], checkpoint[SHEAR_PATH], csv[SHEAR_PATH];
    char reference[SHEAR_PATH], json[SHEAR_PATH], done[SHEAR_PATH];
    char pair_style_issued[64]; /* with LAMMPS's accelerator suffix, for provenance */
    bool resumed;
} shear_job;

static void snapshot_name(char *buf, size_t sz, const char *dir, double strain, const char *ext)
{
    snprintf(buf, sz, "%s/strain_%.3f.%s", dir, strain, ext);
}

/* Configuration in the original order and ids, in the current cell. */
static sb_status gather_original(sb_engine *e, const shear_job *sj, sb_structure *out,
                                 sb_error *err)
{
    sb_status st = sb_structure_copy(out, sj->oriented, err);
    if (st != SB_OK) return st;
    const size_t n = out->n;
    double *x = malloc(3 * n * sizeof *x);
    if (!x) return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate positions");
    st = sb_engine_gather_x(e, x, NULL, err);
    if (st == SB_OK) st = sb_engine_get_cell(e, &out->cell, err);
    if (st == SB_OK)
        for (size_t j = 0; j < n; j++)
            memcpy(out->x + 3 * sj->perm[j], x + 3 * j, 3 * sizeof *x);
    free(x);
    free(out->image);
    out->image = NULL;
    out->timestep = sb_engine_timestep(e);
    return st;
}

/* Snapshot at a saved strain: D2min and von Mises strain against the reference, the band
 * location, the dump file and a small JSON summary beside it. */
static sb_status save_snapshot(sb_engine *e, const shear_job *sj, double strain, sb_error *err)
{
    const sb_shear_options *o = sj->opt;
    sb_structure cur = SB_STRUCTURE_INIT, ref = SB_STRUCTURE_INIT;
    sb_d2min_result d2 = SB_D2MIN_RESULT_INIT;
    sb_band_result band = SB_BAND_RESULT_INIT;
    sb_status st = gather_original(e, sj, &cur, err);
    bool have_band = false;
    if (st == SB_OK && o->d2min_cutoff > 0) {
        st = sb_read_dump(sj->reference, -1, &ref, err);
        sb_d2min_options dopt = sb_d2min_options_default();
        dopt.cutoff = o->d2min_cutoff;
        dopt.gradient = 0;
        if (st == SB_OK) st = sb_d2min_compute(&ref, &cur, &dopt, &d2, err);
        double *p;
        /* d2 is indexed like ref; ref and cur both hold the original order, but map by id
         * to be safe. */
        size_t *order = NULL;
        if (st == SB_OK) st = sb_structure_id_order(&cur, &order, err);
        if (st == SB_OK) st = sb_structure_add_property(&cur, "d2min", 1, &p, err);
        if (st == SB_OK) {
            for (size_t i = 0; i < ref.n; i++) p[sb_structure_index_of(&cur, order, ref.id[i])] = d2.d2min[i];
            st = sb_structure_add_property(&cur, "shear_strain", 1, &p, err);
        }
        if (st == SB_OK)
            for (size_t i = 0; i < ref.n; i++)
                p[sb_structure_index_of(&cur, order, ref.id[i])] = d2.shear_strain[i];
        free(order);
        if (st == SB_OK) {
            const sb_band_options bopt = sb_band_options_default();
            const sb_property *pd = sb_structure_find_property(&cur, "d2min");
            const sb_property *ps = sb_structure_find_property(&cur, "shear_strain");
            st = sb_band_locate(&cur.cell, cur.x, cur.id, pd->data, ps->data, cur.n, &bopt, &band,
                                err);
            have_band = st == SB_OK;
        }
    }
    char path[SHEAR_PATH + 32];
    if (st == SB_OK && sb_engine_rank(e) == 0) {
        snapshot_name(path, sizeof path, sj->dir, strain, "dump");
        st = sb_write_dump(path, &cur, false, err);
    }
    if (st == SB_OK && sb_engine_rank(e) == 0) {
        snapshot_name(path, sizeof path, sj->dir, strain, "json");
        sb_atomic_file af;
        st = sb_atomic_open(&af, path, err);
        if (st == SB_OK) {
            sb_json j;
            sb_json_start(&j, af.fp);
            sb_json_object(&j, NULL);
            sb_json_str(&j, "kind", "shearband shear snapshot");
            sb_json_provenance(&j, o->argc, o->argv);
            sb_json_num(&j, "strain", strain);
            sb_json_num(&j, "d2min_cutoff_A", o->d2min_cutoff);
            if (have_band) {
                sb_json_object(&j, "band");
                sb_json_bool(&j, "found", band.found);
                sb_json_str(&j, "orientation", band.axis == 1 ? "horizontal (along X)" : "vertical");
                sb_json_int(&j, "axis", band.axis);
                sb_json_num(&j, "centre_A", band.centre);
                sb_json_num(&j, "signed_position_A", band.signed_position);
                sb_json_num(&j, "peak_fraction", band.peak);
                sb_json_num(&j, "peak_to_mean", band.peak_to_mean);
                sb_json_num(&j, "z", band.z);
                sb_json_num(&j, "concentration", band.concentration);
                sb_json_num(&j, "strain_std", band.strain_std);
                sb_json_str(&j, "reason", band.reason);
                sb_json_end(&j);
                sb_json_int(&j, "d2min_singular_atoms", (int64_t)d2.n_singular);
            }
            sb_json_finish(&j);
            st = sb_atomic_commit(&af, err);
        }
    }
    sb_band_result_free(&band);
    sb_d2min_result_free(&d2);
    sb_structure_free(&ref);
    sb_structure_free(&cur);
    return st;
}

static sb_status setup_segment(sb_engine *e, shear_job *sj, const shear_state *s, sb_error *err)
{
    const sb_shear_options *o = sj->opt;
    sb_structure *ld = &sj->loaded;
    memcpy(ld->x, s->x, 3 * ld->n * sizeof *ld->x);
    ld->cell = s->cell;
    sb_structure_wrap(ld);
    sb_status st = sb_engine_load_structure(e, ld, true, err);
    if (!st) st = sb_engine_pair_style(e, o->pair_style, err);
    if (!st) st = sb_engine_command(e, err, "pair_coeff * * %s %s %s", o->potential,
                                    ld->type_name[0], ld->ntypes > 1 ? ld->type_name[1] : "");
    if (!st) st = sb_engine_command(e, err, "neighbor 1.0 bin");
    if (!st) st = sb_engine_command(e, err, "neigh_modify every 1 delay 0 check yes");
    /* No spatial sorting: keeps the in-memory order a pure function of the loaded order. */
    if (!st) st = sb_engine_command(e, err, "atom_modify sort 0 0.0");
    if (!st && o->minimizer != SB_MIN_LBFGS)
        st = sb_engine_command(e, err, "min_style %s", sb_minimizer_name(o->minimizer));
    if (!st && o->minimizer == SB_MIN_CG)
        st = sb_engine_command(e, err, "min_modify line %s", sb_linesearch_name(o->linesearch));
    /* FIRE's initial step is the MD time step (its largest is tmax = 10 of them). */
    if (!st && o->timestep > 0) st = sb_engine_command(e, err, "timestep %.17g", o->timestep);
    if (!st && o->min_modify && *o->min_modify)
        st = sb_engine_command(e, err, "min_modify %s", o->min_modify);
    if (!st) st = sb_engine_command(e, err, "thermo 0");
    if (!st) st = sb_engine_count_forces(e, err);
    if (!st) snprintf(sj->pair_style_issued, sizeof sj->pair_style_issued, "%s", sb_engine_pair_style_used(e));
    return st;
}

static sb_status minimize_row(sb_engine *e, const sb_shear_options *o, shear_row *row, sb_error *err)
{
    const int64_t t0 = sb_engine_timestep(e);
    const uint64_t f0 = sb_engine_force_evals(e);
    sb_engine_min_result lb = {0};
    sb_status st = o->minimizer == SB_MIN_LBFGS
                       ? sb_engine_minimize_lbfgs(e, o->ftol, o->maxiter, o->maxeval, &lb, err)
                       : sb_engine_command(e, err, "minimize 0 %.17g %d %d", o->ftol, o->maxiter, o->maxeval);
    if (st != SB_OK) return st;
    double pxy, pe, xy, ly;
    if ((st = sb_engine_thermo(e, "pxy", &pxy, err)) || (st = sb_engine_thermo(e, "pe", &pe, err)) ||
        (st = sb_engine_thermo(e, "xy", &xy, err)) || (st = sb_engine_thermo(e, "ly", &ly, err)))
        return st;
    row->strain = xy / ly;
    row->stress = -pxy * 1e-4;
    row->energy = pe / (double)sb_engine_natoms(e);
    /* LAMMPS's minimisers count one timestep per iteration; L-BFGS runs MD steps. */
    row->iters = o->minimizer == SB_MIN_LBFGS ? (double)lb.iterations : (double)(sb_engine_timestep(e) - t0);
    row->evals = (double)(sb_engine_force_evals(e) - f0);
    return SB_OK;
}

static bool is_save_step(const sb_shear_options *o, int64_t k, double *strain)
{
    for (int s = 0; s < o->nsave; s++)
        if (llround(o->save[s] / o->step) == k) {
            *strain = o->save[s];
            return true;
        }
    return false;
}

static void fit_modulus(const shear_state *s, sb_shear_result *r)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    int m = 0;
    for (size_t i = 0; i < s->nrows; i++) {
        if (s->rows[i].strain > 0.01 + 1e-12) continue;
        const double x = s->rows[i].strain, y = s->rows[i].stress;
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
        m++;
    }
    const double den = m * sxx - sx * sx;
    r->shear_modulus = (m >= 2 && den > 0) ? (m * sxy - sx * sy) / den : NAN;
    r->peak_stress = -INFINITY;
    for (size_t i = 0; i < s->nrows; i++)
        if (s->rows[i].stress > r->peak_stress) {
            r->peak_stress = s->rows[i].stress;
            r->peak_strain = s->rows[i].strain;
        }
    if (s->nrows) {
        r->final_strain = s->rows[s->nrows - 1].strain;
        r->final_stress = s->rows[s->nrows - 1].stress;
    }
}

static void progress_line(const sb_shear_options *o, int64_t k, int64_t total, const shear_row *row,
                          double t0, int64_t done_here)
{
    if (!o->progress) return;
    const double el = engine_now() - t0;
    char e1[32], e2[32];
    engine_format_duration(el, e1, sizeof e1);
    engine_format_duration(done_here > 0 ? el / (double)done_here * (double)(total - k) : 0, e2,
                           sizeof e2);
    fprintf(stderr, "\rshear step %lld/%lld  strain %.4f  stress %7.3f GPa  iters %5.0f  elapsed %s  left %s   ",
            (long long)k, (long long)total, row->strain, row->stress, row->iters, e1, e2);
    fflush(stderr);
}

static sb_status write_summary(const shear_job *sj, const shear_state *s, const sb_shear_result *r,
                               sb_error *err)
{
    const sb_shear_options *o = sj->opt;
    sb_orientation orient;
    sb_orientation_get(o->orientation, &orient, NULL);
    sb_atomic_file af;
    sb_status st = sb_atomic_open(&af, sj->json, err);
    if (st != SB_OK) return st;
    sb_json j;
    sb_json_start(&j, af.fp);
    sb_json_object(&j, NULL);
    sb_json_str(&j, "kind", "shearband shear");
    sb_json_provenance(&j, o->argc, o->argv);
    sb_json_str(&j, "lammps_version", r->lammps_version);
    sb_json_object(&j, "parameters");
    sb_json_int(&j, "atoms", (int64_t)sj->oriented->n);
    sb_json_int(&j, "orientation", o->orientation);
    char ax[4];
    sb_orientation_axis_name(&orient, 0, ax);
    sb_json_str(&j, "shear_direction_X_is_sample_axis", ax);
    sb_orientation_axis_name(&orient, 1, ax);
    sb_json_str(&j, "plane_normal_Y_is_sample_axis", ax);
    sb_json_bool(&j, "shuffle", o->shuffle);
    sb_json_int(&j, "shuffle_seed", (int64_t)o->shuffle_seed);
    sb_json_num(&j, "step", o->step);
    sb_json_num(&j, "max_strain", o->max_strain);
    sb_json_str(&j, "minimizer", sb_minimizer_name(o->minimizer));
    sb_json_num(&j, "ftol_eV_A", o->ftol);
    sb_json_int(&j, "maxiter", o->maxiter);
    sb_json_int(&j, "maxeval", o->maxeval);
    sb_json_array(&j, "save_strains");
    for (int k = 0; k < o->nsave; k++) sb_json_num(&j, NULL, o->save[k]);
    sb_json_end(&j);
    sb_json_num(&j, "d2min_cutoff_A", o->d2min_cutoff);
    sb_json_str(&j, "potential", o->potential);
    sb_json_str(&j, "pair_style", o->pair_style);
    if (sj->pair_style_issued[0]) sb_json_str(&j, "pair_style_issued", sj->pair_style_issued);
    sb_json_int(&j, "checkpoint_every", o->checkpoint_every);
    sb_json_num(&j, "extrapolate", o->extrapolate);
    if (o->minimizer == SB_MIN_CG) sb_json_str(&j, "linesearch", sb_linesearch_name(o->linesearch));
    if (o->timestep > 0) sb_json_num(&j, "timestep_ps", o->timestep);
    if (o->min_modify && *o->min_modify) sb_json_str(&j, "min_modify", o->min_modify);
    sb_json_end(&j);
    sb_json_object(&j, "result");
    sb_json_int(&j, "steps", (int64_t)s->nrows - 1);
    sb_json_num(&j, "final_strain", r->final_strain);
    sb_json_num(&j, "final_stress_GPa", r->final_stress);
    sb_json_num(&j, "peak_stress_GPa", r->peak_stress);
    sb_json_num(&j, "peak_strain", r->peak_strain);
    sb_json_num(&j, "shear_modulus_GPa", r->shear_modulus);
    sb_json_bool(&j, "resumed", sj->resumed);
    sb_json_num(&j, "seconds_this_run", r->seconds);
    sb_json_num(&j, "seconds_per_step_this_run", r->seconds_per_step);
    sb_json_end(&j);
    sb_json_array(&j, "files");
    sb_json_str(&j, NULL, "stress_strain.csv");
    sb_json_str(&j, NULL, "reference.dump");
    for (int k = 0; k < o->nsave; k++) {
        char name[64];
        snprintf(name, sizeof name, "strain_%.3f.dump", o->save[k]);
        sb_json_str(&j, NULL, name);
        snprintf(name, sizeof name, "strain_%.3f.json", o->save[k]);
        sb_json_str(&j, NULL, name);
    }
    sb_json_end(&j);
    sb_json_finish(&j);
    return sb_atomic_commit(&af, err);
}

/* The extrapolated start of the next step (see the header comment). Fractional coordinates
 * of the last two minima, LAMMPS order; `valid` counts how many of them belong to the
 * current segment. */
typedef struct shear_guess {
    double *s_prev, *s_cur, *x; /* 3n each */
    int valid;
    bool elastic;               /* the last step raised the stress */
} shear_guess;

/* After the minimisation of a step: remember its minimum. */
static sb_status guess_record(sb_engine *e, shear_guess *g, size_t n, bool elastic, sb_error *err)
{
    sb_cell cell;
    sb_status st = sb_engine_gather_x(e, g->x, NULL, err);
    if (st == SB_OK) st = sb_engine_get_cell(e, &cell, err);
    if (st != SB_OK) return st;
    double *t = g->s_prev;
    g->s_prev = g->s_cur;
    g->s_cur = t;
    for (size_t i = 0; i < n; i++) sb_cell_to_frac(&cell, g->x + 3 * i, g->s_cur + 3 * i);
    if (g->valid < 2) g->valid++;
    g->elastic = elastic;
    return SB_OK;
}

/* After the affine remap of the next step: move the atoms to the extrapolated start. */
static sb_status guess_apply(sb_engine *e, shear_guess *g, size_t n, double alpha, sb_error *err)
{
    if (alpha == 0.0 || g->valid < 2 || !g->elastic) return SB_OK;
    sb_cell cell;
    sb_status st = sb_engine_get_cell(e, &cell, err);
    if (st != SB_OK) return st;
    for (size_t i = 0; i < 3 * n; i += 3) {
        double s[3];
        for (int d = 0; d < 3; d++) {
            double ds = g->s_cur[i + d] - g->s_prev[i + d];
            ds -= nearbyint(ds); /* an atom may have been wrapped between the two minima */
            s[d] = g->s_cur[i + d] + alpha * ds;
        }
        sb_cell_to_cart(&cell, s, g->x + i);
    }
    return sb_engine_scatter_x(e, g->x, err);
}

static sb_status shear_run(sb_engine *e, void *arg, void *result, sb_error *err)
{
    shear_job *sj = arg;
    const sb_shear_options *o = sj->opt;
    sb_shear_result *r = result;
    memset(r, 0, sizeof *r);
    const size_t n = sj->loaded.n;
    const int64_t total = total_steps(o);
    shear_state s;
    memset(&s, 0, sizeof s);
    s.x = malloc(3 * n * sizeof *s.x);
    shear_guess guess = {0};
    if (o->extrapolate != 0.0) {
        guess.s_prev = malloc(3 * n * sizeof *guess.s_prev);
        guess.s_cur = malloc(3 * n * sizeof *guess.s_cur);
        guess.x = malloc(3 * n * sizeof *guess.x);
    }
    if (!s.x || (o->extrapolate != 0.0 && !(guess.s_prev && guess.s_cur && guess.x))) {
        free(s.x);
        free(guess.s_prev);
        free(guess.s_cur);
        free(guess.x);
        return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate %zu positions", n);
    }
    sb_status st = SB_OK;
    if (sj->resumed) {
        st = read_checkpoint(sj->checkpoint, &s, n, err);
    } else {
        s.step = -1;
        memcpy(s.x, sj->loaded.x, 3 * n * sizeof *s.x);
        s.cell = sj->loaded.cell;
    }
    const double t0 = engine_now();
    int64_t done_here = 0;
    bool first = true, stopped = false;
    while (st == SB_OK && s.step < total && !stopped) {
        if (!first) st = sb_engine_reset(e, err);
        first = false;
        if (st == SB_OK) st = setup_segment(e, sj, &s, err);
        if (st != SB_OK) break;
        /* Segment: up to the next multiple of checkpoint_every (the reference alone is a
         * segment of its own). */
        const int64_t seg_end =
            s.step < 0 ? 0 : ((s.step / o->checkpoint_every) + 1) * o->checkpoint_every;
        /* The segment's loaded positions (the last checkpoint's minimum) are the first
         * frame of the extrapolation: the same numbers whether or not the run was resumed. */
        guess.valid = 0;
        if (o->extrapolate != 0.0 && s.step >= 0) st = guess_record(e, &guess, n, false, err);
        while (st == SB_OK && s.step < seg_end && s.step < total) {
            const int64_t k = s.step + 1;
            if (k > 0) {
                const double ly = s.cell.hi[1] - s.cell.lo[1];
                st = sb_engine_command(e, err, "change_box all xy final %.17g remap units box",
                                       (double)k * o->step * ly);
                if (st == SB_OK) st = guess_apply(e, &guess, n, o->extrapolate, err);
                if (st != SB_OK) break;
            }
            shear_row row;
            if ((st = minimize_row(e, o, &row, err)) != SB_OK) break;
            if (o->extrapolate != 0.0) {
                const bool elastic = s.nrows > 0 && row.stress > s.rows[s.nrows - 1].stress;
                if ((st = guess_record(e, &guess, n, elastic, err)) != SB_OK) break;
            }
            if ((st = push_row(&s, &row, err)) != SB_OK) break;
            s.step = k;
            r->force_evals += (uint64_t)row.evals;
            r->min_iterations += (int64_t)row.iters;
            if (k > 0) done_here++;
            if (k == 0) {
                sb_structure ref = SB_STRUCTURE_INIT;
                st = gather_original(e, sj, &ref, err);
                if (st == SB_OK && sb_engine_rank(e) == 0) st = sb_write_dump(sj->reference, &ref, false, err);
                sb_structure_free(&ref);
            }
            double save_strain;
            if (st == SB_OK && is_save_step(o, k, &save_strain))
                st = save_snapshot(e, sj, save_strain, err);
            progress_line(o, k, total, &row, t0, done_here);
        }
        if (st != SB_OK) break;
        st = sb_engine_gather_x(e, s.x, NULL, err);
        if (st == SB_OK) st = sb_engine_get_cell(e, &s.cell, err);
        if (st == SB_OK && sb_engine_rank(e) == 0) st = write_checkpoint(sj->checkpoint, &s, n, err);
        if (st == SB_OK && sb_engine_rank(e) == 0) st = write_csv(sj->csv, &s, o, err);
        if (o->max_steps > 0 && done_here >= o->max_steps && s.step < total) stopped = true;
    }
    if (o->progress) fputc('\n', stderr);
    r->steps = s.step;
    r->steps_run = done_here;
    r->seconds = engine_now() - t0;
    r->seconds_per_step = done_here ? r->seconds / (double)done_here : 0;
    sb_engine_lammps_version(r->lammps_version, sizeof r->lammps_version);
    fit_modulus(&s, r);
    if (st == SB_OK && stopped)
        st = sb_error_set(err, SB_ERR_INTERRUPTED,
                          "stopped after %lld steps at strain %.4f as asked; resume with --resume",
                          (long long)done_here, s.nrows ? s.rows[s.nrows - 1].strain : 0.0);
    if (st == SB_OK && sb_engine_rank(e) == 0) st = write_summary(sj, &s, r, err);
    if (st == SB_OK && sb_engine_rank(e) == 0) {
        FILE *fp = fopen(sj->done, "w");
        if (fp) fclose(fp);
    }
    free(s.x);
    free(s.rows);
    free(guess.s_prev);
    free(guess.s_cur);
    free(guess.x);
    return st;
}

/* Permute atoms (Fisher-Yates, engine RNG): loaded atom j is original atom perm[j]. */
static sb_status prepare_loaded(shear_job *sj, sb_error *err)
{
    const sb_structure *g = sj->oriented;
    const size_t n = g->n;
    sj->perm = malloc(n * sizeof *sj->perm);
    if (!sj->perm) return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate a permutation");
    for (size_t i = 0; i < n; i++) sj->perm[i] = i;
    if (sj->opt->shuffle) {
        engine_rng rng;
        engine_rng_seed(&rng, sj->opt->shuffle_seed ^ 0x5a44f1e5eedULL);
        for (size_t i = n; i > 1; i--) {
            const size_t j = (size_t)engine_rng_below(&rng, i);
            const size_t t = sj->perm[i - 1];
            sj->perm[i - 1] = sj->perm[j];
            sj->perm[j] = t;
        }
    }
    sb_status st = sb_structure_copy(&sj->loaded, g, err);
    if (st != SB_OK) return st;
    for (size_t j = 0; j < n; j++) {
        const size_t i = sj->perm[j];
        sj->loaded.id[j] = (int64_t)j + 1;
        sj->loaded.type[j] = g->type[i];
        memcpy(sj->loaded.x + 3 * j, g->x + 3 * i, 3 * sizeof *g->x);
    }
    while (sj->loaded.nprop > 0) free(sj->loaded.prop[--sj->loaded.nprop].data);
    free(sj->loaded.image);
    sj->loaded.image = NULL;
    return SB_OK;
}

sb_status sb_shear(const sb_structure *glass, const sb_shear_options *o, sb_shear_result *res,
                   sb_error *err)
{
    sb_shear_result local;
    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    sb_status st = sb_shear_validate(glass, o, err);
    if (st != SB_OK) return st;
    if ((st = sb_mkdir_p(o->run_dir, err)) != SB_OK) return st;
    shear_job sj;
    memset(&sj, 0, sizeof sj);
    sj.opt = o;
    if (strlen(o->run_dir) >= sizeof sj.dir)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "run directory path too long");
    strcpy(sj.dir, o->run_dir);
    if ((st = sb_path_join(sj.log, sizeof sj.log, o->run_dir, "log.lammps", err)) ||
        (st = sb_path_join(sj.params, sizeof sj.params, o->run_dir, "shear.params", err)) ||
        (st = sb_path_join(sj.checkpoint, sizeof sj.checkpoint, o->run_dir, "checkpoint.txt", err)) ||
        (st = sb_path_join(sj.csv, sizeof sj.csv, o->run_dir, "stress_strain.csv", err)) ||
        (st = sb_path_join(sj.reference, sizeof sj.reference, o->run_dir, "reference.dump", err)) ||
        (st = sb_path_join(sj.json, sizeof sj.json, o->run_dir, "shear.json", err)) ||
        (st = sb_path_join(sj.done, sizeof sj.done, o->run_dir, "shear.done", err)))
        return st;

    if (sb_file_exists(sj.checkpoint) || sb_file_exists(sj.done)) {
        if (!o->resume)
            return sb_error_set(err, SB_ERR_INVALID_ARG,
                                "%s holds a shear run: use --resume to continue it, or a new run "
                                "directory", o->run_dir);
        if ((st = check_params(sj.params, glass, o, err)) != SB_OK) return st;
        if (sb_file_exists(sj.done) && sb_file_exists(sj.json) && sb_file_exists(sj.csv)) {
            res->already_done = true;
            return SB_OK;
        }
        sj.resumed = sb_file_exists(sj.checkpoint);
    }
    if (!sj.resumed) {
        sb_atomic_file af;
        if ((st = sb_atomic_open(&af, sj.params, err)) != SB_OK) return st;
        write_params(af.fp, glass, o);
        if ((st = sb_atomic_commit(&af, err)) != SB_OK) return st;
    }

    sb_orientation orient;
    sb_orientation_get(o->orientation, &orient, NULL);
    sb_structure oriented = SB_STRUCTURE_INIT;
    st = sb_orientation_apply(&orient, glass, &oriented, err);
    sj.oriented = &oriented;
    if (st == SB_OK) st = prepare_loaded(&sj, err);
    if (st == SB_OK) {
        sb_engine_job job = {.run = shear_run, .arg = &sj, .result = res, .result_size = sizeof *res};
        job.engine_opt = sb_engine_options_default();
        job.engine_opt.log_path = sj.log;
        job.engine_opt.screen = o->verbose;
        job.engine_opt.mpi_comm = o->mpi_comm;
        st = sb_engine_run_job(&job, err);
        if (st != SB_OK && err) sb_error_prefix(err, "shear: ");
    }
    free(sj.perm);
    sb_structure_free(&sj.loaded);
    sb_structure_free(&oriented);
    return st;
}
