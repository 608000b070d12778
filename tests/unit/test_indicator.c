/* Indicator rules, DFS profiles, predicted band, Delta and gamma on constructed glasses. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/indicator.h"
#include "shearband/structure.h"

static uint64_t rng = 2024;
static double uniform(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

/* 6000 random atoms in a 60 A cube; value = probability-like, high in a 19 A horizontal slab
 * around y = 45 A (crossing nothing) and background elsewhere. */
static void make_case(sb_structure *s, double *value, double slab_y, double hi_p)
{
    cr_assert_eq(sb_structure_alloc(s, 6000, 2, NULL), SB_OK);
    cr_assert_eq(sb_cell_set_ortho(&s->cell, 60, 60, 60, NULL), SB_OK);
    for (size_t i = 0; i < s->n; i++) {
        for (int k = 0; k < 3; k++) s->x[3 * i + k] = 60 * uniform();
        const double dy = fabs(s->x[3 * i + 1] - slab_y);
        value[i] = uniform() < (dy < 9.5 ? hi_p : 0.05) ? 0.9 : 0.1;
    }
}

Test(indicator, table_and_lookup)
{
    size_t n;
    const sb_indicator_info *t = sb_indicator_table(&n);
    cr_assert_eq(n, 6);
    cr_assert_str_eq(t[0].name, "cnn");
    cr_assert_eq(sb_indicator_lookup("ffb")->sense, SB_LOWER_FAVOURS_BAND);
    cr_assert_eq(sb_indicator_lookup("vflex")->rule, SB_FERTILE_TOP_FRACTION);
    cr_assert_null(sb_indicator_lookup("nope"));
}

Test(indicator, dfs_peak_predicts_the_dense_slab)
{
    sb_structure s = SB_STRUCTURE_INIT;
    double *v = malloc(6000 * sizeof *v);
    make_case(&s, v, 45.0, 0.5);
    const sb_indicator_info *cnn = sb_indicator_lookup("cnn");
    sb_profile prof[2] = {SB_PROFILE_INIT, SB_PROFILE_INIT};
    cr_assert_eq(sb_indicator_profiles(cnn, &s.cell, s.x, s.id, v, s.n, 19.0, 1.0, prof, NULL), SB_OK);
    sb_prediction pred;
    sb_indicator_predict(cnn, prof, &pred);
    cr_assert_eq(pred.axis, 1);
    cr_assert(fabs(pred.centre - 45.0) <= 3.0, "predicted %g", pred.centre);
    cr_assert(pred.signed_position > 0);
    /* DFS: 0.5 in a slab that covers the dense region exactly, 0.05 far away. */
    cr_assert(pred.best > 0.42 && pred.best < 0.58, "peak %g", pred.best);
    cr_assert(pred.delta > 0.3);
    double g;
    cr_assert_eq(sb_indicator_gamma(cnn, prof, pred.axis, pred.centre, &g, NULL), SB_OK);
    cr_assert_float_eq(g, 1.0, 1e-12);
    /* A band observed far from the dense slab scores low, and a wrapped centre (x + L) is
     * the same slab. */
    double g2, g3;
    cr_assert_eq(sb_indicator_gamma(cnn, prof, 1, 15.0, &g2, NULL), SB_OK);
    cr_assert(g2 < 0.8, "gamma %g", g2);
    cr_assert_eq(sb_indicator_gamma(cnn, prof, 1, 75.0, &g3, NULL), SB_OK);
    cr_assert_float_eq(g2, g3, 1e-15);
    sb_profile_free(&prof[0]);
    sb_profile_free(&prof[1]);
    free(v);
    sb_structure_free(&s);
}

Test(indicator, lower_favours_picks_the_minimum_of_the_slab_mean)
{
    sb_structure s = SB_STRUCTURE_INIT;
    double *v = malloc(6000 * sizeof *v);
    make_case(&s, v, 20.0, 0.9);
    for (size_t i = 0; i < s.n; i++) v[i] = 1.0 - v[i]; /* low values in the slab */
    const sb_indicator_info *ffb = sb_indicator_lookup("ffb");
    sb_profile prof[2] = {SB_PROFILE_INIT, SB_PROFILE_INIT};
    cr_assert_eq(sb_indicator_profiles(ffb, &s.cell, s.x, s.id, v, s.n, 19.0, 1.0, prof, NULL), SB_OK);
    sb_prediction pred;
    sb_indicator_predict(ffb, prof, &pred);
    cr_assert_eq(pred.axis, 1);
    cr_assert(fabs(pred.centre - 20.0) <= 3.0, "predicted %g", pred.centre);
    double g;
    cr_assert_eq(sb_indicator_gamma(ffb, prof, 1, pred.centre, &g, NULL), SB_OK);
    cr_assert_float_eq(g, 1.0, 1e-12);
    unsigned char flag[1];
    sb_error err;
    cr_assert_eq(sb_indicator_fertile(ffb, v, NULL, 1, flag, &err), SB_ERR_INVALID_ARG);
    sb_profile_free(&prof[0]);
    sb_profile_free(&prof[1]);
    free(v);
    sb_structure_free(&s);
}

Test(indicator, top_fraction_rule_marks_exactly_twenty_percent)
{
    double v[100];
    unsigned char f[100];
    for (int i = 0; i < 100; i++) v[i] = uniform();
    cr_assert_eq(sb_indicator_fertile(sb_indicator_lookup("vflex"), v, NULL, 100, f, NULL), SB_OK);
    int count = 0;
    double min_in = 2, max_out = -1;
    for (int i = 0; i < 100; i++) {
        count += f[i];
        if (f[i]) min_in = fmin(min_in, v[i]);
        else max_out = fmax(max_out, v[i]);
    }
    cr_assert_eq(count, 20);
    cr_assert(min_in > max_out);
    v[7] = NAN;
    sb_error err;
    cr_assert_eq(sb_indicator_fertile(sb_indicator_lookup("svm"), v, NULL, 100, f, &err), SB_ERR_NUMERIC);
}
