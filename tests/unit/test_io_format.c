#define _POSIX_C_SOURCE 200809L
/*
 * Format detection (extension, then content) and the read/write dispatch.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io_testutil.h"
#include "shearband/fileutil.h"
#include "shearband/io.h"

static sb_error err;

static sb_file_format guess(const char *path)
{
    sb_file_format fmt = SB_FORMAT_AUTO;
    cr_assert_eq(sb_guess_format(path, &fmt, &err), SB_OK, "%s: %s", path, err.msg);
    return fmt;
}

Test(io_format, by_extension)
{
    /* The extension decides without opening the file. */
    cr_expect_eq(guess("/nonexistent/a.data"), SB_FORMAT_LAMMPS_DATA);
    cr_expect_eq(guess("/nonexistent/a.lmp"), SB_FORMAT_LAMMPS_DATA);
    cr_expect_eq(guess("/nonexistent/a.DUMP"), SB_FORMAT_LAMMPS_DUMP);
    cr_expect_eq(guess("/nonexistent/a.lammpstrj"), SB_FORMAT_LAMMPS_DUMP);
    cr_expect_eq(guess("/nonexistent/a.xyz"), SB_FORMAT_EXTXYZ);
    cr_expect_eq(guess("/nonexistent/a.extxyz"), SB_FORMAT_EXTXYZ);
}

static void copy_as(const char *src, const char *name, char *dst, size_t size)
{
    iot_tmp_path(dst, size, name);
    char *text = iot_read_text(src);
    cr_assert_not_null(text);
    cr_assert(iot_write_text(dst, text));
    free(text);
}

Test(io_format, by_content)
{
    char path[1024];
    copy_as(SB_TEST_DATA "/good_small.dump", "dump.glass.10000", path, sizeof path);
    cr_expect_eq(guess(path), SB_FORMAT_LAMMPS_DUMP);
    sb_structure s = SB_STRUCTURE_INIT;
    cr_expect_eq(sb_read_structure(path, &s, &err), SB_OK, "%s", err.msg);
    cr_expect_eq(s.n, 4);
    copy_as(SB_TEST_DATA "/good_small.data", "glass_data_noext", path, sizeof path);
    cr_expect_eq(guess(path), SB_FORMAT_LAMMPS_DATA);
    cr_expect_eq(sb_read_structure(path, &s, &err), SB_OK, "%s", err.msg);
    cr_expect_eq(s.n, 4);
    copy_as(SB_TEST_DATA "/good_small.xyz", "frame.txt", path, sizeof path);
    cr_expect_eq(guess(path), SB_FORMAT_EXTXYZ);
    cr_expect_eq(sb_read_structure(path, &s, &err), SB_OK, "%s", err.msg);
    cr_expect_eq(s.n, 4);
    sb_structure_free(&s);
    iot_tmp_path(path, sizeof path, "notes.txt");
    cr_assert(iot_write_text(path, "hello\nworld\n"));
    sb_file_format fmt;
    cr_expect_eq(sb_guess_format(path, &fmt, &err), SB_ERR_FORMAT);
    cr_expect(strstr(err.msg, "notes.txt") != NULL, "%s", err.msg);
}

/* The same small structure from all three formats must agree. */
Test(io_format, three_formats_agree)
{
    sb_structure a = SB_STRUCTURE_INIT, b = SB_STRUCTURE_INIT, c = SB_STRUCTURE_INIT;
    cr_assert_eq(sb_read_structure(SB_TEST_DATA "/good_small.data", &a, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(sb_read_structure(SB_TEST_DATA "/good_small.dump", &b, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(sb_read_structure(SB_TEST_DATA "/good_small.xyz", &c, &err), SB_OK, "%s", err.msg);
    cr_expect_eq(iot_max_pos_diff(&a, &b), 0.0);
    cr_expect_eq(iot_max_pos_diff(&a, &c), 0.0);
    for (int k = 0; k < 3; k++) {
        cr_expect_eq(a.cell.lo[k], b.cell.lo[k]);
        cr_expect_eq(a.cell.hi[k], b.cell.hi[k]);
        cr_expect_eq(a.cell.hi[k], c.cell.hi[k]);
    }
    cr_expect(a.cell.xy == b.cell.xy && a.cell.xy == c.cell.xy && a.cell.xz == c.cell.xz);
    cr_expect_eq(memcmp(a.type, c.type, a.n * sizeof *a.type), 0);
    sb_structure_free(&a);
    sb_structure_free(&b);
    sb_structure_free(&c);
}

Test(io_format, write_dispatch)
{
    sb_structure s = SB_STRUCTURE_INIT, r = SB_STRUCTURE_INIT;
    iot_random_structure(&s, 30, true, true, 8);
    static const char *const names[] = {"io_fmt_w.data", "io_fmt_w.dump", "io_fmt_w.xyz"};
    static const sb_file_format fmts[] = {SB_FORMAT_LAMMPS_DATA, SB_FORMAT_LAMMPS_DUMP, SB_FORMAT_EXTXYZ};
    for (int k = 0; k < 3; k++) {
        char path[1024];
        iot_tmp_path(path, sizeof path, names[k]);
        remove(path);
        cr_assert_eq(sb_write_structure(path, &s, &err), SB_OK, "%s", err.msg);
        /* The content alone identifies the format. */
        char plain[1100];
        snprintf(plain, sizeof plain, "%s.noext", path);
        char *text = iot_read_text(path);
        cr_assert(iot_write_text(plain, text));
        free(text);
        sb_file_format fmt;
        cr_assert_eq(sb_guess_format(plain, &fmt, &err), SB_OK, "%s", err.msg);
        cr_expect_eq(fmt, fmts[k], "%s", names[k]);
        cr_assert_eq(sb_read_structure(path, &r, &err), SB_OK, "%s", err.msg);
        cr_expect_eq(iot_max_pos_diff(&s, &r), 0.0, "%s", names[k]);
        /* No temporary file left behind. */
        char tmp[1200];
        snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
        cr_expect(!sb_file_exists(tmp));
    }
    char path[1024];
    iot_tmp_path(path, sizeof path, "io_fmt_w.cfg");
    cr_expect_eq(sb_write_structure(path, &s, &err), SB_ERR_INVALID_ARG);
    cr_expect(strstr(err.msg, "io_fmt_w.cfg") != NULL, "%s", err.msg);
    sb_structure_free(&s);
    sb_structure_free(&r);
}
