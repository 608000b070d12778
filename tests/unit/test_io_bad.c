/*
 * Malformed structure files (tests/data/bad/): each must give a non-zero status of the right
 * kind and ONE message naming the file and the line at fault. Criterion forks per test, so
 * a crash in a reader fails its test instead of the whole run.
 */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shearband/fileutil.h"
#include "shearband/io.h"

static void expect_failure(const char *file, sb_status code, int line, const char *token)
{
    char path[1024], where[1100];
    snprintf(path, sizeof path, "%s/bad/%s", SB_TEST_DATA, file);
    snprintf(where, sizeof where, "%s:%d:", path, line);
    sb_structure s = SB_STRUCTURE_INIT;
    sb_error err;
    sb_error_clear(&err);
    const sb_status st = sb_read_structure(path, &s, &err);
    cr_expect_eq(st, code, "%s: status %d (%s), expected %d; message: %s", file, st,
                 sb_status_name(st), code, err.msg);
    cr_expect_eq(err.code, code, "%s: err.code %d", file, err.code);
    cr_expect(strstr(err.msg, where) != NULL, "%s: message lacks '%s': %s", file, where, err.msg);
    cr_expect(strstr(err.msg, "expected") != NULL, "%s: message lacks 'expected': %s", file, err.msg);
    if (token) cr_expect(strstr(err.msg, token) != NULL, "%s: message lacks '%s': %s", file, token, err.msg);
    cr_expect(strchr(err.msg, '\n') == NULL, "%s: message is not one line: %s", file, err.msg);
    cr_expect_eq(s.n, 0, "%s: a failed read must leave the structure empty", file);
    sb_structure_free(&s);
}

Test(io_bad, data_truncated) { expect_failure("data_truncated.data", SB_ERR_PARSE, 19, "end of file"); }
Test(io_bad, data_too_few_atoms) { expect_failure("data_too_few_atoms.data", SB_ERR_PARSE, 22, "'Velocities'"); }
Test(io_bad, data_too_many_atoms) { expect_failure("data_too_many_atoms.data", SB_ERR_PARSE, 22, "'5'"); }
Test(io_bad, data_unknown_section) { expect_failure("data_unknown_section.data", SB_ERR_FORMAT, 23, "'Charges'"); }
Test(io_bad, data_nonnumeric) { expect_failure("data_nonnumeric.data", SB_ERR_PARSE, 20, "'abc'"); }
Test(io_bad, data_nan) { expect_failure("data_nan.data", SB_ERR_PARSE, 19, "'nan'"); }
Test(io_bad, data_inf) { expect_failure("data_inf.data", SB_ERR_PARSE, 21, "'inf'"); }
Test(io_bad, data_far_outside) { expect_failure("data_far_outside.data", SB_ERR_GEOMETRY, 21, "inside the cell"); }
Test(io_bad, data_zero_volume) { expect_failure("data_zero_volume.data", SB_ERR_GEOMETRY, 7, "yhi > ylo"); }
Test(io_bad, data_missing_mass) { expect_failure("data_missing_mass.data", SB_ERR_PARSE, 13, "mass for atom type 1"); }
Test(io_bad, data_duplicate_id) { expect_failure("data_duplicate_id.data", SB_ERR_PARSE, 20, "'2'"); }
Test(io_bad, data_type_range) { expect_failure("data_type_range.data", SB_ERR_PARSE, 21, "'3'"); }
Test(io_bad, data_bonds) { expect_failure("data_bonds.data", SB_ERR_FORMAT, 5, "'3'"); }
Test(io_bad, data_columns) { expect_failure("data_columns.data", SB_ERR_PARSE, 18, "found 6 fields"); }
Test(io_bad, data_not_atomic) { expect_failure("data_not_atomic.data", SB_ERR_FORMAT, 16, "'full'"); }
Test(io_bad, data_empty) { expect_failure("data_empty.data", SB_ERR_PARSE, 1, "empty"); }
Test(io_bad, dump_truncated) { expect_failure("dump_truncated.dump", SB_ERR_PARSE, 11, "end of file"); }
Test(io_bad, dump_fields) { expect_failure("dump_fields.dump", SB_ERR_PARSE, 12, "5 fields as ITEM: ATOMS says (atom 3 of 4), found 4"); }
Test(io_bad, dump_no_id) { expect_failure("dump_no_id.dump", SB_ERR_PARSE, 9, "'id'"); }
Test(io_bad, dump_nonnumeric) { expect_failure("dump_nonnumeric.dump", SB_ERR_PARSE, 11, "'x1.5'"); }
Test(io_bad, dump_type_zero) { expect_failure("dump_type_zero.dump", SB_ERR_PARSE, 13, "'0'"); }
Test(io_bad, dump_duplicate_id) { expect_failure("dump_duplicate_id.dump", SB_ERR_PARSE, 13, "line 10"); }
Test(io_bad, dump_second_frame_truncated)
{
    expect_failure("dump_second_frame_truncated.dump", SB_ERR_PARSE, 25, "end of file");
}
Test(io_bad, xyz_no_lattice) { expect_failure("xyz_no_lattice.xyz", SB_ERR_PARSE, 2, "Lattice"); }
Test(io_bad, xyz_short) { expect_failure("xyz_short.xyz", SB_ERR_PARSE, 5, "end of file"); }
Test(io_bad, xyz_fields) { expect_failure("xyz_fields.xyz", SB_ERR_PARSE, 4, "4 fields as Properties= says (atom 2 of 4), found 3 fields"); }

Test(io_bad, missing_file)
{
    sb_structure s = SB_STRUCTURE_INIT;
    sb_error err;
    const char *path = SB_TEST_DATA "/bad/no_such_file.data";
    cr_expect_eq(sb_read_structure(path, &s, &err), SB_ERR_IO);
    cr_expect(strstr(err.msg, path) != NULL, "%s", err.msg);
}

/* The streaming reader reports the first frame and then the error of the second. */
Test(io_bad, dump_stream_stops_at_bad_frame)
{
    sb_dump_reader *d;
    sb_error err;
    cr_assert_eq(sb_dump_open(SB_TEST_DATA "/bad/dump_second_frame_truncated.dump", &d, &err), SB_OK);
    sb_structure s = SB_STRUCTURE_INIT;
    bool done = false;
    cr_expect_eq(sb_dump_next(d, &s, &done, &err), SB_OK, "%s", err.msg);
    cr_expect(!done);
    cr_expect_eq(s.timestep, 100);
    cr_expect_eq(sb_dump_next(d, &s, &done, &err), SB_ERR_PARSE);
    cr_expect_eq(s.timestep, 100, "a failed frame must leave the previous one in place");
    sb_dump_close(d);
    sb_structure_free(&s);
}

Test(io_bad, data_velocity_twice) { expect_failure("data_velocity_twice.data", SB_ERR_PARSE, 27, "line 25"); }
Test(io_bad, data_mass_twice) { expect_failure("data_mass_twice.data", SB_ERR_PARSE, 14, "type 1 repeated"); }

/* A resumed run's parameter record (shear.params, quench.params, MSD cache) that differs
 * from the options given: the message names the file and the first differing line. */
Test(io_bad, parameter_record_mismatch_names_the_line)
{
    char path[] = "/tmp/sb_params_XXXXXX";
    const int fd = mkstemp(path);
    cr_assert(fd >= 0);
    const char rec[] = "glass g.data\ncheckpoint_every 100\nstep 0.001\n";
    cr_assert_eq(write(fd, rec, sizeof rec - 1), (ssize_t)(sizeof rec - 1));
    close(fd);
    sb_error err;
    cr_expect_eq(sb_params_match(path, rec, sizeof rec - 1, "the run", "use a new directory", &err), SB_OK);
    const char now[] = "glass g.data\ncheckpoint_every 25\nstep 0.001\n";
    cr_expect_eq(sb_params_match(path, now, sizeof now - 1, "the run", "use a new directory", &err), SB_ERR_INVALID_ARG);
    cr_expect(strstr(err.msg, path) && strstr(err.msg, "different parameters") && strstr(err.msg, "line 2") &&
                  strstr(err.msg, "recorded 'checkpoint_every 100'") && strstr(err.msg, "now 'checkpoint_every 25'") &&
                  strstr(err.msg, "use a new directory"),
              "%s", err.msg);
    const char longer[] = "glass g.data\ncheckpoint_every 100\nstep 0.001\nsave 0.1\n";
    cr_expect_eq(sb_params_match(path, longer, sizeof longer - 1, "the run", "x", &err), SB_ERR_INVALID_ARG);
    cr_expect(strstr(err.msg, "line 4") && strstr(err.msg, "now 'save 0.1'"), "%s", err.msg);
    unlink(path);
    cr_expect_eq(sb_params_match(path, rec, sizeof rec - 1, "the run", "x", &err), SB_ERR_IO);
    cr_expect(strstr(err.msg, path) != NULL, "%s", err.msg);
}
