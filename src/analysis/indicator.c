/*
 * Indicators, their fertile rules and what their profiles predict (shearband/indicator.h).
 * Everything indicator-specific lives in the table below; DFS, the predicted band, Delta and
 * gamma are computed the same way for all of them.
 */
#include "shearband/indicator.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const sb_indicator_info indicators[] = {
    {"cnn", "CNN probability on the spatial density map", SB_FERTILE_ABOVE, 0.5, SB_HIGHER_FAVOURS_BAND, true},
    {"gnn", "GNN probability (Bapst et al. 2020)", SB_FERTILE_ABOVE, 0.5, SB_HIGHER_FAVOURS_BAND, true},
    {"svm", "linear-SVM softness (Cubuk et al. 2015)", SB_FERTILE_ABOVE, 0.0, SB_HIGHER_FAVOURS_BAND, false},
    {"vflex", "flexibility volume (Ding et al. 2016)", SB_FERTILE_TOP_FRACTION, 0.2, SB_HIGHER_FAVOURS_BAND,
     false},
    {"ffb", "five-fold bond fraction (Peng et al. 2011)", SB_PROFILE_SLAB_MEAN, 0.0, SB_LOWER_FAVOURS_BAND,
     false},
    {"rho", "local atomic density 1/Voronoi volume", SB_PROFILE_SLAB_MEAN, 0.0, SB_LOWER_FAVOURS_BAND, false},
};

const sb_indicator_info *sb_indicator_table(size_t *count)
{
    *count = sizeof indicators / sizeof indicators[0];
    return indicators;
}

const sb_indicator_info *sb_indicator_lookup(const char *name)
{
    for (size_t k = 0; k < sizeof indicators / sizeof indicators[0]; k++)
        if (strcmp(indicators[k].name, name) == 0) return &indicators[k];
    return NULL;
}

sb_status sb_indicator_fertile(const sb_indicator_info *ind, const double *value, const int64_t *id,
                               size_t n, unsigned char *fertile, sb_error *err)
{
    switch (ind->rule) {
    case SB_FERTILE_ABOVE:
        for (size_t i = 0; i < n; i++) {
            if (!isfinite(value[i]))
                return sb_error_set(err, SB_ERR_NUMERIC, "indicator %s is not finite at atom %zu", ind->name, i);
            fertile[i] = value[i] > ind->parameter;
        }
        return SB_OK;
    case SB_FERTILE_TOP_FRACTION:
        return sb_top_fraction_mask(value, id, n, ind->parameter, fertile, NULL, NULL, err);
    case SB_PROFILE_SLAB_MEAN:
        break;
    }
    return sb_error_set(err, SB_ERR_INVALID_ARG, "indicator %s has no fertile rule (it is a slab mean)",
                        ind->name);
}

sb_status sb_indicator_profiles(const sb_indicator_info *ind, const sb_cell *cell, const double *x,
                                const int64_t *id, const double *value, size_t n, double width, double step,
                                sb_profile out[2], sb_error *err)
{
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate indicator profile");
    sb_slab_options opt = sb_slab_options_default();
    opt.width = width;
    opt.step = step;
    sb_status rc = SB_OK;
    if (ind->rule == SB_PROFILE_SLAB_MEAN) {
        for (size_t i = 0; i < n; i++) {
            if (!isfinite(value[i])) {
                free(v);
                return sb_error_set(err, SB_ERR_NUMERIC, "indicator %s is not finite at atom %zu", ind->name, i);
            }
            v[i] = value[i];
        }
        opt.mode = SB_SLAB_MEAN;
    } else {
        unsigned char *flag = malloc(n ? n : 1);
        if (!flag) {
            free(v);
            return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate fertile flags");
        }
        rc = sb_indicator_fertile(ind, value, id, n, flag, err);
        for (size_t i = 0; i < n && rc == SB_OK; i++) v[i] = flag[i];
        free(flag);
        opt.mode = SB_SLAB_FRACTION;
    }
    for (int a = 0; a < 2 && rc == SB_OK; a++) {
        opt.axis = a;
        rc = sb_slab_profile(cell, x, v, n, &opt, &out[a], err);
    }
    free(v);
    return rc;
}

void sb_indicator_predict(const sb_indicator_info *ind, const sb_profile prof[2], sb_prediction *pred)
{
    memset(pred, 0, sizeof *pred);
    double lo = INFINITY, hi = -INFINITY;
    double best = ind->sense == SB_HIGHER_FAVOURS_BAND ? -INFINITY : INFINITY;
    /* Y first so that a tie goes to the horizontal band, as for the observed band. */
    for (int a = 1; a >= 0; a--)
        for (size_t m = 0; m < prof[a].n; m++) {
            const double v = prof[a].value[m];
            lo = fmin(lo, v);
            hi = fmax(hi, v);
            const int better = ind->sense == SB_HIGHER_FAVOURS_BAND ? v > best : v < best;
            if (better) {
                best = v;
                pred->axis = a;
                pred->index = m;
                pred->centre = prof[a].centre[m];
            }
        }
    pred->best = best;
    pred->delta = hi - lo;
    pred->signed_position = sb_profile_signed_position(pred->axis, pred->centre);
}

sb_status sb_indicator_gamma(const sb_indicator_info *ind, const sb_profile prof[2], int band_axis,
                             double band_centre, double *gamma, sb_error *err)
{
    if (band_axis != 0 && band_axis != 1)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "band axis must be 0 or 1, not %d", band_axis);
    const sb_profile *p = &prof[band_axis];
    if (p->n == 0) return sb_error_set(err, SB_ERR_INVALID_ARG, "empty indicator profile");
    /* Nearest slab centre, periodically over the cell width. */
    size_t best = 0;
    double bestd = INFINITY;
    for (size_t m = 0; m < p->n; m++) {
        double d = fmod(fabs(p->centre[m] - band_centre), p->length);
        d = fmin(d, p->length - d);
        if (d < bestd) {
            bestd = d;
            best = m;
        }
    }
    return sb_gamma(prof[0].value, prof[0].n, prof[1].value, prof[1].n, band_axis, best, ind->sense, gamma, err);
}
