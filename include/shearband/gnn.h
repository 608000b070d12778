/*
 * shearband/gnn.h: a graph neural network for per-atom binary classification (is atom i a
 * fertile site?), after Bapst et al., Nature Physics 16, 448 (2020); METHOD.md section 8.
 *
 * Conventions (read these first)
 * - Graph. One graph per (glass, loading orientation). Nodes are the atoms; node features
 *   are the one-hot species (LAMMPS type t -> feature t-1, nspecies features). Edges are
 *   every periodic neighbour image j of i with 0 < |d_ij| <= cutoff, taken from the full
 *   CSR neighbour list (shearband/neighbor.h), so any triclinic cell works and memory is
 *   O(N * neighbours), never N x N. Edge e of row i carries the message j -> i: receiver i
 *   (the row owner), sender j. Edge features are the displacement d_ij = x_j - x_i in the
 *   LOADING frame, R_K d_ij (R_K of shearband/orientation.h), divided by the cutoff, plus
 *   optionally |d_ij| / cutoff: the network is orientation dependent like the CNN.
 * - Cutoff. Default 5.0 A: the analogue of Bapst's 2 sigma (sigma_CuZr ~ 2.6 A) covering the
 *   first shell and the near part of the second (~30 neighbours in Cu-Zr glasses). Cost is
 *   linear in the edge count; measurements in bench/README-gnn.md.
 * - Architecture (latent width L, default 64; T message-passing steps, default 7):
 *     encoder  v0 = MLP_v(onehot),  e0 = MLP_e(edge features)           MLP = (L, L)
 *     core, applied T times with SHARED weights (Bapst's recurrent core), from v = v0, e = e0:
 *       edge:  e' = MLP_E([e, e0, v_i, v0_i, v_j, v0_j])                 (L, L)
 *       agg_i = (1 / agg_norm) sum over the edges received by i of e'
 *       node:  v' = MLP_V([v, v0, agg])                                  (L, L)
 *     decoder  z = MLP_D(v_T)                                            (L, L, 1)
 *   The skip connection is Bapst's: the encoded graph (v0, e0) is concatenated to the
 *   current latent graph before every core step. Every dense layer is followed by ReLU
 *   except the decoder's last (the logit). Sum aggregation (not mean) so that the network
 *   can count neighbours, as Bapst's GraphNetwork does, divided by a FIXED constant agg_norm
 *   (default 30, the typical degree at the default cutoff): without it each of the T
 *   shared steps multiplies the scale of the latents by ~ the degree, and 7 steps of
 *   30 neighbours start training with saturated logits (measured: the 7-step network did
 *   not learn the synthetic task at all with agg_norm = 1).
 * - Output and loss: one logit per node, p = sigmoid(z); class-weighted BCE exactly as
 *   sb_nn_bce_loss of shearband/nn.h (mean over the nodes of the graph).
 * - Parameters: ONE flat float array, dense layer after dense layer in the order
 *   enc_v1, enc_v2, enc_e1, enc_e2, core_e1, core_e2, core_v1, core_v2, dec1, dec2, dec3,
 *   each weights [out][in] row-major then bias [out]. Gradients use the same layout.
 *   core_e1's input columns are [e | e0 | v_i | v0_i | v_j | v0_j], core_v1's [v | v0 | agg].
 *   Init: He normal (std sqrt(2 / fan_in)), zero biases, from a 64-bit seed.
 * - Plan, then compute: a plan sizes every activation and gradient buffer for at most
 *   (nodes, edges) once; forward, backward, Adam and train_step never allocate.
 *   Backends for the dense layers: "blas" (OpenBLAS sgemm, default) and "reference"
 *   (plain loops, the test oracle). Gather and scatter-add are shared OpenMP loops.
 * - Threads and reproducibility: the plan threads everything itself with OpenMP, by
 *   ownership (each thread writes only its own rows; sums over rows use fixed blocks added
 *   in a fixed order), so forward, backward and training give bit-identical results run to
 *   run and for any thread count (details in src/nn/gnn_plan.c). For that the "blas"
 *   backend needs each sgemm call to run on the calling thread: with a pthreads-built
 *   OpenBLAS it calls openblas_set_num_threads(1) at every compute call, which affects
 *   the whole process's OpenBLAS. With another BLAS library that threads internally,
 *   results may depend on its threading.
 * - A plan is not thread-safe (it holds the activations): one plan per calling thread.
 * - Ownership: create/free pairs; a plan keeps a pointer to its model and reads the graph
 *   passed to forward until the next forward (keep it alive in between).
 */
#ifndef SHEARBAND_GNN_H
#define SHEARBAND_GNN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shearband/cell.h"
#include "shearband/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- configuration */

typedef struct sb_gnn_config {
    int nspecies;     /* node features (atom types 1..nspecies); 2 */
    int latent;       /* L, width of every hidden layer; 64 */
    int steps;        /* T, message-passing steps; 7 */
    double cutoff;    /* graph cutoff in A; 5.0 */
    bool edge_length; /* add |d| / cutoff as a 4th edge feature; true */
    double agg_norm;  /* the edge sum is divided by this constant (a typical neighbour count);
                         30, about the mean degree of Cu-Zr glass at 5 A */
} sb_gnn_config;

sb_gnn_config sb_gnn_config_default(void);
sb_status sb_gnn_config_check(const sb_gnn_config *c, sb_error *err);

/* ---------------------------------------------------------------- graph */

/* A graph in CSR form by receiver. Edge e in [offset[i], offset[i+1]) is received by i and
 * sent by src[e]; rev[e] is its twin (the edge i -> src[e] in src[e]'s row), which turns
 * "sum over the edges SENT by node j" into "sum over j's row of rev": race-free by rows. */
typedef struct sb_gnn_graph {
    size_t n, nedges;
    size_t *offset;     /* n + 1 */
    uint32_t *src;      /* nedges */
    uint32_t *rev;      /* nedges */
    float *node_feat;   /* n x nspecies one-hot */
    float *edge_feat;   /* nedges x (3 or 4) */
    int nspecies, edge_dim;
    size_t cap_n, cap_e; /* allocated */
} sb_gnn_graph;

#define SB_GNN_GRAPH_INIT {0}

/* Build (or rebuild, reusing storage) the graph of n atoms (positions x, 3n doubles, types
 * 1..c->nspecies) in cell under the loading rotation R (rows = loading axes in sample
 * coordinates, entries 0/+-1; NULL = identity). O(N). Errors: SB_ERR_INVALID_ARG (a type out
 * of range, naming the atom), errors of sb_neighbor_build, SB_ERR_INTERNAL if an edge has no
 * twin. */
sb_status sb_gnn_graph_build(sb_gnn_graph *g, const sb_gnn_config *c, const sb_cell *cell,
                             const double *x, const int *type, size_t n, const int R[3][3],
                             sb_error *err);
void sb_gnn_graph_free(sb_gnn_graph *g);

/* ---------------------------------------------------------------- model */

typedef struct sb_gnn_model sb_gnn_model;

sb_status sb_gnn_model_create(const sb_gnn_config *c, sb_gnn_model **out, sb_error *err);
void sb_gnn_model_free(sb_gnn_model *m);
void sb_gnn_model_init(sb_gnn_model *m, uint64_t seed);
sb_gnn_config sb_gnn_model_config(const sb_gnn_model *m);
size_t sb_gnn_model_num_params(const sb_gnn_model *m);
float *sb_gnn_model_params(sb_gnn_model *m);
const float *sb_gnn_model_params_const(const sb_gnn_model *m);
enum { SB_GNN_NUM_LAYERS = 11 };
/* Name ("core_e1"), offset of its weights, input and output widths of dense layer i. */
const char *sb_gnn_model_layer(const sb_gnn_model *m, int i, size_t *offset, int *in, int *out);

/* Metadata as in nn.h: keys non-empty without '=' or newline, values without newline. */
sb_status sb_gnn_model_set_meta(sb_gnn_model *m, const char *key, const char *value, sb_error *err);
const char *sb_gnn_model_get_meta(const sb_gnn_model *m, const char *key);
int sb_gnn_model_meta_count(const sb_gnn_model *m);
void sb_gnn_model_meta_at(const sb_gnn_model *m, int i, const char **key, const char **value);

/* Model file: magic "SBGN", same container and FNV-1a checksum as the CNN's SBNN file
 * (layout in src/nn/gnn_file.c). load: SB_ERR_FORMAT for a foreign (including an SBNN CNN
 * file), truncated or newer file, SB_ERR_CHECKSUM for a corrupted one, naming the file. */
sb_status sb_gnn_model_save(const sb_gnn_model *m, const char *path, sb_error *err);
sb_status sb_gnn_model_load(const char *path, sb_gnn_model **out, sb_error *err);

/* ---------------------------------------------------------------- plan */

typedef struct sb_gnn_plan_options {
    const char *backend; /* "blas" or "reference"; NULL = "blas" */
    int threads;         /* > 0: omp_set_num_threads(threads) at create and compute; 0: as is */
} sb_gnn_plan_options;

sb_gnn_plan_options sb_gnn_plan_options_default(void);

typedef struct sb_gnn_plan sb_gnn_plan;

/* Buffers for graphs of up to max_nodes nodes and max_edges edges. */
sb_status sb_gnn_plan_create(sb_gnn_model *m, size_t max_nodes, size_t max_edges,
                             const sb_gnn_plan_options *opt, sb_gnn_plan **out, sb_error *err);
/* Grow the buffers (outside any hot loop) if a larger graph is coming; never shrinks. */
sb_status sb_gnn_plan_reserve(sb_gnn_plan *p, size_t max_nodes, size_t max_edges, sb_error *err);
void sb_gnn_plan_free(sb_gnn_plan *p);
const char *sb_gnn_plan_backend(const sb_gnn_plan *p);
/* Bytes held by the plan's buffers. */
size_t sb_gnn_plan_bytes(const sb_gnn_plan *p);

/* Forward pass on g: logits[g->n] (may be NULL; the plan keeps them). Keeps what backward
 * needs. SB_ERR_INVALID_ARG if g exceeds the plan or its features do not match the model. */
sb_status sb_gnn_forward(sb_gnn_plan *p, const sb_gnn_graph *g, float *logits, sb_error *err);
/* Backward from dL/dz (g->n values, for the last forward): overwrites the gradients. */
sb_status sb_gnn_backward(sb_gnn_plan *p, const float *dlogits, sb_error *err);
float *sb_gnn_plan_grads(sb_gnn_plan *p); /* sb_gnn_model_num_params floats */
/* dL/d(edge features) of the last backward: [nedges][edge_dim] (tests). */
const float *sb_gnn_plan_edge_feat_grad(const sb_gnn_plan *p);

/* ---------------------------------------------------------------- training */

typedef struct sb_gnn_adam_options {
    float lr;           /* 1e-3 */
    float beta1, beta2; /* 0.9, 0.999 */
    float eps;          /* 1e-8 */
    float weight_decay; /* decoupled (AdamW); 0 */
} sb_gnn_adam_options;

sb_gnn_adam_options sb_gnn_adam_options_default(void);
typedef struct sb_gnn_adam sb_gnn_adam;
sb_status sb_gnn_adam_create(const sb_gnn_model *m, const sb_gnn_adam_options *opt,
                             sb_gnn_adam **out, sb_error *err);
void sb_gnn_adam_free(sb_gnn_adam *a);
void sb_gnn_adam_set_lr(sb_gnn_adam *a, float lr);
void sb_gnn_adam_step(sb_gnn_adam *a, sb_gnn_model *m, const float *g);

/* Full-graph step: forward + class-weighted BCE over the nodes with mask[i] != 0 (mask NULL =
 * all nodes) + backward + Adam. labels[g->n] in {0, 1}. *loss (may be NULL) = mean loss over
 * the masked nodes before the update. No allocation. */
sb_status sb_gnn_train_step(sb_gnn_plan *p, sb_gnn_adam *a, const sb_gnn_graph *g,
                            const float *labels, const unsigned char *mask, float pos_weight,
                            double *loss, sb_error *err);
/* Probabilities prob[g->n] = sigmoid(z). */
sb_status sb_gnn_predict(sb_gnn_plan *p, const sb_gnn_graph *g, float *prob, sb_error *err);

#ifdef __cplusplus
}
#endif
#endif
