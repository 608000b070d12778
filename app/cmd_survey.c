/* shearband survey: gamma of every indicator over glasses x orientations (Fig. 3). */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "shearband/fertile.h"
#include "shearband/indicator_model.h"
#include "shearband/survey.h"
#include "shearband/vibration.h"

static const char usage[] =
    "usage: shearband survey [options] GLASS...\n\n"
    "For every glass x loading orientation: reuse the finished shear run in\n"
    "RUNS/<glass>_oKK (or resume / start it), locate the band at the band strain, evaluate each\n"
    "indicator on the undeformed glass in that loading frame and take gamma = fraction of slab\n"
    "positions (X and Y pooled) whose indicator profile is <= its value at the band (>= for\n"
    "indicators where lower favours banding). Cases without a band are listed and excluded.\n"
    "Writes OUT/survey.csv, OUT/survey.json (mean gamma per indicator with bootstrap\n"
    "confidence interval) and the figures OUT/gamma_cdf (Fig. 3a) and OUT/gamma_mean (Fig. 3b).\n\n"
    "  -r, --runs-dir DIR        shear runs (default OUT/runs)\n"
    "  -o, --out-dir DIR         results (default survey)\n"
    "  -k, --orientations LIST   all (default) or e.g. 0,3,7\n"
    "  -i, --indicators LIST     from: cnn,gnn,svm,vflex,ffb,rho (default ffb,rho; cnn needs\n"
    "                            --model, gnn --gnn-model, svm --svm-model; vflex runs an NVT\n"
    "                            ensemble per glass through LAMMPS, cached in --vflex-dir)\n"
    "  -m, --model MODEL         fertile-site CNN for the cnn indicator ('shearband train')\n"
    "      --gnn-model MODEL     graph network for the gnn indicator ('shearband train-gnn')\n"
    "      --svm-model MODEL     softness model for the svm indicator ('shearband train-svm')\n"
    "      --vflex-dir DIR       MSD runs of the vflex indicator (default OUT/vflex)\n"
    "      --vflex-runs M        isoconfigurational runs per glass (8)\n"
    "      --vflex-sampling PS   sampling window per run, ps (4)\n"
    "      --no-run              only use finished runs; skip the others\n"
    "  the recipe of new runs, as for 'shearband shear' (default: step 1e-3, L-BFGS from the\n"
    "  affine start, ftol 1e-8; the runs reused keep theirs, counted in survey.json):\n"
    "      --step D --minimizer cg|fire|lbfgs --ftol F --maxiter N --linesearch L\n"
    "      --extrapolate A --min-modify KEYS --timestep T --potential FILE --pair-style STYLE\n"
    "      --d2min-cutoff R --checkpoint-every N\n"
    "      --band-strain G       strain that locates the band (0.20)\n"
    "      --f-top F             highly deformed fraction (0.01)\n"
    "      --width W             band slab width w_SB, A (19)\n"
    "      --dfs-width W         indicator slab width w_DFS, A (19)\n"
    "      --z-min Z             no-band rule: z-score of the peak (5)\n"
    "      --concentration-min C no-band rule: concentration of the peak (0.3)\n"
    "      --bootstrap N         resamples for the confidence interval (10000; whole\n"
    "                            loadings are drawn: a glass with both partner orientations)\n"
    "      --level L             confidence level (0.95)\n"
    "      --no-figures          skip the figures\n"
    "  -h, --help                this text\n";

static int parse_orientations(const char *s, sb_survey_options *o)
{
    if (strcmp(s, "all") == 0) {
        o->norientations = 24;
        for (int k = 0; k < 24; k++) o->orientations[k] = k;
        return 1;
    }
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    o->norientations = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        long k;
        if (!cli_parse_long(tok, &k) || k < 0 || k > 23 || o->norientations >= 24) return 0;
        o->orientations[o->norientations++] = (int)k;
    }
    return o->norientations > 0;
}

int cmd_survey(int argc, char **argv)
{
    enum { O_NORUN = 256, O_BSTRAIN, O_FTOP, O_WIDTH, O_DFSW, O_BOOT, O_LEVEL, O_NOFIG, O_ZMIN, O_CMIN, O_VDIR, O_VRUNS, O_VSAMP };
    static const struct option longopts[] = {
        {"runs-dir", required_argument, NULL, 'r'}, {"out-dir", required_argument, NULL, 'o'},
        {"orientations", required_argument, NULL, 'k'}, {"indicators", required_argument, NULL, 'i'},
        {"model", required_argument, NULL, 'm'}, {"gnn-model", required_argument, NULL, 'G'},
        {"svm-model", required_argument, NULL, 'V'}, {"vflex-dir", required_argument, NULL, O_VDIR},
        {"vflex-runs", required_argument, NULL, O_VRUNS}, {"vflex-sampling", required_argument, NULL, O_VSAMP},
        {"no-run", no_argument, NULL, O_NORUN}, CLI_SHEAR_RECIPE_LONGOPTS,
        {"band-strain", required_argument, NULL, O_BSTRAIN}, {"f-top", required_argument, NULL, O_FTOP},
        {"width", required_argument, NULL, O_WIDTH}, {"dfs-width", required_argument, NULL, O_DFSW},
        {"bootstrap", required_argument, NULL, O_BOOT}, {"level", required_argument, NULL, O_LEVEL},
        {"no-figures", no_argument, NULL, O_NOFIG}, {"z-min", required_argument, NULL, O_ZMIN},
        {"concentration-min", required_argument, NULL, O_CMIN}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    sb_survey_options o = sb_survey_options_default();
    o.shear.step = 1e-3;
    sb_vibration_options vib = sb_vibration_options_default();
    const char *out_dir = "survey", *runs_dir = NULL, *indicators = "ffb,rho", *model = NULL, *gnn_model = NULL, *svm_model = NULL,
               *vflex_dir = NULL;
    int c;
    double v;
    long l;
    cli_shear_parse sp = {0};
    optind = 1;
    while ((c = getopt_long(argc, argv, "r:o:k:i:m:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'r': runs_dir = optarg; break;
        case 'o': out_dir = optarg; break;
        case 'k':
            if (!parse_orientations(optarg, &o)) return cli_usage_error("survey", "bad --orientations '%s'", optarg);
            break;
        case 'i': indicators = optarg; break;
        case 'm': model = optarg; break;
        case 'G': gnn_model = optarg; break;
        case 'V': svm_model = optarg; break;
        case O_VDIR: vflex_dir = optarg; break;
        case O_VRUNS:
            if (!cli_parse_long(optarg, &l) || l < 1 || l > SB_VIBRATION_MAX_RUNS)
                return cli_usage_error("survey", "bad --vflex-runs '%s'", optarg);
            vib.runs = (int)l;
            break;
        case O_VSAMP:
            if (!cli_parse_double(optarg, &v) || v <= 0) return cli_usage_error("survey", "bad --vflex-sampling '%s'", optarg);
            vib.sampling = v;
            break;
        case O_NORUN: o.run_missing = false; break;
        case O_BSTRAIN:
            if (!cli_parse_double(optarg, &v) || v <= 0) return cli_usage_error("survey", "bad --band-strain '%s'", optarg);
            o.band_strain = v;
            break;
        case O_FTOP:
            if (!cli_parse_double(optarg, &v) || v <= 0 || v >= 1) return cli_usage_error("survey", "bad --f-top '%s'", optarg);
            o.band.f_top = v;
            break;
        case O_WIDTH:
            if (!cli_parse_double(optarg, &v) || v <= 0) return cli_usage_error("survey", "bad --width '%s'", optarg);
            o.band.width = v;
            break;
        case O_DFSW:
            if (!cli_parse_double(optarg, &v) || v <= 0) return cli_usage_error("survey", "bad --dfs-width '%s'", optarg);
            o.dfs_width = v;
            break;
        case O_BOOT:
            if (!cli_parse_long(optarg, &l) || l < 10) return cli_usage_error("survey", "bad --bootstrap '%s'", optarg);
            o.bootstrap = (size_t)l;
            break;
        case O_LEVEL:
            if (!cli_parse_double(optarg, &v) || v <= 0 || v >= 1) return cli_usage_error("survey", "bad --level '%s'", optarg);
            o.ci_level = v;
            break;
        case O_NOFIG: o.figures = false; break;
        case O_ZMIN:
            if (!cli_parse_double(optarg, &v)) return cli_usage_error("survey", "bad --z-min '%s'", optarg);
            o.band.z_min = v;
            break;
        case O_CMIN:
            if (!cli_parse_double(optarg, &v)) return cli_usage_error("survey", "bad --concentration-min '%s'", optarg);
            o.band.concentration_min = v;
            break;
        case 'h': fputs(usage, stdout); return CLI_OK;
        default: {
            const int r = cli_shear_option("survey", c, optarg, &o.shear, &sp);
            if (r != CLI_OK) return r;
        }
        }
    }
    if (optind >= argc) return cli_usage_error("survey", "expected at least one GLASS");
    if (cli_shear_check("survey", &o.shear, &sp) != CLI_OK) return CLI_USAGE;
    o.glasses = (const char *const *)&argv[optind];
    o.nglasses = (size_t)(argc - optind);
    o.out_dir = out_dir;
    char runs_default[4096];
    if (!runs_dir) {
        snprintf(runs_default, sizeof runs_default, "%s/runs", out_dir);
        runs_dir = runs_default;
    }
    o.runs_dir = runs_dir;
    char vflex_default[4200];
    if (!vflex_dir) {
        snprintf(vflex_default, sizeof vflex_default, "%s/vflex", out_dir);
        vflex_dir = vflex_default;
    }
    /* New runs go to the band strain, saving the label strain 0.10 on the way. */
    o.shear.max_strain = o.band_strain;
    o.shear.nsave = 0;
    if (o.band_strain > 0.10 + 1e-9) o.shear.save[o.shear.nsave++] = 0.10;
    o.shear.save[o.shear.nsave++] = o.band_strain;
    o.argc = argc;
    o.argv = argv;

    sb_error err;
    sb_error_clear(&err);
    char list[256];
    snprintf(list, sizeof list, "%s", indicators);
    int rc = CLI_OK;
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        if (o.nsources >= SB_SURVEY_MAX_INDICATORS) {
            rc = cli_usage_error("survey", "too many indicators");
            break;
        }
        if (!sb_indicator_lookup(tok)) {
            rc = cli_usage_error("survey", "unknown indicator '%s'", tok);
            break;
        }
        const char *path = !strcmp(tok, "cnn") ? model : !strcmp(tok, "gnn") ? gnn_model
                           : !strcmp(tok, "svm") ? svm_model : !strcmp(tok, "vflex") ? vflex_dir : NULL;
        const sb_indicator_info *info = sb_indicator_lookup(tok);
        if (!path && info->rule != SB_PROFILE_SLAB_MEAN && strcmp(tok, "vflex")) {
            rc = cli_usage_error("survey", "the %s indicator needs its model (%s)", tok,
                                 !strcmp(tok, "cnn") ? "--model" : !strcmp(tok, "gnn") ? "--gnn-model" : "--svm-model");
            break;
        }
        const sb_status opened = !strcmp(tok, "vflex")
                                     ? sb_indicator_vflex_source(path, &vib, &o.sources[o.nsources], &err)
                                     : sb_indicator_source_open(tok, path, &o.sources[o.nsources], &err);
        if (opened != SB_OK) {
            rc = cli_fail(&err);
            break;
        }
        o.nsources++;
    }
    if (rc == CLI_OK) {
        sb_survey_summary sum;
        if (sb_survey_run(&o, &sum, &err) != SB_OK) {
            rc = cli_fail(&err);
        } else {
            printf("survey: %zu cases, %zu with a band, %zu without (excluded), %zu skipped (no run)\n", sum.cases,
                   sum.with_band, sum.without_band, sum.skipped);
            for (int s = 0; s < o.nsources; s++)
                printf("  %-6s mean gamma %.3f  [%.3f, %.3f] (%.0f %% bootstrap CI over loadings)\n", o.sources[s].info->name,
                       sum.mean[s], sum.ci_lo[s], sum.ci_hi[s], 100 * o.ci_level);
            printf("results in %s/\n", out_dir);
        }
    }
    for (int s = 0; s < o.nsources; s++) sb_indicator_source_close(&o.sources[s]);
    return rc;
}
