/*
 * Private to the library and its tests: the straightforward D2min path, kept as the oracle
 * of the fused kernel behind sb_d2min_compute (src/strain/d2min.c).
 */
#ifndef SB_STRAIN_D2MIN_INTERNAL_H
#define SB_STRAIN_D2MIN_INTERNAL_H

#include "shearband/strain.h"

/* Same contract and results as sb_d2min_compute (to round-off: the neighbours of an atom
 * are summed in another order), computed the plain way: spatial sort, full CSR reference
 * list (sb_neighbor_build), then sb_d2min_from_neighbors. */
sb_status sb_d2min_compute_reference(const sb_structure *ref, const sb_structure *cur,
                                     const sb_d2min_options *opt, sb_d2min_result *res,
                                     sb_error *err);

#endif
