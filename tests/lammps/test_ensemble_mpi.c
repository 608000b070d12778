/*
 * `mpirun -np 2 shearband ensemble` on real LAMMPS: two partitions of one rank each shear
 * two replicas at the same time.
 *   - With a shear API that takes a communicator (SB_SHEAR_HAS_MPI_COMM): the command
 *     succeeds, ensemble.json records 2 partitions, the two runs' wall-clock intervals
 *     overlap (they really ran at once), and each run is bitwise identical to the same run
 *     made serially in this process (one rank either way, so the same summation order).
 *   - Without it: the command fails cleanly (exit 1) and says to use --ranks-per-run 2.
 * Skipped when mpirun or the CLI binary is missing. As root, OpenMPI needs
 * --allow-run-as-root; --oversubscribe lets 2 ranks start on a machine with 1 slot.
 */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shearband/ensemble.h"
#include "shearband/io.h"

#define GLASS SB_SOURCE_DIR "/examples/cu50zr50_864.data"
#define SHEAR_ARGS "--step 5e-3 --max-strain 0.02 --save 0.02 --ftol 1e-6 --no-figure"

static const char *cli_binary(void)
{
    const char *sb = getenv("SB");
    if (sb && access(sb, X_OK) == 0) return sb;
    /* ctest runs this from build/tests; the CLI is build/shearband. */
    return access("../shearband", X_OK) == 0 ? "../shearband" : NULL;
}

static void tmp_dir(char *buf, size_t sz, const char *name)
{
    const char *dir = getenv("SB_TEST_TMP");
    snprintf(buf, sz, "%s/ensemble_mpi_%s", dir ? dir : "/tmp", name);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", buf);
    cr_assert_eq(system(cmd), 0);
}

/* Run the ensemble under mpirun -np 2; returns the exit status, output in log. */
static int run_mpi(const char *sb, const char *dir, const char *extra, const char *log)
{
    char cmd[20000];
    snprintf(cmd, sizeof cmd,
             "mpirun %s --oversubscribe -np 2 '%s' ensemble '%s' -d '%s' --seeds 21,22 %s %s "
             "> '%s' 2>&1",
             geteuid() == 0 ? "--allow-run-as-root" : "", sb, GLASS, dir, SHEAR_ARGS, extra, log);
    const int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "r");
    cr_assert_not_null(fp, "%s", path);
    fseek(fp, 0, SEEK_END);
    const long n = ftell(fp);
    rewind(fp);
    char *buf = calloc((size_t)n + 1, 1);
    cr_assert_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    return buf;
}

#ifdef SB_SHEAR_HAS_MPI_COMM
/* The k-th occurrence of "key": number in a JSON text. */
static double json_number(const char *text, const char *key, int k)
{
    const char *p = text;
    for (int i = 0; i <= k; i++) {
        p = strstr(p, key);
        cr_assert_not_null(p, "%s #%d", key, k);
        p += strlen(key);
    }
    return strtod(p + 2, NULL);
}
#endif

Test(ensemble_mpi, two_partitions_run_two_replicas_at_once, .timeout = 1200)
{
    const char *sb = cli_binary();
    if (!sb || system("command -v mpirun > /dev/null 2>&1") != 0)
        cr_skip_test("mpirun or the shearband binary is not available");
    char dir[4096], log[4200];
    tmp_dir(dir, sizeof dir, "partitions");
    snprintf(log, sizeof log, "%s.log", dir);
    const int rc = run_mpi(sb, dir, "--ranks-per-run 1", log);
    char *out = slurp(log);
#ifdef SB_SHEAR_HAS_MPI_COMM
    cr_assert_eq(rc, 0, "mpirun failed:\n%s", out);
    char path[4400];
    snprintf(path, sizeof path, "%s/ensemble.json", dir);
    char *json = slurp(path);
    cr_expect(strstr(json, "\"partitions\": 2") != NULL, "two partitions");
    const double s0 = json_number(json, "\"start_unix_s\"", 0), e0 = json_number(json, "\"end_unix_s\"", 0);
    const double s1 = json_number(json, "\"start_unix_s\"", 1), e1 = json_number(json, "\"end_unix_s\"", 1);
    cr_expect(s0 < e1 && s1 < e0, "the two runs overlap in time: [%f, %f] and [%f, %f]", s0, e0,
              s1, e1);
    free(json);

    /* The same two runs serially, in this process (forked jobs): bitwise equal. */
    char ref[4096];
    tmp_dir(ref, sizeof ref, "serial");
    sb_structure g = SB_STRUCTURE_INIT;
    sb_error err;
    cr_assert_eq(sb_read_structure(GLASS, &g, &err), SB_OK, "%s", err.msg);
    const uint64_t seeds[] = {21, 22};
    sb_ensemble_options o = sb_ensemble_options_default();
    o.dir = ref;
    o.seeds = seeds;
    o.nseeds = 2;
    o.shear.step = 5e-3;
    o.shear.max_strain = 0.02;
    o.shear.nsave = 1;
    o.shear.save[0] = 0.02;
    o.shear.ftol = 1e-6;
    o.figure = false;
    sb_ensemble_result r = SB_ENSEMBLE_RESULT_INIT;
    cr_assert_eq(sb_ensemble_run(&g, &o, &r, &err), SB_OK, "%s", err.msg);
    sb_ensemble_result_free(&r);
    sb_structure_free(&g);
    for (int k = 0; k < 2; k++) {
        char a[4400], b[4400];
        snprintf(a, sizeof a, "%s/runs/00_%d/checkpoint.txt", dir, 21 + k);
        snprintf(b, sizeof b, "%s/runs/00_%d/checkpoint.txt", ref, 21 + k);
        char *ta = slurp(a), *tb = slurp(b);
        cr_expect_str_eq(ta, tb, "run 00_%d: MPI partition and serial differ", 21 + k);
        free(ta);
        free(tb);
    }
#else
    cr_expect_eq(rc, 1, "expected a clean failure, got %d:\n%s", rc, out);
    cr_expect(strstr(out, "--ranks-per-run 2") != NULL, "the message should say what to do:\n%s", out);
#endif
    free(out);
}
