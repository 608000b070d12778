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

int cli_train_inputs(const char *cmd, int nargs, char **args, const char *model_path, sb_dataset *d)
{
    if (nargs != 1) return cli_usage_error(cmd, "give exactly one DATASET manifest");
    if (!model_path) return cli_usage_error(cmd, "-o MODEL is required");
    sb_error err;
    if (sb_dataset_read(args[0], d, &err) != SB_OK) return cli_fail(&err);
    return CLI_OK;
}

void cli_print_heldout(const sb_metrics *val, const sb_metrics *test)
{
    printf("val ROC-AUC %.4f PR-AUC %.4f; test ROC-AUC %.4f PR-AUC %.4f precision %.4f recall %.4f (base rate %.4f); ",
           val->roc_auc, val->pr_auc, test->roc_auc, test->pr_auc, test->precision, test->recall, test->base_rate);
}
