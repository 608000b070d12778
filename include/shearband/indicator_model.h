/*
 * shearband/indicator_model.h: learned indicators (CNN, GNN, linear-SVM softness) applied
 * to a glass from a model file, behind one small interface so that commands such as
 * `shearband indicators` need not know how each model is evaluated.
 *
 * An applier receives the model file and the glass in the frame the indicator needs (the
 * loading frame, i.e. rotated by the orientation, for orientation-dependent indicators;
 * the sample frame otherwise: see sb_indicator_info.orientation_dependent) and writes one
 * value per atom in the structure's atom order: the probability p for cnn/gnn, the signed
 * softness for svm, so that the indicator table's fertile rule applies unchanged.
 *
 * State: the model-file formats and evaluation for cnn, gnn and svm are being built
 * elsewhere in the project. Until an applier is registered in src/analysis/indicator_model.c
 * sb_indicator_model_available() is false and sb_indicator_model_apply() fails with
 * SB_ERR_UNSUPPORTED; nothing is ever approximated or faked.
 */
#ifndef SHEARBAND_INDICATOR_MODEL_H
#define SHEARBAND_INDICATOR_MODEL_H

#include <stdbool.h>

#include "shearband/status.h"
#include "shearband/structure.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Evaluate the model in model_path on every atom of s (value: s->n doubles). */
typedef sb_status (*sb_indicator_model_fn)(const char *model_path, const sb_structure *s,
                                           double *value, sb_error *err);

/* True when indicator `name` ("cnn", "gnn", "svm") has a registered applier. */
bool sb_indicator_model_available(const char *name);

/* Apply the model for indicator `name`. SB_ERR_INVALID_ARG for a name that is not a learned
 * indicator, SB_ERR_UNSUPPORTED when its applier does not exist yet, else the applier's own
 * status (a missing or malformed model file: SB_ERR_IO / SB_ERR_FORMAT ...). */
sb_status sb_indicator_model_apply(const char *name, const char *model_path, const sb_structure *s,
                                   double *value, sb_error *err);

#ifdef __cplusplus
}
#endif
#endif
