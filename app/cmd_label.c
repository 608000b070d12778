/* shearband label: fertile-site labels from shear runs (library: shearband/dataset.h). */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "shearband/dataset.h"
#include "shearband/fileutil.h"

static const char usage[] =
    "usage: shearband label RUN_DIR... [options]\n\n"
    "Label the atoms of each shear run: the top --f-thres of D2min at the training strain\n"
    "(snapshot strain_S.dump of the run; ties broken by lower atom id) are the positives.\n"
    "Writes RUN_DIR/labels_sS_fF.txt (atomically): provenance, glass fingerprint, orientation,\n"
    "the ids of the positives, then every atom's D2min (for soft targets, train\n"
    "--soft-labels; format: docs/dataset.md). The glass is found among the words of the\n"
    "shear command line (shear.json) and accepted only if its fingerprint\n"
    "matches shear.params; give it with --glass when the run was made from another folder.\n\n"
    "      --strain S     training strain (0.10)\n"
    "      --f-thres F    fraction of positives (0.05)\n"
    "      --glass FILE   the unsheared glass of every RUN_DIR given\n"
    "  -o, --output FILE  label file (only with one RUN_DIR)\n"
    "  -h, --help         this text\n";

enum { OPT_STRAIN = 256, OPT_FTHRES, OPT_GLASS };

int cmd_label(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"strain", required_argument, NULL, OPT_STRAIN}, {"f-thres", required_argument, NULL, OPT_FTHRES},
        {"glass", required_argument, NULL, OPT_GLASS},   {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},                {NULL, 0, NULL, 0}};
    sb_label_options o = sb_label_options_default();
    const char *glass = NULL, *output = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_STRAIN:
            if (!cli_parse_double(optarg, &o.strain) || !(o.strain > 0))
                return cli_usage_error("label", "--strain %s", optarg);
            break;
        case OPT_FTHRES:
            if (!cli_parse_double(optarg, &o.f_thres) || !(o.f_thres > 0 && o.f_thres < 1))
                return cli_usage_error("label", "--f-thres %s: use (0, 1)", optarg);
            break;
        case OPT_GLASS: glass = optarg; break;
        case 'o': output = optarg; break;
        case 'h': fputs(usage, stdout); return CLI_OK;
        default: return cli_bad_option("label");
        }
    }
    if (optind >= argc) return cli_usage_error("label", "give at least one RUN_DIR");
    if (output && argc - optind > 1) return cli_usage_error("label", "-o needs exactly one RUN_DIR");
    sb_error err;
    sb_labels l = SB_LABELS_INIT;
    for (int a = optind; a < argc; a++) {
        char name[64], path[SB_PATH_MAX];
        sb_labels_default_name(&o, name, sizeof name);
        if (sb_labels_make(argv[a], glass, &o, &l, &err) != SB_OK ||
            (!output && sb_path_join(path, sizeof path, argv[a], name, &err) != SB_OK) ||
            sb_labels_write(output ? output : path, &l, argc, argv, &err) != SB_OK) {
            sb_labels_free(&l);
            return cli_fail(&err);
        }
        printf("%s: %zu of %zu atoms positive (D2min >= %.4g A^2), orientation %d, glass %s\n",
               output ? output : path, l.n_pos, l.n_atoms, l.d2min_threshold, l.orientation, l.glass);
    }
    sb_labels_free(&l);
    return CLI_OK;
}
