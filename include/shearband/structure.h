/*
 * shearband/structure.h: an atomic configuration.
 *
 * Conventions:
 *   - Atoms carry a LAMMPS id (int64, unique, not necessarily contiguous) and a type
 *     1..ntypes. Atoms are matched between configurations by id, never by order.
 *   - x holds Cartesian positions in Angstrom, 3 doubles per atom (x[3*i+k]).
 *   - image (optional, NULL if absent) holds LAMMPS image flags, 3 ints per atom.
 *   - type_name[t-1] is the element of type t ("Cu"), "" when unknown; mass[t-1] in g/mol,
 *     NaN when unknown.
 *   - Extra per-atom properties (D2min, probabilities...) are named columns of ncomp
 *     doubles per atom, kept in the order they were added; I/O writes them all.
 * Ownership: an sb_structure owns every array it points to. Initialise with
 * sb_structure_init() (or = SB_STRUCTURE_INIT) and release with sb_structure_free().
 */
#ifndef SHEARBAND_STRUCTURE_H
#define SHEARBAND_STRUCTURE_H

#include <stddef.h>
#include <stdint.h>

#include "shearband/cell.h"
#include "shearband/status.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { SB_NAME_LEN = 64, SB_ELEMENT_LEN = 8 };

typedef struct sb_property {
    char name[SB_NAME_LEN];
    int ncomp;    /* components per atom (1 for a scalar) */
    double *data; /* n * ncomp, atom-major */
} sb_property;

typedef struct sb_structure {
    size_t n;
    int64_t *id;
    int *type;
    double *x;
    int *image; /* NULL when the source had no image flags */
    sb_cell cell;
    int ntypes;
    char (*type_name)[SB_ELEMENT_LEN];
    double *mass;
    int nprop;
    sb_property *prop;
    int64_t timestep; /* from a dump frame; 0 otherwise */
} sb_structure;

#define SB_STRUCTURE_INIT {0}

void sb_structure_init(sb_structure *s);
void sb_structure_free(sb_structure *s);

/* Allocate arrays for n atoms and ntypes types (ids 1..n, types 1, zero positions,
 * names empty, masses NaN, no image flags, no properties). Frees previous content. */
sb_status sb_structure_alloc(sb_structure *s, size_t n, int ntypes, sb_error *err);

/* Deep copy (dst is freed first). */
sb_status sb_structure_copy(sb_structure *dst, const sb_structure *src, sb_error *err);

/* Add a zero-filled property, or return the existing one of that name if ncomp matches.
 * *data receives its storage (n*ncomp doubles, owned by s). */
sb_status sb_structure_add_property(sb_structure *s, const char *name, int ncomp,
                                    double **data, sb_error *err);

/* The property of that name, or NULL. */
const sb_property *sb_structure_find_property(const sb_structure *s, const char *name);

/* Allocate image flags (zeros) if absent. */
sb_status sb_structure_ensure_images(sb_structure *s, sb_error *err);

/* Set element names for types 1..ntypes (names[t-1]); masses unknown so far are taken
 * from the element table. Fails for an unknown element. */
sb_status sb_structure_set_elements(sb_structure *s, const char *const *names, sb_error *err);

/* Count atoms per type: counts[t-1] for t = 1..ntypes. */
void sb_structure_type_counts(const sb_structure *s, size_t *counts);

/* Mass density in g/cm^3; fails if any present type lacks a mass. */
sb_status sb_structure_density(const sb_structure *s, double *rho, sb_error *err);

/* Map from atom id to index: *order receives n indices sorted by id, so that a binary
 * search (sb_structure_index_of) finds any id. Fails on duplicate ids. Caller frees. */
/* 64-bit FNV-1a of the positions (3N doubles, as read) and then of the types (N ints):
 * recorded as glass_fingerprint in a shear run's shear.params, so that a label file and a
 * dataset manifest can prove that a glass file is the one that was sheared. */
uint64_t sb_glass_fingerprint(const sb_structure *glass);

sb_status sb_structure_id_order(const sb_structure *s, size_t **order, sb_error *err);
/* Index of atom `id` using an order from sb_structure_id_order, or (size_t)-1. */
size_t sb_structure_index_of(const sb_structure *s, const size_t *order, int64_t id);

/* Wrap every atom into the cell, updating image flags when present. */
void sb_structure_wrap(sb_structure *s);

/* Element table: standard atomic mass (g/mol) of a symbol, NaN if unknown; and the symbol
 * whose mass is within tol of m, or NULL. */
double sb_element_mass(const char *symbol);
const char *sb_element_from_mass(double m, double tol);

#ifdef __cplusplus
}
#endif
#endif
