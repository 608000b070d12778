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
 * State: cnn (shearband/fertile.h), gnn (shearband/gnn_train.h) and svm (the SBSV file of
 * shearband/softness.h, trained by shearband/svm_train.h) are registered. For an
 * indicator without an applier sb_indicator_model_available() is false and
 * sb_indicator_model_apply() fails with SB_ERR_UNSUPPORTED; nothing is approximated.
 */
#ifndef SHEARBAND_INDICATOR_MODEL_H
#define SHEARBAND_INDICATOR_MODEL_H

#include <stdbool.h>

#include "shearband/indicator.h"
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

/* A survey/indicator source (shearband/indicator.h) that applies the registered model for
 * `name` to each case: the loading-frame structure for orientation-dependent indicators,
 * the sample otherwise. Free with sb_indicator_model_source_free. */
sb_status sb_indicator_model_source(const char *name, const char *model_path, sb_indicator_source *src,
                                    sb_error *err);
void sb_indicator_model_source_free(sb_indicator_source *src);

/* An indicator source by name, the one place that maps names to sources: cnn, gnn and svm
 * need model_path (a `shearband train` / `train-gnn` / `train-svm` file); ffb and rho use
 * the Voronoi tessellation; for vflex, model_path is the folder where its vibrational MD
 * runs are cached (sb_indicator_vflex_source). Release with sb_indicator_source_close. */
sb_status sb_indicator_source_open(const char *name, const char *model_path, sb_indicator_source *src,
                                 sb_error *err);
void sb_indicator_source_close(sb_indicator_source *src);

#ifdef __cplusplus
}
#endif
#endif
