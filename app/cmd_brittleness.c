/* shearband brittleness: T_q sweep, Delta vs T_q, verification shears, threshold calibration. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "shearband/brittleness.h"
#include "shearband/predict.h"

static const char usage[] =
    "usage: shearband brittleness -d DIR [options]\n\n"
    "Brittle vs ductile (the paper's Fig. 5): quench glasses at one cooling rate to each T_q\n"
    "(then minimise), compute Delta = max - min of the indicator's DFS profiles in orientation\n"
    "K, shear each glass once (orientation K, to the band strain) to see whether a band forms,\n"
    "and calibrate the Delta threshold for this size and slab width (the one that best\n"
    "separates banding from non-banding glasses, by balanced accuracy). Resumable: finished\n"
    "glasses (DIR/glasses/tqT.data) and shears (DIR/runs/tqT_oKK) are reused.\n"
    "Writes DIR/brittleness.csv, DIR/brittleness.json and DIR/delta_vs_tq.{png,svg}.\n\n"
    "  -d, --dir DIR              working and output folder (required)\n"
    "      --tq LIST              quench end temperatures, K (default 600,700,800,900,1000)\n"
    "      --rate R               cooling rate, K/s (default 1e13)\n"
    "      --atoms N              atoms per glass (default 4000)\n"
    "      --seed S               quench seed (default 1)\n"
    "  -i, --indicator NAME       cnn (default; needs --model), gnn, svm, ffb, rho\n"
    "  -m, --model MODEL          model file for cnn / gnn / svm\n"
    "  -k, --orientation K        loading orientation 0..23 (default 0)\n"
    "      --max-strain E         band strain and end of the shear (default 0.20)\n"
    "      --step S               AQS strain step (default 1e-3; also --shear-step)\n"
    "  the shears' recipe, as for 'shearband shear' (default: L-BFGS from the affine start):\n"
    "      --minimizer cg|fire|lbfgs --ftol F --maxiter N --linesearch L --extrapolate A\n"
    "      --min-modify KEYS --timestep T --potential FILE --pair-style STYLE\n"
    "      --d2min-cutoff R --checkpoint-every N\n"
    "      --melt-time PS         quench melt time (default 10 ps)\n"
    "      --anneal PS            hold each glass at its T_q for PS ps with Cu/Zr swap Monte\n"
    "                             Carlo before minimising (relaxes it as a slower cooling\n"
    "                             would; the cooling is still shared). Default: off\n"
    "      --width A              slab width for both DFS and the band locator (default 19)\n"
    "      --delta-threshold D    threshold to compare with before calibration (default 0.06)\n"
    "      --no-figures           skip the figure\n"
    "  -h, --help                 this text\n";

static bool parse_tq(const char *s, sb_brittleness_options *o)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", s);
    o->ntq = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        double v;
        if (o->ntq >= SB_BRITTLENESS_MAX_GLASSES || !cli_parse_double(tok, &v) || v <= 0) return false;
        o->tq[o->ntq++] = v;
    }
    return o->ntq > 0;
}

int cmd_brittleness(int argc, char **argv)
{
    enum { O_TQ = 256, O_RATE, O_ATOMS, O_SEED, O_MAXS, O_MELT, O_ANNEAL, O_WIDTH, O_THR, O_NOFIG };
    static const struct option longopts[] = {
        {"dir", required_argument, NULL, 'd'}, {"tq", required_argument, NULL, O_TQ},
        {"rate", required_argument, NULL, O_RATE}, {"atoms", required_argument, NULL, O_ATOMS},
        {"seed", required_argument, NULL, O_SEED}, {"indicator", required_argument, NULL, 'i'},
        {"model", required_argument, NULL, 'm'}, {"orientation", required_argument, NULL, 'k'},
        {"shear-step", required_argument, NULL, CLI_OPT_STEP}, {"max-strain", required_argument, NULL, O_MAXS},
        CLI_SHEAR_RECIPE_LONGOPTS, {"melt-time", required_argument, NULL, O_MELT},
        {"anneal", required_argument, NULL, O_ANNEAL},
        {"width", required_argument, NULL, O_WIDTH}, {"delta-threshold", required_argument, NULL, O_THR},
        {"no-figures", no_argument, NULL, O_NOFIG}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    sb_brittleness_options o = sb_brittleness_options_default();
    o.dir = NULL;
    int c;
    double v;
    long l;
    cli_shear_parse sp = {0};
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:i:m:k:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': o.dir = optarg; break;
        case O_TQ:
            if (!parse_tq(optarg, &o)) return cli_usage_error("brittleness", "bad --tq '%s'", optarg);
            break;
        case O_RATE:
            if (!cli_parse_double(optarg, &v) || v <= 0) return cli_usage_error("brittleness", "bad --rate '%s'", optarg);
            o.quench.rate = v;
            break;
        case O_ATOMS:
            if (!cli_parse_long(optarg, &l) || l < 2) return cli_usage_error("brittleness", "bad --atoms '%s'", optarg);
            o.quench.natoms = (size_t)l;
            break;
        case O_SEED:
            if (!cli_parse_long(optarg, &l) || l < 0) return cli_usage_error("brittleness", "bad --seed '%s'", optarg);
            o.quench.seed = (uint64_t)l;
            break;
        case 'i': o.indicator = optarg; break;
        case 'm': o.model_path = optarg; break;
        case 'k':
            if (!cli_parse_long(optarg, &l) || l < 0 || l > 23)
                return cli_usage_error("brittleness", "--orientation must be 0..23, not '%s'", optarg);
            o.orientation = (int)l;
            break;
        case O_MAXS:
            if (!cli_parse_double(optarg, &v) || v <= 0) return cli_usage_error("brittleness", "bad --max-strain '%s'", optarg);
            o.band_strain = v;
            break;
        case O_MELT:
            if (!cli_parse_double(optarg, &v) || v <= 0) return cli_usage_error("brittleness", "bad --melt-time '%s'", optarg);
            o.quench.melt_time = v;
            break;
        case O_ANNEAL:
            if (!cli_parse_double(optarg, &v) || v <= 0) return cli_usage_error("brittleness", "bad --anneal '%s'", optarg);
            o.anneal_time = v;
            break;
        case O_WIDTH:
            if (!cli_parse_double(optarg, &v) || v <= 0) return cli_usage_error("brittleness", "bad --width '%s'", optarg);
            o.dfs_width = v;
            o.band.width = v;
            break;
        case O_THR:
            if (!cli_parse_double(optarg, &v) || v < 0) return cli_usage_error("brittleness", "bad --delta-threshold '%s'", optarg);
            o.delta_threshold = v;
            break;
        case O_NOFIG: o.figures = false; break;
        case 'h': fputs(usage, stdout); return 0;
        default: {
            const int r = cli_shear_option("brittleness", c, optarg, &o.shear, &sp);
            if (r != CLI_OK) return r;
        }
        }
    }
    if (optind != argc) return cli_usage_error("brittleness", "unexpected argument '%s'", argv[optind]);
    if (cli_shear_check("brittleness", &o.shear, &sp) != CLI_OK) return CLI_USAGE;
    if (!o.dir) return cli_usage_error("brittleness", "--dir DIR is required");
    if ((!strcmp(o.indicator, "cnn") || !strcmp(o.indicator, "gnn") || !strcmp(o.indicator, "svm")) && !o.model_path)
        return cli_usage_error("brittleness", "the %s indicator needs --model MODEL", o.indicator);
    o.argc = argc;
    o.argv = argv;
    sb_brittleness_result *res = malloc(sizeof *res);
    if (!res) return cli_usage_error("brittleness", "out of memory");
    sb_error err;
    if (sb_brittleness_run(&o, res, &err) != SB_OK) {
        free(res);
        return cli_fail(&err);
    }
    printf("%zu glasses, indicator %s, orientation %d:\n", res->n, o.indicator, o.orientation);
    for (size_t k = 0; k < res->n; k++) {
        const sb_brittleness_glass *g = &res->glass[k];
        printf("  T_q %6.0f K: Delta %.4f, %s%s\n", g->tq, g->delta, g->banded ? "band formed" : "no band",
               g->quench_reused && g->shear_reused ? " (reused)" : "");
    }
    const sb_threshold_calibration *cal = &res->cal;
    if (isfinite(cal->threshold))
        printf("calibrated threshold %.4f (separating interval [%.4f, %.4f), %zu misclassified, balanced accuracy %.2f)\n",
               cal->threshold, cal->lo, cal->hi, cal->misclassified, cal->balanced_accuracy);
    else
        printf("threshold not determined: %zu of %zu glasses banded; the separating interval is [%g, %g)\n",
               cal->nbanded, cal->n, cal->lo, cal->hi);
    printf("valid only for %zu atoms and w_DFS %.1f A; wrote %s/brittleness.{csv,json}%s\n", (size_t)o.quench.natoms,
           o.dfs_width, o.dir, o.figures ? ", delta_vs_tq.png" : "");
    free(res);
    return 0;
}
