/*
 * app/cli.h: shared plumbing of the command-line tool. The tool only parses arguments,
 * calls the library and reports; no physics lives in app/.
 *
 * Every command is `int cmd_NAME(int argc, char **argv)` (argv[0] is the command name)
 * returning the process exit status: 0 success, 1 failure at run time, 2 usage error.
 */
#ifndef SB_APP_CLI_H
#define SB_APP_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "shearband/dataset.h"
#include "shearband/metrics.h"
#include "shearband/shear.h"
#include "shearband/status.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

typedef struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} cli_command;

/* Print "shearband: error: <msg>" (the library's message) to stderr; returns CLI_FAIL. */
int cli_fail(const sb_error *err);
/* The default of every getopt loop (getopt has named the option): CLI_USAGE. */
int cli_bad_option(const char *cmd);
/* Print "shearband CMD: <printf message>" and a hint to use --help; returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Strict number parsing for option values: the whole string must be a finite number. */
bool cli_parse_double(const char *s, double *out);
bool cli_parse_long(const char *s, long *out);

/* True when the given stream is a terminal (for progress output). */
bool cli_is_tty(int fd);

/* The AQS options of every command that shears (shear, ensemble, survey, brittleness), one
 * parser so that a recipe is spelt the same everywhere: the recipe (how each step is
 * minimised) and the extent (how far, which strains are saved; survey and brittleness set
 * those from the band strain). getopt ids from CLI_SHEAR_OPT_FIRST, above every command's
 * own; include the macros in a command's struct option table. */
enum {
    CLI_SHEAR_OPT_FIRST = 1000,
    CLI_OPT_STEP = CLI_SHEAR_OPT_FIRST, CLI_OPT_MINIMIZER, CLI_OPT_FTOL, CLI_OPT_MAXITER, CLI_OPT_LINESEARCH,
    CLI_OPT_EXTRAPOLATE, CLI_OPT_MIN_MODIFY, CLI_OPT_TIMESTEP, CLI_OPT_POTENTIAL, CLI_OPT_PAIR_STYLE,
    CLI_OPT_D2MIN_CUTOFF, CLI_OPT_CHECKPOINT_EVERY, CLI_OPT_MAX_STRAIN, CLI_OPT_SAVE,
};
#define CLI_SHEAR_RECIPE_LONGOPTS                                                                            \
    {"step", required_argument, NULL, CLI_OPT_STEP}, {"minimizer", required_argument, NULL, CLI_OPT_MINIMIZER}, \
        {"ftol", required_argument, NULL, CLI_OPT_FTOL}, {"maxiter", required_argument, NULL, CLI_OPT_MAXITER},  \
        {"linesearch", required_argument, NULL, CLI_OPT_LINESEARCH},                                          \
        {"extrapolate", required_argument, NULL, CLI_OPT_EXTRAPOLATE},                                        \
        {"min-modify", required_argument, NULL, CLI_OPT_MIN_MODIFY},                                          \
        {"timestep", required_argument, NULL, CLI_OPT_TIMESTEP},                                              \
        {"potential", required_argument, NULL, CLI_OPT_POTENTIAL},                                            \
        {"pair-style", required_argument, NULL, CLI_OPT_PAIR_STYLE},                                          \
        {"d2min-cutoff", required_argument, NULL, CLI_OPT_D2MIN_CUTOFF},                                      \
        {"checkpoint-every", required_argument, NULL, CLI_OPT_CHECKPOINT_EVERY}
#define CLI_SHEAR_EXTENT_LONGOPTS                                                                            \
    {"max-strain", required_argument, NULL, CLI_OPT_MAX_STRAIN}, {"save", required_argument, NULL, CLI_OPT_SAVE}

/* Whether a line search was named (it must then go with CG: said, not silently ignored). */
typedef struct cli_shear_parse {
    bool linesearch_given;
} cli_shear_parse;

/* Apply the option c (a CLI_OPT_* id) with its argument to o: CLI_OK, or CLI_USAGE with the
 * message printed. Called for every option a command does not handle itself, so any other
 * c is a bad option (cli_bad_option). */
int cli_shear_option(const char *cmd, int c, const char *arg, sb_shear_options *o, cli_shear_parse *p);
/* The checks across options, once all are parsed: CLI_OK or CLI_USAGE (printed). */
int cli_shear_check(const char *cmd, const sb_shear_options *o, const cli_shear_parse *p);

/* The inputs of train, train-gnn and train-svm: exactly one DATASET operand (nargs, args:
 * what getopt left) and -o MODEL, then the manifest read into d. CLI_OK, or the exit
 * status with the message printed. */
int cli_train_inputs(const char *cmd, int nargs, char **args, const char *model_path, sb_dataset *d);
/* The held-out part of their summary lines, the same for every model so that the lines
 * compare: "val ROC-AUC .. PR-AUC ..; test ROC-AUC .. PR-AUC .. precision .. recall ..
 * (base rate ..); ". */
void cli_print_heldout(const sb_metrics *val, const sb_metrics *test);

/* Each command (one per app/cmd_*.c). */
int cmd_info(int argc, char **argv);
int cmd_quench(int argc, char **argv);
int cmd_shear(int argc, char **argv);
int cmd_d2min(int argc, char **argv);
int cmd_band(int argc, char **argv);
int cmd_survey(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_brittleness(int argc, char **argv);
int cmd_label(int argc, char **argv);
int cmd_dataset(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_fertile(int argc, char **argv);
int cmd_indicators(int argc, char **argv);
int cmd_ensemble(int argc, char **argv);
int cmd_train_gnn(int argc, char **argv);
int cmd_train_svm(int argc, char **argv);

#endif
