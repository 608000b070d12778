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
 * Build is O(N): atoms are binned in fractional coordinates (bins at least the cutoff wide
 * along each perpendicular width), so it works for any triclinic cell.
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
} sb_neighbor_list;

#define SB_NEIGHBOR_LIST_INIT {0}

/* Build (or rebuild, reusing storage) the full list of the n positions x (3n doubles,
 * need not be wrapped) in cell within cutoff > 0. */
sb_status sb_neighbor_build(sb_neighbor_list *nl, const sb_cell *cell, const double *x, size_t n,
                            double cutoff, sb_error *err);

void sb_neighbor_free(sb_neighbor_list *nl);

static inline size_t sb_neighbor_count(const sb_neighbor_list *nl, size_t i)
{
    return nl->offset[i + 1] - nl->offset[i];
}

#ifdef __cplusplus
}
#endif
#endif
