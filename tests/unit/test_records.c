/*
 * Reading values back from the project's own records: sb_json_scalar on JSON written by
 * sb_json (round trip of every scalar kind, nesting, a key that also occurs as a string
 * value, absent and non-scalar keys, truncation) and sb_params_value on "key value" lines.
 */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/fileutil.h"
#include "shearband/json.h"

static char *written_record(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    cr_assert_not_null(fp);
    sb_json j;
    sb_json_start(&j, fp);
    sb_json_object(&j, NULL);
    sb_json_array(&j, "command_line");
    sb_json_str(&j, NULL, "--minimizer");
    sb_json_str(&j, NULL, "minimizer");
    sb_json_end(&j);
    sb_json_object(&j, "parameters");
    sb_json_str(&j, "minimizer", "cg");
    sb_json_num(&j, "extrapolate", 1.0);
    sb_json_num(&j, "ftol_eV_A", 1e-8);
    sb_json_int(&j, "steps", -200);
    sb_json_bool(&j, "shuffle", false);
    sb_json_num(&j, "peak", NAN);
    sb_json_str(&j, "linesearch", "forcezero");
    sb_json_end(&j);
    sb_json_object(&j, "result");
    sb_json_num(&j, "final_stress_GPa", 1.6566080032690607);
    sb_json_end(&j);
    sb_json_finish(&j);
    fclose(fp);
    return buf;
}

Test(records, json_scalar_round_trip)
{
    char *text = written_record();
    char v[64];
    cr_assert(sb_json_scalar(text, "minimizer", v, sizeof v));
    cr_expect_str_eq(v, "cg", "the member, not the command-line string 'minimizer'");
    cr_assert(sb_json_scalar(text, "linesearch", v, sizeof v));
    cr_expect_str_eq(v, "forcezero");
    cr_assert(sb_json_scalar(text, "extrapolate", v, sizeof v));
    cr_expect_eq(strtod(v, NULL), 1.0, "%s", v);
    cr_assert(sb_json_scalar(text, "ftol_eV_A", v, sizeof v));
    cr_expect_eq(strtod(v, NULL), 1e-8, "%s", v);
    cr_assert(sb_json_scalar(text, "steps", v, sizeof v));
    cr_expect_str_eq(v, "-200");
    cr_assert(sb_json_scalar(text, "shuffle", v, sizeof v));
    cr_expect_str_eq(v, "false");
    cr_assert(sb_json_scalar(text, "peak", v, sizeof v));
    cr_expect_str_eq(v, "null");
    cr_assert(sb_json_scalar(text, "final_stress_GPa", v, sizeof v));
    cr_expect_eq(strtod(v, NULL), 1.6566080032690607, "the number round-trips: %s", v);
    cr_expect_not(sb_json_scalar(text, "parameters", v, sizeof v), "an object is not a scalar");
    cr_expect_not(sb_json_scalar(text, "command_line", v, sizeof v), "an array is not a scalar");
    cr_expect_not(sb_json_scalar(text, "ftol", v, sizeof v), "a prefix of a key is not the key");
    cr_expect_not(sb_json_scalar(text, "absent", v, sizeof v));
    char small[4];
    cr_assert(sb_json_scalar(text, "linesearch", small, sizeof small));
    cr_expect_str_eq(small, "for", "truncated to the buffer");
    free(text);
}

Test(records, params_value)
{
    const char *text = "glass_atoms 4000\nminimizer cg\nminimizer_extra x\nlinesearch forcezero\nextrapolate 1";
    char v[32];
    cr_assert(sb_params_value(text, "minimizer", v, sizeof v));
    cr_expect_str_eq(v, "cg");
    cr_assert(sb_params_value(text, "extrapolate", v, sizeof v));
    cr_expect_str_eq(v, "1", "the last line, without a newline");
    cr_expect_not(sb_params_value(text, "glass", v, sizeof v), "a prefix of a key is not the key");
    cr_expect_not(sb_params_value(text, "ftol", v, sizeof v));
}
