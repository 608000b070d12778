/*
 * test_svm_train.c: the linear-SVM softness end to end, without LAMMPS.
 *
 * Model file: a model with random standardisation and weights round-trips bit for bit
 * (every double and the metadata); a flipped byte gives SB_ERR_CHECKSUM, a truncated file
 * "truncated", a text file and a GNN file are refused as foreign -- every message naming
 * the file.
 *
 * Training: five random two-species "glasses" as LAMMPS data files; an atom is positive
 * when its smooth local density (sum over neighbours within 3.5 A of (1 - (r/3.5)^2)^2) is
 * among the top 30 % of its glass -- a smooth radial function of the neighbour distances,
 * which a linear combination of radial structure functions approximates, so the held-out
 * ROC-AUC must be high (> 0.9; labels misaligned with atoms or features of the wrong
 * glass give ~0.5). Three glasses train (two orientations each), one validates, one tests.
 * Also: the chosen C is the grid's best by validation PR-AUC; the saved model reproduces
 * the reported test ROC-AUC; the svm indicator applier and survey source give exactly the
 * model's softness (the same for every orientation); --max-rows subsampling keeps the
 * positives; labels of another glass are refused.
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
#include "shearband/indicator_model.h"
#include "shearband/io.h"
#include "shearband/metrics.h"
#include "shearband/neighbor.h"
#include "shearband/softness.h"
#include "shearband/svm_train.h"

static char tmpdir[1024];

static void set_tmp(const char *sub)
{
    const char *base = getenv("SB_TEST_TMP");
    snprintf(tmpdir, sizeof tmpdir, "%s/%s", base ? base : "/tmp", sub);
    sb_error err;
    cr_assert_eq(sb_mkdir_p(tmpdir, &err), SB_OK, "%s", err.msg);
}

/* A model with arbitrary (not round) numbers in every field. */
static void random_model(sb_svm_model *m)
{
    sbtest_rng rng;
    sbtest_rng_seed(&rng, 77);
    *m = (sb_svm_model)SB_SVM_MODEL_INIT;
    m->sf = sb_sf_params_default();
    m->sf.width_L = 0.2 + 1e-3 * sbtest_rng_uniform(&rng);
    const size_t F = sb_sf_count(&m->sf);
    m->svm.nfeat = F;
    m->svm.mean = malloc(F * sizeof(double));
    m->svm.std = malloc(F * sizeof(double));
    m->svm.w = malloc(F * sizeof(double));
    for (size_t k = 0; k < F; k++) {
        m->svm.mean[k] = sbtest_rng_normal(&rng) * 1e3;
        m->svm.std[k] = 0.1 + sbtest_rng_uniform(&rng);
        m->svm.w[k] = sbtest_rng_normal(&rng) / 3.0;
    }
    m->svm.bias = -0.123456789012345;
    sb_error err;
    cr_assert_eq(sb_svm_model_set_meta(m, "kind", "fertile-svm", &err), SB_OK);
    cr_assert_eq(sb_svm_model_set_meta(m, "C", "0.1", &err), SB_OK);
    cr_assert_eq(sb_svm_model_set_meta(m, "kind", "fertile-svm2", &err), SB_OK); /* replaces */
    cr_assert_neq(sb_svm_model_set_meta(m, "a=b", "x", &err), SB_OK);
}

Test(svm_file, round_trip_is_bit_exact)
{
    set_tmp("svm_file");
    sb_svm_model m, r;
    random_model(&m);
    char path[1200], buf[64];
    snprintf(path, sizeof path, "%s/m.sbsv", tmpdir);
    sb_error err;
    cr_assert_eq(sb_svm_model_save(&m, path, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(sb_svm_model_load(path, &r, &err), SB_OK, "%s", err.msg);
    const size_t F = m.svm.nfeat;
    cr_assert_eq(r.svm.nfeat, F);
    cr_expect_eq(memcmp(r.svm.mean, m.svm.mean, F * sizeof(double)), 0);
    cr_expect_eq(memcmp(r.svm.std, m.svm.std, F * sizeof(double)), 0);
    cr_expect_eq(memcmp(r.svm.w, m.svm.w, F * sizeof(double)), 0);
    cr_expect_eq(memcmp(&r.svm.bias, &m.svm.bias, sizeof(double)), 0);
    cr_expect_eq(memcmp(&r.sf.width_L, &m.sf.width_L, sizeof(double)), 0);
    cr_expect_eq(r.sf.n_xi, m.sf.n_xi);
    cr_expect_eq(r.sf.n_zeta, m.sf.n_zeta);
    cr_expect_eq(memcmp(r.sf.xi, m.sf.xi, sizeof m.sf.xi), 0);
    cr_expect_eq(memcmp(r.sf.zeta, m.sf.zeta, sizeof m.sf.zeta), 0);
    cr_expect_eq(r.sf.nspecies, 2);
    cr_expect_str_eq(sb_svm_model_get_meta(&r, "kind", buf, sizeof buf), "fertile-svm2");
    cr_expect_str_eq(sb_svm_model_get_meta(&r, "C", buf, sizeof buf), "0.1");
    cr_expect_null(sb_svm_model_get_meta(&r, "nope", buf, sizeof buf));
    /* saving the loaded model gives the same bytes */
    char path2[1300];
    snprintf(path2, sizeof path2, "%s/m2.sbsv", tmpdir);
    cr_assert_eq(sb_svm_model_save(&r, path2, &err), SB_OK, "%s", err.msg);
    size_t n1, n2;
    char *b1 = NULL, *b2 = NULL;
    FILE *f1 = fopen(path, "rb"), *f2 = fopen(path2, "rb");
    cr_assert(f1 && f2);
    b1 = malloc(1 << 20);
    b2 = malloc(1 << 20);
    n1 = fread(b1, 1, 1 << 20, f1);
    n2 = fread(b2, 1, 1 << 20, f2);
    fclose(f1);
    fclose(f2);
    cr_expect_eq(n1, n2);
    cr_expect_eq(memcmp(b1, b2, n1), 0);
    free(b1);
    free(b2);
    sb_svm_model_free(&m);
    sb_svm_model_free(&r);
}

static void write_bytes(const char *path, const unsigned char *p, size_t n)
{
    FILE *fp = fopen(path, "wb");
    cr_assert(fp);
    cr_assert_eq(fwrite(p, 1, n, fp), n);
    fclose(fp);
}

Test(svm_file, corrupted_truncated_and_foreign_files_are_refused)
{
    set_tmp("svm_file_bad");
    sb_svm_model m, r;
    random_model(&m);
    char path[1200], bad[1300];
    snprintf(path, sizeof path, "%s/m.sbsv", tmpdir);
    sb_error err;
    cr_assert_eq(sb_svm_model_save(&m, path, &err), SB_OK, "%s", err.msg);
    FILE *fp = fopen(path, "rb");
    cr_assert(fp);
    unsigned char *b = malloc(1 << 20);
    const size_t n = fread(b, 1, 1 << 20, fp);
    fclose(fp);
    cr_assert_gt(n, 1000);
    /* one flipped bit anywhere after the header: checksum (or size) error, never success */
    snprintf(bad, sizeof bad, "%s/flip.sbsv", tmpdir);
    const size_t where[] = {20, 100, n / 2, n - 9, n - 1};
    for (size_t k = 0; k < sizeof where / sizeof where[0]; k++) {
        b[where[k]] ^= 0x10;
        write_bytes(bad, b, n);
        b[where[k]] ^= 0x10;
        const sb_status st = sb_svm_model_load(bad, &r, &err);
        cr_expect_eq(st, SB_ERR_CHECKSUM, "byte %zu: status %d (%s)", where[k], st, err.msg);
        cr_expect(strstr(err.msg, bad) != NULL, "%s", err.msg);
    }
    snprintf(bad, sizeof bad, "%s/trunc.sbsv", tmpdir);
    write_bytes(bad, b, n - 100);
    cr_expect_eq(sb_svm_model_load(bad, &r, &err), SB_ERR_FORMAT);
    cr_expect(strstr(err.msg, "truncated") && strstr(err.msg, bad), "%s", err.msg);
    snprintf(bad, sizeof bad, "%s/text.sbsv", tmpdir);
    write_bytes(bad, (const unsigned char *)"hello world\n", 12);
    cr_expect_eq(sb_svm_model_load(bad, &r, &err), SB_ERR_FORMAT);
    cr_expect(strstr(err.msg, "not a shearband") && strstr(err.msg, bad), "%s", err.msg);
    b[2] = 'G', b[3] = 'N';
    snprintf(bad, sizeof bad, "%s/gnn.sbgn", tmpdir);
    write_bytes(bad, b, n);
    cr_expect_eq(sb_svm_model_load(bad, &r, &err), SB_ERR_FORMAT);
    cr_expect(strstr(err.msg, "GNN") && strstr(err.msg, bad), "%s", err.msg);
    snprintf(bad, sizeof bad, "%s/none.sbsv", tmpdir);
    cr_expect_eq(sb_svm_model_load(bad, &r, &err), SB_ERR_IO);
    cr_expect(strstr(err.msg, bad) != NULL, "%s", err.msg);
    /* the applier reports the same, naming the file */
    double v[1];
    sb_structure s = SB_STRUCTURE_INIT;
    cr_expect_eq(sb_indicator_model_apply("svm", bad, &s, v, &err), SB_ERR_IO);
    free(b);
    sb_svm_model_free(&m);
}

/* ---- training on a synthetic manifest ------------------------------------------------- */

/* random_labels: the top 30 % of a random score instead of the density (negative control). */
static void make_sample_ex(int g, uint64_t seed, size_t n, int orientation, const char *suffix, bool random_labels)
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
    if (random_labels)
        for (size_t i = 0; i < n; i++) rho[i] = sbtest_rng_uniform(&rng);
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

static void make_sample(int g, uint64_t seed, size_t n, int orientation, const char *suffix)
{
    make_sample_ex(g, seed, n, orientation, suffix, false);
}

/* Small structure functions: the radial block over the density's range, few angular terms. */
static sb_sf_params small_sf(void)
{
    sb_sf_params p = sb_sf_params_default();
    p.mu_min = 1.8;
    p.mu_max = 4.2;
    p.angular_cutoff = 3.5;
    p.n_xi = 1;
    p.xi[0] = 3.0;
    p.n_zeta = 1;
    p.zeta[0] = 1;
    return p;
}

Test(svm_train, learns_local_density_from_a_manifest, .timeout = 300)
{
    set_tmp("svm_train");
    sb_error err;
    for (int g = 0; g < 5; g++) make_sample(g, 300 + (uint64_t)g, 300, 0, "_o0");
    for (int g = 0; g < 3; g++) make_sample(g, 300 + (uint64_t)g, 300, 5, "_o5");
    char mpath[1200], model[1200], p[1300];
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
    snprintf(model, sizeof model, "%s/m.sbsv", tmpdir);
    sb_svm_train_options o = sb_svm_train_options_default();
    o.sf = small_sf();
    o.model_path = model;
    sb_svm_train_result r;
    cr_assert_eq(sb_svm_train(&d, &o, &r, &err), SB_OK, "%s", err.msg);
    cr_log_info("C %g: val ROC-AUC %.4f PR-AUC %.4f; test ROC-AUC %.4f PR-AUC %.4f precision %.4f recall %.4f",
                r.C, r.val.roc_auc, r.val.pr_auc, r.test.roc_auc, r.test.pr_auc, r.test.precision, r.test.recall);
    cr_expect_eq(r.n_train_rows, 1800);
    cr_expect_eq(r.n_train_pos, 540);
    cr_expect_eq(r.test.n, 300);
    cr_expect_eq(r.val.n, 300);
    cr_expect_gt(r.test.roc_auc, 0.9, "test ROC-AUC %.4f", r.test.roc_auc);
    cr_expect_gt(r.test.pr_auc, 0.7, "test PR-AUC %.4f (base rate 0.3)", r.test.pr_auc);
    /* the chosen C is the best of the grid on validation PR-AUC */
    cr_assert_eq(r.n_grid, 3);
    int kbest = 0;
    for (int k = 1; k < 3; k++)
        if (r.grid_val_pr_auc[k] > r.grid_val_pr_auc[kbest]) kbest = k;
    cr_expect_eq(r.C, o.C_grid[kbest]);
    cr_expect_eq(r.val.pr_auc, r.grid_val_pr_auc[kbest]);
    snprintf(p, sizeof p, "%s.metrics.json", model);
    fp = fopen(p, "r");
    cr_assert(fp, "no %s", p);
    char json[16384];
    const size_t nj = fread(json, 1, sizeof json - 1, fp);
    json[nj] = '\0';
    fclose(fp);
    cr_expect(strstr(json, "\"test\"") && strstr(json, "\"roc_auc\"") && strstr(json, "\"provenance\""), "%s", json);

    /* the saved model reproduces the reported test ROC-AUC */
    sb_svm_model m;
    cr_assert_eq(sb_svm_model_load(model, &m, &err), SB_OK, "%s", err.msg);
    char buf[64];
    cr_expect_str_eq(sb_svm_model_get_meta(&m, "kind", buf, sizeof buf), "fertile-svm");
    sb_structure s = SB_STRUCTURE_INIT;
    snprintf(p, sizeof p, "%s/g4.data", tmpdir);
    cr_assert_eq(sb_read_structure(p, &s, &err), SB_OK);
    double *soft = malloc(s.n * sizeof *soft), *viaapp = malloc(s.n * sizeof *viaapp), *viasrc = malloc(s.n * sizeof *viasrc);
    float *score = malloc(s.n * sizeof *score);
    cr_assert_eq(sb_svm_model_predict(&m, &s, soft, &err), SB_OK, "%s", err.msg);
    for (size_t i = 0; i < s.n; i++) score[i] = (float)soft[i];
    sb_labels l = SB_LABELS_INIT;
    snprintf(p, sizeof p, "%s/g4_o0.labels", tmpdir);
    cr_assert_eq(sb_labels_read(p, &l, &err), SB_OK);
    unsigned char *mask = malloc(s.n);
    cr_assert_eq(sb_labels_mask(&l, &s, mask, &err), SB_OK);
    sb_metrics mm;
    cr_assert_eq(sb_metrics_compute(score, mask, s.n, 0.0, &mm, &err), SB_OK);
    cr_expect_float_eq(mm.roc_auc, r.test.roc_auc, 1e-12, "reloaded: %.6f, training reported %.6f", mm.roc_auc,
                       r.test.roc_auc);
    cr_expect_eq(mm.tp, r.test.tp);
    cr_expect_eq(mm.fp, r.test.fp);

    /* the applier and the survey source give the model's softness, for every orientation */
    cr_assert(sb_indicator_model_available("svm"));
    cr_assert_eq(sb_indicator_model_apply("svm", model, &s, viaapp, &err), SB_OK, "%s", err.msg);
    for (size_t i = 0; i < s.n; i++) cr_expect_eq(viaapp[i], soft[i], "atom %zu: %g vs %g", i, viaapp[i], soft[i]);
    sb_indicator_source src;
    cr_assert_eq(sb_indicator_model_source("svm", model, &src, &err), SB_OK, "%s", err.msg);
    cr_expect_str_eq(src.info->name, "svm");
    for (int k = 0; k < 2; k++) {
        cr_assert_eq(src.values(src.ctx, 7, &s, &s, k * 5, viasrc, &err), SB_OK, "%s", err.msg);
        for (size_t i = 0; i < s.n; i++) cr_expect_eq(viasrc[i], soft[i]);
    }
    sb_indicator_model_source_free(&src);

    /* --max-rows: all positives up to half, negatives for the rest */
    o.max_rows = 200;
    o.n_grid = 1;
    o.C_grid[0] = 0.1;
    cr_assert_eq(sb_svm_train(&d, &o, &r, &err), SB_OK, "%s", err.msg);
    cr_expect_eq(r.n_train_rows, 200);
    cr_expect_eq(r.n_train_pos, 100);
    cr_expect_eq(r.n_train_available, 1800);
    cr_expect_gt(r.test.roc_auc, 0.8, "200 rows: test ROC-AUC %.4f", r.test.roc_auc);

    /* labels of another glass are refused, naming the file */
    snprintf(d.cases[0].labels, sizeof d.cases[0].labels, "%s/g1_o0.labels", tmpdir);
    cr_expect_neq(sb_svm_train(&d, &o, &r, &err), SB_OK);
    cr_expect(strstr(err.msg, "fingerprint") != NULL, "%s", err.msg);
    free(soft), free(viaapp), free(viasrc), free(score), free(mask);
    sb_labels_free(&l);
    sb_structure_free(&s);
    sb_svm_model_free(&m);
    sb_dataset_free(&d);
}

/* Negative control: labels unrelated to structure give a held-out ROC-AUC near 0.5 (the
 * learning test's > 0.9 is therefore not an artefact of the pipeline). */
Test(svm_train, random_labels_give_chance_level, .timeout = 300)
{
    set_tmp("svm_train_random");
    sb_error err;
    for (int g = 0; g < 5; g++) make_sample_ex(g, 500 + (uint64_t)g, 400, 0, "_o0", true);
    char mpath[1200], model[1200];
    snprintf(mpath, sizeof mpath, "%s/ds.txt", tmpdir);
    FILE *fp = fopen(mpath, "w");
    cr_assert(fp);
    fprintf(fp, "shearband-dataset 1\n");
    for (int g = 0; g < 3; g++) fprintf(fp, "g%d g%d.data 0 g%d_o0.labels train\n", g, g, g);
    fprintf(fp, "g3 g3.data 0 g3_o0.labels val\ng4 g4.data 0 g4_o0.labels test\n");
    fclose(fp);
    sb_dataset d = SB_DATASET_INIT;
    cr_assert_eq(sb_dataset_read(mpath, &d, &err), SB_OK, "%s", err.msg);
    snprintf(model, sizeof model, "%s/m.sbsv", tmpdir);
    sb_svm_train_options o = sb_svm_train_options_default();
    o.sf = small_sf();
    o.model_path = model;
    sb_svm_train_result r;
    cr_assert_eq(sb_svm_train(&d, &o, &r, &err), SB_OK, "%s", err.msg);
    cr_log_info("random labels: test ROC-AUC %.4f PR-AUC %.4f", r.test.roc_auc, r.test.pr_auc);
    /* 400 atoms, 120 positives: the AUC of a random scorer has sd ~ 0.035 */
    cr_expect(fabs(r.test.roc_auc - 0.5) < 0.15, "test ROC-AUC %.4f", r.test.roc_auc);
    sb_dataset_free(&d);
}
