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
 *
 * Conventions shared by the readers (details at the top of each src/io/ file):
 *   - Lines of any length, CRLF line ends and a UTF-8 byte-order mark are accepted.
 *   - Atom ids must be positive and unique. Only fully periodic cells are accepted.
 *   - "Far outside": an atom whose fractional coordinate along any cell vector lies outside
 *     [-0.5, 1.5) is rejected (SB_ERR_GEOMETRY); atoms slightly outside, as in LAMMPS data
 *     files, are kept exactly where they are (not wrapped).
 *   - Data files: Velocities become the 3-component property "velocity" (written back as a
 *     Velocities section); species names come from "Atom Type Labels", else from the first
 *     word of the Masses comments, else from the mass (element within 0.01 g/mol), else "".
 *     A type used by atoms without a mass is an error. Written numbers use 16 or 17
 *     significant digits, whichever reads back bit-exactly.
 *   - Dumps: ntypes is the largest type met; `element` names types and gives masses from the
 *     element table (NaN otherwise). Unwrapped positions (xu, xsu) are wrapped into the cell
 *     and image flags set from them. Every other column is a scalar property named as in the
 *     file; the writer expands a vector property "p" as p[1] p[2] ..., which therefore
 *     reads back as scalars. The writer adds an `element` column when every type is named.
 *   - Extended XYZ: a general Lattice is rigidly rotated into LAMMPS's orientation (a along
 *     x, b in the xy plane), positions with it. Types come from our Types="..." key, else
 *     from the sorted distinct species names (or the species themselves when all are
 *     integers). A file of several frames gives its last frame.
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
