/*
 * Private to the library (src/): the binning plan behind the neighbour lists of
 * src/cell/neighbor.c, exposed so that a kernel that needs every neighbour of every atom
 * exactly once (D2min, src/strain/d2min.c) can walk the stencil itself and use each
 * neighbour while it is hot, instead of reading back a stored CSR list.
 *
 * Plan, then execute: nb_plan_build() wraps and counting-sorts the atoms into bins once;
 * nb_plan_gather() then returns the neighbours of one sorted atom (the same set, in the
 * same order and with bitwise the same displacement vectors as row i of the full list
 * sb_neighbor_build() would store, for the same positions, cutoff and bin_factor).
 * nb_tile_build() + nb_tile_gather() return exactly the same, faster, for all the atoms of
 * one bin in turn (the D2min kernel uses these; nb_plan_gather is their test oracle).
 *
 * Indices: "sorted" index k is an atom's position in bin order (0..n-1); p->orig[k] is its
 * index in the caller's arrays. Sorted atoms that are neighbours sit close together, so
 * per-atom data kept in sorted order is read from cache.
 */
#ifndef SB_CELL_NEIGHBOR_INTERNAL_H
#define SB_CELL_NEIGHBOR_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "shearband/cell.h"
#include "shearband/status.h"

/* Per-axis stencil table: for home bin b and offset delta in [-m, m], the neighbour bin
 * (b + delta) mod nb and its image shift floor((b + delta) / nb). */
typedef struct nb_axis {
    size_t nb;      /* bins along this axis */
    long m;         /* stencil reach */
    size_t *bin;    /* nb * (2m+1) */
    long *shift;    /* nb * (2m+1) */
} nb_axis;

/* Along axis 0 (the fastest-varying bin index), consecutive stencil offsets that share one
 * image shift are consecutive bins, hence ONE contiguous run of sorted atoms. For home bin
 * b0, segments seg_start[b0] .. seg_start[b0+1]-1 cover the offsets -m0..m0 in order:
 * bins seg_first..seg_last with image shift seg_shift. */
typedef struct nb_segments {
    size_t *start; /* nb0 + 1 */
    size_t *first, *last;
    long *shift;
} nb_segments;

typedef struct nb_plan {
    nb_axis ax[3];
    nb_segments seg;
    size_t nbins;       /* nb0 * nb1 * nb2 */
    size_t *bin_start;  /* nbins + 1: atoms of bin q are sorted[bin_start[q] .. bin_start[q+1]) */
    size_t *sbin;       /* bin of each sorted atom */
    uint32_t *orig;     /* original index of each sorted atom */
    double *r;          /* wrapped Cartesian positions s H (origin lo) of the sorted atoms,
                         * structure of arrays: x block, y block, z block (n each) */
    size_t n;
    size_t scratch_len;  /* most atoms in one segment: size of the per-thread scratch */
    size_t max_occupancy; /* most atoms in one bin */
    double h[3][3];
    double rc2;
    double cull2;       /* tile cull radius^2: rc^2 widened far beyond round-off (nb_tile) */
    int half;
} nb_plan;

/* Build the plan of the n positions x (3n doubles, need not be wrapped) in cell for
 * cutoff > 0 (bin_factor >= 1 as sb_neighbor_options; half as there, used only by the
 * list build). Arguments are assumed valid (sb_neighbor_build_opts checks them) except
 * non-finite positions (SB_ERR_NUMERIC naming the atom). On failure p is freed. */
sb_status nb_plan_build(nb_plan *p, const sb_cell *cell, const double *x, size_t n,
                        double cutoff, double bin_factor, int half, sb_error *err);

void nb_plan_free(nb_plan *p);

/* Most candidate atoms (atoms of the stencil bins, before the distance test) of any one
 * atom: a safe capacity for the buffers of nb_plan_gather(). O(bins x stencil). */
size_t nb_plan_max_candidates(const nb_plan *p);

/* Every neighbour image of sorted atom ki within the cutoff (0 < |d|^2 <= cutoff^2),
 * full list (p->half is ignored): sorted neighbour index kj[t] and Cartesian displacement
 * (dx[t], dy[t], dz[t]) = x_j(image) - x_i for t < return value. kj, dx, dy and dz must
 * hold nb_plan_max_candidates(p) entries (rejected candidates' indices are written and
 * overwritten: the compaction is branch-free), okbuf p->scratch_len (scratch). Reads the
 * plan only, so threads may gather concurrently into their own buffers. */
size_t nb_plan_gather(const nb_plan *p, size_t ki, uint32_t *restrict kj, double *restrict dx,
                      double *restrict dy, double *restrict dz, double *restrict okbuf);

/* The candidates of one home bin, shared by its ~4 atoms (they have the same stencil):
 * the atoms of the stencil bins whose image lies within the cutoff (plus a margin far
 * above round-off) of the bounding box of the home bin's atoms, in stencil order, their
 * wrapped positions copied contiguously. That keeps ~85 of the ~180 stencil candidates
 * (32k-atom glass, rc = 5 A). Runs of candidates with one image shift n H form groups,
 * each padded to an even length with an infinitely far candidate. nb_tile_gather() then
 * tests each home atom against the tile only: one long vectorised loop per group (~3 per
 * atom) instead of one short loop per stencil segment (~10), over half the candidates.
 * Owned by one thread; sized once (nb_tile_alloc), rebuilt per bin, no allocation. */
typedef struct nb_tile {
    size_t cap, gcap;   /* capacity in real candidates and in groups */
    size_t n, ngroups;  /* entries (padding included) and groups of the current bin */
    uint32_t *k;        /* sorted index of each candidate */
    double *rx, *ry, *rz; /* its wrapped position r_j */
    size_t *gstart;     /* group g holds entries gstart[g] .. gstart[g+1]-1 */
    double *sx, *sy, *sz; /* image shift n H of group g, summed as in nb_plan_gather */
    double *ok;         /* scratch: accept flags (double: vectorises beside the distances) */
} nb_tile;

/* Size the tile for any bin of p (returns 0 if out of memory; nb_tile_free either way). */
int nb_tile_alloc(nb_tile *t, const nb_plan *p);
void nb_tile_free(nb_tile *t);
/* Most neighbours nb_tile_gather() can return: a safe capacity for its output buffers. */
size_t nb_tile_capacity(const nb_tile *t);

/* Fill the tile with the candidates of home bin q. */
void nb_tile_build(nb_tile *t, const nb_plan *p, size_t q);

/* Exactly nb_plan_gather() for sorted atom ki, which must lie in the tile's bin: the same
 * neighbours in the same order, bitwise the same displacements (the culled candidates are
 * beyond the cutoff by a margin far above round-off). kj, dx, dy, dz hold
 * nb_tile_capacity(t) entries. */
size_t nb_tile_gather(nb_tile *t, const nb_plan *p, size_t ki, uint32_t *restrict kj,
                      double *restrict dx, double *restrict dy, double *restrict dz);

#endif
