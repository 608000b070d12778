/*
 * LAMMPS itself as the oracle for the file formats: LAMMPS (the `lmp` executable) reads the
 * data file we write and writes it back with write_data and as dumps (x y z, xs ys zs,
 * xu yu zu); we read all of those and compare with the structure we started from. This
 * checks that LAMMPS accepts our files and that our reading of its triclinic bounds,
 * scaled and unwrapped coordinates and image flags matches what LAMMPS means by them.
 *
 * LAMMPS remaps triclinic positions through fractional coordinates when it reads a data
 * file, so positions agree to rounding (1e-12 A here), not bit for bit.
 */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_testutil.h"
#include "shearband/io.h"

static sb_error err;

static void expect_same_atoms(const sb_structure *ref, const sb_structure *got, double tol,
                              bool images, const char *what)
{
    cr_assert_eq(got->n, ref->n, "%s: atom count", what);
    size_t *order;
    cr_assert_eq(sb_structure_id_order(got, &order, NULL), SB_OK);
    for (size_t i = 0; i < ref->n; i++) {
        const size_t j = sb_structure_index_of(got, order, ref->id[i]);
        cr_assert_neq(j, (size_t)-1, "%s: id %lld missing", what, (long long)ref->id[i]);
        cr_expect_eq(got->type[j], ref->type[i], "%s: type of %lld", what, (long long)ref->id[i]);
        for (int k = 0; k < 3; k++) {
            cr_expect(fabs(got->x[3 * j + k] - ref->x[3 * i + k]) < tol, "%s: id %lld x[%d] %.17g vs %.17g",
                      what, (long long)ref->id[i], k, got->x[3 * j + k], ref->x[3 * i + k]);
            if (images)
                cr_expect_eq(got->image[3 * j + k], ref->image[3 * i + k], "%s: image of %lld", what,
                             (long long)ref->id[i]);
        }
    }
    free(order);
    for (int k = 0; k < 3; k++) {
        cr_expect(fabs(got->cell.lo[k] - ref->cell.lo[k]) < 1e-12, "%s: lo[%d]", what, k);
        cr_expect(fabs(got->cell.hi[k] - ref->cell.hi[k]) < 1e-12, "%s: hi[%d]", what, k);
    }
    cr_expect(fabs(got->cell.xy - ref->cell.xy) < 1e-12 && fabs(got->cell.xz - ref->cell.xz) < 1e-12 &&
                  fabs(got->cell.yz - ref->cell.yz) < 1e-12,
              "%s: tilts", what);
}

Test(io_lammps, lammps_reads_our_data_and_we_read_its_output, .timeout = 300)
{
    char dir[1024], in[1200], script[1200], cmd[4096];
    iot_tmp_path(dir, sizeof dir, "io_lammps");
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(in, sizeof in, "%s/ours.data", dir);
    sb_structure s = SB_STRUCTURE_INIT;
    iot_random_structure(&s, 300, true, true, 2024);
    double *v;
    cr_assert_eq(sb_structure_add_property(&s, "velocity", 3, &v, NULL), SB_OK);
    for (size_t i = 0; i < 3 * s.n; i++) v[i] = sin(0.37 * (double)i);
    cr_assert_eq(sb_write_lammps_data(in, &s, NULL, &err), SB_OK, "%s", err.msg);

    snprintf(script, sizeof script, "%s/in.roundtrip", dir);
    FILE *fp = fopen(script, "w");
    cr_assert_not_null(fp);
    fprintf(fp, "units metal\natom_style atomic\nboundary p p p\natom_modify map array\n"
                "read_data ours.data\n"
                "write_data lammps.data\n"
                "write_dump all custom x.dump id type x y z ix iy iz modify format float %%.17g sort id\n"
                "write_dump all custom xs.dump id type xs ys zs ix iy iz modify format float %%.17g\n"
                "write_dump all custom xu.dump type xu yu zu id modify format float %%.17g\n");
    fclose(fp);
    snprintf(cmd, sizeof cmd, "cd '%s' && lmp -in in.roundtrip -log log.lammps -screen none", dir);
    const int rc = system(cmd);
    cr_assert_eq(rc, 0, "lmp failed (exit %d); see %s/log.lammps", rc, dir);

    static const char *const outputs[] = {"lammps.data", "x.dump", "xs.dump", "xu.dump"};
    for (int k = 0; k < 4; k++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", dir, outputs[k]);
        sb_structure r = SB_STRUCTURE_INIT;
        cr_assert_eq(sb_read_structure(path, &r, &err), SB_OK, "%s", err.msg);
        expect_same_atoms(&s, &r, 1e-12, true, outputs[k]);
        if (k == 0) {
            /* write_data has no element comments in this LAMMPS: guessed from the masses. */
            cr_expect_str_eq(r.type_name[0], "Cu");
            cr_expect_str_eq(r.type_name[1], "Zr");
            const sb_property *rv = sb_structure_find_property(&r, "velocity");
            cr_assert_not_null(rv);
            size_t *order;
            cr_assert_eq(sb_structure_id_order(&r, &order, NULL), SB_OK);
            for (size_t i = 0; i < s.n; i++) {
                const size_t j = sb_structure_index_of(&r, order, s.id[i]);
                for (int c = 0; c < 3; c++) cr_expect_eq(rv->data[3 * j + c], v[3 * i + c]);
            }
            free(order);
        }
        sb_structure_free(&r);
    }
    sb_structure_free(&s);
}
