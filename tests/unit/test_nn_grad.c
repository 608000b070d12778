/*
 * test_nn_grad.c: every layer's parameter and input gradients in the reference backend
 * against central finite differences.
 *
 * The scalar checked is L = sum_i c_i z_i (random c), whose gradient is backward(c).
 * The reference computes in float (double accumulators); the differences use eps = 1e-3
 * in float, which is good to ~1e-4 relative, so the criterion is the normalised error
 * ||g_analytic - g_fd|| / ||g_fd|| < 1e-2 over all parameters (and over all inputs).
 * Random inputs make ReLU kinks and max-pool ties improbable within +-eps.
 * Dropout: the plan's step counter is reset before every forward so that all differences
 * see the same mask.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"
#include "nn_testutil.h"

static const double TOL = 1e-2;
static const float EPS = 1e-3f;

static double objective(sb_nn_plan *p, const float *x, int n, const float *c)
{
    float z[64];
    sb_error err;
    p->step = 0;
    cr_assert_eq(sb_nn_forward(p, x, n, true, z, &err), SB_OK, "%s", err.msg);
    double L = 0;
    for (int i = 0; i < n; i++) L += (double)c[i] * z[i];
    return L;
}

/* Central difference of the objective in *v at eps and at eps/2. A piecewise-linear net
 * (ReLU, max-pool) has kinks: where the two disagree, the +-eps interval straddles one and
 * neither difference is a derivative; *kink is set and the caller drops that entry. */
static float central_diff(sb_nn_plan *p, float *x, int n, const float *c, float *v, bool *kink)
{
    float keep = *v, d[2];
    for (int r = 0; r < 2; r++) {
        float h = r == 0 ? EPS : 0.5f * EPS;
        float up = keep + h, dn = keep - h;
        *v = up;
        double lp = objective(p, x, n, c);
        *v = dn;
        double lm = objective(p, x, n, c);
        d[r] = (float)((lp - lm) / ((double)up - (double)dn));
    }
    *v = keep;
    *kink = fabsf(d[0] - d[1]) > 2e-3f * (fabsf(d[0]) + fabsf(d[1])) + 1e-3f;
    return d[1];
}

static void check_layer_grads(sb_nn_shape in, const char *arch, int n)
{
    sb_nn_model *m;
    sb_nn_plan *p;
    sb_error err;
    cr_assert_eq(sb_nn_model_create_from_string(in, arch, &m, &err), SB_OK, "%s", err.msg);
    sb_nn_model_init(m, 3);
    uint64_t s = 17;
    size_t np = sb_nn_model_num_params(m);
    float *w = sb_nn_model_params(m);
    for (size_t i = 0; i < np; i++) w[i] += 0.1f * (float)nn_test_normal(&s); /* non-zero biases */
    sb_nn_plan_options o = sb_nn_plan_options_default();
    o.backend = "reference";
    o.need_input_grad = true;
    cr_assert_eq(sb_nn_plan_create(m, n, &o, &p, &err), SB_OK, "%s", err.msg);
    size_t nin = (size_t)n * in.c * in.d * in.h * in.w;
    float *x = malloc(nin * sizeof(float)), c[64];
    nn_test_fill_uniform(x, nin, -1.0f, 1.0f, &s);
    nn_test_fill_uniform(c, (size_t)n, -1.0f, 1.0f, &s);
    (void)objective(p, x, n, c);
    cr_assert_eq(sb_nn_backward(p, c, &err), SB_OK, "%s", err.msg);
    float *g = malloc((np ? np : 1) * sizeof(float)), *gfd = malloc((np ? np : 1) * sizeof(float));
    memcpy(g, sb_nn_plan_grads(p), np * sizeof(float));
    float *gx = malloc(nin * sizeof(float)), *gxfd = malloc(nin * sizeof(float));
    memcpy(gx, sb_nn_plan_input_grad(p), nin * sizeof(float));
    size_t kinks = 0;
    for (size_t j = 0; j < np; j++) {
        bool kink;
        gfd[j] = central_diff(p, x, n, c, &w[j], &kink);
        if (kink) {
            g[j] = gfd[j] = 0.0f;
            kinks++;
        }
    }
    for (size_t j = 0; j < nin; j++) {
        bool kink;
        gxfd[j] = central_diff(p, x, n, c, &x[j], &kink);
        if (kink) {
            gx[j] = gxfd[j] = 0.0f;
            kinks++;
        }
    }
    cr_log_info("%s: %zu of %zu differences straddle a kink and are skipped", arch, kinks, np + nin);
    cr_expect_leq(kinks, (np + nin) / 20, "%s: too many kinks (%zu of %zu)", arch, kinks, np + nin);
    /* per layer, so that a failure names the layer */
    for (int l = 0; l < sb_nn_model_num_layers(m); l++) {
        size_t off = sb_nn_model_layer_param_offset(m, l), cnt = sb_nn_model_layer_param_count(m, l);
        if (!cnt) continue;
        double e = nn_test_nerr(g + off, gfd + off, cnt);
        cr_expect_lt(e, TOL, "%s: layer %d parameter gradient vs finite differences: %g", arch, l, e);
        cr_log_info("%s: layer %d parameter gradient error %.2e", arch, l, e);
        if (getenv("NN_DEBUG")) for (size_t j = 0; j < cnt; j++) cr_log_info("  %zu %g %g", j, (double)g[off + j], (double)gfd[off + j]);
    }
    double ex = nn_test_nerr(gx, gxfd, nin);
    cr_expect_lt(ex, TOL, "%s: input gradient vs finite differences: %g", arch, ex);
    cr_log_info("%s: input gradient error %.2e", arch, ex);
    free(g);
    free(gfd);
    free(gx);
    free(gxfd);
    free(x);
    sb_nn_plan_free(p);
    sb_nn_model_free(m);
}

Test(nn_grad, dense) { check_layer_grads((sb_nn_shape){7, 1, 1, 1}, "dense5,dense1", 3); }
Test(nn_grad, relu) { check_layer_grads((sb_nn_shape){5, 1, 1, 1}, "dense8,relu,dense1", 4); }
Test(nn_grad, dropout) { check_layer_grads((sb_nn_shape){5, 1, 1, 1}, "dense8,dropout0.5,dense1", 4); }
Test(nn_grad, conv2d) { check_layer_grads((sb_nn_shape){2, 1, 5, 6}, "conv3k3,dense1", 2); }
Test(nn_grad, conv2d_k5) { check_layer_grads((sb_nn_shape){1, 1, 6, 5}, "conv2k5,dense1", 2); }
Test(nn_grad, conv3d) { check_layer_grads((sb_nn_shape){2, 3, 4, 5}, "conv2k3,dense1", 2); }
Test(nn_grad, maxpool2d) { check_layer_grads((sb_nn_shape){2, 1, 6, 7}, "pool,dense1", 2); }
Test(nn_grad, maxpool3d) { check_layer_grads((sb_nn_shape){1, 4, 4, 5}, "pool,dense1", 2); }
Test(nn_grad, avgpool2d) { check_layer_grads((sb_nn_shape){2, 1, 6, 7}, "apool,dense1", 2); }
Test(nn_grad, avgpool3d) { check_layer_grads((sb_nn_shape){1, 4, 4, 5}, "apool,dense1", 2); }
Test(nn_grad, flatten) { check_layer_grads((sb_nn_shape){2, 1, 4, 4}, "conv2k3,flatten,dense1", 2); }
Test(nn_grad, small_cnn)
{
    check_layer_grads((sb_nn_shape){2, 1, 8, 8}, "conv3k3,relu,pool,conv4k3,relu,pool,dense5,relu,dense1", 3);
}

/* Average-pool by hand: a 1 x 4 x 5 image with pixel (y, x) = 10 y + x pools to the
 * window means 5.5, 7.5 (row 0) and 25.5, 27.5 (row 1); the odd last column is in no
 * window. A dense1 layer with unit weights and zero bias sums them: 66. Backward with dz = 1
 * gives each pooled pixel 1/4, the last column 0. */
Test(nn_grad, avgpool_by_hand)
{
    sb_nn_model *m;
    sb_nn_plan *p;
    sb_error err;
    cr_assert_eq(sb_nn_model_create_from_string((sb_nn_shape){1, 1, 4, 5}, "apool,dense1", &m, &err), SB_OK,
                 "%s", err.msg);
    float *w = sb_nn_model_params(m);
    for (size_t i = 0; i < sb_nn_model_num_params(m); i++) w[i] = 1.0f;
    w[sb_nn_model_num_params(m) - 1] = 0.0f; /* the bias */
    sb_nn_plan_options o = sb_nn_plan_options_default();
    o.backend = "reference";
    o.need_input_grad = true;
    cr_assert_eq(sb_nn_plan_create(m, 1, &o, &p, &err), SB_OK, "%s", err.msg);
    float x[20], z, one = 1.0f;
    for (int i = 0; i < 20; i++) x[i] = (float)(10 * (i / 5) + i % 5);
    cr_assert_eq(sb_nn_forward(p, x, 1, true, &z, &err), SB_OK, "%s", err.msg);
    cr_expect_float_eq(z, 66.0f, 1e-5f);
    cr_assert_eq(sb_nn_backward(p, &one, &err), SB_OK, "%s", err.msg);
    const float *gx = sb_nn_plan_input_grad(p);
    for (int i = 0; i < 20; i++)
        cr_expect_float_eq(gx[i], i % 5 == 4 ? 0.0f : 0.25f, 1e-7f, "pixel %d: %g", i, (double)gx[i]);
    sb_nn_plan_free(p);
    sb_nn_model_free(m);
}

/* The weighted BCE gradient against differences of the loss itself (in double). */
Test(nn_grad, weighted_bce_loss)
{
    float z[6] = {-3.0f, -0.5f, 0.0f, 0.7f, 2.5f, 12.0f}, y[6] = {0, 1, 1, 0, 1, 0}, dz[6];
    double L;
    sb_nn_bce_loss(z, y, 6, 4.0f, &L, dz);
    /* direct formula for one term */
    double p3 = 1.0 / (1.0 + exp(-0.7));
    double p1 = 1.0 / (1.0 + exp(0.5));
    double manual = (-log(1 - 1.0 / (1.0 + exp(3.0))) - 4.0 * log(p1) - 4.0 * log(0.5) - log(1 - p3) -
                     4.0 * log(1.0 / (1.0 + exp(-2.5))) + (12.0 + log1p(exp(-12.0)))) /
                    6.0;
    cr_expect_lt(fabs(L - manual), 1e-9 * fabs(manual), "loss %.12g vs %.12g", L, manual);
    for (int i = 0; i < 6; i++) {
        float zz[6];
        memcpy(zz, z, sizeof zz);
        double h = 1e-3, lp, lm;
        float zp = (float)(z[i] + h), zm = (float)(z[i] - h);
        zz[i] = zp;
        sb_nn_bce_loss(zz, y, 6, 4.0f, &lp, NULL);
        zz[i] = zm;
        sb_nn_bce_loss(zz, y, 6, 4.0f, &lm, NULL);
        double fd = (lp - lm) / ((double)zp - (double)zm);
        cr_expect_lt(fabs(fd - dz[i]), 1e-4 + 1e-3 * fabs(fd), "dL/dz[%d] = %g, differences %g", i,
                     (double)dz[i], fd);
    }
}
