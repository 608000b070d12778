/* shearband dataset: build a dataset manifest from label files (shearband/dataset.h). */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "shearband/dataset.h"
#include "shearband/fileutil.h"

static const char usage[] =
    "usage: shearband dataset make LABELS_OR_RUN_DIR... -o MANIFEST [options]\n"
    "       shearband dataset show MANIFEST\n\n"
    "make: a manifest (docs/dataset.md) listing each case (sample, glass, orientation, label\n"
    "file, split). It references the glasses and label files, never copies them. Samples\n"
    "(distinct glasses) are split into test, val and train deterministically from --seed;\n"
    "every case of a sample gets the sample's split. A run directory stands for its label\n"
    "file of the default name (see 'shearband label').\n\n"
    "  -o, --output FILE      manifest to write\n"
    "      --val F            fraction of samples for validation (0.2)\n"
    "      --test F           fraction of samples for test (0.2)\n"
    "      --seed S           split seed (1)\n"
    "      --val-samples A,B  these samples are validation, --test-samples C,D test, the\n"
    "      --test-samples C,D rest train (instead of --val/--test fractions)\n"
    "      --strain S, --f-thres F  which label files a RUN_DIR stands for (0.10, 0.05)\n"
    "      --split-by-case    split cases (orientations), not samples: for smoke tests with one\n"
    "                         glass only; the same structure is then in train and test\n"
    "  -h, --help             this text\n";

enum { OPT_VAL = 256, OPT_TEST, OPT_SEED, OPT_STRAIN, OPT_FTHRES, OPT_BYCASE, OPT_VALS, OPT_TESTS };

static int dataset_show(const char *path)
{
    sb_dataset d = SB_DATASET_INIT;
    sb_error err;
    if (sb_dataset_read(path, &d, &err) != SB_OK) return cli_fail(&err);
    size_t count[3] = {0};
    for (size_t i = 0; i < d.n; i++) {
        count[d.cases[i].split]++;
        printf("%-12s %-5s k=%2d  %s  %s\n", d.cases[i].sample, sb_split_name(d.cases[i].split),
               d.cases[i].orientation, d.cases[i].glass, d.cases[i].labels);
    }
    printf("%zu cases: %zu train, %zu val, %zu test\n", d.n, count[0], count[1], count[2]);
    sb_dataset_free(&d);
    return CLI_OK;
}

int cmd_dataset(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(usage, stdout);
        return CLI_OK;
    }
    if (argc == 3 && !strcmp(argv[1], "show")) return dataset_show(argv[2]);
    if (argc < 2 || strcmp(argv[1], "make") != 0)
        return cli_usage_error("dataset", "use 'dataset make ...' or 'dataset show MANIFEST'");
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'}, {"val", required_argument, NULL, OPT_VAL},
        {"test", required_argument, NULL, OPT_TEST}, {"seed", required_argument, NULL, OPT_SEED},
        {"strain", required_argument, NULL, OPT_STRAIN}, {"f-thres", required_argument, NULL, OPT_FTHRES},
        {"split-by-case", no_argument, NULL, OPT_BYCASE}, {"help", no_argument, NULL, 'h'},
        {"val-samples", required_argument, NULL, OPT_VALS}, {"test-samples", required_argument, NULL, OPT_TESTS},
        {NULL, 0, NULL, 0}};
    sb_dataset_make_options o = sb_dataset_make_options_default();
    sb_label_options lo = sb_label_options_default();
    const char *output = NULL;
    long l;
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case OPT_VAL:
            if (!cli_parse_double(optarg, &o.val_fraction)) return cli_usage_error("dataset", "--val %s", optarg);
            break;
        case OPT_TEST:
            if (!cli_parse_double(optarg, &o.test_fraction)) return cli_usage_error("dataset", "--test %s", optarg);
            break;
        case OPT_SEED:
            if (!cli_parse_long(optarg, &l) || l < 0) return cli_usage_error("dataset", "--seed %s", optarg);
            o.seed = (uint64_t)l;
            break;
        case OPT_STRAIN:
            if (!cli_parse_double(optarg, &lo.strain)) return cli_usage_error("dataset", "--strain %s", optarg);
            break;
        case OPT_FTHRES:
            if (!cli_parse_double(optarg, &lo.f_thres)) return cli_usage_error("dataset", "--f-thres %s", optarg);
            break;
        case OPT_BYCASE: o.split_by_case = true; break;
        case OPT_VALS: o.val_samples = optarg; break;
        case OPT_TESTS: o.test_samples = optarg; break;
        case 'h': fputs(usage, stdout); return CLI_OK;
        default: return cli_bad_option("dataset");
        }
    }
    if (!output) return cli_usage_error("dataset", "-o MANIFEST is required");
    const int n = argc - optind;
    if (n < 1) return cli_usage_error("dataset", "give label files or run directories");
    char (*paths)[SB_PATH_MAX] = calloc((size_t)n, sizeof *paths);
    const char **files = calloc((size_t)n, sizeof *files);
    sb_error err;
    int rc = CLI_OK;
    if (!paths || !files) {
        sb_error_set(&err, SB_ERR_NOMEM, "out of memory");
        rc = cli_fail(&err);
    }
    for (int i = 0; rc == CLI_OK && i < n; i++) {
        const char *arg = argv[optind + i];
        char name[64], cand[SB_PATH_MAX];
        sb_labels_default_name(&lo, name, sizeof name);
        if (sb_path_join(cand, sizeof cand, arg, name, NULL) == SB_OK && sb_file_exists(cand))
            snprintf(paths[i], SB_PATH_MAX, "%s", cand);
        else
            snprintf(paths[i], SB_PATH_MAX, "%s", arg);
        files[i] = paths[i];
    }
    sb_dataset d = SB_DATASET_INIT;
    if (rc == CLI_OK && (sb_dataset_make(files, (size_t)n, &o, &d, &err) != SB_OK ||
                         sb_dataset_write(output, &d, argc, argv, &err) != SB_OK))
        rc = cli_fail(&err);
    if (rc == CLI_OK) {
        size_t count[3] = {0};
        for (size_t i = 0; i < d.n; i++) count[d.cases[i].split]++;
        printf("%s: %zu cases: %zu train, %zu val, %zu test\n", output, d.n, count[0], count[1], count[2]);
    }
    sb_dataset_free(&d);
    free(paths);
    free(files);
    return rc;
}
