/*
 * bench_io: time writing and reading a 256,000-atom triclinic structure in each format
 * (LAMMPS data, dump, extended XYZ). Run by hand on an idle machine:
 *     build/bench/bench_io [natoms] [dir]
 * Prints one line per format with write and read times in seconds.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "shearband/io.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    const size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 256000;
    const char *dir = argc > 2 ? argv[2] : "/tmp";
    sb_structure s = SB_STRUCTURE_INIT;
    sb_error err;
    if (sb_structure_alloc(&s, n, 2, &err) != SB_OK) return 1;
    const double l = cbrt((double)n / 0.0558);
    const double lo[3] = {0, 0, 0}, hi[3] = {l, l, l};
    sb_cell_set(&s.cell, lo, hi, 0.01 * l, -0.02 * l, 0.015 * l, NULL);
    const char *names[2] = {"Cu", "Zr"};
    sb_structure_set_elements(&s, names, NULL);
    sb_structure_ensure_images(&s, NULL);
    unsigned long long state = 12345;
    for (size_t i = 0; i < n; i++) {
        double f[3];
        for (int k = 0; k < 3; k++) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            f[k] = (double)(state >> 11) * 0x1.0p-53;
        }
        sb_cell_to_cart(&s.cell, f, &s.x[3 * i]);
        s.type[i] = 1 + (int)(i % 2);
    }
    static const char *const ext[3] = {"data", "dump", "xyz"};
    printf("%zu atoms\nformat   write_s   read_s\n", n);
    for (int k = 0; k < 3; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/bench_io.%s", dir, ext[k]);
        const double t0 = now();
        if (sb_write_structure(path, &s, &err) != SB_OK) return fprintf(stderr, "%s\n", err.msg), 1;
        const double t1 = now();
        sb_structure r = SB_STRUCTURE_INIT;
        if (sb_read_structure(path, &r, &err) != SB_OK) return fprintf(stderr, "%s\n", err.msg), 1;
        const double t2 = now();
        printf("%-6s %9.3f %8.3f\n", ext[k], t1 - t0, t2 - t1);
        sb_structure_free(&r);
        remove(path);
    }
    sb_structure_free(&s);
    return 0;
}
