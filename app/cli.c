/* Shared plumbing of the command-line tool (app/cli.h). */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int cli_fail(const sb_error *err)
{
    fprintf(stderr, "shearband: error: %s\n", err->msg[0] ? err->msg : sb_status_name(err->code));
    return CLI_FAIL;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "shearband %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see 'shearband %s --help')\n", cmd);
    va_end(ap);
    return CLI_USAGE;
}

bool cli_parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    const double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v)) return false;
    *out = v;
    return true;
}

bool cli_parse_long(const char *s, long *out)
{
    char *end;
    errno = 0;
    const long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE) return false;
    *out = v;
    return true;
}

bool cli_is_tty(int fd)
{
    return isatty(fd) == 1;
}
