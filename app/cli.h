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
#include "shearband/status.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

typedef struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} cli_command;

/* Print "shearband: error: <msg>" (the library's message) to stderr; returns CLI_FAIL. */
int cli_fail(const sb_error *err);
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
