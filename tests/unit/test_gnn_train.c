/*
 * test_gnn_train.c: GNN training on a dataset manifest (the CNN trainer's format), without
 * LAMMPS. Five random two-species "glasses" written as LAMMPS data files; an atom is
 * positive when its smooth local density (sum over neighbours within 3.5 A of
 * (1 - (r/3.5)^2)^2) is among the top 30 % of its glass. Three glasses train (two
 * orientations each), one validates, one tests. The held-out test ROC-AUC must come out
 * above 0.95 (a pipeline with labels misaligned to atoms, or graphs of the wrong glass,
 * sits near 0.5). Also: outputs exist, the saved model reproduces the reported test
 * predictions through sb_gnn_fertile_predict, and labels of another glass are refused.
 */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sbtest.h"
#include "shearband/analysis.h"
#include "shearband/dataset.h"
#include "shearband/fileutil.h"
#include "shearband/gnn_train.h"
#include "shearband/io.h"
#include "shearband/metrics.h"
#include "shearband/neighbor.h"

static char tmpdir[1024];

static void make_sample(int g, uint64_t seed, size_t n, int orientation, const char *suffix)
{
    sbtest_rng rng;
    sbtest_rng_seed(&rng, seed);
    sb_structure s = SB_STRUCTURE_INIT;
    sb_error err;
    const double L = cbrt((double)n / 0.06);
    cr_assert_eq(sb_structure_alloc(&s, n, 2, &err), SB_OK);
    cr_assert_eq(sb_cell_set_ortho(&s.cell, L, L, L, &err), SB_OK);
    cr_assert_eq(sbtest_random_glass(&rng, &s.cell, n, 2.0, s.x, s.type), 0);
    const char *names[] = {"Cu", "Zr"};
    cr_assert_eq(sb_structure_set_elements(&s, names, &err), SB_OK);
    char path[1200];
    snprintf(path, sizeof path, "%s/g%d.data", tmpdir, g);
    if (access(path, F_OK) != 0) cr_assert_eq(sb_write_lammps_data(path, &s, NULL, &err), SB_OK, "%s", err.msg);
    sb_structure r = SB_STRUCTURE_INIT;
    cr_assert_eq(sb_read_structure(path, &r, &err), SB_OK);
    sb_neighbor_list nl = SB_NEIGHBOR_LIST_INIT;
    cr_assert_eq(sb_neighbor_build(&nl, &r.cell, r.x, n, 3.5, NULL), SB_OK);
    double *rho = calloc(n, sizeof *rho);
    for (size_t i = 0; i < n; i++)
        for (size_t e = nl.offset[i]; e < nl.offset[i + 1]; e++) {
            const double *d = nl.d + 3 * e;
            const double q = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]) / (3.5 * 3.5);
            rho[i] += (1 - q) * (1 - q);
        }
    sb_neighbor_free(&nl);
    unsigned char *mask = malloc(n);
    size_t ntop;
    cr_assert_eq(sb_top_fraction_mask(rho, r.id, n, 0.3, mask, &ntop, NULL, &err), SB_OK);
    sb_labels l = SB_LABELS_INIT;
    snprintf(l.glass, sizeof l.glass, "%s", path);
    l.glass_fingerprint = sb_glass_fingerprint(&r);
    l.orientation = orientation;
    l.strain = 0.1;
    l.f_thres = 0.3;
    l.n_atoms = n;
    l.pos_ids = malloc(ntop * sizeof *l.pos_ids);
    for (size_t i = 0; i < n; i++)
        if (mask[i]) l.pos_ids[l.n_pos++] = r.id[i];
    snprintf(path, sizeof path, "%s/g%d%s.labels", tmpdir, g, suffix);
    cr_assert_eq(sb_labels_write(path, &l, 0, NULL, &err), SB_OK, "%s", err.msg);
    sb_labels_free(&l);
    free(mask);
    free(rho);
    sb_structure_free(&s);
    sb_structure_free(&r);
}

Test(gnn_train, learns_local_density_from_a_manifest, .timeout = 300)
{
    const char *base = getenv("SB_TEST_TMP");
    snprintf(tmpdir, sizeof tmpdir, "%s/gnn_train", base ? base : "/tmp");
    sb_error err;
    cr_assert_eq(sb_mkdir_p(tmpdir, &err), SB_OK, "%s", err.msg);
    /* the label does not depend on the orientation: the same mask for K = 0 and K = 5 */
    for (int g = 0; g < 5; g++) make_sample(g, 300 + (uint64_t)g, 300, 0, "_o0");
    for (int g = 0; g < 3; g++) make_sample(g, 300 + (uint64_t)g, 300, 5, "_o5");
    char mpath[1200], model[1200];
    snprintf(mpath, sizeof mpath, "%s/ds.txt", tmpdir);
    FILE *fp = fopen(mpath, "w");
    cr_assert(fp);
    fprintf(fp, "shearband-dataset 1\n# sample glass orientation labels split\n");
    for (int g = 0; g < 3; g++)
        fprintf(fp, "g%d g%d.data 0 g%d_o0.labels train\ng%d g%d.data 5 g%d_o5.labels train\n", g, g, g, g, g, g);
    fprintf(fp, "g3 g3.data 0 g3_o0.labels val\ng4 g4.data 0 g4_o0.labels test\n");
    fclose(fp);
    sb_dataset d = SB_DATASET_INIT;
    cr_assert_eq(sb_dataset_read(mpath, &d, &err), SB_OK, "%s", err.msg);
    snprintf(model, sizeof model, "%s/m.sbgn", tmpdir);
    sb_gnn_train_options o = sb_gnn_train_options_default();
    o.cfg.latent = 16;
    o.cfg.steps = 2;
    o.cfg.cutoff = 3.5;
    o.cfg.agg_norm = 11;
    o.epochs = 60;
    o.lr = 3e-3f;
    o.patience = 0;
    o.threads = 1;
    o.model_path = model;
    sb_gnn_train_result r;
    cr_assert_eq(sb_gnn_train(&d, &o, &r, &err), SB_OK, "%s", err.msg);
    cr_log_info("best epoch %d of %d: val ROC-AUC %.4f PR-AUC %.4f; test ROC-AUC %.4f PR-AUC %.4f accuracy %.4f, "
                "%.1f graphs/s",
                r.best_epoch, r.epochs_run, r.val.roc_auc, r.val.pr_auc, r.test.roc_auc, r.test.pr_auc,
                r.test.accuracy, r.graphs_per_second);
    cr_expect_eq(r.test.n, 300);
    cr_expect_gt(r.test.roc_auc, 0.95, "test ROC-AUC %.4f", r.test.roc_auc);
    char p[1300];
    snprintf(p, sizeof p, "%s.metrics.json", model);
    cr_expect_eq(access(p, R_OK), 0, "no %s", p);
    snprintf(p, sizeof p, "%s.log.csv", model);
    cr_expect_eq(access(p, R_OK), 0, "no %s", p);
    /* the saved model reproduces the test metrics */
    sb_gnn_model *m;
    cr_assert_eq(sb_gnn_model_load(model, &m, &err), SB_OK, "%s", err.msg);
    cr_expect_str_eq(sb_gnn_model_get_meta(m, "kind"), "fertile-gnn");
    sb_structure s = SB_STRUCTURE_INIT;
    snprintf(p, sizeof p, "%s/g4.data", tmpdir);
    cr_assert_eq(sb_read_structure(p, &s, &err), SB_OK);
    float *prob = malloc(s.n * sizeof *prob);
    cr_assert_eq(sb_gnn_fertile_predict(m, &s, 0, NULL, prob, &err), SB_OK, "%s", err.msg);
    sb_labels l = SB_LABELS_INIT;
    snprintf(p, sizeof p, "%s/g4_o0.labels", tmpdir);
    cr_assert_eq(sb_labels_read(p, &l, &err), SB_OK);
    unsigned char *mask = malloc(s.n);
    cr_assert_eq(sb_labels_mask(&l, &s, mask, &err), SB_OK);
    double auc;
    cr_assert_eq(sb_roc_auc(prob, mask, s.n, &auc, &err), SB_OK);
    cr_expect_float_eq(auc, r.test.roc_auc, 1e-9, "reloaded model: ROC-AUC %.6f, training reported %.6f", auc,
                       r.test.roc_auc);
    /* labels of another glass are refused, naming the file */
    snprintf(d.cases[0].labels, sizeof d.cases[0].labels, "%s/g1_o0.labels", tmpdir);
    cr_expect_neq(sb_gnn_train(&d, &o, &r, &err), SB_OK);
    cr_expect(strstr(err.msg, "fingerprint") != NULL, "%s", err.msg);
    free(prob);
    free(mask);
    sb_labels_free(&l);
    sb_structure_free(&s);
    sb_gnn_model_free(m);
    sb_dataset_free(&d);
}
