/* Status names and the error-detail helpers declared in shearband/status.h. */
#include "shearband/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const status_names[SB_STATUS_COUNT] = {
    [SB_OK] = "ok",
    [SB_ERR_INVALID_ARG] = "invalid argument",
    [SB_ERR_NOMEM] = "out of memory",
    [SB_ERR_IO] = "I/O error",
    [SB_ERR_PARSE] = "parse error",
    [SB_ERR_FORMAT] = "unsupported format",
    [SB_ERR_CHECKSUM] = "checksum mismatch",
    [SB_ERR_GEOMETRY] = "geometry error",
    [SB_ERR_NUMERIC] = "numerical error",
    [SB_ERR_ENGINE] = "LAMMPS error",
    [SB_ERR_UNSUPPORTED] = "unsupported",
    [SB_ERR_INTERRUPTED] = "interrupted",
    [SB_ERR_INTERNAL] = "internal error",
};

const char *sb_status_name(sb_status s)
{
    if ((int)s < 0 || s >= SB_STATUS_COUNT) return "unknown status";
    return status_names[s];
}

void sb_error_clear(sb_error *err)
{
    if (!err) return;
    err->code = SB_OK;
    err->msg[0] = '\0';
}

sb_status sb_error_set(sb_error *err, sb_status code, const char *fmt, ...)
{
    if (!err) return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

sb_status sb_error_prefix(sb_error *err, const char *fmt, ...)
{
    if (!err) return SB_ERR_INTERNAL;
    char prefix[SB_ERROR_MSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* Shift the old message right and put the prefix in front, truncating at the end. */
    const size_t lp = strlen(prefix), lo = strlen(err->msg), cap = sizeof err->msg - 1;
    if (lp >= cap) {
        memcpy(err->msg, prefix, cap);
        err->msg[cap] = '\0';
        return err->code;
    }
    const size_t keep = lo < cap - lp ? lo : cap - lp;
    memmove(err->msg + lp, err->msg, keep);
    memcpy(err->msg, prefix, lp);
    err->msg[lp + keep] = '\0';
    return err->code;
}
