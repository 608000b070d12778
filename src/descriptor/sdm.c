/*
 * Spatial density maps (shearband/sdm.h).
 *
 * Search. Every map needs the atoms in a cube of half-width a = h + 3 sigma around the
 * centre (sample frame; cube rotations map that cube onto itself, so one search serves
 * all 24 loadings). Atoms are counting-sorted into bins in fractional coordinates once per
 * structure. In fractional coordinates the cube spans |ds_k| <= a * sum_i |Hinv[i][k]|
 * (the exact extent of a cube under the linear map, valid for any triclinic cell); bins are
 * about a third of that extent so the visited stencil over-covers the cube by ~10x rather
 * than ~27x. A stencil step past the last bin wraps with an image shift, so cubes larger
 * than the cell see each periodic image exactly once (the (bin, shift) pairs are distinct).
 *
 * Rendering. A Gaussian is separable, so each atom adds an outer product of two (three)
 * short 1D weight vectors covering +-3 sigma: O(pixels within 3 sigma) per atom, no
 * transcendental work per pixel (the 1D weights come from a recurrence, two exp() per axis,
 * see gauss_taps). Maps are accumulated in float32 directly in the caller's buffer: the
 * thread that owns atom i writes only map i.
 */
#include "shearband/sdm.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Widest 1D weight vector: 6 sigma / pixel + 2 pixels. */
enum { SDM_MAX_TAP = 64 };
static const double sdm_pi = 3.14159265358979323846;

struct sb_sdm_builder {
    sb_sdm_params p;
    sb_cell cell;
    size_t n;
    double *s;          /* wrapped fractional coordinates, 3n, in bin order */
    int *channel;       /* type - 1 per atom, in bin order */
    size_t *slot;       /* slot[i] = position of atom i in bin order */
    size_t *bin_start;  /* nbins + 1 */
    int nb[3];          /* bins per axis */
    int reach[3];       /* stencil half-width per axis, in bins */
    double a;           /* search half-width h + 3 sigma */
};

sb_sdm_params sb_sdm_params_default(void)
{
    return (sb_sdm_params){
        .kind = SB_SDM_PROJ_XY, .half_width = 8.0, .grid = 32, .sigma = 0.5, .nspecies = 2};
}

sb_status sb_sdm_params_check(const sb_sdm_params *p, sb_error *err)
{
    if (p->kind != SB_SDM_PROJ_XY && p->kind != SB_SDM_PROJ_3 && p->kind != SB_SDM_GRID3D)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "unknown SDM kind %d", (int)p->kind);
    if (!(p->half_width > 0.0 && p->half_width < 100.0))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "SDM half-width %g A out of (0, 100)",
                            p->half_width);
    if (p->grid < 2 || p->grid > 256)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "SDM grid %d out of [2, 256]", p->grid);
    if (!(p->sigma > 0.0))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "SDM sigma %g must be > 0", p->sigma);
    const double pix = 2.0 * p->half_width / p->grid;
    if (6.0 * p->sigma / pix + 2.0 > SDM_MAX_TAP)
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "SDM sigma %g A spans too many %g A pixels (at most %d)", p->sigma, pix,
                            SDM_MAX_TAP - 2);
    if (p->nspecies < 1 || p->nspecies > 8)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "SDM needs 1..8 species, not %d", p->nspecies);
    return SB_OK;
}

const char *sb_sdm_kind_name(sb_sdm_kind kind)
{
    switch (kind) {
    case SB_SDM_PROJ_XY: return "proj_xy";
    case SB_SDM_PROJ_3: return "proj_3";
    case SB_SDM_GRID3D: return "grid3d";
    }
    return "unknown";
}

int sb_sdm_kind_from_name(const char *name)
{
    for (int k = 0; k <= SB_SDM_GRID3D; k++)
        if (strcmp(name, sb_sdm_kind_name((sb_sdm_kind)k)) == 0) return k;
    return -1;
}

void sb_sdm_shape(const sb_sdm_params *p, int *channels, int dims[3])
{
    dims[0] = dims[1] = p->grid;
    dims[2] = p->kind == SB_SDM_GRID3D ? p->grid : 1;
    *channels = p->kind == SB_SDM_PROJ_3 ? 3 * p->nspecies : p->nspecies;
}

size_t sb_sdm_map_size(const sb_sdm_params *p)
{
    int c, d[3];
    sb_sdm_shape(p, &c, d);
    return (size_t)c * (size_t)d[0] * (size_t)d[1] * (size_t)d[2];
}

void sb_sdm_builder_free(sb_sdm_builder *b)
{
    if (!b) return;
    free(b->s);
    free(b->channel);
    free(b->slot);
    free(b->bin_start);
    free(b);
}

static int bin_of(const sb_sdm_builder *b, const double s[3])
{
    int idx = 0;
    for (int k = 0; k < 3; k++) {
        int c = (int)(s[k] * b->nb[k]);
        if (c >= b->nb[k]) c = b->nb[k] - 1;
        idx = idx * b->nb[k] + c;
    }
    return idx;
}

sb_status sb_sdm_builder_create(sb_sdm_builder **out, const sb_structure *st, const sb_sdm_params *p,
                                sb_error *err)
{
    *out = NULL;
    sb_status rc = sb_sdm_params_check(p, err);
    if (rc != SB_OK) return rc;
    for (size_t i = 0; i < st->n; i++)
        if (st->type[i] < 1 || st->type[i] > p->nspecies)
            return sb_error_set(err, SB_ERR_INVALID_ARG,
                                "atom id %lld has type %d but the SDM has %d species channels",
                                (long long)st->id[i], st->type[i], p->nspecies);
    sb_sdm_builder *b = calloc(1, sizeof *b);
    if (!b) return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate SDM builder");
    b->p = *p;
    b->cell = st->cell;
    b->n = st->n;
    b->a = p->half_width + 3.0 * p->sigma;
    size_t nbins = 1;
    for (int k = 0; k < 3; k++) {
        const double ext = b->a * (fabs(st->cell.hinv[0][k]) + fabs(st->cell.hinv[1][k]) +
                                   fabs(st->cell.hinv[2][k]));
        const double nb = floor(3.0 / ext);
        b->nb[k] = nb < 1.0 ? 1 : (nb > 256.0 ? 256 : (int)nb);
        b->reach[k] = (int)ceil(ext * b->nb[k]);
        nbins *= (size_t)b->nb[k];
    }
    const size_t nn = st->n ? st->n : 1;
    b->s = malloc(3 * nn * sizeof *b->s);
    b->channel = malloc(nn * sizeof *b->channel);
    b->slot = malloc(nn * sizeof *b->slot);
    b->bin_start = calloc(nbins + 1, sizeof *b->bin_start);
    double *s_raw = malloc(3 * nn * sizeof *s_raw);
    int *bin = malloc(nn * sizeof *bin);
    if (!b->s || !b->channel || !b->slot || !b->bin_start || !s_raw || !bin) {
        free(s_raw);
        free(bin);
        sb_sdm_builder_free(b);
        return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate SDM builder for %zu atoms", st->n);
    }
    for (size_t i = 0; i < st->n; i++) {
        double *s = &s_raw[3 * i];
        sb_cell_to_frac(&st->cell, &st->x[3 * i], s);
        for (int k = 0; k < 3; k++) {
            if (!isfinite(s[k])) {
                free(s_raw);
                free(bin);
                sb_sdm_builder_free(b);
                return sb_error_set(err, SB_ERR_NUMERIC, "atom id %lld has a non-finite position",
                                    (long long)st->id[i]);
            }
            s[k] -= floor(s[k]);
            if (s[k] >= 1.0) s[k] -= 1.0;
        }
        bin[i] = bin_of(b, s);
        b->bin_start[bin[i] + 1]++;
    }
    for (size_t c = 0; c < nbins; c++) b->bin_start[c + 1] += b->bin_start[c];
    size_t *fill = malloc((nbins ? nbins : 1) * sizeof *fill);
    if (!fill) {
        free(s_raw);
        free(bin);
        sb_sdm_builder_free(b);
        return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate SDM bins");
    }
    memcpy(fill, b->bin_start, nbins * sizeof *fill);
    for (size_t i = 0; i < st->n; i++) {
        const size_t k = fill[bin[i]]++;
        memcpy(&b->s[3 * k], &s_raw[3 * i], 3 * sizeof(double));
        b->channel[k] = st->type[i] - 1;
        b->slot[i] = k;
    }
    free(fill);
    free(s_raw);
    free(bin);
    *out = b;
    return SB_OK;
}

/* Constants of the 1D Gaussian weights, fixed per builder. */
typedef struct sdm_taps {
    double h, pix, reach_pix; /* half-width, pixel size (A), 3 sigma in pixels */
    double c, q2;             /* 1 / (2 sigma^2) and exp(-2 c pix^2) */
    int grid;
} sdm_taps;

static sdm_taps taps_of(const sb_sdm_params *p)
{
    const double pix = 2.0 * p->half_width / p->grid, c = 1.0 / (2.0 * p->sigma * p->sigma);
    return (sdm_taps){.h = p->half_width, .pix = pix, .reach_pix = 3.0 * p->sigma / pix, .c = c,
                      .q2 = exp(-2.0 * c * pix * pix), .grid = p->grid};
}

/* 1D Gaussian weights of the pixels within 3 sigma of coordinate u (pixel centres at
 * -h + (k + 1/2) pix). Returns the first pixel index in *k0 and the count (0 if none).
 *
 * The weights come from a recurrence instead of one exp() per pixel (the exp()s were half
 * of the map cost): with d_k = d_0 + k pix the offset of pixel k from u,
 * w_{k+1} = w_k g_k with g_k = exp(-c (2 d_k pix + pix^2)), and g_{k+1} = g_k q2. Two exp()
 * per axis; each weight is at most ~2 * 7 roundings away from exp(-c d_k^2), i.e. exact
 * to round-off for the 7 or so taps within 3 sigma. */
static int gauss_taps(double u, const sdm_taps *t, double *w, int *k0)
{
    const double x = (u + t->h) / t->pix - 0.5; /* u in pixel-index units */
    int lo = (int)ceil(x - t->reach_pix);
    int hi = (int)floor(x + t->reach_pix);
    if (lo < 0) lo = 0;
    if (hi > t->grid - 1) hi = t->grid - 1;
    if (hi < lo) return 0;
    const double d0 = -t->h + (lo + 0.5) * t->pix - u;
    double wk = exp(-t->c * d0 * d0), gk = exp(-t->c * t->pix * (2.0 * d0 + t->pix));
    for (int k = 0; k <= hi - lo; k++) {
        w[k] = wk;
        wk *= gk;
        gk *= t->q2;
    }
    *k0 = lo;
    return hi - lo + 1;
}

/* Add one atom at in-plane coordinates (u, v) to the G x G image img. */
static void splat2d(float *img, double u, double v, const sdm_taps *t, double norm)
{
    double wu[SDM_MAX_TAP], wv[SDM_MAX_TAP];
    int u0, v0;
    const int nu = gauss_taps(u, t, wu, &u0);
    if (!nu) return;
    const int nv = gauss_taps(v, t, wv, &v0);
    for (int r = 0; r < nv; r++) {
        float *row = img + (size_t)(v0 + r) * (size_t)t->grid + u0;
        const double wr = wv[r] * norm;
        for (int c = 0; c < nu; c++) row[c] += (float)(wr * wu[c]);
    }
}

static void splat3d(float *vol, const double X[3], const sdm_taps *t, double norm)
{
    double w[3][SDM_MAX_TAP];
    int k0[3], nk[3];
    for (int a = 0; a < 3; a++) {
        nk[a] = gauss_taps(X[a], t, w[a], &k0[a]);
        if (!nk[a]) return;
    }
    const size_t g = (size_t)t->grid;
    /* Layout [x][y][z] with z fastest. */
    for (int i = 0; i < nk[0]; i++)
        for (int j = 0; j < nk[1]; j++) {
            float *line = vol + ((size_t)(k0[0] + i) * g + (size_t)(k0[1] + j)) * g + k0[2];
            const double wij = w[0][i] * w[1][j] * norm;
            for (int k = 0; k < nk[2]; k++) line[k] += (float)(wij * w[2][k]);
        }
}

/* Render the map of the atom in bin-order slot `ci` into out (zeroed here). */
static void render_one(const sb_sdm_builder *b, size_t ci, const int rot[3][3], float *out)
{
    const sb_sdm_params *p = &b->p;
    const double h = p->half_width, a = b->a;
    const sdm_taps t = taps_of(p);
    const double(*H)[3] = b->cell.h;
    const size_t plane = (size_t)p->grid * (size_t)p->grid;
    const size_t msize = sb_sdm_map_size(p);
    memset(out, 0, msize * sizeof *out);
    const double norm2 = 1.0 / (2.0 * sdm_pi * p->sigma * p->sigma);
    const double norm3 = norm2 / (sqrt(2.0 * sdm_pi) * p->sigma);
    const double *si = &b->s[3 * ci];
    int cb[3];
    for (int k = 0; k < 3; k++) {
        cb[k] = (int)(si[k] * b->nb[k]);
        if (cb[k] >= b->nb[k]) cb[k] = b->nb[k] - 1;
    }
    for (int dx = -b->reach[0]; dx <= b->reach[0]; dx++) {
        const int tx = cb[0] + dx;
        const int bx = ((tx % b->nb[0]) + b->nb[0]) % b->nb[0];
        const double shx = (double)((tx - bx) / b->nb[0]);
        for (int dy = -b->reach[1]; dy <= b->reach[1]; dy++) {
            const int ty = cb[1] + dy;
            const int by = ((ty % b->nb[1]) + b->nb[1]) % b->nb[1];
            const double shy = (double)((ty - by) / b->nb[1]);
            for (int dz = -b->reach[2]; dz <= b->reach[2]; dz++) {
                const int tz = cb[2] + dz;
                const int bz = ((tz % b->nb[2]) + b->nb[2]) % b->nb[2];
                const double shz = (double)((tz - bz) / b->nb[2]);
                const size_t bin = ((size_t)bx * (size_t)b->nb[1] + (size_t)by) * (size_t)b->nb[2] + (size_t)bz;
                for (size_t k = b->bin_start[bin]; k < b->bin_start[bin + 1]; k++) {
                    const double ds[3] = {b->s[3 * k] + shx - si[0], b->s[3 * k + 1] + shy - si[1],
                                          b->s[3 * k + 2] + shz - si[2]};
                    /* sb_cell_frac_to_vec, inlined: this runs for every candidate */
                    const double d[3] = {ds[0] * H[0][0] + ds[1] * H[1][0] + ds[2] * H[2][0],
                                         ds[1] * H[1][1] + ds[2] * H[2][1], ds[2] * H[2][2]};
                    if (fabs(d[0]) > a || fabs(d[1]) > a || fabs(d[2]) > a) continue;
                    double X[3];
                    for (int r = 0; r < 3; r++) X[r] = rot[r][0] * d[0] + rot[r][1] * d[1] + rot[r][2] * d[2];
                    const int ch = b->channel[k];
                    switch (p->kind) {
                    case SB_SDM_PROJ_XY:
                        if (fabs(X[2]) <= h) splat2d(out + (size_t)ch * plane, X[0], X[1], &t, norm2);
                        break;
                    case SB_SDM_PROJ_3: {
                        const int ns = p->nspecies;
                        if (fabs(X[2]) <= h) splat2d(out + (size_t)ch * plane, X[0], X[1], &t, norm2);
                        if (fabs(X[1]) <= h) splat2d(out + (size_t)(ns + ch) * plane, X[0], X[2], &t, norm2);
                        if (fabs(X[0]) <= h) splat2d(out + (size_t)(2 * ns + ch) * plane, X[1], X[2], &t, norm2);
                        break;
                    }
                    case SB_SDM_GRID3D:
                        splat3d(out + (size_t)ch * plane * (size_t)p->grid, X, &t, norm3);
                        break;
                    }
                }
            }
        }
    }
}

static int is_cube_rotation(const int rot[3][3])
{
    /* Rows are signed unit vectors, mutually orthogonal, determinant +1. */
    for (int r = 0; r < 3; r++) {
        int nz = 0;
        for (int c = 0; c < 3; c++) {
            if (rot[r][c] != 0 && rot[r][c] != 1 && rot[r][c] != -1) return 0;
            nz += rot[r][c] != 0;
        }
        if (nz != 1) return 0;
    }
    const int det = rot[0][0] * (rot[1][1] * rot[2][2] - rot[1][2] * rot[2][1]) -
                    rot[0][1] * (rot[1][0] * rot[2][2] - rot[1][2] * rot[2][0]) +
                    rot[0][2] * (rot[1][0] * rot[2][1] - rot[1][1] * rot[2][0]);
    return det == 1;
}

sb_status sb_sdm_compute(sb_sdm_builder *b, const size_t *atoms, size_t count, const int rot[3][3],
                         float *out, sb_error *err)
{
    if (!is_cube_rotation(rot))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "SDM loading rotation is not a proper cube rotation");
    for (size_t q = 0; q < count; q++)
        if (atoms[q] >= b->n)
            return sb_error_set(err, SB_ERR_INVALID_ARG, "SDM atom index %zu out of range (%zu atoms)",
                                atoms[q], b->n);
    const size_t msize = sb_sdm_map_size(&b->p);
    /* Each iteration writes only its own map: no sharing between threads. */
#pragma omp parallel for schedule(dynamic, 8)
    for (size_t q = 0; q < count; q++) render_one(b, b->slot[atoms[q]], rot, out + q * msize);
    return SB_OK;
}

/* Reverse the axes in `axes` (bit a: axis a, axis 0 slowest) of a G^ndim block, in place:
 * the index map is an involution, so swapping each pair once suffices. */
static void flip_block(float *a, int G, int ndim, unsigned axes)
{
    size_t n = 1;
    for (int k = 0; k < ndim; k++) n *= (size_t)G;
    for (size_t i = 0; i < n; i++) {
        size_t r = i, j = 0, stride = 1;
        for (int ax = ndim - 1; ax >= 0; ax--) {
            size_t c = r % (size_t)G;
            r /= (size_t)G;
            if (axes >> ax & 1u) c = (size_t)G - 1 - c;
            j += c * stride;
            stride *= (size_t)G;
        }
        if (i < j) {
            const float t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}

void sb_sdm_symmetry(const sb_sdm_params *p, float *map, unsigned sym)
{
    const int G = p->grid, ns = p->nspecies;
    const bool turn = sym & SB_SDM_HALF_TURN_Z, mirror = sym & SB_SDM_MIRROR_Z;
    const size_t plane = (size_t)G * (size_t)G;
    /* Images are [v][u] (axis 0 = v, axis 1 = u); volumes [X][Y][Z]. */
    switch (p->kind) {
    case SB_SDM_PROJ_XY: /* (u, v) = (X, Y): the mirror does not show in a projection on XY */
        if (turn)
            for (int c = 0; c < ns; c++) flip_block(map + (size_t)c * plane, G, 2, 3u);
        break;
    case SB_SDM_PROJ_3: { /* planes (X, Y), (X, Z), (Y, Z) as (u, v), ns channels each */
        const unsigned xy = turn ? 3u : 0u, side = (turn ? 2u : 0u) | (mirror ? 1u : 0u);
        for (int c = 0; c < ns; c++) {
            if (xy) flip_block(map + (size_t)c * plane, G, 2, xy);
            if (side) {
                flip_block(map + (size_t)(ns + c) * plane, G, 2, side);
                flip_block(map + (size_t)(2 * ns + c) * plane, G, 2, side);
            }
        }
        break;
    }
    case SB_SDM_GRID3D: {
        const unsigned axes = (turn ? 3u : 0u) | (mirror ? 4u : 0u);
        if (axes)
            for (int c = 0; c < ns; c++) flip_block(map + (size_t)c * plane * (size_t)G, G, 3, axes);
        break;
    }
    }
}
