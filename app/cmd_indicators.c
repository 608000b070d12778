/* shearband indicators GLASS --orientation K|all: every available structural indicator per
 * atom, and what each predicts (band location, Delta) for the loading orientation(s).
 * Library: voronoi.h, vibration.h + vflex.h, indicator_model.h, indicator.h, orientation.h. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "shearband/fileutil.h"
#include "shearband/indicator.h"
#include "shearband/indicator_model.h"
#include "shearband/io.h"
#include "shearband/json.h"
#include "shearband/orientation.h"
#include "shearband/version.h"
#include "shearband/vflex.h"
#include "shearband/vibration.h"
#include "shearband/voronoi.h"

static const char usage[] =
    "usage: shearband indicators GLASS --orientation K|all [options]\n\n"
    "Per-atom structural indicators of an undeformed glass (orthogonal cell, element names\n"
    "in its Masses), and the shear band each one predicts under loading orientation K (0..23,\n"
    "or all 24). Orientation-independent quantities are computed once:\n"
    "  voronoi_volume (A^3), voronoi_index (n3 n4 n5 n6), mean_neighbor_distance (A),\n"
    "  ffb (five-fold bond fraction), rho (1 / Voronoi volume, A^-3),\n"
    "  msd (A^2) and vflex = volume * msd / a^2 (A^3, flexibility volume; the MSD comes from\n"
    "  an isoconfigurational ensemble of short NVT runs, cached in --vflex-dir and reused),\n"
    "  svm (softness; only with --svm-model), and per orientation cnn, gnn (only with a model).\n"
    "For every indicator and orientation: the slab profiles along the loading X and Y (DFS,\n"
    "the fraction of fertile atoms, for vflex/cnn/gnn/svm; the slab mean for ffb and rho),\n"
    "the predicted band (best slab over both axes: highest DFS, or LOWEST mean for ffb/rho)\n"
    "and Delta = max - min over both profiles.\n\n"
    "Writes OUT (extended XYZ for OVITO/ASE, or a LAMMPS dump if OUT ends in .dump),\n"
    "OUT_STEM_profiles.csv (orientation,indicator,axis,centre_A,signed_position_A,value,atoms)\n"
    "and OUT_STEM.json (predictions, parameters, provenance).\n\n"
    "  -k, --orientation K|all   loading orientation 0..23, or all (required)\n"
    "  -o, --output OUT          per-atom output (default indicators.extxyz)\n"
    "      --dump FILE           also write the per-atom columns as a LAMMPS dump\n"
    "      --only NAME,...       only these indicators (ffb, rho, vflex, svm, cnn, gnn)\n"
    "  -w, --width W             slab width, A (19)\n"
    "  -s, --step S              slab centre spacing, A (1)\n"
    "flexibility volume (MSD ensemble):\n"
    "      --vflex-dir DIR       run/cache directory (default OUT_STEM_vflex)\n"
    "      --temperature T       K (300)\n"
    "      --runs M              isoconfigurational runs (8)\n"
    "      --equilibration PS    NVT before sampling (1)\n"
    "      --sampling PS         sampling window (4)\n"
    "      --sample-every PS     sample interval (0.05)\n"
    "      --timestep PS         (0.002)\n"
    "      --seed S              ensemble seed (1)\n"
    "      --potential FILE      EAM file (/usr/share/lammps/potentials/CuZr_mm.eam.fs)\n"
    "      --pair-style STYLE    eam/fs or eam/alloy\n"
    "learned indicators (columns only when a model is given):\n"
    "      --svm-model FILE  --gnn-model FILE\n"
    "  -m, --model FILE, --cnn-model FILE   the CNN (as in predict and survey)\n"
    "  -v, --verbose             LAMMPS screen output\n"
    "  -h, --help                this text\n";

enum { IND_MAX = 8, IND_PATH = 4096 };

typedef struct ind_state {
    /* options */
    const char *glass_path, *output, *dump, *vflex_dir;
    const char *model[IND_MAX]; /* by indicator table index */
    bool wanted[IND_MAX];
    int korient; /* -1 = all */
    double width, step;
    sb_vibration_options vib;
    sb_voronoi_params vp;
    /* data */
    const sb_indicator_info *table;
    size_t ntable;
    sb_structure glass;
    sb_voronoi_atom *vor;
    double *value[IND_MAX]; /* orientation-independent values (NULL if none or per K) */
    sb_vibration_result vres;
    char stem[IND_PATH - 64], csv[IND_PATH], json[IND_PATH], vdir[IND_PATH];
} ind_state;

static int table_index(const ind_state *s, const char *name)
{
    for (size_t k = 0; k < s->ntable; k++)
        if (!strcmp(s->table[k].name, name)) return (int)k;
    return -1;
}

static bool is_learned(const char *name)
{
    return !strcmp(name, "cnn") || !strcmp(name, "gnn") || !strcmp(name, "svm");
}

/* OUT without its extension (after the last slash). */
static void path_stem(const char *path, char *stem, size_t sz)
{
    snprintf(stem, sz, "%s", path);
    char *dot = strrchr(stem, '.'), *slash = strrchr(stem, '/');
    if (dot && (!slash || dot > slash) && dot != stem && (!slash || dot > slash + 1)) *dot = '\0';
}

static sb_status parse_only(ind_state *s, const char *list, sb_error *err)
{
    for (size_t k = 0; k < s->ntable; k++) s->wanted[k] = false;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        const int k = table_index(s, tok);
        if (k < 0)
            return sb_error_set(err, SB_ERR_INVALID_ARG, "--only: unknown indicator '%s' (ffb, rho, vflex, "
                                "svm, cnn, gnn)", tok);
        s->wanted[k] = true;
    }
    return SB_OK;
}

/* ---- per-atom columns ------------------------------------------------------------------ */

static sb_status add_column(sb_structure *out, const char *name, const double *v, sb_error *err)
{
    double *d = NULL;
    sb_status st = sb_structure_add_property(out, name, 1, &d, err);
    if (st == SB_OK) memcpy(d, v, out->n * sizeof *d);
    return st;
}

static sb_status voronoi_columns(const ind_state *s, sb_structure *out, sb_error *err)
{
    const size_t n = out->n;
    double *vol = NULL, *idx = NULL, *a = NULL;
    sb_status st = sb_structure_add_property(out, "voronoi_volume", 1, &vol, err);
    if (!st) st = sb_structure_add_property(out, "voronoi_index", 4, &idx, err);
    if (!st) st = sb_structure_add_property(out, "mean_neighbor_distance", 1, &a, err);
    if (st) return st;
    for (size_t i = 0; i < n; i++) {
        vol[i] = s->vor[i].volume;
        for (int k = 0; k < 4; k++) idx[4 * i + k] = s->vor[i].index[k]; /* n3..n6 */
        a[i] = s->vor[i].mean_neighbor_distance;
    }
    return SB_OK;
}

/* ---- outputs ---------------------------------------------------------------------------- */

typedef struct ind_prediction {
    bool have;
    sb_prediction pred;
} ind_prediction;

static void json_parameters(sb_json *j, const ind_state *s)
{
    sb_json_object(j, "parameters");
    sb_json_num(j, "slab_width_A", s->width);
    sb_json_num(j, "slab_step_A", s->step);
    sb_json_object(j, "voronoi");
    sb_json_bool(j, "radical", s->vp.radical);
    sb_json_num(j, "face_area_fraction", s->vp.face_area_fraction);
    sb_json_num(j, "edge_length_min_A", s->vp.edge_length_min);
    sb_json_end(j);
    const int kv = table_index(s, "vflex");
    if (kv >= 0 && s->wanted[kv]) {
        const sb_vibration_options *o = &s->vib;
        sb_json_object(j, "vflex");
        sb_json_str(j, "definition", "v_flex = voronoi_volume * msd / mean_neighbor_distance^2 (Ding et al. 2016)");
        sb_json_str(j, "run_dir", s->vdir);
        sb_json_num(j, "temperature_K", o->temperature);
        sb_json_int(j, "runs", o->runs);
        sb_json_num(j, "equilibration_ps", o->equilibration);
        sb_json_num(j, "sampling_ps", o->sampling);
        sb_json_num(j, "sample_every_ps", o->sample_every);
        sb_json_num(j, "timestep_ps", o->timestep);
        sb_json_num(j, "tdamp_ps", o->tdamp);
        sb_json_int(j, "seed", (int64_t)o->seed);
        sb_json_array(j, "velocity_seeds");
        for (int k = 0; k < s->vres.runs; k++) sb_json_int(j, NULL, (int64_t)s->vres.run_seed[k]);
        sb_json_end(j);
        sb_json_str(j, "potential", o->potential);
        sb_json_str(j, "pair_style", o->pair_style);
        sb_json_str(j, "lammps_version", s->vres.lammps_version);
        sb_json_num(j, "mean_msd_A2", s->vres.mean_msd);
        sb_json_int(j, "runs_computed", s->vres.runs_computed);
        sb_json_int(j, "runs_reused", s->vres.runs_reused);
        sb_json_end(j);
    }
    sb_json_object(j, "models");
    for (size_t k = 0; k < s->ntable; k++)
        if (s->model[k]) sb_json_str(j, s->table[k].name, s->model[k]);
    sb_json_end(j);
    sb_json_end(j);
}

static sb_status write_json(const ind_state *s, int argc, char **argv, const ind_prediction *pred,
                            int k0, int k1, sb_error *err)
{
    sb_atomic_file af;
    sb_status st = sb_atomic_open(&af, s->json, err);
    if (st != SB_OK) return st;
    sb_json j;
    sb_json_start(&j, af.fp);
    sb_json_object(&j, NULL);
    sb_json_provenance(&j, argc, argv);
    sb_json_str(&j, "command", "indicators");
    sb_json_str(&j, "glass", s->glass_path);
    sb_json_int(&j, "atoms", (int64_t)s->glass.n);
    sb_json_str(&j, "per_atom_output", s->output);
    if (s->dump) sb_json_str(&j, "dump", s->dump);
    sb_json_str(&j, "profiles", s->csv);
    json_parameters(&j, s);
    sb_json_array(&j, "indicators");
    for (size_t k = 0; k < s->ntable; k++) {
        if (!s->wanted[k]) continue;
        const sb_indicator_info *in = &s->table[k];
        sb_json_object(&j, NULL);
        sb_json_str(&j, "name", in->name);
        sb_json_str(&j, "description", in->description);
        sb_json_str(&j, "profile", in->rule == SB_PROFILE_SLAB_MEAN ? "slab mean" : "DFS (fraction fertile)");
        if (in->rule == SB_FERTILE_ABOVE) sb_json_num(&j, "fertile_above", in->parameter);
        if (in->rule == SB_FERTILE_TOP_FRACTION) sb_json_num(&j, "fertile_top_fraction", in->parameter);
        sb_json_str(&j, "favours_band", in->sense == SB_HIGHER_FAVOURS_BAND ? "higher" : "lower");
        sb_json_bool(&j, "orientation_dependent", in->orientation_dependent);
        sb_json_end(&j);
    }
    sb_json_end(&j);
    sb_json_array(&j, "orientations");
    for (int K = k0; K <= k1; K++) {
        sb_orientation o;
        sb_orientation_get(K, &o, NULL);
        char ax[3][4];
        for (int a = 0; a < 3; a++) sb_orientation_axis_name(&o, a, ax[a]);
        sb_json_object(&j, NULL);
        sb_json_int(&j, "orientation", K);
        sb_json_str(&j, "X_shear_direction", ax[0]);
        sb_json_str(&j, "Y_plane_normal", ax[1]);
        sb_json_str(&j, "Z", ax[2]);
        sb_json_object(&j, "predictions");
        for (size_t k = 0; k < s->ntable; k++) {
            const ind_prediction *p = &pred[(size_t)(K - k0) * s->ntable + k];
            if (!p->have) continue;
            sb_json_object(&j, s->table[k].name);
            sb_json_str(&j, "profile_axis", p->pred.axis == 0 ? "X" : "Y");
            sb_json_str(&j, "band", p->pred.axis == 0 ? "vertical" : "horizontal");
            sb_json_num(&j, "centre_A", p->pred.centre);
            sb_json_num(&j, "signed_position_A", p->pred.signed_position);
            sb_json_num(&j, "value_at_band", p->pred.best);
            sb_json_num(&j, "delta", p->pred.delta);
            sb_json_end(&j);
        }
        sb_json_end(&j);
        sb_json_end(&j);
    }
    sb_json_end(&j);
    sb_json_finish(&j);
    return sb_atomic_commit(&af, err);
}

/* ---- the pipeline ----------------------------------------------------------------------- */

static sb_status run(ind_state *s, int argc, char **argv, sb_error *err)
{
    sb_status st = sb_read_structure(s->glass_path, &s->glass, err);
    if (st != SB_OK) return st;
    const size_t n = s->glass.n;
    if (sb_cell_is_triclinic(&s->glass.cell))
        return sb_error_set(err, SB_ERR_GEOMETRY, "%s: the glass must have an orthogonal cell (loading "
                            "orientations rotate the cube)", s->glass_path);
    /* Learned indicators: refuse up front, before any long computation. */
    for (size_t k = 0; k < s->ntable; k++)
        if (s->wanted[k] && is_learned(s->table[k].name) && !sb_indicator_model_available(s->table[k].name))
            return sb_indicator_model_apply(s->table[k].name, s->model[k], &s->glass, NULL, err);
    const int kv = table_index(s, "vflex");
    if (s->wanted[kv]) {
        s->vib.run_dir = s->vdir;
        if ((st = sb_vibration_validate(&s->glass, &s->vib, err))) return st;
    }

    s->vor = malloc(n * sizeof *s->vor);
    if (!s->vor) return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate Voronoi records");
    if ((st = sb_voronoi_compute(&s->glass, &s->vp, s->vor, err))) return st;

    sb_structure out = SB_STRUCTURE_INIT;
    if ((st = sb_structure_copy(&out, &s->glass, err))) return st;
    for (int p = out.nprop - 1; p >= 0; p--) free(out.prop[p].data); /* keep only our columns */
    free(out.prop);
    out.prop = NULL;
    out.nprop = 0;
    if ((st = voronoi_columns(s, &out, err))) goto done;

    for (size_t k = 0; k < s->ntable && st == SB_OK; k++) {
        if (!s->wanted[k] || s->table[k].orientation_dependent) continue;
        const char *name = s->table[k].name;
        if (!(s->value[k] = malloc(n * sizeof(double)))) {
            st = sb_error_set(err, SB_ERR_NOMEM, "cannot allocate indicator %s", name);
            break;
        }
        if (!strcmp(name, "ffb") || !strcmp(name, "rho")) {
            for (size_t i = 0; i < n; i++) s->value[k][i] = name[0] == 'f' ? s->vor[i].ffb : s->vor[i].rho;
        } else if (!strcmp(name, "vflex")) {
            if ((st = sb_vibration_msd(&s->glass, &s->vib, &s->vres, err))) break;
            if ((st = add_column(&out, "msd", s->vres.msd, err))) break;
            st = sb_vflex_compute(s->vor, s->vres.msd, n, s->value[k], err);
        } else {
            st = sb_indicator_model_apply(name, s->model[k], &s->glass, s->value[k], err);
        }
        if (st == SB_OK) st = add_column(&out, name, s->value[k], err);
        if (st == SB_OK && s->table[k].rule == SB_FERTILE_TOP_FRACTION) {
            /* The fertile flag as a column too (for OVITO colouring). */
            unsigned char *flag = malloc(n);
            double *f = NULL;
            char col[SB_NAME_LEN];
            snprintf(col, sizeof col, "%s_fertile", name);
            if (!flag) st = sb_error_set(err, SB_ERR_NOMEM, "cannot allocate fertile flags");
            if (!st) st = sb_indicator_fertile(&s->table[k], s->value[k], s->glass.id, n, flag, err);
            if (!st) st = sb_structure_add_property(&out, col, 1, &f, err);
            for (size_t i = 0; !st && i < n; i++) f[i] = flag[i];
            free(flag);
        }
    }
    if (st) goto done;

    /* Profiles and predictions per orientation. */
    const int k0 = s->korient < 0 ? 0 : s->korient, k1 = s->korient < 0 ? SB_NUM_ORIENTATIONS - 1 : s->korient;
    const size_t norient = (size_t)(k1 - k0 + 1);
    ind_prediction *pred = calloc(norient * s->ntable, sizeof *pred);
    double *perk = malloc(n * sizeof *perk);
    sb_structure rot = SB_STRUCTURE_INIT;
    sb_atomic_file af;
    bool csv_open = false;
    if (!pred || !perk) st = sb_error_set(err, SB_ERR_NOMEM, "cannot allocate predictions");
    if (!st && !(st = sb_atomic_open(&af, s->csv, err))) {
        csv_open = true;
        fprintf(af.fp, "# shearband %s (commit %s): indicator slab profiles along the loading X and Y\n",
                sb_version(), sb_git_commit());
        fprintf(af.fp, "# glass %s; slab width %g A, step %g A; provenance in %s\n", s->glass_path, s->width,
                s->step, s->json);
        fprintf(af.fp, "orientation,indicator,axis,centre_A,signed_position_A,value,atoms\n");
    }
    for (int K = k0; K <= k1 && st == SB_OK; K++) {
        sb_orientation o;
        if ((st = sb_orientation_get(K, &o, err))) break;
        if ((st = sb_orientation_apply(&o, &s->glass, &rot, err))) break;
        for (size_t k = 0; k < s->ntable && st == SB_OK; k++) {
            if (!s->wanted[k]) continue;
            const sb_indicator_info *in = &s->table[k];
            const double *v = s->value[k];
            if (in->orientation_dependent) {
                if ((st = sb_indicator_model_apply(in->name, s->model[k], &rot, perk, err))) break;
                char col[SB_NAME_LEN];
                if (s->korient >= 0) snprintf(col, sizeof col, "%s", in->name);
                else snprintf(col, sizeof col, "%s_k%02d", in->name, K);
                if ((st = add_column(&out, col, perk, err))) break;
                v = perk;
            }
            sb_profile prof[2] = {SB_PROFILE_INIT, SB_PROFILE_INIT};
            st = sb_indicator_profiles(in, &rot.cell, rot.x, rot.id, v, n, s->width, s->step, prof, err);
            if (st == SB_OK) {
                ind_prediction *p = &pred[(size_t)(K - k0) * s->ntable + k];
                sb_indicator_predict(in, prof, &p->pred);
                p->have = true;
                for (int a = 0; a < 2; a++)
                    for (size_t m = 0; m < prof[a].n; m++)
                        fprintf(af.fp, "%d,%s,%c,%.6f,%.6f,%.9g,%zu\n", K, in->name, "XY"[a], prof[a].centre[m],
                                sb_profile_signed_position(a, prof[a].centre[m]), prof[a].value[m],
                                prof[a].count[m]);
            }
            sb_profile_free(&prof[0]);
            sb_profile_free(&prof[1]);
        }
    }
    if (csv_open) {
        if (st == SB_OK) st = sb_atomic_commit(&af, err);
        else sb_atomic_abort(&af);
    }
    sb_structure_free(&rot);
    free(perk);
    if (st == SB_OK) st = sb_write_structure(s->output, &out, err);
    if (st == SB_OK && s->dump) st = sb_write_dump(s->dump, &out, false, err);
    if (st == SB_OK) st = write_json(s, argc, argv, pred, k0, k1, err);
    if (st == SB_OK) {
        /* One summary line per indicator (the first orientation, or the only one). */
        printf("%-6s %-11s %-10s %10s %10s %10s\n", "K", "indicator", "band", "centre_A", "signed_A", "delta");
        for (int K = k0; K <= k1; K++)
            for (size_t k = 0; k < s->ntable; k++) {
                const ind_prediction *p = &pred[(size_t)(K - k0) * s->ntable + k];
                if (!p->have) continue;
                printf("%-6d %-11s %-10s %10.2f %10.2f %10.4g\n", K, s->table[k].name,
                       p->pred.axis == 0 ? "vertical" : "horizontal", p->pred.centre, p->pred.signed_position,
                       p->pred.delta);
            }
        printf("wrote %s, %s, %s\n", s->output, s->csv, s->json);
    }
    free(pred);
done:
    sb_structure_free(&out);
    return st;
}

int cmd_indicators(int argc, char **argv)
{
    enum {
        O_DUMP = 256, O_ONLY, O_VDIR, O_TEMP, O_RUNS, O_EQUIL, O_SAMP, O_EVERY, O_DT, O_SEED, O_POT, O_PAIR,
        O_SVM, O_CNN, O_GNN
    };
    static const struct option longopts[] = {
        {"orientation", required_argument, NULL, 'k'}, {"output", required_argument, NULL, 'o'},
        {"dump", required_argument, NULL, O_DUMP},     {"only", required_argument, NULL, O_ONLY},
        {"width", required_argument, NULL, 'w'},       {"step", required_argument, NULL, 's'},
        {"vflex-dir", required_argument, NULL, O_VDIR}, {"temperature", required_argument, NULL, O_TEMP},
        {"runs", required_argument, NULL, O_RUNS},     {"equilibration", required_argument, NULL, O_EQUIL},
        {"sampling", required_argument, NULL, O_SAMP}, {"sample-every", required_argument, NULL, O_EVERY},
        {"timestep", required_argument, NULL, O_DT},   {"seed", required_argument, NULL, O_SEED},
        {"potential", required_argument, NULL, O_POT}, {"pair-style", required_argument, NULL, O_PAIR},
        {"svm-model", required_argument, NULL, O_SVM}, {"cnn-model", required_argument, NULL, O_CNN},
        {"gnn-model", required_argument, NULL, O_GNN}, {"model", required_argument, NULL, O_CNN},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},              {NULL, 0, NULL, 0}};
    static ind_state s; /* large; static keeps it off the stack */
    memset(&s, 0, sizeof s);
    s.table = sb_indicator_table(&s.ntable);
    if (s.ntable > IND_MAX) return cli_usage_error("indicators", "internal: too many indicators");
    s.output = "indicators.extxyz";
    s.korient = -2;
    s.width = 19.0;
    s.step = 1.0;
    s.vib = sb_vibration_options_default();
    s.vp = sb_voronoi_params_default();
    const char *only = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "k:o:w:s:m:vh", longopts, NULL)) != -1) {
        double v = 0.0;
        long l = 0;
        const bool num = optarg && cli_parse_double(optarg, &v);
        switch (c) {
        case 'k':
            if (!strcmp(optarg, "all")) s.korient = -1;
            else if (cli_parse_long(optarg, &l) && l >= 0 && l < SB_NUM_ORIENTATIONS) s.korient = (int)l;
            else return cli_usage_error("indicators", "--orientation needs 0..23 or all");
            break;
        case 'o': s.output = optarg; break;
        case O_DUMP: s.dump = optarg; break;
        case O_ONLY: only = optarg; break;
        case 'w':
            if (!num || !(v > 0)) return cli_usage_error("indicators", "--width needs a positive number");
            s.width = v;
            break;
        case 's':
            if (!num || !(v > 0)) return cli_usage_error("indicators", "--step needs a positive number");
            s.step = v;
            break;
        case O_VDIR: s.vflex_dir = optarg; break;
        case O_TEMP:
            if (!num) return cli_usage_error("indicators", "--temperature needs a number");
            s.vib.temperature = v;
            break;
        case O_RUNS:
            if (!cli_parse_long(optarg, &l) || l < 1 || l > SB_VIBRATION_MAX_RUNS)
                return cli_usage_error("indicators", "--runs needs 1..%d", SB_VIBRATION_MAX_RUNS);
            s.vib.runs = (int)l;
            break;
        case O_EQUIL:
            if (!num) return cli_usage_error("indicators", "--equilibration needs a number");
            s.vib.equilibration = v;
            break;
        case O_SAMP:
            if (!num) return cli_usage_error("indicators", "--sampling needs a number");
            s.vib.sampling = v;
            break;
        case O_EVERY:
            if (!num) return cli_usage_error("indicators", "--sample-every needs a number");
            s.vib.sample_every = v;
            break;
        case O_DT:
            if (!num) return cli_usage_error("indicators", "--timestep needs a number");
            s.vib.timestep = v;
            break;
        case O_SEED:
            if (!cli_parse_long(optarg, &l) || l < 0) return cli_usage_error("indicators", "--seed needs an integer >= 0");
            s.vib.seed = (uint64_t)l;
            break;
        case O_POT: s.vib.potential = optarg; break;
        case O_PAIR: s.vib.pair_style = optarg; break;
        case O_SVM: s.model[table_index(&s, "svm")] = optarg; break;
        case 'm':
        case O_CNN: s.model[table_index(&s, "cnn")] = optarg; break;
        case O_GNN: s.model[table_index(&s, "gnn")] = optarg; break;
        case 'v': s.vib.verbose = true; break;
        case 'h': fputs(usage, stdout); return CLI_OK;
        default: return cli_bad_option("indicators");
        }
    }
    if (optind + 1 != argc) return cli_usage_error("indicators", "give exactly one GLASS file");
    if (s.korient == -2) return cli_usage_error("indicators", "--orientation K|all is required");
    s.glass_path = argv[optind];
    sb_error err;
    sb_error_clear(&err);
    /* Default set: every non-learned indicator, and each learned one that has a model. */
    for (size_t k = 0; k < s.ntable; k++) s.wanted[k] = !is_learned(s.table[k].name) || s.model[k];
    if (only) {
        if (parse_only(&s, only, &err)) return cli_usage_error("indicators", "%s", err.msg);
        for (size_t k = 0; k < s.ntable; k++)
            if (s.wanted[k] && is_learned(s.table[k].name) && !s.model[k])
                return cli_usage_error("indicators", "--only %s needs --%s-model FILE", s.table[k].name,
                                       s.table[k].name);
    }
    path_stem(s.output, s.stem, sizeof s.stem);
    if (!strcmp(s.stem, s.output))
        return cli_usage_error("indicators", "-o %s: give a file name with an extension (.extxyz or .dump)", s.output);
    snprintf(s.csv, sizeof s.csv, "%s_profiles.csv", s.stem);
    snprintf(s.json, sizeof s.json, "%s.json", s.stem);
    snprintf(s.vdir, sizeof s.vdir, "%s", s.vflex_dir ? s.vflex_dir : "");
    if (!s.vflex_dir) snprintf(s.vdir, sizeof s.vdir, "%s_vflex", s.stem);
    s.vib.argc = argc;
    s.vib.argv = argv;
    s.vib.progress = cli_is_tty(STDERR_FILENO) && !s.vib.verbose;

    const sb_status st = run(&s, argc, argv, &err);
    sb_structure_free(&s.glass);
    free(s.vor);
    for (size_t k = 0; k < s.ntable; k++) free(s.value[k]);
    sb_vibration_result_free(&s.vres);
    if (st != SB_OK) return cli_fail(&err);
    return CLI_OK;
}
