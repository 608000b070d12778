/* Structure functions against a brute-force double (triple) loop over atoms and images. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/strucfunc.h"

static uint64_t rng = 777;
static double uniform(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

/* All images of all atoms within rc of atom i: displacement list (brute force). */
static size_t brute_neighbours(const sb_structure *s, size_t i, double rc, double (*d)[3], int *type, size_t cap)
{
    size_t n = 0;
    for (size_t j = 0; j < s->n; j++)
        for (int a = -2; a <= 2; a++)
            for (int b = -2; b <= 2; b++)
                for (int c = -2; c <= 2; c++) {
                    double v[3];
                    for (int k = 0; k < 3; k++)
                        v[k] = s->x[3 * j + k] - s->x[3 * i + k] + a * s->cell.h[0][k] + b * s->cell.h[1][k] +
                               c * s->cell.h[2][k];
                    const double r2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
                    if (r2 == 0.0 || r2 > rc * rc) continue;
                    cr_assert(n < cap);
                    memcpy(d[n], v, sizeof v);
                    type[n++] = s->type[j] - 1;
                }
    return n;
}

Test(strucfunc, matches_brute_force_on_a_tilted_cell)
{
    sb_structure s = SB_STRUCTURE_INIT;
    cr_assert_eq(sb_structure_alloc(&s, 150, 2, NULL), SB_OK);
    const double lo[3] = {0, 0, 0}, hi[3] = {13, 12, 14};
    cr_assert_eq(sb_cell_set(&s.cell, lo, hi, 4.0, -2.0, 1.5, NULL), SB_OK);
    for (size_t i = 0; i < s.n; i++) {
        const double f[3] = {uniform(), uniform(), uniform()};
        sb_cell_to_cart(&s.cell, f, &s.x[3 * i]);
        s.type[i] = 1 + (uniform() < 0.4);
    }
    sb_sf_params p = sb_sf_params_default();
    p.mu_max = 4.0;
    p.n_zeta = 3; /* 1, 2, 4 */
    const size_t nf = sb_sf_count(&p);
    cr_assert_eq(nf, 2u * 11u + 3u * 5u * 2u * 3u);
    double *got = malloc(s.n * nf * sizeof *got), *want = calloc(nf, sizeof *want);
    cr_assert_eq(sb_sf_compute(&s, &p, got, NULL), SB_OK);
    static double d[4096][3];
    static int ty[4096];
    const int nmu = sb_sf_n_mu(&p);
    for (size_t i = 0; i < s.n; i += 13) {
        memset(want, 0, nf * sizeof *want);
        const size_t n = brute_neighbours(&s, i, 6.0, d, ty, 4096);
        for (size_t a = 0; a < n; a++) {
            const double r = sqrt(d[a][0] * d[a][0] + d[a][1] * d[a][1] + d[a][2] * d[a][2]);
            if (r < p.mu_max + 3 * p.width_L)
                for (int m = 0; m < nmu; m++)
                    want[ty[a] * nmu + m] += exp(-pow(r - (p.mu_min + m * p.mu_step), 2) / pow(p.width_L, 2));
        }
        for (size_t a = 0; a < n; a++)
            for (size_t b = a + 1; b < n; b++) {
                const double ra = sqrt(d[a][0] * d[a][0] + d[a][1] * d[a][1] + d[a][2] * d[a][2]);
                const double rb = sqrt(d[b][0] * d[b][0] + d[b][1] * d[b][1] + d[b][2] * d[b][2]);
                if (ra >= p.angular_cutoff || rb >= p.angular_cutoff) continue;
                const double rab = sqrt(pow(d[a][0] - d[b][0], 2) + pow(d[a][1] - d[b][1], 2) + pow(d[a][2] - d[b][2], 2));
                const double cosine = (d[a][0] * d[b][0] + d[a][1] * d[b][1] + d[a][2] * d[b][2]) / (ra * rb);
                const int lo_t = ty[a] < ty[b] ? ty[a] : ty[b], hi_t = ty[a] < ty[b] ? ty[b] : ty[a];
                const int pair = lo_t == 0 ? hi_t : 2; /* (0,0)=0, (0,1)=1, (1,1)=2 */
                for (int x = 0; x < p.n_xi; x++)
                    for (int l = 0; l < 2; l++)
                        for (int z = 0; z < p.n_zeta; z++) {
                            const double base = 1 + (l ? 1 : -1) * cosine;
                            const size_t k = 2 * (size_t)nmu + (((size_t)pair * p.n_xi + x) * 2 + l) * p.n_zeta + z;
                            want[k] += exp(-(ra * ra + rb * rb + rab * rab) / (p.xi[x] * p.xi[x])) *
                                       (base > 0 ? pow(base, p.zeta[z]) : 0);
                        }
            }
        for (size_t k = 0; k < nf; k++)
            cr_assert(fabs(got[i * nf + k] - want[k]) <= 1e-10 * (1 + fabs(want[k])),
                      "atom %zu feature %zu: %.15g vs %.15g", i, k, got[i * nf + k], want[k]);
    }
    char name[64];
    sb_sf_feature_name(&p, (const char (*)[8])s.type_name, 2, name, sizeof name);
    cr_assert_str_eq(name, "G_1(2.40)");
    free(got);
    free(want);
    sb_structure_free(&s);
}

Test(strucfunc, default_count_and_bad_parameters)
{
    sb_sf_params p = sb_sf_params_default();
    cr_assert_eq(sb_sf_count(&p), 162u);
    sb_error err;
    p.width_L = 0;
    cr_assert_eq(sb_sf_params_check(&p, &err), SB_ERR_INVALID_ARG);
    p = sb_sf_params_default();
    p.zeta[0] = 0.5;
    cr_assert_eq(sb_sf_params_check(&p, &err), SB_ERR_INVALID_ARG);
}
