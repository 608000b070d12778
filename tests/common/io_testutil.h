/*
 * tests/common/io_testutil.h: fixtures for the structure I/O tests (random triclinic
 * structures, exact comparison, scratch paths).
 */
#ifndef SB_TEST_IO_TESTUTIL_H
#define SB_TEST_IO_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shearband/structure.h"

/* A random Cu/Zr structure of n atoms in a triclinic cell (tilts non-zero when triclinic),
 * ids shuffled and non-contiguous, atoms inside the cell, image flags in -2..2 when
 * with_images. Deterministic for a given seed. */
void iot_random_structure(sb_structure *s, size_t n, bool triclinic, bool with_images,
                          uint64_t seed);

/* "$SB_TEST_TMP/name" (created if needed) in a static buffer of the caller's. */
void iot_tmp_path(char *out, size_t size, const char *name);

/* Write text to a file (asserting success is left to the caller: returns false on error). */
bool iot_write_text(const char *path, const char *text);

/* Read a whole file into a malloc'ed NUL-terminated string (NULL on error). */
char *iot_read_text(const char *path);

/* Largest |a - b| over positions, matching atoms by id; -1 if the id sets differ. */
double iot_max_pos_diff(const sb_structure *a, const sb_structure *b);

#endif
