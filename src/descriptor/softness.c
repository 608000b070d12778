/*
 * Linear-SVM softness (shearband/softness.h) on liblinear.
 *
 * liblinear wants sparse rows of (index, value) nodes; structure functions are dense, so
 * every row is n features + the bias node + a terminator, built once in one block. The
 * bias is liblinear's "bias feature" with value 1, so it is (lightly) regularised like any
 * weight; that is liblinear's standard practice and harmless with standardised inputs.
 * liblinear reports the decision value for the first label it saw; the sign is fixed so
 * that positive always means the positive (fertile) class.
 */
#include "shearband/softness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef SB_HAVE_LIBLINEAR
#include <linear.h>
#endif

sb_softness_options sb_softness_options_default(void)
{
    return (sb_softness_options){.C = 1.0, .eps = 0.01, .pos_weight = 0.0};
}

void sb_softness_free(sb_softness_model *m)
{
    if (!m) return;
    free(m->mean);
    free(m->std);
    free(m->w);
    memset(m, 0, sizeof *m);
}

#ifdef SB_HAVE_LIBLINEAR
static void quiet(const char *msg) { (void)msg; }
#endif

sb_status sb_softness_train(const double *X, const uint8_t *y, size_t n, size_t nfeat,
                            const sb_softness_options *opt, sb_softness_model *m, sb_error *err)
{
    memset(m, 0, sizeof *m);
#ifndef SB_HAVE_LIBLINEAR
    (void)X, (void)y, (void)n, (void)nfeat, (void)opt;
    return sb_error_set(err, SB_ERR_UNSUPPORTED, "built without liblinear: no SVM softness");
#else
    if (n < 2 || nfeat == 0 || n > (size_t)INT32_MAX || nfeat > (size_t)INT32_MAX - 2)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "SVM needs >= 2 rows and >= 1 feature (got %zu x %zu)", n,
                            nfeat);
    if (!(opt->C > 0) || !(opt->eps > 0))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "SVM C %g and eps %g must be > 0", opt->C, opt->eps);
    size_t npos = 0;
    for (size_t i = 0; i < n; i++) npos += y[i] != 0;
    if (npos == 0 || npos == n)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "SVM training labels are all %s", npos ? "1" : "0");

    m->nfeat = nfeat;
    m->mean = calloc(nfeat, sizeof *m->mean);
    m->std = calloc(nfeat, sizeof *m->std);
    m->w = calloc(nfeat, sizeof *m->w);
    struct feature_node *nodes = malloc(n * (nfeat + 2) * sizeof *nodes);
    struct feature_node **rows = malloc(n * sizeof *rows);
    double *labels = malloc(n * sizeof *labels);
    if (!m->mean || !m->std || !m->w || !nodes || !rows || !labels) {
        free(nodes);
        free(rows);
        free(labels);
        sb_softness_free(m);
        return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate SVM problem of %zu x %zu", n, nfeat);
    }
    /* Standardise: mean and standard deviation per feature (constant features -> std 1). */
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < nfeat; k++) m->mean[k] += X[i * nfeat + k];
    for (size_t k = 0; k < nfeat; k++) m->mean[k] /= (double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < nfeat; k++) {
            const double d = X[i * nfeat + k] - m->mean[k];
            m->std[k] += d * d;
        }
    for (size_t k = 0; k < nfeat; k++) {
        m->std[k] = sqrt(m->std[k] / (double)n);
        if (!(m->std[k] > 1e-12 * (1.0 + fabs(m->mean[k])))) m->std[k] = 1.0;
    }
    for (size_t i = 0; i < n; i++) {
        struct feature_node *r = nodes + i * (nfeat + 2);
        for (size_t k = 0; k < nfeat; k++) {
            r[k].index = (int)k + 1;
            r[k].value = (X[i * nfeat + k] - m->mean[k]) / m->std[k];
        }
        r[nfeat].index = (int)nfeat + 1; /* bias feature */
        r[nfeat].value = 1.0;
        r[nfeat + 1].index = -1;
        rows[i] = r;
        labels[i] = y[i] ? 1.0 : -1.0;
    }
    struct problem prob = {.l = (int)n, .n = (int)nfeat + 1, .y = labels, .x = rows, .bias = 1.0};
    int wl[2] = {1, -1};
    double wv[2] = {opt->pos_weight > 0 ? opt->pos_weight : (double)(n - npos) / (double)npos, 1.0};
    struct parameter param = {.solver_type = L2R_L2LOSS_SVC_DUAL, .eps = opt->eps, .C = opt->C,
                              .nr_weight = 2, .weight_label = wl, .weight = wv, .p = 0.1, .init_sol = NULL};
    sb_status rc = SB_OK;
    const char *bad = check_parameter(&prob, &param);
    if (bad) {
        rc = sb_error_set(err, SB_ERR_INVALID_ARG, "liblinear: %s", bad);
    } else {
        set_print_string_function(quiet);
        struct model *lm = train(&prob, &param);
        if (!lm) {
            rc = sb_error_set(err, SB_ERR_NOMEM, "liblinear training failed");
        } else {
            const double sign = lm->label[0] == 1 ? 1.0 : -1.0;
            for (size_t k = 0; k < nfeat; k++) m->w[k] = sign * lm->w[k];
            m->bias = sign * lm->w[nfeat] * prob.bias;
            free_and_destroy_model(&lm);
        }
    }
    free(nodes);
    free(rows);
    free(labels);
    if (rc != SB_OK) sb_softness_free(m);
    return rc;
#endif
}

void sb_softness_predict(const sb_softness_model *m, const double *X, size_t n, double *softness)
{
    double norm = 0.0;
    for (size_t k = 0; k < m->nfeat; k++) norm += m->w[k] * m->w[k];
    norm = norm > 0 ? sqrt(norm) : 1.0;
    for (size_t i = 0; i < n; i++) {
        double v = m->bias;
        for (size_t k = 0; k < m->nfeat; k++) v += m->w[k] * (X[i * m->nfeat + k] - m->mean[k]) / m->std[k];
        softness[i] = v / norm;
    }
}
