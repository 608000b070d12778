/*
 * The LAMMPS bridge (shearband/engine.h): the only file of the project that includes LAMMPS
 * (and, through it, MPI) headers.
 *
 * LAMMPS is driven with text commands (lammps_command) plus a few array transfers:
 *   - atoms are created with lammps_create_atoms from exact doubles (no text round trip);
 *   - positions move in and out with lammps_gather_atoms / lammps_scatter_atoms, which
 *     require `atom_modify map array` and consecutive ids 1..N (the engine guarantees both:
 *     LAMMPS id k is structure atom k-1);
 *   - thermo values come from lammps_get_thermo, which makes LAMMPS exit when the keyword is
 *     not in thermo_style or not current; the engine fixes thermo_style at open and tracks
 *     currency so that it can refuse instead;
 *   - force evaluations are counted with a `fix external pf/callback` whose callback adds
 *     zero force and increments a counter (LAMMPS calls it at every force evaluation, in MD
 *     and in minimisation alike; the API exposes no such count);
 *   - the L-BFGS minimiser (sb_engine_minimize_lbfgs) moves the atoms from the same callback,
 *     inside a `run` with no integrator, so that LAMMPS keeps its neighbour lists, periodic
 *     images and ghosts up to date exactly as in MD.
 * Without LAMMPS exceptions a failing command never returns (LAMMPS calls exit), so the
 * command text is stored before the call and errors are recovered by the job runner
 * (job.c) from the log; with exceptions, lammps_has_error is checked after each command.
 */
#define _POSIX_C_SOURCE 200809L
#include "shearband/engine.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lammps/library.h>
#include <mpi.h>

#include "engine/engine_internal.h"

enum { ENGINE_CMD_LEN = 4096, ENGINE_MAX_TYPES = 16 };

/* L-BFGS (Nocedal 1980, two-loop recursion) on the 3N positions, vectors indexed by atom id
 * - 1. No line search: each step is -H g capped so that no atom moves more than `maxstep`
 * (the scheme of ASE's LBFGS). A line search needs energy differences, and near ftol 1e-8
 * they are ~1e-16 eV, far below the round-off of a total energy of ~1e4 eV; LAMMPS's own
 * quadratic and forcezero searches work from forces for the same reason. Pairs with
 * s.y <= 0 (negative curvature along the step, as at the onset of an avalanche) are not
 * stored, so H stays positive definite and -H g a descent direction. */
enum { LBFGS_MEMORY = 10, LBFGS_CHUNK = 5 };

typedef struct engine_lbfgs {
    size_t n3;                 /* 3N */
    double *g, *gp, *q;        /* gradient (= -force), previous gradient, direction */
    double *s, *y;             /* LBFGS_MEMORY rows of n3: steps and gradient changes */
    double rho[LBFGS_MEMORY], alpha[LBFGS_MEMORY];
    int mem, head;             /* stored pairs, next slot */
    bool active, have_prev, converged, stalled;
    double ftol;
    int64_t iterations;
    double fnorm;              /* force two-norm at the last evaluation */
    double best;               /* smallest fnorm so far, and the iteration that reached it */
    int64_t best_iteration;
} engine_lbfgs;

/* Give up when the force norm has not improved for this many iterations: round-off puts a
 * floor under it (growing like sqrt(N)), which a too small ftol can lie below. CG stops on
 * "linesearch alpha is zero" in the same situation. */
enum { LBFGS_STALL = 1000 };

/* ASE's LBFGS defaults: no atom moves more than 0.2 A per step, and the first step, before any
 * curvature is known, assumes 70 eV/A^2. */
static const double lbfgs_maxstep = 0.2, lbfgs_curvature0 = 70.0;

/* lammps_gather/scatter take char * names. */
static char name_x[] = "x", name_image[] = "image", name_type[] = "type";

struct sb_engine {
    void *lmp;
    MPI_Comm comm;
    bool have_comm; /* opened on a given communicator */
    bool screen;
    char log_path[4096]; /* "" = none */
    int rank;
    bool exceptions;
    bool thermo_current;
    bool counting;
    uint64_t force_evals;
    engine_lbfgs *lbfgs; /* NULL until the first sb_engine_minimize_lbfgs */
    int ntypes;
    char type_name[ENGINE_MAX_TYPES][SB_ELEMENT_LEN];
    char last_cmd[ENGINE_CMD_LEN];
    char pair_style[64]; /* as issued, with the accelerator suffix; "" before any */
};

sb_engine_options sb_engine_options_default(void)
{
    sb_engine_options o = {.log_path = NULL, .screen = false, .mpi_comm = NULL};
    return o;
}

/* lammps_version() needs an instance: the first open instance caches it. */
static int cached_version;

void sb_engine_lammps_version(char *buf, size_t bufsz)
{
    static const char *const month[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const int v = cached_version;
    if (v > 19000000) {
        const int y = v / 10000, m = (v / 100) % 100, d = v % 100;
        snprintf(buf, bufsz, "%d %s %d", d, (m >= 1 && m <= 12) ? month[m - 1] : "???", y);
    } else {
        snprintf(buf, bufsz, "unknown");
    }
}

int engine_cached_version(void)
{
    return cached_version;
}

bool sb_engine_has_exceptions(void)
{
    return lammps_config_has_exceptions() != 0;
}

sb_engine_mode sb_engine_job_mode(void)
{
    int init = 0;
    MPI_Initialized(&init);
    if (init || getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE")) return SB_ENGINE_MPI;
    if (sb_engine_has_exceptions()) return SB_ENGINE_EXCEPTIONS;
    return SB_ENGINE_FORK;
}

const void *engine_world_comm(void)
{
    int init = 0;
    MPI_Initialized(&init);
    if (!init) MPI_Init(NULL, NULL);
    static MPI_Comm world;
    world = MPI_COMM_WORLD;
    return &world;
}

/* After a command with exceptions enabled: turn a pending LAMMPS error into a status. */
static sb_status check_error(sb_engine *e, sb_error *err)
{
    if (!e->exceptions || !lammps_has_error(e->lmp)) return SB_OK;
    char buf[SB_ERROR_MSG_LEN - 128];
    lammps_get_last_error_message(e->lmp, buf, (int)sizeof buf);
    buf[sizeof buf - 1] = '\0';
    size_t len = strlen(buf);
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' ')) buf[--len] = '\0';
    return sb_error_set(err, SB_ERR_ENGINE, "LAMMPS: %s (command: %.200s)", buf, e->last_cmd);
}

static bool starts_with(const char *s, const char *prefix)
{
    while (*s == ' ' || *s == '\t') s++;
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The job runner may give a buffer shared with the parent process, so that a parent
 * whose child died inside LAMMPS can name the engine call that was running. */
static char *shared_call;
static size_t shared_call_size;

void engine_set_shared_call_buffer(char *buf, size_t size)
{
    shared_call = buf;
    shared_call_size = size;
}

static void note_call(sb_engine *e)
{
    if (shared_call && shared_call_size) snprintf(shared_call, shared_call_size, "%s", e->last_cmd);
}

static sb_status raw_command(sb_engine *e, const char *cmd, sb_error *err)
{
    snprintf(e->last_cmd, sizeof e->last_cmd, "%s", cmd);
    note_call(e);
    lammps_command(e->lmp, cmd);
    sb_status st = check_error(e, err);
    if (st != SB_OK) return st;
    /* Thermo values are current only right after a run or minimize: many commands
     * (write_restart, change_box, fix, ...) re-initialise LAMMPS, which marks every
     * compute stale, and querying one then makes LAMMPS exit. */
    e->thermo_current = starts_with(cmd, "run") || starts_with(cmd, "minimize");
    return SB_OK;
}

sb_status sb_engine_command(sb_engine *e, sb_error *err, const char *fmt, ...)
{
    char cmd[ENGINE_CMD_LEN];
    va_list ap;
    va_start(ap, fmt);
    const int len = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (len < 0 || (size_t)len >= sizeof cmd)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "LAMMPS command too long (%d chars)", len);
    return raw_command(e, cmd, err);
}

const char *sb_engine_last_command(const sb_engine *e)
{
    return e->last_cmd;
}

sb_status sb_engine_pair_style(sb_engine *e, const char *style, sb_error *err)
{
    char opt[64];
    const int len = snprintf(opt, sizeof opt, "%s/opt", style);
    if (len < 0 || (size_t)len >= sizeof opt)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "pair style name '%s' too long", style);
    const char *use = lammps_has_style(e->lmp, "pair", opt) ? opt : style;
    sb_status st = sb_engine_command(e, err, "pair_style %s", use);
    if (!st) snprintf(e->pair_style, sizeof e->pair_style, "%s", use);
    return st;
}

const char *sb_engine_pair_style_used(const sb_engine *e)
{
    return e->pair_style;
}

/* Create the LAMMPS instance of e from its stored options and issue the fixed setup.
 * With append the log is opened in append mode (a reset keeps the earlier segments). */
static sb_status open_instance(sb_engine *e, bool append, sb_error *err)
{
    /* LAMMPS wants char **: give it writable copies. */
    char a_name[] = "shearband", a_nocite[] = "-nocite", a_screen[] = "-screen",
         a_none[] = "none", a_log[] = "-log", a_lognone[] = "none";
    char a_logpath[4096];
    snprintf(a_logpath, sizeof a_logpath, "%s", e->log_path);
    char *args[8];
    int nargs = 0;
    args[nargs++] = a_name;
    args[nargs++] = a_nocite;
    if (!e->screen) {
        args[nargs++] = a_screen;
        args[nargs++] = a_none;
    }
    args[nargs++] = a_log;
    args[nargs++] = (e->log_path[0] && !append) ? a_logpath : a_lognone;
    args[nargs] = NULL;
    if (e->have_comm) e->lmp = lammps_open(nargs, args, e->comm, NULL);
    else e->lmp = lammps_open_no_mpi(nargs, args, NULL);
    if (!e->lmp)
        return sb_error_set(err, SB_ERR_ENGINE, "LAMMPS instance could not be created (log %s)",
                            e->log_path[0] ? e->log_path : "none");
    if (!e->have_comm) e->comm = MPI_COMM_WORLD;
    MPI_Comm_rank(e->comm, &e->rank);
    cached_version = lammps_version(e->lmp);
    e->thermo_current = false;
    e->counting = false;
    sb_status st = SB_OK;
    if (append && e->log_path[0]) st = sb_engine_command(e, err, "log %s append", e->log_path);
    static const char *const setup[] = {
        "units metal", "atom_style atomic", "atom_modify map array", "boundary p p p",
    };
    for (size_t c = 0; c < sizeof setup / sizeof setup[0] && st == SB_OK; c++)
        st = raw_command(e, setup[c], err);
    return st;
}

sb_status sb_engine_open(sb_engine **out, const sb_engine_options *opt, sb_error *err)
{
    *out = NULL;
    sb_engine_options def = sb_engine_options_default();
    if (!opt) opt = &def;
    if (opt->log_path && strlen(opt->log_path) >= sizeof(((sb_engine *)0)->log_path))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "log path too long: %s", opt->log_path);
    sb_engine *e = calloc(1, sizeof *e);
    if (!e) return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate an engine");
    e->exceptions = sb_engine_has_exceptions();
    e->screen = opt->screen;
    if (opt->log_path) snprintf(e->log_path, sizeof e->log_path, "%s", opt->log_path);
    if (opt->mpi_comm) {
        memcpy(&e->comm, opt->mpi_comm, sizeof e->comm);
        e->have_comm = true;
    }
    sb_status st = open_instance(e, false, err);
    if (st != SB_OK) {
        sb_engine_close(e);
        return st;
    }
    *out = e;
    return SB_OK;
}

sb_status sb_engine_reset(sb_engine *e, sb_error *err)
{
    if (e->lmp) lammps_close(e->lmp);
    e->lmp = NULL;
    e->force_evals = 0;
    return open_instance(e, true, err);
}

static void lbfgs_free(engine_lbfgs *lb)
{
    if (!lb) return;
    free(lb->g);
    free(lb->gp);
    free(lb->q);
    free(lb->s);
    free(lb->y);
    free(lb);
}

void sb_engine_close(sb_engine *e)
{
    if (!e) return;
    if (e->lmp) lammps_close(e->lmp);
    lbfgs_free(e->lbfgs);
    free(e);
}

void sb_engine_finalize_mpi(void)
{
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    if (init && !fin) lammps_mpi_finalize();
}

size_t sb_engine_natoms(const sb_engine *e)
{
    return (size_t)llround(lammps_get_natoms(e->lmp));
}

int64_t sb_engine_timestep(const sb_engine *e)
{
    const void *p = lammps_extract_global(e->lmp, "ntimestep");
    return p ? *(const int64_t *)p : -1;
}

int sb_engine_rank(const sb_engine *e)
{
    return e->rank;
}

sb_status sb_engine_load_structure(sb_engine *e, const sb_structure *s, bool triclinic,
                                   sb_error *err)
{
    if (s->n == 0) return sb_error_set(err, SB_ERR_INVALID_ARG, "cannot load an empty structure");
    if (s->n > (size_t)INT32_MAX)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "%zu atoms exceed LAMMPS smallbig ids", s->n);
    if (s->ntypes < 1 || s->ntypes > ENGINE_MAX_TYPES)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "%d atom types (1..%d supported)", s->ntypes,
                            ENGINE_MAX_TYPES);
    for (int t = 0; t < s->ntypes; t++)
        if (!(s->mass[t] > 0.0) || !isfinite(s->mass[t]))
            return sb_error_set(err, SB_ERR_INVALID_ARG, "atom type %d has no valid mass", t + 1);
    for (size_t i = 0; i < s->n; i++) {
        if (s->type[i] < 1 || s->type[i] > s->ntypes)
            return sb_error_set(err, SB_ERR_INVALID_ARG, "atom %zu has type %d of %d", i,
                                s->type[i], s->ntypes);
        for (int k = 0; k < 3; k++)
            if (!isfinite(s->x[3 * i + k]))
                return sb_error_set(err, SB_ERR_NUMERIC, "atom %zu has a non-finite position", i);
    }
    const sb_cell *c = &s->cell;
    const bool tri = triclinic || sb_cell_is_triclinic(c);
    sb_status st;
    if (tri)
        st = sb_engine_command(e, err, "region sb_box prism %.17g %.17g %.17g %.17g %.17g %.17g "
                               "%.17g %.17g %.17g units box",
                               c->lo[0], c->hi[0], c->lo[1], c->hi[1], c->lo[2], c->hi[2], c->xy,
                               c->xz, c->yz);
    else
        st = sb_engine_command(e, err, "region sb_box block %.17g %.17g %.17g %.17g %.17g %.17g "
                               "units box",
                               c->lo[0], c->hi[0], c->lo[1], c->hi[1], c->lo[2], c->hi[2]);
    if (st == SB_OK) st = sb_engine_command(e, err, "create_box %d sb_box", s->ntypes);
    for (int t = 0; t < s->ntypes && st == SB_OK; t++)
        st = sb_engine_command(e, err, "mass %d %.17g", t + 1, s->mass[t]);
    if (st != SB_OK) return st;
    /* Exact box, whatever the text formatting did. */
    st = sb_engine_set_cell(e, c, err);
    if (st != SB_OK) return st;

    const int n = (int)s->n;
    int *ids = malloc((size_t)n * sizeof *ids);
    int *img = malloc((size_t)n * sizeof *img);
    if (!ids || !img) {
        free(ids);
        free(img);
        return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate %d atom ids", n);
    }
    for (int i = 0; i < n; i++) {
        ids[i] = i + 1;
        img[i] = s->image ? lammps_encode_image_flags(s->image[3 * i], s->image[3 * i + 1],
                                                      s->image[3 * i + 2])
                          : lammps_encode_image_flags(0, 0, 0);
    }
    snprintf(e->last_cmd, sizeof e->last_cmd, "lammps_create_atoms(%d atoms)", n);
    note_call(e);
    /* Every rank passes all atoms; LAMMPS keeps those inside its subdomain. */
    const int created = lammps_create_atoms(e->lmp, n, ids, s->type, s->x, NULL, img, 1);
    free(ids);
    free(img);
    st = check_error(e, err);
    if (st != SB_OK) return st;
    /* lammps_create_atoms returns the number created on all ranks (natoms after minus
     * before), the same on every rank: no reduction. */
    const int total = created;
    if ((size_t)total != s->n || sb_engine_natoms(e) != s->n)
        return sb_error_set(err, SB_ERR_ENGINE,
                            "LAMMPS created %d of %zu atoms (atoms outside the cell?)", total, s->n);
    e->ntypes = s->ntypes;
    for (int t = 0; t < s->ntypes; t++)
        snprintf(e->type_name[t], SB_ELEMENT_LEN, "%s", s->type_name ? s->type_name[t] : "");
    e->thermo_current = false;
    st = sb_engine_command(e, err, "thermo_style custom %s", SB_ENGINE_THERMO_KEYWORDS);
    if (st == SB_OK) st = sb_engine_command(e, err, "thermo_modify norm no lost error");
    return st;
}

sb_status engine_check_potential(const char *potential, const char *pair_style, const sb_structure *glass,
                                 sb_error *err)
{
    if (!potential || access(potential, R_OK) != 0)
        return sb_error_set(err, SB_ERR_IO, "--potential %s: cannot read the file: %s",
                            potential ? potential : "(none)", strerror(errno));
    if (!pair_style || (strcmp(pair_style, "eam/fs") && strcmp(pair_style, "eam/alloy")))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "pair style '%s': use eam/fs or eam/alloy",
                            pair_style ? pair_style : "(none)");
    for (int t = 0; glass && t < glass->ntypes; t++)
        if (!glass->type_name || !glass->type_name[t][0] || !(glass->mass[t] > 0))
            return sb_error_set(err, SB_ERR_INVALID_ARG,
                                "atom type %d of the glass has no element name or mass (the "
                                "potential needs element names)", t + 1);
    return SB_OK;
}

sb_status engine_set_type_names(sb_engine *e, int ntypes, const char *const *names)
{
    if (ntypes < 1 || ntypes > ENGINE_MAX_TYPES) return SB_ERR_INVALID_ARG;
    e->ntypes = ntypes;
    for (int t = 0; t < ntypes; t++) snprintf(e->type_name[t], SB_ELEMENT_LEN, "%s", names[t]);
    return SB_OK;
}

static sb_status check_ids(sb_engine *e, size_t *n, sb_error *err)
{
    *n = sb_engine_natoms(e);
    if (*n == 0) return sb_error_set(err, SB_ERR_INVALID_ARG, "the LAMMPS instance has no atoms");
    const void *mx = lammps_extract_global(e->lmp, "map_tag_max");
    if (mx && (size_t)*(const int *)mx != *n)
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "LAMMPS atom ids are not 1..%zu (largest %d): cannot gather by id", *n,
                            *(const int *)mx);
    return SB_OK;
}

sb_status sb_engine_gather_x(sb_engine *e, double *x, int *image, sb_error *err)
{
    size_t n;
    sb_status st = check_ids(e, &n, err);
    if (st != SB_OK) return st;
    snprintf(e->last_cmd, sizeof e->last_cmd, "lammps_gather_atoms(x)");
    note_call(e);
    lammps_gather_atoms(e->lmp, name_x, 1, 3, x);
    if (image) {
        int *packed = malloc(n * sizeof *packed);
        if (!packed) return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate image flags");
        lammps_gather_atoms(e->lmp, name_image, 0, 1, packed);
        for (size_t i = 0; i < n; i++) lammps_decode_image_flags(packed[i], image + 3 * i);
        free(packed);
    }
    return check_error(e, err);
}

sb_status sb_engine_scatter_x(sb_engine *e, const double *x, sb_error *err)
{
    size_t n;
    sb_status st = check_ids(e, &n, err);
    if (st != SB_OK) return st;
    snprintf(e->last_cmd, sizeof e->last_cmd, "lammps_scatter_atoms(x)");
    note_call(e);
    union {
        const double *in;
        void *out;
    } data = {.in = x}; /* LAMMPS only reads it */
    lammps_scatter_atoms(e->lmp, name_x, 1, 3, data.out);
    e->thermo_current = false;
    return check_error(e, err);
}

sb_status sb_engine_get_cell(sb_engine *e, sb_cell *cell, sb_error *err)
{
    double lo[3], hi[3], xy, yz, xz;
    int periodic[3], box_change;
    lammps_extract_box(e->lmp, lo, hi, &xy, &yz, &xz, periodic, &box_change);
    return sb_cell_set(cell, lo, hi, xy, xz, yz, err);
}

sb_status sb_engine_set_cell(sb_engine *e, const sb_cell *cell, sb_error *err)
{
    double lo[3], hi[3];
    memcpy(lo, cell->lo, sizeof lo);
    memcpy(hi, cell->hi, sizeof hi);
    snprintf(e->last_cmd, sizeof e->last_cmd, "lammps_reset_box");
    note_call(e);
    lammps_reset_box(e->lmp, lo, hi, cell->xy, cell->yz, cell->xz);
    e->thermo_current = false;
    return check_error(e, err);
}

sb_status sb_engine_get_structure(sb_engine *e, sb_structure *out, sb_error *err)
{
    size_t n;
    sb_status st = check_ids(e, &n, err);
    if (st != SB_OK) return st;
    const int ntypes = lammps_extract_setting(e->lmp, "ntypes");
    st = sb_structure_alloc(out, n, ntypes, err);
    if (st == SB_OK) st = sb_structure_ensure_images(out, err);
    if (st == SB_OK) st = sb_engine_gather_x(e, out->x, out->image, err);
    if (st == SB_OK) st = sb_engine_get_cell(e, &out->cell, err);
    if (st != SB_OK) {
        sb_structure_free(out);
        return st;
    }
    lammps_gather_atoms(e->lmp, name_type, 0, 1, out->type);
    const double *mass = lammps_extract_atom(e->lmp, "mass");
    for (int t = 0; t < ntypes; t++) {
        out->mass[t] = mass ? mass[t + 1] : NAN;
        if (t < e->ntypes) snprintf(out->type_name[t], SB_ELEMENT_LEN, "%s", e->type_name[t]);
    }
    out->timestep = sb_engine_timestep(e);
    return check_error(e, err);
}

sb_status sb_engine_thermo(sb_engine *e, const char *keyword, double *value, sb_error *err)
{
    /* Whole-word match against the fixed thermo_style. */
    const char *list = SB_ENGINE_THERMO_KEYWORDS;
    const size_t klen = strlen(keyword);
    bool found = false;
    for (const char *p = list; *p && !found;) {
        const char *end = strchr(p, ' ');
        const size_t len = end ? (size_t)(end - p) : strlen(p);
        found = len == klen && strncmp(p, keyword, len) == 0;
        p = end ? end + 1 : p + len;
    }
    if (!found)
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "thermo keyword '%s' is not one of \"%s\"", keyword, list);
    if (!e->thermo_current)
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "thermo keyword '%s' is not current: run or minimize first", keyword);
    snprintf(e->last_cmd, sizeof e->last_cmd, "lammps_get_thermo(%s)", keyword);
    note_call(e);
    *value = lammps_get_thermo(e->lmp, keyword);
    return check_error(e, err);
}

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* One L-BFGS iteration, called with the forces f of the positions x that LAMMPS has just
 * evaluated: test convergence, store the last (s, y) pair, move the atoms by the next step.
 * Serial only (sb_engine_minimize_lbfgs checks): nlocal = N, tag = ids 1..N. */
static void lbfgs_iterate(engine_lbfgs *lb, int nlocal, const int *tag, double **x, double **f)
{
    const size_t n3 = lb->n3;
    for (int i = 0; i < nlocal; i++)
        for (int c = 0; c < 3; c++) lb->g[3 * (size_t)(tag[i] - 1) + c] = -f[i][c];
    lb->fnorm = sqrt(dot(lb->g, lb->g, n3));
    if (lb->fnorm < lb->ftol) {
        lb->converged = true;
        return;
    }
    if (!isfinite(lb->fnorm)) { /* no step can be taken from non-finite forces */
        lb->stalled = true;
        return;
    }
    if (lb->fnorm < lb->best) {
        lb->best = lb->fnorm;
        lb->best_iteration = lb->iterations;
    } else if (lb->iterations - lb->best_iteration > LBFGS_STALL) {
        lb->stalled = true;
        return;
    }
    if (lb->have_prev) {
        /* The step just taken sits in slot head; keep it only with positive curvature. */
        double *s = lb->s + (size_t)lb->head * n3, *y = lb->y + (size_t)lb->head * n3;
        for (size_t i = 0; i < n3; i++) y[i] = lb->g[i] - lb->gp[i];
        const double sy = dot(s, y, n3);
        if (sy > 0.0) {
            lb->rho[lb->head] = 1.0 / sy;
            lb->head = (lb->head + 1) % LBFGS_MEMORY;
            if (lb->mem < LBFGS_MEMORY) lb->mem++;
        }
    }
    /* q = -H g by the two-loop recursion, H0 = (s.y / y.y) I from the newest pair. */
    double *q = lb->q;
    memcpy(q, lb->g, n3 * sizeof *q);
    for (int t = 0; t < lb->mem; t++) {
        const int j = (lb->head - 1 - t + 2 * LBFGS_MEMORY) % LBFGS_MEMORY;
        const double *s = lb->s + (size_t)j * n3, *y = lb->y + (size_t)j * n3;
        lb->alpha[j] = lb->rho[j] * dot(s, q, n3);
        for (size_t i = 0; i < n3; i++) q[i] -= lb->alpha[j] * y[i];
    }
    double h0 = 1.0 / lbfgs_curvature0;
    if (lb->mem > 0) {
        const int j = (lb->head - 1 + LBFGS_MEMORY) % LBFGS_MEMORY;
        const double *y = lb->y + (size_t)j * n3;
        h0 = 1.0 / (lb->rho[j] * dot(y, y, n3));
    }
    for (size_t i = 0; i < n3; i++) q[i] *= h0;
    for (int t = lb->mem - 1; t >= 0; t--) {
        const int j = (lb->head - 1 - t + 2 * LBFGS_MEMORY) % LBFGS_MEMORY;
        const double *s = lb->s + (size_t)j * n3, *y = lb->y + (size_t)j * n3;
        const double b = lb->rho[j] * dot(y, q, n3);
        for (size_t i = 0; i < n3; i++) q[i] += (lb->alpha[j] - b) * s[i];
    }
    for (size_t i = 0; i < n3; i++) q[i] = -q[i];
    if (dot(q, lb->g, n3) >= 0.0) { /* round-off made it uphill: forget, steepest descent */
        lb->mem = 0;
        for (size_t i = 0; i < n3; i++) q[i] = -lb->g[i] / lbfgs_curvature0;
    }
    double longest2 = 0.0;
    for (size_t a = 0; a < n3; a += 3) {
        const double l2 = q[a] * q[a] + q[a + 1] * q[a + 1] + q[a + 2] * q[a + 2];
        if (l2 > longest2) longest2 = l2;
    }
    const double scale =
        longest2 > lbfgs_maxstep * lbfgs_maxstep ? lbfgs_maxstep / sqrt(longest2) : 1.0;
    double *s = lb->s + (size_t)lb->head * n3;
    for (size_t i = 0; i < n3; i++) s[i] = scale * q[i];
    for (int i = 0; i < nlocal; i++)
        for (int c = 0; c < 3; c++) x[i][c] += s[3 * (size_t)(tag[i] - 1) + c];
    memcpy(lb->gp, lb->g, n3 * sizeof *lb->gp);
    lb->have_prev = true;
    lb->iterations++;
}

/* fix external callback: zero the external force, count the evaluation, and when the L-BFGS
 * minimiser is running, take its next step. */
static void count_callback(void *ptr, int64_t step, int nlocal, int *tag, double **x,
                           double **fext)
{
    (void)step;
    sb_engine *e = ptr;
    for (int i = 0; i < nlocal; i++) fext[i][0] = fext[i][1] = fext[i][2] = 0.0;
    e->force_evals++;
    engine_lbfgs *lb = e->lbfgs;
    if (lb && lb->active && !lb->converged && !lb->stalled) {
        double **f = lammps_extract_atom(e->lmp, "f");
        lbfgs_iterate(lb, nlocal, tag, x, f);
    }
}

sb_status sb_engine_count_forces(sb_engine *e, sb_error *err)
{
    if (e->counting) return SB_OK;
    sb_status st = sb_engine_command(e, err, "fix sb_count all external pf/callback 1 1");
    if (st != SB_OK) return st;
    lammps_set_fix_external_callback(e->lmp, "sb_count", count_callback, e);
    e->counting = true;
    e->force_evals = 0;
    return check_error(e, err);
}

uint64_t sb_engine_force_evals(const sb_engine *e)
{
    return e->force_evals;
}

sb_status sb_engine_minimize_lbfgs(sb_engine *e, double ftol, int64_t maxiter, int64_t maxeval,
                                   sb_engine_min_result *res, sb_error *err)
{
    memset(res, 0, sizeof *res);
    int size = 1;
    MPI_Comm_size(e->comm, &size);
    if (size > 1)
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "the L-BFGS minimiser runs on one MPI rank per replica (%d here): "
                            "use cg, or --ranks-per-run 1", size);
    if (!(ftol > 0.0) || maxiter < 1 || maxeval < 1)
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "L-BFGS needs ftol > 0, maxiter >= 1 and maxeval >= 1");
    sb_status st = sb_engine_count_forces(e, err);
    if (st != SB_OK) return st;
    const size_t n3 = 3 * (size_t)sb_engine_natoms(e);
    engine_lbfgs *lb = e->lbfgs;
    if (lb && lb->n3 != n3) {
        lbfgs_free(lb);
        lb = e->lbfgs = NULL;
    }
    if (!lb) {
        lb = calloc(1, sizeof *lb);
        if (lb) {
            lb->n3 = n3;
            lb->g = malloc(n3 * sizeof *lb->g);
            lb->gp = malloc(n3 * sizeof *lb->gp);
            lb->q = malloc(n3 * sizeof *lb->q);
            lb->s = malloc(LBFGS_MEMORY * n3 * sizeof *lb->s);
            lb->y = malloc(LBFGS_MEMORY * n3 * sizeof *lb->y);
        }
        if (!lb || !lb->g || !lb->gp || !lb->q || !lb->s || !lb->y) {
            lbfgs_free(lb);
            return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate the L-BFGS history (%zu doubles)",
                                (2 * LBFGS_MEMORY + 3) * n3);
        }
        e->lbfgs = lb;
    }
    /* Every minimisation starts afresh: the history of the previous strain step describes
     * another box. */
    lb->ftol = ftol;
    lb->mem = lb->head = 0;
    lb->have_prev = lb->converged = lb->stalled = false;
    lb->iterations = 0;
    lb->fnorm = lb->best = INFINITY;
    lb->best_iteration = 0;
    lb->active = true;
    const uint64_t f0 = e->force_evals;
    bool first = true;
    /* The chunks' run headers and thermo blocks would make the log ~10x a CG run's: it is
     * paused during them and gets one summary line per minimisation instead. */
    if (e->log_path[0]) st = sb_engine_command(e, err, "log none");
    /* Short runs: LAMMPS evaluates and calls back at each step; the callback moves the atoms.
     * After convergence the rest of the last chunk evaluates the same positions again
     * (counted: the evaluations reported are all that LAMMPS made). */
    while (st == SB_OK && !lb->converged && !lb->stalled && lb->iterations < maxiter &&
           e->force_evals - f0 < (uint64_t)maxeval) {
        st = sb_engine_command(e, err, "run %d pre %s post no", LBFGS_CHUNK, first ? "yes" : "no");
        first = false;
    }
    lb->active = false;
    if (e->log_path[0]) {
        sb_error ignored;
        const sb_status sl = sb_engine_command(e, st == SB_OK ? err : &ignored, "log %s append", e->log_path);
        if (st == SB_OK) st = sl;
        if (st == SB_OK)
            st = sb_engine_command(e, err, "print \"L-BFGS: %lld iterations, %llu force evaluations, "
                                   "force norm %.3e eV/A (%s)\"", (long long)lb->iterations,
                                   (unsigned long long)(e->force_evals - f0), lb->fnorm,
                                   lb->converged ? "converged" : lb->stalled ? "stalled" : "limit");
    }
    if (st == SB_OK && !isfinite(lb->fnorm))
        return sb_error_set(err, SB_ERR_NUMERIC, "L-BFGS: non-finite forces after %lld iterations",
                            (long long)lb->iterations);
    /* Thermo (stress, energy) of the final positions. */
    if (st == SB_OK) st = sb_engine_command(e, err, "run 0 post no");
    res->iterations = lb->iterations;
    res->force_evals = e->force_evals - f0;
    res->fnorm = lb->fnorm;
    res->converged = lb->converged;
    return st;
}
