/*
 * Melt-quench of a Cu-Zr glass (shearband/quench.h).
 *
 * The schedule is a list of MD stages laid out on one global time-step axis:
 *   melt   [0, n_melt)                  T_melt -> T_melt
 *   cool   [n_melt, ...)                T_melt -> T_q      (or -> T_swap)
 *   anneal                              T_swap, + fix atom/swap      (swap_anneal only)
 *   cool2                               T_swap -> T_q                (swap_anneal only)
 * Each stage runs in chunks `run N start A stop B` (A, B: the stage's bounds), which keeps
 * the temperature ramp of fix npt continuous across chunks and across a restart: LAMMPS
 * interpolates the target temperature with (step - A) / (B - A). After every chunk a
 * restart file is written (temporary name, then rename) and a progress line is printed.
 * A resumed run reads the restart, finds the stage containing its time step and goes on;
 * fix ids are per stage so that a restart restores the thermostat state of its own stage.
 *
 * Initial positions are generated here, not by `create_atoms random`: this LAMMPS has no
 * `overlap` keyword, and our own RNG makes the gas identical on every platform. Random
 * sequential addition with a minimum separation of 2 A at 0.055 atoms/A^3 fills ~23 % of
 * space with the exclusion spheres, far below the RSA jamming limit (~38 %), so it always
 * succeeds quickly; a short minimisation then removes the remaining high-energy contacts.
 */
#define _POSIX_C_SOURCE 200809L
#include "shearband/quench.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine_internal.h"
#include "shearband/engine.h"
#include "shearband/fileutil.h"
#include "shearband/io.h"
#include "shearband/json.h"
#include "shearband/version.h"

enum { QUENCH_MAX_STAGES = 4, QUENCH_PATH = 4096 };

sb_quench_options sb_quench_options_default(void)
{
    sb_quench_options o;
    memset(&o, 0, sizeof o);
    o.natoms = 4000;
    o.cu_percent = 50.0;
    o.potential = "/usr/share/lammps/potentials/CuZr_mm.eam.fs";
    o.pair_style = "eam/fs";
    strcpy(o.elements[0], "Cu");
    strcpy(o.elements[1], "Zr");
    o.melt_temp = 2000.0;
    o.melt_time = 10.0;
    o.rate = 1e13;
    o.tq = 50.0;
    o.timestep = 0.002;
    o.tdamp = 0.2;
    o.pdamp = 2.0;
    o.number_density = 0.055;
    o.min_separation = 2.0;
    o.seed = 1;
    o.swap_anneal = false;
    o.swap_temp = 750.0;
    o.swap_time = 100.0;
    o.swap_every = 50;
    o.swap_attempts = 20;
    o.ftol = 1e-8;
    o.min_maxiter = 10000;
    return o;
}

typedef struct quench_stage {
    const char *name;
    double t0, t1;
    int64_t begin, end; /* global steps [begin, end) */
    bool swap;
} quench_stage;

/* Lay the schedule out on the global step axis; returns the stage count. */
static int build_schedule(const sb_quench_options *o, quench_stage st[QUENCH_MAX_STAGES])
{
    int n = 0;
    int64_t t = 0;
    const double ps_per_step = o->timestep;
#define ADD_STAGE(NAME, T0, T1, PS, SWAP)                                                        \
    do {                                                                                         \
        const int64_t len = llround((PS) / ps_per_step);                                         \
        if (len > 0) {                                                                           \
            st[n] = (quench_stage){NAME, T0, T1, t, t + len, SWAP};                              \
            t += len;                                                                            \
            n++;                                                                                 \
        }                                                                                        \
    } while (0)
    ADD_STAGE("melt", o->melt_temp, o->melt_temp, o->melt_time, false);
    if (o->swap_anneal) {
        ADD_STAGE("cool", o->melt_temp, o->swap_temp, (o->melt_temp - o->swap_temp) / o->rate * 1e12,
                  false);
        ADD_STAGE("anneal", o->swap_temp, o->swap_temp, o->swap_time, true);
        ADD_STAGE("cool", o->swap_temp, o->tq, (o->swap_temp - o->tq) / o->rate * 1e12, false);
    } else {
        ADD_STAGE("cool", o->melt_temp, o->tq, (o->melt_temp - o->tq) / o->rate * 1e12, false);
    }
#undef ADD_STAGE
    return n;
}

static bool pos_finite(double v)
{
    return isfinite(v) && v > 0.0;
}

sb_status sb_quench_validate(const sb_quench_options *o, sb_error *err)
{
    if (o->natoms < 2 || o->natoms > 2000000000u)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "--atoms %zu: need 2 .. 2e9 atoms", o->natoms);
    if (!(o->cu_percent >= 0.0 && o->cu_percent <= 100.0))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "Cu percentage %g outside 0..100", o->cu_percent);
    const sb_status pst = engine_check_potential(o->potential, o->pair_style, NULL, err);
    if (pst != SB_OK) return pst;
    for (int k = 0; k < 2; k++)
        if (!isfinite(sb_element_mass(o->elements[k])))
            return sb_error_set(err, SB_ERR_INVALID_ARG, "unknown element '%s'", o->elements[k]);
    if (!pos_finite(o->melt_temp) || !pos_finite(o->rate) || !pos_finite(o->timestep) ||
        !pos_finite(o->tdamp) || !pos_finite(o->pdamp) || !(o->melt_time >= 0) ||
        !isfinite(o->melt_time))
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "melt temperature, rate, timestep and damping must be positive, melt "
                            "time non-negative");
    if (!(o->tq > 0.0 && o->tq < o->melt_temp))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "--tq %g K must lie in (0, melt temperature %g K)",
                            o->tq, o->melt_temp);
    if (o->timestep > 0.01)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "--timestep %g ps is too large for metals", o->timestep);
    if (o->swap_anneal) {
        /* T = T_q: hold at T_q, then minimise (the final cooling stage is empty) */
        if (!(o->swap_temp >= o->tq && o->swap_temp < o->melt_temp) || !pos_finite(o->swap_time))
            return sb_error_set(err, SB_ERR_INVALID_ARG,
                                "--swap-anneal %g,%g: need T_q <= T < T_melt and a positive time",
                                o->swap_temp, o->swap_time);
        if (o->swap_every < 1 || o->swap_attempts < 1)
            return sb_error_set(err, SB_ERR_INVALID_ARG, "swap interval and attempts must be >= 1");
    }
    if (!pos_finite(o->number_density) || o->number_density > 0.1 || !pos_finite(o->min_separation))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "initial number density %g atoms/A^3 or "
                            "separation %g A out of range", o->number_density, o->min_separation);
    if (!pos_finite(o->ftol) || o->min_maxiter < 1)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "minimiser tolerance/iterations must be positive");
    if (o->chunk_steps < 0) return sb_error_set(err, SB_ERR_INVALID_ARG, "chunk steps < 0");
    if (!o->run_dir || !o->run_dir[0])
        return sb_error_set(err, SB_ERR_INVALID_ARG, "a run directory is required");
    if (!o->output || !o->output[0])
        return sb_error_set(err, SB_ERR_INVALID_ARG, "an output file (-o) is required");
    const double lbox = cbrt((double)o->natoms / o->number_density);
    if (lbox < 2.0 * 7.6)
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "%zu atoms give a %.1f A box, less than twice the 7.6 A cutoff of "
                            "CuZr potentials: use more atoms", o->natoms, lbox);
    return SB_OK;
}

sb_status sb_quench_initial_gas(const sb_quench_options *o, sb_structure *s, sb_error *err)
{
    const size_t n = o->natoms;
    const size_t ncu = (size_t)llround((double)n * o->cu_percent / 100.0);
    sb_status st = sb_structure_alloc(s, n, 2, err);
    if (st != SB_OK) return st;
    const char *names[2] = {o->elements[0], o->elements[1]};
    if ((st = sb_structure_set_elements(s, names, err)) != SB_OK) return st;
    const double L = cbrt((double)n / o->number_density);
    sb_cell_set_ortho(&s->cell, L, L, L, NULL);

    /* Cell grid with cells >= min_sep: a new point only needs the 27 surrounding cells. */
    const double dmin = o->min_separation, d2 = dmin * dmin;
    int nc = (int)floor(L / dmin);
    if (nc < 3) nc = 3;
    const double cw = L / nc;
    const size_t ncell = (size_t)nc * (size_t)nc * (size_t)nc;
    size_t *head = malloc(ncell * sizeof *head), *next = malloc(n * sizeof *next);
    if (!head || !next) {
        free(head);
        free(next);
        return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate the initial-gas grid");
    }
    for (size_t c = 0; c < ncell; c++) head[c] = SIZE_MAX;
    engine_rng rng;
    engine_rng_seed(&rng, o->seed ^ 0x5eed0001ULL);
    const uint64_t max_tries = 1000 * (uint64_t)n + 100000;
    uint64_t tries = 0;
    for (size_t i = 0; i < n; i++) {
        bool placed = false;
        while (!placed) {
            if (++tries > max_tries) {
                free(head);
                free(next);
                return sb_error_set(err, SB_ERR_INVALID_ARG,
                                    "cannot place %zu atoms %g A apart at %g atoms/A^3", n, dmin,
                                    o->number_density);
            }
            double p[3];
            int ci[3];
            for (int k = 0; k < 3; k++) {
                p[k] = engine_rng_uniform(&rng) * L;
                ci[k] = (int)(p[k] / cw);
                if (ci[k] >= nc) ci[k] = nc - 1;
            }
            bool clash = false;
            for (int dx = -1; dx <= 1 && !clash; dx++)
                for (int dy = -1; dy <= 1 && !clash; dy++)
                    for (int dz = -1; dz <= 1 && !clash; dz++) {
                        const int cx = (ci[0] + dx + nc) % nc, cy = (ci[1] + dy + nc) % nc,
                                  cz = (ci[2] + dz + nc) % nc;
                        for (size_t j = head[((size_t)cx * nc + cy) * nc + cz]; j != SIZE_MAX;
                             j = next[j]) {
                            double r2 = 0;
                            for (int k = 0; k < 3; k++) {
                                double d = s->x[3 * j + k] - p[k];
                                d -= L * nearbyint(d / L);
                                r2 += d * d;
                            }
                            if (r2 < d2) {
                                clash = true;
                                break;
                            }
                        }
                    }
            if (clash) continue;
            for (int k = 0; k < 3; k++) s->x[3 * i + k] = p[k];
            const size_t c = ((size_t)ci[0] * nc + ci[1]) * nc + ci[2];
            next[i] = head[c];
            head[c] = i;
            placed = true;
        }
    }
    free(head);
    free(next);
    /* Types: a random choice of ncu atoms are Cu (positions are random anyway, but a
     * shuffled assignment keeps the id order free of any spatial meaning). */
    for (size_t i = 0; i < n; i++) s->type[i] = i < ncu ? 1 : 2;
    for (size_t i = n; i > 1; i--) {
        const size_t j = (size_t)engine_rng_below(&rng, i);
        const int t = s->type[i - 1];
        s->type[i - 1] = s->type[j];
        s->type[j] = t;
    }
    return SB_OK;
}

/* ---- run directory files ---------------------------------------------------------- */

static void write_params(FILE *fp, const sb_quench_options *o)
{
    fprintf(fp, "natoms %zu\ncu_percent %.17g\npotential %s\npair_style %s\nelements %s %s\n",
            o->natoms, o->cu_percent, o->potential, o->pair_style, o->elements[0], o->elements[1]);
    fprintf(fp, "melt_temp %.17g\nmelt_time %.17g\nrate %.17g\ntq %.17g\ntimestep %.17g\n",
            o->melt_temp, o->melt_time, o->rate, o->tq, o->timestep);
    fprintf(fp, "tdamp %.17g\npdamp %.17g\nnumber_density %.17g\nmin_separation %.17g\n", o->tdamp,
            o->pdamp, o->number_density, o->min_separation);
    fprintf(fp, "seed %llu\nswap_anneal %d\n", (unsigned long long)o->seed, (int)o->swap_anneal);
    if (o->swap_anneal)
        fprintf(fp, "swap %.17g %.17g %d %d\n", o->swap_temp, o->swap_time, o->swap_every,
                o->swap_attempts);
    fprintf(fp, "ftol %.17g\nmin_maxiter %d\nchunk_steps %d\n", o->ftol, o->min_maxiter,
            o->chunk_steps);
}

/* The parameter record of o as a string (free it). */
static char *params_text(const sb_quench_options *o, size_t *len)
{
    char *text = NULL;
    FILE *mem = open_memstream(&text, len);
    if (!mem) return NULL;
    write_params(mem, o);
    fclose(mem);
    return text;
}

/* Copy a (binary) file atomically. */
static sb_status copy_file(const char *from, const char *to, sb_error *err)
{
    FILE *in = fopen(from, "rb");
    if (!in) return sb_error_set(err, SB_ERR_IO, "%s: cannot read: %s", from, strerror(errno));
    sb_atomic_file af = {0};
    sb_status st = sb_atomic_open(&af, to, err);
    char chunk[65536];
    size_t got;
    while (st == SB_OK && (got = fread(chunk, 1, sizeof chunk, in)) > 0)
        if (fwrite(chunk, 1, got, af.fp) != got) st = sb_error_set(err, SB_ERR_IO, "%s: write failed", to);
    if (st == SB_OK && ferror(in)) st = sb_error_set(err, SB_ERR_IO, "%s: read failed", from);
    fclose(in);
    if (st == SB_OK) return sb_atomic_commit(&af, err);
    if (af.fp) sb_atomic_abort(&af);
    return st;
}

/* Branching (options.branch_from): the other quench must have made the same parameters
 * but T_q, and its T_q must lie on this quench's cooling ramp. Then its state at that T_q
 * becomes this run's checkpoint and the ordinary resume path continues the ramp: `run N
 * start A stop B` interpolates the target temperature between this schedule's bounds, which
 * at the branch's last step is exactly the branch's T_q.
 *   - Plain quenches: the branch is finished and its restart is the end of its MD.
 *   - Swap-annealed quenches that anneal at their own T_q (swap_temp = tq, as a T_q sweep
 *     makes them): the branch's anneal temperature differs too, and its state at the end of the
 *     cooling from the melt (quench.cooled.restart, kept when its anneal began) is the
 *     branch point; the anneal itself is not on this glass's schedule. */
static sb_status branch_setup(const sb_quench_options *o, const char *restart, sb_error *err)
{
    char path[QUENCH_PATH], done[QUENCH_PATH], from[QUENCH_PATH];
    sb_status st;
    /* Annealed at its own T_q: no cooling after the anneal, so the branch point is on the
     * cooling from the melt. */
    const bool annealed = o->swap_anneal && o->swap_temp == o->tq;
    if ((st = sb_path_join(path, sizeof path, o->branch_from, "quench.params", err)) ||
        (st = sb_path_join(done, sizeof done, o->branch_from, "quench.done", err)) ||
        (st = sb_path_join(from, sizeof from, o->branch_from,
                           annealed ? "quench.cooled.restart" : "quench.restart", err)))
        return st;
    if (annealed ? !sb_file_exists(from) : (!sb_file_exists(done) || !sb_file_exists(from)))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "branch %s: %s", o->branch_from,
                            annealed ? "its cooling from the melt has not ended (needs "
                                       "quench.cooled.restart)"
                                     : "not a finished quench (needs quench.done and quench.restart)");
    size_t len = 0;
    char *want = params_text(o, &len), *have = NULL;
    if (!want) return sb_error_set(err, SB_ERR_NOMEM, "cannot format parameters");
    if ((st = sb_read_file(path, &have, NULL, err)) != SB_OK) {
        free(want);
        return st;
    }
    /* Line by line: equal except "tq" and, annealed, the anneal temperature (the first field
     * of "swap"), which must then be the branch's T_q. */
    double tq_branch = NAN, swap_branch = NAN;
    const char *a = want, *b = have;
    while (st == SB_OK && (*a || *b)) {
        const size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
        if (!strncmp(b, "tq ", 3) && !strncmp(a, "tq ", 3)) {
            tq_branch = strtod(b + 3, NULL);
        } else if (annealed && !strncmp(b, "swap ", 5) && !strncmp(a, "swap ", 5)) {
            char *rb = NULL, *ra = NULL;
            swap_branch = strtod(b + 5, &rb);
            strtod(a + 5, &ra);
            const size_t ta = la - (size_t)(ra - a), tb = lb - (size_t)(rb - b);
            if (ta != tb || memcmp(ra, rb, ta) != 0)
                st = sb_error_set(err, SB_ERR_INVALID_ARG, "branch %s: other anneal (%.*s, here "
                                  "%.*s); only its temperature may differ", path, (int)lb, b, (int)la, a);
        } else if (la != lb || memcmp(a, b, la) != 0) {
            st = sb_error_set(err, SB_ERR_INVALID_ARG, "branch %s: made with other parameters than "
                              "this quench (%.*s, here %.*s); only T_q may differ", path, (int)lb, b,
                              (int)la, a);
        }
        a += la + (a[la] == '\n');
        b += lb + (b[lb] == '\n');
    }
    free(want);
    free(have);
    if (st != SB_OK) return st;
    if (annealed && !(swap_branch == tq_branch))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "branch %s: it anneals at %g K, not at its "
                            "T_q %g K", o->branch_from, swap_branch, tq_branch);
    const double top = o->swap_anneal && !annealed ? o->swap_temp : o->melt_temp;
    if (!(tq_branch >= o->tq && tq_branch <= top))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "branch %s: its T_q %g K is not on this "
                            "quench's cooling ramp (%g K down to %g K)", o->branch_from,
                            tq_branch, top, o->tq);
    return copy_file(from, restart, err);
}

/* Compare the stored parameter record with the current options. */
static sb_status check_params(const char *path, const sb_quench_options *o, sb_error *err)
{
    char *want = NULL;
    size_t wlen = 0;
    FILE *mem = open_memstream(&want, &wlen);
    if (!mem) return sb_error_set(err, SB_ERR_NOMEM, "cannot format parameters");
    write_params(mem, o);
    fclose(mem);
    const sb_status st = sb_params_match(path, want, wlen, "the checkpoint",
                                         "resume with the same options or use a new run directory", err);
    free(want);
    return st;
}

sb_status sb_quench_record_path(const char *output, char *buf, size_t sz, sb_error *err)
{
    const size_t len = strlen(output);
    const char *dot = strrchr(output, '.');
    const char *slash = strrchr(output, '/');
    size_t stem = (dot && (!slash || dot > slash)) ? (size_t)(dot - output) : len;
    if (stem + 6 > sz) return sb_error_set(err, SB_ERR_INVALID_ARG, "output path too long");
    memcpy(buf, output, stem);
    strcpy(buf + stem, ".json");
    if (strcmp(buf, output) == 0)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "-o %s: give the data file, not the .json",
                            output);
    return SB_OK;
}

/* ---- the job ----------------------------------------------------------------------- */

typedef struct quench_job {
    const sb_quench_options *opt;
    char log[QUENCH_PATH], params[QUENCH_PATH], restart[QUENCH_PATH], restart_tmp[QUENCH_PATH];
    char done[QUENCH_PATH], json[QUENCH_PATH];
    char cooled[QUENCH_PATH]; /* swap_anneal: the state at the end of the first cooling */
    char branch_mark[QUENCH_PATH]; /* quench.branch: the branch this run started from */
    char branched_from[QUENCH_PATH]; /* its contents, "" when the run began from the melt */
    bool from_restart;
} quench_job;

static sb_status setup_potential(sb_engine *e, const sb_quench_options *o, sb_error *err)
{
    sb_status st = sb_engine_pair_style(e, o->pair_style, err);
    if (!st) st = sb_engine_command(e, err, "pair_coeff * * %s %s %s", o->potential, o->elements[0],
                                    o->elements[1]);
    if (!st) st = sb_engine_command(e, err, "neighbor 1.0 bin");
    if (!st) st = sb_engine_command(e, err, "neigh_modify every 1 delay 0 check yes");
    if (!st) st = sb_engine_command(e, err, "timestep %.17g", o->timestep);
    return st;
}

static void progress_line(const sb_quench_options *o, const quench_stage *s, int64_t step,
                          int64_t total, double temp, double t_start, int64_t steps_done,
                          int64_t steps_left)
{
    if (!o->progress) return;
    const double el = engine_now() - t_start;
    char e1[32], e2[32];
    engine_format_duration(el, e1, sizeof e1);
    engine_format_duration(steps_done > 0 ? el / (double)steps_done * (double)steps_left : 0, e2,
                           sizeof e2);
    fprintf(stderr, "\rquench %-6s T %6.0f K  t %8.2f / %.2f ps  elapsed %s  left %s   ", s->name,
            temp, (double)step * o->timestep, (double)total * o->timestep, e1, e2);
    fflush(stderr);
}

static sb_status write_outputs(sb_engine *e, const quench_job *qj, sb_quench_result *r,
                               sb_error *err)
{
    const sb_quench_options *o = qj->opt;
    sb_structure s = SB_STRUCTURE_INIT;
    sb_status st = sb_engine_get_structure(e, &s, err);
    if (st != SB_OK) return st;
    char comment[256];
    snprintf(comment, sizeof comment,
             "Cu%gZr%g glass, %zu atoms, shearband quench seed %llu, E = %.6f eV/atom",
             o->cu_percent, 100 - o->cu_percent, s.n, (unsigned long long)o->seed, r->pe_per_atom);
    if (sb_engine_rank(e) == 0) st = sb_write_lammps_data(o->output, &s, comment, err);
    if (st == SB_OK) st = sb_structure_density(&s, &r->density, err);
    sb_structure_free(&s);
    if (st != SB_OK || sb_engine_rank(e) != 0) return st;

    sb_atomic_file af;
    if ((st = sb_atomic_open(&af, qj->json, err)) != SB_OK) return st;
    sb_json j;
    sb_json_start(&j, af.fp);
    sb_json_object(&j, NULL);
    sb_json_str(&j, "kind", "shearband quench");
    sb_json_provenance(&j, o->argc, o->argv);
    sb_json_str(&j, "lammps_version", r->lammps_version);
    sb_json_str(&j, "output", o->output);
    sb_json_object(&j, "parameters");
    sb_json_int(&j, "atoms", (int64_t)o->natoms);
    sb_json_num(&j, "cu_percent", o->cu_percent);
    sb_json_str(&j, "potential", o->potential);
    sb_json_str(&j, "pair_style", o->pair_style);
    sb_json_str(&j, "pair_style_issued", sb_engine_pair_style_used(e));
    sb_json_array(&j, "elements");
    sb_json_str(&j, NULL, o->elements[0]);
    sb_json_str(&j, NULL, o->elements[1]);
    sb_json_end(&j);
    sb_json_num(&j, "melt_temp_K", o->melt_temp);
    sb_json_num(&j, "melt_time_ps", o->melt_time);
    sb_json_num(&j, "rate_K_per_s", o->rate);
    sb_json_num(&j, "tq_K", o->tq);
    sb_json_num(&j, "timestep_ps", o->timestep);
    sb_json_num(&j, "tdamp_ps", o->tdamp);
    sb_json_num(&j, "pdamp_ps", o->pdamp);
    sb_json_num(&j, "initial_number_density_A3", o->number_density);
    sb_json_num(&j, "initial_min_separation_A", o->min_separation);
    sb_json_int(&j, "seed", (int64_t)o->seed);
    sb_json_bool(&j, "swap_anneal", o->swap_anneal);
    if (o->swap_anneal) {
        sb_json_num(&j, "swap_temp_K", o->swap_temp);
        sb_json_num(&j, "swap_time_ps", o->swap_time);
        sb_json_int(&j, "swap_every", o->swap_every);
        sb_json_int(&j, "swap_attempts", o->swap_attempts);
    }
    sb_json_num(&j, "ftol_eV_A", o->ftol);
    sb_json_int(&j, "min_maxiter", o->min_maxiter);
    sb_json_bool(&j, "resumed", qj->from_restart);
    /* A branched glass shares its cooling up to the branch's T_q with that glass (recorded
     * when the branch was made, so a resumed run reports how it really began). */
    if (qj->branched_from[0]) sb_json_str(&j, "branched_from", qj->branched_from);
    sb_json_end(&j);
    sb_json_object(&j, "result");
    sb_json_int(&j, "atoms", (int64_t)r->natoms);
    sb_json_int(&j, "cu_atoms", (int64_t)r->ncu);
    sb_json_num(&j, "energy_eV_per_atom", r->pe_per_atom);
    sb_json_num(&j, "density_g_cm3", r->density);
    sb_json_num(&j, "volume_A3", r->volume);
    sb_json_num(&j, "pressure_bar", r->pressure);
    sb_json_int(&j, "md_steps", r->md_steps);
    sb_json_int(&j, "md_steps_this_run", r->md_steps_run);
    sb_json_num(&j, "md_seconds_this_run", r->md_seconds);
    sb_json_num(&j, "md_us_per_atom_step", r->us_per_atom_step);
    sb_json_int(&j, "minimizer_iterations", r->min_iterations);
    sb_json_end(&j);
    sb_json_finish(&j);
    return sb_atomic_commit(&af, err);
}

static sb_status quench_run(sb_engine *e, void *arg, void *result, sb_error *err)
{
    quench_job *qj = arg;
    const sb_quench_options *o = qj->opt;
    sb_quench_result *r = result;
    memset(r, 0, sizeof *r);
    sb_engine_lammps_version(r->lammps_version, sizeof r->lammps_version);
    quench_stage stage[QUENCH_MAX_STAGES];
    const int nstage = build_schedule(o, stage);
    const int64_t total = nstage ? stage[nstage - 1].end : 0;
    r->md_steps = total;
    sb_status st;

    if (qj->from_restart) {
        if ((st = sb_engine_command(e, err, "read_restart %s", qj->restart))) return st;
        const char *names[2] = {o->elements[0], o->elements[1]};
        engine_set_type_names(e, 2, names);
        if ((st = sb_engine_command(e, err, "thermo_style custom %s", SB_ENGINE_THERMO_KEYWORDS)))
            return st;
        if ((st = sb_engine_command(e, err, "thermo_modify norm no lost error"))) return st;
        if ((st = setup_potential(e, o, err))) return st;
    } else {
        sb_structure gas = SB_STRUCTURE_INIT;
        st = sb_quench_initial_gas(o, &gas, err);
        if (st == SB_OK) st = sb_engine_load_structure(e, &gas, false, err);
        sb_structure_free(&gas);
        if (st) return st;
        if ((st = setup_potential(e, o, err))) return st;
        /* Push-off: remove the worst contacts of the random gas before MD. */
        if ((st = sb_engine_command(e, err, "minimize 0 1e-3 200 2000"))) return st;
        if ((st = sb_engine_command(e, err, "reset_timestep 0"))) return st;
        if ((st = sb_engine_command(e, err, "velocity all create %.17g %llu dist gaussian mom yes "
                                    "rot yes", o->melt_temp,
                                    (unsigned long long)(o->seed % 900000000ULL + 1)))) return st;
    }
    const size_t n = sb_engine_natoms(e);
    int chunk = o->chunk_steps;
    if (chunk <= 0) {
        const double c = 2e6 / (double)n;
        chunk = c < 200 ? 200 : c > 5000 ? 5000 : (int)c;
    }
    if ((st = sb_engine_command(e, err, "thermo %d", chunk))) return st;

    const double t_start = engine_now();
    int64_t step = sb_engine_timestep(e);
    const int64_t first_step = step;
    long chunks = 0;
    for (int k = 0; k < nstage; k++) {
        const quench_stage *s = &stage[k];
        if (step >= s->end) continue;
        /* Entering the swap anneal: the checkpoint is the end of the cooling from the melt
         * (written before that stage's fix was removed, so it carries the thermostat state).
         * Kept as the branch point of colder annealed glasses (branch_setup). */
        if (s->swap && step == s->begin && sb_engine_rank(e) == 0 && sb_file_exists(qj->restart) &&
            (st = copy_file(qj->restart, qj->cooled, err)))
            return st;
        if ((st = sb_engine_command(e, err, "fix sb_npt%d all npt temp %.17g %.17g %.17g iso 0 0 %.17g",
                                    k, s->t0, s->t1, o->tdamp, o->pdamp)))
            return st;
        if (s->swap &&
            (st = sb_engine_command(e, err, "fix sb_swap%d all atom/swap %d %d %llu %.17g ke yes "
                                    "types 1 2", k, o->swap_every, o->swap_attempts,
                                    (unsigned long long)(o->seed % 900000000ULL + 7 + (uint64_t)k),
                                    s->t0)))
            return st;
        while (step < s->end) {
            const int64_t len = s->end - step < chunk ? s->end - step : chunk;
            if ((st = sb_engine_command(e, err, "run %lld start %lld stop %lld post no", (long long)len,
                                        (long long)s->begin, (long long)s->end)))
                return st;
            step = sb_engine_timestep(e);
            double temp = 0;
            if ((st = sb_engine_thermo(e, "temp", &temp, err))) return st;
            if ((st = sb_engine_command(e, err, "write_restart %s", qj->restart_tmp))) return st;
            if (sb_engine_rank(e) == 0 && rename(qj->restart_tmp, qj->restart) != 0)
                return sb_error_set(err, SB_ERR_IO, "%s: cannot rename checkpoint: %s", qj->restart,
                                    strerror(errno));
            progress_line(o, s, step, total, temp, t_start, step - first_step, total - step);
            if (o->max_chunks > 0 && ++chunks >= o->max_chunks && step < total) {
                if (o->progress) fputc('\n', stderr);
                return sb_error_set(err, SB_ERR_INTERRUPTED,
                                    "stopped after %ld chunks at step %lld of %lld as asked; "
                                    "resume with --resume", chunks, (long long)step,
                                    (long long)total);
            }
        }
        if ((st = sb_engine_command(e, err, "unfix sb_npt%d", k))) return st;
        if (s->swap && (st = sb_engine_command(e, err, "unfix sb_swap%d", k))) return st;
    }
    r->md_steps_run = step - first_step;
    r->md_seconds = engine_now() - t_start;
    r->us_per_atom_step =
        r->md_steps_run > 0 ? 1e6 * r->md_seconds / ((double)r->md_steps_run * (double)n) : 0;
    if (o->progress) fputc('\n', stderr);

    /* Quench to 0 K: relax the box to P = 0, then a final fixed-box minimisation. */
    const int64_t m0 = sb_engine_timestep(e);
    if ((st = sb_engine_command(e, err, "velocity all set 0 0 0"))) return st;
    if ((st = sb_engine_command(e, err, "min_style cg"))) return st;
    /* box/relax minimisation rarely reaches ftol 1e-8 (the box degree of freedom stalls the
     * line search), and one long attempt stopped at maxiter with P = -710 bar on a 2000-atom
     * glass. Short rounds converge better (each restarts box/relax from the current box):
     * repeat until a round converges within its iteration cap with |P| < 1 bar. A badly
     * relaxed glass (1e15 K/s) then still lowers its energy in the fixed-box minimisation
     * and loses P = 0 (-1131 bar measured), so the whole cycle repeats until the final
     * fixed-box state has |P| < 10 bar (at most 5 cycles; the JSON records P). */
    double press = INFINITY;
    for (int cycle = 0; cycle < 5 && !(fabs(press) < 10.0); cycle++) {
        if ((st = sb_engine_command(e, err, "fix sb_relax all box/relax iso 0.0 vmax 0.001")))
            return st;
        bool converged = false;
        for (int round = 0; round < 20 && !converged; round++) {
            const int64_t t_round = sb_engine_timestep(e);
            if ((st = sb_engine_command(e, err, "minimize 0 1e-6 2000 20000"))) return st;
            if ((st = sb_engine_thermo(e, "press", &press, err))) return st;
            converged = fabs(press) < 1.0 && sb_engine_timestep(e) - t_round < 2000;
        }
        if ((st = sb_engine_command(e, err, "unfix sb_relax"))) return st;
        if ((st = sb_engine_command(e, err, "minimize 0 %.17g %d %d", o->ftol, o->min_maxiter,
                                    10 * o->min_maxiter)))
            return st;
        if ((st = sb_engine_thermo(e, "press", &press, err))) return st;
    }
    r->min_iterations = sb_engine_timestep(e) - m0;
    double pe = 0;
    if ((st = sb_engine_thermo(e, "pe", &pe, err))) return st;
    if ((st = sb_engine_thermo(e, "vol", &r->volume, err))) return st;
    if ((st = sb_engine_thermo(e, "press", &r->pressure, err))) return st;
    r->natoms = n;
    r->pe_per_atom = pe / (double)n;
    r->ncu = (size_t)llround((double)o->natoms * o->cu_percent / 100.0);
    if ((st = write_outputs(e, qj, r, err))) return st;
    if (sb_engine_rank(e) == 0) {
        FILE *fp = fopen(qj->done, "w");
        if (fp) {
            fprintf(fp, "%s\n", o->output);
            fclose(fp);
        }
    }
    return SB_OK;
}

sb_status sb_quench(const sb_quench_options *o, sb_quench_result *res, sb_error *err)
{
    sb_quench_result local;
    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    sb_status st = sb_quench_validate(o, err);
    if (st != SB_OK) return st;
    if ((st = sb_mkdir_p(o->run_dir, err)) != SB_OK) return st;
    quench_job qj;
    memset(&qj, 0, sizeof qj);
    qj.opt = o;
    if ((st = sb_path_join(qj.log, sizeof qj.log, o->run_dir, "log.lammps", err)) ||
        (st = sb_path_join(qj.params, sizeof qj.params, o->run_dir, "quench.params", err)) ||
        (st = sb_path_join(qj.restart, sizeof qj.restart, o->run_dir, "quench.restart", err)) ||
        (st = sb_path_join(qj.restart_tmp, sizeof qj.restart_tmp, o->run_dir, "quench.restart.tmp",
                           err)) ||
        (st = sb_path_join(qj.done, sizeof qj.done, o->run_dir, "quench.done", err)) ||
        (st = sb_path_join(qj.cooled, sizeof qj.cooled, o->run_dir, "quench.cooled.restart", err)) ||
        (st = sb_path_join(qj.branch_mark, sizeof qj.branch_mark, o->run_dir, "quench.branch", err)) ||
        (st = sb_quench_record_path(o->output, qj.json, sizeof qj.json, err)))
        return st;

    if (sb_file_exists(qj.restart) || sb_file_exists(qj.done)) {
        if (!o->resume)
            return sb_error_set(err, SB_ERR_INVALID_ARG,
                                "%s holds a quench checkpoint: use --resume to continue it, or a "
                                "new run directory", o->run_dir);
        if ((st = check_params(qj.params, o, err)) != SB_OK) return st;
        if (sb_file_exists(qj.done) && sb_file_exists(o->output) && sb_file_exists(qj.json)) {
            res->already_done = true;
            return SB_OK;
        }
        qj.from_restart = sb_file_exists(qj.restart);
    }
    if (!qj.from_restart) {
        /* A fresh start: nothing of an earlier run in this directory may pass for this one's
         * (a stale cooled state would become a colder glass's branch point). */
        unlink(qj.cooled);
        unlink(qj.branch_mark);
        sb_atomic_file af;
        if ((st = sb_atomic_open(&af, qj.params, err)) != SB_OK) return st;
        write_params(af.fp, o);
        if ((st = sb_atomic_commit(&af, err)) != SB_OK) return st;
        if (o->branch_from) {
            if ((st = branch_setup(o, qj.restart, err)) != SB_OK) return sb_error_prefix(err, "quench: ");
            if ((st = sb_atomic_open(&af, qj.branch_mark, err)) != SB_OK) return st;
            fprintf(af.fp, "%s\n", o->branch_from);
            if ((st = sb_atomic_commit(&af, err)) != SB_OK) return st;
            qj.from_restart = true;
        }
    }
    if (sb_file_exists(qj.branch_mark)) {
        char *text = NULL;
        if ((st = sb_read_file(qj.branch_mark, &text, NULL, err)) != SB_OK) return st;
        text[strcspn(text, "\n")] = '\0';
        snprintf(qj.branched_from, sizeof qj.branched_from, "%s", text);
        free(text);
    }
    sb_engine_job job = {.run = quench_run, .arg = &qj, .result = res, .result_size = sizeof *res};
    job.engine_opt = sb_engine_options_default();
    job.engine_opt.log_path = qj.log;
    job.engine_opt.screen = o->verbose;
    /* A resumed run appends to nothing: LAMMPS rewrites the log; keep the old one. */
    if (qj.from_restart) {
        char old[QUENCH_PATH + 8];
        snprintf(old, sizeof old, "%s.prev", qj.log);
        rename(qj.log, old);
    }
    st = sb_engine_run_job(&job, err);
    if (st != SB_OK && err) sb_error_prefix(err, "quench: ");
    return st;
}
