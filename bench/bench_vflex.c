/*
 * bench_vflex: how many isoconfigurational runs, and how long a sampling window, does the
 * flexibility volume need? Measures the convergence of the per-atom vibrational MSD and of
 * the v_flex fertile set (top 20 %) on a glass, to choose sb_vibration_options' defaults.
 *
 *   bench_vflex GLASS BASEDIR [TEMP]
 *
 * Runs (or reuses, cached per run under BASEDIR/<config>) these ensembles at TEMP (300 K):
 *   name      equilibration  sampling  every   runs
 *   s1        2 ps           1 ps      0.05    8
 *   s4        2 ps           4 ps      0.05    8      (the defaults, with 2x the runs)
 *   s8        2 ps           8 ps      0.05    4
 *   e05s4     0.5 ps         4 ps      0.05    4
 *   e1s4      1 ps           4 ps      0.05    8      (seed 2)
 *   s4b       2 ps           4 ps      0.05    8      (seed 3: independent of s4)
 * Configurations with the same seed (1) share trajectories (run k has the same velocity
 * seed), so their cross-correlations are inflated; seeds 2 and 3 are independent.
 * and reports, per configuration:
 *   - <T>, mean MSD;
 *   - r1: mean pairwise Pearson correlation of per-atom MSD between single runs (the
 *     single-run reliability), and the Spearman-Brown reliability of an m-run mean,
 *     R_m = m r1 / (1 + (m - 1) r1);
 *   - for m = 1, 2, 4 (2m <= runs): the correlation of v_flex between two DISJOINT m-run
 *     means and the overlap of their top-20 % fertile sets (|A & B| / |A|): how
 *     reproducible the indicator is with m runs;
 * and across configurations, the matrix of v_flex correlations and top-20 % overlaps of
 * the ensemble means. Prints a plain table (no timing assertions; wall time per configuration shown).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/analysis.h"
#include "shearband/fileutil.h"
#include "shearband/io.h"
#include "shearband/vflex.h"
#include "shearband/vibration.h"
#include "shearband/voronoi.h"

typedef struct config {
    const char *name;
    double equil, sampling, every;
    int runs;
    uint64_t seed;
} config;

static const config configs[] = {
    {"s1", 2.0, 1.0, 0.05, 8, 1},
    {"s4", 2.0, 4.0, 0.05, 8, 1},
    {"s8", 2.0, 8.0, 0.05, 4, 1},
    {"e05s4", 0.5, 4.0, 0.05, 4, 1},
    {"e1s4", 1.0, 4.0, 0.05, 8, 2},
    {"s4b", 2.0, 4.0, 0.05, 8, 3},
};
enum { NCONFIG = sizeof configs / sizeof configs[0], REF = 1 };

static double pearson(const double *a, const double *b, size_t n)
{
    double ma = 0, mb = 0;
    for (size_t i = 0; i < n; i++) {
        ma += a[i];
        mb += b[i];
    }
    ma /= (double)n;
    mb /= (double)n;
    double sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < n; i++) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    return sab / sqrt(saa * sbb);
}

/* Overlap of the top-20 % sets of a and b. */
static double fertile_overlap(const double *a, const double *b, const int64_t *id, size_t n,
                              unsigned char *ma, unsigned char *mb)
{
    size_t na = 0, both = 0;
    sb_top_fraction_mask(a, id, n, 0.2, ma, &na, NULL, NULL);
    sb_top_fraction_mask(b, id, n, 0.2, mb, NULL, NULL, NULL);
    for (size_t i = 0; i < n; i++) both += ma[i] && mb[i];
    return (double)both / (double)na;
}

/* mean over runs [k0, k0 + m) of msd_run, then v_flex. */
static void mean_vflex(const sb_vibration_result *r, int k0, int m, const sb_voronoi_atom *vor,
                       double *msd, double *vflex)
{
    for (size_t i = 0; i < r->n; i++) {
        double s = 0;
        for (int k = k0; k < k0 + m; k++) s += r->msd_run[(size_t)k * r->n + i];
        msd[i] = s / m;
    }
    sb_vflex_compute(vor, msd, r->n, vflex, NULL);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_vflex GLASS BASEDIR [TEMP]\n");
        return 2;
    }
    const double temp = argc > 3 ? atof(argv[3]) : 300.0;
    sb_error err;
    sb_structure g = SB_STRUCTURE_INIT;
    if (sb_read_structure(argv[1], &g, &err)) {
        fprintf(stderr, "bench_vflex: %s\n", err.msg);
        return 1;
    }
    const size_t n = g.n;
    sb_voronoi_atom *vor = malloc(n * sizeof *vor);
    sb_voronoi_params vp = sb_voronoi_params_default();
    if (sb_voronoi_compute(&g, &vp, vor, &err)) {
        fprintf(stderr, "bench_vflex: %s\n", err.msg);
        return 1;
    }
    double *msd = malloc(n * sizeof *msd), *va = malloc(n * sizeof *va), *vb = malloc(n * sizeof *vb);
    double *vmean[NCONFIG];
    unsigned char *ma = malloc(n), *mb = malloc(n);
    sb_vibration_result res[NCONFIG];
    printf("glass %s, %zu atoms, T = %g K\n\n", argv[1], n, temp);
    printf("%-6s %5s %5s %5s %4s %8s %9s %6s %6s %6s | %-28s | %-28s\n", "config", "eq", "samp", "every", "M",
           "<T>", "<MSD>", "r1", "R_M", "sec", "corr vflex disjoint m=1,2,4", "top20 overlap m=1,2,4");
    for (int c = 0; c < NCONFIG; c++) {
        const config *cf = &configs[c];
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s", argv[2], cf->name);
        sb_vibration_options o = sb_vibration_options_default();
        o.temperature = temp;
        o.equilibration = cf->equil;
        o.sampling = cf->sampling;
        o.sample_every = cf->every;
        o.runs = cf->runs;
        o.run_dir = dir;
        o.seed = cf->seed;
        memset(&res[c], 0, sizeof res[c]);
        if (sb_vibration_msd(&g, &o, &res[c], &err)) {
            fprintf(stderr, "bench_vflex: %s\n", err.msg);
            return 1;
        }
        const sb_vibration_result *r = &res[c];
        double tmean = 0, r1 = 0;
        int pairs = 0;
        for (int k = 0; k < r->runs; k++) tmean += r->run_temperature[k] / r->runs;
        for (int k = 0; k < r->runs; k++)
            for (int l = k + 1; l < r->runs; l++, pairs++)
                r1 += pearson(r->msd_run + (size_t)k * n, r->msd_run + (size_t)l * n, n);
        r1 /= pairs;
        const double RM = r->runs * r1 / (1 + (r->runs - 1) * r1);
        char corr[64] = "", over[64] = "";
        for (int m = 1; 2 * m <= r->runs; m *= 2) {
            mean_vflex(r, 0, m, vor, msd, va);
            mean_vflex(r, m, m, vor, msd, vb);
            char b1[16], b2[16];
            snprintf(b1, sizeof b1, " %.3f", pearson(va, vb, n));
            snprintf(b2, sizeof b2, " %.3f", fertile_overlap(va, vb, g.id, n, ma, mb));
            strcat(corr, b1);
            strcat(over, b2);
        }
        vmean[c] = malloc(n * sizeof(double));
        sb_vflex_compute(vor, r->msd, n, vmean[c], NULL);
        printf("%-6s %5.2f %5.2f %5.2f %4d %8.2f %9.5f %6.3f %6.3f %6.0f | %-28s | %-28s\n", cf->name, cf->equil,
               cf->sampling, cf->every, r->runs, tmean, r->mean_msd, r1, RM, r->seconds, corr, over);
    }
    printf("\nensemble means: corr(vflex) above the diagonal, top-20 %% overlap below\n%-6s", "");
    for (int c = 0; c < NCONFIG; c++) printf(" %6s", configs[c].name);
    printf("\n");
    for (int c = 0; c < NCONFIG; c++) {
        printf("%-6s", configs[c].name);
        for (int d = 0; d < NCONFIG; d++) {
            if (c == d) printf(" %6s", "-");
            else if (d > c) printf(" %6.3f", pearson(vmean[c], vmean[d], n));
            else printf(" %6.3f", fertile_overlap(vmean[c], vmean[d], g.id, n, ma, mb));
        }
        printf("  (seed %d)\n", (int)configs[c].seed);
    }
    /* Independent ensembles of the same settings: how reproducible is an M-run v_flex? */
    printf("\nindependent ensembles, 2 + 4 ps: M = 8 (s4 vs s4b): corr(vflex) %.3f, top20 overlap %.3f\n",
           pearson(vmean[REF], vmean[NCONFIG - 1], n),
           fertile_overlap(vmean[REF], vmean[NCONFIG - 1], g.id, n, ma, mb));
    for (int c = REF; c < NCONFIG; c += NCONFIG - 1 - REF) {
        mean_vflex(&res[c], 0, 4, vor, msd, va);
        mean_vflex(&res[c], 4, 4, vor, msd, vb);
        printf("                              M = 4 (halves of %s): corr(vflex) %.3f, top20 overlap %.3f\n",
               configs[c].name, pearson(va, vb, n), fertile_overlap(va, vb, g.id, n, ma, mb));
    }
    for (int c = 0; c < NCONFIG; c++) {
        free(vmean[c]);
        sb_vibration_result_free(&res[c]);
    }
    free(vor);
    free(msd);
    free(va);
    free(vb);
    free(ma);
    free(mb);
    sb_structure_free(&g);
    return 0;
}
