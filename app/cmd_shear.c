/* shearband shear: AQS simple shear of a glass (library: shearband/shear.h). */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "shearband/io.h"
#include "shearband/orientation.h"
#include "shearband/shear.h"

static const char usage[] =
    "usage: shearband shear GLASS -d RUNDIR [options]\n"
    "       shearband shear --list-orientations\n\n"
    "Athermal quasistatic simple shear in xy: each step tilts the box by --step (affine\n"
    "remap) and minimises the energy at fixed box. The glass (orthogonal cell, element\n"
    "names in its Masses) is first rotated by --orientation and, with --shuffle, its atoms\n"
    "re-ordered. RUNDIR receives stress_strain.csv (strain, shear stress GPa, energy\n"
    "eV/atom, minimiser iterations, force evaluations), reference.dump, a snapshot\n"
    "strain_S.dump (original ids, per-atom d2min and shear_strain) and strain_S.json (band\n"
    "location) per saved strain, shear.json (provenance and summary) and checkpoints.\n\n"
    "  -d, --run-dir DIR         output and checkpoint directory (required)\n"
    "  -k, --orientation K       loading orientation 0..23 (0 = identity)\n"
    "      --list-orientations   print the 24 orientations and exit\n"
    "      --shuffle SEED        re-order the atoms with this seed\n"
    "      --step D              strain increment (1e-4; 1e-3 for quick runs)\n"
    "      --max-strain G        final strain (0.20)\n"
    "      --minimizer cg|fire|lbfgs  (lbfgs: the engine's own, no line search, serial;\n"
    "                            cg: LAMMPS's)\n"
    "      --ftol F              force tolerance eV/A (1e-8)\n"
    "      --maxiter N           minimiser iterations per step (10000)\n"
    "      --save S1,S2,...      strains to snapshot (0.10,0.20)\n"
    "      --d2min-cutoff R      D2min neighbour cutoff A (5.0; 0 = no D2min)\n"
    "      --potential FILE      EAM file (/usr/share/lammps/potentials/CuZr_mm.eam.fs)\n"
    "      --pair-style STYLE    eam/fs or eam/alloy\n"
    "      --linesearch L        CG line search: forcezero, quadratic (LAMMPS's default) or\n"
    "                            backtrack (forcezero); with --minimizer cg only\n"
    "      --extrapolate A       start each minimisation from the affine move plus A times the\n"
    "                            previous step's non-affine displacement (0 = affine only;\n"
    "                            --minimizer cg --linesearch quadratic --extrapolate 0 = the\n"
    "                            standard recipe)\n"
    "      --timestep T          ps; FIRE's initial step, tmax times it the largest (0.001)\n"
    "      --min-modify \"KEYS\"   extra LAMMPS min_modify keywords (e.g. \"line forcezero\")\n"
    "      --checkpoint-every N  steps between checkpoints (100)\n"
    "      --resume              continue the run in RUNDIR\n"
    "      --max-steps N         stop after about N steps (at a checkpoint); resume later\n"
    "  -v, --verbose             LAMMPS screen output\n"
    "  -h, --help                this text\n";

static void list_orientations(void)
{
    printf("%-3s %-26s %-10s %-10s %-10s %s\n", "K", "rotation R (rows)", "X (shear)", "Y (normal)",
           "Z", "partner");
    for (int k = 0; k < SB_NUM_ORIENTATIONS; k++) {
        sb_orientation o;
        sb_orientation_get(k, &o, NULL);
        char m[64], ax[3][4];
        snprintf(m, sizeof m, "[%2d %2d %2d|%2d %2d %2d|%2d %2d %2d]", o.R[0][0], o.R[0][1], o.R[0][2],
                 o.R[1][0], o.R[1][1], o.R[1][2], o.R[2][0], o.R[2][1], o.R[2][2]);
        for (int a = 0; a < 3; a++) sb_orientation_axis_name(&o, a, ax[a]);
        printf("%-3d %-26s %-10s %-10s %-10s %d\n", k, m, ax[0], ax[1], ax[2], sb_orientation_partner(k));
    }
    printf("\nX, Y, Z name the sample axis (of the input glass) that becomes the shear direction,\n"
           "the shear-plane normal and the third axis. K and its partner give the same loading\n"
           "up to a 180-degree turn about Z ((n, s) -> (-n, -s)): they differ only by numerical\n"
           "noise, sometimes none before the yield point (bench/README-aqs.md); --shuffle SEED\n"
           "re-orders the atoms to expose it.\n");
}

enum { OPT_LIST = 256, OPT_SHUFFLE, OPT_RESUME, OPT_MAX_STEPS };

int cmd_shear(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"run-dir", required_argument, NULL, 'd'},
        {"orientation", required_argument, NULL, 'k'},
        {"list-orientations", no_argument, NULL, OPT_LIST},
        {"shuffle", required_argument, NULL, OPT_SHUFFLE},
        CLI_SHEAR_RECIPE_LONGOPTS,
        CLI_SHEAR_EXTENT_LONGOPTS,
        {"resume", no_argument, NULL, OPT_RESUME},
        {"max-steps", required_argument, NULL, OPT_MAX_STEPS},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    sb_shear_options o = sb_shear_options_default();
    long l;
    int c;
    cli_shear_parse sp = {0};
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:k:vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': o.run_dir = optarg; break;
        case 'k':
            if (!cli_parse_long(optarg, &l) || l < 0 || l >= SB_NUM_ORIENTATIONS)
                return cli_usage_error("shear", "--orientation %s: use 0..23", optarg);
            o.orientation = (int)l;
            break;
        case OPT_LIST: list_orientations(); return CLI_OK;
        case OPT_SHUFFLE:
            if (!cli_parse_long(optarg, &l) || l < 0) return cli_usage_error("shear", "--shuffle %s", optarg);
            o.shuffle = true;
            o.shuffle_seed = (uint64_t)l;
            break;
        case OPT_RESUME: o.resume = true; break;
        case OPT_MAX_STEPS:
            if (!cli_parse_long(optarg, &l) || l < 1) return cli_usage_error("shear", "--max-steps %s", optarg);
            o.max_steps = l;
            break;
        case 'v': o.verbose = true; break;
        case 'h': fputs(usage, stdout); return CLI_OK;
        default: {
            const int r = cli_shear_option("shear", c, optarg, &o, &sp);
            if (r != CLI_OK) return r;
        }
        }
    }
    if (optind != argc - 1) return cli_usage_error("shear", "expected exactly one GLASS file");
    if (cli_shear_check("shear", &o, &sp) != CLI_OK) return CLI_USAGE;
    if (!o.run_dir) return cli_usage_error("shear", "-d RUNDIR is required");
    o.progress = cli_is_tty(STDERR_FILENO) && !o.verbose;
    o.argc = argc;
    o.argv = argv;

    sb_error err;
    sb_error_clear(&err);
    sb_structure glass = SB_STRUCTURE_INIT;
    if (sb_read_structure(argv[optind], &glass, &err) != SB_OK) return cli_fail(&err);
    sb_shear_result r;
    const sb_status st = sb_shear(&glass, &o, &r, &err);
    sb_structure_free(&glass);
    if (st != SB_OK) return cli_fail(&err);
    if (r.already_done) {
        printf("%s: already finished; nothing to do\n", o.run_dir);
        return CLI_OK;
    }
    printf("%s: %lld steps to strain %.4f; stress %.4f GPa (peak %.4f GPa at %.4f), G = %.2f GPa\n",
           o.run_dir, (long long)r.steps, r.final_strain, r.final_stress, r.peak_stress,
           r.peak_strain, r.shear_modulus);
    printf("this run: %lld steps in %.1f s (%.3f s/step), %llu force evaluations, %lld minimiser "
           "iterations; LAMMPS %s\n",
           (long long)r.steps_run, r.seconds, r.seconds_per_step, (unsigned long long)r.force_evals,
           (long long)r.min_iterations, r.lammps_version);
    return CLI_OK;
}
