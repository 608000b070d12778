/*
 * shearband/io.h: structure files.
 *
 * Formats:
 *   - LAMMPS data file, atom_style atomic (read, write): orthogonal or triclinic, Masses
 *     (with "# Element" comments, which LAMMPS writes and we use for species names),
 *     optional image flags, comments and any section order LAMMPS accepts.
 *   - LAMMPS dump file, `ITEM:` text format (read all frames or one; write): columns in any
 *     order; positions as x y z, xs ys zs, xu yu zu or xsu ysu zsu; orthogonal and triclinic
 *     bounds; every other per-atom column is kept as a property.
 *   - Extended XYZ (read, write): Lattice="..." and Properties=species:S:1:pos:R:3:... so that
 *     OVITO and ASE read every per-atom column.
 * Every reader fails with SB_ERR_PARSE (or SB_ERR_GEOMETRY for a degenerate cell or an
 * atom far outside it) and a message "FILE:LINE: expected ..., found ...". Writers write to
 * a temporary file in the same folder and rename it into place, so a file that exists is
 * always complete.
 */
#ifndef SHEARBAND_IO_H
#define SHEARBAND_IO_H

#include <stdbool.h>
#include <stdint.h>

#include "shearband/status.h"
#include "shearband/structure.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sb_file_format {
    SB_FORMAT_AUTO = 0,
    SB_FORMAT_LAMMPS_DATA,
    SB_FORMAT_LAMMPS_DUMP,
    SB_FORMAT_EXTXYZ,
} sb_file_format;

/* Guess the format from the file name (.data/.lmp, .dump/.lammpstrj, .xyz/.extxyz) and,
 * failing that, from its first lines. */
sb_status sb_guess_format(const char *path, sb_file_format *fmt, sb_error *err);

/* Read one structure in any supported format (a dump file: its LAST frame). */
sb_status sb_read_structure(const char *path, sb_structure *s, sb_error *err);

sb_status sb_read_lammps_data(const char *path, sb_structure *s, sb_error *err);

/* Writes atom_style atomic with Masses (element names as comments) and, if s->image is
 * set, image flags. comment goes on the first line (NULL for a default). */
sb_status sb_write_lammps_data(const char *path, const sb_structure *s, const char *comment,
                               sb_error *err);

/* Dump reading, frame by frame: open, then next() until it sets *done. */
typedef struct sb_dump_reader sb_dump_reader;
sb_status sb_dump_open(const char *path, sb_dump_reader **reader, sb_error *err);
sb_status sb_dump_next(sb_dump_reader *reader, sb_structure *s, bool *done, sb_error *err);
void sb_dump_close(sb_dump_reader *reader);

/* Read frame `frame` (0-based; -1 = the last). */
sb_status sb_read_dump(const char *path, long frame, sb_structure *s, sb_error *err);

/* Write one frame (id type x y z [ix iy iz] then every property column). With append the
 * frame is added to an existing file (not atomic). */
sb_status sb_write_dump(const char *path, const sb_structure *s, bool append, sb_error *err);

/* Extended XYZ; comment_extra is appended to the comment line (key=value pairs) or NULL. */
sb_status sb_write_extxyz(const char *path, const sb_structure *s, const char *comment_extra,
                          sb_error *err);
sb_status sb_read_extxyz(const char *path, sb_structure *s, sb_error *err);

/* Write in the format given by the extension of path (as sb_guess_format). */
sb_status sb_write_structure(const char *path, const sb_structure *s, sb_error *err);

#ifdef __cplusplus
}
#endif
#endif
