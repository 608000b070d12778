/*
 * Extended XYZ: round trips, files as ASE writes them (species and pos only), type
 * numbering, and a rotated general Lattice, which must come back as the unrotated LAMMPS
 * cell with the same positions (rotation invariance).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_testutil.h"
#include "shearband/io.h"

static sb_error err;

Test(io_extxyz, round_trip_triclinic)
{
    char path[1024];
    iot_tmp_path(path, sizeof path, "io_xyz_rt.xyz");
    sb_structure s = SB_STRUCTURE_INIT, r = SB_STRUCTURE_INIT;
    iot_random_structure(&s, 300, true, true, 21);
    /* Type 1 is Zr here, so that sorted-name numbering would get it wrong without Types=. */
    strcpy(s.type_name[0], "Zr");
    strcpy(s.type_name[1], "Cu");
    double *v;
    cr_assert_eq(sb_structure_add_property(&s, "velocity", 3, &v, NULL), SB_OK);
    for (size_t i = 0; i < 3 * s.n; i++) v[i] = cos((double)i);
    cr_assert_eq(sb_write_extxyz(path, &s, "Energy=-3.5 note=\"a b\"", &err), SB_OK, "%s", err.msg);
    char *text = iot_read_text(path);
    cr_expect(strstr(text, "Properties=id:I:1:species:S:1:pos:R:3:image:I:3:velocity:R:3 ") != NULL, "%.300s", text);
    cr_expect(strstr(text, "pbc=\"T T T\" Energy=-3.5 note=\"a b\"\n") != NULL, "%.400s", text);
    free(text);
    cr_assert_eq(sb_read_structure(path, &r, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(r.n, s.n);
    cr_expect_eq(memcmp(s.id, r.id, s.n * sizeof *s.id), 0);
    cr_expect_eq(memcmp(s.type, r.type, s.n * sizeof *s.type), 0, "types renumbered");
    cr_expect_eq(memcmp(s.x, r.x, 3 * s.n * sizeof *s.x), 0, "positions not bit-exact");
    cr_assert_not_null(r.image);
    cr_expect_eq(memcmp(s.image, r.image, 3 * s.n * sizeof *s.image), 0);
    cr_expect_str_eq(r.type_name[0], "Zr");
    cr_expect_eq(r.mass[0], 91.224);
    for (int k = 0; k < 3; k++) {
        cr_expect_eq(s.cell.lo[k], r.cell.lo[k]);
        cr_expect(fabs(s.cell.hi[k] - r.cell.hi[k]) < 1e-12);
    }
    cr_expect_eq(s.cell.xy, r.cell.xy);
    cr_expect_eq(s.cell.yz, r.cell.yz);
    const sb_property *rv = sb_structure_find_property(&r, "velocity");
    cr_assert(rv && rv->ncomp == 3);
    cr_expect_eq(memcmp(v, rv->data, 3 * s.n * sizeof *v), 0);
    cr_expect_eq(r.timestep, s.timestep);
    sb_structure_free(&s);
    sb_structure_free(&r);
}

Test(io_extxyz, ase_style_file)
{
    char path[1024];
    iot_tmp_path(path, sizeof path, "io_xyz_ase.extxyz");
    cr_assert(iot_write_text(path, "3\nLattice=\"8.0 0.0 0.0 0.0 9.0 0.0 0.0 0.0 10.0\" "
                                   "Properties=species:S:1:pos:R:3:forces:R:3:fixed:L:1 energy=-1.0 pbc=\"T T T\"\n"
                                   "Zr 1.0 2.0 3.0 0.1 0.2 0.3 T\n"
                                   "Cu 4.0 5.0 6.0 0.4 0.5 0.6 F\n"
                                   "Zr 7.0 8.0 9.0 0.7 0.8 0.9 F\n"));
    sb_structure s = SB_STRUCTURE_INIT;
    cr_assert_eq(sb_read_structure(path, &s, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(s.n, 3);
    cr_expect(s.id[0] == 1 && s.id[1] == 2 && s.id[2] == 3);
    /* Types in sorted order of species names: Cu = 1, Zr = 2. */
    cr_assert_eq(s.ntypes, 2);
    cr_expect_str_eq(s.type_name[0], "Cu");
    cr_expect_str_eq(s.type_name[1], "Zr");
    cr_expect(s.type[0] == 2 && s.type[1] == 1 && s.type[2] == 2);
    cr_expect_eq(s.mass[0], 63.546);
    cr_expect_eq(s.x[5], 6.0);
    cr_expect_eq(s.cell.hi[2], 10.0);
    const sb_property *f = sb_structure_find_property(&s, "forces");
    const sb_property *fx = sb_structure_find_property(&s, "fixed");
    cr_assert(f && fx && f->ncomp == 3);
    cr_expect_eq(f->data[8], 0.9);
    cr_expect(fx->data[0] == 1.0 && fx->data[1] == 0.0);
    cr_expect_null(s.image);
    sb_structure_free(&s);
}

Test(io_extxyz, numeric_species_are_types)
{
    char path[1024];
    iot_tmp_path(path, sizeof path, "io_xyz_num.xyz");
    cr_assert(iot_write_text(path, "2\nLattice=\"8 0 0 0 8 0 0 0 8\"\n3 1 1 1\n1 2 2 2\n"));
    sb_structure s = SB_STRUCTURE_INIT;
    cr_assert_eq(sb_read_extxyz(path, &s, &err), SB_OK, "%s", err.msg);
    cr_expect_eq(s.ntypes, 3);
    cr_expect(s.type[0] == 3 && s.type[1] == 1);
    cr_expect_str_eq(s.type_name[0], "");
    cr_expect(isnan(s.mass[2]));
    sb_structure_free(&s);
}

/* Rotation R(axis, angle), rows. */
static void rotation(const double axis[3], double angle, double R[3][3])
{
    const double n = sqrt(axis[0] * axis[0] + axis[1] * axis[1] + axis[2] * axis[2]);
    const double u[3] = {axis[0] / n, axis[1] / n, axis[2] / n};
    const double c = cos(angle), s = sin(angle), t = 1 - c;
    R[0][0] = c + u[0] * u[0] * t, R[0][1] = u[0] * u[1] * t - u[2] * s, R[0][2] = u[0] * u[2] * t + u[1] * s;
    R[1][0] = u[1] * u[0] * t + u[2] * s, R[1][1] = c + u[1] * u[1] * t, R[1][2] = u[1] * u[2] * t - u[0] * s;
    R[2][0] = u[2] * u[0] * t - u[1] * s, R[2][1] = u[2] * u[1] * t + u[0] * s, R[2][2] = c + u[2] * u[2] * t;
}

static void rowmul(const double v[3], const double R[3][3], double out[3])
{
    for (int k = 0; k < 3; k++) out[k] = v[0] * R[0][k] + v[1] * R[1][k] + v[2] * R[2][k];
}

Test(io_extxyz, general_lattice_is_rotated_to_lammps_form)
{
    sb_structure s = SB_STRUCTURE_INIT, r = SB_STRUCTURE_INIT;
    iot_random_structure(&s, 200, true, false, 33);
    double R[3][3];
    const double axis[3] = {0.3, -1.0, 0.7};
    rotation(axis, 0.9, R);
    char path[1024];
    iot_tmp_path(path, sizeof path, "io_xyz_rot.xyz");
    FILE *fp = fopen(path, "w");
    cr_assert_not_null(fp);
    fprintf(fp, "%zu\nLattice=\"", s.n);
    for (int row = 0; row < 3; row++) {
        double a[3];
        rowmul(s.cell.h[row], R, a);
        fprintf(fp, "%s%.17g %.17g %.17g", row ? " " : "", a[0], a[1], a[2]);
    }
    fprintf(fp, "\" Origin=\"%.17g %.17g %.17g\" Properties=id:I:1:species:S:1:pos:R:3\n", s.cell.lo[0],
            s.cell.lo[1], s.cell.lo[2]);
    for (size_t i = 0; i < s.n; i++) {
        const double *x = &s.x[3 * i];
        const double d[3] = {x[0] - s.cell.lo[0], x[1] - s.cell.lo[1], x[2] - s.cell.lo[2]};
        double rd[3];
        rowmul(d, R, rd);
        fprintf(fp, "%lld %s %.17g %.17g %.17g\n", (long long)s.id[i], s.type_name[s.type[i] - 1],
                s.cell.lo[0] + rd[0], s.cell.lo[1] + rd[1], s.cell.lo[2] + rd[2]);
    }
    fclose(fp);
    cr_assert_eq(sb_read_extxyz(path, &r, &err), SB_OK, "%s", err.msg);
    for (int k = 0; k < 3; k++) {
        cr_expect(fabs(r.cell.lo[k] - s.cell.lo[k]) < 1e-12);
        cr_expect(fabs(r.cell.hi[k] - s.cell.hi[k]) < 1e-12, "hi[%d] %.17g vs %.17g", k, r.cell.hi[k], s.cell.hi[k]);
    }
    cr_expect(fabs(r.cell.xy - s.cell.xy) < 1e-12, "xy %.17g vs %.17g", r.cell.xy, s.cell.xy);
    cr_expect(fabs(r.cell.xz - s.cell.xz) < 1e-12);
    cr_expect(fabs(r.cell.yz - s.cell.yz) < 1e-12);
    const double d = iot_max_pos_diff(&s, &r);
    cr_expect(d >= 0 && d < 1e-11, "max position difference %g", d);
    cr_expect_eq(memcmp(s.type, r.type, s.n * sizeof *s.type), 0); /* Cu < Zr sorted = 1, 2 */
    sb_structure_free(&s);
    sb_structure_free(&r);
}

Test(io_extxyz, left_handed_lattice_rejected)
{
    char path[1024];
    iot_tmp_path(path, sizeof path, "io_xyz_left.xyz");
    cr_assert(iot_write_text(path, "1\nLattice=\"0 8 0 8 0 0 0 0 8\"\nCu 1 1 1\n"));
    sb_structure s = SB_STRUCTURE_INIT;
    cr_expect_eq(sb_read_extxyz(path, &s, &err), SB_ERR_GEOMETRY);
    cr_expect(strstr(err.msg, "io_xyz_left.xyz:2:") != NULL, "%s", err.msg);
}

Test(io_extxyz, nonperiodic_rejected)
{
    char path[1024];
    iot_tmp_path(path, sizeof path, "io_xyz_pbc.xyz");
    cr_assert(iot_write_text(path, "1\nLattice=\"8 0 0 0 8 0 0 0 8\" pbc=\"T T F\"\nCu 1 1 1\n"));
    sb_structure s = SB_STRUCTURE_INIT;
    cr_expect_eq(sb_read_extxyz(path, &s, &err), SB_ERR_FORMAT);
    cr_expect(strstr(err.msg, ":2:") != NULL, "%s", err.msg);
}

Test(io_extxyz, last_frame_of_several)
{
    char path[1024];
    iot_tmp_path(path, sizeof path, "io_xyz_frames.xyz");
    cr_assert(iot_write_text(path, "1\nLattice=\"8 0 0 0 8 0 0 0 8\"\nCu 1 1 1\n"
                                   "2\nLattice=\"9 0 0 0 9 0 0 0 9\"\nCu 1 1 1\nZr 2 2 2\n"));
    sb_structure s = SB_STRUCTURE_INIT;
    cr_assert_eq(sb_read_extxyz(path, &s, &err), SB_OK, "%s", err.msg);
    cr_expect_eq(s.n, 2);
    cr_expect_eq(s.cell.hi[0], 9.0);
    sb_structure_free(&s);
}

Test(io_extxyz, shared_or_empty_names_written_as_type_numbers)
{
    sb_structure s = SB_STRUCTURE_INIT, r = SB_STRUCTURE_INIT;
    iot_random_structure(&s, 20, false, false, 4);
    s.type_name[0][0] = '\0';
    char path[1024];
    iot_tmp_path(path, sizeof path, "io_xyz_names.xyz");
    cr_assert_eq(sb_write_extxyz(path, &s, NULL, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(sb_read_extxyz(path, &r, &err), SB_OK, "%s", err.msg);
    cr_expect_eq(memcmp(s.type, r.type, s.n * sizeof *s.type), 0);
    cr_expect_str_eq(r.type_name[0], "");
    cr_expect_str_eq(r.type_name[1], "Zr");
    sb_structure_free(&s);
    sb_structure_free(&r);
}

Test(io_extxyz, integer_type_column_without_species)
{
    char path[1024];
    iot_tmp_path(path, sizeof path, "io_xyz_type.xyz");
    cr_assert(iot_write_text(path, "2\nLattice=\"8 0 0 0 8 0 0 0 8\" Properties=id:I:1:type:I:1:pos:R:3\n"
                                   "5 2 1 1 1\n6 1 2 2 2\n"));
    sb_structure s = SB_STRUCTURE_INIT;
    cr_assert_eq(sb_read_extxyz(path, &s, &err), SB_OK, "%s", err.msg);
    cr_expect(s.type[0] == 2 && s.type[1] == 1 && s.id[1] == 6);
    cr_expect_null(sb_structure_find_property(&s, "type"));
    sb_structure_free(&s);
}
