/*
 * LAMMPS dump files: round trips, LAMMPS's triclinic bounding-box convention against hand
 * computed values, shuffled and scaled / unwrapped columns against the plain ones, and
 * frame-by-frame streaming.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_testutil.h"
#include "shearband/io.h"

static sb_error err;

Test(io_dump, round_trip_triclinic)
{
    char path[1024];
    iot_tmp_path(path, sizeof path, "io_dump_rt.dump");
    for (uint64_t seed = 11; seed <= 14; seed++) {
        sb_structure s = SB_STRUCTURE_INIT, r = SB_STRUCTURE_INIT;
        iot_random_structure(&s, 400, true, seed % 2 == 0, seed);
        double *d2, *vec;
        cr_assert_eq(sb_structure_add_property(&s, "c_d2min", 1, &d2, NULL), SB_OK);
        cr_assert_eq(sb_structure_add_property(&s, "prob", 2, &vec, NULL), SB_OK);
        for (size_t i = 0; i < s.n; i++) {
            d2[i] = exp(-(double)i / 7.0);
            vec[2 * i] = 1.0 / (double)(i + 3);
            vec[2 * i + 1] = -vec[2 * i];
        }
        cr_assert_eq(sb_write_dump(path, &s, false, &err), SB_OK, "%s", err.msg);
        cr_assert_eq(sb_read_dump(path, -1, &r, &err), SB_OK, "%s", err.msg);
        cr_assert_eq(r.n, s.n);
        cr_expect_eq(memcmp(s.id, r.id, s.n * sizeof *s.id), 0);
        cr_expect_eq(memcmp(s.type, r.type, s.n * sizeof *s.type), 0);
        cr_expect_eq(memcmp(s.x, r.x, 3 * s.n * sizeof *s.x), 0, "positions not bit-exact");
        cr_expect_eq(!s.image, !r.image);
        if (s.image && r.image) cr_expect_eq(memcmp(s.image, r.image, 3 * s.n * sizeof *s.image), 0);
        for (int k = 0; k < 3; k++) {
            cr_expect(fabs(s.cell.lo[k] - r.cell.lo[k]) < 1e-12);
            cr_expect(fabs(s.cell.hi[k] - r.cell.hi[k]) < 1e-12);
        }
        cr_expect_eq(s.cell.xy, r.cell.xy);
        cr_expect_eq(s.cell.xz, r.cell.xz);
        cr_expect_eq(s.cell.yz, r.cell.yz);
        cr_expect_eq(r.timestep, s.timestep);
        cr_assert_eq(r.ntypes, 2);
        cr_expect_str_eq(r.type_name[0], "Cu"); /* element column */
        cr_expect_str_eq(r.type_name[1], "Zr");
        cr_expect_eq(r.mass[1], 91.224);
        const sb_property *rd = sb_structure_find_property(&r, "c_d2min");
        const sb_property *p1 = sb_structure_find_property(&r, "prob[1]");
        const sb_property *p2 = sb_structure_find_property(&r, "prob[2]");
        cr_assert(rd && p1 && p2, "properties missing");
        for (size_t i = 0; i < s.n; i++) {
            cr_expect_eq(rd->data[i], d2[i]);
            cr_expect_eq(p1->data[i], vec[2 * i]);
            cr_expect_eq(p2->data[i], vec[2 * i + 1]);
        }
        sb_structure_free(&s);
        sb_structure_free(&r);
    }
}

/* Bounds by hand for xy = -1, xz = 0.5, yz = -0.5 on [0,10]^3 (dump documentation):
 * xlo_bound = 0 + min(0,-1,0.5,-0.5) = -1, xhi_bound = 10 + max(0,-1,0.5,-0.5) = 10.5,
 * ylo_bound = 0 + min(0,-0.5) = -0.5,      yhi_bound = 10 + max(0,-0.5) = 10. */
Test(io_dump, triclinic_bounds_convention)
{
    char path[1024];
    iot_tmp_path(path, sizeof path, "io_dump_bounds.dump");
    cr_assert(iot_write_text(path, "ITEM: TIMESTEP\n5\nITEM: NUMBER OF ATOMS\n1\n"
                                   "ITEM: BOX BOUNDS xy xz yz pp pp pp\n-1 10.5 -1\n-0.5 10 0.5\n0 10 -0.5\n"
                                   "ITEM: ATOMS id type xs ys zs\n7 1 0.5 0.5 0.5\n"));
    sb_structure s = SB_STRUCTURE_INIT;
    cr_assert_eq(sb_read_dump(path, 0, &s, &err), SB_OK, "%s", err.msg);
    for (int k = 0; k < 3; k++) {
        cr_expect_eq(s.cell.lo[k], 0.0, "lo[%d] = %g", k, s.cell.lo[k]);
        cr_expect_eq(s.cell.hi[k], 10.0, "hi[%d] = %g", k, s.cell.hi[k]);
    }
    cr_expect_eq(s.cell.xy, -1.0);
    cr_expect_eq(s.cell.xz, 0.5);
    cr_expect_eq(s.cell.yz, -0.5);
    /* Cell centre: r = lo + 0.5 (a + b + c) = (0.5*(10 - 1 + 0.5), 0.5*(10 - 0.5), 5). */
    cr_expect(fabs(s.x[0] - 4.75) < 1e-14 && fabs(s.x[1] - 4.75) < 1e-14 && fabs(s.x[2] - 5.0) < 1e-14,
              "%g %g %g", s.x[0], s.x[1], s.x[2]);
    cr_expect_eq(s.type_name[0][0], '\0');
    cr_expect(isnan(s.mass[0]));
    /* Writing gives back the same bounds lines. */
    cr_assert_eq(sb_write_dump(path, &s, false, &err), SB_OK, "%s", err.msg);
    char *text = iot_read_text(path);
    cr_expect(strstr(text, "ITEM: BOX BOUNDS xy xz yz pp pp pp\n-1 10.5 -1\n-0.5 10 0.5\n0 10 -0.5\n") != NULL,
              "%s", text);
    free(text);
    sb_structure_free(&s);
}

/* Write the same configuration with columns in a scrambled order and scaled or unwrapped
 * coordinates; every variant must give the plain positions. */
static void write_variant(const char *path, const sb_structure *s, int variant)
{
    FILE *fp = fopen(path, "w");
    cr_assert_not_null(fp);
    const sb_cell *c = &s->cell;
    const double lb[3] = {c->lo[0] + fmin(fmin(0, c->xy), fmin(c->xz, c->xy + c->xz)),
                          c->lo[1] + fmin(0, c->yz), c->lo[2]};
    const double hb[3] = {c->hi[0] + fmax(fmax(0, c->xy), fmax(c->xz, c->xy + c->xz)),
                          c->hi[1] + fmax(0, c->yz), c->hi[2]};
    fprintf(fp, "ITEM: TIMESTEP\n42\nITEM: TIME\n0.084\nITEM: NUMBER OF ATOMS\n%zu\n", s->n);
    fprintf(fp, "ITEM: BOX BOUNDS xy xz yz pp pp pp\r\n%.17g %.17g %.17g\n%.17g %.17g %.17g\n%.17g %.17g %.17g\n",
            lb[0], hb[0], c->xy, lb[1], hb[1], c->xz, lb[2], hb[2], c->yz);
    static const char *const header[3] = {"ITEM: ATOMS zs type v_e xs id ys\n",
                                          "ITEM: ATOMS iz xu type ix id yu zu iy\n",
                                          "ITEM: ATOMS element ysu id zsu type xsu\n"};
    fputs(header[variant], fp);
    for (size_t i = 0; i < s->n; i++) {
        const double *x = &s->x[3 * i];
        const int *im = &s->image[3 * i];
        double f[3], fu[3], u[3];
        sb_cell_to_frac(c, x, f);
        for (int k = 0; k < 3; k++) fu[k] = f[k] + im[k];
        sb_cell_to_cart(c, fu, u);
        long long id = (long long)s->id[i];
        int t = s->type[i];
        if (variant == 0) fprintf(fp, "%.17g %d %g %.17g %lld %.17g\n", f[2], t, 0.25 * (double)i, f[0], id, f[1]);
        if (variant == 1)
            fprintf(fp, "%d %.17g %d %d %lld %.17g %.17g %d\n", im[2], u[0], t, im[0], id, u[1], u[2], im[1]);
        if (variant == 2)
            fprintf(fp, "%s %.17g %lld %.17g %d %.17g\r\n", s->type_name[t - 1], fu[1], id, fu[2], t, fu[0]);
    }
    fclose(fp);
}

Test(io_dump, shuffled_scaled_unwrapped_columns)
{
    sb_structure s = SB_STRUCTURE_INIT;
    iot_random_structure(&s, 300, true, true, 99);
    char path[1024];
    iot_tmp_path(path, sizeof path, "io_dump_variant.dump");
    for (int variant = 0; variant < 3; variant++) {
        write_variant(path, &s, variant);
        sb_structure r = SB_STRUCTURE_INIT;
        cr_assert_eq(sb_read_structure(path, &r, &err), SB_OK, "variant %d: %s", variant, err.msg);
        cr_expect_eq(r.timestep, 42);
        const double d = iot_max_pos_diff(&s, &r);
        cr_expect(d >= 0.0 && d < 1e-12, "variant %d: max position difference %g", variant, d);
        if (variant == 0) {
            cr_expect_null(r.image);
            const sb_property *e = sb_structure_find_property(&r, "v_e");
            cr_assert_not_null(e);
            cr_expect_eq(e->data[4], 1.0);
        } else {
            cr_assert_not_null(r.image, "variant %d: unwrapped positions must give image flags", variant);
            for (size_t i = 0; i < s.n; i++)
                for (int k = 0; k < 3; k++)
                    cr_expect_eq(r.image[3 * i + k], s.image[3 * i + k], "variant %d atom %zu", variant, i);
            cr_expect_null(sb_structure_find_property(&r, "ix"), "ix must not become a property");
        }
        if (variant == 2) cr_expect_str_eq(r.type_name[1], "Zr");
        sb_structure_free(&r);
    }
    sb_structure_free(&s);
}

Test(io_dump, multi_frame_streaming)
{
    char path[1024];
    iot_tmp_path(path, sizeof path, "io_dump_frames.dump");
    sb_structure s = SB_STRUCTURE_INIT;
    iot_random_structure(&s, 50, true, false, 5);
    const int nframes = 4;
    for (int f = 0; f < nframes; f++) {
        s.timestep = 100 * f;
        s.x[0] = 1.0 + f; /* a mark per frame */
        cr_assert_eq(sb_write_dump(path, &s, f > 0, &err), SB_OK, "%s", err.msg);
    }
    sb_dump_reader *d;
    cr_assert_eq(sb_dump_open(path, &d, &err), SB_OK, "%s", err.msg);
    sb_structure r = SB_STRUCTURE_INIT;
    bool done = false;
    int count = 0;
    for (;;) {
        cr_assert_eq(sb_dump_next(d, &r, &done, &err), SB_OK, "%s", err.msg);
        if (done) break;
        cr_expect_eq(r.timestep, 100 * count);
        cr_expect_eq(r.x[0], 1.0 + count);
        cr_expect_eq(r.n, 50);
        count++;
    }
    cr_expect_eq(count, nframes);
    /* next() after the end keeps saying done */
    cr_expect_eq(sb_dump_next(d, &r, &done, &err), SB_OK);
    cr_expect(done);
    sb_dump_close(d);
    cr_assert_eq(sb_read_dump(path, 2, &r, &err), SB_OK, "%s", err.msg);
    cr_expect_eq(r.timestep, 200);
    cr_assert_eq(sb_read_dump(path, -1, &r, &err), SB_OK, "%s", err.msg);
    cr_expect_eq(r.timestep, 300);
    cr_expect_eq(sb_read_dump(path, 7, &r, &err), SB_ERR_INVALID_ARG);
    cr_expect(strstr(err.msg, "only 4 frame") != NULL, "%s", err.msg);
    cr_expect_eq(r.timestep, 300, "a failed read must not change the structure");
    sb_structure_free(&r);
    sb_structure_free(&s);
}

Test(io_dump, element_conflict_is_an_error)
{
    char path[1024];
    iot_tmp_path(path, sizeof path, "io_dump_conflict.dump");
    cr_assert(iot_write_text(path, "ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\n2\nITEM: BOX BOUNDS pp pp pp\n"
                                   "0 5\n0 5\n0 5\nITEM: ATOMS id type element x y z\n"
                                   "1 1 Cu 1 1 1\n2 1 Zr 2 2 2\n"));
    sb_structure s = SB_STRUCTURE_INIT;
    cr_expect_eq(sb_read_dump(path, -1, &s, &err), SB_ERR_PARSE);
    cr_expect(strstr(err.msg, ":11:") && strstr(err.msg, "'Zr'") && strstr(err.msg, "line 10"), "%s", err.msg);
}

Test(io_dump, nonperiodic_is_unsupported)
{
    char path[1024];
    iot_tmp_path(path, sizeof path, "io_dump_ss.dump");
    cr_assert(iot_write_text(path, "ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\n1\nITEM: BOX BOUNDS pp ss pp\n"
                                   "0 5\n0 5\n0 5\nITEM: ATOMS id type x y z\n1 1 1 1 1\n"));
    sb_structure s = SB_STRUCTURE_INIT;
    cr_expect_eq(sb_read_dump(path, -1, &s, &err), SB_ERR_FORMAT);
    cr_expect(strstr(err.msg, ":5:") && strstr(err.msg, "'ss'"), "%s", err.msg);
}
