/*
 * shearband/nn.h: a small convolutional network for per-atom binary classification
 * (is atom i a fertile site?), trained with Adam on class-weighted cross-entropy.
 *
 * Conventions (read these first)
 * - Tensors are float32, row-major N x C x D x H x W ("NCDHW"): N samples, C channels,
 *   a D x H x W voxel grid. A 2D image is the case D = 1; every layer then works in 2D
 *   (a k x k kernel, a 2 x 2 pool). With D > 1 kernels are k x k x k and pools 2 x 2 x 2.
 * - A model is an input shape plus a sequence of layers (sb_nn_layer_spec). Convolutions
 *   have stride 1 and 'same' zero padding (odd k, pad k/2); max- and average-pools have
 *   window 2 and stride 2 (odd sizes are floored); dense layers flatten their input in NCDHW order.
 *   The last layer must be dense with 1 output: the logit z of the positive class.
 * - Output and loss: one logit + sigmoid, p = 1/(1+exp(-z)), with the class-weighted binary
 *   cross-entropy  L = (1/n) sum_i -[w y_i log p_i + (1 - y_i) log(1 - p_i)],
 *   w = pos_weight (use (#negatives / #positives) for rare positives, e.g. 19 for a top-5 %
 *   label). Identical to PyTorch's BCEWithLogitsLoss(pos_weight=w), mean reduction.
 *   One logit (not two + softmax) because the labels are binary and the GNN decoder of
 *   METHOD.md section 8 ends in a single sigmoid too.
 * - Parameters live in ONE flat float array owned by the model, layer after layer:
 *   conv: weights [out][in][kd][kh][kw] (kd = 1 in 2D) then bias [out];
 *   dense: weights [out][in] then bias [out]. Gradients (sb_nn_plan_grads) use the same
 *   layout, so optimisers and tests need not know about layers.
 * - Init: He/Kaiming normal, std = sqrt(2 / fan_in), biases zero, from a 64-bit seed.
 * - Dropout is inverted dropout (kept units scaled by 1/(1-rate)); its masks come from a
 *   counter-based RNG keyed by (plan seed, step, layer, element), so a training run is
 *   reproducible for a given seed and thread count, and inference is the identity.
 * - Plan, then compute: sb_nn_plan_create() sizes and allocates every activation, gradient
 *   and workspace for (model, batch size, backend) once; forward, backward, Adam and
 *   train_step never allocate a buffer (the reference backend allocates nothing at all;
 *   oneDNN itself makes small internal allocations per primitive call, see
 *   tests/unit/test_nn_noalloc.c). A call with n < batch samples pads with zeros.
 * - Backends: "reference" (plain loops, the test oracle, always built) and "dnnl" (oneDNN,
 *   when built with it; the default). Select by name in sb_nn_plan_options.
 * - A plan is not thread-safe (it holds the activations): one plan per calling thread.
 * - Ownership: create/free pairs; a plan keeps a pointer to its model (do not free the
 *   model first); pointers returned by getters stay valid until the owner is freed.
 * - Threads: options.threads > 0 makes the plan call omp_set_num_threads(threads) before it
 *   builds and before each compute call; 0 leaves the caller's OpenMP setting alone.
 */
#ifndef SHEARBAND_NN_H
#define SHEARBAND_NN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shearband/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sb_nn_layer_kind {
    SB_NN_CONV = 1,    /* convolution, stride 1, 'same' padding; units = out channels */
    SB_NN_MAXPOOL = 2, /* max-pool, window 2, stride 2, in every spatial dimension */
    SB_NN_DENSE = 3,   /* fully connected; units = output features */
    SB_NN_RELU = 4,
    SB_NN_DROPOUT = 5, /* rate = probability of zeroing in training; identity otherwise */
    SB_NN_FLATTEN = 6, /* reshape C x D x H x W -> C*D*H*W (dense layers do it implicitly) */
    SB_NN_AVGPOOL = 7  /* average-pool, window 2, stride 2: keeps the integral of a density
                        * field, where max-pool keeps only its peaks */
} sb_nn_layer_kind;

typedef struct sb_nn_layer_spec {
    sb_nn_layer_kind kind;
    int units;  /* conv: output channels; dense: outputs; otherwise 0 */
    int kernel; /* conv: odd kernel size k; otherwise 0 */
    float rate; /* dropout: 0 <= rate < 1; otherwise 0 */
} sb_nn_layer_spec;

typedef struct sb_nn_shape {
    int c, d, h, w; /* channels, depth (1 for 2D), height, width */
} sb_nn_shape;

/* ---------------------------------------------------------------- model */

typedef struct sb_nn_model sb_nn_model;

/* Build a model from an input shape and a layer list; weights are zero until
 * sb_nn_model_init(). Fails with SB_ERR_INVALID_ARG naming the first bad layer. */
sb_status sb_nn_model_create(sb_nn_shape input, const sb_nn_layer_spec *layers, int nlayers,
                             sb_nn_model **out, sb_error *err);
/* The same from a text architecture, comma-separated: "conv16k3,relu,pool,conv32k3,relu,
 * pool,flatten,dense64,relu,dropout0.5,dense1" (convNkK, pool, denseN, relu, dropoutR,
 * flatten). */
sb_status sb_nn_model_create_from_string(sb_nn_shape input, const char *arch, sb_nn_model **out,
                                         sb_error *err);
void sb_nn_model_free(sb_nn_model *m);
/* He-normal weights, zero biases, from seed. */
void sb_nn_model_init(sb_nn_model *m, uint64_t seed);

sb_nn_shape sb_nn_model_input_shape(const sb_nn_model *m);
int sb_nn_model_num_layers(const sb_nn_model *m);
sb_nn_layer_spec sb_nn_model_layer(const sb_nn_model *m, int i);
sb_nn_shape sb_nn_model_layer_output(const sb_nn_model *m, int i); /* dense: c = units, d=h=w=1 */
/* Offset and count of layer i's parameters in the flat array (weights then bias). */
size_t sb_nn_model_layer_param_offset(const sb_nn_model *m, int i);
size_t sb_nn_model_layer_param_count(const sb_nn_model *m, int i);
size_t sb_nn_model_num_params(const sb_nn_model *m);
float *sb_nn_model_params(sb_nn_model *m);
const float *sb_nn_model_params_const(const sb_nn_model *m);
/* Canonical architecture string (the grammar of create_from_string) into buf. */
sb_status sb_nn_model_describe(const sb_nn_model *m, char *buf, size_t bufsz, sb_error *err);

/* Free-form metadata saved with the model (SDM parameters, training provenance...).
 * Keys: non-empty, no '=', no newline; values: no newline. Setting a key again replaces it. */
sb_status sb_nn_model_set_meta(sb_nn_model *m, const char *key, const char *value, sb_error *err);
const char *sb_nn_model_get_meta(const sb_nn_model *m, const char *key); /* NULL if absent */
int sb_nn_model_meta_count(const sb_nn_model *m);
void sb_nn_model_meta_at(const sb_nn_model *m, int i, const char **key, const char **value);

/* Model file (byte layout in src/nn/nn_file.c). save writes atomically. load reports
 * SB_ERR_FORMAT for a foreign, truncated or newer-version file and SB_ERR_CHECKSUM for a
 * corrupted one, naming the file. */
sb_status sb_nn_model_save(const sb_nn_model *m, const char *path, sb_error *err);
sb_status sb_nn_model_load(const char *path, sb_nn_model **out, sb_error *err);

/* ---------------------------------------------------------------- plan */

typedef struct sb_nn_plan_options {
    const char *backend;  /* "dnnl" or "reference"; NULL = sb_nn_default_backend() */
    int threads;          /* > 0: omp_set_num_threads(threads); 0: leave as is */
    bool need_input_grad; /* also compute dL/dx (tests, saliency); costs one more pass */
    uint64_t seed;        /* dropout masks */
} sb_nn_plan_options;

sb_nn_plan_options sb_nn_plan_options_default(void);
/* "dnnl" when built with oneDNN, else "reference". */
const char *sb_nn_default_backend(void);
/* Backends compiled in, in order of preference (NULL-terminated array of names). */
const char *const *sb_nn_backends(void);

typedef struct sb_nn_plan sb_nn_plan;

sb_status sb_nn_plan_create(sb_nn_model *m, int batch, const sb_nn_plan_options *opt,
                            sb_nn_plan **out, sb_error *err);
void sb_nn_plan_free(sb_nn_plan *p);
const char *sb_nn_plan_backend(const sb_nn_plan *p);
int sb_nn_plan_batch(const sb_nn_plan *p);
/* Implementation chosen for layer i's forward pass ("ref" for the reference backend, the
 * oneDNN implementation name such as "jit:avx2" otherwise; "-" for layers with no
 * computation). Valid until the plan is freed. */
const char *sb_nn_plan_impl(const sb_nn_plan *p, int layer);

/* Forward n <= batch samples x [n][C][D][H][W]; logits[n] receives z (may be NULL).
 * training = true applies dropout and keeps what backward needs. */
sb_status sb_nn_forward(sb_nn_plan *p, const float *x, int n, bool training, float *logits,
                        sb_error *err);
/* Backward from dL/dz (n values, as in the last training forward): overwrites the
 * gradient array (sb_nn_plan_grads) and, if requested, the input gradient. */
sb_status sb_nn_backward(sb_nn_plan *p, const float *dlogits, sb_error *err);
float *sb_nn_plan_grads(sb_nn_plan *p);                /* sb_nn_model_num_params floats */
const float *sb_nn_plan_input_grad(const sb_nn_plan *p); /* [batch][C][D][H][W] or NULL */

/* Class-weighted BCE with logits (see the conventions): returns the mean loss in *loss and,
 * if dlogits is not NULL, dL/dz_i. labels are 0 or 1 (fractions are accepted). */
void sb_nn_bce_loss(const float *logits, const float *labels, int n, float pos_weight,
                    double *loss, float *dlogits);

/* ---------------------------------------------------------------- optimiser */

typedef struct sb_nn_adam_options {
    float lr;           /* 1e-3 */
    float beta1, beta2; /* 0.9, 0.999 */
    float eps;          /* 1e-8 */
    float weight_decay; /* decoupled (AdamW): p -= lr * wd * p; 0 = plain Adam */
} sb_nn_adam_options;

sb_nn_adam_options sb_nn_adam_options_default(void);

typedef struct sb_nn_adam sb_nn_adam;
sb_status sb_nn_adam_create(const sb_nn_model *m, const sb_nn_adam_options *opt,
                            sb_nn_adam **out, sb_error *err);
void sb_nn_adam_free(sb_nn_adam *a);
/* Change the learning rate between steps (schedules); moments are kept. */
void sb_nn_adam_set_lr(sb_nn_adam *a, float lr);
/* The optimiser state, for training checkpoints: *t the number of steps taken, *mom and
 * *vel the first and second moments (num_params floats each, writable: a resumed run
 * restores them and continues exactly). */
void sb_nn_adam_state(sb_nn_adam *a, long **t, float **mom, float **vel);
/* One update of m's parameters with gradients g (flat layout). */
void sb_nn_adam_step(sb_nn_adam *a, sb_nn_model *m, const float *g);

/* forward(training) + weighted BCE + backward + Adam; *loss (may be NULL) gets the mean
 * loss before the update. No allocation. */
sb_status sb_nn_train_step(sb_nn_plan *p, sb_nn_adam *a, const float *x, const float *labels,
                           int n, float pos_weight, double *loss, sb_error *err);
/* Inference: probabilities p_i = sigmoid(z_i) for n <= batch samples. */
sb_status sb_nn_predict(sb_nn_plan *p, const float *x, int n, float *prob, sb_error *err);
/* The same for any number of samples (e.g. every atom of a glass), batch by batch. */
sb_status sb_nn_predict_all(sb_nn_plan *p, const float *x, size_t n, float *prob, sb_error *err);

#ifdef __cplusplus
}
#endif
#endif
