/* Fixtures for the structure I/O tests (tests/common/io_testutil.h). */
#define _POSIX_C_SOURCE 200809L
#include "io_testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/fileutil.h"

static uint64_t next_u64(uint64_t *state)
{
    /* splitmix64 */
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *state)
{
    return (double)(next_u64(state) >> 11) * 0x1.0p-53;
}

void iot_random_structure(sb_structure *s, size_t n, bool triclinic, bool with_images,
                          uint64_t seed)
{
    uint64_t st = seed;
    sb_structure_alloc(s, n, 2, NULL);
    const double lo[3] = {-1.0 + uniform(&st), -0.5 * uniform(&st), 2.0 * uniform(&st)};
    const double hi[3] = {lo[0] + 10.0 + 5.0 * uniform(&st), lo[1] + 11.0 + 3.0 * uniform(&st),
                          lo[2] + 9.0 + 4.0 * uniform(&st)};
    const double xy = triclinic ? 2.0 * uniform(&st) - 1.0 : 0.0;
    const double xz = triclinic ? 3.0 * uniform(&st) - 1.5 : 0.0;
    const double yz = triclinic ? 2.0 * uniform(&st) - 1.0 : 0.0;
    sb_cell_set(&s->cell, lo, hi, xy, xz, yz, NULL);
    const char *names[2] = {"Cu", "Zr"};
    sb_structure_set_elements(s, names, NULL);
    if (with_images) sb_structure_ensure_images(s, NULL);
    /* ids: a shuffled subset of 1..3n */
    for (size_t i = 0; i < n; i++) s->id[i] = (int64_t)(3 * i + 1 + next_u64(&st) % 3);
    for (size_t i = n; i > 1; i--) {
        const size_t j = next_u64(&st) % i;
        const int64_t t = s->id[i - 1];
        s->id[i - 1] = s->id[j];
        s->id[j] = t;
    }
    for (size_t i = 0; i < n; i++) {
        s->type[i] = 1 + (int)(next_u64(&st) % 2);
        const double f[3] = {uniform(&st), uniform(&st), uniform(&st)};
        sb_cell_to_cart(&s->cell, f, &s->x[3 * i]);
        if (with_images)
            for (int k = 0; k < 3; k++) s->image[3 * i + k] = (int)(next_u64(&st) % 5) - 2;
    }
    s->timestep = 1000;
}

void iot_tmp_path(char *out, size_t size, const char *name)
{
    const char *dir = getenv("SB_TEST_TMP");
    if (!dir || !*dir) dir = "/tmp";
    sb_mkdir_p(dir, NULL);
    snprintf(out, size, "%s/%s", dir, name);
}

double iot_max_pos_diff(const sb_structure *a, const sb_structure *b)
{
    if (a->n != b->n) return -1.0;
    size_t *order = NULL;
    if (sb_structure_id_order(b, &order, NULL) != SB_OK) return -1.0;
    double worst = 0.0;
    for (size_t i = 0; i < a->n; i++) {
        const size_t j = sb_structure_index_of(b, order, a->id[i]);
        if (j == (size_t)-1) {
            worst = -1.0;
            break;
        }
        for (int k = 0; k < 3; k++) worst = fmax(worst, fabs(a->x[3 * i + k] - b->x[3 * j + k]));
    }
    free(order);
    return worst;
}

bool iot_write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");
    if (!fp) return false;
    const size_t len = strlen(text);
    const bool ok = fwrite(text, 1, len, fp) == len;
    return fclose(fp) == 0 && ok;
}

char *iot_read_text(const char *path)
{
    char *buf = NULL;
    sb_error err;
    return sb_read_file(path, &buf, NULL, &err) == SB_OK ? buf : NULL;
}
