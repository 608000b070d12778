/*
 * The softness model file "SBSV" (layout in shearband/softness.h) and prediction from it.
 *
 * Why the structure-function parameters live in the file: a hyperplane is meaningless
 * without the exact feature map it was fitted on (grid of mu, L, xi, zeta, species count
 * and order), so prediction rebuilds the features from the file and never from defaults
 * that may since have changed. The container (magic, version, size, FNV-1a checksum) is
 * the one of the CNN/GNN files, from core/binfile.h.
 */
#include "shearband/softness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/binfile.h"

enum { SV_VERSION = 1 };
static const char SV_MAGIC[4] = {'S', 'B', 'S', 'V'};

void sb_svm_model_free(sb_svm_model *m)
{
    if (!m) return;
    sb_softness_free(&m->svm);
    free(m->meta);
    m->meta = NULL;
}

/* The line "key=value\n" of key in meta: start and length, or NULL. */
static const char *sv_find(const char *meta, const char *key, size_t *len)
{
    const size_t kl = strlen(key);
    for (const char *p = meta; p && *p;) {
        const char *nl = strchr(p, '\n');
        const size_t ll = nl ? (size_t)(nl - p) + 1 : strlen(p);
        if (ll > kl && !strncmp(p, key, kl) && p[kl] == '=') {
            *len = ll;
            return p;
        }
        p += ll;
    }
    return NULL;
}

sb_status sb_svm_model_set_meta(sb_svm_model *m, const char *key, const char *value, sb_error *err)
{
    if (!key[0] || strpbrk(key, "=\n") || strchr(value, '\n'))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "bad SVM model metadata key '%s' (or a newline in its value)",
                            key);
    const size_t old = m->meta ? strlen(m->meta) : 0, add = strlen(key) + strlen(value) + 2;
    char *meta = malloc(old + add + 1);
    if (!meta) return sb_error_set(err, SB_ERR_NOMEM, "SVM model metadata: out of memory");
    size_t n = 0, len = 0;
    const char *line = m->meta ? sv_find(m->meta, key, &len) : NULL;
    if (line) { /* drop the old line, keep the order of the others */
        memcpy(meta, m->meta, (size_t)(line - m->meta));
        n = (size_t)(line - m->meta);
        memcpy(meta + n, line + len, old - n - len);
        n += old - (size_t)(line - m->meta) - len;
    } else if (old) {
        memcpy(meta, m->meta, old);
        n = old;
    }
    n += (size_t)sprintf(meta + n, "%s=%s\n", key, value);
    meta[n] = '\0';
    free(m->meta);
    m->meta = meta;
    return SB_OK;
}

const char *sb_svm_model_get_meta(const sb_svm_model *m, const char *key, char *buf, size_t bufsz)
{
    size_t len = 0;
    const char *line = m->meta ? sv_find(m->meta, key, &len) : NULL;
    if (!line || bufsz == 0) return NULL;
    const size_t kl = strlen(key);
    size_t vl = len - kl - 1;
    if (vl && line[kl + 1 + vl - 1] == '\n') vl--;
    if (vl >= bufsz) vl = bufsz - 1;
    memcpy(buf, line + kl + 1, vl);
    buf[vl] = '\0';
    return buf;
}

sb_status sb_svm_model_save(const sb_svm_model *m, const char *path, sb_error *err)
{
    sb_status st = sb_sf_params_check(&m->sf, err);
    if (st != SB_OK) return sb_error_prefix(err, "%s: ", path);
    if (m->svm.nfeat != sb_sf_count(&m->sf) || !m->svm.w)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "%s: the SVM has %zu features, its structure functions %zu",
                            path, m->svm.nfeat, sb_sf_count(&m->sf));
    sb_bin_writer w;
    sb_bin_begin(&w, SV_MAGIC, SV_VERSION);
    const size_t ml = m->meta ? strlen(m->meta) : 0;
    sb_bin_put_u32(&w, (uint32_t)ml);
    if (ml) sb_bin_put(&w, m->meta, ml);
    const sb_sf_params *p = &m->sf;
    sb_bin_put_f64(&w, p->mu_min);
    sb_bin_put_f64(&w, p->mu_max);
    sb_bin_put_f64(&w, p->mu_step);
    sb_bin_put_f64(&w, p->width_L);
    sb_bin_put_f64(&w, p->angular_cutoff);
    sb_bin_put_u32(&w, (uint32_t)p->n_xi);
    for (int a = 0; a < p->n_xi; a++) sb_bin_put_f64(&w, p->xi[a]);
    sb_bin_put_u32(&w, (uint32_t)p->n_zeta);
    for (int a = 0; a < p->n_zeta; a++) sb_bin_put_f64(&w, p->zeta[a]);
    sb_bin_put_u32(&w, (uint32_t)p->nspecies);
    const size_t F = m->svm.nfeat;
    sb_bin_put_u64(&w, (uint64_t)F);
    for (size_t k = 0; k < F; k++) sb_bin_put_f64(&w, m->svm.mean[k]);
    for (size_t k = 0; k < F; k++) sb_bin_put_f64(&w, m->svm.std[k]);
    for (size_t k = 0; k < F; k++) sb_bin_put_f64(&w, m->svm.w[k]);
    sb_bin_put_f64(&w, m->svm.bias);
    return sb_bin_commit(&w, path, "SVM softness model", err);
}

static sb_status sv_parse(sb_bin_reader *r, const char *path, sb_svm_model *m, sb_error *err)
{
    const uint32_t ml = sb_bin_get_u32(r);
    const unsigned char *meta = sb_bin_get(r, ml);
    if (r->fail) return sb_error_set(err, SB_ERR_FORMAT, "%s: bad metadata length %u", path, ml);
    if (memchr(meta, '\0', ml) || (ml && meta[ml - 1] != '\n'))
        return sb_error_set(err, SB_ERR_FORMAT, "%s: malformed metadata", path);
    if (ml) {
        if (!(m->meta = malloc(ml + 1))) return sb_error_set(err, SB_ERR_NOMEM, "%s: out of memory", path);
        memcpy(m->meta, meta, ml);
        m->meta[ml] = '\0';
    }
    sb_sf_params *p = &m->sf;
    memset(p, 0, sizeof *p);
    p->mu_min = sb_bin_get_f64(r);
    p->mu_max = sb_bin_get_f64(r);
    p->mu_step = sb_bin_get_f64(r);
    p->width_L = sb_bin_get_f64(r);
    p->angular_cutoff = sb_bin_get_f64(r);
    const uint32_t nxi = sb_bin_get_u32(r);
    if (nxi > SB_SF_MAX_XI) return sb_error_set(err, SB_ERR_FORMAT, "%s: %u xi values (at most %d)", path, nxi, SB_SF_MAX_XI);
    p->n_xi = (int)nxi;
    for (int a = 0; a < p->n_xi; a++) p->xi[a] = sb_bin_get_f64(r);
    const uint32_t nz = sb_bin_get_u32(r);
    if (nz > SB_SF_MAX_ZETA)
        return sb_error_set(err, SB_ERR_FORMAT, "%s: %u zeta values (at most %d)", path, nz, SB_SF_MAX_ZETA);
    p->n_zeta = (int)nz;
    for (int a = 0; a < p->n_zeta; a++) p->zeta[a] = sb_bin_get_f64(r);
    const uint32_t ns = sb_bin_get_u32(r);
    p->nspecies = ns > 64 ? 64 : (int)ns;
    if (r->fail) return sb_error_set(err, SB_ERR_FORMAT, "%s: truncated structure-function record", path);
    sb_status st = sb_sf_params_check(p, err);
    if (st != SB_OK) {
        sb_error_prefix(err, "%s: bad structure-function parameters: ", path);
        if (err) err->code = SB_ERR_FORMAT;
        return SB_ERR_FORMAT;
    }
    if (!((p->mu_max - p->mu_min) / p->mu_step < 1e5)) /* before sb_sf_n_mu's int conversion */
        return sb_error_set(err, SB_ERR_FORMAT, "%s: unreasonable radial grid", path);
    const uint64_t F = sb_bin_get_u64(r);
    if (r->fail || F != sb_sf_count(p) || (r->n - r->at) != (3 * F + 1) * 8)
        return sb_error_set(err, SB_ERR_FORMAT, "%s: %llu features stored, the structure functions give %zu", path,
                            (unsigned long long)F, sb_sf_count(p));
    sb_softness_model *s = &m->svm;
    s->nfeat = (size_t)F;
    s->mean = malloc(F * sizeof *s->mean);
    s->std = malloc(F * sizeof *s->std);
    s->w = malloc(F * sizeof *s->w);
    if (!s->mean || !s->std || !s->w) return sb_error_set(err, SB_ERR_NOMEM, "%s: out of memory", path);
    for (size_t k = 0; k < F; k++) s->mean[k] = sb_bin_get_f64(r);
    for (size_t k = 0; k < F; k++) s->std[k] = sb_bin_get_f64(r);
    for (size_t k = 0; k < F; k++) s->w[k] = sb_bin_get_f64(r);
    s->bias = sb_bin_get_f64(r);
    for (size_t k = 0; k < F; k++)
        if (!(s->std[k] > 0) || !isfinite(s->mean[k]) || !isfinite(s->w[k]))
            return sb_error_set(err, SB_ERR_FORMAT, "%s: feature %zu has a bad standardisation or weight", path, k);
    if (r->fail || !isfinite(s->bias)) return sb_error_set(err, SB_ERR_FORMAT, "%s: truncated weights", path);
    return SB_OK;
}

sb_status sb_svm_model_load(const char *path, sb_svm_model *m, sb_error *err)
{
    memset(m, 0, sizeof *m);
    sb_bin_reader r;
    sb_status st = sb_bin_open(&r, path, SV_MAGIC, SV_VERSION, "SVM softness model", err);
    if (st != SB_OK) return st;
    st = sv_parse(&r, path, m, err);
    sb_bin_close(&r);
    if (st != SB_OK) sb_svm_model_free(m);
    return st;
}

sb_status sb_svm_model_predict(const sb_svm_model *m, const sb_structure *s, double *softness, sb_error *err)
{
    if (s->ntypes > m->sf.nspecies)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "svm: the structure has %d atom types, the model knows %d species",
                            s->ntypes, m->sf.nspecies);
    const size_t F = m->svm.nfeat;
    double *X = malloc((s->n ? s->n : 1) * F * sizeof *X);
    if (!X) return sb_error_set(err, SB_ERR_NOMEM, "svm: cannot allocate %zu x %zu structure functions", s->n, F);
    sb_status st = sb_sf_compute(s, &m->sf, X, err);
    if (st == SB_OK) sb_softness_predict(&m->svm, X, s->n, softness);
    free(X);
    return st;
}
