/*
 * The registry of learned-indicator appliers (shearband/indicator_model.h). One row per
 * learned indicator; `apply` is NULL until that model's file format and evaluation exist
 * (CNN: spatial density maps + nn.h; GNN; SVM: structure functions + softness.h). Filling a
 * row is the only change needed for `shearband indicators --NAME-model FILE` to work.
 */
#include "shearband/indicator_model.h"

#include <stddef.h>
#include <string.h>

typedef struct model_row {
    const char *name;
    sb_indicator_model_fn apply;
    const char *missing; /* why it is not available yet */
} model_row;

static const model_row rows[] = {
    {"cnn", NULL, "no CNN model-file applier is registered yet (spatial density map + network "
                  "evaluation from a trained model file is still being built)"},
    {"gnn", NULL, "no GNN model-file applier is registered yet (the GNN is still being built)"},
    {"svm", NULL, "no SVM model-file applier is registered yet (the softness model file format "
                  "is still being built)"},
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
