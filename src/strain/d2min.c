/*
 * D2min (Falk & Langer 1998), best-fit local deformation gradient J and von Mises strain.
 * Definitions and conventions are in shearband/strain.h; this comment explains the
 * computation.
 *
 * Bonds. The reference bond d0_ij comes from the reference neighbour list (it is already
 * the right periodic image). The current bond is written in reduced coordinates,
 *     d_ij = (d0_ij H_R^-1 + u_j - u_i) H_C,  u_i = s_i(C) - s_i(R) - nearbyint(...),
 * so the affine part of the deformation is carried by the cells and only the small
 * non-affine displacements are rounded to the nearest image. Expanding,
 *     d_ij = d0_ij M + (U_j - U_i),  M = H_R^-1 H_C (3x3),  U_i = u_i H_C,
 * so each atom's U is computed once (O(N), before the main loop) and each bond costs a
 * 3x3 product and an add. An affine map of cell and positions leaves every u at zero and
 * gives d = d0 M exactly, so J = M^T (column convention) and D2min vanishes to round-off
 * whatever the tilt.
 *
 * Fit. With X = sum d d0^T and Y = sum d0 d0^T (3x3, Y symmetric positive semi-definite),
 * J = X Y^-1 minimises sum |d - J d0|^2. Writing d = A d0 + w with A = M^T (the affine map
 * of the cells) and w = U_j - U_i (the non-affine part), X = A Y + W with W = sum w d0^T, so
 * J = A + K with K = W Y^-1, and the residual d - J d0 = w - K d0 never involves the affine
 * part at all: an affine frame gives w = 0 and D2min = 0 exactly, and the arithmetic works
 * on the small non-affine quantities only. Y is inverted through its adjugate after the
 * scale-free conditioning test det(Y) >= tol (tr Y / 3)^3; a second pass over the bonds
 * then sums |w - K d0|^2 directly. The one-pass expansion sum|w|^2 - tr(K W^T) would save
 * that pass but loses digits to cancellation whenever the non-affine field is locally
 * near-affine (D2min << sum|w|^2, e.g. small AQS steps), exactly the atoms a regression
 * test or a top-1 % threshold must still resolve.
 *
 * Two kernels compute exactly this.
 *   - sb_d2min_from_neighbors (public, and behind sb_d2min_compute_reference, the test
 *     oracle): reads a stored full CSR list, one row per atom.
 *   - The fused kernel behind sb_d2min_compute never stores a list. Building and storing
 *     the full list (~1 M bonds, 28 MB at 32k atoms, written in atom order, then read
 *     back) was ~60 % of the time. Instead the kernel walks the binning plan of
 *     src/cell/neighbor.c (cell/neighbor_internal.h) bin by bin: nb_tile_build() collects
 *     once the stencil candidates that can reach any atom of the bin (~85 of ~180, culled
 *     against the bounding box of the bin's ~4 atoms), then nb_tile_gather() gives each
 *     atom of the bin its ~30 neighbours (sorted index and d0, same set, order and d0 bits
 *     as the list row) into small per-thread buffers that stay in L1. Pass 1 sums W and Y
 *     (storing w beside d0), the 3x3 fit follows, pass 2 sums the residuals from the same
 *     buffers. U is kept in bin order (structure of arrays), so the U_j gathers hit a few
 *     nearby cache lines. The bond loops sum in two explicit lanes, even and odd bonds
 *     (d2min_pair: one SSE2 register with GNU C vector types, a struct otherwise, same
 *     bits), the count padded to even with a zero bond; only the order of the additions
 *     differs from the list kernel (test_d2min_fused.c requires 1e-12 relative).
 *   Tried and dropped (bench/README-d2min.md): finer bins (bin_factor 1.5-3: more rows,
 *   shorter segments, ~55 % more CPU time); sorting bins by s0 and cutting each stencil
 *   row to the s0 window that can hold neighbours (half the candidates, same instruction
 *   count, ~50 % more CPU time: short loops and binary searches); an AVX2 clone of the
 *   gather (~4 %). Not done: a half walk using d_ji d0_ji^T = d_ij d0_ij^T would halve
 *   the candidate tests and the pass-1 sums of one walk, but it scatters sums to atom j
 *   (per-thread partial sums or colouring to stay race-free), and the residuals need
 *   every atom's K first, hence a second walk (or a stored half list): the candidate
 *   tests, most of the time, would not be saved.
 *
 * Threads. Both kernels are parallel over atoms (the fused one over bins) with OpenMP; the
 * iteration for atom i reads shared inputs and writes only the outputs of atom i (and its
 * thread's own buffers and tile), and every neighbour set is full (i->j and j->i both
 * visited), so no atomics and no reductions are needed and the result is bitwise
 * independent of the thread count (a bin's tile does not depend on which thread builds it).
 * Nothing is allocated inside the loops: tile and buffers are sized once per thread from
 * the plan (nb_tile_alloc), and the 3x3 accumulators live on the stack.
 */
#include "shearband/strain.h"

#include "cell/neighbor_internal.h"
#include "strain/d2min_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

sb_d2min_options sb_d2min_options_default(void)
{
    sb_d2min_options o;
    o.cutoff = 5.0;
    o.singular_tol = 1e-4;
    o.gradient = 1;
    return o;
}

void sb_d2min_result_free(sb_d2min_result *r)
{
    if (!r) return;
    free(r->d2min);
    free(r->shear_strain);
    free(r->gradient);
    free(r->singular);
    free(r->nneighbors);
    memset(r, 0, sizeof *r);
}

static sb_status d2min_result_alloc(sb_d2min_result *r, size_t n, int gradient, sb_error *err)
{
    sb_d2min_result_free(r);
    const size_t m = n ? n : 1;
    r->n = n;
    r->d2min = malloc(m * sizeof *r->d2min);
    r->shear_strain = malloc(m * sizeof *r->shear_strain);
    r->singular = malloc(m * sizeof *r->singular);
    r->nneighbors = malloc(m * sizeof *r->nneighbors);
    if (gradient) r->gradient = malloc(9 * m * sizeof *r->gradient);
    if (!r->d2min || !r->shear_strain || !r->singular || !r->nneighbors ||
        (gradient && !r->gradient)) {
        sb_d2min_result_free(r);
        return sb_error_set(err, SB_ERR_NOMEM, "out of memory for D2min results of %zu atoms", n);
    }
    return SB_OK;
}

/* Static copies behind the public functions, so that the kernels inline them (calls to an
 * exported function of the shared library go through the PLT and cannot be inlined). */
static inline void d2min_green_lagrange(const double J[9], double E[9])
{
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            double c = 0.0;
            for (int k = 0; k < 3; k++) c += J[3 * k + a] * J[3 * k + b];
            E[3 * a + b] = 0.5 * (c - (a == b ? 1.0 : 0.0));
        }
}

static inline double d2min_von_mises(const double J[9])
{
    double E[9];
    d2min_green_lagrange(J, E);
    const double xx = E[0], yy = E[4], zz = E[8];
    const double xy = E[1], xz = E[2], yz = E[5];
    const double v = xy * xy + xz * xz + yz * yz +
                     ((xx - yy) * (xx - yy) + (xx - zz) * (xx - zz) + (yy - zz) * (yy - zz)) / 6.0;
    return sqrt(v);
}

void sb_green_lagrange(const double J[9], double E[9])
{
    d2min_green_lagrange(J, E);
}

double sb_von_mises_strain(const double J[9])
{
    return d2min_von_mises(J);
}

static sb_status d2min_check_options(const sb_d2min_options *o, sb_error *err)
{
    if (!(o->cutoff > 0.0) || !isfinite(o->cutoff))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "D2min cutoff must be > 0, got %g", o->cutoff);
    if (!(o->singular_tol >= 0.0) || !(o->singular_tol < 1.0))
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "D2min singular_tol must be in [0, 1), got %g", o->singular_tol);
    return SB_OK;
}

/* U = u H_C, the non-affine displacement of one atom in current Cartesian metric. */
static inline void d2min_nonaffine(const sb_cell *ref_cell, const sb_cell *cur_cell,
                                   const double xr[3], const double xc[3], double U[3])
{
    double sr[3], sc[3], u[3];
    sb_cell_to_frac(ref_cell, xr, sr);
    sb_cell_to_frac(cur_cell, xc, sc);
    for (int k = 0; k < 3; k++) {
        u[k] = sc[k] - sr[k];
        u[k] -= nearbyint(u[k]);
    }
    sb_cell_frac_to_vec(cur_cell, u, U);
}

/* M = H_R^-1 H_C (row-vector convention: d = d0 M for an affine map). */
static void d2min_affine_map(const sb_cell *ref_cell, const sb_cell *cur_cell, double M[3][3])
{
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            double c = 0.0;
            for (int k = 0; k < 3; k++) c += ref_cell->hinv[a][k] * cur_cell->h[k][b];
            M[a][b] = c;
        }
}

/* The fit of one atom from its sums W = sum w d0^T and Y = sum d0 d0^T (upper triangle of
 * Y filled) over cnt bonds: returns 1 (and J = identity) if Y fails the conditioning test,
 * else 0 with K = W Y^-1 and J = M^T + K (row-major). Shared by both kernels so that they
 * do the same arithmetic. */
static inline int d2min_fit(const double W[3][3], double Y[3][3], uint32_t cnt,
                            const double M[3][3], double tol, double K[3][3], double J[9])
{
    Y[1][0] = Y[0][1];
    Y[2][0] = Y[0][2];
    Y[2][1] = Y[1][2];
    /* Adjugate of the symmetric Y. */
    const double c00 = Y[1][1] * Y[2][2] - Y[1][2] * Y[2][1];
    const double c01 = Y[1][2] * Y[2][0] - Y[1][0] * Y[2][2];
    const double c02 = Y[1][0] * Y[2][1] - Y[1][1] * Y[2][0];
    const double det = Y[0][0] * c00 + Y[0][1] * c01 + Y[0][2] * c02;
    const double tr3 = (Y[0][0] + Y[1][1] + Y[2][2]) / 3.0;
    static const double I[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    if (cnt < 3 || !(tr3 > 0.0) || !(det > tol * tr3 * tr3 * tr3) || !isfinite(det)) {
        memcpy(J, I, sizeof I);
        return 1;
    }
    double Yi[3][3];
    const double inv = 1.0 / det;
    Yi[0][0] = c00 * inv;
    Yi[0][1] = (Y[0][2] * Y[2][1] - Y[0][1] * Y[2][2]) * inv;
    Yi[0][2] = (Y[0][1] * Y[1][2] - Y[0][2] * Y[1][1]) * inv;
    Yi[1][0] = c01 * inv;
    Yi[1][1] = (Y[0][0] * Y[2][2] - Y[0][2] * Y[2][0]) * inv;
    Yi[1][2] = (Y[0][2] * Y[1][0] - Y[0][0] * Y[1][2]) * inv;
    Yi[2][0] = c02 * inv;
    Yi[2][1] = (Y[0][1] * Y[2][0] - Y[0][0] * Y[2][1]) * inv;
    Yi[2][2] = (Y[0][0] * Y[1][1] - Y[0][1] * Y[1][0]) * inv;
    /* K = W Y^-1 (the non-affine correction), J = A + K with A = M^T. */
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            K[a][b] = W[a][0] * Yi[0][b] + W[a][1] * Yi[1][b] + W[a][2] * Yi[2][b];
            J[3 * a + b] = M[b][a] + K[a][b];
        }
    return 0;
}

sb_status sb_d2min_from_neighbors(const sb_cell *ref_cell, const double *ref_x,
                                  const sb_cell *cur_cell, const double *cur_x, size_t n,
                                  const sb_neighbor_list *nl, const sb_d2min_options *opt,
                                  sb_d2min_result *res, sb_error *err)
{
    const sb_d2min_options o = opt ? *opt : sb_d2min_options_default();
    sb_status st = d2min_check_options(&o, err);
    if (st != SB_OK) return st;
    if (!nl || nl->n != n)
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "D2min neighbour list is for %zu atoms, positions for %zu",
                            nl ? nl->n : 0, n);
    if (nl->cutoff < o.cutoff * (1.0 - 1e-12))
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "D2min neighbour list cutoff %g is shorter than the D2min cutoff %g",
                            nl->cutoff, o.cutoff);
    st = d2min_result_alloc(res, n, o.gradient, err);
    if (st != SB_OK) return st;
    res->cutoff = o.cutoff;

    /* U_i = u_i H_C, the non-affine displacement of each atom in current Cartesian metric. */
    double *U = malloc((n ? n : 1) * 3 * sizeof *U);
    if (!U) {
        sb_d2min_result_free(res);
        return sb_error_set(err, SB_ERR_NOMEM, "out of memory for D2min displacements");
    }
    for (size_t i = 0; i < n; i++)
        d2min_nonaffine(ref_cell, cur_cell, ref_x + 3 * i, cur_x + 3 * i, U + 3 * i);
    double M[3][3];
    d2min_affine_map(ref_cell, cur_cell, M);

    const double rc2 = o.cutoff * o.cutoff;
    const double tol = o.singular_tol;
    const size_t *off = nl->offset;
    const uint32_t *nj = nl->j;
    const double *nd = nl->d;
    double *out_d2 = res->d2min, *out_eta = res->shear_strain, *out_J = res->gradient;
    unsigned char *out_sing = res->singular;
    uint32_t *out_nn = res->nneighbors;
    size_t nsing = 0;

    /* Ownership: iteration i writes only out_*[i] (see the file comment). */
#ifdef _OPENMP
#pragma omp parallel for schedule(static) reduction(+ : nsing)
#endif
    for (size_t i = 0; i < n; i++) {
        /* W = sum w d0^T with w = U_j - U_i, the non-affine part of the bond; X = A Y + W. */
        double W[3][3] = {{0}}, Y[3][3] = {{0}}, K[3][3], J[9];
        const double ui0 = U[3 * i], ui1 = U[3 * i + 1], ui2 = U[3 * i + 2];
        uint32_t cnt = 0;
        for (size_t e = off[i]; e < off[i + 1]; e++) {
            const double *d0 = nd + 3 * e;
            const double r2 = d0[0] * d0[0] + d0[1] * d0[1] + d0[2] * d0[2];
            if (r2 > rc2) continue;
            const double *Uj = U + 3 * (size_t)nj[e];
            const double w[3] = {Uj[0] - ui0, Uj[1] - ui1, Uj[2] - ui2};
            for (int a = 0; a < 3; a++) {
                W[a][0] += w[a] * d0[0];
                W[a][1] += w[a] * d0[1];
                W[a][2] += w[a] * d0[2];
            }
            Y[0][0] += d0[0] * d0[0];
            Y[0][1] += d0[0] * d0[1];
            Y[0][2] += d0[0] * d0[2];
            Y[1][1] += d0[1] * d0[1];
            Y[1][2] += d0[1] * d0[2];
            Y[2][2] += d0[2] * d0[2];
            cnt++;
        }
        out_nn[i] = cnt;
        if (d2min_fit(W, Y, cnt, M, tol, K, J)) {
            out_sing[i] = 1;
            out_d2[i] = 0.0;
            out_eta[i] = 0.0;
            nsing++;
        } else {
            /* Second pass: residual d - J d0 = w - K d0 (the affine parts cancel exactly). */
            double d2 = 0.0;
            for (size_t e = off[i]; e < off[i + 1]; e++) {
                const double *d0 = nd + 3 * e;
                const double r2 = d0[0] * d0[0] + d0[1] * d0[1] + d0[2] * d0[2];
                if (r2 > rc2) continue;
                const double *Uj = U + 3 * (size_t)nj[e];
                const double r0 = (Uj[0] - ui0) - (K[0][0] * d0[0] + K[0][1] * d0[1] + K[0][2] * d0[2]);
                const double r1 = (Uj[1] - ui1) - (K[1][0] * d0[0] + K[1][1] * d0[1] + K[1][2] * d0[2]);
                const double rz = (Uj[2] - ui2) - (K[2][0] * d0[0] + K[2][1] * d0[1] + K[2][2] * d0[2]);
                d2 += r0 * r0 + r1 * r1 + rz * rz;
            }
            out_sing[i] = 0;
            out_d2[i] = d2;
            out_eta[i] = d2min_von_mises(J);
        }
        if (out_J) memcpy(out_J + 9 * i, J, sizeof J);
    }
    res->n_singular = nsing;
    free(U);
    return SB_OK;
}

/* A permutation that visits atoms bin by bin (bins about one cutoff wide in reduced
 * coordinates of the reference, counting sort, bin index c-major). Atoms that are neighbours
 * then sit close in memory, so the neighbour build and the per-atom loop read U and the
 * positions from cache instead of from random addresses: without it, 256,000 atoms in file
 * order (random in space) cost 20x, not 8x, the time of 32,000. */
static sb_status d2min_spatial_order(const sb_cell *cell, const double *x, size_t n, double cutoff,
                                     size_t **perm_out, sb_error *err)
{
    double w[3];
    sb_cell_widths(cell, w);
    size_t nb[3];
    for (int k = 0; k < 3; k++) {
        double b = floor(w[k] / cutoff);
        nb[k] = b < 1.0 ? 1 : (b > 1024.0 ? 1024 : (size_t)b);
    }
    const size_t nbins = nb[0] * nb[1] * nb[2];
    size_t *perm = malloc((n ? n : 1) * sizeof *perm);
    size_t *bin = malloc((n ? n : 1) * sizeof *bin);
    size_t *start = calloc(nbins + 1, sizeof *start);
    if (!perm || !bin || !start) {
        free(perm), free(bin), free(start);
        return sb_error_set(err, SB_ERR_NOMEM, "out of memory sorting %zu atoms", n);
    }
    for (size_t i = 0; i < n; i++) {
        double s[3];
        sb_cell_to_frac(cell, x + 3 * i, s);
        size_t b[3];
        for (int k = 0; k < 3; k++) {
            double f = s[k] - floor(s[k]);
            long q = (long)(f * (double)nb[k]);
            if (q < 0) q = 0;
            if ((size_t)q >= nb[k]) q = (long)nb[k] - 1;
            b[k] = (size_t)q;
        }
        bin[i] = (b[2] * nb[1] + b[1]) * nb[0] + b[0];
        start[bin[i] + 1]++;
    }
    for (size_t c = 0; c < nbins; c++) start[c + 1] += start[c];
    for (size_t i = 0; i < n; i++) perm[start[bin[i]]++] = i;
    free(bin), free(start);
    *perm_out = perm;
    return SB_OK;
}

/* Current positions in reference order (cx[3i..3i+2] is the atom with id ref->id[i]),
 * after checking the counts and that ids are unique in both frames. Caller frees *cx_out. */
static sb_status d2min_match_ids(const sb_structure *ref, const sb_structure *cur,
                                 double **cx_out, sb_error *err)
{
    if (ref->n != cur->n)
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "reference has %zu atoms but current configuration has %zu", ref->n,
                            cur->n);
    const size_t n = ref->n;
    size_t *order = NULL;
    sb_status st = sb_structure_id_order(cur, &order, err);
    if (st != SB_OK) return sb_error_prefix(err, "current configuration: ");
    double *cx = malloc((n ? n : 1) * 3 * sizeof *cx);
    if (!cx) {
        free(order);
        return sb_error_set(err, SB_ERR_NOMEM, "out of memory for %zu current positions", n);
    }
    for (size_t i = 0; i < n; i++) {
        /* Both frames usually list the atoms in the same order: try i before searching. */
        const size_t k = cur->id[i] == ref->id[i] ? i : sb_structure_index_of(cur, order, ref->id[i]);
        if (k == (size_t)-1) {
            free(order);
            free(cx);
            return sb_error_set(err, SB_ERR_INVALID_ARG,
                                "atom id %lld of the reference is missing in the current "
                                "configuration (atoms are matched by id)",
                                (long long)ref->id[i]);
        }
        memcpy(cx + 3 * i, cur->x + 3 * k, 3 * sizeof(double));
    }
    free(order);
    /* Duplicate ids in the reference would make two reference atoms share one current atom. */
    size_t *rorder = NULL;
    st = sb_structure_id_order(ref, &rorder, err);
    if (st != SB_OK) {
        free(cx);
        return sb_error_prefix(err, "reference configuration: ");
    }
    free(rorder);
    *cx_out = cx;
    return SB_OK;
}

/* The straightforward path, kept as the test oracle of the fused kernel (declared in
 * d2min_internal.h): spatial sort, full CSR reference list, sb_d2min_from_neighbors. */
sb_status sb_d2min_compute_reference(const sb_structure *ref, const sb_structure *cur,
                                     const sb_d2min_options *opt, sb_d2min_result *res,
                                     sb_error *err)
{
    const sb_d2min_options o = opt ? *opt : sb_d2min_options_default();
    const size_t n = ref->n;
    double *cx = NULL;
    sb_status st = d2min_match_ids(ref, cur, &cx, err);
    if (st != SB_OK) return st;

    /* Work in a spatially sorted order (see d2min_spatial_order): results are scattered
     * back to the reference order at the end. */
    size_t *perm = NULL;
    double *px = NULL, *pc = NULL;
    sb_d2min_result tmp = SB_D2MIN_RESULT_INIT;
    sb_neighbor_list nl = SB_NEIGHBOR_LIST_INIT;
    st = d2min_check_options(&o, err);
    if (st == SB_OK) st = d2min_spatial_order(&ref->cell, ref->x, n, o.cutoff, &perm, err);
    if (st == SB_OK) {
        px = malloc((n ? n : 1) * 3 * sizeof *px);
        pc = malloc((n ? n : 1) * 3 * sizeof *pc);
        if (!px || !pc) st = sb_error_set(err, SB_ERR_NOMEM, "out of memory for %zu positions", n);
    }
    if (st == SB_OK) {
        for (size_t q = 0; q < n; q++) {
            memcpy(px + 3 * q, ref->x + 3 * perm[q], 3 * sizeof(double));
            memcpy(pc + 3 * q, cx + 3 * perm[q], 3 * sizeof(double));
        }
        st = sb_neighbor_build(&nl, &ref->cell, px, n, o.cutoff, err);
    }
    if (st == SB_OK) st = sb_d2min_from_neighbors(&ref->cell, px, &cur->cell, pc, n, &nl, &o, &tmp, err);
    if (st == SB_OK) st = d2min_result_alloc(res, n, o.gradient, err);
    if (st == SB_OK) {
        res->cutoff = tmp.cutoff;
        res->n_singular = tmp.n_singular;
        for (size_t q = 0; q < n; q++) {
            const size_t i = perm[q];
            res->d2min[i] = tmp.d2min[q];
            res->shear_strain[i] = tmp.shear_strain[q];
            res->singular[i] = tmp.singular[q];
            res->nneighbors[i] = tmp.nneighbors[q];
            if (o.gradient) memcpy(res->gradient + 9 * i, tmp.gradient + 9 * q, 9 * sizeof(double));
        }
    }
    sb_d2min_result_free(&tmp);
    sb_neighbor_free(&nl);
    free(perm);
    free(px);
    free(pc);
    free(cx);
    return st;
}

/* Per-thread buffers of the fused kernel: the candidate tile of the current bin, and one
 * atom's neighbours (sorted index, reference bond d0, non-affine bond w), each of
 * nb_tile_capacity() entries. */
typedef struct d2min_buffers {
    nb_tile tile;
    uint32_t *kj;
    double *d0x, *d0y, *d0z, *wx, *wy, *wz;
} d2min_buffers;

static void d2min_buffers_free(d2min_buffers *b)
{
    nb_tile_free(&b->tile);
    free(b->kj);
    free(b->d0x);
    free(b->d0y);
    free(b->d0z);
    free(b->wx);
    free(b->wy);
    free(b->wz);
}

static int d2min_buffers_alloc(d2min_buffers *b, const nb_plan *p)
{
    const int ok = nb_tile_alloc(&b->tile, p);
    const size_t m = nb_tile_capacity(&b->tile) + 1; /* + a padding bond */
    b->kj = malloc(m * sizeof *b->kj);
    b->d0x = malloc(m * sizeof *b->d0x);
    b->d0y = malloc(m * sizeof *b->d0y);
    b->d0z = malloc(m * sizeof *b->d0z);
    b->wx = malloc(m * sizeof *b->wx);
    b->wy = malloc(m * sizeof *b->wy);
    b->wz = malloc(m * sizeof *b->wz);
    return ok && b->kj && b->d0x && b->d0y && b->d0z && b->wx && b->wy && b->wz;
}

/* Two lanes of doubles for the bond loops of the fused kernel: lane 0 sums the even bonds,
 * lane 1 the odd ones, each in bond order, and the lanes are added at the end. With GNU C
 * vector types gcc keeps each pair in one SSE2 register; the fallback struct does the same
 * arithmetic lane by lane, so both give the same bits. (Scalar sums under an omp simd
 * reduction, the previous form, were spilled to the stack in every iteration: 15 sums
 * times the 4 lanes gcc chose for the uint32 indices do not fit 16 registers.) */
#if defined(__GNUC__)
typedef double d2min_pair __attribute__((vector_size(16)));
static inline d2min_pair pair_load(const double *p)
{
    d2min_pair v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void pair_store(double *p, d2min_pair v) { memcpy(p, &v, sizeof v); }
static inline d2min_pair pair_set(double a, double b) { return (d2min_pair){a, b}; }
static inline d2min_pair pair_add(d2min_pair a, d2min_pair b) { return a + b; }
static inline d2min_pair pair_sub(d2min_pair a, d2min_pair b) { return a - b; }
static inline d2min_pair pair_mul(d2min_pair a, d2min_pair b) { return a * b; }
static inline double pair_sum(d2min_pair a) { return a[0] + a[1]; }
#else
typedef struct d2min_pair {
    double v[2];
} d2min_pair;
static inline d2min_pair pair_load(const double *p) { return (d2min_pair){{p[0], p[1]}}; }
static inline void pair_store(double *p, d2min_pair a) { p[0] = a.v[0], p[1] = a.v[1]; }
static inline d2min_pair pair_set(double a, double b) { return (d2min_pair){{a, b}}; }
static inline d2min_pair pair_add(d2min_pair a, d2min_pair b)
{
    return (d2min_pair){{a.v[0] + b.v[0], a.v[1] + b.v[1]}};
}
static inline d2min_pair pair_sub(d2min_pair a, d2min_pair b)
{
    return (d2min_pair){{a.v[0] - b.v[0], a.v[1] - b.v[1]}};
}
static inline d2min_pair pair_mul(d2min_pair a, d2min_pair b)
{
    return (d2min_pair){{a.v[0] * b.v[0], a.v[1] * b.v[1]}};
}
static inline double pair_sum(d2min_pair a) { return a.v[0] + a.v[1]; }
#endif

/* acc += a * b */
static inline d2min_pair pair_madd(d2min_pair acc, d2min_pair a, d2min_pair b)
{
    return pair_add(acc, pair_mul(a, b));
}

/* Pass 1 of the fused kernel for sorted atom k and its m bonds (m even): w = U_j - U_k
 * is stored for pass 2, and W = sum w d0^T and Y = sum d0 d0^T (upper triangle) are
 * returned. Y has its own loop: with W's 9 sums, 15 pairs would not fit 16 registers. */
static void d2min_sums(size_t m, const uint32_t *restrict kj, const double *restrict d0x,
                       const double *restrict d0y, const double *restrict d0z,
                       const double *restrict Ux, const double *restrict Uy,
                       const double *restrict Uz, size_t k, double *restrict wx,
                       double *restrict wy, double *restrict wz, double W[3][3], double Y[3][3])
{
    const d2min_pair ui0 = pair_set(Ux[k], Ux[k]), ui1 = pair_set(Uy[k], Uy[k]);
    const d2min_pair ui2 = pair_set(Uz[k], Uz[k]), zero = pair_set(0.0, 0.0);
    d2min_pair w00 = zero, w01 = zero, w02 = zero, w10 = zero, w11 = zero, w12 = zero;
    d2min_pair w20 = zero, w21 = zero, w22 = zero;
    for (size_t t = 0; t < m; t += 2) {
        const size_t j0 = kj[t], j1 = kj[t + 1];
        const d2min_pair ax = pair_load(d0x + t), ay = pair_load(d0y + t), az = pair_load(d0z + t);
        const d2min_pair vx = pair_sub(pair_set(Ux[j0], Ux[j1]), ui0);
        const d2min_pair vy = pair_sub(pair_set(Uy[j0], Uy[j1]), ui1);
        const d2min_pair vz = pair_sub(pair_set(Uz[j0], Uz[j1]), ui2);
        pair_store(wx + t, vx);
        pair_store(wy + t, vy);
        pair_store(wz + t, vz);
        w00 = pair_madd(w00, vx, ax);
        w01 = pair_madd(w01, vx, ay);
        w02 = pair_madd(w02, vx, az);
        w10 = pair_madd(w10, vy, ax);
        w11 = pair_madd(w11, vy, ay);
        w12 = pair_madd(w12, vy, az);
        w20 = pair_madd(w20, vz, ax);
        w21 = pair_madd(w21, vz, ay);
        w22 = pair_madd(w22, vz, az);
    }
    d2min_pair y00 = zero, y01 = zero, y02 = zero, y11 = zero, y12 = zero, y22 = zero;
    for (size_t t = 0; t < m; t += 2) {
        const d2min_pair ax = pair_load(d0x + t), ay = pair_load(d0y + t), az = pair_load(d0z + t);
        y00 = pair_madd(y00, ax, ax);
        y01 = pair_madd(y01, ax, ay);
        y02 = pair_madd(y02, ax, az);
        y11 = pair_madd(y11, ay, ay);
        y12 = pair_madd(y12, ay, az);
        y22 = pair_madd(y22, az, az);
    }
    W[0][0] = pair_sum(w00), W[0][1] = pair_sum(w01), W[0][2] = pair_sum(w02);
    W[1][0] = pair_sum(w10), W[1][1] = pair_sum(w11), W[1][2] = pair_sum(w12);
    W[2][0] = pair_sum(w20), W[2][1] = pair_sum(w21), W[2][2] = pair_sum(w22);
    Y[0][0] = pair_sum(y00), Y[0][1] = pair_sum(y01), Y[0][2] = pair_sum(y02);
    Y[1][1] = pair_sum(y11), Y[1][2] = pair_sum(y12), Y[2][2] = pair_sum(y22);
}

/* Pass 2: sum over the m bonds (m even) of |w - K d0|^2, in the two lanes of pass 1. */
static double d2min_residual(size_t m, const double *restrict d0x, const double *restrict d0y,
                             const double *restrict d0z, const double *restrict wx,
                             const double *restrict wy, const double *restrict wz,
                             const double K[3][3])
{
    d2min_pair k[3][3];
    for (int a = 0; a < 3; a++)
        for (int c = 0; c < 3; c++) k[a][c] = pair_set(K[a][c], K[a][c]);
    d2min_pair d2 = pair_set(0.0, 0.0);
    for (size_t t = 0; t < m; t += 2) {
        const d2min_pair ax = pair_load(d0x + t), ay = pair_load(d0y + t), az = pair_load(d0z + t);
        /* r_a = w_a - (K_a0 d0x + K_a1 d0y + K_a2 d0z), as in sb_d2min_from_neighbors */
        const d2min_pair r0 = pair_sub(pair_load(wx + t),
                                       pair_madd(pair_madd(pair_mul(k[0][0], ax), k[0][1], ay), k[0][2], az));
        const d2min_pair r1 = pair_sub(pair_load(wy + t),
                                       pair_madd(pair_madd(pair_mul(k[1][0], ax), k[1][1], ay), k[1][2], az));
        const d2min_pair r2 = pair_sub(pair_load(wz + t),
                                       pair_madd(pair_madd(pair_mul(k[2][0], ax), k[2][1], ay), k[2][2], az));
        d2 = pair_add(d2, pair_madd(pair_madd(pair_mul(r0, r0), r1, r1), r2, r2));
    }
    return pair_sum(d2);
}

sb_status sb_d2min_compute(const sb_structure *ref, const sb_structure *cur,
                           const sb_d2min_options *opt, sb_d2min_result *res, sb_error *err)
{
    const sb_d2min_options o = opt ? *opt : sb_d2min_options_default();
    sb_status st = d2min_check_options(&o, err);
    if (st != SB_OK) return st;
    if (ref->n > (size_t)UINT32_MAX)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "D2min: %zu atoms exceed the limit of %u",
                            ref->n, UINT32_MAX);
    const size_t n = ref->n;
    double *cx = NULL;
    st = d2min_match_ids(ref, cur, &cx, err);
    if (st != SB_OK) return st;

    nb_plan p;
    const sb_neighbor_options nbo = sb_neighbor_options_default();
    st = nb_plan_build(&p, &ref->cell, ref->x, n, o.cutoff, nbo.bin_factor, 0, err);
    if (st != SB_OK) {
        free(cx);
        return st;
    }
    /* Us: U of each atom in SORTED order, structure of arrays (x, y, z blocks), so the
     * gathers U_j of one atom's neighbours hit a few nearby cache lines. */
    double *Us = malloc(3 * (n ? n : 1) * sizeof *Us);
    st = Us ? d2min_result_alloc(res, n, o.gradient, err)
            : sb_error_set(err, SB_ERR_NOMEM, "out of memory for D2min displacements");
    if (st != SB_OK) {
        free(Us);
        nb_plan_free(&p);
        free(cx);
        return st;
    }
    res->cutoff = o.cutoff;
    double *Ux = Us, *Uy = Us + n, *Uz = Us + 2 * n;
    for (size_t k = 0; k < n; k++) {
        const size_t i = p.orig[k];
        double u[3];
        d2min_nonaffine(&ref->cell, &cur->cell, ref->x + 3 * i, cx + 3 * i, u);
        Ux[k] = u[0];
        Uy[k] = u[1];
        Uz[k] = u[2];
    }
    free(cx);
    double M[3][3];
    d2min_affine_map(&ref->cell, &cur->cell, M);
    const double tol = o.singular_tol;
    double *out_d2 = res->d2min, *out_eta = res->shear_strain, *out_J = res->gradient;
    unsigned char *out_sing = res->singular;
    uint32_t *out_nn = res->nneighbors;
    size_t nsing = 0;
    int nomem = 0;

    /* Ownership: the thread that handles bin q writes only the outputs of its atoms
     * orig[k] (a permutation), and its own buffers; the plan and Us are read-only. */
#ifdef _OPENMP
#pragma omp parallel reduction(+ : nsing)
#endif
    {
        d2min_buffers b;
        const int ok = d2min_buffers_alloc(&b, &p);
        if (!ok) {
#ifdef _OPENMP
#pragma omp atomic write
#endif
            nomem = 1;
        }
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
        for (size_t q = 0; q < p.nbins; q++) {
            if (!ok || p.bin_start[q] == p.bin_start[q + 1]) continue;
            nb_tile_build(&b.tile, &p, q);
            for (size_t k = p.bin_start[q]; k < p.bin_start[q + 1]; k++) {
                const size_t m = nb_tile_gather(&b.tile, &p, k, b.kj, b.d0x, b.d0y, b.d0z);
                /* Pad to an even count with a zero bond to atom k itself (w = 0, d0 = 0):
                 * it adds exact zeros to every sum. */
                const size_t m2 = m + (m & 1);
                b.kj[m] = (uint32_t)k;
                b.d0x[m] = b.d0y[m] = b.d0z[m] = 0.0;
                double W[3][3], Y[3][3], K[3][3], J[9];
                d2min_sums(m2, b.kj, b.d0x, b.d0y, b.d0z, Ux, Uy, Uz, k, b.wx, b.wy, b.wz, W, Y);
                const size_t i = p.orig[k];
                out_nn[i] = (uint32_t)m;
                if (d2min_fit(W, Y, (uint32_t)m, M, tol, K, J)) {
                    out_sing[i] = 1;
                    out_d2[i] = 0.0;
                    out_eta[i] = 0.0;
                    nsing++;
                } else {
                    out_sing[i] = 0;
                    out_d2[i] = d2min_residual(m2, b.d0x, b.d0y, b.d0z, b.wx, b.wy, b.wz, K);
                    out_eta[i] = d2min_von_mises(J);
                }
                if (out_J) memcpy(out_J + 9 * i, J, sizeof J);
            }
        }
        d2min_buffers_free(&b);
    }
    free(Us);
    nb_plan_free(&p);
    if (nomem) {
        sb_d2min_result_free(res);
        return sb_error_set(err, SB_ERR_NOMEM, "out of memory for D2min buffers");
    }
    res->n_singular = nsing;
    return SB_OK;
}
