/*
 * shearband/fileutil.h: atomic output files and small file helpers.
 *
 * An sb_atomic_file writes to "PATH.tmp.PID" in the destination folder; commit() flushes,
 * fsyncs and renames it over PATH, abort() removes it. A reader therefore never sees a
 * half-written output, and an interrupted run leaves no file that looks complete.
 */
#ifndef SHEARBAND_FILEUTIL_H
#define SHEARBAND_FILEUTIL_H

#include <stdbool.h>
#include <stdio.h>

#include "shearband/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sb_atomic_file {
    FILE *fp;
    char path[4096];
    char tmp[4096 + 32];
} sb_atomic_file;

sb_status sb_atomic_open(sb_atomic_file *af, const char *path, sb_error *err);
sb_status sb_atomic_commit(sb_atomic_file *af, sb_error *err);
void sb_atomic_abort(sb_atomic_file *af);

bool sb_file_exists(const char *path);
/* mkdir -p */
sb_status sb_mkdir_p(const char *path, sb_error *err);
/* The file-name part of a path (after the last '/'); a pointer into path. */
const char *sb_path_basename(const char *path);

/* The whole file as a NUL-terminated buffer (malloc'ed; *size = bytes without the NUL,
 * size may be NULL). Text and binary alike. */
sb_status sb_read_file(const char *path, char **data, size_t *size, sb_error *err);

/* The value of the first "key value" line of a parameter record's text (shear.params,
 * label files) into val (truncated to valsz - 1 characters); false when the key is absent. */
bool sb_params_value(const char *text, const char *key, char *val, size_t valsz);

/* Compare a parameter record on disk with the one a resumed run would write (want, wlen
 * bytes). SB_OK when identical; otherwise SB_ERR_INVALID_ARG whose message starts with
 * "PATH: WHAT was made with different parameters" and names the first differing line
 * (recorded and now), then `advice`. A missing or unreadable file is SB_ERR_IO. */
sb_status sb_params_match(const char *path, const char *want, size_t wlen, const char *what, const char *advice,
                          sb_error *err);

/* Join a directory and a file name into out (size outsz); fails if it does not fit. */
sb_status sb_path_join(char *out, size_t outsz, const char *dir, const char *name, sb_error *err);

#ifdef __cplusplus
}
#endif
#endif
