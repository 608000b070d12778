/* shearband quench: make a Cu-Zr glass by melt-quench MD (library: shearband/quench.h). */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "shearband/quench.h"

static const char usage[] =
    "usage: shearband quench -o OUT.data [options]\n\n"
    "Make a Cu_x Zr_(100-x) metallic glass with LAMMPS: random gas -> melt at --melt-temp\n"
    "for --melt-time -> cool at --rate to --tq (NPT, P = 0) -> minimise to 0 K with the box\n"
    "relaxed to P = 0. Writes OUT.data (LAMMPS data, element names in Masses) and OUT.json\n"
    "(provenance: parameters, seed, LAMMPS version, energy, density). LAMMPS's log and the\n"
    "checkpoints go to the run directory; --resume continues an interrupted run.\n\n"
    "  -o, --output FILE        output data file (required)\n"
    "  -d, --run-dir DIR        log and checkpoints (default: OUT.data's name + '.run')\n"
    "  -n, --atoms N            number of atoms (4000)\n"
    "  -x, --cu PERCENT         Cu percentage x (50)\n"
    "      --potential FILE     EAM file (/usr/share/lammps/potentials/CuZr_mm.eam.fs)\n"
    "      --pair-style STYLE   eam/fs (default) or eam/alloy\n"
    "      --elements A B       element names of types 1 and 2 in the file (Cu Zr)\n"
    "      --melt-temp K        melt temperature (2000)\n"
    "      --melt-time PS       melt time (10)\n"
    "      --rate K_PER_S       cooling rate (1e13)\n"
    "      --tq K               end temperature of MD cooling (50)\n"
    "      --timestep PS        MD time step (0.002)\n"
    "      --swap-anneal T,PS   hold at T for PS with Cu<->Zr swap Monte Carlo (off)\n"
    "      --seed N             random seed: gas, types, velocities, swaps (1)\n"
    "      --ftol EV_A          final minimisation force tolerance (1e-8)\n"
    "      --chunk STEPS        MD steps between checkpoints (auto)\n"
    "      --resume             continue from the run directory's checkpoint\n"
    "      --branch-from DIR    continue the cooling of a finished quench (run directory DIR,\n"
    "                           same options, higher --tq) down to this --tq: a T_q sweep on\n"
    "                           one cooling trajectory (with --swap-anneal T_q,PS at each\n"
    "                           glass's own T_q: from where DIR's anneal began)\n"
    "      --max-chunks N       stop after N chunks (testing resume)\n"
    "  -v, --verbose            LAMMPS screen output\n"
    "  -h, --help               this text\n\n"
    "Cost: ~3.5 us per atom-step on one core (4000 atoms, 1e13 K/s from 2000 K: ~30 min).\n";

enum {
    OPT_POTENTIAL = 256, OPT_PAIR, OPT_ELEMENTS, OPT_MELT_TEMP, OPT_MELT_TIME, OPT_RATE, OPT_TQ,
    OPT_TIMESTEP, OPT_SWAP, OPT_SEED, OPT_FTOL, OPT_CHUNK, OPT_RESUME, OPT_BRANCH, OPT_MAX_CHUNKS,
};

static bool parse_pos(const char *s, double *v)
{
    return cli_parse_double(s, v) && *v > 0;
}

int cmd_quench(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"run-dir", required_argument, NULL, 'd'},
        {"atoms", required_argument, NULL, 'n'},
        {"cu", required_argument, NULL, 'x'},
        {"potential", required_argument, NULL, OPT_POTENTIAL},
        {"pair-style", required_argument, NULL, OPT_PAIR},
        {"elements", required_argument, NULL, OPT_ELEMENTS},
        {"melt-temp", required_argument, NULL, OPT_MELT_TEMP},
        {"melt-time", required_argument, NULL, OPT_MELT_TIME},
        {"rate", required_argument, NULL, OPT_RATE},
        {"tq", required_argument, NULL, OPT_TQ},
        {"timestep", required_argument, NULL, OPT_TIMESTEP},
        {"swap-anneal", required_argument, NULL, OPT_SWAP},
        {"seed", required_argument, NULL, OPT_SEED},
        {"ftol", required_argument, NULL, OPT_FTOL},
        {"chunk", required_argument, NULL, OPT_CHUNK},
        {"resume", no_argument, NULL, OPT_RESUME}, {"branch-from", required_argument, NULL, OPT_BRANCH},
        {"max-chunks", required_argument, NULL, OPT_MAX_CHUNKS},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    sb_quench_options o = sb_quench_options_default();
    const char *run_dir = NULL;
    long l;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:d:n:x:vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': o.output = optarg; break;
        case 'd': run_dir = optarg; break;
        case 'n':
            if (!cli_parse_long(optarg, &l) || l < 2) return cli_usage_error("quench", "--atoms %s", optarg);
            o.natoms = (size_t)l;
            break;
        case 'x':
            if (!cli_parse_double(optarg, &o.cu_percent)) return cli_usage_error("quench", "--cu %s", optarg);
            break;
        case OPT_POTENTIAL: o.potential = optarg; break;
        case OPT_PAIR: o.pair_style = optarg; break;
        case OPT_ELEMENTS:
            if (optind >= argc || strlen(optarg) >= SB_ELEMENT_LEN ||
                strlen(argv[optind]) >= SB_ELEMENT_LEN)
                return cli_usage_error("quench", "--elements needs two element names");
            strcpy(o.elements[0], optarg);
            strcpy(o.elements[1], argv[optind++]);
            break;
        case OPT_MELT_TEMP:
            if (!parse_pos(optarg, &o.melt_temp)) return cli_usage_error("quench", "--melt-temp %s", optarg);
            break;
        case OPT_MELT_TIME:
            if (!cli_parse_double(optarg, &o.melt_time) || o.melt_time < 0)
                return cli_usage_error("quench", "--melt-time %s", optarg);
            break;
        case OPT_RATE:
            if (!parse_pos(optarg, &o.rate)) return cli_usage_error("quench", "--rate %s", optarg);
            break;
        case OPT_TQ:
            if (!parse_pos(optarg, &o.tq)) return cli_usage_error("quench", "--tq %s", optarg);
            break;
        case OPT_TIMESTEP:
            if (!parse_pos(optarg, &o.timestep)) return cli_usage_error("quench", "--timestep %s", optarg);
            break;
        case OPT_SWAP: {
            char buf[128];
            snprintf(buf, sizeof buf, "%s", optarg);
            char *comma = strchr(buf, ',');
            if (!comma) return cli_usage_error("quench", "--swap-anneal T,PS (e.g. 750,100)");
            *comma = '\0';
            if (!parse_pos(buf, &o.swap_temp) || !parse_pos(comma + 1, &o.swap_time))
                return cli_usage_error("quench", "--swap-anneal %s", optarg);
            o.swap_anneal = true;
            break;
        }
        case OPT_SEED:
            if (!cli_parse_long(optarg, &l) || l < 0) return cli_usage_error("quench", "--seed %s", optarg);
            o.seed = (uint64_t)l;
            break;
        case OPT_FTOL:
            if (!parse_pos(optarg, &o.ftol)) return cli_usage_error("quench", "--ftol %s", optarg);
            break;
        case OPT_CHUNK:
            if (!cli_parse_long(optarg, &l) || l < 1 || l > 100000000)
                return cli_usage_error("quench", "--chunk %s", optarg);
            o.chunk_steps = (int)l;
            break;
        case OPT_RESUME: o.resume = true; break;
        case OPT_BRANCH: o.branch_from = optarg; break;
        case OPT_MAX_CHUNKS:
            if (!cli_parse_long(optarg, &l) || l < 1) return cli_usage_error("quench", "--max-chunks %s", optarg);
            o.max_chunks = l;
            break;
        case 'v': o.verbose = true; break;
        case 'h': fputs(usage, stdout); return CLI_OK;
        default: return cli_bad_option("quench");
        }
    }
    if (optind != argc) return cli_usage_error("quench", "unexpected argument '%s'", argv[optind]);
    if (!o.output) return cli_usage_error("quench", "-o OUT.data is required");
    char default_dir[4096];
    if (!run_dir) {
        snprintf(default_dir, sizeof default_dir, "%s.run", o.output);
        run_dir = default_dir;
    }
    o.run_dir = run_dir;
    o.progress = cli_is_tty(STDERR_FILENO) && !o.verbose;
    o.argc = argc;
    o.argv = argv;

    sb_error err;
    sb_error_clear(&err);
    sb_quench_result r;
    sb_status st = sb_quench(&o, &r, &err);
    if (st != SB_OK) return cli_fail(&err);
    if (r.already_done) {
        printf("%s: already finished (see %s); nothing to do\n", o.output, run_dir);
        return CLI_OK;
    }
    printf("%s: %zu atoms (%zu Cu), E = %.6f eV/atom, density %.4f g/cm^3, P = %.2f bar\n",
           o.output, r.natoms, r.ncu, r.pe_per_atom, r.density, r.pressure);
    printf("MD: %lld steps in %.1f s (%.2f us/atom-step), minimisation: %lld iterations; LAMMPS %s\n",
           (long long)r.md_steps_run, r.md_seconds, r.us_per_atom_step, (long long)r.min_iterations,
           r.lammps_version);
    return CLI_OK;
}
