/*
 * Quench on real LAMMPS with a fast schedule (256 atoms, 4 ps melt, 1e14 K/s): the glass is
 * non-overlapping, amorphous (global Q6 far below any crystal, checked against fcc as the
 * oracle of the Q6 code itself), at the density and energy this potential gives a fast-
 * quenched Cu50Zr50 glass; the same seed gives a bitwise identical glass; a stopped run
 * resumes to a complete glass; bad options fail before LAMMPS runs.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glass_checks.h"
#include "shearband/fileutil.h"
#include "shearband/io.h"
#include "shearband/quench.h"

static void tmp_dir(char *buf, size_t sz, const char *name)
{
    const char *dir = getenv("SB_TEST_TMP");
    if (!dir) dir = "/tmp";
    snprintf(buf, sz, "%s/engine_quench_%s", dir, name);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", buf);
    cr_assert_eq(system(cmd), 0);
    sb_mkdir_p(buf, NULL);
}

static sb_quench_options fast_options(const char *dir, char *out, size_t outsz)
{
    sb_quench_options o = sb_quench_options_default();
    o.natoms = 256;
    o.melt_time = 4.0;
    o.rate = 1e14;
    o.tq = 300.0;
    o.seed = 7;
    o.run_dir = dir;
    snprintf(out, outsz, "%s/glass.data", dir);
    o.output = out;
    return o;
}

static void run_quench(const char *name, uint64_t seed, sb_structure *glass, sb_quench_result *r)
{
    char dir[4096], out[4200];
    tmp_dir(dir, sizeof dir, name);
    sb_quench_options o = fast_options(dir, out, sizeof out);
    o.seed = seed;
    sb_error err;
    cr_assert_eq(sb_quench(&o, r, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(sb_read_lammps_data(out, glass, &err), SB_OK, "%s", err.msg);
    char json[4200];
    snprintf(json, sizeof json, "%s/glass.json", dir);
    cr_expect(sb_file_exists(json), "provenance %s missing", json);
}

Test(engine_quench, q6_oracle_fcc)
{
    sb_structure s = SB_STRUCTURE_INIT;
    const int n = 3;
    const double a = 3.6;
    cr_assert_eq(sb_structure_alloc(&s, 4 * n * n * n, 1, NULL), SB_OK);
    sb_cell_set_ortho(&s.cell, n * a, n * a, n * a, NULL);
    static const double basis[4][3] = {{0, 0, 0}, {0.5, 0.5, 0}, {0.5, 0, 0.5}, {0, 0.5, 0.5}};
    size_t i = 0;
    for (int x = 0; x < n; x++)
        for (int y = 0; y < n; y++)
            for (int z = 0; z < n; z++)
                for (int b = 0; b < 4; b++, i++) {
                    s.x[3 * i] = (x + basis[b][0]) * a;
                    s.x[3 * i + 1] = (y + basis[b][1]) * a;
                    s.x[3 * i + 2] = (z + basis[b][2]) * a;
                }
    size_t nb;
    const double q6 = sbt_global_q6(&s, 3.0, &nb);
    cr_expect(fabs(q6 - 0.57452) < 1e-4, "fcc Q6 = %g", q6);
    cr_expect_eq(nb, 6 * s.n, "fcc has 12 neighbours per atom");
    cr_expect(fabs(sbt_min_pair_distance(&s) - a / sqrt(2.0)) < 1e-12);
    sb_structure_free(&s);
}

Test(engine_quench, fast_glass_is_amorphous_dense_and_reproducible, .timeout = 300)
{
    sb_structure g1 = SB_STRUCTURE_INIT, g2 = SB_STRUCTURE_INIT;
    sb_quench_result r1, r2;
    run_quench("a", 7, &g1, &r1);
    cr_assert_eq(g1.n, 256);
    size_t counts[2];
    sb_structure_type_counts(&g1, counts);
    cr_expect_eq(counts[0], 128);
    cr_expect_str_eq(g1.type_name[0], "Cu");
    cr_expect_str_eq(g1.type_name[1], "Zr");
    const double dmin = sbt_min_pair_distance(&g1);
    cr_expect(dmin > 2.0, "closest pair %.3f A", dmin);
    size_t nb;
    /* First-shell cutoff of CuZr (first minimum of g(r) ~ 3.7 A). */
    const double q6 = sbt_global_q6(&g1, 3.7, &nb);
    cr_expect(q6 < 0.1, "global Q6 %.3f: crystalline? (fcc 0.575, bcc 0.511)", q6);
    /* Reference values measured with this schedule and Debian's CuZr_mm.eam.fs
     * (docs/engine.md): E = -4.848 eV/atom, rho = 7.177 g/cm^3; the 864-atom example glass
     * made with plain lmp at ~5e13 K/s gives -4.853 and 7.176. Tolerances allow for the
     * seed-to-seed scatter of a 256-atom glass. (For reference: fcc Cu is -3.283 eV/atom
     * with this potential, so the alloy average is near -4.9, not the -5.4 .. -5.9 once
     * guessed.) */
    cr_expect(fabs(r1.density - 7.18) < 0.08, "density %.4f g/cm^3", r1.density);
    cr_expect(fabs(r1.pe_per_atom - (-4.85)) < 0.04, "energy %.4f eV/atom", r1.pe_per_atom);
    cr_expect(fabs(r1.pressure) < 50.0, "pressure after box relaxation %.1f bar", r1.pressure);
    double rho;
    cr_assert_eq(sb_structure_density(&g1, &rho, NULL), SB_OK);
    cr_expect(fabs(rho - r1.density) < 1e-9, "data file density %.6f vs %.6f", rho, r1.density);
    fprintf(stderr, "quench 256 atoms: E %.5f eV/atom, rho %.4f g/cm^3, Q6 %.4f (%zu bonds), "
            "dmin %.3f A, %lld MD steps in %.1f s = %.2f us/atom-step, %lld min iterations\n",
            r1.pe_per_atom, r1.density, q6, nb, dmin, (long long)r1.md_steps_run, r1.md_seconds,
            r1.us_per_atom_step, (long long)r1.min_iterations);

    run_quench("b", 7, &g2, &r2);
    cr_assert_eq(g2.n, g1.n);
    cr_expect_eq(memcmp(g1.x, g2.x, 3 * g1.n * sizeof *g1.x), 0, "same seed, different positions");
    cr_expect_eq(memcmp(g1.type, g2.type, g1.n * sizeof *g1.type), 0, "same seed, different types");
    cr_expect_eq(r1.pe_per_atom, r2.pe_per_atom);
    sb_structure_free(&g1);
    sb_structure_free(&g2);
}

Test(engine_quench, different_seed_different_glass, .timeout = 300)
{
    sb_quench_options o = sb_quench_options_default();
    o.natoms = 256;
    sb_structure a = SB_STRUCTURE_INIT, b = SB_STRUCTURE_INIT;
    cr_assert_eq(sb_quench_initial_gas(&o, &a, NULL), SB_OK);
    o.seed = 2;
    cr_assert_eq(sb_quench_initial_gas(&o, &b, NULL), SB_OK);
    cr_expect_neq(memcmp(a.x, b.x, 3 * a.n * sizeof *a.x), 0);
    cr_expect(sbt_min_pair_distance(&a) >= 2.0);
    sb_structure_free(&a);
    sb_structure_free(&b);
}

Test(engine_quench, stopped_run_resumes_to_a_glass, .timeout = 300)
{
    char dir[4096], out[4200];
    tmp_dir(dir, sizeof dir, "resume");
    sb_quench_options o = fast_options(dir, out, sizeof out);
    o.chunk_steps = 1000;
    o.max_chunks = 3;
    sb_error err;
    sb_quench_result r;
    cr_assert_eq(sb_quench(&o, &r, &err), SB_ERR_INTERRUPTED, "%s", err.msg);
    cr_expect(!sb_file_exists(out), "no output from a stopped run");
    /* Without --resume the checkpoint is protected. */
    o.max_chunks = 0;
    cr_expect_eq(sb_quench(&o, &r, &err), SB_ERR_INVALID_ARG);
    /* Different parameters refuse to resume. */
    o.resume = true;
    o.seed = 8;
    cr_expect_eq(sb_quench(&o, &r, &err), SB_ERR_INVALID_ARG);
    cr_expect(strstr(err.msg, "different parameters") != NULL, "%s", err.msg);
    o.seed = 7;
    cr_assert_eq(sb_quench(&o, &r, &err), SB_OK, "%s", err.msg);
    cr_expect_eq(r.md_steps_run, r.md_steps - 3000, "resumed at step 3000 of %lld: ran %lld",
                 (long long)r.md_steps, (long long)r.md_steps_run);
    sb_structure g = SB_STRUCTURE_INIT;
    cr_assert_eq(sb_read_lammps_data(out, &g, &err), SB_OK, "%s", err.msg);
    cr_expect(sbt_min_pair_distance(&g) > 2.0);
    cr_expect(fabs(r.pe_per_atom - (-4.85)) < 0.04, "energy %.4f", r.pe_per_atom);
    /* Finished outputs are never redone. */
    cr_assert_eq(sb_quench(&o, &r, &err), SB_OK, "%s", err.msg);
    cr_expect(r.already_done);
    sb_structure_free(&g);
}

/* A T_q sweep shares one cooling trajectory: the glass at 500 K continues the 800 K one's
 * MD from its end instead of melting again. */
Test(engine_quench, branch_continues_a_hotter_quench, .timeout = 300)
{
    char hot_dir[4096], cold_dir[4096], bad_dir[4096], hot_out[4200], cold_out[4200], bad_out[4200];
    tmp_dir(hot_dir, sizeof hot_dir, "branch_hot");
    tmp_dir(cold_dir, sizeof cold_dir, "branch_cold");
    tmp_dir(bad_dir, sizeof bad_dir, "branch_bad");
    sb_quench_options hot = fast_options(hot_dir, hot_out, sizeof hot_out);
    hot.tq = 800;
    sb_error err;
    sb_quench_result rh, rc;
    cr_assert_eq(sb_quench(&hot, &rh, &err), SB_OK, "%s", err.msg);
    sb_quench_options cold = fast_options(cold_dir, cold_out, sizeof cold_out);
    cold.tq = 500;
    cold.branch_from = hot_dir;
    /* Refused before anything runs: other parameters, or a branch below this T_q. */
    sb_quench_options bad = fast_options(bad_dir, bad_out, sizeof bad_out);
    bad.tq = 500;
    bad.seed = 8;
    bad.branch_from = hot_dir;
    cr_expect_eq(sb_quench(&bad, &rc, &err), SB_ERR_INVALID_ARG);
    cr_expect(strstr(err.msg, "seed") != NULL, "%s", err.msg);
    tmp_dir(bad_dir, sizeof bad_dir, "branch_bad");
    bad.seed = 7;
    bad.tq = 900;
    cr_expect_eq(sb_quench(&bad, &rc, &err), SB_ERR_INVALID_ARG);
    cr_expect(strstr(err.msg, "ramp") != NULL, "%s", err.msg);

    cr_assert_eq(sb_quench(&cold, &rc, &err), SB_OK, "%s", err.msg);
    /* Only the cooling from 800 K to 500 K was run: 300 K at 1e14 K/s = 3 ps = 1500 steps. */
    cr_expect_eq(rc.md_steps, rh.md_steps + 1500, "%lld vs %lld", (long long)rc.md_steps, (long long)rh.md_steps);
    cr_expect_eq(rc.md_steps_run, 1500, "ran %lld MD steps", (long long)rc.md_steps_run);
    sb_structure g = SB_STRUCTURE_INIT;
    cr_assert_eq(sb_read_lammps_data(cold_out, &g, &err), SB_OK, "%s", err.msg);
    cr_expect_eq(g.n, 256);
    cr_expect(sbt_min_pair_distance(&g) > 2.0);
    cr_expect(fabs(rc.pe_per_atom - (-4.85)) < 0.05, "energy %.4f", rc.pe_per_atom);
    char json[4200];
    snprintf(json, sizeof json, "%s/glass.json", cold_dir);
    FILE *fp = fopen(json, "r");
    cr_assert(fp);
    char text[65536];
    const size_t len = fread(text, 1, sizeof text - 1, fp);
    fclose(fp);
    text[len] = 0;
    cr_expect(strstr(text, "\"branched_from\"") != NULL, "provenance does not name the branch");
    sb_structure_free(&g);
}

/* Swap-annealed glasses of a T_q sweep, each held at its own T_q: the colder one shares the
 * hotter one's cooling from the melt (its state where its anneal began), then cools on and
 * runs its own anneal. */
Test(engine_quench, annealed_branch_shares_the_cooling, .timeout = 300)
{
    char hot_dir[4096], cold_dir[4096], bad_dir[4096], hot_out[4200], cold_out[4200], bad_out[4200];
    tmp_dir(hot_dir, sizeof hot_dir, "abranch_hot");
    tmp_dir(cold_dir, sizeof cold_dir, "abranch_cold");
    tmp_dir(bad_dir, sizeof bad_dir, "abranch_bad");
    sb_quench_options hot = fast_options(hot_dir, hot_out, sizeof hot_out);
    hot.tq = hot.swap_temp = 800;
    hot.swap_anneal = true;
    hot.swap_time = 1.0;
    sb_error err;
    sb_quench_result rh, rc;
    /* Interrupted exactly where the cooling ends (chunks of 5000 steps: the melt's 2000, then
     * 5000 + 1000 of cooling) and resumed: the cooled state is kept on entering the anneal. */
    hot.max_chunks = 3;
    cr_assert_eq(sb_quench(&hot, &rh, &err), SB_ERR_INTERRUPTED, "%s", err.msg);
    char cooled[4200];
    snprintf(cooled, sizeof cooled, "%s/quench.cooled.restart", hot_dir);
    cr_expect(!sb_file_exists(cooled), "kept before the anneal began");
    hot.max_chunks = 0;
    hot.resume = true;
    cr_assert_eq(sb_quench(&hot, &rh, &err), SB_OK, "%s", err.msg);
    cr_expect_eq(rh.md_steps_run, 500, "the resumed run is the anneal alone: %lld steps",
                 (long long)rh.md_steps_run);
    cr_assert(sb_file_exists(cooled), "the end of the cooling was not kept");

    sb_quench_options bad = fast_options(bad_dir, bad_out, sizeof bad_out);
    bad.tq = bad.swap_temp = 500;
    bad.swap_anneal = true;
    bad.swap_time = 2.0;
    bad.branch_from = hot_dir;
    cr_expect_eq(sb_quench(&bad, &rc, &err), SB_ERR_INVALID_ARG);
    cr_expect(strstr(err.msg, "anneal") != NULL, "%s", err.msg);

    sb_quench_options cold = fast_options(cold_dir, cold_out, sizeof cold_out);
    cold.tq = cold.swap_temp = 500;
    cold.swap_anneal = true;
    cold.swap_time = 1.0;
    cold.branch_from = hot_dir;
    cr_assert_eq(sb_quench(&cold, &rc, &err), SB_OK, "%s", err.msg);
    /* Run: 800 K -> 500 K at 1e14 K/s (3 ps = 1500 steps) and the 1 ps anneal (500 steps);
     * the schedule: the hotter glass's melt and cooling to 800 K (its anneal excluded) too. */
    cr_expect_eq(rc.md_steps_run, 2000, "ran %lld MD steps", (long long)rc.md_steps_run);
    cr_expect_eq(rc.md_steps, rh.md_steps - 500 + 2000, "%lld vs %lld", (long long)rc.md_steps,
                 (long long)rh.md_steps);
    sb_structure g = SB_STRUCTURE_INIT;
    cr_assert_eq(sb_read_lammps_data(cold_out, &g, &err), SB_OK, "%s", err.msg);
    cr_expect_eq(g.n, 256);
    cr_expect(sbt_min_pair_distance(&g) > 2.0);
    cr_expect(fabs(rc.pe_per_atom - (-4.85)) < 0.05, "energy %.4f", rc.pe_per_atom);
    char json[4200], *text = NULL;
    snprintf(json, sizeof json, "%s/glass.json", cold_dir);
    cr_assert_eq(sb_read_file(json, &text, NULL, &err), SB_OK, "%s", err.msg);
    cr_expect(strstr(text, "\"branched_from\"") != NULL, "provenance does not name the branch");
    free(text);
    snprintf(json, sizeof json, "%s/glass.json", hot_dir);
    cr_assert_eq(sb_read_file(json, &text, NULL, &err), SB_OK, "%s", err.msg);
    cr_expect(strstr(text, "\"branched_from\"") == NULL, "the hotter glass began from the melt");
    free(text);
    sb_structure_free(&g);
}

Test(engine_quench, validation_before_lammps)
{
    sb_quench_options o = sb_quench_options_default();
    o.run_dir = "/tmp";
    o.output = "/tmp/x.data";
    sb_error err;
    o.potential = "/nonexistent.eam.fs";
    cr_expect_eq(sb_quench_validate(&o, &err), SB_ERR_IO);
    o = sb_quench_options_default();
    o.run_dir = "/tmp";
    o.output = "/tmp/x.data";
    o.tq = 3000;
    cr_expect_eq(sb_quench_validate(&o, &err), SB_ERR_INVALID_ARG);
    o.tq = 50;
    o.natoms = 50;
    cr_expect_eq(sb_quench_validate(&o, &err), SB_ERR_INVALID_ARG, "box smaller than 2 cutoffs");
    o.natoms = 500;
    strcpy(o.elements[1], "Xx");
    cr_expect_eq(sb_quench_validate(&o, &err), SB_ERR_INVALID_ARG);
}
