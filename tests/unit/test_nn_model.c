/*
 * test_nn_model.c: model construction. Shapes and parameter counts of the benchmark CNN
 * worked out by hand; the architecture string round-trips through describe(); invalid
 * architectures are refused with a message naming the layer; He initialisation has the
 * right spread (sample std within 3 % of sqrt(2 / fan_in) on >= 4,000 weights), zero
 * biases, and depends on the seed only.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "shearband/nn.h"

static const char *CNN = "conv16k3,relu,pool,conv32k3,relu,pool,dense64,relu,dense1";

Test(nn_model, shapes_and_parameter_counts)
{
    sb_nn_model *m;
    sb_error err;
    cr_assert_eq(sb_nn_model_create_from_string((sb_nn_shape){2, 1, 32, 32}, CNN, &m, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(sb_nn_model_num_layers(m), 9);
    sb_nn_shape s = sb_nn_model_layer_output(m, 5); /* after the second pool */
    cr_expect(s.c == 32 && s.d == 1 && s.h == 8 && s.w == 8, "%d %d %d %d", s.c, s.d, s.h, s.w);
    /* 2*16*9+16, 16*32*9+32, 2048*64+64, 64+1 */
    cr_expect_eq(sb_nn_model_layer_param_count(m, 0), 304u);
    cr_expect_eq(sb_nn_model_layer_param_count(m, 3), 4640u);
    cr_expect_eq(sb_nn_model_layer_param_count(m, 6), 131136u);
    cr_expect_eq(sb_nn_model_layer_param_count(m, 8), 65u);
    cr_expect_eq(sb_nn_model_num_params(m), 304u + 4640u + 131136u + 65u);
    cr_expect_eq(sb_nn_model_layer_param_offset(m, 3), 304u);
    char buf[256];
    cr_assert_eq(sb_nn_model_describe(m, buf, sizeof buf, &err), SB_OK);
    cr_expect_str_eq(buf, CNN);
    sb_nn_model_free(m);
    /* 3D: 2x16x16x16, k3 kernels are 3x3x3, pools 2x2x2 */
    cr_assert_eq(sb_nn_model_create_from_string((sb_nn_shape){2, 16, 16, 16}, "conv4k3,pool,dense1", &m, &err), SB_OK);
    cr_expect_eq(sb_nn_model_layer_param_count(m, 0), 2u * 4 * 27 + 4);
    s = sb_nn_model_layer_output(m, 1);
    cr_expect(s.c == 4 && s.d == 8 && s.h == 8 && s.w == 8);
    cr_expect_eq(sb_nn_model_layer_param_count(m, 2), 4u * 512 + 1);
    sb_nn_model_free(m);
}

Test(nn_model, invalid_architectures_are_refused)
{
    const char *bad[] = {"conv8k2,dense1",       /* even kernel */
                         "conv8k3,dense2",       /* not one logit */
                         "conv8k3,relu",         /* does not end in dense */
                         "dense4,conv8k3,dense1",/* conv after flattening */
                         "flatten,pool,dense1",  /* pool after flattening */
                         "dropout1.0,dense1",    /* rate 1 */
                         "convolution,dense1",   /* unknown token */
                         ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        sb_nn_model *m = (sb_nn_model *)1;
        sb_error err;
        sb_status st = sb_nn_model_create_from_string((sb_nn_shape){2, 1, 8, 8}, bad[i], &m, &err);
        cr_expect_eq(st, SB_ERR_INVALID_ARG, "'%s' accepted", bad[i]);
        cr_expect_null(m, "'%s'", bad[i]);
        cr_expect(strlen(err.msg) > 0);
    }
    sb_nn_model *m;
    sb_error err;
    cr_expect_eq(sb_nn_model_create_from_string((sb_nn_shape){0, 1, 8, 8}, "dense1", &m, &err), SB_ERR_INVALID_ARG);
    cr_expect_eq(sb_nn_model_create_from_string((sb_nn_shape){2, 1, 8, 8}, "dense4,conv8k3,dense1", &m, &err),
                 SB_ERR_INVALID_ARG);
    cr_expect(strstr(err.msg, "layer 1") != NULL, "%s", err.msg);
}

Test(nn_model, he_initialisation)
{
    sb_nn_model *a, *b, *c;
    cr_assert_eq(sb_nn_model_create_from_string((sb_nn_shape){2, 1, 32, 32}, CNN, &a, NULL), SB_OK);
    cr_assert_eq(sb_nn_model_create_from_string((sb_nn_shape){2, 1, 32, 32}, CNN, &b, NULL), SB_OK);
    cr_assert_eq(sb_nn_model_create_from_string((sb_nn_shape){2, 1, 32, 32}, CNN, &c, NULL), SB_OK);
    sb_nn_model_init(a, 10);
    sb_nn_model_init(b, 10);
    sb_nn_model_init(c, 11);
    size_t np = sb_nn_model_num_params(a);
    cr_expect_eq(memcmp(sb_nn_model_params(a), sb_nn_model_params(b), np * sizeof(float)), 0);
    cr_expect_neq(memcmp(sb_nn_model_params(a), sb_nn_model_params(c), np * sizeof(float)), 0);
    const int layers[] = {3, 6}; /* fan-in 144 (4,608 weights) and 2048 (131,072 weights) */
    const double fan[] = {144, 2048};
    for (int k = 0; k < 2; k++) {
        const float *w = sb_nn_model_params(a) + sb_nn_model_layer_param_offset(a, layers[k]);
        int units = sb_nn_model_layer(a, layers[k]).units;
        size_t nw = sb_nn_model_layer_param_count(a, layers[k]) - (size_t)units;
        double s1 = 0, s2 = 0;
        for (size_t i = 0; i < nw; i++) {
            s1 += w[i];
            s2 += (double)w[i] * w[i];
        }
        double mean = s1 / nw, sd = sqrt(s2 / nw - mean * mean), want = sqrt(2.0 / fan[k]);
        cr_expect_lt(fabs(sd / want - 1.0), 0.03, "layer %d: std %g, He wants %g", layers[k], sd, want);
        cr_expect_lt(fabs(mean), 4.0 * want / sqrt((double)nw), "layer %d: mean %g", layers[k], mean);
        for (int i = 0; i < units; i++) cr_expect_eq(w[nw + (size_t)i], 0.0f, "bias not zero");
    }
    sb_nn_model_free(a);
    sb_nn_model_free(b);
    sb_nn_model_free(c);
}
