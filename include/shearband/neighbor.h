/*
 * shearband/neighbor.h: periodic neighbour lists in compressed (CSR) form.
 *
 * For every atom i the list holds every periodic image of every atom j (j == i included
 * when an image of i itself lies within the cutoff) with 0 < |d| <= cutoff, where
 * d = x_j + n H - x_i for the integer image vector n. Cutoffs larger than half the cell are
 * therefore handled exactly: each image is its own neighbour. The list is full (j in i's
 * list and i in j's), so per-atom work needs no atomics.
 *
 * Neighbours of atom i are entries offset[i] .. offset[i+1]-1 of j[] and of d[] (3 doubles
 * per entry, Cartesian, Angstrom). Within one atom the order of neighbours is unspecified.
 *
 * Build is O(N): atoms are binned in fractional coordinates (bins at least cutoff/bin_factor
 * wide along each perpendicular width), so it works for any triclinic cell, however tilted.
 *
 * Half lists (sb_neighbor_options.half = 1) keep each pair once: the image (i, j, n) is
 * stored in i's row iff j > i, or j == i and the image vector n is lexicographically
 * positive in the order (n_c, n_b, n_a) (then (i, i, -n) is the dropped twin).
 *
 * Ownership: the list owns its arrays; initialise with SB_NEIGHBOR_LIST_INIT, rebuild as
 * often as needed (storage is reused and only grows), release with sb_neighbor_free().
 * After a failed build the list is empty (n = 0) but still valid and freeable.
 */
#ifndef SHEARBAND_NEIGHBOR_H
#define SHEARBAND_NEIGHBOR_H

#include <stddef.h>
#include <stdint.h>

#include "shearband/cell.h"
#include "shearband/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sb_neighbor_list {
    size_t n;        /* atoms */
    size_t *offset;  /* n + 1 */
    uint32_t *j;     /* neighbour atom index, offset[n] entries */
    double *d;       /* 3 * offset[n] displacement vectors x_j(image) - x_i */
    double cutoff;
    size_t capacity; /* allocated entries (reused by rebuilds) */
    int half;        /* 1 if built as a half list (each pair once) */
} sb_neighbor_list;

typedef struct sb_neighbor_options {
    /* Bins per cutoff along each perpendicular width: 1 gives bins at least one cutoff
     * wide (a 3x3 stencil of bin rows); 2 gives half-cutoff bins (5x5 rows) that test
     * fewer far pairs but cost more loop overhead. Must be >= 1. Results are identical
     * for every value; only speed changes. */
    double bin_factor;
    int half; /* 0: full list (default); 1: half list, see above */
} sb_neighbor_options;

/* Defaults: full list, bin_factor chosen from measurements (bench/README.md). */
sb_neighbor_options sb_neighbor_options_default(void);

#define SB_NEIGHBOR_LIST_INIT {0}

/* Build (or rebuild, reusing storage) the full list of the n positions x (3n doubles,
 * need not be wrapped) in cell within cutoff > 0. n must be <= UINT32_MAX.
 * Errors: SB_ERR_INVALID_ARG (cutoff <= 0 or not finite, n too large, NULL x with n > 0),
 * SB_ERR_NUMERIC (a non-finite position; the message names the atom index),
 * SB_ERR_NOMEM. */
sb_status sb_neighbor_build(sb_neighbor_list *nl, const sb_cell *cell, const double *x, size_t n,
                            double cutoff, sb_error *err);

/* As sb_neighbor_build with explicit options (NULL means the defaults). */
sb_status sb_neighbor_build_opts(sb_neighbor_list *nl, const sb_cell *cell, const double *x,
                                 size_t n, double cutoff, const sb_neighbor_options *opt,
                                 sb_error *err);

void sb_neighbor_free(sb_neighbor_list *nl);

static inline size_t sb_neighbor_count(const sb_neighbor_list *nl, size_t i)
{
    return nl->offset[i + 1] - nl->offset[i];
}

#ifdef __cplusplus
}
#endif
#endif
