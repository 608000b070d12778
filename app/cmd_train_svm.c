/* shearband train-svm: train the linear-SVM softness (library: shearband/svm_train.h). */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "shearband/svm_train.h"

static const char usage[] =
    "usage: shearband train-svm DATASET -o MODEL [options]\n\n"
    "Train the linear-SVM \"softness\" (after Cubuk et al. 2015) on the cases of a dataset\n"
    "manifest (docs/dataset.md; the same manifest, labels and by-sample split as `train` and\n"
    "`train-gnn`). Features: per-species radial and angular structure functions of every atom,\n"
    "computed once per glass (they do not depend on the loading orientation), standardised.\n"
    "liblinear L2-regularised L2-loss SVC, classes balanced by n_neg/n_pos. C is chosen from\n"
    "the grid by validation PR-AUC (all atoms of the val samples). Writes MODEL (SBSV file)\n"
    "and MODEL.metrics.json (val and test ROC-AUC, PR-AUC, precision, recall, F1 at\n"
    "softness > 0, accuracy, base rate; provenance): the CNN's format (docs/models.md).\n\n"
    "  -o, --output MODEL       model file (required)\n"
    "      --C c                one value of C instead of the grid 0.01, 0.1, 1\n"
    "      --eps e              liblinear stopping tolerance (0.01)\n"
    "      --pos-weight w       fixed positive-class weight (default n_neg/n_pos of the rows)\n"
    "      --max-rows N         at most N training rows (200000; 0 = all): all positives up to\n"
    "                           N/2, negatives drawn for the rest\n"
    "      --seed s             row subsampling seed (1)\n"
    "  -h, --help               this text\n";

enum { OPT_C = 256, OPT_EPS, OPT_PW, OPT_ROWS, OPT_SEED };

int cmd_train_svm(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},     {"C", required_argument, NULL, OPT_C},
        {"eps", required_argument, NULL, OPT_EPS},    {"pos-weight", required_argument, NULL, OPT_PW},
        {"max-rows", required_argument, NULL, OPT_ROWS}, {"seed", required_argument, NULL, OPT_SEED},
        {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0}};
    sb_svm_train_options o = sb_svm_train_options_default();
    double v;
    long l;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': o.model_path = optarg; break;
        case OPT_C:
            if (!cli_parse_double(optarg, &v) || !(v > 0)) return cli_usage_error("train-svm", "--C %s", optarg);
            o.n_grid = 1;
            o.C_grid[0] = v;
            break;
        case OPT_EPS:
            if (!cli_parse_double(optarg, &o.eps) || !(o.eps > 0)) return cli_usage_error("train-svm", "--eps %s", optarg);
            break;
        case OPT_PW:
            if (!cli_parse_double(optarg, &v) || !(v > 0))
                return cli_usage_error("train-svm", "--pos-weight %s", optarg);
            o.pos_weight = v;
            break;
        case OPT_ROWS:
            if (!cli_parse_long(optarg, &l) || l < 0 || (l > 0 && l < 2))
                return cli_usage_error("train-svm", "--max-rows %s (0 = all, else >= 2)", optarg);
            o.max_rows = (size_t)l;
            break;
        case OPT_SEED:
            if (!cli_parse_long(optarg, &l) || l < 0) return cli_usage_error("train-svm", "--seed %s", optarg);
            o.seed = (uint64_t)l;
            break;
        case 'h': fputs(usage, stdout); return CLI_OK;
        default: return cli_bad_option("train-svm");
        }
    }
    sb_dataset d = SB_DATASET_INIT;
    const int rc = cli_train_inputs("train-svm", argc - optind, argv + optind, o.model_path, &d);
    if (rc != CLI_OK) return rc;
    o.progress = cli_is_tty(2);
    o.argc = argc;
    o.argv = argv;
    sb_error err;
    sb_svm_train_result r;
    const sb_status st = sb_svm_train(&d, &o, &r, &err);
    sb_dataset_free(&d);
    if (st != SB_OK) return cli_fail(&err);
    printf("%s: C %g (%zu features, %zu training rows of %zu); ", o.model_path, r.C, r.nfeat, r.n_train_rows,
           r.n_train_available);
    cli_print_heldout(&r.val, &r.test);
    printf("%.1f s (%.1f s features)\n", r.seconds, r.seconds_features);
    return CLI_OK;
}
