/*
 * Test helpers that judge a glass: brute-force minimum pair distance and the global
 * bond-orientational order Q6 (Steinhardt), used by the engine tests as crystal detector.
 */
#ifndef SB_TEST_GLASS_CHECKS_H
#define SB_TEST_GLASS_CHECKS_H

#include "shearband/structure.h"

/* Smallest minimum-image distance between two atoms (O(N^2), fine for a few thousand). */
double sbt_min_pair_distance(const sb_structure *s);

/* Global Q6 over all bonds shorter than rcut (minimum image):
 *   Q6^2 = (4 pi / 13) sum_m |<Y6m>|^2 = (1/Nb^2) sum_{b,b'} P6(u_b . u_b')
 * by the addition theorem, so no spherical harmonics are needed. fcc: 0.5745, bcc:
 * 0.5106; a glass (or a liquid) is ~ 1/sqrt(Nbonds). Returns the number of bonds in *nb. */
double sbt_global_q6(const sb_structure *s, double rcut, size_t *nb);

#endif
