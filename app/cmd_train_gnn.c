/* shearband train-gnn: train the fertile-site GNN (library: shearband/gnn_train.h). */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "shearband/gnn_train.h"

static const char usage[] =
    "usage: shearband train-gnn DATASET -o MODEL [options]\n\n"
    "Train the fertile-site graph network (after Bapst et al. 2020) on the cases of a dataset\n"
    "manifest (docs/dataset.md; the same manifest, labels and by-sample split as `train`).\n"
    "One Adam step per case: the whole glass as one graph under the case's loading\n"
    "orientation, every atom labelled, loss weight n_neg/n_pos. Validation and test on all\n"
    "atoms of their samples. Writes MODEL (SBGN file, the best epoch by validation PR-AUC),\n"
    "MODEL.log.csv and MODEL.metrics.json (val and test ROC-AUC, PR-AUC, precision, recall,\n"
    "F1, accuracy, with provenance).\n\n"
    "  -o, --output MODEL       model file (required)\n"
    "      --cutoff A           graph cutoff, A (5.0)\n"
    "      --latent N           width of every hidden layer (64)\n"
    "      --steps N            message-passing steps, shared weights (7)\n"
    "      --agg-norm X         the edge sum is divided by X (30)\n"
    "      --no-length          edge features R d only, without |d|\n"
    "      --epochs N           (30)\n"
    "      --lr X               Adam learning rate (1e-3)\n"
    "      --seed S             (1)\n"
    "      --pos-weight W       fixed positive-class loss weight (default n_neg/n_pos)\n"
    "      --patience N         stop after N epochs without improvement (5; 0 = never)\n"
    "      --threads N          OpenMP threads (default: OMP_NUM_THREADS)\n"
    "      --backend NAME       blas | reference (blas)\n"
    "  -h, --help               this text\n";

enum {
    OPT_CUT = 256, OPT_LAT, OPT_STEPS, OPT_AGG, OPT_NOLEN, OPT_EPOCHS, OPT_LR, OPT_SEED, OPT_PW, OPT_PAT,
    OPT_THREADS, OPT_BACKEND
};

int cmd_train_gnn(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},       {"cutoff", required_argument, NULL, OPT_CUT},
        {"latent", required_argument, NULL, OPT_LAT},   {"steps", required_argument, NULL, OPT_STEPS},
        {"agg-norm", required_argument, NULL, OPT_AGG}, {"no-length", no_argument, NULL, OPT_NOLEN},
        {"epochs", required_argument, NULL, OPT_EPOCHS}, {"lr", required_argument, NULL, OPT_LR},
        {"seed", required_argument, NULL, OPT_SEED},    {"pos-weight", required_argument, NULL, OPT_PW},
        {"patience", required_argument, NULL, OPT_PAT}, {"threads", required_argument, NULL, OPT_THREADS},
        {"backend", required_argument, NULL, OPT_BACKEND}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    sb_gnn_train_options o = sb_gnn_train_options_default();
    double v;
    long l;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': o.model_path = optarg; break;
        case OPT_CUT:
            if (!cli_parse_double(optarg, &o.cfg.cutoff) || !(o.cfg.cutoff > 0))
                return cli_usage_error("train-gnn", "--cutoff %s", optarg);
            break;
        case OPT_LAT:
            if (!cli_parse_long(optarg, &l) || l < 1 || l > 4096) return cli_usage_error("train-gnn", "--latent %s", optarg);
            o.cfg.latent = (int)l;
            break;
        case OPT_STEPS:
            if (!cli_parse_long(optarg, &l) || l < 0 || l > 64) return cli_usage_error("train-gnn", "--steps %s", optarg);
            o.cfg.steps = (int)l;
            break;
        case OPT_AGG:
            if (!cli_parse_double(optarg, &o.cfg.agg_norm) || !(o.cfg.agg_norm > 0))
                return cli_usage_error("train-gnn", "--agg-norm %s", optarg);
            break;
        case OPT_NOLEN: o.cfg.edge_length = false; break;
        case OPT_EPOCHS:
            if (!cli_parse_long(optarg, &l) || l < 1) return cli_usage_error("train-gnn", "--epochs %s", optarg);
            o.epochs = (int)l;
            break;
        case OPT_LR:
            if (!cli_parse_double(optarg, &v) || !(v > 0)) return cli_usage_error("train-gnn", "--lr %s", optarg);
            o.lr = (float)v;
            break;
        case OPT_SEED:
            if (!cli_parse_long(optarg, &l) || l < 0) return cli_usage_error("train-gnn", "--seed %s", optarg);
            o.seed = (uint64_t)l;
            break;
        case OPT_PW:
            if (!cli_parse_double(optarg, &v) || !(v > 0)) return cli_usage_error("train-gnn", "--pos-weight %s", optarg);
            o.pos_weight = (float)v;
            o.pos_weight_auto = false;
            break;
        case OPT_PAT:
            if (!cli_parse_long(optarg, &l) || l < 0) return cli_usage_error("train-gnn", "--patience %s", optarg);
            o.patience = (int)l;
            break;
        case OPT_THREADS:
            if (!cli_parse_long(optarg, &l) || l < 1) return cli_usage_error("train-gnn", "--threads %s", optarg);
            o.threads = (int)l;
            break;
        case OPT_BACKEND: o.backend = optarg; break;
        case 'h': fputs(usage, stdout); return CLI_OK;
        default: return cli_bad_option("train-gnn");
        }
    }
    sb_dataset d = SB_DATASET_INIT;
    const int rc = cli_train_inputs("train-gnn", argc - optind, argv + optind, o.model_path, &d);
    if (rc != CLI_OK) return rc;
    o.progress = cli_is_tty(2);
    o.argc = argc;
    o.argv = argv;
    sb_error err;
    sb_gnn_train_result r;
    const sb_status st = sb_gnn_train(&d, &o, &r, &err);
    sb_dataset_free(&d);
    if (st != SB_OK) return cli_fail(&err);
    printf("%s: best epoch %d of %d; ", o.model_path, r.best_epoch, r.epochs_run);
    cli_print_heldout(&r.val, &r.test);
    printf("%.2f train graphs/s, %.1f s\n", r.graphs_per_second, r.seconds);
    return CLI_OK;
}
