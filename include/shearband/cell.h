/*
 * shearband/cell.h: periodic triclinic simulation cell.
 *
 * Conventions (those of LAMMPS, so that data files round-trip unchanged):
 *   - Units: Angstrom.
 *   - The cell is given by its lower and upper bounds lo[3], hi[3] and the tilts xy, xz, yz.
 *     Its edge vectors are   a = (lx, 0, 0),  b = (xy, ly, 0),  c = (xz, yz, lz)
 *     with lx = hi[0]-lo[0] etc. Stacked as ROWS they form the lower-triangular matrix
 *         H = | lx  0   0  |
 *             | xy  ly  0  |
 *             | xz  yz  lz |
 *   - Fractional (reduced) coordinates s relate to Cartesian r by  r = lo + s H
 *     (s a row vector), i.e. r = lo + s0 a + s1 b + s2 c; s in [0,1) inside the cell.
 *   - All three directions are periodic.
 * An sb_cell caches H and its inverse; always create one with sb_cell_set(), which
 * validates the input, and never edit fields by hand afterwards.
 */
#ifndef SHEARBAND_CELL_H
#define SHEARBAND_CELL_H

#include "shearband/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sb_cell {
    double lo[3], hi[3];
    double xy, xz, yz;
    double h[3][3];    /* rows a, b, c (derived) */
    double hinv[3][3]; /* inverse of h: s = (r - lo) hinv (derived) */
} sb_cell;

/* Build a cell; fails with SB_ERR_GEOMETRY for non-finite values or non-positive volume. */
sb_status sb_cell_set(sb_cell *cell, const double lo[3], const double hi[3],
                      double xy, double xz, double yz, sb_error *err);

/* Orthogonal cell [0,lx) x [0,ly) x [0,lz) (convenience for tests and generators). */
sb_status sb_cell_set_ortho(sb_cell *cell, double lx, double ly, double lz, sb_error *err);

int sb_cell_is_triclinic(const sb_cell *cell);
double sb_cell_volume(const sb_cell *cell);

/* Perpendicular widths: the distance between opposite faces along each reduced axis
 * (w_k = V / |area of the face spanned by the other two vectors|). A sphere of radius r
 * fits in the cell without touching its own images iff 2r < min_k w_k. */
void sb_cell_widths(const sb_cell *cell, double w[3]);

void sb_cell_to_frac(const sb_cell *cell, const double r[3], double s[3]);
void sb_cell_to_cart(const sb_cell *cell, const double s[3], double r[3]);

/* Fractional -> Cartesian for a displacement (no origin shift), and back. */
void sb_cell_frac_to_vec(const sb_cell *cell, const double ds[3], double d[3]);
void sb_cell_vec_to_frac(const sb_cell *cell, const double d[3], double ds[3]);

/* Wrap r into the cell (s in [0,1)). If image is not NULL the image counters are
 * updated so that the unwrapped position r + image H is unchanged. A non-finite r is left
 * unchanged. */
void sb_cell_wrap(const sb_cell *cell, double r[3], int image[3]);

/* Replace the difference vector d by its shortest periodic image, exactly, for any cell.
 * The fractional components are rounded to nearest and the 26 neighbouring images are
 * checked; that is already exact for well-shaped cells. For elongated or heavily tilted
 * cells a wider box of images, bounded through the perpendicular widths, is searched
 * (up to 64 cell images per axis: only pathologically thin cells exceed that). A
 * non-finite d is left unchanged. */
void sb_cell_min_image(const sb_cell *cell, double d[3]);

#ifdef __cplusplus
}
#endif
#endif
