/*
 * Voronoi analysis timing: `bench_voronoi FILE [repeats]` reads a structure and prints the
 * best wall time of sb_voronoi_compute (plain tessellation, default filters) and the peak
 * RSS. bench/run_voronoi.sh runs it next to LAMMPS's compute voronoi/atom on the same file.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "shearband/io.h"
#include "shearband/voronoi.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_voronoi FILE [repeats]\n");
        return 2;
    }
    const int repeats = argc > 2 ? atoi(argv[2]) : 3;
    sb_error err;
    sb_structure s = SB_STRUCTURE_INIT;
    if (sb_read_structure(argv[1], &s, &err) != SB_OK) {
        fprintf(stderr, "bench_voronoi: %s\n", err.msg);
        return 1;
    }
    sb_voronoi_atom *v = malloc(s.n * sizeof *v);
    sb_voronoi_params p = sb_voronoi_params_default();
    double best = 1e30, vol = 0;
    for (int r = 0; r < repeats; r++) {
        const double t0 = now();
        if (sb_voronoi_compute(&s, &p, v, &err) != SB_OK) {
            fprintf(stderr, "bench_voronoi: %s\n", err.msg);
            return 1;
        }
        const double t = now() - t0;
        if (t < best) best = t;
    }
    for (size_t i = 0; i < s.n; i++) vol += v[i].volume;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("atoms %zu seconds %.4f volume_sum %.6f cell_volume %.6f peak_rss_MiB %.1f\n", s.n, best, vol,
           sb_cell_volume(&s.cell), ru.ru_maxrss / 1024.0);
    free(v);
    sb_structure_free(&s);
    return 0;
}
