/* The flexibility volume formula against hand values, its fertile rule through the
 * indicator table, and the learned-indicator registry refusing (never faking) models. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "shearband/indicator.h"
#include "shearband/indicator_model.h"
#include "shearband/vflex.h"

Test(vflex, hand_values)
{
    /* Omega = 16 A^3, MSD = 0.03 A^2, a = 3 A: 16 * 0.03 / 9 = 0.0533... A^3. */
    cr_assert_float_eq(sb_vflex_value(16.0, 0.03, 3.0), 16.0 * 0.03 / 9.0, 1e-17);
    /* Scaling: doubling a quarters v_flex; doubling Omega or MSD doubles it. */
    const double v = sb_vflex_value(20.0, 0.05, 2.5);
    cr_assert_float_eq(v, 0.16, 1e-15);
    cr_assert_float_eq(sb_vflex_value(20.0, 0.05, 5.0), v / 4, 1e-15);
    cr_assert_float_eq(sb_vflex_value(40.0, 0.05, 2.5), 2 * v, 1e-15);
    cr_assert_float_eq(sb_vflex_value(20.0, 0.10, 2.5), 2 * v, 1e-15);
    /* An atom without a cell (radical tessellation) has no volume to be flexible with. */
    cr_assert_eq(sb_vflex_value(0.0, 0.05, 0.0), 0.0);
    cr_assert_eq(sb_vflex_value(10.0, 0.0, 3.0), 0.0);
}

Test(vflex, compute_uses_voronoi_records_and_rejects_bad_input)
{
    sb_voronoi_atom vor[3];
    memset(vor, 0, sizeof vor);
    vor[0].volume = 15.0, vor[0].mean_neighbor_distance = 2.9;
    vor[1].volume = 24.0, vor[1].mean_neighbor_distance = 3.2;
    vor[2].volume = 0.0, vor[2].mean_neighbor_distance = 0.0;
    const double msd[3] = {0.02, 0.045, 0.01};
    double out[3];
    sb_error err;
    cr_assert_eq(sb_vflex_compute(vor, msd, 3, out, &err), SB_OK);
    cr_assert_float_eq(out[0], 15.0 * 0.02 / (2.9 * 2.9), 1e-16);
    cr_assert_float_eq(out[1], 24.0 * 0.045 / (3.2 * 3.2), 1e-16);
    cr_assert_eq(out[2], 0.0);
    const double neg[3] = {0.02, -1e-3, 0.01};
    cr_assert_eq(sb_vflex_compute(vor, neg, 3, out, &err), SB_ERR_NUMERIC);
    cr_assert(strstr(err.msg, "atom 1"), "%s", err.msg);
    const double nan_msd[3] = {NAN, 0.1, 0.1};
    cr_assert_eq(sb_vflex_compute(vor, nan_msd, 3, out, &err), SB_ERR_NUMERIC);
    vor[1].volume = -1;
    cr_assert_eq(sb_vflex_compute(vor, msd, 3, out, &err), SB_ERR_NUMERIC);
}

Test(vflex, fertile_is_top_twenty_percent)
{
    const sb_indicator_info *ind = sb_indicator_lookup("vflex");
    cr_assert_not_null(ind);
    cr_assert_eq(ind->rule, SB_FERTILE_TOP_FRACTION);
    cr_assert_float_eq(ind->parameter, 0.2, 1e-15);
    cr_assert_eq(ind->sense, SB_HIGHER_FAVOURS_BAND);
    /* 10 atoms: the 2 largest are fertile; a tie at the boundary goes to the lower id. */
    const double v[10] = {0.1, 0.9, 0.3, 0.5, 0.2, 0.5, 0.05, 0.4, 0.45, 0.15};
    const int64_t id[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    unsigned char f[10];
    cr_assert_eq(sb_indicator_fertile(ind, v, id, 10, f, NULL), SB_OK);
    const unsigned char want[10] = {0, 1, 0, 1, 0, 0, 0, 0, 0, 0};
    cr_assert_arr_eq(f, want, 10);
}

Test(vflex, learned_indicator_models_are_refused_until_registered)
{
    sb_error err;
    double v[1];
    for (int k = 0; k < 3; k++) {
        const char *name = (const char *[]){"cnn", "gnn", "svm"}[k];
        if (sb_indicator_model_available(name)) continue; /* filled in: tested by its owner */
        cr_assert_eq(sb_indicator_model_apply(name, "m.bin", NULL, v, &err), SB_ERR_UNSUPPORTED);
        cr_assert(strstr(err.msg, name), "%s", err.msg);
    }
    cr_assert_eq(sb_indicator_model_apply("ffb", "m.bin", NULL, v, &err), SB_ERR_INVALID_ARG);
    cr_assert(!sb_indicator_model_available("vflex"));
}
