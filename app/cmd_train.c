/* shearband train: train the fertile-site CNN (library: shearband/fertile.h). */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "shearband/fertile.h"

static const char usage[] =
    "usage: shearband train DATASET -o MODEL [options]\n\n"
    "Train the fertile-site CNN on the cases of a dataset manifest (docs/dataset.md). Each\n"
    "example is the spatial density map of one atom under its case's loading orientation,\n"
    "computed on the fly. Per epoch: every training positive and --neg-per-pos times as many\n"
    "random negatives; validation and test on ALL atoms of their samples. Writes MODEL (the\n"
    "best epoch; SDM parameters in its metadata), MODEL.log.csv, MODEL.metrics.json (val and\n"
    "test ROC-AUC, PR-AUC, precision, recall, F1, accuracy with provenance), MODEL.ckpt\n"
    "(resume with --resume) and MODEL.curve.png (learning curve).\n\n"
    "  -o, --output MODEL       model file (required)\n"
    "      --sdm KIND           grid3d | proj_xy | proj_3 (grid3d)\n"
    "      --half-width H       SDM half-width, A (8)\n"
    "      --grid G             pixels per edge (32 for 2D maps, 16 for grid3d)\n"
    "      --sigma S            Gaussian width, A (0.5)\n"
    "      --arch TEXT          layers, e.g. conv16k3,relu,pool,...,dense1 (default per kind):\n"
    "                           convNkK, pool (max), apool (average), denseN, relu,\n"
    "                           dropoutR, flatten\n"
    "      --epochs N           (30)\n"
    "      --batch N            (64)\n"
    "      --lr X               Adam learning rate (1e-3)\n"
    "      --seed S             (1)\n"
    "      --neg-per-pos R      negatives per positive per epoch (3; 0 = all)\n"
    "      --pos-weight W       fixed positive-class loss weight (default: n_neg/n_pos of\n"
    "                           the epoch)\n"
    "      --soft-labels TAU    train toward sigmoid(ln(D2min / D_thr) / TAU) instead of 0/1\n"
    "                           (label files with D2min, docs/dataset.md; 0.25)\n"
    "      --hard-labels        train on the 0/1 labels (older label files without D2min)\n"
    "      --patience N         stop after N epochs without improvement (5; 0 = never)\n"
    "      --monitor pr_auc|loss  validation quantity for early stopping (pr_auc)\n"
    "      --threads N          OpenMP threads (default: OMP_NUM_THREADS)\n"
    "      --backend NAME       dnnl | reference (default: dnnl when built)\n"
    "      --resume             continue from MODEL.ckpt\n"
    "      --init-model M       start from the weights of model M (same SDM and --arch):\n"
    "                           fine-tuning, e.g. after pre-training on other labels\n"
    "      --no-augment         no symmetry augmentation (default: each training map under\n"
    "                           a random symmetry of simple shear: half turn about Z, mirror Z)\n"
    "      --augment-rotations  each training map in a random one of the 24 cube frames, not\n"
    "                           its loading's: an orientation-blind model (docs/fertile.md)\n"
    "      --no-figure          skip the learning-curve figure\n"
    "  -h, --help               this text\n";

enum {
    OPT_SDM = 256, OPT_HW, OPT_GRID, OPT_SIGMA, OPT_ARCH, OPT_EPOCHS, OPT_BATCH, OPT_LR, OPT_SEED,
    OPT_NPP, OPT_PW, OPT_PAT, OPT_MON, OPT_THREADS, OPT_BACKEND, OPT_RESUME, OPT_NOFIG, OPT_NOAUG, OPT_AUGROT, OPT_INIT,
    OPT_SOFT, OPT_HARD
};

int cmd_train(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},   {"sdm", required_argument, NULL, OPT_SDM},
        {"half-width", required_argument, NULL, OPT_HW}, {"grid", required_argument, NULL, OPT_GRID},
        {"sigma", required_argument, NULL, OPT_SIGMA}, {"arch", required_argument, NULL, OPT_ARCH},
        {"epochs", required_argument, NULL, OPT_EPOCHS}, {"batch", required_argument, NULL, OPT_BATCH},
        {"lr", required_argument, NULL, OPT_LR},   {"seed", required_argument, NULL, OPT_SEED},
        {"neg-per-pos", required_argument, NULL, OPT_NPP}, {"pos-weight", required_argument, NULL, OPT_PW},
        {"patience", required_argument, NULL, OPT_PAT}, {"monitor", required_argument, NULL, OPT_MON},
        {"threads", required_argument, NULL, OPT_THREADS}, {"backend", required_argument, NULL, OPT_BACKEND},
        {"resume", no_argument, NULL, OPT_RESUME}, {"no-figure", no_argument, NULL, OPT_NOFIG},
        {"no-augment", no_argument, NULL, OPT_NOAUG}, {"soft-labels", required_argument, NULL, OPT_SOFT},
        {"hard-labels", no_argument, NULL, OPT_HARD},     {"augment-rotations", no_argument, NULL, OPT_AUGROT},
        {"init-model", required_argument, NULL, OPT_INIT},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    sb_train_options o = sb_train_options_default();
    double hw = -1, sigma = -1, v;
    long grid = -1, l;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': o.model_path = optarg; break;
        case OPT_SDM: {
            const int k = sb_sdm_kind_from_name(optarg);
            if (k < 0) return cli_usage_error("train", "--sdm %s: use proj_xy, proj_3 or grid3d", optarg);
            o.sdm = sb_fertile_default_sdm((sb_sdm_kind)k);
            break;
        }
        case OPT_HW:
            if (!cli_parse_double(optarg, &hw) || !(hw > 0)) return cli_usage_error("train", "--half-width %s", optarg);
            break;
        case OPT_GRID:
            if (!cli_parse_long(optarg, &grid) || grid < 2) return cli_usage_error("train", "--grid %s", optarg);
            break;
        case OPT_SIGMA:
            if (!cli_parse_double(optarg, &sigma) || !(sigma > 0)) return cli_usage_error("train", "--sigma %s", optarg);
            break;
        case OPT_ARCH: o.arch = optarg; break;
        case OPT_EPOCHS:
            if (!cli_parse_long(optarg, &l) || l < 1) return cli_usage_error("train", "--epochs %s", optarg);
            o.epochs = (int)l;
            break;
        case OPT_BATCH:
            if (!cli_parse_long(optarg, &l) || l < 1 || l > 65536) return cli_usage_error("train", "--batch %s", optarg);
            o.batch = (int)l;
            break;
        case OPT_LR:
            if (!cli_parse_double(optarg, &v) || !(v > 0)) return cli_usage_error("train", "--lr %s", optarg);
            o.lr = (float)v;
            break;
        case OPT_SEED:
            if (!cli_parse_long(optarg, &l) || l < 0) return cli_usage_error("train", "--seed %s", optarg);
            o.seed = (uint64_t)l;
            break;
        case OPT_NPP:
            if (!cli_parse_double(optarg, &o.neg_per_pos) || o.neg_per_pos < 0)
                return cli_usage_error("train", "--neg-per-pos %s", optarg);
            break;
        case OPT_PW:
            if (!cli_parse_double(optarg, &v) || !(v > 0)) return cli_usage_error("train", "--pos-weight %s", optarg);
            o.pos_weight = (float)v;
            o.pos_weight_auto = false;
            break;
        case OPT_SOFT:
            if (!cli_parse_double(optarg, &o.soft_tau) || !(o.soft_tau > 0))
                return cli_usage_error("train", "--soft-labels %s: a width > 0", optarg);
            break;
        case OPT_HARD: o.soft_tau = 0; break;
        case OPT_PAT:
            if (!cli_parse_long(optarg, &l) || l < 0) return cli_usage_error("train", "--patience %s", optarg);
            o.patience = (int)l;
            break;
        case OPT_MON:
            if (!strcmp(optarg, "loss")) o.monitor_loss = true;
            else if (!strcmp(optarg, "pr_auc")) o.monitor_loss = false;
            else return cli_usage_error("train", "--monitor %s: use pr_auc or loss", optarg);
            break;
        case OPT_THREADS:
            if (!cli_parse_long(optarg, &l) || l < 1) return cli_usage_error("train", "--threads %s", optarg);
            o.threads = (int)l;
            break;
        case OPT_BACKEND: o.backend = optarg; break;
        case OPT_RESUME: o.resume = true; break;
        case OPT_NOFIG: o.figure = false; break;
        case OPT_NOAUG: o.augment = false; break;
        case OPT_AUGROT: o.augment_rotations = true; break;
        case OPT_INIT: o.init_model = optarg; break;
        case 'h': fputs(usage, stdout); return CLI_OK;
        default: return cli_bad_option("train");
        }
    }
    if (hw > 0) o.sdm.half_width = hw;
    if (grid > 0) o.sdm.grid = (int)grid;
    if (sigma > 0) o.sdm.sigma = sigma;
    sb_dataset d = SB_DATASET_INIT;
    const int rc = cli_train_inputs("train", argc - optind, argv + optind, o.model_path, &d);
    if (rc != CLI_OK) return rc;
    o.progress = cli_is_tty(2);
    o.argc = argc;
    o.argv = argv;
    sb_error err;
    sb_train_result r;
    const sb_status st = sb_fertile_train(&d, &o, &r, &err);
    sb_dataset_free(&d);
    if (st != SB_OK) return cli_fail(&err);
    printf("%s: best epoch %d of %d; ", o.model_path, r.best_epoch, r.epochs_run);
    cli_print_heldout(&r.val, &r.test);
    printf("%.0f train maps/s, %.1f s\n", r.maps_per_second, r.seconds);
    return CLI_OK;
}
