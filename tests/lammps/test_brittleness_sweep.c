/*
 * The brittleness sweep on real LAMMPS with tiny glasses and schedules (plumbing only: two
 * 256-atom glasses, 4 ps melt at 1e14 K/s to T_q = 800 and 1000 K, a 3-step shear):
 *   - the first call quenches and shears every glass and writes the table, the JSON and
 *     one row per glass;
 *   - a second call reuses everything: no MD steps, no AQS steps, the same Delta and band
 *     calls, and the same calibration; the energies come from the glasses' records, and
 *     are NaN when a record lacks its energy or is gone.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/brittleness.h"
#include "shearband/fileutil.h"

/* Two tiny glasses (256 atoms, 4 ps melt at 1e14 K/s, T_q 800 and 1000 K), a short shear,
 * in a fresh folder SB_TEST_TMP/name. */
static sb_brittleness_options tiny_sweep(const char *name, char dir[4096])
{
    const char *tmp = getenv("SB_TEST_TMP");
    char cmd[4200];
    snprintf(dir, 4096, "%s/%s", tmp ? tmp : "/tmp", name);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
    sb_brittleness_options o = sb_brittleness_options_default();
    o.dir = dir;
    o.ntq = 2;
    o.tq[0] = 800;
    o.tq[1] = 1000;
    o.quench.natoms = 256;
    o.quench.melt_time = 4.0;
    o.quench.rate = 1e14;
    o.quench.seed = 7;
    o.shear.step = 5e-3;
    o.band.width = 6.0;
    o.dfs_width = 6.0;
    o.figures = false;
    return o;
}

Test(brittleness, sweep_is_resumable, .timeout = 900)
{
    char dir[4096];
    sb_brittleness_options o = tiny_sweep("brittleness_sweep", dir);
    o.band_strain = 0.015;
    o.indicator = "ffb";
    sb_brittleness_result *r1 = malloc(sizeof *r1), *r2 = malloc(sizeof *r2);
    cr_assert(r1 && r2);
    sb_error err;
    sb_status rc = sb_brittleness_run(&o, r1, &err);
    cr_assert_eq(rc, SB_OK, "%s", err.msg);
    cr_assert_eq(r1->n, 2);
    for (size_t k = 0; k < 2; k++) {
        cr_expect(!r1->glass[k].quench_reused && r1->glass[k].md_steps_run > 0);
        cr_expect(!r1->glass[k].shear_reused && r1->glass[k].shear_steps_run == 3,
                  "shear steps %lld", (long long)r1->glass[k].shear_steps_run);
        cr_expect(isfinite(r1->glass[k].delta) && r1->glass[k].delta > 0);
    }
    /* One cooling trajectory: the 1000 K glass melts (4 ps) and cools from 2000 K (10 ps at
     * 1e14 K/s): 7000 steps; the 800 K glass continues it for 200 K more (2 ps = 1000
     * steps) instead of melting again. */
    cr_expect_eq(r1->glass[1].md_steps_run, 7000, "1000 K glass: %lld MD steps",
                 (long long)r1->glass[1].md_steps_run);
    cr_expect_eq(r1->glass[0].md_steps_run, 1000, "800 K glass: %lld MD steps (branched?)",
                 (long long)r1->glass[0].md_steps_run);
    char path[4200];
    snprintf(path, sizeof path, "%s/brittleness.csv", dir);
    cr_expect(sb_file_exists(path));
    snprintf(path, sizeof path, "%s/brittleness.json", dir);
    cr_expect(sb_file_exists(path));
    rc = sb_brittleness_run(&o, r2, &err);
    cr_assert_eq(rc, SB_OK, "%s", err.msg);
    for (size_t k = 0; k < 2; k++) {
        cr_expect(r2->glass[k].quench_reused && r2->glass[k].shear_reused);
        cr_expect_eq(r2->glass[k].md_steps_run, 0);
        cr_expect_eq(r2->glass[k].shear_steps_run, 0);
        cr_expect_eq(r2->glass[k].delta, r1->glass[k].delta);
        cr_expect_eq(r2->glass[k].banded, r1->glass[k].banded);
        /* a reused glass's energy comes from its JSON record, to its printed precision */
        cr_expect(fabs(r2->glass[k].pe_per_atom - r1->glass[k].pe_per_atom) < 1e-9,
                  "energy of reused glass %zu: %.12g, quenched %.12g", k, r2->glass[k].pe_per_atom,
                  r1->glass[k].pe_per_atom);
    }
    cr_expect_eq(r2->cal.misclassified, r1->cal.misclassified);
    /* An energy the record does not know (written null) or a record gone: NaN, not 0. */
    snprintf(path, sizeof path, "%s/glasses/tq1000.json", dir);
    char *text = NULL, *num;
    cr_assert_eq(sb_read_file(path, &text, NULL, &err), SB_OK, "%s", err.msg);
    cr_assert((num = strstr(text, "\"energy_eV_per_atom\": ")) != NULL);
    num += strlen("\"energy_eV_per_atom\": ");
    const size_t len = strcspn(num, ",\n}");
    cr_assert(len >= 4);
    memcpy(num, "null", 4);
    memset(num + 4, ' ', len - 4);
    FILE *f = fopen(path, "w");
    cr_assert(f && fputs(text, f) >= 0 && fclose(f) == 0);
    free(text);
    snprintf(path, sizeof path, "%s/glasses/tq800.json", dir);
    cr_assert_eq(remove(path), 0);
    rc = sb_brittleness_run(&o, r2, &err);
    cr_assert_eq(rc, SB_OK, "%s", err.msg);
    for (size_t k = 0; k < 2; k++)
        cr_expect(isnan(r2->glass[k].pe_per_atom), "glass %zu: energy %g from a record without one", k,
                  r2->glass[k].pe_per_atom);
    free(r1);
    free(r2);
}

/* With anneal_time each glass is held at its own T_q with swap Monte Carlo; the cooling is
 * still shared: the 800 K glass leaves the 1000 K one's trajectory where its hold began.
 * 1000 K: 4 ps melt + 10 ps cooling + 1 ps hold = 7500 steps; 800 K: 2 ps more cooling + its
 * own 1 ps hold = 1500 steps; each records its own hold temperature. */
Test(brittleness, annealed_glasses_hold_at_their_tq, .timeout = 900)
{
    char dir[4096];
    sb_brittleness_options o = tiny_sweep("brittleness_anneal", dir);
    o.anneal_time = 1.0;
    o.band_strain = 0.01;
    o.indicator = "rho";
    sb_brittleness_result *r = malloc(sizeof *r);
    cr_assert(r);
    sb_error err;
    const sb_status rc = sb_brittleness_run(&o, r, &err);
    cr_assert_eq(rc, SB_OK, "%s", err.msg);
    cr_expect_eq(r->glass[1].md_steps_run, 7500, "1000 K glass: %lld MD steps", (long long)r->glass[1].md_steps_run);
    cr_expect_eq(r->glass[0].md_steps_run, 1500, "800 K glass: %lld MD steps (branched?)",
                 (long long)r->glass[0].md_steps_run);
    const double tq[2] = {800, 1000};
    for (int k = 0; k < 2; k++) {
        char path[4200], want[64], *text = NULL;
        snprintf(path, sizeof path, "%s/glasses/tq%g/quench.params", dir, tq[k]);
        cr_assert_eq(sb_read_file(path, &text, NULL, &err), SB_OK, "%s", err.msg);
        snprintf(want, sizeof want, "\nswap %g 1 ", tq[k]);
        cr_expect(strstr(text, want) != NULL, "%s lacks '%s':\n%s", path, want + 1, text);
        free(text);
    }
    char path[4200], *json = NULL;
    snprintf(path, sizeof path, "%s/brittleness.json", dir);
    cr_assert_eq(sb_read_file(path, &json, NULL, &err), SB_OK, "%s", err.msg);
    cr_expect(strstr(json, "\"anneal_at_tq_ps\": 1") != NULL);
    free(json);
    free(r);
}
