/*
 * The shared binary container of model files (binfile.h): little-endian fields built in
 * memory, the size patched at offset 8 and an FNV-1a 64 checksum appended, then written
 * through the atomic-file helper so that a crash never leaves half a model behind. FNV-1a
 * is not cryptographic; it is there to catch truncation, bit rot and hand edits.
 */
#include "core/binfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/fileutil.h"

uint64_t sb_fnv1a64_update(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) {
        h ^= c[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t sb_fnv1a64(const void *p, size_t n)
{
    return sb_fnv1a64_update(SB_FNV1A64_BASIS, p, n);
}

void sb_bin_put(sb_bin_writer *w, const void *src, size_t n)
{
    if (w->fail) return;
    if (w->n + n > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->n + n) cap *= 2;
        unsigned char *np = realloc(w->p, cap);
        if (!np) {
            w->fail = true;
            return;
        }
        w->p = np;
        w->cap = cap;
    }
    memcpy(w->p + w->n, src, n);
    w->n += n;
}

void sb_bin_put_u32(sb_bin_writer *w, uint32_t v)
{
    const unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                                (unsigned char)(v >> 24)};
    sb_bin_put(w, c, 4);
}

void sb_bin_put_u64(sb_bin_writer *w, uint64_t v)
{
    sb_bin_put_u32(w, (uint32_t)v);
    sb_bin_put_u32(w, (uint32_t)(v >> 32));
}

void sb_bin_put_f32(sb_bin_writer *w, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    sb_bin_put_u32(w, u);
}

void sb_bin_put_f64(sb_bin_writer *w, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    sb_bin_put_u64(w, u);
}

void sb_bin_put_meta(sb_bin_writer *w, const sb_bin_meta *m)
{
    size_t len = 0;
    for (int i = 0; i < m->n; i++) len += strlen(m->kv[i].key) + strlen(m->kv[i].value) + 2;
    sb_bin_put_u32(w, (uint32_t)len);
    for (int i = 0; i < m->n; i++) {
        sb_bin_put(w, m->kv[i].key, strlen(m->kv[i].key));
        sb_bin_put(w, "=", 1);
        sb_bin_put(w, m->kv[i].value, strlen(m->kv[i].value));
        sb_bin_put(w, "\n", 1);
    }
}

void sb_bin_put_params(sb_bin_writer *w, const float *p, size_t n)
{
    sb_bin_put_u64(w, (uint64_t)n);
    for (size_t i = 0; i < n; i++) sb_bin_put_f32(w, p[i]);
}

void sb_bin_begin(sb_bin_writer *w, const char magic[4], uint32_t version)
{
    memset(w, 0, sizeof *w);
    sb_bin_put(w, magic, 4);
    sb_bin_put_u32(w, version);
    sb_bin_put_u64(w, 0); /* total size, patched by sb_bin_commit */
}

sb_status sb_bin_commit(sb_bin_writer *w, const char *path, const char *what, sb_error *err)
{
    if (!w->fail && w->n >= 16) {
        const uint64_t total = (uint64_t)w->n + 8;
        for (int k = 0; k < 8; k++) w->p[8 + k] = (unsigned char)(total >> (8 * k));
        sb_bin_put_u64(w, sb_fnv1a64(w->p, w->n));
    }
    if (w->fail || w->n < 24) {
        free(w->p);
        memset(w, 0, sizeof *w);
        return sb_error_set(err, SB_ERR_NOMEM, "%s: out of memory while writing the %s", path, what);
    }
    sb_atomic_file af;
    sb_status st = sb_atomic_open(&af, path, err);
    if (st == SB_OK && fwrite(w->p, 1, w->n, af.fp) != w->n) {
        sb_atomic_abort(&af);
        st = sb_error_set(err, SB_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    } else if (st == SB_OK) {
        st = sb_atomic_commit(&af, err);
    }
    free(w->p);
    memset(w, 0, sizeof *w);
    return st;
}

static uint64_t bin_le64(const unsigned char *c)
{
    uint64_t v = 0;
    for (int k = 7; k >= 0; k--) v = v << 8 | c[k];
    return v;
}

/* The kinds of binary file shearband writes, to name a mix-up. */
static const struct {
    char magic[4];
    const char *name;
} bin_kinds[] = {{{'S', 'B', 'N', 'N'}, "CNN model"}, {{'S', 'B', 'G', 'N'}, "GNN model"},
                 {{'S', 'B', 'S', 'V'}, "SVM softness model"}};

static const char *bin_kind(const unsigned char *magic)
{
    for (size_t k = 0; k < sizeof bin_kinds / sizeof bin_kinds[0]; k++)
        if (memcmp(magic, bin_kinds[k].magic, 4) == 0) return bin_kinds[k].name;
    return NULL;
}

sb_status sb_bin_open(sb_bin_reader *r, const char *path, const char magic[4], uint32_t version,
                      const char *what, sb_error *err)
{
    memset(r, 0, sizeof *r);
    unsigned char *d = NULL;
    size_t size = 0;
    sb_status st = sb_read_file(path, (char **)&d, &size, err);
    if (st != SB_OK) return st;
    if (size >= 4 && memcmp(d, magic, 4) != 0 && bin_kind(d) && bin_kind((const unsigned char *)magic)) {
        st = sb_error_set(err, SB_ERR_FORMAT, "%s: this is a shearband %s file (%.4s); expected: %s (%.4s)", path,
                          bin_kind(d), (const char *)d, bin_kind((const unsigned char *)magic), magic);
    } else if (size < 4 || memcmp(d, magic, 4) != 0) {
        char seen[5] = {0};
        for (size_t k = 0; k < 4 && k < size; k++) seen[k] = (d[k] >= 32 && d[k] < 127) ? (char)d[k] : '?';
        st = sb_error_set(err, SB_ERR_FORMAT, "%s: not a shearband %s file (magic '%s', expected '%.4s')", path, what,
                          seen, magic);
    } else if (size < 24) {
        st = sb_error_set(err, SB_ERR_FORMAT, "%s: truncated %s file (%zu bytes)", path, what, size);
    } else {
        const uint32_t v = (uint32_t)d[4] | (uint32_t)d[5] << 8 | (uint32_t)d[6] << 16 | (uint32_t)d[7] << 24;
        const uint64_t total = bin_le64(d + 8), want = bin_le64(d + size - 8), have = sb_fnv1a64(d, size - 8);
        if (v != version)
            st = sb_error_set(err, SB_ERR_FORMAT, "%s: %s file format version %u, this build reads version %u", path,
                              what, v, version);
        else if (total != size)
            st = sb_error_set(err, SB_ERR_FORMAT, "%s: truncated or damaged %s file (%zu bytes, its header says %llu)",
                              path, what, size, (unsigned long long)total);
        else if (want != have)
            st = sb_error_set(err, SB_ERR_CHECKSUM,
                              "%s: %s file checksum mismatch (stored %016llx, computed %016llx): corrupted", path,
                              what, (unsigned long long)want, (unsigned long long)have);
    }
    if (st != SB_OK) {
        free(d);
        return st;
    }
    r->data = d;
    r->n = size - 8;
    r->at = 16;
    return SB_OK;
}

const unsigned char *sb_bin_get(sb_bin_reader *r, size_t n)
{
    if (r->fail || r->n - r->at < n) {
        r->fail = true;
        return NULL;
    }
    const unsigned char *p = r->data + r->at;
    r->at += n;
    return p;
}

uint32_t sb_bin_get_u32(sb_bin_reader *r)
{
    const unsigned char *c = sb_bin_get(r, 4);
    return c ? (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24 : 0;
}

uint64_t sb_bin_get_u64(sb_bin_reader *r)
{
    const unsigned char *c = sb_bin_get(r, 8);
    return c ? bin_le64(c) : 0;
}

float sb_bin_get_f32(sb_bin_reader *r)
{
    const uint32_t u = sb_bin_get_u32(r);
    float v;
    memcpy(&v, &u, 4);
    return v;
}

double sb_bin_get_f64(sb_bin_reader *r)
{
    const uint64_t u = sb_bin_get_u64(r);
    double v;
    memcpy(&v, &u, 8);
    return v;
}

void sb_bin_close(sb_bin_reader *r)
{
    free(r->data);
    memset(r, 0, sizeof *r);
}

sb_status sb_bin_get_meta(sb_bin_reader *r, sb_bin_meta *m, const char *path, sb_error *err)
{
    const uint32_t len = sb_bin_get_u32(r);
    const char *p = (const char *)sb_bin_get(r, len);
    if (!p) return sb_error_set(err, SB_ERR_FORMAT, "%s: bad metadata length %u", path, len);
    if (memchr(p, '\0', len)) return sb_error_set(err, SB_ERR_FORMAT, "%s: malformed metadata (a NUL byte)", path);
    for (const char *end = p + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eq = nl ? memchr(p, '=', (size_t)(nl - p)) : NULL;
        if (!eq || eq == p) return sb_error_set(err, SB_ERR_FORMAT, "%s: malformed metadata line", path);
        char *key = malloc((size_t)(eq - p) + 1), *value = malloc((size_t)(nl - eq));
        sb_status st = key && value ? SB_OK : sb_error_set(err, SB_ERR_NOMEM, "%s: out of memory", path);
        if (st == SB_OK) {
            memcpy(key, p, (size_t)(eq - p));
            key[eq - p] = '\0';
            memcpy(value, eq + 1, (size_t)(nl - eq - 1));
            value[nl - eq - 1] = '\0';
            st = sb_bin_meta_set(m, key, value, path, err);
            if (st == SB_ERR_INVALID_ARG) st = sb_error_set(err, SB_ERR_FORMAT, "%s: malformed metadata line", path);
        }
        free(key);
        free(value);
        if (st != SB_OK) return st;
        p = nl + 1;
    }
    return SB_OK;
}

static char *bin_strdup(const char *s)
{
    const size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

sb_status sb_bin_meta_set(sb_bin_meta *m, const char *key, const char *value, const char *what, sb_error *err)
{
    if (!key || !*key || strpbrk(key, "=\n") || !value || strchr(value, '\n'))
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "%s metadata: bad key '%s' (non-empty, no '=' or newline; value without newline)", what,
                            key ? key : "(null)");
    char *v = bin_strdup(value);
    if (!v) return sb_error_set(err, SB_ERR_NOMEM, "%s metadata: out of memory", what);
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->kv[i].key, key) == 0) {
            free(m->kv[i].value);
            m->kv[i].value = v;
            return SB_OK;
        }
    char *k = bin_strdup(key);
    if (k && m->n == m->cap) {
        const int cap = m->cap ? 2 * m->cap : 8;
        struct sb_bin_kv *kv = realloc(m->kv, (size_t)cap * sizeof *kv);
        if (kv) {
            m->kv = kv;
            m->cap = cap;
        }
    }
    if (!k || m->n == m->cap) {
        free(k);
        free(v);
        return sb_error_set(err, SB_ERR_NOMEM, "%s metadata: out of memory", what);
    }
    m->kv[m->n].key = k;
    m->kv[m->n++].value = v;
    return SB_OK;
}

const char *sb_bin_meta_get(const sb_bin_meta *m, const char *key)
{
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->kv[i].key, key) == 0) return m->kv[i].value;
    return NULL;
}

void sb_bin_meta_free(sb_bin_meta *m)
{
    for (int i = 0; i < m->n; i++) {
        free(m->kv[i].key);
        free(m->kv[i].value);
    }
    free(m->kv);
    memset(m, 0, sizeof *m);
}

sb_status sb_bin_get_params(sb_bin_reader *r, float *p, size_t n, const char *path, sb_error *err)
{
    const uint64_t stored = sb_bin_get_u64(r);
    if (r->fail || stored != n || r->n - r->at != 4 * (uint64_t)n)
        return sb_error_set(err, SB_ERR_FORMAT, "%s: %llu parameters stored (%zu bytes left), the architecture has %zu",
                            path, (unsigned long long)stored, r->fail ? (size_t)0 : r->n - r->at, n);
    for (size_t i = 0; i < n; i++) p[i] = sb_bin_get_f32(r);
    return SB_OK;
}
