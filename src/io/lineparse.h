/*
 * src/io/lineparse.h: private helpers shared by the structure readers and writers.
 *
 * Text structure files are read one line at a time with getline(), so lines may be of any
 * length; a trailing "\r" (CRLF files from Windows) and a UTF-8 byte-order mark at the start
 * of the file are dropped. A line is split in place into whitespace-separated tokens (no
 * copies), optionally cutting it at '#'. Numbers are converted with strtod/strtoll on the
 * whole token, never sscanf, which keeps a 256,000-atom file well under a second.
 *
 * Every parse failure becomes one message "PATH:LINE: expected WHAT, found 'TOKEN'".
 */
#ifndef SB_IO_LINEPARSE_H
#define SB_IO_LINEPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "shearband/status.h"
#include "shearband/structure.h"

typedef struct lp_reader {
    FILE *fp;
    const char *path;
    char *buf;       /* the current line (getline buffer, tokenised in place) */
    size_t cap;
    size_t lineno;   /* 1-based number of the current line */
    char **tok;      /* tokens of the current line after lp_split() */
    size_t ntok;
    size_t tokcap;
    char *comment;   /* text after '#' when split with comments, else NULL */
} lp_reader;

/* Open path for reading (SB_ERR_IO naming the file on failure). */
sb_status lp_open(lp_reader *r, const char *path, sb_error *err);
void lp_close(lp_reader *r);

/* Read the next line into r->buf. Returns SB_OK and sets *eof at end of file; SB_ERR_IO on
 * a read error. */
sb_status lp_next(lp_reader *r, bool *eof, sb_error *err);

/* Split r->buf into tokens. With strip_comment, everything from the first '#' on is
 * excluded and r->comment points at the (left-trimmed) text after it. */
sb_status lp_split(lp_reader *r, bool strip_comment, sb_error *err);

/* Read lines until one has at least one token (after stripping comments when asked);
 * *eof at end of file. */
sb_status lp_next_nonblank(lp_reader *r, bool strip_comment, bool *eof, sb_error *err);

/* Atom line i (0-based) of the n a header declared, with exactly ntok fields as `source`
 * says ("ITEM: ATOMS", "Properties="); an error names the file, the line, the atom and what
 * was found (end of file, or the wrong number of fields). */
sb_status lp_next_atom_line(lp_reader *r, size_t i, size_t n, size_t ntok, const char *source, sb_error *err);

/* "PATH:LINE: expected WHAT, found 'TOKEN'" with SB_ERR_PARSE (or code). */
sb_status lp_expected(const lp_reader *r, sb_status code, const char *what, const char *found,
                      sb_error *err);

/* Whole-token conversions; false if the token is not entirely a number of that kind or is
 * out of range (doubles must also be finite). */
bool lp_double(const char *tok, double *v);
bool lp_int64(const char *tok, int64_t *v);
bool lp_int(const char *tok, int *v);

/* Parse tokens into typed values or fail with a message naming the line and the token. */
sb_status lp_get_double(const lp_reader *r, const char *tok, const char *what, double *v,
                        sb_error *err);
sb_status lp_get_int64(const lp_reader *r, const char *tok, const char *what, int64_t *v,
                       sb_error *err);
sb_status lp_get_int(const lp_reader *r, const char *tok, const char *what, int *v,
                     sb_error *err);

/* Largest fractional excursion accepted outside [0,1): an atom whose fractional coordinate
 * along any cell vector is below -SB_IO_OUTSIDE_TOL or at least 1 + SB_IO_OUTSIDE_TOL is
 * "far outside the box" and rejected with SB_ERR_GEOMETRY. LAMMPS data files legitimately
 * hold atoms slightly outside (atoms that moved since the last reneighbouring); half a box
 * length is far more than any of those and catches files whose box and atoms disagree. */
#define SB_IO_OUTSIDE_TOL 0.5

/* Check that the atom at x is not far outside the cell; line is the line it came from. */
sb_status lp_check_inside(const char *path, size_t line, const sb_cell *cell, const double x[3],
                          sb_error *err);

/* Check that ids are unique; lines[i] is the line of atom i (for the message). */
sb_status lp_check_unique_ids(const char *path, const int64_t *id, const size_t *lines, size_t n,
                              sb_error *err);

/* Print a double that reads back bit-exactly: "%.16g" when that round-trips, else "%.17g". */
void lp_put_double(FILE *fp, double v);

/* Grow a malloc'ed array to hold at least need elements of size elem (doubling). */
sb_status lp_grow(void **ptr, size_t *cap, size_t need, size_t elem, sb_error *err);

#endif
