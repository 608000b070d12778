/*
 * nn_file.c: the model file, version 1.
 *
 * A model file must say what it is, which input it expects (the spatial-density-map
 * parameters it was trained on go in the metadata), and fail loudly if damaged. Layout,
 * all integers unsigned little-endian, floats IEEE-754 binary32 little-endian:
 *
 *   offset      size  field
 *   0           4     magic "SBNN"
 *   4           4     u32 format version = 1
 *   8           8     u64 total file size in bytes, checksum included
 *   16          4     u32 M = metadata length in bytes
 *   20          M     metadata: text lines "key=value\n" (key without '=' or newline)
 *   20+M        16    u32 input channels, depth, height, width (depth 1 = 2D)
 *   36+M        4     u32 L = number of layers
 *   40+M        16*L  per layer: u32 kind (sb_nn_layer_kind), u32 units, u32 kernel,
 *                     f32 dropout rate
 *   40+M+16L    8     u64 P = number of parameters
 *   48+M+16L    4P    f32 parameters, flat layout of shearband/nn.h
 *   48+M+16L+4P 8     u64 FNV-1a 64-bit hash of every preceding byte
 *
 * Reading checks, in order: magic (else SB_ERR_FORMAT "not a shearband model file"),
 * version (SB_ERR_FORMAT), recorded size against the file's size (SB_ERR_FORMAT
 * "truncated"), checksum (SB_ERR_CHECKSUM), then the architecture (SB_ERR_FORMAT). A
 * flipped byte therefore always gives one of these two codes, and the message names the
 * file. The weights round-trip bit for bit.
 */
#include "nn/nn_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/fileutil.h"

enum { NN_FILE_VERSION = 1 };
static const unsigned char NN_MAGIC[4] = {'S', 'B', 'N', 'N'};

static uint64_t fnv1a64(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* ---------------------------------------------------------------- writing */

typedef struct wbuf {
    unsigned char *p;
    size_t n, cap;
    bool fail;
} wbuf;

static void put(wbuf *b, const void *src, size_t n)
{
    if (b->fail) return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n) cap *= 2;
        unsigned char *np = realloc(b->p, cap);
        if (!np) {
            b->fail = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void put_u32(wbuf *b, uint32_t v)
{
    unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    put(b, c, 4);
}

static void put_u64(wbuf *b, uint64_t v)
{
    put_u32(b, (uint32_t)v);
    put_u32(b, (uint32_t)(v >> 32));
}

static void put_f32(wbuf *b, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    put_u32(b, u);
}

sb_status sb_nn_model_save(const sb_nn_model *m, const char *path, sb_error *err)
{
    wbuf b = {0};
    put(&b, NN_MAGIC, 4);
    put_u32(&b, NN_FILE_VERSION);
    put_u64(&b, 0); /* total size, patched below */
    size_t mlen = 0;
    for (int i = 0; i < m->nmeta; i++) mlen += strlen(m->meta[i].key) + strlen(m->meta[i].value) + 2;
    put_u32(&b, (uint32_t)mlen);
    for (int i = 0; i < m->nmeta; i++) {
        put(&b, m->meta[i].key, strlen(m->meta[i].key));
        put(&b, "=", 1);
        put(&b, m->meta[i].value, strlen(m->meta[i].value));
        put(&b, "\n", 1);
    }
    put_u32(&b, (uint32_t)m->input.c);
    put_u32(&b, (uint32_t)m->input.d);
    put_u32(&b, (uint32_t)m->input.h);
    put_u32(&b, (uint32_t)m->input.w);
    put_u32(&b, (uint32_t)m->nlayers);
    for (int i = 0; i < m->nlayers; i++) {
        const sb_nn_layer_spec *s = &m->layers[i].spec;
        put_u32(&b, (uint32_t)s->kind);
        put_u32(&b, (uint32_t)s->units);
        put_u32(&b, (uint32_t)s->kernel);
        put_f32(&b, s->rate);
    }
    put_u64(&b, (uint64_t)m->nparams);
    for (size_t i = 0; i < m->nparams; i++) put_f32(&b, m->params[i]);
    if (b.fail) {
        free(b.p);
        return sb_error_set(err, SB_ERR_NOMEM, "%s: out of memory while writing the model", path);
    }
    uint64_t total = (uint64_t)b.n + 8;
    for (int k = 0; k < 8; k++) b.p[8 + k] = (unsigned char)(total >> (8 * k));
    uint64_t h = fnv1a64(b.p, b.n);
    put_u64(&b, h);
    if (b.fail) {
        free(b.p);
        return sb_error_set(err, SB_ERR_NOMEM, "%s: out of memory while writing the model", path);
    }
    sb_atomic_file af;
    sb_status st = sb_atomic_open(&af, path, err);
    if (st != SB_OK) {
        free(b.p);
        return st;
    }
    if (fwrite(b.p, 1, b.n, af.fp) != b.n) {
        sb_atomic_abort(&af);
        free(b.p);
        return sb_error_set(err, SB_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    }
    free(b.p);
    return sb_atomic_commit(&af, err);
}

/* ---------------------------------------------------------------- reading */

typedef struct rbuf {
    const unsigned char *p;
    size_t n, at;
    bool fail;
} rbuf;

static uint32_t get_u32(rbuf *b)
{
    if (b->fail || b->n - b->at < 4) {
        b->fail = true;
        return 0;
    }
    const unsigned char *c = b->p + b->at;
    b->at += 4;
    return (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24;
}

static uint64_t get_u64(rbuf *b)
{
    uint64_t lo = get_u32(b);
    return lo | (uint64_t)get_u32(b) << 32;
}

static float get_f32(rbuf *b)
{
    uint32_t u = get_u32(b);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static sb_status parse(const char *path, const unsigned char *data, size_t size, sb_nn_model **out,
                       sb_error *err)
{
    if (size < 4 || memcmp(data, NN_MAGIC, 4) != 0)
        return sb_error_set(err, SB_ERR_FORMAT, "%s: not a shearband model file (no SBNN magic number)", path);
    if (size < 24)
        return sb_error_set(err, SB_ERR_FORMAT, "%s: truncated model file (%zu bytes)", path, size);
    rbuf b = {data, size, 4, false};
    uint32_t version = get_u32(&b);
    if (version != NN_FILE_VERSION)
        return sb_error_set(err, SB_ERR_FORMAT, "%s: model file format version %u, this build reads version %d",
                            path, version, NN_FILE_VERSION);
    uint64_t total = get_u64(&b);
    if (total != size)
        return sb_error_set(err, SB_ERR_FORMAT,
                            "%s: truncated or damaged model file (%zu bytes, its header says %llu)", path, size,
                            (unsigned long long)total);
    rbuf tail = {data, size, size - 8, false};
    uint64_t want = get_u64(&tail), have = fnv1a64(data, size - 8);
    if (want != have)
        return sb_error_set(err, SB_ERR_CHECKSUM,
                            "%s: model file checksum mismatch (stored %016llx, computed %016llx): corrupted",
                            path, (unsigned long long)want, (unsigned long long)have);
    b.n = size - 8; /* the body ends where the checksum starts */
    uint32_t mlen = get_u32(&b);
    if (b.fail || mlen > b.n - b.at)
        return sb_error_set(err, SB_ERR_FORMAT, "%s: bad metadata length %u", path, mlen);
    const char *meta = (const char *)data + b.at;
    b.at += mlen;
    sb_nn_shape in;
    in.c = (int)get_u32(&b);
    in.d = (int)get_u32(&b);
    in.h = (int)get_u32(&b);
    in.w = (int)get_u32(&b);
    uint32_t nl = get_u32(&b);
    if (b.fail || nl == 0 || nl > (b.n - b.at) / 16)
        return sb_error_set(err, SB_ERR_FORMAT, "%s: bad layer count %u", path, nl);
    sb_nn_layer_spec *specs = calloc(nl, sizeof *specs);
    if (!specs) return sb_error_set(err, SB_ERR_NOMEM, "%s: out of memory", path);
    for (uint32_t i = 0; i < nl; i++) {
        specs[i].kind = (sb_nn_layer_kind)get_u32(&b);
        specs[i].units = (int)get_u32(&b);
        specs[i].kernel = (int)get_u32(&b);
        specs[i].rate = get_f32(&b);
    }
    sb_nn_model *m = NULL;
    sb_status st = sb_nn_model_create(in, specs, (int)nl, &m, err);
    free(specs);
    if (st != SB_OK) {
        sb_error_prefix(err, "%s: bad architecture: ", path);
        if (err) err->code = SB_ERR_FORMAT;
        return SB_ERR_FORMAT;
    }
    uint64_t np = get_u64(&b);
    if (b.fail || np != m->nparams || (b.n - b.at) / 4 != np || (b.n - b.at) % 4 != 0) {
        size_t expect = m->nparams;
        sb_nn_model_free(m);
        return sb_error_set(err, SB_ERR_FORMAT, "%s: %llu parameters stored, the architecture has %zu", path,
                            (unsigned long long)np, expect);
    }
    for (size_t i = 0; i < m->nparams; i++) m->params[i] = get_f32(&b);
    /* metadata lines */
    const char *p = meta, *end = meta + mlen;
    while (p < end) {
        const char *nlp = memchr(p, '\n', (size_t)(end - p));
        const char *eq = memchr(p, '=', (size_t)((nlp ? nlp : end) - p));
        if (!nlp || !eq || eq == p) {
            sb_nn_model_free(m);
            return sb_error_set(err, SB_ERR_FORMAT, "%s: malformed metadata line", path);
        }
        char key[256], *val = malloc((size_t)(nlp - eq));
        size_t kl = (size_t)(eq - p);
        if (!val || kl >= sizeof key) {
            free(val);
            sb_nn_model_free(m);
            return sb_error_set(err, SB_ERR_FORMAT, "%s: metadata key too long or out of memory", path);
        }
        memcpy(key, p, kl);
        key[kl] = '\0';
        memcpy(val, eq + 1, (size_t)(nlp - eq - 1));
        val[nlp - eq - 1] = '\0';
        st = sb_nn_model_set_meta(m, key, val, err);
        free(val);
        if (st != SB_OK) {
            sb_nn_model_free(m);
            return sb_error_prefix(err, "%s: ", path);
        }
        p = nlp + 1;
    }
    *out = m;
    return SB_OK;
}

sb_status sb_nn_model_load(const char *path, sb_nn_model **out, sb_error *err)
{
    *out = NULL;
    char *data = NULL;
    size_t size = 0;
    sb_status st = sb_read_file(path, &data, &size, err);
    if (st != SB_OK) return st;
    st = parse(path, (const unsigned char *)data, size, out, err);
    free(data);
    return st;
}
