/*
 * LAMMPS data files: the bundled example read exactly, bit-exact write/read round trips of
 * random triclinic structures, and the liberties LAMMPS allows (comments, blank lines,
 * section order, CRLF, BOM, atoms slightly outside the box).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io_testutil.h"
#include "shearband/fileutil.h"
#include "shearband/io.h"

static sb_error err;

static void read_ok(const char *path, sb_structure *s)
{
    sb_error_clear(&err);
    sb_status st = sb_read_lammps_data(path, s, &err);
    cr_assert_eq(st, SB_OK, "%s: %s", path, err.msg);
}

Test(io_data, bundled_example)
{
    sb_structure s = SB_STRUCTURE_INIT;
    read_ok(SB_SOURCE_DIR "/examples/cu50zr50_864.data", &s);
    cr_expect_eq(s.n, 864);
    cr_expect_eq(s.ntypes, 2);
    size_t counts[2];
    sb_structure_type_counts(&s, counts);
    cr_expect_eq(counts[0], 432);
    cr_expect_eq(counts[1], 432);
    /* No comments in its Masses: the elements come from the masses. */
    cr_expect_str_eq(s.type_name[0], "Cu");
    cr_expect_str_eq(s.type_name[1], "Zr");
    cr_expect_eq(s.mass[0], 63.546);
    cr_expect_eq(s.mass[1], 91.224);
    /* The box exactly as written (strtod of the same text). */
    for (int k = 0; k < 3; k++) {
        cr_expect_eq(s.cell.lo[k], -0.4592266353613063);
        cr_expect_eq(s.cell.hi[k], 24.45922663536109);
    }
    cr_expect(!sb_cell_is_triclinic(&s.cell));
    cr_expect_eq(s.timestep, 28819);
    /* First atom line: 196 1 1.7079705265160363 2.2385401172186743 1.8618448366947777 1 0 0 */
    cr_expect_eq(s.id[0], 196);
    cr_expect_eq(s.type[0], 1);
    cr_expect_eq(s.x[0], 1.7079705265160363);
    cr_expect_eq(s.x[1], 2.2385401172186743);
    cr_expect_eq(s.x[2], 1.8618448366947777);
    cr_assert_not_null(s.image);
    cr_expect(s.image[0] == 1 && s.image[1] == 0 && s.image[2] == 0);
    /* Velocities kept by id: last line "725 0.22405103152648348 -2.185548937745592 3.0440007897496004" */
    const sb_property *v = sb_structure_find_property(&s, "velocity");
    cr_assert_not_null(v);
    cr_expect_eq(v->ncomp, 3);
    size_t *order;
    cr_assert_eq(sb_structure_id_order(&s, &order, NULL), SB_OK);
    const size_t a = sb_structure_index_of(&s, order, 725);
    cr_assert_neq(a, (size_t)-1);
    cr_expect_eq(v->data[3 * a], 0.22405103152648348);
    cr_expect_eq(v->data[3 * a + 1], -2.185548937745592);
    cr_expect_eq(v->data[3 * a + 2], 3.0440007897496004);
    free(order);
    double rho;
    cr_expect_eq(sb_structure_density(&s, &rho, NULL), SB_OK);
    const double vol = pow(24.45922663536109 + 0.4592266353613063, 3);
    cr_expect(fabs(rho - 432 * (63.546 + 91.224) / 6.02214076e23 / (vol * 1e-24)) < 1e-12);
    sb_structure_free(&s);
}

static void expect_identical(const sb_structure *a, const sb_structure *b)
{
    cr_assert_eq(a->n, b->n);
    cr_expect_eq(memcmp(a->id, b->id, a->n * sizeof *a->id), 0, "ids differ");
    cr_expect_eq(memcmp(a->type, b->type, a->n * sizeof *a->type), 0, "types differ");
    cr_expect_eq(memcmp(a->x, b->x, 3 * a->n * sizeof *a->x), 0, "positions differ (not bit-exact)");
    cr_expect_eq(!a->image, !b->image);
    if (a->image && b->image)
        cr_expect_eq(memcmp(a->image, b->image, 3 * a->n * sizeof *a->image), 0, "images differ");
    cr_expect_eq(memcmp(a->cell.lo, b->cell.lo, sizeof a->cell.lo), 0);
    cr_expect_eq(memcmp(a->cell.hi, b->cell.hi, sizeof a->cell.hi), 0);
    cr_expect(a->cell.xy == b->cell.xy && a->cell.xz == b->cell.xz && a->cell.yz == b->cell.yz);
    cr_assert_eq(a->ntypes, b->ntypes);
    for (int t = 0; t < a->ntypes; t++) {
        cr_expect_str_eq(a->type_name[t], b->type_name[t]);
        cr_expect_eq(a->mass[t], b->mass[t]);
    }
    cr_expect_eq(a->timestep, b->timestep);
}

Test(io_data, round_trip_triclinic_bit_exact)
{
    char path[1024];
    iot_tmp_path(path, sizeof path, "io_data_rt.data");
    for (uint64_t seed = 1; seed <= 5; seed++) {
        sb_structure s = SB_STRUCTURE_INIT, r = SB_STRUCTURE_INIT;
        iot_random_structure(&s, 500, true, seed % 2 == 1, seed);
        double *v;
        cr_assert_eq(sb_structure_add_property(&s, "velocity", 3, &v, NULL), SB_OK);
        for (size_t i = 0; i < 3 * s.n; i++) v[i] = sin((double)i * 0.7 + (double)seed) / 3.0;
        cr_assert_eq(sb_write_lammps_data(path, &s, NULL, &err), SB_OK, "%s", err.msg);
        read_ok(path, &r);
        expect_identical(&s, &r);
        const sb_property *rv = sb_structure_find_property(&r, "velocity");
        cr_assert_not_null(rv);
        /* Velocities come back by id, atoms in file order (same as written). */
        cr_expect_eq(memcmp(v, rv->data, 3 * s.n * sizeof *v), 0, "velocities differ");
        sb_structure_free(&s);
        sb_structure_free(&r);
    }
}

Test(io_data, writer_layout_matches_write_data)
{
    sb_structure s = SB_STRUCTURE_INIT;
    iot_random_structure(&s, 3, true, true, 7);
    char path[1024];
    iot_tmp_path(path, sizeof path, "io_data_layout.data");
    cr_assert_eq(sb_write_lammps_data(path, &s, "my comment\nsecond line", &err), SB_OK, "%s", err.msg);
    char *text = iot_read_text(path);
    cr_assert_not_null(text);
    const char *start = "my comment\n\n3 atoms\n2 atom types\n\n";
    cr_expect(strncmp(text, start, strlen(start)) == 0, "%s", text);
    cr_expect(strstr(text, " xy xz yz\n\nMasses\n\n1 63.546 # Cu\n2 91.224 # Zr\n\nAtoms # atomic\n\n") != NULL,
              "%s", text);
    cr_expect(strstr(text, "Velocities") == NULL);
    free(text);
    sb_structure_free(&s);
}

Test(io_data, liberal_layout)
{
    /* Comments everywhere, Atoms before Masses, extra zero counts, Pair Coeffs skipped,
     * no image flags, an atom slightly outside the box (kept as is), a huge padded line. */
    char path[1024];
    iot_tmp_path(path, sizeof path, "io_data_liberal.data");
    const char *head =
        "# first line is free\n"
        "   # a comment line\n"
        "3 atoms # count\n"
        "0 bonds\n0 bond types\n1 extra bond per atom\n"
        "2 atom types\n"
        "0.0 10.0 xlo xhi\n0.0 10.0 ylo yhi # y\n0.0 10.0 zlo zhi\n"
        "\n\nAtoms # atomic\n\n"
        "# comment inside a section\n"
        "3 2 9.0 9.0 9.0\n"
        "1 1 -0.5 1.0 1.0 # slightly outside\n";
    size_t pad = 200000;
    char *text = malloc(strlen(head) + pad + 1000);
    strcpy(text, head);
    char *p = text + strlen(head);
    memcpy(p, "2", 1);
    memset(p + 1, ' ', pad);
    strcpy(p + 1 + pad, "2 5.0 5.0 5.0\n\nPair Coeffs # lj/cut\n\n1 1.0 1.0\n2 1.0 1.0\n\n"
                        "Masses\n\n2 91.224\n1 26.98 # Al\n");
    cr_assert(iot_write_text(path, text));
    free(text);
    sb_structure s = SB_STRUCTURE_INIT;
    read_ok(path, &s);
    cr_expect_eq(s.n, 3);
    cr_expect_null(s.image);
    cr_expect_eq(s.id[0], 3);
    cr_expect_eq(s.id[1], 1);
    cr_expect_eq(s.x[3], -0.5);
    cr_expect_eq(s.id[2], 2);
    cr_expect_eq(s.type[2], 2);
    cr_expect_str_eq(s.type_name[0], "Al"); /* from the comment, not the mass */
    cr_expect_str_eq(s.type_name[1], "Zr"); /* guessed from the mass */
    cr_expect_eq(s.mass[0], 26.98);
    sb_structure_free(&s);
}

Test(io_data, unknown_mass_keeps_empty_name)
{
    char path[1024];
    iot_tmp_path(path, sizeof path, "io_data_unknown_mass.data");
    cr_assert(iot_write_text(path, "x\n\n1 atoms\n1 atom types\n0 1 xlo xhi\n0 1 ylo yhi\n0 1 zlo zhi\n\n"
                                   "Masses\n\n1 12.3456\n\nAtoms\n\n1 1 0.5 0.5 0.5\n"));
    sb_structure s = SB_STRUCTURE_INIT;
    read_ok(path, &s);
    cr_expect_str_eq(s.type_name[0], "");
    cr_expect_eq(s.mass[0], 12.3456);
    sb_structure_free(&s);
}

Test(io_data, crlf_and_bom)
{
    char *text = iot_read_text(SB_TEST_DATA "/good_small.data");
    cr_assert_not_null(text);
    char *dos = malloc(2 * strlen(text) + 4);
    char *q = dos;
    *q++ = (char)0xEF, *q++ = (char)0xBB, *q++ = (char)0xBF;
    for (const char *p = text; *p; p++) {
        if (*p == '\n') *q++ = '\r';
        *q++ = *p;
    }
    *q = '\0';
    char path[1024];
    iot_tmp_path(path, sizeof path, "io_data_dos.data");
    cr_assert(iot_write_text(path, dos));
    sb_structure a = SB_STRUCTURE_INIT, b = SB_STRUCTURE_INIT;
    read_ok(SB_TEST_DATA "/good_small.data", &a);
    read_ok(path, &b);
    expect_identical(&a, &b);
    cr_expect_str_eq(b.type_name[1], "Zr");
    cr_expect_eq(a.cell.xy, 1.0);
    cr_expect_eq(a.cell.xz, 0.5);
    free(text);
    free(dos);
    sb_structure_free(&a);
    sb_structure_free(&b);
}

Test(io_data, write_needs_masses)
{
    sb_structure s = SB_STRUCTURE_INIT;
    iot_random_structure(&s, 4, false, false, 3);
    s.type_name[1][0] = '\0';
    s.mass[1] = NAN;
    char path[1024];
    iot_tmp_path(path, sizeof path, "io_data_nomass.data");
    remove(path);
    cr_expect_eq(sb_write_lammps_data(path, &s, NULL, &err), SB_ERR_INVALID_ARG);
    cr_expect(strstr(err.msg, "type 2") != NULL, "%s", err.msg);
    cr_expect(!sb_file_exists(path));
    sb_structure_free(&s);
}

Test(io_data, failed_write_leaves_old_file)
{
    char path[1024];
    iot_tmp_path(path, sizeof path, "no_such_dir/x.data");
    sb_structure s = SB_STRUCTURE_INIT;
    iot_random_structure(&s, 4, false, false, 3);
    cr_expect_eq(sb_write_lammps_data(path, &s, NULL, &err), SB_ERR_IO);
    cr_expect(strstr(err.msg, "no_such_dir/x.data") != NULL, "%s", err.msg);
    sb_structure_free(&s);
}

Test(io_data, type_labels)
{
    /* LAMMPS 2022+ type labels: names for types, usable instead of numbers. */
    char path[1024];
    iot_tmp_path(path, sizeof path, "io_data_labels.data");
    cr_assert(iot_write_text(path, "labels\n\n2 atoms\n2 atom types\n0 5 xlo xhi\n0 5 ylo yhi\n0 5 zlo zhi\n\n"
                                   "Atom Type Labels\n\n1 Cu\n2 Zr\n\nMasses\n\nZr 91.224\n1 63.546\n\n"
                                   "Atoms # atomic\n\n1 Zr 1 1 1\n2 1 2 2 2\n"));
    sb_structure s = SB_STRUCTURE_INIT;
    read_ok(path, &s);
    cr_expect(s.type[0] == 2 && s.type[1] == 1);
    cr_expect_str_eq(s.type_name[0], "Cu");
    cr_expect_eq(s.mass[1], 91.224);
    sb_structure_free(&s);
    /* Without labels a name is not a type. */
    cr_assert(iot_write_text(path, "labels\n\n1 atoms\n1 atom types\n0 5 xlo xhi\n0 5 ylo yhi\n0 5 zlo zhi\n\n"
                                   "Masses\n\n1 63.546 # Cu\n\nAtoms # atomic\n\n1 Cu 1 1 1\n"));
    cr_expect_eq(sb_read_lammps_data(path, &s, &err), SB_ERR_PARSE);
    cr_expect(strstr(err.msg, ":15:") && strstr(err.msg, "'Cu'"), "%s", err.msg);
}

Test(io_data, outside_tolerance_is_half_a_box)
{
    /* Triclinic, so that the test is on fractional, not Cartesian, coordinates: with
     * xy = 4 an atom at y = 9.9 has s_x = (x - 4*0.99) / 10. */
    char path[1024];
    iot_tmp_path(path, sizeof path, "io_data_tol.data");
    const double xs[4] = {-0.49, -0.51, 1.49, 1.51};
    for (int k = 0; k < 4; k++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "tol\n\n1 atoms\n1 atom types\n0 10 xlo xhi\n0 10 ylo yhi\n0 10 zlo zhi\n4 0 0 xy xz yz\n\n"
                 "Masses\n\n1 63.546\n\nAtoms\n\n1 1 %.17g 9.9 5\n",
                 10.0 * xs[k] + 4.0 * 0.99);
        cr_assert(iot_write_text(path, text));
        sb_structure s = SB_STRUCTURE_INIT;
        const sb_status st = sb_read_lammps_data(path, &s, &err);
        const bool inside = xs[k] > -0.5 && xs[k] < 1.5;
        cr_expect_eq(st, inside ? SB_OK : SB_ERR_GEOMETRY, "s = %g: %s", xs[k], err.msg);
        if (!inside) cr_expect(strstr(err.msg, ":16:") != NULL, "%s", err.msg);
        sb_structure_free(&s);
    }
}
