/*
 * Structure functions for softness (shearband/strucfunc.h).
 *
 * One full neighbour list at the larger of the two cutoffs serves both blocks. The angular
 * block is the cost: O(k^2) pairs per atom for k neighbours within rc_ang (~50 in a Cu-Zr
 * glass at 5 A), each pair feeding n_xi * 2 * n_zeta terms; the exponentials are factored
 * (exp(-(a+b+c)/xi^2) computed once per xi) and cos^zeta by repeated products when zeta is a
 * small integer. Threads own atoms: atom i's row is written only by the thread handling i.
 */
#include "shearband/strucfunc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/neighbor.h"

sb_sf_params sb_sf_params_default(void)
{
    sb_sf_params p = {.mu_min = 2.0, .mu_max = 6.0, .mu_step = 0.2, .width_L = 0.2,
                      .angular_cutoff = 5.0, .n_xi = 5, .xi = {2.5, 3.0, 3.5, 4.0, 4.5},
                      .n_zeta = 4, .zeta = {1, 2, 4, 16}, .nspecies = 2};
    return p;
}

int sb_sf_n_mu(const sb_sf_params *p)
{
    return (int)floor((p->mu_max - p->mu_min) / p->mu_step + 1e-9) + 1;
}

static int n_pairs(int ns) { return ns * (ns + 1) / 2; }

size_t sb_sf_count(const sb_sf_params *p)
{
    return (size_t)p->nspecies * (size_t)sb_sf_n_mu(p) +
           (size_t)n_pairs(p->nspecies) * (size_t)p->n_xi * 2u * (size_t)p->n_zeta;
}

sb_status sb_sf_params_check(const sb_sf_params *p, sb_error *err)
{
    if (!(p->mu_step > 0 && p->mu_max >= p->mu_min && p->mu_min >= 0 && p->width_L > 0))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "bad radial grid mu %g..%g step %g, L %g", p->mu_min,
                            p->mu_max, p->mu_step, p->width_L);
    if (!(p->angular_cutoff > 0))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "angular cutoff %g must be > 0", p->angular_cutoff);
    if (p->n_xi < 0 || p->n_xi > SB_SF_MAX_XI || p->n_zeta < 0 || p->n_zeta > SB_SF_MAX_ZETA)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "too many xi or zeta values");
    for (int a = 0; a < p->n_xi; a++)
        if (!(p->xi[a] > 0)) return sb_error_set(err, SB_ERR_INVALID_ARG, "xi %g must be > 0", p->xi[a]);
    for (int a = 0; a < p->n_zeta; a++)
        if (!(p->zeta[a] >= 1)) return sb_error_set(err, SB_ERR_INVALID_ARG, "zeta %g must be >= 1", p->zeta[a]);
    if (p->nspecies < 1 || p->nspecies > 8)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "structure functions need 1..8 species");
    return SB_OK;
}

/* Index of the unordered species pair {b, c} (0-based, b <= c after sorting). */
static int pair_index(int b, int c, int ns)
{
    if (b > c) {
        const int t = b;
        b = c;
        c = t;
    }
    return b * ns - b * (b - 1) / 2 + (c - b);
}

static void species_name(const char (*type_name)[8], int t, char *buf, size_t sz)
{
    if (type_name && type_name[t][0]) snprintf(buf, sz, "%s", type_name[t]);
    else snprintf(buf, sz, "%d", t + 1);
}

void sb_sf_feature_name(const sb_sf_params *p, const char (*type_name)[8], size_t k, char *buf, size_t bufsz)
{
    const size_t nrad = (size_t)p->nspecies * (size_t)sb_sf_n_mu(p);
    char a[16], b[16];
    if (k < nrad) {
        const int sp = (int)(k / (size_t)sb_sf_n_mu(p)), m = (int)(k % (size_t)sb_sf_n_mu(p));
        species_name(type_name, sp, a, sizeof a);
        snprintf(buf, bufsz, "G_%s(%.2f)", a, p->mu_min + m * p->mu_step);
        return;
    }
    size_t r = k - nrad;
    const size_t per_pair = (size_t)p->n_xi * 2u * (size_t)p->n_zeta;
    const int pair = (int)(r / per_pair);
    r %= per_pair;
    const int xi = (int)(r / (2u * (size_t)p->n_zeta));
    r %= 2u * (size_t)p->n_zeta;
    const int lam = r / (size_t)p->n_zeta ? 1 : -1;
    const int z = (int)(r % (size_t)p->n_zeta);
    int sb = 0, sc = 0;
    for (int x = 0; x < p->nspecies; x++)
        for (int y = x; y < p->nspecies; y++)
            if (pair_index(x, y, p->nspecies) == pair) {
                sb = x;
                sc = y;
            }
    species_name(type_name, sb, a, sizeof a);
    species_name(type_name, sc, b, sizeof b);
    snprintf(buf, bufsz, "Psi_%s%s(xi=%g,l=%+d,z=%g)", a, b, p->xi[xi], lam, p->zeta[z]);
}

/* (1 + lambda cos)^zeta, by products for integer zeta. */
static double angular_power(double base, double zeta)
{
    if (base <= 0.0) return 0.0;
    const double zi = floor(zeta);
    if (zi == zeta && zi <= 32) {
        double r = 1.0, b = base;
        unsigned e = (unsigned)zi;
        while (e) {
            if (e & 1u) r *= b;
            b *= b;
            e >>= 1;
        }
        return r;
    }
    return pow(base, zeta);
}

sb_status sb_sf_compute(const sb_structure *s, const sb_sf_params *p, double *out, sb_error *err)
{
    sb_status rc = sb_sf_params_check(p, err);
    if (rc != SB_OK) return rc;
    for (size_t i = 0; i < s->n; i++)
        if (s->type[i] < 1 || s->type[i] > p->nspecies)
            return sb_error_set(err, SB_ERR_INVALID_ARG, "atom id %lld has type %d, but %d species expected",
                                (long long)s->id[i], s->type[i], p->nspecies);
    const int nmu = sb_sf_n_mu(p);
    const double rc_rad = p->mu_max + 3.0 * p->width_L;
    const double cutoff = fmax(rc_rad, p->angular_cutoff);
    sb_neighbor_list nl = SB_NEIGHBOR_LIST_INIT;
    rc = sb_neighbor_build(&nl, &s->cell, s->x, s->n, cutoff, err);
    if (rc != SB_OK) return rc;
    const size_t nf = sb_sf_count(p);
    const size_t nrad = (size_t)p->nspecies * (size_t)nmu;
    const size_t per_pair = (size_t)p->n_xi * 2u * (size_t)p->n_zeta;
    const double invL2 = 1.0 / (p->width_L * p->width_L);
    const double rca2 = p->angular_cutoff * p->angular_cutoff;

#pragma omp parallel for schedule(dynamic, 32)
    for (size_t i = 0; i < s->n; i++) {
        double *row = out + i * nf;
        memset(row, 0, nf * sizeof *row);
        const size_t beg = nl.offset[i], end = nl.offset[i + 1];
        for (size_t e = beg; e < end; e++) {
            const double *d = &nl.d[3 * e];
            const double r = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
            if (r >= rc_rad) continue;
            double *g = row + (size_t)(s->type[nl.j[e]] - 1) * (size_t)nmu;
            for (int m = 0; m < nmu; m++) {
                const double dm = r - (p->mu_min + m * p->mu_step);
                g[m] += exp(-dm * dm * invL2);
            }
        }
        for (size_t e = beg; e < end; e++) {
            const double *dj = &nl.d[3 * e];
            const double rij2 = dj[0] * dj[0] + dj[1] * dj[1] + dj[2] * dj[2];
            if (rij2 >= rca2) continue;
            const int tj = s->type[nl.j[e]] - 1;
            for (size_t f = e + 1; f < end; f++) {
                const double *dk = &nl.d[3 * f];
                const double rik2 = dk[0] * dk[0] + dk[1] * dk[1] + dk[2] * dk[2];
                if (rik2 >= rca2) continue;
                const double djk[3] = {dk[0] - dj[0], dk[1] - dj[1], dk[2] - dj[2]};
                const double rjk2 = djk[0] * djk[0] + djk[1] * djk[1] + djk[2] * djk[2];
                const double cosine = (dj[0] * dk[0] + dj[1] * dk[1] + dj[2] * dk[2]) / sqrt(rij2 * rik2);
                const int tk = s->type[nl.j[f]] - 1;
                double *psi = row + nrad + (size_t)pair_index(tj, tk, p->nspecies) * per_pair;
                const double sum2 = rij2 + rik2 + rjk2;
                for (int x = 0; x < p->n_xi; x++) {
                    const double ex = exp(-sum2 / (p->xi[x] * p->xi[x]));
                    for (int l = 0; l < 2; l++) {
                        const double base = 1.0 + (l ? 1.0 : -1.0) * cosine;
                        double *slot = psi + ((size_t)x * 2u + (size_t)l) * (size_t)p->n_zeta;
                        for (int z = 0; z < p->n_zeta; z++) slot[z] += ex * angular_power(base, p->zeta[z]);
                    }
                }
            }
        }
    }
    sb_neighbor_free(&nl);
    return SB_OK;
}
