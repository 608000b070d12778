/*
 * Built-in indicator sources (shearband/indicator.h). The Voronoi source computes the
 * tessellation once per glass (it does not depend on the loading orientation) and serves
 * the five-fold bond fraction or the local density from it. The flexibility-volume source
 * adds the vibrational MSD of an isoconfigurational NVT ensemble (LAMMPS), cached on disk
 * per glass, so that a survey that is run again reuses every finished MD run.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/dataset.h"
#include "shearband/fileutil.h"
#include "shearband/indicator.h"
#include "shearband/vflex.h"
#include "shearband/vibration.h"
#include "shearband/voronoi.h"

/* ---- Voronoi source: ffb and rho, computed once per glass ---------------------------- */

typedef struct voronoi_ctx {
    int which;          /* 0 = ffb, 1 = rho */
    size_t glass_index; /* cached glass (SIZE_MAX: none) */
    size_t n;
    sb_voronoi_atom *atoms;
} voronoi_ctx;

static sb_status voronoi_values(void *vctx, size_t glass_index, const sb_structure *glass,
                                const sb_structure *loaded, int orientation, double *out, sb_error *err)
{
    (void)loaded, (void)orientation;
    voronoi_ctx *c = vctx;
    if (c->glass_index != glass_index || c->n != glass->n) {
        sb_voronoi_atom *a = realloc(c->atoms, (glass->n ? glass->n : 1) * sizeof *a);
        if (!a) return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate Voronoi results");
        c->atoms = a;
        c->glass_index = SIZE_MAX;
        const sb_voronoi_params p = sb_voronoi_params_default();
        sb_status rc = sb_voronoi_compute(glass, &p, c->atoms, err);
        if (rc != SB_OK) return rc;
        c->glass_index = glass_index;
        c->n = glass->n;
    }
    for (size_t i = 0; i < glass->n; i++) out[i] = c->which == 0 ? c->atoms[i].ffb : c->atoms[i].rho;
    return SB_OK;
}

sb_status sb_indicator_voronoi_source(const char *name, sb_indicator_source *src, sb_error *err)
{
    const int which = strcmp(name, "ffb") == 0 ? 0 : strcmp(name, "rho") == 0 ? 1 : -1;
    if (which < 0) return sb_error_set(err, SB_ERR_INVALID_ARG, "'%s' is not a Voronoi indicator", name);
    voronoi_ctx *c = calloc(1, sizeof *c);
    if (!c) return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate Voronoi source");
    c->which = which;
    c->glass_index = SIZE_MAX;
    src->info = sb_indicator_lookup(name);
    src->values = voronoi_values;
    src->ctx = c;
    return SB_OK;
}

void sb_indicator_voronoi_free(sb_indicator_source *src)
{
    if (!src || !src->ctx) return;
    voronoi_ctx *c = src->ctx;
    free(c->atoms);
    free(c);
    src->ctx = NULL;
}


/* ---- flexibility volume: Voronoi volume x MSD / a^2, MSD ensemble cached per glass ------ */

typedef struct vflex_ctx {
    char root[SB_PATH_MAX]; /* cache root: one folder per glass fingerprint */
    sb_vibration_options vo;
    size_t glass_index;
    size_t n;
    double *value;
} vflex_ctx;

static sb_status vflex_values(void *vctx, size_t glass_index, const sb_structure *glass,
                              const sb_structure *loaded, int orientation, double *out, sb_error *err)
{
    (void)loaded, (void)orientation;
    vflex_ctx *c = vctx;
    if (c->glass_index != glass_index || c->n != glass->n) {
        c->glass_index = SIZE_MAX;
        double *v = realloc(c->value, (glass->n ? glass->n : 1) * sizeof *v);
        if (!v) return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate flexibility volumes");
        c->value = v;
        char dir[SB_PATH_MAX], leaf[32];
        snprintf(leaf, sizeof leaf, "%016" PRIx64, sb_glass_fingerprint(glass));
        sb_status rc = sb_path_join(dir, sizeof dir, c->root, leaf, err);
        if (rc == SB_OK) rc = sb_mkdir_p(dir, err);
        sb_vibration_options vo = c->vo;
        vo.run_dir = dir;
        sb_vibration_result vr = SB_VIBRATION_RESULT_INIT;
        sb_voronoi_atom *vor = rc == SB_OK ? malloc((glass->n ? glass->n : 1) * sizeof *vor) : NULL;
        if (rc == SB_OK && !vor) rc = sb_error_set(err, SB_ERR_NOMEM, "cannot allocate Voronoi records");
        if (rc == SB_OK) rc = sb_vibration_msd(glass, &vo, &vr, err);
        if (rc == SB_OK) {
            const sb_voronoi_params p = sb_voronoi_params_default();
            rc = sb_voronoi_compute(glass, &p, vor, err);
        }
        if (rc == SB_OK) rc = sb_vflex_compute(vor, vr.msd, glass->n, c->value, err);
        free(vor);
        sb_vibration_result_free(&vr);
        if (rc != SB_OK) return sb_error_prefix(err, "flexibility volume (MSD runs in %s): ", dir);
        c->glass_index = glass_index;
        c->n = glass->n;
    }
    memcpy(out, c->value, glass->n * sizeof *out);
    return SB_OK;
}

sb_status sb_indicator_vflex_source(const char *cache_root, const sb_vibration_options *opt,
                                   sb_indicator_source *src, sb_error *err)
{
    if (!cache_root || !*cache_root)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "the vflex indicator needs a folder for its MD runs");
    vflex_ctx *c = calloc(1, sizeof *c);
    if (!c) return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate vflex source");
    snprintf(c->root, sizeof c->root, "%s", cache_root);
    c->vo = opt ? *opt : sb_vibration_options_default();
    c->glass_index = SIZE_MAX;
    src->info = sb_indicator_lookup("vflex");
    src->values = vflex_values;
    src->ctx = c;
    return SB_OK;
}

void sb_indicator_vflex_free(sb_indicator_source *src)
{
    if (!src || !src->ctx) return;
    vflex_ctx *c = src->ctx;
    free(c->value);
    free(c);
    src->ctx = NULL;
}
