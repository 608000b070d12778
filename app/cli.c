/* Shared plumbing of the command-line tool (app/cli.h). */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int cli_bad_option(const char *cmd)
{
    /* getopt has just printed which option, and whether it is unknown or lacks its value. */
    return cli_usage_error(cmd, "unknown option, or an option without its value");
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

int cli_shear_option(const char *cmd, int c, const char *arg, sb_shear_options *o, cli_shear_parse *p)
{
    long l;
    switch (c) {
    case CLI_OPT_STEP:
        if (!cli_parse_double(arg, &o->step) || o->step <= 0)
            return cli_usage_error(cmd, "--step %s: a positive strain increment", arg);
        return CLI_OK;
    case CLI_OPT_MAX_STRAIN:
        if (!cli_parse_double(arg, &o->max_strain) || o->max_strain <= 0)
            return cli_usage_error(cmd, "--max-strain %s: a positive strain", arg);
        return CLI_OK;
    case CLI_OPT_MINIMIZER:
        if (!sb_minimizer_parse(arg, &o->minimizer))
            return cli_usage_error(cmd, "--minimizer %s: use cg, fire or lbfgs", arg);
        return CLI_OK;
    case CLI_OPT_FTOL:
        if (!cli_parse_double(arg, &o->ftol) || o->ftol <= 0)
            return cli_usage_error(cmd, "--ftol %s: a positive force tolerance, eV/A", arg);
        return CLI_OK;
    case CLI_OPT_MAXITER:
        if (!cli_parse_long(arg, &l) || l < 1 || l > 100000000) return cli_usage_error(cmd, "--maxiter %s", arg);
        o->maxiter = (int)l;
        o->maxeval = l > 10000000 ? 100000000 : (int)(10 * l);
        return CLI_OK;
    case CLI_OPT_SAVE: {
        char buf[1024];
        snprintf(buf, sizeof buf, "%s", arg);
        o->nsave = 0;
        for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
            if (o->nsave >= SB_SHEAR_MAX_SAVES || !cli_parse_double(tok, &o->save[o->nsave]))
                return cli_usage_error(cmd, "--save %s: at most %d comma-separated strains", arg,
                                       SB_SHEAR_MAX_SAVES);
            o->nsave++;
        }
        return CLI_OK;
    }
    case CLI_OPT_D2MIN_CUTOFF:
        if (!cli_parse_double(arg, &o->d2min_cutoff) || o->d2min_cutoff < 0)
            return cli_usage_error(cmd, "--d2min-cutoff %s: a cutoff in A (0 = no D2min)", arg);
        return CLI_OK;
    case CLI_OPT_POTENTIAL: o->potential = arg; return CLI_OK;
    case CLI_OPT_PAIR_STYLE: o->pair_style = arg; return CLI_OK;
    case CLI_OPT_CHECKPOINT_EVERY:
        if (!cli_parse_long(arg, &l) || l < 1 || l > 1000000000)
            return cli_usage_error(cmd, "--checkpoint-every %s", arg);
        o->checkpoint_every = (int)l;
        return CLI_OK;
    case CLI_OPT_TIMESTEP:
        if (!cli_parse_double(arg, &o->timestep) || o->timestep < 0) return cli_usage_error(cmd, "--timestep %s", arg);
        return CLI_OK;
    case CLI_OPT_LINESEARCH:
        if (!strcmp(arg, "forcezero")) o->linesearch = SB_LINE_FORCEZERO;
        else if (!strcmp(arg, "quadratic")) o->linesearch = SB_LINE_QUADRATIC;
        else if (!strcmp(arg, "backtrack")) o->linesearch = SB_LINE_BACKTRACK;
        else return cli_usage_error(cmd, "--linesearch %s: use forcezero, quadratic or backtrack", arg);
        p->linesearch_given = true;
        return CLI_OK;
    case CLI_OPT_MIN_MODIFY: o->min_modify = arg; return CLI_OK;
    case CLI_OPT_EXTRAPOLATE:
        if (!cli_parse_double(arg, &o->extrapolate)) return cli_usage_error(cmd, "--extrapolate %s", arg);
        return CLI_OK;
    default: return cli_bad_option(cmd);
    }
}

int cli_shear_check(const char *cmd, const sb_shear_options *o, const cli_shear_parse *p)
{
    if (p->linesearch_given && o->minimizer != SB_MIN_CG)
        return cli_usage_error(cmd, "--linesearch applies to --minimizer cg only (here %s)",
                               sb_minimizer_name(o->minimizer));
    return CLI_OK;
}
