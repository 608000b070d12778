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

enum {
    OPT_LIST = 256, OPT_SHUFFLE, OPT_STEP, OPT_MAX_STRAIN, OPT_MIN, OPT_FTOL, OPT_MAXITER, OPT_SAVE,
    OPT_D2MIN, OPT_POTENTIAL, OPT_PAIR, OPT_CKPT, OPT_RESUME, OPT_MAX_STEPS,
    OPT_EXTRAP, OPT_TIMESTEP, OPT_MINMOD, OPT_LINE,
};

int cmd_shear(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"run-dir", required_argument, NULL, 'd'},
        {"orientation", required_argument, NULL, 'k'},
        {"list-orientations", no_argument, NULL, OPT_LIST},
        {"shuffle", required_argument, NULL, OPT_SHUFFLE},
        {"step", required_argument, NULL, OPT_STEP},
        {"max-strain", required_argument, NULL, OPT_MAX_STRAIN},
        {"minimizer", required_argument, NULL, OPT_MIN},
        {"ftol", required_argument, NULL, OPT_FTOL},
        {"maxiter", required_argument, NULL, OPT_MAXITER},
        {"save", required_argument, NULL, OPT_SAVE},
        {"d2min-cutoff", required_argument, NULL, OPT_D2MIN},
        {"potential", required_argument, NULL, OPT_POTENTIAL},
        {"pair-style", required_argument, NULL, OPT_PAIR},
        {"checkpoint-every", required_argument, NULL, OPT_CKPT},
        {"extrapolate", required_argument, NULL, OPT_EXTRAP},
        {"timestep", required_argument, NULL, OPT_TIMESTEP},
        {"min-modify", required_argument, NULL, OPT_MINMOD},
        {"linesearch", required_argument, NULL, OPT_LINE},
        {"resume", no_argument, NULL, OPT_RESUME},
        {"max-steps", required_argument, NULL, OPT_MAX_STEPS},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    sb_shear_options o = sb_shear_options_default();
    long l;
    int c;
    bool linesearch_given = false;
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
        case OPT_STEP:
            if (!cli_parse_double(optarg, &o.step)) return cli_usage_error("shear", "--step %s", optarg);
            break;
        case OPT_MAX_STRAIN:
            if (!cli_parse_double(optarg, &o.max_strain))
                return cli_usage_error("shear", "--max-strain %s", optarg);
            break;
        case OPT_MIN:
            if (!sb_minimizer_parse(optarg, &o.minimizer))
                return cli_usage_error("shear", "--minimizer %s: use cg, fire or lbfgs", optarg);
            break;
        case OPT_FTOL:
            if (!cli_parse_double(optarg, &o.ftol)) return cli_usage_error("shear", "--ftol %s", optarg);
            break;
        case OPT_MAXITER:
            if (!cli_parse_long(optarg, &l) || l < 1 || l > 100000000)
                return cli_usage_error("shear", "--maxiter %s", optarg);
            o.maxiter = (int)l;
            o.maxeval = l > 10000000 ? 100000000 : (int)(10 * l);
            break;
        case OPT_SAVE: {
            char buf[1024];
            snprintf(buf, sizeof buf, "%s", optarg);
            o.nsave = 0;
            for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
                if (o.nsave >= SB_SHEAR_MAX_SAVES || !cli_parse_double(tok, &o.save[o.nsave]))
                    return cli_usage_error("shear", "--save %s", optarg);
                o.nsave++;
            }
            break;
        }
        case OPT_D2MIN:
            if (!cli_parse_double(optarg, &o.d2min_cutoff)) return cli_usage_error("shear", "--d2min-cutoff %s", optarg);
            break;
        case OPT_POTENTIAL: o.potential = optarg; break;
        case OPT_PAIR: o.pair_style = optarg; break;
        case OPT_CKPT:
            if (!cli_parse_long(optarg, &l) || l < 1 || l > 1000000000)
                return cli_usage_error("shear", "--checkpoint-every %s", optarg);
            o.checkpoint_every = (int)l;
            break;
        case OPT_TIMESTEP:
            if (!cli_parse_double(optarg, &o.timestep))
                return cli_usage_error("shear", "--timestep %s", optarg);
            break;
        case OPT_LINE:
            if (!strcmp(optarg, "forcezero")) o.linesearch = SB_LINE_FORCEZERO;
            else if (!strcmp(optarg, "quadratic")) o.linesearch = SB_LINE_QUADRATIC;
            else if (!strcmp(optarg, "backtrack")) o.linesearch = SB_LINE_BACKTRACK;
            else return cli_usage_error("shear", "--linesearch %s: use forcezero, quadratic or backtrack", optarg);
            linesearch_given = true;
            break;
        case OPT_MINMOD: o.min_modify = optarg; break;
        case OPT_EXTRAP:
            if (!cli_parse_double(optarg, &o.extrapolate))
                return cli_usage_error("shear", "--extrapolate %s", optarg);
            break;
        case OPT_RESUME: o.resume = true; break;
        case OPT_MAX_STEPS:
            if (!cli_parse_long(optarg, &l) || l < 1) return cli_usage_error("shear", "--max-steps %s", optarg);
            o.max_steps = l;
            break;
        case 'v': o.verbose = true; break;
        case 'h': fputs(usage, stdout); return CLI_OK;
        default: return cli_usage_error("shear", "unknown option");
        }
    }
    if (optind != argc - 1) return cli_usage_error("shear", "expected exactly one GLASS file");
    /* Said, not ignored: a line search with another minimiser would silently do nothing. */
    if (linesearch_given && o.minimizer != SB_MIN_CG)
        return cli_usage_error("shear", "--linesearch applies to --minimizer cg only (here %s)",
                               sb_minimizer_name(o.minimizer));
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
