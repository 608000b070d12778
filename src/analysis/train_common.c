/*
 * What the CNN, GNN and SVM trainers share (train_internal.h): reading a manifest's
 * glasses once each, checking each case's labels against its glass, and writing a
 * split's metrics. A label file proves which glass it belongs to by the fingerprint the
 * shear run recorded, and which loading by its orientation; a mismatch with the manifest
 * is refused rather than trained on.
 */
#define _POSIX_C_SOURCE 200809L
#include "analysis/train_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shearband/io.h"

double tr_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

bool tr_glasses_init(tr_glasses *g, size_t cap)
{
    memset(g, 0, sizeof *g);
    if (cap == 0) cap = 1;
    g->path = calloc(cap, sizeof *g->path);
    g->s = calloc(cap, sizeof *g->s);
    return g->path && g->s;
}

void tr_glasses_free(tr_glasses *g)
{
    for (int i = 0; i < g->n; i++) sb_structure_free(&g->s[i]);
    free(g->path);
    free(g->s);
    memset(g, 0, sizeof *g);
}

sb_status tr_glass_index(tr_glasses *g, const char *path, int *index, sb_error *err)
{
    for (int j = 0; j < g->n; j++)
        if (!strcmp(g->path[j], path)) {
            *index = j;
            return SB_OK;
        }
    /* counted before reading, so that tr_glasses_free releases a partly read one */
    const int i = *index = g->n++;
    snprintf(g->path[i], sizeof g->path[i], "%s", path);
    sb_structure_init(&g->s[i]);
    const sb_status st = sb_read_structure(path, &g->s[i], err);
    if (st == SB_OK && g->s[i].ntypes > g->max_types) g->max_types = g->s[i].ntypes;
    return st;
}

sb_status tr_case_mask(const sb_dataset_case *dc, const sb_structure *s, sb_labels *l,
                       unsigned char *mask, sb_error *err)
{
    sb_status st = sb_labels_read(dc->labels, l, err);
    if (st != SB_OK) return st;
    if (l->glass_fingerprint != sb_glass_fingerprint(s))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "%s: labels are for another glass than %s (fingerprints differ)",
                            dc->labels, dc->glass);
    if (l->orientation != dc->orientation)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "%s: labels are for orientation %d, the manifest says %d",
                            dc->labels, l->orientation, dc->orientation);
    if ((st = sb_labels_mask(l, s, mask, err)) != SB_OK) sb_error_prefix(err, "%s: ", dc->labels);
    return st;
}

void tr_metrics_json(sb_json *j, const char *key, const sb_metrics *m)
{
    sb_json_object(j, key);
    sb_json_int(j, "atoms", (int64_t)m->n);
    sb_json_int(j, "positives", (int64_t)m->n_pos);
    sb_json_num(j, "base_rate", m->base_rate);
    sb_json_num(j, "roc_auc", m->roc_auc);
    sb_json_num(j, "pr_auc", m->pr_auc);
    sb_json_num(j, "precision", m->precision);
    sb_json_num(j, "recall", m->recall);
    sb_json_num(j, "f1", m->f1);
    sb_json_num(j, "accuracy", m->accuracy);
    sb_json_int(j, "tp", (int64_t)m->tp);
    sb_json_int(j, "fp", (int64_t)m->fp);
    sb_json_int(j, "tn", (int64_t)m->tn);
    sb_json_int(j, "fn", (int64_t)m->fn);
    sb_json_end(j);
}

sb_status tr_json_begin(sb_atomic_file *af, sb_json *j, const char *path, const char *kind, int argc,
                        char *const *argv, const sb_dataset *ds, double label_strain, double label_f_thres,
                        sb_error *err)
{
    const sb_status st = sb_atomic_open(af, path, err);
    if (st != SB_OK) return st;
    sb_json_start(j, af->fp);
    sb_json_object(j, NULL);
    sb_json_str(j, "kind", kind);
    sb_json_provenance(j, argc, argv);
    sb_json_object(j, "parameters");
    sb_json_str(j, "dataset", ds->path);
    sb_json_int(j, "cases", (int64_t)ds->n);
    sb_json_num(j, "label_strain", label_strain);
    sb_json_num(j, "label_f_thres", label_f_thres);
    return SB_OK;
}

sb_status tr_json_finish(sb_atomic_file *af, sb_json *j, const sb_metrics *val, const sb_metrics *test,
                         sb_error *err)
{
    tr_metrics_json(j, "val", val);
    tr_metrics_json(j, "test", test);
    sb_json_finish(j);
    return sb_atomic_commit(af, err);
}
