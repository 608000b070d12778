/*
 * shearband/analysis.h: slab profiles of per-atom quantities and shear-band location.
 *
 * Slab profile. For an axis k (0 = X, 1 = Y; 2 = Z is accepted too) the cell is cut into
 * parallelepipeds bounded by planes parallel to the cell faces that are crossed by that
 * axis, i.e. by constant reduced coordinate s_k (full cell along the other two directions,
 * periodic). With W_k the perpendicular width of the cell along k (sb_cell_widths), a slab
 * of width w centred at reduced coordinate c holds the atoms with
 *     |s_k - c - nearbyint(s_k - c)| <= w / (2 W_k).
 * Centres are c_m = m * step / W_k for m = 0 .. M-1, M = ceil(W_k / step) (the last one
 * may be closer than step to the first, periodically). The reported centre in Angstrom is
 * c_m * W_k = m * step: the perpendicular distance from the lower cell face along k. For an
 * orthogonal cell that is simply x - xlo (or y - ylo); for an xy-tilted cell the Y slabs are
 * still horizontal planes (W_y = ly) while X slabs are tilted with the cell (W_x < lx).
 * The signed position follows the paper (Fan, Ma, Falk, Fig. 1): X positions are multiplied
 * by -1, so horizontal bands (peak in the Y profile) are > 0 and vertical ones < 0.
 * Two modes: SB_SLAB_FRACTION gives the fraction of the slab's atoms whose value is > 0.5
 * (pass 0/1 for a boolean); SB_SLAB_MEAN the mean value over the slab's atoms. An empty
 * slab has value 0. Cost O(N + M): atoms are counting-sorted into M equal bins of s_k;
 * each slab adds whole interior bins by prefix sums and tests only the atoms of its two
 * boundary bins individually, so the result is exactly that of the definition above.
 *
 * Band location (observed, METHOD.md section 5). The highly deformed atoms are the top
 * f_top of D2min: n_top = max(1, round(f_top N)) atoms after sorting by D2min descending,
 * ties broken by ascending atom id (deterministic whatever the file order). The band is
 * the maximum over the X and Y fraction profiles (a tie goes to Y, the horizontal band).
 * The maximum is often a plateau of consecutive centres (a band narrower than the slab is
 * wholly inside it for several positions): peak_centre is the middle of the longest such
 * run (so it may fall half-way between two centres). The reported centre refines it: the
 * mean position (along the axis, periodic offsets from peak_centre, in the slab metric) of
 * the highly deformed atoms inside the peak slab. The grid maximum of a band seen through a
 * slab as wide as the band is the flat top of a triangle and wanders by a step or two with
 * counting noise; the mean uses every atom of the slab and does not.
 * A band is reported only if both
 *   z = (peak - f) / sqrt(f (1 - f) (1 - n_slab / N) / n_slab * N / (N - 1)) >= z_min
 *        (f = n_top / N, n_slab atoms in the peak slab: the peak's excess over random
 *        placement of the marks in standard errors of the hypergeometric distribution,
 *        i.e. the binomial one with the finite-population factor),
 *   concentration = (peak - f) / (peak_max - f) >= concentration_min,
 *        peak_max = min(1, n_top / n_slab): the peak if every highly deformed atom sat in
 *        that slab, so the measure is 0 for a uniform field and 1 for a perfectly localised
 *        one whatever the box size, slab width and f_top.
 * z rejects noise (it grows like sqrt(N) for a real band), the concentration rejects a
 * statistically significant but diffuse excess (a weak gradient in a large box). A slab at
 * least as wide as the cell along both axes can never localise: then found = 0.
 * Defaults z_min = 5 (the maximum over the ~2 W / w independent slab positions of a
 * uniform field stays below ~3.5 sigma even for large boxes; measured on the 4000-atom
 * glass g001 with 19 A slabs, a uniform random field gives z median 1.9, 99th percentile
 * 3.5, largest 4.2 in 300 draws, while a perfectly localised band reaches 7.0) and
 * concentration_min = 0.3. Both are to be recalibrated on real shear runs.
 * The localization measure reported alongside is the standard deviation of the per-atom
 * von Mises shear strain (when given) and the peak-to-mean ratio of the winning profile.
 * Ownership: sb_profile and sb_band_result own their arrays; initialise with the _INIT
 * macros and release with the _free functions.
 */
#ifndef SHEARBAND_ANALYSIS_H
#define SHEARBAND_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#include "shearband/cell.h"
#include "shearband/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sb_slab_mode {
    SB_SLAB_FRACTION = 0, /* fraction of the slab's atoms with value > 0.5 */
    SB_SLAB_MEAN = 1      /* mean of the values over the slab's atoms */
} sb_slab_mode;

typedef struct sb_slab_options {
    int axis;          /* 0 = X, 1 = Y, 2 = Z (default 0) */
    double width;      /* slab width w, Angstrom (default 19) */
    double step;       /* spacing of the centres, Angstrom (default 1) */
    sb_slab_mode mode; /* default SB_SLAB_FRACTION */
} sb_slab_options;

sb_slab_options sb_slab_options_default(void);

typedef struct sb_profile {
    int axis;
    size_t n;         /* number of centres */
    double *centre;   /* n, Angstrom from the lower face (m * step) */
    double *value;    /* n */
    size_t *count;    /* n, atoms in each slab */
    double length;    /* W_axis: perpendicular width of the cell along the axis */
    double width;     /* slab width used */
} sb_profile;

#define SB_PROFILE_INIT {0}

void sb_profile_free(sb_profile *p);

/* Paper convention: -centre for axis 0 (X), +centre otherwise. */
double sb_profile_signed_position(int axis, double centre);

/* Slab profile of value[0..n-1] at positions x (3n, Cartesian, need not be wrapped).
 * Fails with SB_ERR_INVALID_ARG for a bad axis, width <= 0 or step <= 0. */
sb_status sb_slab_profile(const sb_cell *cell, const double *x, const double *value, size_t n,
                          const sb_slab_options *opt, sb_profile *out, sb_error *err);

/* mask[i] = 1 for the n_top = max(1, round(f_top n)) atoms of largest value (ties: lower
 * id first; id may be NULL, then the index decides), else 0. *n_top_out may be NULL. */
sb_status sb_top_fraction_mask(const double *value, const int64_t *id, size_t n, double f_top,
                               unsigned char *mask, size_t *n_top_out, double *threshold_out,
                               sb_error *err);

typedef struct sb_band_options {
    double f_top;             /* fraction of highly deformed atoms (default 0.01) */
    double width;             /* slab width w_SB, Angstrom (default 19) */
    double step;              /* centre spacing, Angstrom (default 1) */
    double z_min;             /* default 5 */
    double concentration_min; /* default 0.3 */
} sb_band_options;

sb_band_options sb_band_options_default(void);

typedef struct sb_band_result {
    int found;                 /* 1 if the no-band rule passed */
    int axis;                  /* axis of the winning profile: 1 horizontal band, 0 vertical */
    double centre;             /* Angstrom from the lower face along axis (refined) */
    double peak_centre;        /* centre of the profile's maximum (grid, plateau middle) */
    double signed_position;    /* paper convention (X negated) */
    double peak;               /* fraction of highly deformed atoms in the peak slab */
    double mean;               /* mean of the winning profile */
    double peak_to_mean;       /* peak / mean */
    double z;                  /* hypergeometric z-score of the peak */
    double concentration;      /* (peak - f) / (peak_max - f) */
    size_t n_slab;             /* atoms in the peak slab */
    size_t n_top;              /* highly deformed atoms */
    double threshold;          /* smallest D2min among the highly deformed atoms */
    double strain_std;         /* std of per-atom von Mises strain (NaN if not given) */
    double strain_mean;        /* mean of per-atom von Mises strain (NaN if not given) */
    char reason[160];          /* one sentence: why a band was or was not called */
    sb_profile profile[2];     /* [0] along X, [1] along Y */
} sb_band_result;

#define SB_BAND_RESULT_INIT {0}

void sb_band_result_free(sb_band_result *r);

/* Locate the band from per-atom D2min at positions x (3n) in cell. id (may be NULL) breaks
 * ties; shear_strain (may be NULL) feeds the localization measure. */
sb_status sb_band_locate(const sb_cell *cell, const double *x, const int64_t *id,
                         const double *d2min, const double *shear_strain, size_t n,
                         const sb_band_options *opt, sb_band_result *res, sb_error *err);

/* Locate the band of a shear run: its snapshot RUN_DIR/strain_<strain>.dump (written by
 * sb_shear with the d2min and shear_strain columns). A snapshot without d2min is an
 * SB_ERR_FORMAT error naming the file. */
sb_status sb_band_locate_run(const char *run_dir, double strain, const sb_band_options *opt,
                             sb_band_result *res, sb_error *err);

#ifdef __cplusplus
}
#endif
#endif
