/*
 * Vibrational MSD per atom from an isoconfigurational ensemble of short NVT runs
 * (shearband/vibration.h).
 *
 * Why MSD about the mean position, from unwrapped coordinates: the flexibility volume
 * needs the amplitude of an atom's thermal vibration in its cage. Over a few ps at 300 K
 * the glass is far below T_g, so atoms rattle about a fixed mean position; <|r - <r>|^2>
 * over the window is that amplitude (plus the rare local hop, which is exactly the kind of
 * softness v_flex is meant to catch). Positions are unwrapped with LAMMPS's image flags
 * (r = x + n_a a + n_b b + n_c c), so an atom crossing the periodic boundary is not seen
 * to jump by a box length. Displacements are accumulated from the first sample, which
 * keeps sums of squares small (no cancellation against absolute coordinates of ~30 A).
 *
 * One engine job per run: the child opens LAMMPS, runs, gathers positions every
 * sample_every ps (lammps_gather_atoms costs ~0.1 ms at 1e3 atoms, negligible against the
 * ~25 MD steps in between), and sends {header, n doubles} back through the job's result
 * buffer. The parent writes the run's cache file; so a finished run is never lost and the
 * ensemble resumes at the first missing run.
 */
#define _POSIX_C_SOURCE 200809L
#include "shearband/vibration.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/binfile.h"
#include "engine/engine_internal.h"
#include "shearband/engine.h"
#include "shearband/fileutil.h"
#include "shearband/json.h"

enum { VIB_PATH = 4096 };

sb_vibration_options sb_vibration_options_default(void)
{
    sb_vibration_options o;
    memset(&o, 0, sizeof o);
    o.temperature = 300.0;
    o.runs = 8;
    o.equilibration = 1.0;
    o.sampling = 4.0;
    o.sample_every = 0.05;
    o.timestep = 0.002;
    o.tdamp = 0.1;
    o.seed = 1;
    o.potential = "/usr/share/lammps/potentials/CuZr_mm.eam.fs";
    o.pair_style = "eam/fs";
    return o;
}

void sb_vibration_result_free(sb_vibration_result *r)
{
    if (!r) return;
    free(r->msd);
    free(r->msd_run);
    free(r->run_temperature);
    free(r->run_seed);
    memset(r, 0, sizeof *r);
}

uint64_t sb_vibration_run_seed(uint64_t seed, int k)
{
    /* splitmix64 of (seed, k): independent-looking seeds for neighbouring k. */
    uint64_t z = seed * 0x9E3779B97F4A7C15ULL + (uint64_t)k * 0xBF58476D1CE4E5B9ULL + 0x94D049BB133111EBULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return z % 900000000ULL + 1;
}

/* Step counts of a run from the options. */
typedef struct vib_schedule {
    int64_t equil_steps;
    int64_t every_steps;
    int intervals; /* samples - 1 */
} vib_schedule;

static vib_schedule vib_make_schedule(const sb_vibration_options *o)
{
    vib_schedule s;
    s.equil_steps = llround(o->equilibration / o->timestep);
    s.every_steps = llround(o->sample_every / o->timestep);
    s.intervals = (int)llround(o->sampling / o->sample_every);
    return s;
}

sb_status sb_vibration_validate(const sb_structure *g, const sb_vibration_options *o, sb_error *err)
{
    if (!g || g->n < 2) return sb_error_set(err, SB_ERR_INVALID_ARG, "the glass needs at least 2 atoms");
    if (!(o->temperature > 0.0 && o->temperature <= 5000.0))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "vibration temperature %g K outside (0, 5000]",
                            o->temperature);
    if (o->runs < 1 || o->runs > SB_VIBRATION_MAX_RUNS)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "ensemble size %d outside 1..%d", o->runs,
                            SB_VIBRATION_MAX_RUNS);
    if (!(o->timestep > 0.0 && o->timestep <= 0.01))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "timestep %g ps outside (0, 0.01]", o->timestep);
    if (!(o->tdamp > 0.0) || !isfinite(o->tdamp))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "thermostat damping %g ps must be positive", o->tdamp);
    if (!(o->equilibration >= 0.0 && o->equilibration < 1e4))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "equilibration %g ps outside [0, 1e4)",
                            o->equilibration);
    if (!(o->sample_every >= o->timestep * (1 - 1e-9)) || !isfinite(o->sample_every))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "sample interval %g ps is shorter than the timestep %g ps",
                            o->sample_every, o->timestep);
    if (!(o->sampling >= o->sample_every * (1 - 1e-9) && o->sampling < 1e4))
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "sampling time %g ps must cover at least one sample interval (%g ps)",
                            o->sampling, o->sample_every);
    const vib_schedule s = vib_make_schedule(o);
    if (fabs((double)s.every_steps * o->timestep - o->sample_every) > 1e-6 * o->sample_every)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "sample interval %g ps is not a multiple of the timestep %g ps",
                            o->sample_every, o->timestep);
    if (fabs(s.intervals * o->sample_every - o->sampling) > 1e-6 * o->sampling)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "sampling time %g ps is not a multiple of the sample interval %g ps",
                            o->sampling, o->sample_every);
    const sb_status pst = engine_check_potential(o->potential, o->pair_style, g, err);
    if (pst != SB_OK) return pst;
    if (!o->run_dir || !o->run_dir[0])
        return sb_error_set(err, SB_ERR_INVALID_ARG, "a run directory for the MSD runs is required");
    return SB_OK;
}

/* FNV-1a over every byte that defines the glass for an MD run (n, ids, types, positions,
 * cell), wider than sb_glass_fingerprint: the cached MSD runs are keyed by it. */
static uint64_t glass_fingerprint(const sb_structure *g)
{
    uint64_t h = SB_FNV1A64_BASIS;
    const uint64_t n = g->n;
    h = sb_fnv1a64_update(h, &n, sizeof n);
    h = sb_fnv1a64_update(h, g->id, g->n * sizeof *g->id);
    h = sb_fnv1a64_update(h, g->type, g->n * sizeof *g->type);
    h = sb_fnv1a64_update(h, g->x, 3 * g->n * sizeof *g->x);
    h = sb_fnv1a64_update(h, g->cell.lo, sizeof g->cell.lo);
    h = sb_fnv1a64_update(h, g->cell.hi, sizeof g->cell.hi);
    const double tilt[3] = {g->cell.xy, g->cell.xz, g->cell.yz};
    return sb_fnv1a64_update(h, tilt, sizeof tilt);
}

static void write_params(FILE *fp, const sb_structure *g, const sb_vibration_options *o)
{
    fprintf(fp, "temperature %.17g\nequilibration %.17g\nsampling %.17g\nsample_every %.17g\n",
            o->temperature, o->equilibration, o->sampling, o->sample_every);
    fprintf(fp, "timestep %.17g\ntdamp %.17g\nseed %" PRIu64 "\npotential %s\npair_style %s\n",
            o->timestep, o->tdamp, o->seed, o->potential, o->pair_style);
    fprintf(fp, "elements");
    for (int t = 0; t < g->ntypes; t++) fprintf(fp, " %s", g->type_name[t]);
    fprintf(fp, "\natoms %zu\nglass_fingerprint %016" PRIx64 "\n", g->n, glass_fingerprint(g));
}

/* Write the parameter record, or check that the stored one is identical. */
static sb_status vib_params(const char *path, const sb_structure *g, const sb_vibration_options *o,
                            sb_error *err)
{
    char *want = NULL;
    size_t wlen = 0;
    FILE *mem = open_memstream(&want, &wlen);
    if (!mem) return sb_error_set(err, SB_ERR_NOMEM, "cannot format the MSD parameters");
    write_params(mem, g, o);
    fclose(mem);
    sb_status st = SB_OK;
    if (!sb_file_exists(path)) {
        sb_atomic_file af;
        st = sb_atomic_open(&af, path, err);
        if (st == SB_OK) {
            fwrite(want, 1, wlen, af.fp);
            st = sb_atomic_commit(&af, err);
        }
        free(want);
        return st;
    }
    st = sb_params_match(path, want, wlen, "the cached MSD ensemble",
                         "use the same glass and options or a new directory", err);
    free(want);
    return st;
}

/* ---- one run: the engine job ------------------------------------------------------- */

/* Result of a run, followed in the same buffer by n doubles (the per-atom MSD). */
typedef struct vib_run_header {
    double mean_temperature;
    double mean_msd;
    double seconds;
    int64_t samples;
    char lammps_version[32];
} vib_run_header;

typedef struct vib_job {
    const sb_structure *glass;
    const sb_vibration_options *opt;
    uint64_t velocity_seed;
} vib_job;

static sb_status vib_setup(sb_engine *e, const vib_job *vj, sb_error *err)
{
    const sb_structure *g = vj->glass;
    const sb_vibration_options *o = vj->opt;
    /* Atoms a little outside the cell (allowed in data files) would be dropped by
     * lammps_create_atoms: load a wrapped copy (image flags follow, so the unwrapped
     * positions, and therefore every displacement, are unchanged). */
    sb_structure wrapped = SB_STRUCTURE_INIT;
    sb_status st = sb_structure_copy(&wrapped, g, err);
    if (st == SB_OK) st = sb_structure_ensure_images(&wrapped, err);
    if (st == SB_OK) {
        /* Only atoms outside: a round trip through fractional coordinates would change the
         * last bits of the others (and with them the trajectory). */
        for (size_t i = 0; i < wrapped.n; i++) {
            double f[3];
            sb_cell_to_frac(&wrapped.cell, &wrapped.x[3 * i], f);
            if (f[0] < 0 || f[0] >= 1 || f[1] < 0 || f[1] >= 1 || f[2] < 0 || f[2] >= 1)
                sb_cell_wrap(&wrapped.cell, &wrapped.x[3 * i], &wrapped.image[3 * i]);
        }
        st = sb_engine_load_structure(e, &wrapped, false, err);
    }
    sb_structure_free(&wrapped);
    if (st != SB_OK) return st;
    char elements[256] = "";
    size_t len = 0;
    for (int t = 0; t < g->ntypes; t++) {
        const int w = snprintf(elements + len, sizeof elements - len, " %s", g->type_name[t]);
        if (w < 0 || (size_t)w >= sizeof elements - len)
            return sb_error_set(err, SB_ERR_INVALID_ARG, "too many element names for pair_coeff");
        len += (size_t)w;
    }
    if (!st) st = sb_engine_pair_style(e, o->pair_style, err);
    if (!st) st = sb_engine_command(e, err, "pair_coeff * * %s%s", o->potential, elements);
    if (!st) st = sb_engine_command(e, err, "neighbor 1.0 bin");
    if (!st) st = sb_engine_command(e, err, "neigh_modify every 1 delay 0 check yes");
    if (!st) st = sb_engine_command(e, err, "timestep %.17g", o->timestep);
    if (!st) st = sb_engine_command(e, err, "thermo 0");
    return st;
}

/* Unwrapped positions: u = x + image . H (rows of H are the cell vectors). */
static void unwrap(const sb_cell *c, const double *x, const int *img, size_t n, double *u)
{
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 3; k++)
            u[3 * i + k] = x[3 * i + k] + img[3 * i] * c->h[0][k] + img[3 * i + 1] * c->h[1][k] +
                           img[3 * i + 2] * c->h[2][k];
}

static sb_status vib_run(sb_engine *e, void *arg, void *result, sb_error *err)
{
    const vib_job *vj = arg;
    const sb_vibration_options *o = vj->opt;
    const size_t n = vj->glass->n;
    vib_run_header *hdr = result;
    double *msd = (double *)(hdr + 1);
    memset(hdr, 0, sizeof *hdr);
    const double t0 = engine_now();
    sb_status st = vib_setup(e, vj, err);
    if (st != SB_OK) return st;
    sb_engine_lammps_version(hdr->lammps_version, sizeof hdr->lammps_version);
    const vib_schedule s = vib_make_schedule(o);
    if ((st = sb_engine_command(e, err, "velocity all create %.17g %" PRIu64 " dist gaussian mom yes rot no",
                                o->temperature, vj->velocity_seed)))
        return st;
    if ((st = sb_engine_command(e, err, "fix sb_nvt all nvt temp %.17g %.17g %.17g", o->temperature,
                                o->temperature, o->tdamp)))
        return st;
    if (s.equil_steps > 0 && (st = sb_engine_command(e, err, "run %" PRId64 " post no", s.equil_steps)))
        return st;

    double *x = malloc(3 * n * sizeof *x), *u = malloc(3 * n * sizeof *u);
    double *first = malloc(3 * n * sizeof *first), *sum = calloc(3 * n, sizeof *sum);
    double *sum2 = calloc(n, sizeof *sum2);
    int *img = malloc(3 * n * sizeof *img);
    if (!x || !u || !first || !sum || !sum2 || !img) {
        st = sb_error_set(err, SB_ERR_NOMEM, "cannot allocate MSD buffers for %zu atoms", n);
        goto done;
    }
    sb_cell cell;
    if ((st = sb_engine_get_cell(e, &cell, err))) goto done; /* NVT: the box never changes */
    double tsum = 0.0;
    for (int m = 0; m <= s.intervals; m++) {
        if (m > 0) {
            /* pre no: nothing changed since the previous run, skip LAMMPS's setup. */
            if ((st = sb_engine_command(e, err, "run %" PRId64 " pre no post no", s.every_steps)))
                goto done;
        } else if (s.equil_steps == 0) {
            if ((st = sb_engine_command(e, err, "run 0 post no"))) goto done;
        }
        double temp = 0.0;
        if ((st = sb_engine_thermo(e, "temp", &temp, err))) goto done;
        tsum += temp;
        if ((st = sb_engine_gather_x(e, x, img, err))) goto done;
        unwrap(&cell, x, img, n, u);
        if (m == 0) memcpy(first, u, 3 * n * sizeof *u);
        for (size_t i = 0; i < n; i++) {
            double d2 = 0.0;
            for (int k = 0; k < 3; k++) {
                const double d = u[3 * i + k] - first[3 * i + k];
                sum[3 * i + k] += d;
                d2 += d * d;
            }
            sum2[i] += d2;
        }
    }
    const double ns = s.intervals + 1;
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        double mean2 = 0.0;
        for (int k = 0; k < 3; k++) mean2 += (sum[3 * i + k] / ns) * (sum[3 * i + k] / ns);
        msd[i] = sum2[i] / ns - mean2;
        if (msd[i] < 0.0) msd[i] = 0.0; /* rounding only: the variance is >= 0 */
        if (!isfinite(msd[i])) {
            st = sb_error_set(err, SB_ERR_NUMERIC, "MSD of atom id %" PRId64 " is not finite",
                              vj->glass->id[i]);
            goto done;
        }
        total += msd[i];
    }
    hdr->mean_temperature = tsum / ns;
    hdr->mean_msd = total / (double)n;
    hdr->samples = s.intervals + 1;
    hdr->seconds = engine_now() - t0;
done:
    free(x);
    free(u);
    free(first);
    free(sum);
    free(sum2);
    free(img);
    return st;
}

/* ---- the per-run cache file --------------------------------------------------------- */

static sb_status write_run_file(const char *path, const sb_structure *g, int k, uint64_t vseed,
                                const sb_vibration_options *o, const vib_run_header *h,
                                const double *msd, sb_error *err)
{
    sb_atomic_file af;
    sb_status st = sb_atomic_open(&af, path, err);
    if (st != SB_OK) return st;
    fprintf(af.fp, "# shearband vibrational MSD, run %d of an isoconfigurational ensemble\n", k);
    fprintf(af.fp, "# velocity_seed %" PRIu64 " temperature_K %.17g mean_temperature_K %.17g samples %" PRId64
            " seconds %.6g\n", vseed, o->temperature, h->mean_temperature, h->samples, h->seconds);
    fprintf(af.fp, "# lammps %s\n", h->lammps_version);
    fprintf(af.fp, "# id msd_A2\n");
    for (size_t i = 0; i < g->n; i++) fprintf(af.fp, "%" PRId64 " %.17g\n", g->id[i], msd[i]);
    return sb_atomic_commit(&af, err);
}

static sb_status read_run_file(const char *path, const sb_structure *g, uint64_t vseed,
                               vib_run_header *h, double *msd, sb_error *err)
{
    FILE *fp = fopen(path, "r");
    if (!fp) return sb_error_set(err, SB_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    char line[512];
    size_t lineno = 0, i = 0;
    bool have_seed = false;
    sb_status st = SB_OK;
    memset(h, 0, sizeof *h);
    while (st == SB_OK && fgets(line, sizeof line, fp)) {
        lineno++;
        if (line[0] == '#') {
            uint64_t s = 0;
            double t = 0, tm = 0, sec = 0;
            int64_t ns = 0;
            if (sscanf(line, "# velocity_seed %" SCNu64 " temperature_K %lf mean_temperature_K %lf samples %" SCNd64
                       " seconds %lf", &s, &t, &tm, &ns, &sec) == 5) {
                if (s != vseed)
                    st = sb_error_set(err, SB_ERR_PARSE, "%s:%zu: velocity seed %" PRIu64 ", expected %" PRIu64,
                                      path, lineno, s, vseed);
                h->mean_temperature = tm;
                h->samples = ns;
                h->seconds = sec;
                have_seed = true;
            } else if (strncmp(line, "# lammps ", 9) == 0) {
                line[strcspn(line, "\r\n")] = '\0';
                snprintf(h->lammps_version, sizeof h->lammps_version, "%.31s", line + 9);
            }
            continue;
        }
        long long id = 0;
        double v = 0;
        if (sscanf(line, "%lld %lf", &id, &v) != 2)
            st = sb_error_set(err, SB_ERR_PARSE, "%s:%zu: expected 'id msd'", path, lineno);
        else if (i >= g->n || id != g->id[i])
            st = sb_error_set(err, SB_ERR_PARSE, "%s:%zu: atom id %lld, expected %" PRId64 " (another glass?)",
                              path, lineno, id, i < g->n ? g->id[i] : (int64_t)-1);
        else if (!(v >= 0.0) || !isfinite(v))
            st = sb_error_set(err, SB_ERR_PARSE, "%s:%zu: MSD %g is not a finite non-negative number", path,
                              lineno, v);
        else
            msd[i++] = v;
    }
    fclose(fp);
    if (st == SB_OK && (!have_seed || i != g->n))
        st = sb_error_set(err, SB_ERR_PARSE, "%s: incomplete run file (%zu of %zu atoms%s)", path, i, g->n,
                          have_seed ? "" : ", no seed line");
    return st;
}

static sb_status write_json(const char *path, const sb_structure *g, const sb_vibration_options *o,
                            const sb_vibration_result *r, const bool *reused, sb_error *err)
{
    sb_atomic_file af;
    sb_status st = sb_atomic_open(&af, path, err);
    if (st != SB_OK) return st;
    const vib_schedule s = vib_make_schedule(o);
    sb_json j;
    sb_json_start(&j, af.fp);
    sb_json_object(&j, NULL);
    sb_json_str(&j, "kind", "shearband vibrational MSD ensemble");
    sb_json_provenance(&j, o->argc, o->argv);
    sb_json_str(&j, "lammps_version", r->lammps_version);
    sb_json_object(&j, "parameters");
    sb_json_num(&j, "temperature_K", o->temperature);
    sb_json_int(&j, "runs", o->runs);
    sb_json_num(&j, "equilibration_ps", o->equilibration);
    sb_json_num(&j, "sampling_ps", o->sampling);
    sb_json_num(&j, "sample_every_ps", o->sample_every);
    sb_json_num(&j, "timestep_ps", o->timestep);
    sb_json_num(&j, "tdamp_ps", o->tdamp);
    sb_json_int(&j, "equilibration_steps", s.equil_steps);
    sb_json_int(&j, "steps_per_sample", s.every_steps);
    sb_json_int(&j, "samples_per_run", s.intervals + 1);
    sb_json_int(&j, "seed", (int64_t)o->seed);
    sb_json_str(&j, "thermostat", "Nose-Hoover NVT (fix nvt), velocities created at T with zero momentum");
    sb_json_str(&j, "potential", o->potential);
    sb_json_str(&j, "pair_style", o->pair_style);
    sb_json_int(&j, "atoms", (int64_t)g->n);
    char fp[32];
    snprintf(fp, sizeof fp, "%016" PRIx64, glass_fingerprint(g));
    sb_json_str(&j, "glass_fingerprint", fp);
    sb_json_end(&j);
    sb_json_array(&j, "runs");
    for (int k = 0; k < r->runs; k++) {
        double m = 0;
        for (size_t i = 0; i < r->n; i++) m += r->msd_run[(size_t)k * r->n + i];
        sb_json_object(&j, NULL);
        sb_json_int(&j, "run", k);
        sb_json_int(&j, "velocity_seed", (int64_t)r->run_seed[k]);
        sb_json_num(&j, "mean_temperature_K", r->run_temperature[k]);
        sb_json_num(&j, "mean_msd_A2", m / (double)r->n);
        sb_json_bool(&j, "reused_from_cache", reused[k]);
        sb_json_end(&j);
    }
    sb_json_end(&j);
    sb_json_object(&j, "result");
    sb_json_num(&j, "mean_msd_A2", r->mean_msd);
    sb_json_int(&j, "runs_computed", r->runs_computed);
    sb_json_int(&j, "runs_reused", r->runs_reused);
    sb_json_num(&j, "seconds_this_call", r->seconds);
    sb_json_end(&j);
    sb_json_finish(&j);
    return sb_atomic_commit(&af, err);
}

sb_status sb_vibration_msd(const sb_structure *g, const sb_vibration_options *o, sb_vibration_result *r,
                           sb_error *err)
{
    sb_vibration_result_free(r);
    sb_status st = sb_vibration_validate(g, o, err);
    if (st != SB_OK) return st;
    if ((st = sb_mkdir_p(o->run_dir, err)) != SB_OK) return st;
    char params[VIB_PATH], json[VIB_PATH];
    if ((st = sb_path_join(params, sizeof params, o->run_dir, "vibration.params", err)) ||
        (st = sb_path_join(json, sizeof json, o->run_dir, "vibration.json", err)))
        return st;
    if ((st = vib_params(params, g, o, err)) != SB_OK) return st;

    const size_t n = g->n;
    const int M = o->runs;
    r->n = n;
    r->runs = M;
    r->msd = calloc(n, sizeof *r->msd);
    r->msd_run = malloc((size_t)M * n * sizeof *r->msd_run);
    r->run_temperature = calloc((size_t)M, sizeof *r->run_temperature);
    r->run_seed = calloc((size_t)M, sizeof *r->run_seed);
    bool *reused = calloc((size_t)M, sizeof *reused);
    vib_run_header *buf = malloc(sizeof *buf + n * sizeof(double));
    if (!r->msd || !r->msd_run || !r->run_temperature || !r->run_seed || !reused || !buf) {
        free(reused);
        free(buf);
        sb_vibration_result_free(r);
        return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate MSD results for %zu atoms x %d runs", n, M);
    }
    snprintf(r->lammps_version, sizeof r->lammps_version, "unknown");
    const double t_start = engine_now();
    for (int k = 0; k < M && st == SB_OK; k++) {
        char name[64], path[VIB_PATH], log[VIB_PATH];
        snprintf(name, sizeof name, "msd_run_%d.txt", k);
        if ((st = sb_path_join(path, sizeof path, o->run_dir, name, err))) break;
        snprintf(name, sizeof name, "run_%d.log", k);
        if ((st = sb_path_join(log, sizeof log, o->run_dir, name, err))) break;
        const uint64_t vseed = sb_vibration_run_seed(o->seed, k);
        double *msd = (double *)(buf + 1);
        r->run_seed[k] = vseed;
        if (sb_file_exists(path)) {
            if ((st = read_run_file(path, g, vseed, buf, msd, err))) break;
            reused[k] = true;
            r->runs_reused++;
        } else {
            if (o->progress) {
                fprintf(stderr, "vibration: run %d of %d at %g K (%g + %g ps) ...", k + 1, M,
                        o->temperature, o->equilibration, o->sampling);
                fflush(stderr);
            }
            vib_job vj = {.glass = g, .opt = o, .velocity_seed = vseed};
            sb_engine_job job = {.run = vib_run, .arg = &vj, .result = buf,
                                 .result_size = sizeof *buf + n * sizeof(double)};
            job.engine_opt = sb_engine_options_default();
            job.engine_opt.log_path = log;
            job.engine_opt.screen = o->verbose;
            st = sb_engine_run_job(&job, err);
            if (o->progress) fprintf(stderr, st == SB_OK ? " %.1f s, <T> %.1f K\n" : " failed\n",
                                     buf->seconds, buf->mean_temperature);
            if (st != SB_OK) {
                sb_error_prefix(err, "vibration run %d: ", k);
                break;
            }
            if ((st = write_run_file(path, g, k, vseed, o, buf, msd, err))) break;
            r->runs_computed++;
        }
        if (buf->lammps_version[0]) snprintf(r->lammps_version, sizeof r->lammps_version, "%s", buf->lammps_version);
        r->run_temperature[k] = buf->mean_temperature;
        r->samples = (int)buf->samples;
        memcpy(r->msd_run + (size_t)k * n, msd, n * sizeof *msd);
    }
    r->seconds = engine_now() - t_start;
    if (st == SB_OK) {
        double total = 0.0;
        for (size_t i = 0; i < n; i++) {
            double m = 0.0;
            for (int k = 0; k < M; k++) m += r->msd_run[(size_t)k * n + i];
            r->msd[i] = m / M;
            total += r->msd[i];
        }
        r->mean_msd = total / (double)n;
        st = write_json(json, g, o, r, reused, err);
    }
    free(reused);
    free(buf);
    if (st != SB_OK) sb_vibration_result_free(r);
    return st;
}
