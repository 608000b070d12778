/* shearband predict: fertile sites, DFS profiles, predicted band and Delta of one glass. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "shearband/predict.h"

static const char usage[] =
    "usage: shearband predict [options] GLASS\n\n"
    "Predict where GLASS (LAMMPS data or dump, or extended XYZ, two-species Cu-Zr) will form a\n"
    "shear band under simple shear in a loading orientation, and whether it will: the indicator\n"
    "per atom (fertile sites), the density of fertile sites (DFS) in sliding slabs along the\n"
    "loading X and Y axes, the predicted band at the DFS maximum (signed: -x vertical, +y\n"
    "horizontal), Delta = max - min of the DFS over both axes and the verdict brittle (Delta >\n"
    "threshold) or ductile. The threshold depends on system size and slab width and must be\n"
    "calibrated ('shearband brittleness'); the paper's 6 % is for its own setup.\n"
    "Writes OUT/predict.csv (one row per orientation) and per orientation KK:\n"
    "OUT/predict_oKK.json, OUT/dfs_oKK.csv (the format 'shearband ensemble --dfs' overlays),\n"
    "OUT/atoms_oKK.csv and the figure OUT/dfs_oKK.{png,svg}.\n\n"
    "  -m, --model MODEL          model file for cnn ('shearband train'), gnn ('train-gnn') or\n"
    "                             svm ('train-svm'); for vflex, the folder of its cached MD runs\n"
    "                             (default OUT/vflex)\n"
    "  -i, --indicator NAME       cnn (default), gnn, svm, vflex, ffb or rho\n"
    "  -k, --orientation K|all    loading orientation 0..23 (default 0) or all 24\n"
    "  -o, --out-dir DIR          results (default predict)\n"
    "      --width A              slab width w_DFS in Angstrom (default 19)\n"
    "      --step A               slab centre spacing (default 1)\n"
    "      --delta-threshold D    brittle when Delta > D (default 0.06)\n"
    "      --model-note TEXT      a sentence about the model, copied into the JSON\n"
    "      --observed RUN_DIR     a finished 'shearband shear' run of GLASS in the (one) orientation:\n"
    "                             locate the band it formed and report gamma of the prediction\n"
    "      --band-strain S        snapshot of the observed run that locates the band (0.20)\n"
    "      --no-figures           skip the figures\n"
    "  -h, --help                 this text\n";

int cmd_predict(int argc, char **argv)
{
    enum { O_WIDTH = 256, O_STEP, O_THR, O_NOTE, O_NOFIG, O_OBS, O_BSTRAIN };
    static const struct option longopts[] = {
        {"model", required_argument, NULL, 'm'}, {"indicator", required_argument, NULL, 'i'},
        {"orientation", required_argument, NULL, 'k'}, {"out-dir", required_argument, NULL, 'o'},
        {"width", required_argument, NULL, O_WIDTH}, {"step", required_argument, NULL, O_STEP},
        {"delta-threshold", required_argument, NULL, O_THR}, {"model-note", required_argument, NULL, O_NOTE},
        {"no-figures", no_argument, NULL, O_NOFIG}, {"observed", required_argument, NULL, O_OBS},
        {"band-strain", required_argument, NULL, O_BSTRAIN}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    sb_predict_options o = sb_predict_options_default();
    int c;
    double v;
    long l;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:i:k:o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'm': o.model_path = optarg; break;
        case 'i': o.indicator = optarg; break;
        case 'k':
            if (strcmp(optarg, "all") == 0) {
                o.norientations = 24;
                for (int k = 0; k < 24; k++) o.orientations[k] = k;
            } else if (cli_parse_long(optarg, &l) && l >= 0 && l < 24) {
                o.norientations = 1;
                o.orientations[0] = (int)l;
            } else {
                return cli_usage_error("predict", "--orientation must be 0..23 or all, not '%s'", optarg);
            }
            break;
        case 'o': o.out_dir = optarg; break;
        case O_WIDTH:
            if (!cli_parse_double(optarg, &v) || v <= 0) return cli_usage_error("predict", "bad --width '%s'", optarg);
            o.width = v;
            break;
        case O_STEP:
            if (!cli_parse_double(optarg, &v) || v <= 0) return cli_usage_error("predict", "bad --step '%s'", optarg);
            o.step = v;
            break;
        case O_THR:
            if (!cli_parse_double(optarg, &v) || v < 0) return cli_usage_error("predict", "bad --delta-threshold '%s'", optarg);
            o.delta_threshold = v;
            break;
        case O_NOTE: o.model_note = optarg; break;
        case O_NOFIG: o.figures = false; break;
        case O_OBS: o.observed_run = optarg; break;
        case O_BSTRAIN:
            if (!cli_parse_double(optarg, &v) || v <= 0) return cli_usage_error("predict", "bad --band-strain '%s'", optarg);
            o.band_strain = v;
            break;
        case 'h': fputs(usage, stdout); return 0;
        default: return cli_bad_option("predict");
        }
    }
    if (optind != argc - 1) return cli_usage_error("predict", "expected one GLASS file");
    if (o.observed_run && o.norientations != 1)
        return cli_usage_error("predict", "--observed needs a single --orientation");
    if ((!strcmp(o.indicator, "cnn") || !strcmp(o.indicator, "gnn") || !strcmp(o.indicator, "svm")) &&
        !o.model_path)
        return cli_usage_error("predict", "the %s indicator needs --model MODEL", o.indicator);
    char vflex_dir[4200];
    if (!strcmp(o.indicator, "vflex") && !o.model_path) {
        snprintf(vflex_dir, sizeof vflex_dir, "%s/vflex", o.out_dir);
        o.model_path = vflex_dir;
    }
    o.argc = argc;
    o.argv = argv;
    sb_predict_result res[24];
    sb_error err;
    if (sb_predict_run(argv[optind], &o, res, &err) != SB_OK) return cli_fail(&err);
    printf("%s, indicator %s%s%s: Delta threshold %.3f (w_DFS %.1f A)\n", argv[optind], o.indicator,
           o.model_path ? ", model " : "", o.model_path ? o.model_path : "", o.delta_threshold, o.width);
    for (int k = 0; k < o.norientations; k++) {
        const sb_predict_result *r = &res[k];
        printf("  orientation %2d: predicted %-10s band at %+7.1f A (value %.4f", r->orientation,
               r->pred.axis ? "horizontal" : "vertical", r->pred.signed_position, r->pred.best);
        if (r->has_fertile) printf(", %zu/%zu atoms fertile", r->fertile, r->atoms);
        printf("); Delta %.4f -> %s\n", r->pred.delta, r->brittle ? "brittle" : "ductile");
        if (r->observed && r->observed_found)
            printf("  observed (%s): %s band at %+.1f A; gamma of the prediction %.3f\n", o.observed_run,
                   r->observed_axis ? "horizontal" : "vertical", r->observed_signed, r->gamma);
        else if (r->observed)
            printf("  observed (%s): no band called (%s); the D2min profile peaks %s at %+.1f A "
                   "(gamma there %.3f, not a band by the rule)\n",
                   o.observed_run, r->observed_reason, r->observed_axis ? "on Y" : "on X", r->peak_signed,
                   r->gamma_at_peak);
    }
    printf("  note: %s\n", sb_predict_threshold_note());
    printf("  wrote %s/predict.csv, predict_oKK.json, dfs_oKK.csv (for 'ensemble --dfs'), atoms_oKK.csv%s\n",
           o.out_dir, o.figures ? ", dfs_oKK.png" : "");
    return 0;
}
