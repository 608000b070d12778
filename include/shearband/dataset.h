/*
 * shearband/dataset.h: fertile-site labels from shear runs, and dataset manifests that
 * reference glasses and labels (never copies). File formats: docs/dataset.md.
 *
 * Labels (METHOD.md section 6). For one shear run (one glass, one loading orientation,
 * one atom order) the positive atoms are the top f_thres (default 5 %) of D2min at the
 * training strain (default 0.10), n_pos = max(1, round(f_thres N)), ties broken by lower
 * atom id (sb_top_fraction_mask). The label file stores its provenance and the ids of the
 * positives only (~2 KB for 4000 atoms), so it can be committed.
 *
 * Glass fingerprint: sb_glass_fingerprint() (shearband/structure.h), the hash a shear run's
 * shear.params records, so a label file and a manifest can prove that a glass file is the
 * one that was sheared.
 *
 * Manifest: one line per (sample, orientation) case with the glass, the label file and the
 * split (train / val / test). Relative paths are relative to the manifest's folder.
 * Splits are BY SAMPLE: every case of a sample has the same split (checked on reading).
 */
#ifndef SHEARBAND_DATASET_H
#define SHEARBAND_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shearband/status.h"
#include "shearband/structure.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { SB_PATH_MAX = 4096 };

typedef struct sb_label_options {
    double strain;  /* training strain: the snapshot strain_S.dump used (0.10) */
    double f_thres; /* fraction of positives (0.05) */
} sb_label_options;

sb_label_options sb_label_options_default(void);

typedef struct sb_labels {
    char glass[SB_PATH_MAX]; /* as found (or given) when labelling */
    char run_dir[SB_PATH_MAX];
    uint64_t glass_fingerprint;
    int orientation;
    int shuffle;
    uint64_t shuffle_seed;
    double strain, f_thres;
    double d2min_threshold; /* smallest D2min among the positives */
    size_t n_atoms, n_pos;
    int64_t *pos_ids; /* n_pos ids, ascending */
    /* Every atom's D2min at the training strain (A^2), ids ascending: what soft training
     * targets are made of (sb_labels_targets). n_scores = 0 in files written before they
     * were recorded. */
    size_t n_scores;
    int64_t *score_ids;
    double *d2min;
} sb_labels;

#define SB_LABELS_INIT {.n_pos = 0}
void sb_labels_free(sb_labels *l);

/* Label one run directory. glass (may be NULL) names the unsheared glass; otherwise it is
 * looked for among the command-line words recorded in RUN_DIR/shear.json and accepted
 * only if its fingerprint matches shear.params. */
sb_status sb_labels_make(const char *run_dir, const char *glass, const sb_label_options *opt,
                         sb_labels *out, sb_error *err);
/* Default label file name in a run dir: "labels_s0.100_f0.050.txt". */
void sb_labels_default_name(const sb_label_options *opt, char *buf, size_t bufsz);
sb_status sb_labels_write(const char *path, const sb_labels *l, int argc, char *const *argv,
                          sb_error *err);
sb_status sb_labels_read(const char *path, sb_labels *l, sb_error *err);
/* mask[i] = 1 if atom i of s is positive; fails if a positive id is not in s or the atom
 * count differs. */
sb_status sb_labels_mask(const sb_labels *l, const sb_structure *s, unsigned char *mask,
                         sb_error *err);
/* Soft training targets t[i] in [0, 1] for atom i of s, from the recorded D2min:
 *   t = 1 / (1 + (D_thr / D)^(1/tau)) = sigmoid((ln D - ln D_thr) / tau),
 * D_thr = d2min_threshold (the smallest positive's D2min), so t > 0.5 exactly for the
 * positives (ties at D_thr: 0.5) and tau -> 0 gives the hard labels. An atom's distance
 * from the threshold in ln D2min says how sure its label is: a negative just below the
 * cut and one with no rearrangement at all stop counting the same. Fails when the file
 * has no D2min scores (re-run `shearband label`) or tau <= 0. */
sb_status sb_labels_targets(const sb_labels *l, const sb_structure *s, double tau, float *t,
                            sb_error *err);

typedef enum sb_split { SB_SPLIT_TRAIN = 0, SB_SPLIT_VAL = 1, SB_SPLIT_TEST = 2 } sb_split;
const char *sb_split_name(sb_split s);

typedef struct sb_dataset_case {
    char sample[64];
    char glass[SB_PATH_MAX];  /* resolved (manifest folder prepended to relative paths) */
    int orientation;
    char labels[SB_PATH_MAX]; /* resolved */
    sb_split split;
} sb_dataset_case;

typedef struct sb_dataset {
    char path[SB_PATH_MAX];
    size_t n;
    sb_dataset_case *cases;
} sb_dataset;

#define SB_DATASET_INIT {.n = 0}
void sb_dataset_free(sb_dataset *d);

sb_status sb_dataset_read(const char *path, sb_dataset *d, sb_error *err);
/* Write d to path: glass and label paths relative to path's folder when possible. */
sb_status sb_dataset_write(const char *path, const sb_dataset *d, int argc, char *const *argv,
                           sb_error *err);

typedef struct sb_dataset_make_options {
    double val_fraction, test_fraction; /* of the SAMPLES (0.2, 0.2) */
    uint64_t seed;                      /* split shuffle (1) */
    bool split_by_case;                 /* smoke data with one sample only: split the cases
                                           (orientations) instead -- structure leaks between
                                           splits; never for real results (false) */
    const char *val_samples, *test_samples; /* comma-separated sample names: an explicit
                                               split (the rest train) instead of the
                                               fractions; NULL = use the fractions */
} sb_dataset_make_options;

sb_dataset_make_options sb_dataset_make_options_default(void);

/* A dataset from label files: sample name = glass file name without folder and
 * extension (cases with the same glass fingerprint are one sample). Samples are sorted
 * by name, shuffled with the seed and cut into test, val, train (at least one train), or
 * assigned by name (val_samples, test_samples). */
sb_status sb_dataset_make(const char *const *label_files, size_t n,
                          const sb_dataset_make_options *opt, sb_dataset *out, sb_error *err);

#ifdef __cplusplus
}
#endif
#endif
