/*
 * shearband/json.h: a small streaming JSON writer for results and provenance records.
 *
 * Usage: sb_json_start(&j, fp); sb_json_object(&j, NULL); sb_json_str(&j, "key", "v"); ...
 * sb_json_end(&j); sb_json_finish(&j). Keys are ignored inside arrays (pass NULL).
 * Non-finite numbers are written as null (JSON has no NaN). Output is indented for people.
 */
#ifndef SHEARBAND_JSON_H
#define SHEARBAND_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { SB_JSON_MAX_DEPTH = 32 };

typedef struct sb_json {
    FILE *fp;
    int depth;
    bool first[SB_JSON_MAX_DEPTH];
    bool in_array[SB_JSON_MAX_DEPTH];
} sb_json;

void sb_json_start(sb_json *j, FILE *fp);
void sb_json_object(sb_json *j, const char *key);
void sb_json_array(sb_json *j, const char *key);
void sb_json_end(sb_json *j); /* closes the innermost object or array */
void sb_json_finish(sb_json *j); /* closes everything still open, adds a newline */

void sb_json_str(sb_json *j, const char *key, const char *value);
void sb_json_num(sb_json *j, const char *key, double value);
void sb_json_int(sb_json *j, const char *key, int64_t value);
void sb_json_bool(sb_json *j, const char *key, bool value);
void sb_json_null(sb_json *j, const char *key);

/* The standard "provenance" object: tool version, commit, compiler, features, UTC time,
 * host and the command line. Callers add their own keys (parameters, seeds, LAMMPS
 * version) after it in the same enclosing object. */
void sb_json_provenance(sb_json *j, int argc, char *const *argv);

/* Reading back one value of a record this writer made: the first member "key" with a scalar
 * value (string unquoted, number, true/false/null as written) into val, truncated to
 * valsz - 1 characters; false when there is none. Not a JSON parser: enough for records
 * whose keys are unique, e.g. the parameters of a shear run's shear.json. */
bool sb_json_scalar(const char *text, const char *key, char *val, size_t valsz);

#ifdef __cplusplus
}
#endif
#endif
