/*
 * test_nn_backend.c: the fast (oneDNN) backend against the reference backend on random
 * inputs: forward logits, every parameter gradient, the input gradient, and the parameters
 * after full Adam training steps. Tolerance: normalised error ||a - b|| / ||b|| < 1e-4
 * (float32 with different summation orders gives ~1e-6 here). Also checks that oneDNN
 * chose a real (non-"ref") implementation for every convolution, 2D and 3D.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn_testutil.h"
#include "shearband/nn.h"

static const double TOL = 1e-4;

typedef struct pair {
    sb_nn_model *mref, *mfast;
    sb_nn_plan *pref, *pfast;
    size_t in;
} pair;

static bool have_dnnl(void)
{
    for (const char *const *b = sb_nn_backends(); *b; b++)
        if (strcmp(*b, "dnnl") == 0) return true;
    return false;
}

static void make_pair(pair *pr, sb_nn_shape in, const char *arch, int batch, bool input_grad)
{
    sb_error err;
    cr_assert_eq(sb_nn_model_create_from_string(in, arch, &pr->mref, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(sb_nn_model_create_from_string(in, arch, &pr->mfast, &err), SB_OK, "%s", err.msg);
    sb_nn_model_init(pr->mref, 42);
    sb_nn_model_init(pr->mfast, 42);
    /* non-zero biases so that bias paths are exercised */
    uint64_t s = 7;
    size_t np = sb_nn_model_num_params(pr->mref);
    float *noise = malloc(np * sizeof(float));
    nn_test_fill_uniform(noise, np, -0.02f, 0.02f, &s);
    for (size_t i = 0; i < np; i++) {
        sb_nn_model_params(pr->mref)[i] += noise[i];
        sb_nn_model_params(pr->mfast)[i] += noise[i];
    }
    free(noise);
    sb_nn_plan_options o = sb_nn_plan_options_default();
    o.need_input_grad = input_grad;
    o.threads = 1;
    o.seed = 99;
    o.backend = "reference";
    cr_assert_eq(sb_nn_plan_create(pr->mref, batch, &o, &pr->pref, &err), SB_OK, "%s", err.msg);
    o.backend = "dnnl";
    cr_assert_eq(sb_nn_plan_create(pr->mfast, batch, &o, &pr->pfast, &err), SB_OK, "%s", err.msg);
    pr->in = (size_t)in.c * in.d * in.h * in.w;
}

static void free_pair(pair *pr)
{
    sb_nn_plan_free(pr->pref);
    sb_nn_plan_free(pr->pfast);
    sb_nn_model_free(pr->mref);
    sb_nn_model_free(pr->mfast);
}

static void compare_pass(sb_nn_shape in, const char *arch, int batch, int n)
{
    if (!have_dnnl()) cr_skip_test("built without oneDNN");
    pair pr;
    make_pair(&pr, in, arch, batch, true);
    sb_error err;
    uint64_t s = 1234;
    float *x = malloc((size_t)batch * pr.in * sizeof(float));
    nn_test_fill_uniform(x, (size_t)batch * pr.in, 0.0f, 1.0f, &s);
    float *zr = calloc((size_t)batch, sizeof(float)), *zf = calloc((size_t)batch, sizeof(float));
    float *dz = malloc((size_t)batch * sizeof(float));
    nn_test_fill_uniform(dz, (size_t)batch, -1.0f, 1.0f, &s);
    cr_assert_eq(sb_nn_forward(pr.pref, x, n, true, zr, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(sb_nn_forward(pr.pfast, x, n, true, zf, &err), SB_OK, "%s", err.msg);
    double e = nn_test_nerr(zf, zr, (size_t)n);
    cr_expect_lt(e, TOL, "%s: logits normalised error %g", arch, e);
    cr_assert_eq(sb_nn_backward(pr.pref, dz, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(sb_nn_backward(pr.pfast, dz, &err), SB_OK, "%s", err.msg);
    for (int l = 0; l < sb_nn_model_num_layers(pr.mref); l++) {
        size_t off = sb_nn_model_layer_param_offset(pr.mref, l), cnt = sb_nn_model_layer_param_count(pr.mref, l);
        if (cnt == 0) continue;
        e = nn_test_nerr(sb_nn_plan_grads(pr.pfast) + off, sb_nn_plan_grads(pr.pref) + off, cnt);
        cr_expect_lt(e, TOL, "%s: layer %d parameter gradient normalised error %g", arch, l, e);
    }
    e = nn_test_nerr(sb_nn_plan_input_grad(pr.pfast), sb_nn_plan_input_grad(pr.pref), (size_t)n * pr.in);
    cr_expect_lt(e, TOL, "%s: input gradient normalised error %g", arch, e);
    cr_log_info("%s: input gradient normalised error %.2e", arch, e);
    for (int l = 0; l < sb_nn_model_num_layers(pr.mref); l++) {
        if (sb_nn_model_layer(pr.mref, l).kind != SB_NN_CONV) continue;
        const char *impl = sb_nn_plan_impl(pr.pfast, l);
        cr_expect(strncmp(impl, "ref", 3) != 0 && strstr(impl, "ref:any") == NULL,
                  "%s: conv layer %d uses a reference oneDNN kernel: %s", arch, l, impl);
        cr_log_info("%s layer %d: %s", arch, l, impl);
    }
    free(x);
    free(zr);
    free(zf);
    free(dz);
    free_pair(&pr);
}

Test(nn_backend, conv2d_forward_backward_match_reference)
{
    compare_pass((sb_nn_shape){2, 1, 16, 16},
                 "conv8k3,relu,pool,conv16k3,relu,pool,flatten,dense16,relu,dropout0.3,dense1", 8, 8);
}

Test(nn_backend, conv2d_k5_odd_sizes_partial_batch)
{
    compare_pass((sb_nn_shape){3, 1, 11, 9}, "conv5k5,relu,pool,dense7,relu,dense1", 6, 4);
}

Test(nn_backend, conv3d_forward_backward_match_reference)
{
    compare_pass((sb_nn_shape){2, 8, 8, 8}, "conv4k3,relu,pool,conv8k3,relu,pool,dense8,relu,dense1", 4, 4);
}

Test(nn_backend, avgpool_2d_odd_sizes_and_3d_match_reference)
{
    compare_pass((sb_nn_shape){3, 1, 11, 9}, "conv5k3,relu,apool,dense7,relu,dense1", 6, 4);
    compare_pass((sb_nn_shape){2, 8, 8, 8}, "conv4k3,relu,apool,conv8k3,relu,apool,dense8,relu,dense1", 4, 4);
}

Test(nn_backend, adam_steps_match_reference)
{
    if (!have_dnnl()) cr_skip_test("built without oneDNN");
    sb_nn_shape in = {2, 1, 16, 16};
    pair pr;
    make_pair(&pr, in, "conv8k3,relu,pool,conv8k3,relu,pool,dense16,relu,dropout0.25,dense1", 16, false);
    sb_error err;
    sb_nn_adam *ar, *af;
    sb_nn_adam_options ao = sb_nn_adam_options_default();
    ao.weight_decay = 1e-2f;
    cr_assert_eq(sb_nn_adam_create(pr.mref, &ao, &ar, &err), SB_OK);
    cr_assert_eq(sb_nn_adam_create(pr.mfast, &ao, &af, &err), SB_OK);
    size_t np0 = sb_nn_model_num_params(pr.mref);
    float *p0 = malloc(np0 * sizeof(float));
    memcpy(p0, sb_nn_model_params(pr.mref), np0 * sizeof(float));
    uint64_t s = 55;
    float *x = malloc(16 * pr.in * sizeof(float)), y[16];
    for (int step = 0; step < 3; step++) {
        nn_test_fill_uniform(x, 16 * pr.in, 0.0f, 1.0f, &s);
        for (int i = 0; i < 16; i++) y[i] = (float)(i % 3 == 0);
        double lr, lf;
        cr_assert_eq(sb_nn_train_step(pr.pref, ar, x, y, 16, 2.0f, &lr, &err), SB_OK, "%s", err.msg);
        cr_assert_eq(sb_nn_train_step(pr.pfast, af, x, y, 16, 2.0f, &lf, &err), SB_OK, "%s", err.msg);
        cr_expect_lt(fabs(lr - lf) / lr, TOL, "step %d: loss %g vs %g", step, lr, lf);
    }
    /* compare the updates p - p0, not the parameters (which barely move in 3 steps) */
    size_t np = sb_nn_model_num_params(pr.mref);
    float *dr = malloc(np * sizeof(float)), *df = malloc(np * sizeof(float));
    for (size_t i = 0; i < np; i++) {
        dr[i] = sb_nn_model_params(pr.mref)[i] - p0[i];
        df[i] = sb_nn_model_params(pr.mfast)[i] - p0[i];
    }
    double e = nn_test_nerr(df, dr, np);
    cr_expect_lt(e, TOL, "parameter updates after 3 Adam steps: normalised error %g", e);
    cr_log_info("parameter updates after 3 Adam steps: normalised error %.2e (|update| / |p| = %.2e)", e,
                nn_test_nerr(sb_nn_model_params(pr.mref), p0, np));
    cr_expect_gt(nn_test_nerr(sb_nn_model_params(pr.mref), p0, np), 1e-4, "the parameters did not move");
    free(dr);
    free(df);
    free(p0);
    free(x);
    sb_nn_adam_free(ar);
    sb_nn_adam_free(af);
    free_pair(&pr);
}

Test(nn_backend, unknown_backend_is_reported)
{
    sb_nn_model *m;
    sb_error err;
    cr_assert_eq(sb_nn_model_create_from_string((sb_nn_shape){1, 1, 4, 4}, "dense1", &m, &err), SB_OK);
    sb_nn_plan_options o = sb_nn_plan_options_default();
    o.backend = "cuda";
    sb_nn_plan *p = NULL;
    cr_expect_eq(sb_nn_plan_create(m, 4, &o, &p, &err), SB_ERR_UNSUPPORTED);
    cr_expect(strstr(err.msg, "cuda") != NULL, "%s", err.msg);
    cr_expect_null(p);
    sb_nn_model_free(m);
}
