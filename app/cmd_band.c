/* shearband band FILE | band REF CUR: where the shear band is (observed, from D2min). */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "shearband/analysis.h"
#include "shearband/band_figures.h"
#include "shearband/fileutil.h"
#include "shearband/io.h"
#include "shearband/json.h"
#include "shearband/strain.h"
#include "shearband/structure.h"
#include "shearband/version.h"

static const char usage[] =
    "usage: shearband band [options] FILE\n"
    "       shearband band [options] REF CUR\n\n"
    "Locate the shear band: mark the top f_top of atoms by D2min (ties by id), take the\n"
    "fraction of marked atoms in slabs of width w along X and along Y (slabs bounded by\n"
    "planes parallel to the cell faces, centres every step A, periodic), and call the band at\n"
    "the highest peak: a peak along Y is a horizontal band (parallel to the shear direction X),\n"
    "a peak along X a vertical one. Signed positions follow the paper: X positions * -1.\n"
    "A band is called only if the peak is >= z-min standard errors above random\n"
    "placement AND holds >= concentration-min of the largest possible excess; otherwise the\n"
    "glass is reported as not banded.\n\n"
    "With FILE, per-atom D2min is read from its column (default d2min, e.g. the output of\n"
    "'shearband d2min'); a shear_strain column, if present, gives the localization measure.\n"
    "With REF CUR, D2min is computed first (atoms matched by id) and CUR's positions are used.\n\n"
    "Writes OUT_DIR/band_profiles.csv (axis,centre_A,signed_position_A,value,atoms) and\n"
    "OUT_DIR/band.json (result, parameters, provenance), and the figures (gnuplot)\n"
    "OUT_DIR/band_profiles.{png,svg} (Fig. 1c-d) and OUT_DIR/band_d2min_map.png (Fig. 1a-b).\n\n"
    "  -f, --f-top F              fraction of highly deformed atoms (default 0.01)\n"
    "  -w, --width W              slab width, A (default 19)\n"
    "  -s, --step S               slab centre spacing, A (default 1)\n"
    "      --column NAME          per-atom column holding D2min (FILE form; default d2min)\n"
    "  -c, --cutoff R             D2min neighbour cutoff, A (REF CUR form; default 5.0)\n"
    "      --z-min Z              default 5\n"
    "      --concentration-min C  default 0.3\n"
    "  -o, --out-dir DIR          default .\n"
    "      --no-figures           skip the figures\n"
    "  -h, --help                 this text\n";

static sb_status band_write_csv(const char *path, int argc, char **argv, const sb_band_result *r,
                                sb_error *err)
{
    sb_atomic_file af;
    sb_status st = sb_atomic_open(&af, path, err);
    if (st != SB_OK) return st;
    fprintf(af.fp, "# shearband %s (commit %s): slab profiles of the fraction of highly deformed atoms\n",
            sb_version(), sb_git_commit());
    fprintf(af.fp, "# command:");
    for (int a = 0; a < argc; a++) fprintf(af.fp, " %s", argv[a]);
    fprintf(af.fp, "\n# provenance and parameters: band.json in the same folder\n");
    fprintf(af.fp, "axis,centre_A,signed_position_A,value,atoms\n");
    for (int a = 0; a < 2; a++) {
        const sb_profile *p = &r->profile[a];
        for (size_t m = 0; m < p->n; m++)
            fprintf(af.fp, "%c,%.6f,%.6f,%.9g,%zu\n", "XY"[a], p->centre[m],
                    sb_profile_signed_position(a, p->centre[m]), p->value[m], p->count[m]);
    }
    return sb_atomic_commit(&af, err);
}

static sb_status band_write_json(const char *path, int argc, char **argv, const char *const *inputs,
                                 int ninputs, const char *column, double cutoff,
                                 const sb_band_options *o, const sb_band_result *r, size_t natoms,
                                 sb_error *err)
{
    sb_atomic_file af;
    sb_status st = sb_atomic_open(&af, path, err);
    if (st != SB_OK) return st;
    sb_json j;
    sb_json_start(&j, af.fp);
    sb_json_object(&j, NULL);
    sb_json_provenance(&j, argc, argv);
    sb_json_str(&j, "command", "band");
    sb_json_array(&j, "inputs");
    for (int k = 0; k < ninputs; k++) sb_json_str(&j, NULL, inputs[k]);
    sb_json_end(&j);
    sb_json_object(&j, "parameters");
    sb_json_num(&j, "f_top", o->f_top);
    sb_json_num(&j, "slab_width_A", o->width);
    sb_json_num(&j, "slab_step_A", o->step);
    sb_json_num(&j, "z_min", o->z_min);
    sb_json_num(&j, "concentration_min", o->concentration_min);
    if (column) sb_json_str(&j, "d2min_column", column);
    if (cutoff > 0.0) sb_json_num(&j, "d2min_cutoff_A", cutoff);
    sb_json_end(&j);
    sb_json_object(&j, "result");
    sb_json_bool(&j, "band", r->found != 0);
    sb_json_str(&j, "orientation", r->axis == 1 ? "horizontal" : "vertical");
    sb_json_str(&j, "profile_axis", r->axis == 1 ? "Y" : "X");
    sb_json_num(&j, "centre_A", r->centre);
    sb_json_num(&j, "peak_centre_A", r->peak_centre);
    sb_json_num(&j, "signed_position_A", r->signed_position);
    sb_json_num(&j, "peak_fraction", r->peak);
    sb_json_num(&j, "profile_mean", r->mean);
    sb_json_num(&j, "peak_to_mean", r->peak_to_mean);
    sb_json_num(&j, "z", r->z);
    sb_json_num(&j, "concentration", r->concentration);
    sb_json_int(&j, "atoms", (int64_t)natoms);
    sb_json_int(&j, "atoms_in_peak_slab", (int64_t)r->n_slab);
    sb_json_int(&j, "highly_deformed_atoms", (int64_t)r->n_top);
    sb_json_num(&j, "d2min_threshold_A2", r->threshold);
    sb_json_num(&j, "shear_strain_std", r->strain_std);
    sb_json_num(&j, "shear_strain_mean", r->strain_mean);
    sb_json_num(&j, "cell_width_X_A", r->profile[0].length);
    sb_json_num(&j, "cell_width_Y_A", r->profile[1].length);
    sb_json_str(&j, "reason", r->reason);
    sb_json_end(&j);
    sb_json_str(&j, "profiles", "band_profiles.csv");
    sb_json_finish(&j);
    return sb_atomic_commit(&af, err);
}

int cmd_band(int argc, char **argv)
{
    static const struct option longopts[] = {{"f-top", required_argument, NULL, 'f'},
                                             {"width", required_argument, NULL, 'w'},
                                             {"step", required_argument, NULL, 's'},
                                             {"column", required_argument, NULL, 'k'},
                                             {"cutoff", required_argument, NULL, 'c'},
                                             {"z-min", required_argument, NULL, 'z'},
                                             {"concentration-min", required_argument, NULL, 'C'},
                                             {"out-dir", required_argument, NULL, 'o'},
                                             {"no-figures", no_argument, NULL, 'F'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    sb_band_options o = sb_band_options_default();
    sb_d2min_options dopt = sb_d2min_options_default();
    dopt.gradient = 0;
    const char *column = "d2min", *out_dir = ".";
    bool figures = true;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:w:s:c:o:h", longopts, NULL)) != -1) {
        double v = 0.0;
        const bool num = optarg && cli_parse_double(optarg, &v);
        switch (c) {
        case 'f':
            if (!num || !(v > 0.0 && v <= 1.0)) return cli_usage_error("band", "--f-top needs a number in (0, 1]");
            o.f_top = v;
            break;
        case 'w':
            if (!num || !(v > 0.0)) return cli_usage_error("band", "--width needs a positive number");
            o.width = v;
            break;
        case 's':
            if (!num || !(v > 0.0)) return cli_usage_error("band", "--step needs a positive number");
            o.step = v;
            break;
        case 'c':
            if (!num || !(v > 0.0)) return cli_usage_error("band", "--cutoff needs a positive number");
            dopt.cutoff = v;
            break;
        case 'z':
            if (!num || v < 0.0) return cli_usage_error("band", "--z-min needs a number >= 0");
            o.z_min = v;
            break;
        case 'C':
            if (!num || v < 0.0 || v > 1.0) return cli_usage_error("band", "--concentration-min needs a number in [0, 1]");
            o.concentration_min = v;
            break;
        case 'k': column = optarg; break;
        case 'F': figures = false; break;
        case 'o': out_dir = optarg; break;
        case 'h': fputs(usage, stdout); return CLI_OK;
        default: return cli_bad_option("band");
        }
    }
    const int npos = argc - optind;
    if (npos != 1 && npos != 2) return cli_usage_error("band", "expected FILE or REF CUR");
    const char *const *inputs = (const char *const *)(argv + optind);

    sb_error err;
    sb_error_clear(&err);
    sb_structure s = SB_STRUCTURE_INIT, ref = SB_STRUCTURE_INIT;
    sb_d2min_result dr = SB_D2MIN_RESULT_INIT;
    sb_band_result br = SB_BAND_RESULT_INIT;
    const double *d2 = NULL, *strain = NULL;
    double *d2_copy = NULL, *strain_copy = NULL;
    size_t *order = NULL;
    char csv_path[4096], json_path[4096];
    sb_status st = sb_mkdir_p(out_dir, &err);
    if (st == SB_OK) st = sb_path_join(csv_path, sizeof csv_path, out_dir, "band_profiles.csv", &err);
    if (st == SB_OK) st = sb_path_join(json_path, sizeof json_path, out_dir, "band.json", &err);
    if (st == SB_OK) st = sb_read_structure(inputs[npos - 1], &s, &err);
    if (st == SB_OK && npos == 1) {
        const sb_property *p = sb_structure_find_property(&s, column);
        if (!p || p->ncomp != 1)
            st = sb_error_set(&err, SB_ERR_INVALID_ARG,
                              "%s has no scalar per-atom column '%s' (run 'shearband d2min' first, or "
                              "give REF CUR)", inputs[0], column);
        else d2 = p->data;
        const sb_property *q = sb_structure_find_property(&s, "shear_strain");
        if (q && q->ncomp == 1) strain = q->data;
    } else if (st == SB_OK) {
        /* REF CUR: D2min in REF order, mapped to CUR's atoms through the ids. */
        st = sb_read_structure(inputs[0], &ref, &err);
        if (st == SB_OK) st = sb_d2min_compute(&ref, &s, &dopt, &dr, &err);
        if (st == SB_OK) st = sb_structure_id_order(&ref, &order, &err);
        if (st == SB_OK) {
            d2_copy = malloc((s.n ? s.n : 1) * sizeof *d2_copy);
            strain_copy = malloc((s.n ? s.n : 1) * sizeof *strain_copy);
            if (!d2_copy || !strain_copy) st = sb_error_set(&err, SB_ERR_NOMEM, "out of memory");
        }
        for (size_t k = 0; st == SB_OK && k < s.n; k++) {
            const size_t i = sb_structure_index_of(&ref, order, s.id[k]);
            if (i == (size_t)-1) {
                st = sb_error_set(&err, SB_ERR_INVALID_ARG, "%s: atom id %lld is not in %s", inputs[1],
                                  (long long)s.id[k], inputs[0]);
                break;
            }
            d2_copy[k] = dr.d2min[i];
            strain_copy[k] = dr.shear_strain[i];
        }
        d2 = d2_copy;
        strain = strain_copy;
    }
    if (st == SB_OK) st = sb_band_locate(&s.cell, s.x, s.id, d2, strain, s.n, &o, &br, &err);
    if (st == SB_OK) st = band_write_csv(csv_path, argc, argv, &br, &err);
    if (st == SB_OK)
        st = band_write_json(json_path, argc, argv, inputs, npos, npos == 1 ? column : NULL,
                             npos == 2 ? dopt.cutoff : 0.0, &o, &br, s.n, &err);

    char fig_base[4096];
    if (st == SB_OK && figures) st = sb_path_join(fig_base, sizeof fig_base, out_dir, "band", &err);
    if (st == SB_OK && figures) st = sb_band_figures(&br, &s.cell, s.x, d2, s.n, fig_base, sb_path_basename(inputs[npos - 1]), &err);

    if (st == SB_OK) {
        if (br.found)
            printf("band: %s (peak along %c) at %.2f A (signed position %.2f A)\n",
                   br.axis == 1 ? "horizontal" : "vertical", "XY"[br.axis], br.centre, br.signed_position);
        else printf("band: none\n");
        printf("  %s\n", br.reason);
        printf("  peak fraction %.4f in %zu atoms (f_top %.4g: %zu atoms with D2min >= %.4g A^2)\n",
               br.peak, br.n_slab, o.f_top, br.n_top, br.threshold);
        printf("  peak/mean %.3f, z %.2f, concentration %.3f\n", br.peak_to_mean, br.z, br.concentration);
        if (!isnan(br.strain_std))
            printf("  von Mises shear strain: mean %.4f, std %.4f (localization)\n", br.strain_mean,
                   br.strain_std);
        printf("wrote %s and %s\n", csv_path, json_path);
        if (figures) printf("figures %s_profiles.{png,svg} and %s_d2min_map.png\n", fig_base, fig_base);
    }
    free(order);
    free(d2_copy);
    free(strain_copy);
    sb_band_result_free(&br);
    sb_d2min_result_free(&dr);
    sb_structure_free(&s);
    sb_structure_free(&ref);
    return st == SB_OK ? CLI_OK : cli_fail(&err);
}
