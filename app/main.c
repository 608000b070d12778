/*
 * shearband: command-line entry point. Dispatches to one command per app/cmd_*.c.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "shearband/version.h"

static const cli_command commands[] = {
    {"info", "atom count, species, cell, volume and density of a structure file", cmd_info},
    {"quench", "make a Cu-Zr glass by melt-quench MD (LAMMPS)", cmd_quench},
    {"shear", "athermal quasistatic simple shear of a glass (LAMMPS)", cmd_shear},
    {"ensemble", "shear one glass many times (shuffles, orientations): band statistics (LAMMPS, MPI)", cmd_ensemble},
    {"d2min", "per-atom D2min, von Mises shear strain and fit flag between two frames", cmd_d2min},
    {"band", "locate the shear band from D2min (slab profiles along X and Y)", cmd_band},
    {"label", "fertile-site labels (top D2min at the training strain) from shear runs", cmd_label},
    {"dataset", "dataset manifest (cases, split by sample) from label files", cmd_dataset},
    {"train", "train the fertile-site CNN on spatial density maps", cmd_train},
    {"train-gnn", "train the fertile-site graph network (Bapst et al.) on the same manifest", cmd_train_gnn},
    {"train-svm", "train the linear-SVM softness (Cubuk et al.) on the same manifest", cmd_train_svm},
    {"fertile", "per-atom fertile-site probability of a glass with a trained CNN", cmd_fertile},
    {"indicators", "per-atom structural indicators (vflex, FFB, rho...) and their predicted band", cmd_indicators},
    {"survey", "gamma of each indicator over glasses x orientations (Fig. 3)", cmd_survey},
    {"predict", "predicted band, DFS profiles, Delta and brittle/ductile verdict of one glass", cmd_predict},
    {"brittleness", "T_q sweep: Delta vs T_q, verification shears, threshold calibration (Fig. 5)", cmd_brittleness},
};
static const size_t ncommands = sizeof commands / sizeof commands[0];

static void print_help(void)
{
    printf("usage: shearband [--version] [--help] COMMAND [ARGS]\n\n"
           "Predict where a shear band initiates in a metallic glass, and whether the glass is\n"
           "brittle or ductile, from its undeformed atomic structure; run the simulations that\n"
           "check the prediction.\n\ncommands:\n");
    for (size_t c = 0; c < ncommands; c++) printf("  %-12s %s\n", commands[c].name, commands[c].summary);
    printf("\n'shearband COMMAND --help' describes a command.\n");
}

static void print_version(void)
{
    printf("shearband %s (commit %s)\n", sb_version(), sb_git_commit());
    printf("compiler: %s\nbuild: %s\nfeatures: %s\n", sb_compiler(), sb_build_type(), sb_features());
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_help();
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        print_help();
        return CLI_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        print_version();
        return CLI_OK;
    }
    for (size_t c = 0; c < ncommands; c++)
        if (!strcmp(argv[1], commands[c].name)) return commands[c].run(argc - 1, argv + 1);
    fprintf(stderr, "shearband: unknown command '%s' (see 'shearband --help')\n", argv[1]);
    return CLI_USAGE;
}
