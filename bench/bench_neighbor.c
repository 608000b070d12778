/*
 * bench_neighbor: time sb_neighbor_build on a random glass-like configuration and write the
 * same coordinates to a .npy file, so that bench/neighbor_peer.py can time scipy's cKDTree
 * on identical input (bench/run_neighbor.sh runs both and prints the table).
 *
 * The configuration: N atoms in a cubic box at number density rho (default 0.0586 / A^3,
 * that of Cu50Zr50 glass), placed by random sequential addition with a minimum separation
 * rmin (default 2.0 A) so that the local density is glass-like (no overlapping atoms); a
 * link-cell grid keeps the placement O(N). Deterministic for a given seed.
 *
 * Output: one line "key=value ..." on stdout: n, cutoff, entries (full list), pairs
 * (entries / 2), the best build time over the repeats at 1 thread and at 2 threads
 * (OpenMP, set in-process), the first (cold) build time, list memory (bytes held by the
 * list) and peak RSS of this process (getrusage, MB); cpu1 is the best process CPU time
 * of a 1-thread build (close to the wall time on an idle machine, and less sensitive to
 * other load on a shared one).
 *
 * Usage: bench_neighbor --n N --cutoff RC [--rho RHO] [--rmin R] [--seed S] [--repeats K]
 *                       [--bin-factor F] [--half] [--npy PATH] [--spatial-order]
 * --spatial-order sorts the atoms along a coarse grid first (as a spatially sorted dump
 * would be); by default atom order is random in space, as after melting.
 */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "shearband/neighbor.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *state)
{
    return (double)(splitmix64(state) >> 11) * 0x1.0p-53;
}

/* Random sequential addition in a cubic periodic box [0, L)^3 with a link-cell grid. */
static int make_glass(size_t n, double box, double rmin, uint64_t seed, double *x)
{
    const int g = (int)floor(box / rmin) < 1 ? 1 : (int)floor(box / rmin);
    const size_t ncell = (size_t)g * g * g;
    long *head = malloc(ncell * sizeof *head), *next = malloc(n * sizeof *next);
    if (!head || !next) return -1;
    for (size_t c = 0; c < ncell; c++) head[c] = -1;
    uint64_t st = seed;
    const double rmin2 = rmin * rmin;
    for (size_t i = 0; i < n; i++) {
        int ok = 0;
        for (long attempt = 0; attempt < 100000 && !ok; attempt++) {
            double p[3];
            int c[3];
            for (int k = 0; k < 3; k++) {
                p[k] = uniform(&st) * box;
                c[k] = (int)(p[k] / box * g);
                if (c[k] >= g) c[k] = g - 1;
            }
            ok = 1;
            for (int a = -1; a <= 1 && ok; a++)
                for (int b = -1; b <= 1 && ok; b++)
                    for (int e = -1; e <= 1 && ok; e++) {
                        const int q0 = (c[0] + a + g) % g, q1 = (c[1] + b + g) % g,
                                  q2 = (c[2] + e + g) % g;
                        for (long j = head[((size_t)q2 * g + q1) * g + q0]; j >= 0; j = next[j]) {
                            double r2 = 0;
                            for (int k = 0; k < 3; k++) {
                                double d = x[3 * j + k] - p[k];
                                d -= box * nearbyint(d / box);
                                r2 += d * d;
                            }
                            if (r2 < rmin2) {
                                ok = 0;
                                break;
                            }
                        }
                    }
            if (ok) {
                memcpy(x + 3 * i, p, sizeof p);
                const size_t cell = ((size_t)c[2] * g + c[1]) * g + c[0];
                next[i] = head[cell];
                head[cell] = (long)i;
            }
        }
        if (!ok) {
            free(head);
            free(next);
            return -1;
        }
    }
    free(head);
    free(next);
    return 0;
}

/* Reorder atoms along a coarse spatial grid (cells of edge ~cell), z-major then y then x:
 * the order of a spatially sorted dump, to separate cache effects of the output order. */
static double sort_cell;
static int cmp_spatial(const void *pa, const void *pb)
{
    const double *a = pa, *b = pb;
    for (int k = 2; k >= 1; k--) {
        const long ca = (long)floor(a[k] / sort_cell), cb = (long)floor(b[k] / sort_cell);
        if (ca != cb) return ca < cb ? -1 : 1;
    }
    return (a[0] > b[0]) - (a[0] < b[0]);
}

/* NumPy .npy version 1.0: magic, header length, a Python-dict header padded to 64 bytes. */
static int write_npy(const char *path, const double *x, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    char dict[128];
    int len = snprintf(dict, sizeof dict,
                       "{'descr': '<f8', 'fortran_order': False, 'shape': (%zu, 3), }", n);
    const int total = 10 + len + 1;
    const int pad = (64 - total % 64) % 64;
    const unsigned short hlen = (unsigned short)(len + pad + 1);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    const unsigned char hl[2] = {(unsigned char)(hlen & 0xff), (unsigned char)(hlen >> 8)};
    fwrite(hl, 1, 2, f);
    fwrite(dict, 1, (size_t)len, f);
    for (int i = 0; i < pad; i++) fputc(' ', f);
    fputc('\n', f);
    const size_t wrote = fwrite(x, sizeof *x, 3 * n, f);
    return (fclose(f) == 0 && wrote == 3 * n) ? 0 : -1;
}

static double time_builds(sb_neighbor_list *nl, const sb_cell *cell, const double *x, size_t n,
                          double rc, const sb_neighbor_options *o, int threads, int repeats,
                          double *first, double *best_cpu)
{
#ifdef _OPENMP
    omp_set_num_threads(threads);
#else
    (void)threads;
#endif
    double best = INFINITY;
    if (best_cpu) *best_cpu = INFINITY;
    for (int r = 0; r < repeats; r++) {
        sb_error err;
        const double c0 = cpu_now();
        const double t0 = now();
        if (sb_neighbor_build_opts(nl, cell, x, n, rc, o, &err) != SB_OK) {
            fprintf(stderr, "bench_neighbor: %s\n", err.msg);
            exit(1);
        }
        const double t = now() - t0;
        const double c = cpu_now() - c0;
        if (best_cpu && c < *best_cpu) *best_cpu = c;
        if (r == 0 && first) *first = t;
        if (t < best) best = t;
    }
    return best;
}

int main(int argc, char **argv)
{
    size_t n = 32000;
    double rc = 5.0, rho = 0.0586, rmin = 2.0, bin_factor = -1.0;
    uint64_t seed = 12345;
    int repeats = 5, half = 0, spatial = 0;
    const char *npy = NULL;
    static const struct option opts[] = {
        {"n", required_argument, 0, 'n'},          {"cutoff", required_argument, 0, 'c'},
        {"rho", required_argument, 0, 'r'},        {"rmin", required_argument, 0, 'm'},
        {"seed", required_argument, 0, 's'},       {"repeats", required_argument, 0, 'k'},
        {"bin-factor", required_argument, 0, 'b'}, {"half", no_argument, 0, 'H'},
        {"npy", required_argument, 0, 'o'},        {"help", no_argument, 0, 'h'},
        {"spatial-order", no_argument, 0, 'S'},
        {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'n': n = (size_t)strtoull(optarg, NULL, 10); break;
        case 'c': rc = atof(optarg); break;
        case 'r': rho = atof(optarg); break;
        case 'm': rmin = atof(optarg); break;
        case 's': seed = strtoull(optarg, NULL, 10); break;
        case 'k': repeats = atoi(optarg); break;
        case 'b': bin_factor = atof(optarg); break;
        case 'H': half = 1; break;
        case 'o': npy = optarg; break;
        case 'S': spatial = 1; break;
        case 'h':
            puts("usage: bench_neighbor --n N --cutoff RC [--rho RHO] [--rmin R] [--seed S]\n"
                 "                      [--repeats K] [--bin-factor F] [--half] [--npy PATH]\n"
                 "                      [--spatial-order]");
            return 0;
        default: return 2;
        }
    }
    if (n == 0 || !(rc > 0) || !(rho > 0) || repeats < 1) {
        fprintf(stderr, "bench_neighbor: bad arguments\n");
        return 2;
    }
    const double box = cbrt((double)n / rho);
    double *x = malloc(3 * n * sizeof *x);
    if (!x || make_glass(n, box, rmin, seed, x) != 0) {
        fprintf(stderr, "bench_neighbor: could not place %zu atoms with rmin %g\n", n, rmin);
        return 1;
    }
    if (spatial) {
        sort_cell = rc;
        qsort(x, n, 3 * sizeof *x, cmp_spatial);
    }
    if (npy && write_npy(npy, x, n) != 0) {
        fprintf(stderr, "bench_neighbor: cannot write %s\n", npy);
        return 1;
    }
    sb_cell cell;
    sb_error err;
    if (sb_cell_set_ortho(&cell, box, box, box, &err) != SB_OK) {
        fprintf(stderr, "bench_neighbor: %s\n", err.msg);
        return 1;
    }
    sb_neighbor_options o = sb_neighbor_options_default();
    if (bin_factor > 0) o.bin_factor = bin_factor;
    o.half = half;
    sb_neighbor_list nl = SB_NEIGHBOR_LIST_INIT;
    double cold = 0.0, c1 = 0.0;
    const double t1 = time_builds(&nl, &cell, x, n, rc, &o, 1, repeats, &cold, &c1);
    const double t2 = time_builds(&nl, &cell, x, n, rc, &o, 2, repeats, NULL, NULL);
    const size_t entries = nl.offset[n];
    const size_t list_bytes =
        (n + 1) * sizeof *nl.offset + nl.capacity * (sizeof *nl.j + 3 * sizeof *nl.d);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("n=%zu box=%.17g cutoff=%g bin_factor=%g half=%d entries=%zu pairs=%zu "
           "t1=%.6f cpu1=%.6f t2=%.6f cold=%.6f list_mb=%.1f rss_mb=%.1f\n",
           n, box, rc, o.bin_factor, half, entries, half ? entries : entries / 2, t1, c1, t2, cold,
           (double)list_bytes / 1048576.0, (double)ru.ru_maxrss / 1024.0);
    sb_neighbor_free(&nl);
    free(x);
    return 0;
}
