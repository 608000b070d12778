/*
 * The registry of learned-indicator appliers (shearband/indicator_model.h). One row per
 * learned indicator (CNN: spatial density maps + nn.h; GNN: gnn.h; SVM: structure
 * functions + the SBSV file of softness.h); a row with `apply` NULL would report why it is
 * missing. Filling a row is the only change needed for `shearband indicators --NAME-model FILE` to work.
 */
#include "shearband/indicator_model.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/fertile.h"
#include "shearband/gnn.h"
#include "shearband/gnn_train.h"
#include "shearband/softness.h"

/* cnn: the fertile-site CNN. The structure arrives already in the loading frame, so the
 * map is drawn under the identity orientation (0): identical to orientation K on the
 * sample rotated by R_K (tests/unit/test_fertile_train.c checks that equivalence). */
static sb_status apply_cnn(const char *model_path, const sb_structure *s, double *value, sb_error *err)
{
    sb_nn_model *model = NULL;
    sb_sdm_params sdm;
    sb_status rc = sb_fertile_load(model_path, &model, &sdm, err);
    if (rc != SB_OK) return rc;
    float *prob = malloc((s->n ? s->n : 1) * sizeof *prob);
    if (!prob) rc = sb_error_set(err, SB_ERR_NOMEM, "cannot allocate CNN probabilities");
    const sb_fertile_options fo = sb_fertile_options_default();
    if (rc == SB_OK) rc = sb_fertile_predict(model, &sdm, s, NULL, 0, &fo, prob, err);
    for (size_t i = 0; rc == SB_OK && i < s->n; i++) value[i] = prob[i];
    free(prob);
    sb_nn_model_free(model);
    return rc;
}

/* gnn: the fertile-site graph network, in the loading frame as for the CNN. */
static sb_status apply_gnn(const char *model_path, const sb_structure *s, double *value, sb_error *err)
{
    sb_gnn_model *model = NULL;
    sb_status rc = sb_gnn_model_load(model_path, &model, err);
    if (rc != SB_OK) return rc;
    float *prob = malloc((s->n ? s->n : 1) * sizeof *prob);
    if (!prob) rc = sb_error_set(err, SB_ERR_NOMEM, "cannot allocate GNN probabilities");
    const sb_gnn_plan_options po = sb_gnn_plan_options_default();
    if (rc == SB_OK) rc = sb_gnn_fertile_predict(model, s, 0, &po, prob, err);
    for (size_t i = 0; rc == SB_OK && i < s->n; i++) value[i] = prob[i];
    free(prob);
    sb_gnn_model_free(model);
    return rc;
}

/* svm: the linear-SVM softness. Structure functions are rotation invariant, so the applier
 * receives the sample frame (the indicator table marks svm orientation independent) and
 * writes the signed softness: fertile when > 0, the table's rule for svm. */
static sb_status apply_svm(const char *model_path, const sb_structure *s, double *value, sb_error *err)
{
    sb_svm_model model = SB_SVM_MODEL_INIT;
    sb_status rc = sb_svm_model_load(model_path, &model, err);
    if (rc != SB_OK) return rc;
    rc = sb_svm_model_predict(&model, s, value, err);
    if (rc != SB_OK) sb_error_prefix(err, "%s: ", model_path);
    sb_svm_model_free(&model);
    return rc;
}

typedef struct model_row {
    const char *name;
    sb_indicator_model_fn apply;
    const char *missing; /* why it is not available yet */
} model_row;

static const model_row rows[] = {
    {"cnn", apply_cnn, NULL},
    {"gnn", apply_gnn, NULL},
    {"svm", apply_svm, NULL},
};

static const model_row *find_row(const char *name)
{
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++)
        if (name && strcmp(rows[k].name, name) == 0) return &rows[k];
    return NULL;
}

bool sb_indicator_model_available(const char *name)
{
    const model_row *r = find_row(name);
    return r && r->apply;
}

sb_status sb_indicator_model_apply(const char *name, const char *model_path, const sb_structure *s,
                                   double *value, sb_error *err)
{
    const model_row *r = find_row(name);
    if (!r)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "'%s' is not a learned indicator (cnn, gnn, svm)",
                            name ? name : "(null)");
    if (!r->apply)
        return sb_error_set(err, SB_ERR_UNSUPPORTED, "--%s-model %s: %s", r->name,
                            model_path ? model_path : "(none)", r->missing);
    return r->apply(model_path, s, value, err);
}

/* ---- a survey source over any registered applier ---------------------------------- */

/* Orientation-independent models (svm) are evaluated once per glass: the values of the
 * last glass_index are cached and served to its other orientations. */
typedef struct model_source_ctx {
    char name[16];
    char path[4096];
    size_t glass_index; /* of the cache; SIZE_MAX: none */
    size_t n;
    double *cache;
} model_source_ctx;

static sb_status model_source_values(void *vctx, size_t glass_index, const sb_structure *glass,
                                     const sb_structure *loaded, int orientation, double *out, sb_error *err)
{
    (void)glass_index, (void)orientation;
    const model_source_ctx *c = vctx;
    const sb_indicator_info *info = sb_indicator_lookup(c->name);
    /* Orientation-dependent models see the loading frame, the others the sample. */
    if (!info || info->orientation_dependent) return sb_indicator_model_apply(c->name, c->path, loaded, out, err);
    model_source_ctx *w = vctx;
    if (w->glass_index != glass_index || w->n != glass->n) {
        double *v = realloc(w->cache, (glass->n ? glass->n : 1) * sizeof *v);
        if (!v) return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate %s indicator values", c->name);
        w->cache = v;
        w->glass_index = SIZE_MAX;
        sb_status rc = sb_indicator_model_apply(c->name, c->path, glass, w->cache, err);
        if (rc != SB_OK) return rc;
        w->glass_index = glass_index;
        w->n = glass->n;
    }
    memcpy(out, w->cache, glass->n * sizeof *out);
    return SB_OK;
}

sb_status sb_indicator_model_source(const char *name, const char *model_path, sb_indicator_source *src,
                                    sb_error *err)
{
    if (!sb_indicator_model_available(name))
        return sb_indicator_model_apply(name, model_path, NULL, NULL, err);
    if (!model_path || strlen(model_path) >= 4096)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "the %s indicator needs a model file", name);
    model_source_ctx *c = calloc(1, sizeof *c);
    if (!c) return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate an indicator source");
    snprintf(c->name, sizeof c->name, "%s", name);
    snprintf(c->path, sizeof c->path, "%s", model_path);
    c->glass_index = SIZE_MAX;
    src->info = sb_indicator_lookup(name);
    src->values = model_source_values;
    src->ctx = c;
    return SB_OK;
}

void sb_indicator_model_source_free(sb_indicator_source *src)
{
    if (!src) return;
    model_source_ctx *c = src->ctx;
    if (c) free(c->cache);
    free(src->ctx);
    src->ctx = NULL;
}

/* ---- every indicator by name ------------------------------------------------------- */

sb_status sb_indicator_source_open(const char *name, const char *model_path, sb_indicator_source *src,
                                 sb_error *err)
{
    memset(src, 0, sizeof *src);
    const sb_indicator_info *info = sb_indicator_lookup(name);
    if (!info) return sb_error_set(err, SB_ERR_INVALID_ARG, "unknown indicator '%s' (cnn, gnn, svm, vflex, ffb, rho)", name ? name : "(null)");
    if (!strcmp(name, "ffb") || !strcmp(name, "rho")) return sb_indicator_voronoi_source(name, src, err);
    if (!strcmp(name, "vflex")) return sb_indicator_vflex_source(model_path, NULL, src, err);
    if (!model_path) return sb_error_set(err, SB_ERR_INVALID_ARG, "indicator %s needs a model file (--model)", name);
    if (!strcmp(name, "cnn")) return sb_fertile_survey_source(model_path, NULL, src, err);
    return sb_indicator_model_source(name, model_path, src, err);
}

void sb_indicator_source_close(sb_indicator_source *src)
{
    if (!src || !src->info || !src->ctx) return;
    if (!strcmp(src->info->name, "cnn")) sb_fertile_survey_free(src);
    else if (!strcmp(src->info->name, "ffb") || !strcmp(src->info->name, "rho")) sb_indicator_voronoi_free(src);
    else if (!strcmp(src->info->name, "vflex")) sb_indicator_vflex_free(src);
    else sb_indicator_model_source_free(src);
}
