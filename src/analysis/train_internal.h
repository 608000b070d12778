/*
 * Private helpers of the three fertile-site trainers (src/analysis/): the CNN (fertile.c),
 * the GNN (gnn_train.c) and the linear SVM (svm_train.c). They read the same dataset
 * manifests with the same checks and report held-out metrics in the same JSON form, so
 * that code lives here once. Not installed.
 */
#ifndef SB_ANALYSIS_TRAIN_INTERNAL_H
#define SB_ANALYSIS_TRAIN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shearband/dataset.h"
#include "shearband/fileutil.h"
#include "shearband/json.h"
#include "shearband/metrics.h"
#include "shearband/structure.h"

/* Seconds from a monotonic clock, for the timings the trainers report. */
double tr_now(void);

/* splitmix64: the trainers' seeded draws (row subsets, negatives, shuffles). */
static inline uint64_t tr_splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* The distinct glasses of a manifest, each read once (a manifest names each glass once
 * per loading orientation), numbered in order of first appearance. A trainer keeps its
 * per-glass extras in its own array under the same index. */
typedef struct tr_glasses {
    int n;
    char (*path)[SB_PATH_MAX]; /* as the manifest names them */
    sb_structure *s;
    int max_types; /* most atom types of any of them */
} tr_glasses;

/* Room for cap glasses (at least one); false when out of memory, so that each trainer
 * reports it in its own words. tr_glasses_free also undoes a failed init. */
bool tr_glasses_init(tr_glasses *g, size_t cap);
void tr_glasses_free(tr_glasses *g);

/* The index of the glass at path, read when first met (then *index is the former g->n).
 * Reading on first sight, case by case, keeps a manifest's errors in case order. */
sb_status tr_glass_index(tr_glasses *g, const char *path, int *index, sb_error *err);

/* The labels of manifest case dc, read into l (reused from case to case; the caller frees
 * it), checked against the case's glass s (fingerprint) and the manifest (orientation),
 * and its positives marked in mask[s->n]. Messages name the label file. */
sb_status tr_case_mask(const sb_dataset_case *dc, const sb_structure *s, sb_labels *l,
                       unsigned char *mask, sb_error *err);

/* A split's metrics, with the confusion counts at the model's fertile rule (p > 0.5; SVM:
 * signed distance > 0), as the object key in the trainers' MODEL.metrics.json. */
void tr_metrics_json(sb_json *j, const char *key, const sb_metrics *m);

/* MODEL.metrics.json, written atomically. tr_json_begin opens the record (kind, provenance)
 * and its "parameters" object with the dataset and its labels; the trainer adds its own
 * parameters and result objects, then tr_json_finish adds val and test at the top level (the
 * same place in all three, docs/models.md) and commits the file. */
sb_status tr_json_begin(sb_atomic_file *af, sb_json *j, const char *path, const char *kind, int argc,
                        char *const *argv, const sb_dataset *ds, double label_strain, double label_f_thres,
                        sb_error *err);
sb_status tr_json_finish(sb_atomic_file *af, sb_json *j, const sb_metrics *val, const sb_metrics *test,
                         sb_error *err);

#endif
