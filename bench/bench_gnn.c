/*
 * bench_gnn.c: cost of the GNN per graph -- graph build, forward, and a full training step
 * (forward + weighted BCE + backward + Adam) -- on a 4,000-atom glass-like structure at the
 * number density of Cu50Zr50 glass (0.057 atoms / A^3: a jittered simple-cubic lattice,
 * 16^3 sites, 0.3 A jitter, 96 random vacancies), two species, for several cutoffs; and the
 * memory the plan holds. Default architecture (L = 64, T = 7).
 *
 *   usage: bench_gnn [repeats=3] [backend=blas] [cutoffs=3.7,4.3,5.0]
 *   run single-threaded:  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 bench_gnn
 * Prints one line per cutoff: edges, mean degree, build / forward / train-step wall seconds
 * and forward / train-step process CPU seconds (best of the repeats; CPU time is the honest
 * figure on a shared machine), plan and graph MB.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shearband/gnn.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t rs = 12345;
static double uni(void)
{
    uint64_t z = (rs += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

static double gauss(void)
{
    double u = uni() + 1e-300, v = uni();
    return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

int main(int argc, char **argv)
{
    const int repeats = argc > 1 ? atoi(argv[1]) : 3;
    const char *backend = argc > 2 ? argv[2] : "blas";
    const char *cut_list = argc > 3 ? argv[3] : "3.7,4.3,5.0";
    enum { G = 16, SITES = G * G * G, N = 4000 };
    const double L = cbrt(N / 0.057), a = L / G;
    double *x = malloc(3 * SITES * sizeof *x);
    int *type = malloc(SITES * sizeof *type);
    unsigned char *keep = malloc(SITES);
    memset(keep, 1, SITES);
    for (int removed = 0; removed < SITES - N;) {
        int k = (int)(uni() * SITES);
        if (keep[k]) {
            keep[k] = 0;
            removed++;
        }
    }
    size_t n = 0;
    for (int i = 0; i < G; i++)
        for (int j = 0; j < G; j++)
            for (int k = 0; k < G; k++) {
                if (!keep[(i * G + j) * G + k]) continue;
                x[3 * n] = (i + 0.5) * a + 0.3 * gauss();
                x[3 * n + 1] = (j + 0.5) * a + 0.3 * gauss();
                x[3 * n + 2] = (k + 0.5) * a + 0.3 * gauss();
                type[n] = 1 + (uni() < 0.5);
                n++;
            }
    sb_cell cell;
    sb_error err;
    if (sb_cell_set_ortho(&cell, L, L, L, &err) != SB_OK) return 1;
    printf("# %zu atoms, box %.2f A, backend %s, best of %d\n", n, L, backend, repeats);
    printf("# cutoff  edges    degree  build_s  forward_s  train_step_s  fwd_cpu_s  step_cpu_s  plan_MB  graph_MB\n");
    char *list = strdup(cut_list);
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        sb_gnn_config c = sb_gnn_config_default();
        c.cutoff = atof(tok);
        sb_gnn_graph g = SB_GNN_GRAPH_INIT;
        double tb = INFINITY, tf = INFINITY, tt = INFINITY, cf = INFINITY, ct = INFINITY;
        for (int r = 0; r < repeats; r++) {
            double t0 = now();
            if (sb_gnn_graph_build(&g, &c, &cell, x, type, n, NULL, &err) != SB_OK) {
                fprintf(stderr, "%s\n", err.msg);
                return 1;
            }
            tb = fmin(tb, now() - t0);
        }
        sb_gnn_model *m;
        sb_gnn_plan *p;
        sb_gnn_adam *ad;
        sb_gnn_plan_options o = sb_gnn_plan_options_default();
        o.backend = backend;
        if (sb_gnn_model_create(&c, &m, &err) != SB_OK ||
            sb_gnn_plan_create(m, g.n, g.nedges, &o, &p, &err) != SB_OK || sb_gnn_adam_create(m, NULL, &ad, &err) != SB_OK) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        sb_gnn_model_init(m, 1);
        float *y = malloc(n * sizeof *y);
        for (size_t i = 0; i < n; i++) y[i] = (float)(i % 20 == 0);
        for (int r = 0; r < repeats; r++) {
            double t0 = now(), c0 = cpu();
            if (sb_gnn_forward(p, &g, NULL, &err) != SB_OK) return 1;
            tf = fmin(tf, now() - t0);
            cf = fmin(cf, cpu() - c0);
            t0 = now();
            c0 = cpu();
            if (sb_gnn_train_step(p, ad, &g, y, NULL, 19.0f, NULL, &err) != SB_OK) {
                fprintf(stderr, "%s\n", err.msg);
                return 1;
            }
            tt = fmin(tt, now() - t0);
            ct = fmin(ct, cpu() - c0);
        }
        const double gmb = (double)(g.nedges * (sizeof(uint32_t) * 2 + (size_t)g.edge_dim * sizeof(float)) +
                                    g.n * (sizeof(size_t) + (size_t)g.nspecies * sizeof(float))) / 1048576.0;
        printf("%6.2f  %8zu  %6.2f  %7.3f  %9.3f  %12.3f  %9.3f  %10.3f  %7.1f  %8.1f\n", c.cutoff, g.nedges,
               (double)g.nedges / (double)g.n, tb, tf, tt, cf, ct, (double)sb_gnn_plan_bytes(p) / 1048576.0, gmb);
        fflush(stdout);
        free(y);
        sb_gnn_adam_free(ad);
        sb_gnn_plan_free(p);
        sb_gnn_model_free(m);
        sb_gnn_graph_free(&g);
    }
    free(list);
    free(x);
    free(type);
    free(keep);
    return 0;
}
