/*
 * test_nn_learn.c: the network learns synthetic tasks whose answer is known, and training
 * is reproducible.
 *
 * Training: Adam, lr 3e-3, divided by 10 for the last quarter of the epochs.
 * Task: 2 x 16 x 16 images, each channel a sum of 3 Gaussian blobs (random centre, width,
 * height) -- a caricature of a two-species density map. The label is 1 when the total
 * intensity in the central 8 x 8 window (both channels) exceeds a threshold fixed on the
 * training set: its median (balanced task; held-out accuracy must exceed 0.95), or its
 * 95th percentile (the fertile-site imbalance: 5 % positives; with pos_weight = 19 the
 * held-out balanced accuracy must exceed 0.9, and beat unweighted training's recall).
 * Determinism: the same seeds give bit-identical weights after several steps, with
 * dropout active, for each backend at 1 and at 2 threads; another dropout seed gives different ones.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn_testutil.h"
#include "shearband/nn.h"

enum { IMG = 16, CH = 2, PIX = CH * IMG * IMG };

static double uni(uint64_t *s)
{
    float u;
    nn_test_fill_uniform(&u, 1, 0.0f, 1.0f, s);
    return u;
}

/* n images into x, their central intensity into score */
static void make_blobs(float *x, double *score, int n, uint64_t seed)
{
    uint64_t s = seed;
    for (int i = 0; i < n; i++) {
        float *img = x + (size_t)i * PIX;
        memset(img, 0, PIX * sizeof(float));
        for (int c = 0; c < CH; c++)
            for (int b = 0; b < 3; b++) {
                double cx = uni(&s) * IMG, cy = uni(&s) * IMG, sg = 1.0 + 1.5 * uni(&s), amp = 0.5 + uni(&s);
                for (int y = 0; y < IMG; y++)
                    for (int xx = 0; xx < IMG; xx++) {
                        double r2 = (xx + 0.5 - cx) * (xx + 0.5 - cx) + (y + 0.5 - cy) * (y + 0.5 - cy);
                        img[(c * IMG + y) * IMG + xx] += (float)(amp * exp(-0.5 * r2 / (sg * sg)));
                    }
            }
        double t = 0;
        for (int c = 0; c < CH; c++)
            for (int y = 4; y < 12; y++)
                for (int xx = 4; xx < 12; xx++) t += img[(c * IMG + y) * IMG + xx];
        score[i] = t;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double quantile(const double *v, int n, double q)
{
    double *c = malloc((size_t)n * sizeof *c);
    memcpy(c, v, (size_t)n * sizeof *c);
    qsort(c, (size_t)n, sizeof *c, cmp_double);
    double r = c[(int)(q * (n - 1))];
    free(c);
    return r;
}

typedef struct result {
    double acc, recall, specificity;
} result;

static result train_and_test(double q, float pos_weight, int epochs, uint64_t seed)
{
    const int ntr = 4096, nte = 2048, B = 64;
    float *xtr = malloc((size_t)ntr * PIX * sizeof(float)), *xte = malloc((size_t)nte * PIX * sizeof(float));
    double *str = malloc((size_t)ntr * sizeof(double)), *ste = malloc((size_t)nte * sizeof(double));
    float *ytr = malloc((size_t)ntr * sizeof(float));
    make_blobs(xtr, str, ntr, 11);
    make_blobs(xte, ste, nte, 12);
    double thr = quantile(str, ntr, q);
    for (int i = 0; i < ntr; i++) ytr[i] = str[i] > thr ? 1.0f : 0.0f;
    sb_nn_model *m;
    sb_nn_plan *p;
    sb_nn_adam *a;
    sb_error err;
    cr_assert_eq(sb_nn_model_create_from_string((sb_nn_shape){CH, 1, IMG, IMG},
                                                "conv8k3,relu,pool,conv16k3,relu,pool,dense32,relu,dense1", &m, &err),
                 SB_OK, "%s", err.msg);
    sb_nn_model_init(m, seed);
    sb_nn_plan_options o = sb_nn_plan_options_default();
    o.seed = seed;
    cr_assert_eq(sb_nn_plan_create(m, B, &o, &p, &err), SB_OK, "%s", err.msg);
    sb_nn_adam_options ao = sb_nn_adam_options_default();
    ao.lr = 3e-3f;
    cr_assert_eq(sb_nn_adam_create(m, &ao, &a, &err), SB_OK);
    double loss = 0;
    for (int e = 0; e < epochs; e++) {
        if (e == epochs - epochs / 4) sb_nn_adam_set_lr(a, 0.1f * ao.lr); /* anneal for the last quarter */
        for (int i = 0; i + B <= ntr; i += B)
            cr_assert_eq(sb_nn_train_step(p, a, xtr + (size_t)i * PIX, ytr + i, B, pos_weight, &loss, &err), SB_OK,
                         "%s", err.msg);
    }
    int tp = 0, tn = 0, pos = 0, neg = 0;
    float *prob = malloc((size_t)nte * sizeof(float));
    cr_assert_eq(sb_nn_predict_all(p, xte, (size_t)nte, prob, &err), SB_OK, "%s", err.msg);
    for (int i = 0; i < nte; i++) {
        bool y = ste[i] > thr, yhat = prob[i] > 0.5f;
        pos += y;
        neg += !y;
        tp += y && yhat;
        tn += !y && !yhat;
    }
    free(prob);
    result r = {(double)(tp + tn) / nte, pos ? (double)tp / pos : 0.0, neg ? (double)tn / neg : 0.0};
    cr_log_info("q %.2f pos_weight %.1f epochs %d (%s): final loss %.4f, held-out accuracy %.4f, recall %.3f "
                "(%d positives), specificity %.3f",
                q, (double)pos_weight, epochs, sb_nn_plan_backend(p), loss, r.acc, r.recall, pos, r.specificity);
    sb_nn_adam_free(a);
    sb_nn_plan_free(p);
    sb_nn_model_free(m);
    free(xtr);
    free(xte);
    free(str);
    free(ste);
    free(ytr);
    return r;
}

Test(nn_learn, balanced_blobs_above_median, .timeout = 120)
{
    result r = train_and_test(0.5, 1.0f, 16, 5);
    cr_expect_gt(r.acc, 0.95, "held-out accuracy %.4f", r.acc);
}

Test(nn_learn, imbalanced_blobs_need_weighted_loss, .timeout = 120)
{
    result w = train_and_test(0.95, 19.0f, 4, 5);
    result u = train_and_test(0.95, 1.0f, 4, 5);
    double bal = 0.5 * (w.recall + w.specificity);
    cr_expect_gt(bal, 0.9, "weighted: balanced accuracy %.3f", bal);
    cr_expect_gt(w.recall, u.recall, "weighted recall %.3f not above unweighted %.3f", w.recall, u.recall);
}

static void train_steps(const char *backend, int threads, uint64_t seed, uint64_t drop_seed, float *out, size_t np)
{
    sb_nn_model *m;
    sb_nn_plan *p;
    sb_nn_adam *a;
    sb_error err;
    cr_assert_eq(sb_nn_model_create_from_string((sb_nn_shape){CH, 1, IMG, IMG},
                                                "conv4k3,relu,pool,conv8k3,relu,pool,dense16,relu,dropout0.5,dense1",
                                                &m, &err),
                 SB_OK);
    cr_assert_eq(sb_nn_model_num_params(m), np);
    sb_nn_model_init(m, seed);
    sb_nn_plan_options o = sb_nn_plan_options_default();
    o.backend = backend;
    o.threads = threads;
    o.seed = drop_seed;
    cr_assert_eq(sb_nn_plan_create(m, 32, &o, &p, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(sb_nn_adam_create(m, NULL, &a, &err), SB_OK);
    float *x = malloc(32 * PIX * sizeof(float)), y[32];
    double sc[32];
    for (int step = 0; step < 5; step++) {
        make_blobs(x, sc, 32, 100 + (uint64_t)step);
        for (int i = 0; i < 32; i++) y[i] = sc[i] > 40.0;
        cr_assert_eq(sb_nn_train_step(p, a, x, y, 32, 3.0f, NULL, &err), SB_OK, "%s", err.msg);
    }
    memcpy(out, sb_nn_model_params(m), np * sizeof(float));
    free(x);
    sb_nn_adam_free(a);
    sb_nn_plan_free(p);
    sb_nn_model_free(m);
}

Test(nn_learn, same_seed_same_weights)
{
    sb_nn_model *m;
    cr_assert_eq(sb_nn_model_create_from_string((sb_nn_shape){CH, 1, IMG, IMG},
                                                "conv4k3,relu,pool,conv8k3,relu,pool,dense16,relu,dropout0.5,dense1",
                                                &m, NULL),
                 SB_OK);
    size_t np = sb_nn_model_num_params(m);
    sb_nn_model_free(m);
    float *a = malloc(np * sizeof(float)), *b = malloc(np * sizeof(float)), *c = malloc(np * sizeof(float));
    for (const char *const *be = sb_nn_backends(); *be; be++)
        for (int threads = 1; threads <= 2; threads++) {
            train_steps(*be, threads, 7, 1, a, np);
            train_steps(*be, threads, 7, 1, b, np);
            train_steps(*be, threads, 7, 2, c, np);
            cr_expect_eq(memcmp(a, b, np * sizeof(float)), 0, "%s, %d threads: same seeds, different weights", *be,
                         threads);
            cr_expect_neq(memcmp(a, c, np * sizeof(float)), 0, "%s: dropout seed has no effect", *be);
        }
    free(a);
    free(b);
    free(c);
}
