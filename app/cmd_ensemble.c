/* shearband ensemble: many shear runs of one glass (library: shearband/ensemble.h). */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "shearband/engine.h"
#include "shearband/ensemble.h"
#include "shearband/io.h"
#include "shearband/orientation.h"

static const char usage[] =
    "usage: shearband ensemble GLASS -d DIR [--shuffles N | --seeds S1,S2,...]\n"
    "                          [--orientations K1,K2,...|all] [options]\n"
    "       mpirun -np P shearband ensemble ... [--ranks-per-run R]\n\n"
    "Shear ONE glass many times (the paper's Fig. 2): with re-shuffled atom orders and/or\n"
    "under several loading orientations. Run (K, SEED) is a normal shear run in\n"
    "DIR/runs/KK_SEED (KK_none without shuffling). Re-running the same command completes\n"
    "only what is missing: finished runs are never redone, interrupted ones resume. DIR\n"
    "receives ensemble.csv (one row per run: band axis, signed centre, z, concentration,\n"
    "yield stress and the strain at it), band_histogram.csv (signed axis: vertical bands\n"
    "< 0, horizontal > 0), ensemble.json (provenance) and ensemble_bands.png/.svg.\n"
    "Serially the runs go one after the other (each in a forked LAMMPS job). Under mpirun\n"
    "the ranks form P/R partitions that shear different runs at the same time.\n\n"
    "  -d, --dir DIR             ensemble directory (required)\n"
    "      --shuffles N          N shuffled atom orders, seeds 1..N\n"
    "      --seeds S1,S2,...     explicit shuffle seeds (instead of --shuffles)\n"
    "      --orientations LIST   loading orientations, e.g. 0,3,5 or all (0)\n"
    "      --ranks-per-run R     MPI ranks per run under mpirun (1)\n"
    "      --band-strain S       snapshot that locates the band (largest --save)\n"
    "      --f-top F             highly deformed fraction for the band (0.01)\n"
    "      --slab-width W        band slab width A (19)\n"
    "      --bin-width B         histogram bin A (2)\n"
    "      --dfs FILE.csv        DFS profile to overlay: signed_position,dfs[,axis]\n"
    "      --no-figure           no PNG/SVG\n"
    "      --summarize           only re-read the run directories and rewrite the summary\n"
    "  shear options, as for 'shearband shear' (applied to every run):\n"
    "      --step D --max-strain G --minimizer cg|fire|lbfgs --ftol F --maxiter N\n"
    "      --save S1,S2,... --d2min-cutoff R --potential FILE --pair-style STYLE\n"
    "      --checkpoint-every N --linesearch L --extrapolate A --timestep T --min-modify KEYS\n"
    "  -h, --help                this text\n";

enum {
    OPT_SHUFFLES = 256, OPT_SEEDS, OPT_ORIENT, OPT_RPR, OPT_BAND_STRAIN, OPT_FTOP, OPT_SLAB,
    OPT_BIN, OPT_DFS, OPT_NOFIG, OPT_SUMMARIZE,
};

/* Comma-separated non-negative integers into out (at most max); false on a bad token. */
static bool parse_list(const char *s, long *out, size_t max, size_t *n)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", s);
    *n = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        long v;
        if (*n >= max || !cli_parse_long(tok, &v) || v < 0) return false;
        out[(*n)++] = v;
    }
    return *n > 0;
}

/* Per orientation with two or more complete runs: how many different paths they took. With
 * converged minima re-shuffled orders repeat one path; say so, and what samples the noise. */
static void report_paths(const sb_ensemble_result *r, const sb_ensemble_options *o)
{
    bool any = false, all_one = true;
    for (int k = 0; k < SB_NUM_ORIENTATIONS; k++) {
        size_t n = 0;
        const size_t d = sb_ensemble_distinct_paths(r, k, &n);
        if (n < 2) continue;
        if (!any) printf("AQS paths (yield to 1e-4 GPa, band to 1 A):");
        printf(" orientation %d: %zu of %zu runs;", k, d, n);
        any = true;
        all_one = all_one && d == 1;
    }
    if (!any) return;
    putchar('\n');
    const bool loose = o->shear.minimizer == SB_MIN_CG && o->shear.linesearch == SB_LINE_FORCEZERO;
    if (all_one && !loose)
        printf("Every re-shuffled order repeated one path: converged minima do not depend on the atom "
               "order. To sample the numerical stochasticity use looser minima, e.g. --minimizer cg "
               "--linesearch forcezero --extrapolate 1 (docs/ensemble.md).\n");
}

int cmd_ensemble(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"dir", required_argument, NULL, 'd'},
        {"shuffles", required_argument, NULL, OPT_SHUFFLES},
        {"seeds", required_argument, NULL, OPT_SEEDS},
        {"orientations", required_argument, NULL, OPT_ORIENT},
        {"ranks-per-run", required_argument, NULL, OPT_RPR},
        {"band-strain", required_argument, NULL, OPT_BAND_STRAIN},
        {"f-top", required_argument, NULL, OPT_FTOP},
        {"slab-width", required_argument, NULL, OPT_SLAB},
        {"bin-width", required_argument, NULL, OPT_BIN},
        {"dfs", required_argument, NULL, OPT_DFS},
        {"no-figure", no_argument, NULL, OPT_NOFIG},
        {"summarize", no_argument, NULL, OPT_SUMMARIZE},
        CLI_SHEAR_RECIPE_LONGOPTS,
        CLI_SHEAR_EXTENT_LONGOPTS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    sb_ensemble_options o = sb_ensemble_options_default();
    sb_shear_options *so = &o.shear;
    static uint64_t seeds[100000];
    static long list[100000];
    size_t nlist = 0;
    long shuffles = 0, l;
    bool summarize = false;
    int c;
    cli_shear_parse sp = {0};
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': o.dir = optarg; break;
        case OPT_SHUFFLES:
            if (!cli_parse_long(optarg, &shuffles) || shuffles < 1 || shuffles > 100000)
                return cli_usage_error("ensemble", "--shuffles %s: use 1..100000", optarg);
            o.nseeds = (size_t)shuffles;
            for (long k = 0; k < shuffles; k++) seeds[k] = (uint64_t)k + 1;
            break;
        case OPT_SEEDS:
            if (!parse_list(optarg, list, sizeof list / sizeof list[0], &nlist))
                return cli_usage_error("ensemble", "--seeds %s: comma-separated integers >= 0", optarg);
            o.nseeds = nlist;
            for (size_t k = 0; k < nlist; k++) seeds[k] = (uint64_t)list[k];
            break;
        case OPT_ORIENT:
            if (!strcmp(optarg, "all")) {
                o.norientations = SB_NUM_ORIENTATIONS;
                for (int k = 0; k < SB_NUM_ORIENTATIONS; k++) o.orientations[k] = k;
                break;
            }
            if (!parse_list(optarg, list, SB_ENSEMBLE_MAX_ORIENTATIONS, &nlist))
                return cli_usage_error("ensemble", "--orientations %s: e.g. 0,3,5 or all", optarg);
            o.norientations = (int)nlist;
            for (size_t k = 0; k < nlist; k++) {
                if (list[k] >= SB_NUM_ORIENTATIONS)
                    return cli_usage_error("ensemble", "--orientations: %ld is not in 0..23", list[k]);
                o.orientations[k] = (int)list[k];
            }
            break;
        case OPT_RPR:
            if (!cli_parse_long(optarg, &l) || l < 1 || l > 1000000)
                return cli_usage_error("ensemble", "--ranks-per-run %s", optarg);
            o.ranks_per_run = (int)l;
            break;
        case OPT_BAND_STRAIN:
            if (!cli_parse_double(optarg, &o.band_strain) || o.band_strain <= 0)
                return cli_usage_error("ensemble", "--band-strain %s", optarg);
            break;
        case OPT_FTOP:
            if (!cli_parse_double(optarg, &o.band.f_top)) return cli_usage_error("ensemble", "--f-top %s", optarg);
            break;
        case OPT_SLAB:
            if (!cli_parse_double(optarg, &o.band.width)) return cli_usage_error("ensemble", "--slab-width %s", optarg);
            break;
        case OPT_BIN:
            if (!cli_parse_double(optarg, &o.bin_width)) return cli_usage_error("ensemble", "--bin-width %s", optarg);
            break;
        case OPT_DFS: o.dfs_csv = optarg; break;
        case OPT_NOFIG: o.figure = false; break;
        case OPT_SUMMARIZE: summarize = true; break;
        case 'h': fputs(usage, stdout); return CLI_OK;
        default: {
            const int r = cli_shear_option("ensemble", c, optarg, so, &sp);
            if (r != CLI_OK) return r;
        }
        }
    }
    if (optind != argc - 1) return cli_usage_error("ensemble", "expected exactly one GLASS file");
    if (cli_shear_check("ensemble", so, &sp) != CLI_OK) return CLI_USAGE;
    if (!o.dir) return cli_usage_error("ensemble", "-d DIR is required");
    o.seeds = seeds;
    o.argc = argc;
    o.argv = argv;
    o.progress = true;

    sb_error err;
    sb_error_clear(&err);
    sb_ensemble_result r = SB_ENSEMBLE_RESULT_INIT;
    sb_status st;
    if (summarize) {
        st = sb_ensemble_summarize(&o, &r, &err);
    } else {
        sb_structure glass = SB_STRUCTURE_INIT;
        st = sb_read_structure(argv[optind], &glass, &err);
        if (st == SB_OK) st = sb_ensemble_run(&glass, &o, &r, &err);
        sb_structure_free(&glass);
    }
    const bool root = r.world_rank == 0;
    /* The summary line only when a summary was written. */
    if (root && r.runs && (st == SB_OK || r.nfailed > 0))
        printf("%s: %zu runs (%zu sheared now, %zu failed or unfinished): %zu horizontal, %zu "
               "vertical, %zu no band; %d MPI rank(s) in %d partition(s)\n",
               o.dir, r.nruns, r.nran, r.nfailed, r.nhorizontal, r.nvertical, r.nnoband,
               r.world_size, r.npartitions);
    if (root && r.runs && (st == SB_OK || r.nfailed > 0)) report_paths(&r, &o);
    sb_ensemble_result_free(&r);
    sb_engine_finalize_mpi();
    if (st != SB_OK) return root ? cli_fail(&err) : CLI_FAIL;
    return CLI_OK;
}
