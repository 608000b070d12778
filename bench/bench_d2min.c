/*
 * bench_d2min: D2min + band location, timed, for the side-by-side run in bench/run_d2min.sh.
 *
 * Two modes, so that the timed process holds only what it needs:
 *   --generate DIR --n N [--seed S] [--gamma G]
 *       makes a synthetic glass-like pair of frames and writes DIR/ref.npy, DIR/cur.npy
 *       (N x 3 float64) and prints "box=L xy=XY band_centre=C". Reference: random sequential
 *       addition (minimum separation 2.1 A) at the Cu50Zr50 number density 0.0586 A^-3 in a
 *       cubic box. Current: the cell sheared to xy = G * L (default G = 0.2, an AQS frame at
 *       20 % strain), positions mapped affinely, plus Gaussian non-affine noise of 0.3 A per
 *       component inside a horizontal band 19 A wide centred at y = 0.37 L and 0.03 A
 *       outside; then wrapped into the tilted cell (many atoms cross its faces).
 *   --run DIR --box L --xy XY [--repeats K]
 *       reads the frames, then times sb_d2min_compute (reference neighbour list included,
 *       atoms matched by id) and sb_band_locate (current positions), best of K, and writes
 *       DIR/d2min_sb.npy (N x 1) for the agreement check. Prints key=value pairs: times,
 *       CPU time, peak RSS of this process, and the band found.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "shearband/analysis.h"
#include "shearband/neighbor.h"
#include "shearband/strain.h"
#include "shearband/structure.h"

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

static double uniform(uint64_t *st)
{
    return (double)(splitmix64(st) >> 11) * 0x1.0p-53;
}

static double gauss(uint64_t *st)
{
    double u = uniform(st), v = uniform(st);
    if (u < 1e-300) u = 1e-300;
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* Random sequential addition in [0, L)^3 with a link-cell grid. */
static int make_glass(size_t n, double box, double rmin, uint64_t seed, double *x)
{
    const int g = (int)floor(box / rmin) < 1 ? 1 : (int)floor(box / rmin);
    const size_t ncell = (size_t)g * g * g;
    long *head = malloc(ncell * sizeof *head), *next = malloc(n * sizeof *next);
    if (!head || !next) return -1;
    for (size_t c = 0; c < ncell; c++) head[c] = -1;
    uint64_t st = seed;
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
                        const int q0 = (c[0] + a + g) % g, q1 = (c[1] + b + g) % g, q2 = (c[2] + e + g) % g;
                        for (long j = head[((size_t)q2 * g + q1) * g + q0]; j >= 0 && ok; j = next[j]) {
                            double r2 = 0;
                            for (int k = 0; k < 3; k++) {
                                double d = x[3 * j + k] - p[k];
                                d -= box * nearbyint(d / box);
                                r2 += d * d;
                            }
                            if (r2 < rmin * rmin) ok = 0;
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
            free(head), free(next);
            return -1;
        }
    }
    free(head), free(next);
    return 0;
}

static int write_npy(const char *path, const double *x, size_t n, int ncol)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    char dict[128];
    int len = ncol == 1 ? snprintf(dict, sizeof dict, "{'descr': '<f8', 'fortran_order': False, 'shape': (%zu,), }", n)
                        : snprintf(dict, sizeof dict, "{'descr': '<f8', 'fortran_order': False, 'shape': (%zu, %d), }", n, ncol);
    const int total = 10 + len + 1;
    const int pad = (64 - total % 64) % 64;
    const unsigned short hlen = (unsigned short)(len + pad + 1);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    const unsigned char hl[2] = {(unsigned char)(hlen & 0xff), (unsigned char)(hlen >> 8)};
    fwrite(hl, 1, 2, f);
    fwrite(dict, 1, (size_t)len, f);
    for (int i = 0; i < pad; i++) fputc(' ', f);
    fputc('\n', f);
    const size_t wrote = fwrite(x, sizeof *x, (size_t)ncol * n, f);
    return (fclose(f) == 0 && wrote == (size_t)ncol * n) ? 0 : -1;
}

/* Reads an .npy written by write_npy (N x 3 float64, little endian). */
static double *read_npy3(const char *path, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char head[10];
    double *x = malloc(3 * n * sizeof *x);
    int ok = x && fread(head, 1, 10, f) == 10 && memcmp(head, "\x93NUMPY", 6) == 0;
    if (ok) ok = fseek(f, 10 + (long)(head[8] | (head[9] << 8)), SEEK_SET) == 0;
    if (ok) ok = fread(x, sizeof *x, 3 * n, f) == 3 * n;
    fclose(f);
    if (!ok) {
        free(x);
        return NULL;
    }
    return x;
}

static int generate(const char *dir, size_t n, uint64_t seed, double gamma)
{
    const double L = cbrt((double)n / 0.0586);
    double *x = malloc(3 * n * sizeof *x), *y = malloc(3 * n * sizeof *y);
    if (!x || !y || make_glass(n, L, 2.1, seed, x) != 0) return 1;
    sb_cell ref, cur;
    const double lo[3] = {0, 0, 0}, hi[3] = {L, L, L};
    sb_cell_set(&ref, lo, hi, 0, 0, 0, NULL);
    sb_cell_set(&cur, lo, hi, gamma * L, 0, 0, NULL);
    const double yc = 0.37 * L, half = 9.5;
    uint64_t st = seed ^ 0xabcdefULL;
    for (size_t i = 0; i < n; i++) {
        double s[3];
        sb_cell_to_frac(&ref, x + 3 * i, s);
        sb_cell_to_cart(&cur, s, y + 3 * i);
        double dy = x[3 * i + 1] - yc;
        dy -= L * nearbyint(dy / L);
        const double sigma = fabs(dy) <= half ? 0.3 : 0.03;
        for (int k = 0; k < 3; k++) y[3 * i + k] += sigma * gauss(&st);
        sb_cell_wrap(&cur, y + 3 * i, NULL);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/ref.npy", dir);
    if (write_npy(path, x, n, 3) != 0) return 1;
    snprintf(path, sizeof path, "%s/cur.npy", dir);
    if (write_npy(path, y, n, 3) != 0) return 1;
    printf("box=%.17g xy=%.17g band_centre=%.6f\n", L, gamma * L, yc);
    free(x), free(y);
    return 0;
}

static int run(const char *dir, size_t n, double L, double xy, int repeats)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/ref.npy", dir);
    double *xr = read_npy3(path, n);
    snprintf(path, sizeof path, "%s/cur.npy", dir);
    double *xc = read_npy3(path, n);
    if (!xr || !xc) {
        fprintf(stderr, "bench_d2min: cannot read frames in %s\n", dir);
        return 1;
    }
    sb_structure R = SB_STRUCTURE_INIT, C = SB_STRUCTURE_INIT;
    sb_error err;
    if (sb_structure_alloc(&R, n, 1, &err) != SB_OK || sb_structure_alloc(&C, n, 1, &err) != SB_OK) {
        fprintf(stderr, "bench_d2min: %s\n", err.msg);
        return 1;
    }
    const double lo[3] = {0, 0, 0}, hi[3] = {L, L, L};
    sb_cell_set(&R.cell, lo, hi, 0, 0, 0, NULL);
    sb_cell_set(&C.cell, lo, hi, xy, 0, 0, NULL);
    memcpy(R.x, xr, 3 * n * sizeof *xr);
    memcpy(C.x, xc, 3 * n * sizeof *xc);
    free(xr), free(xc);

    sb_d2min_options o = sb_d2min_options_default();
    o.gradient = 0; /* the peer computes J but keeps only D2min and the strain, likewise */
    sb_d2min_result res = SB_D2MIN_RESULT_INIT;
    sb_band_result band = SB_BAND_RESULT_INIT;
    double best_d2 = 1e300, best_band = 1e300, best_cpu = 1e300, cold = 0.0;
    for (int r = 0; r < repeats; r++) {
        const double t0 = now(), c0 = cpu_now();
        if (sb_d2min_compute(&R, &C, &o, &res, &err) != SB_OK) {
            fprintf(stderr, "bench_d2min: %s\n", err.msg);
            return 1;
        }
        const double t1 = now();
        if (sb_band_locate(&C.cell, C.x, C.id, res.d2min, res.shear_strain, n, NULL, &band, &err) != SB_OK) {
            fprintf(stderr, "bench_d2min: %s\n", err.msg);
            return 1;
        }
        const double t2 = now(), c2 = cpu_now();
        if (r == 0) cold = t2 - t0;
        if (t1 - t0 + (t2 - t1) < best_d2 + best_band) {
            best_d2 = t1 - t0;
            best_band = t2 - t1;
        }
        if (c2 - c0 < best_cpu) best_cpu = c2 - c0;
    }
    /* Breakdown: the reference neighbour list alone (part of t_d2min). */
    double best_nl = 1e300;
    {
        sb_neighbor_list nl = SB_NEIGHBOR_LIST_INIT;
        for (int r = 0; r < repeats; r++) {
            const double t0 = now();
            sb_neighbor_build(&nl, &R.cell, R.x, n, o.cutoff, &err);
            if (now() - t0 < best_nl) best_nl = now() - t0;
        }
        sb_neighbor_free(&nl);
    }
    snprintf(path, sizeof path, "%s/d2min_sb.npy", dir);
    write_npy(path, res.d2min, n, 1);
    snprintf(path, sizeof path, "%s/strain_sb.npy", dir);
    write_npy(path, res.shear_strain, n, 1);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("n=%zu t_nl=%.6f t_d2min=%.6f t_band=%.6f t=%.6f cpu=%.6f cold=%.6f rss_mb=%.1f singular=%zu "
           "band_found=%d band_axis=%d band_centre=%.4f\n",
           n, best_nl, best_d2, best_band, best_d2 + best_band, best_cpu, cold, (double)ru.ru_maxrss / 1024.0,
           res.n_singular, band.found, band.axis, band.centre);
    sb_d2min_result_free(&res);
    sb_band_result_free(&band);
    sb_structure_free(&R);
    sb_structure_free(&C);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"generate", required_argument, 0, 'g'}, {"run", required_argument, 0, 'r'},
        {"n", required_argument, 0, 'n'},        {"seed", required_argument, 0, 's'},
        {"gamma", required_argument, 0, 'G'},    {"box", required_argument, 0, 'L'},
        {"xy", required_argument, 0, 'x'},       {"repeats", required_argument, 0, 'k'},
        {0, 0, 0, 0}};
    const char *gen = NULL, *runs = NULL;
    size_t n = 32000;
    uint64_t seed = 2024;
    double gamma = 0.2, L = 0.0, xy = 0.0;
    int repeats = 3, c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'g': gen = optarg; break;
        case 'r': runs = optarg; break;
        case 'n': n = (size_t)strtoull(optarg, NULL, 10); break;
        case 's': seed = strtoull(optarg, NULL, 10); break;
        case 'G': gamma = strtod(optarg, NULL); break;
        case 'L': L = strtod(optarg, NULL); break;
        case 'x': xy = strtod(optarg, NULL); break;
        case 'k': repeats = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: bench_d2min --generate DIR --n N [--seed S] [--gamma G]\n"
                            "       bench_d2min --run DIR --n N --box L --xy XY [--repeats K]\n");
            return 2;
        }
    }
    if (gen) return generate(gen, n, seed, gamma);
    if (runs && L > 0.0 && repeats > 0) return run(runs, n, L, xy, repeats);
    fprintf(stderr, "bench_d2min: give --generate DIR or --run DIR --box L --xy XY\n");
    return 2;
}
