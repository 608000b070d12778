/*
 * The flexibility volume v_flex = Omega * MSD / a^2 (shearband/vflex.h).
 *
 * Ding et al. argue that the vibrational MSD alone mixes two things: how loosely an atom
 * sits in its cage and how large the cage is. Dividing by a^2 (a: mean distance to the
 * Voronoi neighbours) turns the MSD into a dimensionless Lindemann-like ratio, and
 * multiplying by the Voronoi volume Omega gives a volume: the part of the atom's volume it
 * can explore. The expression is per atom and embarrassingly parallel; it is cheap (one
 * pass), so it is not threaded.
 */
#include "shearband/vflex.h"

#include <math.h>

double sb_vflex_value(double volume, double msd, double a)
{
    if (!(volume > 0.0) || !(a > 0.0)) return 0.0;
    return volume * msd / (a * a);
}

sb_status sb_vflex_compute(const sb_voronoi_atom *vor, const double *msd, size_t n, double *vflex,
                           sb_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const double v = vor[i].volume, a = vor[i].mean_neighbor_distance;
        if (!(msd[i] >= 0.0) || !isfinite(msd[i]))
            return sb_error_set(err, SB_ERR_NUMERIC, "v_flex: MSD %g of atom %zu is not a finite "
                                "non-negative number", msd[i], i);
        if (!(v >= 0.0) || !isfinite(v) || !(a >= 0.0) || !isfinite(a))
            return sb_error_set(err, SB_ERR_NUMERIC, "v_flex: Voronoi volume %g or neighbour "
                                "distance %g of atom %zu is invalid", v, a, i);
        vflex[i] = sb_vflex_value(v, msd[i], a);
    }
    return SB_OK;
}
