/* shearband info FILE: what a structure file holds. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "shearband/io.h"
#include "shearband/json.h"
#include "shearband/structure.h"

static const char usage[] =
    "usage: shearband info [--json] FILE\n\n"
    "Print the atom count, species counts, cell (LAMMPS bounds and tilts, and the cell\n"
    "matrix with edge vectors as rows), volume (A^3), mass density (g/cm^3) and number\n"
    "density (atoms/A^3) of a LAMMPS data file, LAMMPS dump (last frame) or extended XYZ.\n\n"
    "  --json     print the same as JSON\n"
    "  -h, --help this text\n";

static void print_json(const char *path, const sb_structure *s, const size_t *counts, double rho)
{
    sb_json j;
    sb_json_start(&j, stdout);
    sb_json_object(&j, NULL);
    sb_json_str(&j, "file", path);
    sb_json_int(&j, "atoms", (int64_t)s->n);
    sb_json_array(&j, "species");
    for (int t = 0; t < s->ntypes; t++) {
        sb_json_object(&j, NULL);
        sb_json_int(&j, "type", t + 1);
        sb_json_str(&j, "element", s->type_name[t]);
        sb_json_num(&j, "mass", s->mass[t]);
        sb_json_int(&j, "count", (int64_t)counts[t]);
        sb_json_end(&j);
    }
    sb_json_end(&j);
    sb_json_object(&j, "cell");
    sb_json_array(&j, "lo");
    for (int k = 0; k < 3; k++) sb_json_num(&j, NULL, s->cell.lo[k]);
    sb_json_end(&j);
    sb_json_array(&j, "hi");
    for (int k = 0; k < 3; k++) sb_json_num(&j, NULL, s->cell.hi[k]);
    sb_json_end(&j);
    sb_json_num(&j, "xy", s->cell.xy);
    sb_json_num(&j, "xz", s->cell.xz);
    sb_json_num(&j, "yz", s->cell.yz);
    sb_json_end(&j);
    sb_json_num(&j, "volume_A3", sb_cell_volume(&s->cell));
    sb_json_num(&j, "density_g_cm3", rho);
    sb_json_num(&j, "number_density_A3", (double)s->n / sb_cell_volume(&s->cell));
    sb_json_finish(&j);
}

int cmd_info(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 'h': fputs(usage, stdout); return CLI_OK;
        default: return cli_bad_option("info");
        }
    }
    if (optind != argc - 1) return cli_usage_error("info", "expected exactly one FILE");
    const char *path = argv[optind];

    sb_error err;
    sb_error_clear(&err);
    sb_structure s = SB_STRUCTURE_INIT;
    if (sb_read_structure(path, &s, &err) != SB_OK) return cli_fail(&err);

    size_t *counts = calloc((size_t)s.ntypes, sizeof *counts);
    if (!counts) {
        sb_structure_free(&s);
        sb_error_set(&err, SB_ERR_NOMEM, "out of memory");
        return cli_fail(&err);
    }
    sb_structure_type_counts(&s, counts);
    double rho = 0.0;
    sb_error rho_err;
    const bool have_rho = sb_structure_density(&s, &rho, &rho_err) == SB_OK;
    const double vol = sb_cell_volume(&s.cell);

    if (json) {
        print_json(path, &s, counts, have_rho ? rho : -1.0 / 0.0);
    } else {
        printf("file            %s\n", path);
        printf("atoms           %zu\n", s.n);
        printf("species\n");
        for (int t = 0; t < s.ntypes; t++)
            printf("  type %d %-4s   %8zu  (%.2f %%)  mass %.4f\n", t + 1,
                   s.type_name[t][0] ? s.type_name[t] : "?", counts[t],
                   s.n ? 100.0 * (double)counts[t] / (double)s.n : 0.0, s.mass[t]);
        printf("cell            lo (%.6f %.6f %.6f)\n", s.cell.lo[0], s.cell.lo[1], s.cell.lo[2]);
        printf("                hi (%.6f %.6f %.6f)\n", s.cell.hi[0], s.cell.hi[1], s.cell.hi[2]);
        printf("                tilts xy %.6f  xz %.6f  yz %.6f%s\n", s.cell.xy, s.cell.xz,
               s.cell.yz, sb_cell_is_triclinic(&s.cell) ? "" : "  (orthogonal)");
        for (int r = 0; r < 3; r++)
            printf("                %c = (%12.6f %12.6f %12.6f)\n", "abc"[r], s.cell.h[r][0],
                   s.cell.h[r][1], s.cell.h[r][2]);
        printf("volume          %.4f A^3\n", vol);
        if (have_rho) printf("density         %.5f g/cm^3\n", rho);
        else printf("density         unknown (%s)\n", rho_err.msg);
        printf("number density  %.6f atoms/A^3\n", (double)s.n / vol);
    }
    free(counts);
    sb_structure_free(&s);
    return CLI_OK;
}
