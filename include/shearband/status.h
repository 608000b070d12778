/*
 * shearband/status.h: status codes and error detail.
 *
 * Every fallible library function returns an sb_status and, when given a non-NULL
 * sb_error *, fills it with one human-readable sentence naming the file, line or
 * parameter at fault ("glass.data:17: expected 3 coordinates, found 'abc'").
 * The library never prints and never exits; the command-line tool turns the error
 * into its single message and a non-zero exit code.
 */
#ifndef SHEARBAND_STATUS_H
#define SHEARBAND_STATUS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sb_status {
    SB_OK = 0,
    SB_ERR_INVALID_ARG,  /* a parameter out of range or inconsistent */
    SB_ERR_NOMEM,        /* allocation failed */
    SB_ERR_IO,           /* a file could not be opened, read or written */
    SB_ERR_PARSE,        /* malformed input: the message names file and line */
    SB_ERR_FORMAT,       /* well-formed but unsupported or foreign (wrong magic, version) */
    SB_ERR_CHECKSUM,     /* a binary file's checksum does not match: corrupted */
    SB_ERR_GEOMETRY,     /* degenerate cell, atoms far outside the box, singular fit */
    SB_ERR_NUMERIC,      /* NaN/Inf produced or met where a finite number is required */
    SB_ERR_ENGINE,       /* LAMMPS failed: the message carries LAMMPS's own text */
    SB_ERR_UNSUPPORTED,  /* feature not compiled in (e.g. no voro++) */
    SB_ERR_INTERRUPTED,  /* stopped by a signal; checkpoints were kept */
    SB_ERR_INTERNAL,     /* a bug: please report */
    SB_STATUS_COUNT
} sb_status;

enum { SB_ERROR_MSG_LEN = 1024 };

typedef struct sb_error {
    sb_status code;
    char msg[SB_ERROR_MSG_LEN];
} sb_error;

/* Short fixed name of a status ("parse error"). Never NULL. */
const char *sb_status_name(sb_status s);

/* Reset an error record to SB_OK with an empty message. NULL is accepted. */
void sb_error_clear(sb_error *err);

/* Record code and a printf-style message in err (if not NULL); returns code, so that
 * `return sb_error_set(err, SB_ERR_PARSE, "%s:%zu: ...", path, line);` reads naturally. */
sb_status sb_error_set(sb_error *err, sb_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Prefix an existing message with context ("reading model: ") keeping its code. */
sb_status sb_error_prefix(sb_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#ifdef __cplusplus
}
#endif
#endif
