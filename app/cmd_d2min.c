/* shearband d2min REF CUR: per-atom D2min, von Mises shear strain and fit flag. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "shearband/fileutil.h"
#include "shearband/io.h"
#include "shearband/json.h"
#include "shearband/strain.h"
#include "shearband/structure.h"

static const char usage[] =
    "usage: shearband d2min [options] REF CUR\n\n"
    "Non-affine displacement D2min (Falk & Langer) of every atom of CUR relative to REF\n"
    "(atoms matched by id), the von Mises shear strain of the best-fit local deformation\n"
    "gradient J (OVITO's atomic-strain definition) and a flag for atoms whose neighbours do\n"
    "not span 3-D space (those get d2min = 0 and shear_strain = 0, never NaN).\n"
    "REF and CUR: LAMMPS data, LAMMPS dump (last frame) or extended XYZ.\n\n"
    "The output is CUR (current positions and cell) with the columns d2min (A^2, unnormalised\n"
    "sum over neighbours, as OVITO), shear_strain, fit_singular (0/1), nneighbors and, with\n"
    "--gradient, deformation_gradient (9 components, J row-major: xx xy xz yx yy yz zx zy zz),\n"
    "plus a JSON provenance record OUT.json.\n\n"
    "  -o, --output FILE     .extxyz/.xyz or .dump/.lammpstrj (default d2min.extxyz)\n"
    "  -c, --cutoff R        neighbour cutoff in the reference, A (default 5.0)\n"
    "      --singular-tol T  flag atoms with det(Y) < T (tr(Y)/3)^3 (default 1e-4)\n"
    "  -g, --gradient        also write the 9 components of J\n"
    "  -h, --help            this text\n";

static sb_status d2min_write_json(const char *path, int argc, char **argv, const char *ref_path,
                                  const char *cur_path, const char *out_path,
                                  const sb_d2min_options *o, const sb_d2min_result *r,
                                  sb_error *err)
{
    sb_atomic_file af;
    sb_status st = sb_atomic_open(&af, path, err);
    if (st != SB_OK) return st;
    double sum = 0.0, mx = 0.0, se = 0.0;
    for (size_t i = 0; i < r->n; i++) {
        sum += r->d2min[i];
        mx = fmax(mx, r->d2min[i]);
        se += r->shear_strain[i];
    }
    sb_json j;
    sb_json_start(&j, af.fp);
    sb_json_object(&j, NULL);
    sb_json_provenance(&j, argc, argv);
    sb_json_str(&j, "command", "d2min");
    sb_json_object(&j, "inputs");
    sb_json_str(&j, "reference", ref_path);
    sb_json_str(&j, "current", cur_path);
    sb_json_end(&j);
    sb_json_object(&j, "parameters");
    sb_json_num(&j, "cutoff_A", o->cutoff);
    sb_json_num(&j, "singular_tol", o->singular_tol);
    sb_json_bool(&j, "gradient", o->gradient != 0);
    sb_json_str(&j, "definition",
                "D2min_i = sum_j |d_ij - J d0_ij|^2 over reference neighbours within cutoff, "
                "J = X Y^-1; current bonds from reduced-coordinate displacements");
    sb_json_end(&j);
    sb_json_str(&j, "output", out_path);
    sb_json_object(&j, "summary");
    sb_json_int(&j, "atoms", (int64_t)r->n);
    sb_json_int(&j, "fit_singular_atoms", (int64_t)r->n_singular);
    sb_json_num(&j, "d2min_mean_A2", r->n ? sum / (double)r->n : 0.0);
    sb_json_num(&j, "d2min_max_A2", mx);
    sb_json_num(&j, "shear_strain_mean", r->n ? se / (double)r->n : 0.0);
    sb_json_end(&j);
    sb_json_finish(&j);
    return sb_atomic_commit(&af, err);
}

int cmd_d2min(int argc, char **argv)
{
    static const struct option longopts[] = {{"output", required_argument, NULL, 'o'},
                                             {"cutoff", required_argument, NULL, 'c'},
                                             {"singular-tol", required_argument, NULL, 's'},
                                             {"gradient", no_argument, NULL, 'g'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    sb_d2min_options o = sb_d2min_options_default();
    o.gradient = 0;
    const char *out = "d2min.extxyz";
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:c:gh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'c':
            if (!cli_parse_double(optarg, &o.cutoff) || !(o.cutoff > 0.0))
                return cli_usage_error("d2min", "--cutoff needs a positive number, got '%s'", optarg);
            break;
        case 's':
            if (!cli_parse_double(optarg, &o.singular_tol) || o.singular_tol < 0.0 || o.singular_tol >= 1.0)
                return cli_usage_error("d2min", "--singular-tol needs a number in [0, 1), got '%s'", optarg);
            break;
        case 'g': o.gradient = 1; break;
        case 'h': fputs(usage, stdout); return CLI_OK;
        default: return cli_bad_option("d2min");
        }
    }
    if (optind != argc - 2) return cli_usage_error("d2min", "expected REF and CUR");
    const char *ref_path = argv[optind], *cur_path = argv[optind + 1];
    char json_path[4096];
    if (snprintf(json_path, sizeof json_path, "%s.json", out) >= (int)sizeof json_path)
        return cli_usage_error("d2min", "output path too long");

    sb_error err;
    sb_error_clear(&err);
    sb_structure ref = SB_STRUCTURE_INIT, cur = SB_STRUCTURE_INIT;
    sb_d2min_result r = SB_D2MIN_RESULT_INIT;
    size_t *order = NULL;
    sb_status st = sb_read_structure(ref_path, &ref, &err);
    if (st == SB_OK) st = sb_read_structure(cur_path, &cur, &err);
    if (st == SB_OK) st = sb_d2min_compute(&ref, &cur, &o, &r, &err);
    /* Attach the results to CUR, atom by atom through the id (results are in REF order). */
    if (st == SB_OK) st = sb_structure_id_order(&ref, &order, &err);
    double *pd = NULL, *pe = NULL, *pf = NULL, *pn = NULL, *pj = NULL;
    if (st == SB_OK) st = sb_structure_add_property(&cur, "d2min", 1, &pd, &err);
    if (st == SB_OK) st = sb_structure_add_property(&cur, "shear_strain", 1, &pe, &err);
    if (st == SB_OK) st = sb_structure_add_property(&cur, "fit_singular", 1, &pf, &err);
    if (st == SB_OK) st = sb_structure_add_property(&cur, "nneighbors", 1, &pn, &err);
    if (st == SB_OK && o.gradient)
        st = sb_structure_add_property(&cur, "deformation_gradient", 9, &pj, &err);
    if (st == SB_OK) {
        for (size_t k = 0; k < cur.n; k++) {
            const size_t i = sb_structure_index_of(&ref, order, cur.id[k]);
            if (i == (size_t)-1) {
                st = sb_error_set(&err, SB_ERR_INVALID_ARG, "%s: atom id %lld is not in %s", cur_path,
                                  (long long)cur.id[k], ref_path);
                break;
            }
            pd[k] = r.d2min[i];
            pe[k] = r.shear_strain[i];
            pf[k] = r.singular[i];
            pn[k] = r.nneighbors[i];
            if (pj) memcpy(pj + 9 * k, r.gradient + 9 * i, 9 * sizeof(double));
        }
    }
    if (st == SB_OK) st = sb_write_structure(out, &cur, &err);
    if (st == SB_OK)
        st = d2min_write_json(json_path, argc, argv, ref_path, cur_path, out, &o, &r, &err);
    if (st == SB_OK) {
        double mx = 0.0;
        for (size_t i = 0; i < r.n; i++) mx = fmax(mx, r.d2min[i]);
        printf("%zu atoms, cutoff %.3g A: max D2min %.4g A^2, %zu singular fits\nwrote %s and %s\n",
               r.n, o.cutoff, mx, r.n_singular, out, json_path);
    }
    free(order);
    sb_d2min_result_free(&r);
    sb_structure_free(&ref);
    sb_structure_free(&cur);
    return st == SB_OK ? CLI_OK : cli_fail(&err);
}
