/*
 * gnn_file.c: the GNN model file, version 1: the CNN's container (nn_file.c) with its own
 * magic "SBGN" and an architecture record instead of the layer list, so that a CNN file is
 * refused by the GNN loader (and vice versa) with a clear message. Integers unsigned
 * little-endian, floats IEEE-754 little-endian:
 *
 *   offset    size  field
 *   0         4     magic "SBGN"
 *   4         4     u32 format version = 1
 *   8         8     u64 total file size in bytes, checksum included
 *   16        4     u32 M = metadata length in bytes
 *   20        M     metadata: text lines "key=value\n"
 *   20+M      4     u32 nspecies
 *   24+M      4     u32 latent width L
 *   28+M      4     u32 message-passing steps T
 *   32+M      4     u32 edge features (3 = displacement, 4 = displacement + length)
 *   36+M      8     f64 cutoff in A
 *   44+M      8     f64 aggregation norm
 *   52+M      8     u64 P = number of parameters
 *   60+M      4P    f32 parameters, flat layout of shearband/gnn.h
 *   60+M+4P   8     u64 FNV-1a 64-bit hash of every preceding byte
 *
 * Reading checks magic (SB_ERR_FORMAT, naming an SBNN file as a CNN model), version,
 * recorded size against the file size ("truncated"), checksum (SB_ERR_CHECKSUM), then the
 * architecture and parameter count (SB_ERR_FORMAT). Weights round-trip bit for bit.
 */
#include "nn/gnn_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/fileutil.h"

enum { GNN_FILE_VERSION = 1 };
static const unsigned char GNN_MAGIC[4] = {'S', 'B', 'G', 'N'};

static uint64_t fnv1a64(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

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

sb_status sb_gnn_model_save(const sb_gnn_model *m, const char *path, sb_error *err)
{
    wbuf b = {0};
    put(&b, GNN_MAGIC, 4);
    put_u32(&b, GNN_FILE_VERSION);
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
    put_u32(&b, (uint32_t)m->cfg.nspecies);
    put_u32(&b, (uint32_t)m->cfg.latent);
    put_u32(&b, (uint32_t)m->cfg.steps);
    put_u32(&b, (uint32_t)m->edge_dim);
    uint64_t cu;
    memcpy(&cu, &m->cfg.cutoff, 8);
    put_u64(&b, cu);
    memcpy(&cu, &m->cfg.agg_norm, 8);
    put_u64(&b, cu);
    put_u64(&b, (uint64_t)m->nparams);
    for (size_t i = 0; i < m->nparams; i++) {
        uint32_t u;
        memcpy(&u, &m->params[i], 4);
        put_u32(&b, u);
    }
    if (!b.fail) {
        uint64_t total = (uint64_t)b.n + 8;
        for (int k = 0; k < 8; k++) b.p[8 + k] = (unsigned char)(total >> (8 * k));
        put_u64(&b, fnv1a64(b.p, b.n));
    }
    if (b.fail) {
        free(b.p);
        return sb_error_set(err, SB_ERR_NOMEM, "%s: out of memory while writing the GNN model", path);
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

static sb_status parse(const char *path, const unsigned char *data, size_t size, sb_gnn_model **out, sb_error *err)
{
    if (size >= 4 && memcmp(data, "SBNN", 4) == 0)
        return sb_error_set(err, SB_ERR_FORMAT, "%s: this is a CNN model (SBNN), not a GNN model (SBGN)", path);
    if (size < 4 || memcmp(data, GNN_MAGIC, 4) != 0)
        return sb_error_set(err, SB_ERR_FORMAT, "%s: not a shearband GNN model file (no SBGN magic number)", path);
    if (size < 24) return sb_error_set(err, SB_ERR_FORMAT, "%s: truncated GNN model file (%zu bytes)", path, size);
    rbuf b = {data, size, 4, false};
    uint32_t version = get_u32(&b);
    if (version != GNN_FILE_VERSION)
        return sb_error_set(err, SB_ERR_FORMAT, "%s: GNN model file format version %u, this build reads version %d",
                            path, version, GNN_FILE_VERSION);
    uint64_t total = get_u64(&b);
    if (total != size)
        return sb_error_set(err, SB_ERR_FORMAT,
                            "%s: truncated or damaged GNN model file (%zu bytes, its header says %llu)", path, size,
                            (unsigned long long)total);
    rbuf tail = {data, size, size - 8, false};
    uint64_t want = get_u64(&tail), have = fnv1a64(data, size - 8);
    if (want != have)
        return sb_error_set(err, SB_ERR_CHECKSUM,
                            "%s: GNN model file checksum mismatch (stored %016llx, computed %016llx): corrupted",
                            path, (unsigned long long)want, (unsigned long long)have);
    b.n = size - 8;
    uint32_t mlen = get_u32(&b);
    if (b.fail || mlen > b.n - b.at) return sb_error_set(err, SB_ERR_FORMAT, "%s: bad metadata length %u", path, mlen);
    const char *meta = (const char *)data + b.at;
    b.at += mlen;
    sb_gnn_config c = sb_gnn_config_default();
    c.nspecies = (int)get_u32(&b);
    c.latent = (int)get_u32(&b);
    c.steps = (int)get_u32(&b);
    uint32_t fe = get_u32(&b);
    uint64_t cu = get_u64(&b);
    memcpy(&c.cutoff, &cu, 8);
    cu = get_u64(&b);
    memcpy(&c.agg_norm, &cu, 8);
    c.edge_length = fe == 4;
    sb_gnn_model *m = NULL;
    if (b.fail || (fe != 3 && fe != 4) || sb_gnn_config_check(&c, NULL) != SB_OK ||
        sb_gnn_model_create(&c, &m, err) != SB_OK) {
        sb_gnn_model_free(m);
        return sb_error_set(err, SB_ERR_FORMAT, "%s: bad GNN architecture record", path);
    }
    uint64_t np = get_u64(&b);
    if (b.fail || np != m->nparams || (b.n - b.at) != 4 * np) {
        size_t expect = m->nparams;
        sb_gnn_model_free(m);
        return sb_error_set(err, SB_ERR_FORMAT, "%s: %llu parameters stored, the architecture has %zu", path,
                            (unsigned long long)np, expect);
    }
    for (size_t i = 0; i < m->nparams; i++) {
        uint32_t u = get_u32(&b);
        memcpy(&m->params[i], &u, 4);
    }
    const char *p = meta, *end = meta + mlen;
    while (p < end) {
        const char *nlp = memchr(p, '\n', (size_t)(end - p));
        const char *eq = nlp ? memchr(p, '=', (size_t)(nlp - p)) : NULL;
        if (!nlp || !eq || eq == p || eq - p >= 256) {
            sb_gnn_model_free(m);
            return sb_error_set(err, SB_ERR_FORMAT, "%s: malformed metadata line", path);
        }
        char key[256], *val = malloc((size_t)(nlp - eq));
        if (!val) {
            sb_gnn_model_free(m);
            return sb_error_set(err, SB_ERR_NOMEM, "%s: out of memory", path);
        }
        memcpy(key, p, (size_t)(eq - p));
        key[eq - p] = '\0';
        memcpy(val, eq + 1, (size_t)(nlp - eq - 1));
        val[nlp - eq - 1] = '\0';
        sb_status st = sb_gnn_model_set_meta(m, key, val, err);
        free(val);
        if (st != SB_OK) {
            sb_gnn_model_free(m);
            return sb_error_prefix(err, "%s: ", path);
        }
        p = nlp + 1;
    }
    *out = m;
    return SB_OK;
}

sb_status sb_gnn_model_load(const char *path, sb_gnn_model **out, sb_error *err)
{
    *out = NULL;
    char *buf = NULL;
    size_t n = 0;
    sb_status st = sb_read_file(path, &buf, &n, err);
    if (st != SB_OK) return st;
    st = parse(path, (const unsigned char *)buf, n, out, err);
    free(buf);
    return st;
}
