/*
 * End to end on real data, small: the bundled 864-atom glass sheared (LAMMPS, FIRE,
 * step 2e-3) to 1 % strain in three orientations, labelled (top 5 % of D2min at 1 %),
 * split by case (one glass only: see docs/dataset.md), trained for two epochs, and run
 * through inference. Checks what can be checked without pretending the model is good:
 * the labels are exactly the top D2min atoms of the run's own snapshot (oracle: the dump),
 * the label file names the glass found from the run's command line, the trained model
 * reproduces its SDM parameters, probabilities are finite and in [0, 1], and the test
 * metrics cover every atom of the test case.
 */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/dataset.h"
#include "shearband/fertile.h"
#include "shearband/fileutil.h"
#include "shearband/io.h"
#include "shearband/shear.h"

Test(fertile_smoke, shear_label_train_predict, .timeout = 1200)
{
    const char *base = getenv("SB_TEST_TMP");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/fertile_smoke", base ? base : "/tmp");
    sb_error err;
    cr_assert_eq(sb_mkdir_p(dir, &err), SB_OK);
    const char *glass_path = SB_SOURCE_DIR "/examples/cu50zr50_864.data";
    sb_structure g = SB_STRUCTURE_INIT;
    cr_assert_eq(sb_read_structure(glass_path, &g, &err), SB_OK, "%s", err.msg);
    const int ks[3] = {0, 5, 10};
    char runs[3][1100], labels[3][1200];
    char arg0[] = "shear", arg1[] = SB_SOURCE_DIR "/examples/cu50zr50_864.data";
    const char *files[3];
    char *argv[] = {arg0, arg1};
    for (int q = 0; q < 3; q++) {
        snprintf(runs[q], sizeof runs[q], "%s/run_k%02d", dir, ks[q]);
        sb_shear_options o = sb_shear_options_default();
        o.orientation = ks[q];
        o.step = 2e-3;
        o.max_strain = 0.01;
        o.minimizer = SB_MIN_FIRE;
        o.nsave = 1;
        o.save[0] = 0.01;
        o.run_dir = runs[q];
        o.resume = sb_file_exists(runs[q]);
        o.argc = 2;
        o.argv = argv;
        sb_shear_result r;
        cr_assert_eq(sb_shear(&g, &o, &r, &err), SB_OK, "%s", err.msg);
        sb_label_options lo = sb_label_options_default();
        lo.strain = 0.01;
        sb_labels l = SB_LABELS_INIT;
        cr_assert_eq(sb_labels_make(runs[q], NULL, &lo, &l, &err), SB_OK, "%s", err.msg);
        cr_assert_str_eq(l.glass, glass_path);
        cr_assert_eq(l.n_pos, 43);
        cr_assert_eq(l.orientation, ks[q]);
        /* oracle: every positive has D2min >= every negative in the snapshot */
        char snap[1300];
        snprintf(snap, sizeof snap, "%.1100s/strain_0.010.dump", runs[q]);
        sb_structure s = SB_STRUCTURE_INIT;
        cr_assert_eq(sb_read_structure(snap, &s, &err), SB_OK, "%s", err.msg);
        unsigned char *mask = malloc(s.n);
        cr_assert_eq(sb_labels_mask(&l, &s, mask, &err), SB_OK, "%s", err.msg);
        const double *d = sb_structure_find_property(&s, "d2min")->data;
        double minpos = INFINITY, maxneg = -INFINITY;
        for (size_t i = 0; i < s.n; i++) {
            if (mask[i]) minpos = fmin(minpos, d[i]);
            else maxneg = fmax(maxneg, d[i]);
        }
        cr_assert_geq(minpos, maxneg, "positives are not the top D2min");
        cr_assert_eq(minpos, l.d2min_threshold);
        snprintf(labels[q], sizeof labels[q], "%.1100s/labels.txt", runs[q]);
        cr_assert_eq(sb_labels_write(labels[q], &l, 0, NULL, &err), SB_OK);
        files[q] = labels[q];
        free(mask);
        sb_structure_free(&s);
        sb_labels_free(&l);
    }
    sb_dataset_make_options mo = sb_dataset_make_options_default();
    mo.split_by_case = true;
    mo.val_fraction = mo.test_fraction = 1.0 / 3.0;
    sb_dataset d = SB_DATASET_INIT;
    cr_assert_eq(sb_dataset_make(files, 3, &mo, &d, &err), SB_OK, "%s", err.msg);
    char manifest[1200], model[1200];
    snprintf(manifest, sizeof manifest, "%s/ds.txt", dir);
    snprintf(model, sizeof model, "%s/model.sbnn", dir);
    cr_assert_eq(sb_dataset_write(manifest, &d, 0, NULL, &err), SB_OK);
    sb_dataset_free(&d);
    cr_assert_eq(sb_dataset_read(manifest, &d, &err), SB_OK, "%s", err.msg);
    sb_train_options to = sb_train_options_default();
    to.epochs = 2;
    to.model_path = model;
    to.figure = false;
    sb_train_result tr;
    cr_assert_eq(sb_fertile_train(&d, &to, &tr, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(tr.test.n, 864);
    cr_assert_eq(tr.test.n_pos, 43);
    cr_assert(isfinite(tr.test.roc_auc));
    sb_nn_model *m = NULL;
    sb_sdm_params sdm;
    cr_assert_eq(sb_fertile_load(model, &m, &sdm, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(sdm.kind, to.sdm.kind);
    cr_assert_eq(sdm.grid, to.sdm.grid);
    float *p = malloc(g.n * sizeof *p);
    cr_assert_eq(sb_fertile_predict(m, &sdm, &g, NULL, 23, NULL, p, &err), SB_OK, "%s", err.msg);
    for (size_t i = 0; i < g.n; i++) cr_assert(p[i] >= 0 && p[i] <= 1, "p[%zu] = %g", i, p[i]);
    free(p);
    sb_nn_model_free(m);
    sb_dataset_free(&d);
    sb_structure_free(&g);
}
