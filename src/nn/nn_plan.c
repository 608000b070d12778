/*
 * nn_plan.c: plans (all buffers for one model, batch size and backend, sized once), the
 * backend-independent parts of a training step (dropout masks, weighted BCE, Adam), and
 * the dispatch to the backend table.
 *
 * What is shared and why: the dropout masks are drawn here, in plain NCDHW order, from a
 * counter-based hash of (seed, step, layer, element), and handed to the backend, so that
 * both backends apply the very same mask (the dnnl-vs-reference test depends on it) and a
 * run does not depend on the thread count. The loss and Adam are O(batch) and O(params)
 * loops, negligible next to the convolutions, so one plain implementation serves both.
 */
#include "nn/nn_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

static const char *const backend_names[] = {
#ifdef SB_HAVE_DNNL
    "dnnl",
#endif
    "reference", NULL};

const char *const *sb_nn_backends(void) { return backend_names; }
const char *sb_nn_default_backend(void) { return backend_names[0]; }

static const nn_backend *find_backend(const char *name)
{
    if (strcmp(name, "reference") == 0) return &sb_nn_backend_reference;
#ifdef SB_HAVE_DNNL
    if (strcmp(name, "dnnl") == 0) return &sb_nn_backend_dnnl;
#endif
    return NULL;
}

sb_nn_plan_options sb_nn_plan_options_default(void)
{
    return (sb_nn_plan_options){.backend = NULL, .threads = 0, .need_input_grad = false, .seed = 1};
}

static void set_threads(const sb_nn_plan *p)
{
#ifdef _OPENMP
    if (p->opt.threads > 0) omp_set_num_threads(p->opt.threads);
#else
    (void)p;
#endif
}

sb_status sb_nn_plan_create(sb_nn_model *m, int batch, const sb_nn_plan_options *opt,
                            sb_nn_plan **out, sb_error *err)
{
    *out = NULL;
    sb_nn_plan_options o = opt ? *opt : sb_nn_plan_options_default();
    if (!o.backend) o.backend = sb_nn_default_backend();
    const nn_backend *be = find_backend(o.backend);
    if (!be)
        return sb_error_set(err, SB_ERR_UNSUPPORTED,
                            "nn plan: backend '%s' is not available (this build has: %s%s)",
                            o.backend, backend_names[0], backend_names[1] ? ", reference" : "");
    if (batch < 1) return sb_error_set(err, SB_ERR_INVALID_ARG, "nn plan: batch %d < 1", batch);
    sb_nn_plan *p = calloc(1, sizeof *p);
    if (!p) return sb_error_set(err, SB_ERR_NOMEM, "nn plan: out of memory");
    p->model = m;
    p->be = be;
    p->opt = o;
    p->batch = batch;
    size_t in = (size_t)m->input.c * (size_t)m->input.d * (size_t)m->input.h * (size_t)m->input.w;
    bool ok = true;
    ok &= (p->x = calloc((size_t)batch * in, sizeof(float))) != NULL;
    ok &= (p->logits = calloc((size_t)batch, sizeof(float))) != NULL;
    ok &= (p->dlogits = calloc((size_t)batch, sizeof(float))) != NULL;
    ok &= (p->grads = calloc(m->nparams ? m->nparams : 1, sizeof(float))) != NULL;
    ok &= (p->masks = calloc((size_t)m->nlayers, sizeof *p->masks)) != NULL;
    if (ok && o.need_input_grad) ok &= (p->dx = calloc((size_t)batch * in, sizeof(float))) != NULL;
    for (int i = 0; ok && i < m->nlayers; i++)
        if (m->layers[i].spec.kind == SB_NN_DROPOUT)
            ok &= (p->masks[i] = calloc((size_t)batch * m->layers[i].out_size, sizeof(float))) != NULL;
    if (!ok) {
        sb_nn_plan_free(p);
        return sb_error_set(err, SB_ERR_NOMEM, "nn plan: out of memory for batch %d", batch);
    }
    set_threads(p);
    sb_status st = be->init(p, err);
    if (st != SB_OK) {
        p->be = NULL;
        sb_nn_plan_free(p);
        return sb_error_prefix(err, "nn plan (%s backend): ", o.backend);
    }
    *out = p;
    return SB_OK;
}

void sb_nn_plan_free(sb_nn_plan *p)
{
    if (!p) return;
    if (p->be && p->be->destroy) p->be->destroy(p);
    if (p->masks)
        for (int i = 0; i < p->model->nlayers; i++) free(p->masks[i]);
    free(p->masks);
    free(p->x);
    free(p->logits);
    free(p->dlogits);
    free(p->grads);
    free(p->dx);
    free(p);
}

const char *sb_nn_plan_backend(const sb_nn_plan *p) { return p->be->name; }
int sb_nn_plan_batch(const sb_nn_plan *p) { return p->batch; }
const char *sb_nn_plan_impl(const sb_nn_plan *p, int layer)
{
    if (layer < 0 || layer >= p->model->nlayers) return "-";
    return p->be->impl(p, layer);
}
float *sb_nn_plan_grads(sb_nn_plan *p) { return p->grads; }
const float *sb_nn_plan_input_grad(const sb_nn_plan *p) { return p->dx; }

/* Keep-or-drop for element e of dropout layer l at training step t: a hash, not a stream,
 * so that the mask does not depend on the order in which elements are visited. */
static void draw_masks(sb_nn_plan *p)
{
    const sb_nn_model *m = p->model;
    for (int l = 0; l < m->nlayers; l++) {
        if (!p->masks[l]) continue;
        float rate = m->layers[l].spec.rate;
        float keep = 1.0f / (1.0f - rate);
        size_t cnt = (size_t)p->batch * m->layers[l].out_size;
        uint64_t base = p->opt.seed * 0xD1B54A32D192ED03ULL ^ (p->step << 20) ^ (uint64_t)l;
        for (size_t e = 0; e < cnt; e++) {
            uint64_t s = base + e * 0x9E3779B97F4A7C15ULL;
            double u = (double)(nn_splitmix64(&s) >> 11) * 0x1.0p-53;
            p->masks[l][e] = u < (double)rate ? 0.0f : keep;
        }
    }
}

sb_status sb_nn_forward(sb_nn_plan *p, const float *x, int n, bool training, float *logits,
                        sb_error *err)
{
    if (n < 1 || n > p->batch || !x)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "nn forward: n = %d not in [1, batch %d]",
                            n, p->batch);
    const sb_nn_model *m = p->model;
    size_t in = m->layers[0].in_size;
    memcpy(p->x, x, (size_t)n * in * sizeof(float));
    if (n < p->batch) /* padding rows: zeros, whatever an earlier batch left there */
        memset(p->x + (size_t)n * in, 0, (size_t)(p->batch - n) * in * sizeof(float));
    p->n = n;
    if (training) {
        draw_masks(p);
        p->step++;
    }
    set_threads(p);
    sb_status st = p->be->forward(p, training, err);
    if (st != SB_OK) return st;
    p->trained_fwd = training;
    if (logits) memcpy(logits, p->logits, (size_t)n * sizeof(float));
    return SB_OK;
}

sb_status sb_nn_backward(sb_nn_plan *p, const float *dlogits, sb_error *err)
{
    if (!p->trained_fwd)
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "nn backward: the last forward was not a training forward");
    memcpy(p->dlogits, dlogits, (size_t)p->n * sizeof(float));
    memset(p->dlogits + p->n, 0, (size_t)(p->batch - p->n) * sizeof(float));
    set_threads(p);
    return p->be->backward(p, err);
}

void sb_nn_bce_loss(const float *logits, const float *labels, int n, float pos_weight,
                    double *loss, float *dlogits)
{
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        double z = logits[i], y = labels[i];
        /* log(1 + exp(-|z|)) + max(-z, 0) = -log sigmoid(z), stable for any z. */
        double sp = log1p(exp(-fabs(z)));
        double nls_pos = sp + (z < 0 ? -z : 0.0); /* -log p */
        double nls_neg = sp + (z > 0 ? z : 0.0);  /* -log (1 - p) */
        sum += pos_weight * y * nls_pos + (1.0 - y) * nls_neg;
        if (dlogits) {
            double sig = z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
            dlogits[i] = (float)((-pos_weight * y * (1.0 - sig) + (1.0 - y) * sig) / n);
        }
    }
    if (loss) *loss = n > 0 ? sum / n : 0.0;
}

/* ---------------------------------------------------------------- Adam */

struct sb_nn_adam {
    sb_nn_adam_options opt;
    size_t n;
    long t;
    float *mom, *vel;
};

sb_nn_adam_options sb_nn_adam_options_default(void)
{
    return (sb_nn_adam_options){.lr = 1e-3f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
                                .weight_decay = 0.0f};
}

sb_status sb_nn_adam_create(const sb_nn_model *m, const sb_nn_adam_options *opt,
                            sb_nn_adam **out, sb_error *err)
{
    *out = NULL;
    sb_nn_adam_options o = opt ? *opt : sb_nn_adam_options_default();
    if (!(o.lr > 0) || !(o.beta1 >= 0 && o.beta1 < 1) || !(o.beta2 >= 0 && o.beta2 < 1) ||
        !(o.eps > 0) || !(o.weight_decay >= 0))
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "adam: bad options (lr %g, betas %g %g, eps %g, weight decay %g)",
                            (double)o.lr, (double)o.beta1, (double)o.beta2, (double)o.eps,
                            (double)o.weight_decay);
    sb_nn_adam *a = calloc(1, sizeof *a);
    if (!a) return sb_error_set(err, SB_ERR_NOMEM, "adam: out of memory");
    a->opt = o;
    a->n = m->nparams;
    a->mom = calloc(a->n ? a->n : 1, sizeof(float));
    a->vel = calloc(a->n ? a->n : 1, sizeof(float));
    if (!a->mom || !a->vel) {
        sb_nn_adam_free(a);
        return sb_error_set(err, SB_ERR_NOMEM, "adam: out of memory");
    }
    *out = a;
    return SB_OK;
}

void sb_nn_adam_free(sb_nn_adam *a)
{
    if (!a) return;
    free(a->mom);
    free(a->vel);
    free(a);
}

void sb_nn_adam_set_lr(sb_nn_adam *a, float lr) { a->opt.lr = lr; }

void sb_nn_adam_state(sb_nn_adam *a, long **t, float **mom, float **vel)
{
    *t = &a->t;
    *mom = a->mom;
    *vel = a->vel;
}

void sb_nn_adam_step(sb_nn_adam *a, sb_nn_model *m, const float *g)
{
    const sb_nn_adam_options o = a->opt;
    a->t++;
    const float bc1 = 1.0f - (float)pow(o.beta1, (double)a->t);
    const float bc2 = 1.0f - (float)pow(o.beta2, (double)a->t);
    const float step = o.lr / bc1, rs2 = 1.0f / sqrtf(bc2);
    float *w = m->params;
    for (size_t i = 0; i < a->n; i++) {
        a->mom[i] = o.beta1 * a->mom[i] + (1.0f - o.beta1) * g[i];
        a->vel[i] = o.beta2 * a->vel[i] + (1.0f - o.beta2) * g[i] * g[i];
        if (o.weight_decay > 0) w[i] -= o.lr * o.weight_decay * w[i];
        w[i] -= step * a->mom[i] / (sqrtf(a->vel[i]) * rs2 + o.eps);
    }
}

sb_status sb_nn_train_step(sb_nn_plan *p, sb_nn_adam *a, const float *x, const float *labels,
                           int n, float pos_weight, double *loss, sb_error *err)
{
    sb_status st = sb_nn_forward(p, x, n, true, NULL, err);
    if (st != SB_OK) return st;
    double l;
    sb_nn_bce_loss(p->logits, labels, n, pos_weight, &l, p->dlogits);
    if (!isfinite(l))
        return sb_error_set(err, SB_ERR_NUMERIC, "nn train step: loss is not finite");
    memset(p->dlogits + n, 0, (size_t)(p->batch - n) * sizeof(float));
    set_threads(p);
    st = p->be->backward(p, err);
    if (st != SB_OK) return st;
    sb_nn_adam_step(a, p->model, p->grads);
    if (loss) *loss = l;
    return SB_OK;
}

sb_status sb_nn_predict(sb_nn_plan *p, const float *x, int n, float *prob, sb_error *err)
{
    sb_status st = sb_nn_forward(p, x, n, false, NULL, err);
    if (st != SB_OK) return st;
    for (int i = 0; i < n; i++) {
        float z = p->logits[i];
        prob[i] = z >= 0 ? 1.0f / (1.0f + expf(-z)) : expf(z) / (1.0f + expf(z));
    }
    return SB_OK;
}

sb_status sb_nn_predict_all(sb_nn_plan *p, const float *x, size_t n, float *prob, sb_error *err)
{
    const size_t in = p->model->layers[0].in_size;
    for (size_t i = 0; i < n; i += (size_t)p->batch) {
        int k = n - i < (size_t)p->batch ? (int)(n - i) : p->batch;
        sb_status st = sb_nn_predict(p, x + i * in, k, prob + i, err);
        if (st != SB_OK) return st;
    }
    return SB_OK;
}
