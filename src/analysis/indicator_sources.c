/*
 * Built-in indicator sources (shearband/indicator.h). The Voronoi source computes the
 * tessellation once per glass (it does not depend on the loading orientation) and serves
 * the five-fold bond fraction or the local density from it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/indicator.h"
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

