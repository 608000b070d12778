/*
 * shearband/softness.h: the linear-SVM "softness" of Cubuk et al. (2015), trained with
 * liblinear (L2-regularised, L2-loss linear SVC) on standardised structure functions.
 *
 * softness_i = (w . z_i + b) / |w|, the signed distance of atom i's standardised feature
 * vector z_i = (x_i - mean) / std from the separating hyperplane; fertile when > 0.
 * Classes are balanced by weighting the rare positive class by n_neg / n_pos (the labels are
 * the top 5 % of D2min), unless the caller gives its own weight.
 */
#ifndef SHEARBAND_SOFTNESS_H
#define SHEARBAND_SOFTNESS_H

#include <stddef.h>
#include <stdint.h>

#include "shearband/status.h"
#include "shearband/strucfunc.h"
#include "shearband/structure.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sb_softness_options {
    double C;             /* liblinear cost (default 1.0) */
    double eps;           /* stopping tolerance (default 0.01) */
    double pos_weight;    /* weight of the positive class; <= 0 means n_neg / n_pos */
} sb_softness_options;

sb_softness_options sb_softness_options_default(void);

typedef struct sb_softness_model {
    size_t nfeat;
    double *mean, *std; /* standardisation, nfeat each */
    double *w;          /* hyperplane in standardised units, nfeat */
    double bias;
} sb_softness_model;

/* Train on n rows of nfeat features (X row-major) with labels y (0/1). */
sb_status sb_softness_train(const double *X, const uint8_t *y, size_t n, size_t nfeat,
                            const sb_softness_options *opt, sb_softness_model *model, sb_error *err);

/* Signed distances of n rows. */
void sb_softness_predict(const sb_softness_model *model, const double *X, size_t n, double *softness);

void sb_softness_free(sb_softness_model *model);

/* ---- the softness model file (magic "SBSV") ---------------------------------------------
 * A trained softness model with what prediction needs to rebuild the same features: the
 * structure-function parameters, the standardisation, the hyperplane, and key=value
 * metadata (training provenance). Layout (the container of the CNN/GNN files: integers
 * unsigned little-endian, f64 IEEE-754 little-endian):
 *
 *   0     4   magic "SBSV"          4   u32 version = 1        8   u64 total size
 *   16    4   u32 M = metadata length; M bytes of "key=value\n" lines
 *   then  structure functions: f64 mu_min, mu_max, mu_step, width_L, angular_cutoff;
 *             u32 n_xi, f64 xi[n_xi]; u32 n_zeta, f64 zeta[n_zeta]; u32 nspecies
 *         u64 F = number of features (must equal sb_sf_count of the parameters)
 *         f64 mean[F], f64 std[F], f64 w[F], f64 bias
 *   last  8   u64 FNV-1a 64 of every preceding byte
 * Loading refuses, naming the file: another magic (an SBNN/SBGN file is named as such),
 * another version, a truncated file, a checksum mismatch (SB_ERR_CHECKSUM), inconsistent
 * parameters or feature count (SB_ERR_FORMAT). Every number round-trips bit for bit. */
typedef struct sb_svm_model {
    sb_sf_params sf;
    sb_softness_model svm; /* svm.nfeat == sb_sf_count(&sf) */
    char *meta;            /* "key=value\n" lines, or NULL */
} sb_svm_model;

#define SB_SVM_MODEL_INIT {.meta = NULL}

void sb_svm_model_free(sb_svm_model *m);
/* Set (or replace) a metadata entry; keys without '=' or newline, values without newline. */
sb_status sb_svm_model_set_meta(sb_svm_model *m, const char *key, const char *value, sb_error *err);
/* Copy of the value of key into buf (truncated to bufsz), or NULL when absent. */
const char *sb_svm_model_get_meta(const sb_svm_model *m, const char *key, char *buf, size_t bufsz);
sb_status sb_svm_model_save(const sb_svm_model *m, const char *path, sb_error *err);
sb_status sb_svm_model_load(const char *path, sb_svm_model *m, sb_error *err);

/* Softness of every atom of s (structure functions with the model's parameters, then the
 * hyperplane): softness[s->n]. Orientation independent. Fails when s has more atom types
 * than the model's species. */
sb_status sb_svm_model_predict(const sb_svm_model *m, const sb_structure *s, double *softness, sb_error *err);

#ifdef __cplusplus
}
#endif
#endif
