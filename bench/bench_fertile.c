/*
 * Fertile-site inference throughput: one orientation of a ~32,000-atom glass, timed in its
 * parts -- SDM builder (binning), maps alone, and the whole sb_fertile_predict (maps +
 * network) -- so that the cost of each is visible. The glass is examples/cu50zr50_864.data
 * replicated NX x NY x NZ (default 3 x 3 x 4 = 31,104 atoms); the network is the default
 * architecture of the chosen SDM kind (or --model FILE), with random weights: inference cost
 * does not depend on the weight values. peak_rss_mb is the process's high-water mark after
 * the timed part (before the optional dumps).
 *
 * For the PyTorch peer (bench/fertile_peer.py): --dump-glass writes the replicated glass as
 * LAMMPS data, with the loading rotation on its comment line, and --dump-maps the first N
 * maps as raw float32, to check the peer's SDM against.
 *
 * usage: bench_fertile [--sdm proj_xy|proj_3|grid3d] [--threads N] [--backend NAME]
 *                      [--model FILE] [--rep NX,NY,NZ] [--dump-maps FILE N] [--dump-glass FILE]
 * Prints one line "fertile-bench key=value ...".
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "shearband/fertile.h"
#include "shearband/io.h"
#include "shearband/orientation.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int replicate(const sb_structure *in, int r[3], sb_structure *out, sb_error *err)
{
    const size_t n = in->n * (size_t)(r[0] * r[1] * r[2]);
    if (sb_structure_alloc(out, n, in->ntypes, err) != SB_OK) return 1;
    const double L[3] = {in->cell.hi[0] - in->cell.lo[0], in->cell.hi[1] - in->cell.lo[1],
                         in->cell.hi[2] - in->cell.lo[2]};
    size_t k = 0;
    for (int a = 0; a < r[0]; a++)
        for (int b = 0; b < r[1]; b++)
            for (int c = 0; c < r[2]; c++)
                for (size_t i = 0; i < in->n; i++, k++) {
                    out->id[k] = (int64_t)k + 1;
                    out->type[k] = in->type[i];
                    out->x[3 * k] = in->x[3 * i] + a * L[0];
                    out->x[3 * k + 1] = in->x[3 * i + 1] + b * L[1];
                    out->x[3 * k + 2] = in->x[3 * i + 2] + c * L[2];
                }
    double hi[3];
    for (int d = 0; d < 3; d++) hi[d] = in->cell.lo[d] + r[d] * L[d];
    if (sb_cell_set(&out->cell, in->cell.lo, hi, 0, 0, 0, err) != SB_OK) return 1;
    for (int t = 0; t < in->ntypes; t++) {
        memcpy(out->type_name[t], in->type_name[t], sizeof out->type_name[t]);
        out->mass[t] = in->mass[t];
    }
    sb_structure_wrap(out);
    return 0;
}

int main(int argc, char **argv)
{
    sb_sdm_kind kind = SB_SDM_PROJ_XY;
    int threads = 1, rep[3] = {3, 3, 4};
    const char *backend = NULL, *model_path = NULL, *dump = NULL, *dump_glass = NULL;
    long ndump = 0;
    for (int a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "--sdm") && a + 1 < argc) kind = (sb_sdm_kind)sb_sdm_kind_from_name(argv[++a]);
        else if (!strcmp(argv[a], "--threads") && a + 1 < argc) threads = atoi(argv[++a]);
        else if (!strcmp(argv[a], "--backend") && a + 1 < argc) backend = argv[++a];
        else if (!strcmp(argv[a], "--model") && a + 1 < argc) model_path = argv[++a];
        else if (!strcmp(argv[a], "--rep") && a + 1 < argc) sscanf(argv[++a], "%d,%d,%d", &rep[0], &rep[1], &rep[2]);
        else if (!strcmp(argv[a], "--dump-maps") && a + 2 < argc) dump = argv[++a], ndump = atol(argv[++a]);
        else if (!strcmp(argv[a], "--dump-glass") && a + 1 < argc) dump_glass = argv[++a];
        else {
            fprintf(stderr, "bench_fertile: bad argument %s\n", argv[a]);
            return 2;
        }
    }
    if ((int)kind < 0) return 2;
    sb_error err;
    sb_structure g = SB_STRUCTURE_INIT, big = SB_STRUCTURE_INIT;
    if (sb_read_structure(SB_SOURCE_DIR "/examples/cu50zr50_864.data", &g, &err) != SB_OK ||
        replicate(&g, rep, &big, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    sb_nn_model *m = NULL;
    sb_sdm_params sdm = sb_fertile_default_sdm(kind);
    if (model_path) {
        if (sb_fertile_load(model_path, &m, &sdm, &err) != SB_OK) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
    } else {
        int c, d[3];
        sb_sdm_shape(&sdm, &c, d);
        const sb_nn_shape in = kind == SB_SDM_GRID3D ? (sb_nn_shape){c, d[0], d[1], d[2]} : (sb_nn_shape){c, 1, d[1], d[0]};
        if (sb_nn_model_create_from_string(in, sb_fertile_default_arch(kind), &m, &err) != SB_OK) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        sb_nn_model_init(m, 7);
    }
    sb_fertile_options fo = sb_fertile_options_default();
    fo.threads = threads;
    fo.backend = backend;
    const double t0 = now();
    sb_sdm_builder *b = NULL;
    if (sb_sdm_builder_create(&b, &big, &sdm, &err) != SB_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    const double t_build = now() - t0;
    /* maps alone, in batches of fo.batch, for every atom */
    const size_t msz = sb_sdm_map_size(&sdm);
    float *x = malloc((size_t)fo.batch * msz * sizeof *x);
    size_t *atoms = malloc((size_t)fo.batch * sizeof *atoms);
    sb_orientation o;
    sb_orientation_get(5, &o, NULL);
    const double t1 = now();
    for (size_t i0 = 0; i0 < big.n; i0 += (size_t)fo.batch) {
        const size_t nb = big.n - i0 < (size_t)fo.batch ? big.n - i0 : (size_t)fo.batch;
        for (size_t k = 0; k < nb; k++) atoms[k] = i0 + k;
        sb_sdm_compute(b, atoms, nb, o.R, x, &err);
    }
    const double t_maps = now() - t1;
    float *prob = malloc(big.n * sizeof *prob);
    const double t2 = now();
    if (sb_fertile_predict(m, &sdm, &big, b, 5, &fo, prob, &err) != SB_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    const double t_pred = now() - t2;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    if (dump_glass) {
        char comment[128];
        snprintf(comment, sizeof comment, "bench_fertile glass, orientation 5 rot %d %d %d %d %d %d %d %d %d",
                 o.R[0][0], o.R[0][1], o.R[0][2], o.R[1][0], o.R[1][1], o.R[1][2], o.R[2][0], o.R[2][1], o.R[2][2]);
        if (sb_write_lammps_data(dump_glass, &big, comment, &err) != SB_OK) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
    }
    if (dump) {
        /* first N maps of orientation 5 as raw float32, for the PyTorch peer */
        FILE *fp = fopen(dump, "wb");
        float *all = malloc((size_t)ndump * msz * sizeof *all);
        size_t *ids = malloc((size_t)ndump * sizeof *ids);
        for (long k = 0; k < ndump; k++) ids[k] = (size_t)k;
        sb_sdm_compute(b, ids, (size_t)ndump, o.R, all, &err);
        fwrite(all, sizeof *all, (size_t)ndump * msz, fp);
        fclose(fp);
        free(all), free(ids);
    }
    printf("fertile-bench impl=shearband-%s sdm=%s atoms=%zu threads=%d builder_s=%.3f maps_s=%.3f "
           "predict_s=%.3f total_s=%.3f maps_per_s=%.0f peak_rss_mb=%.0f\n",
           backend ? backend : sb_nn_default_backend(), sb_sdm_kind_name(kind), big.n, threads, t_build,
           t_maps, t_pred, t_build + t_pred, (double)big.n / t_maps,
           (double)ru.ru_maxrss / 1024.0);
    free(x), free(atoms), free(prob);
    sb_sdm_builder_free(b);
    sb_nn_model_free(m);
    sb_structure_free(&g), sb_structure_free(&big);
    return 0;
}
