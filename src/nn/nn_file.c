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
 * The container (magic, version, size, checksum, metadata block) is core/binfile.h's,
 * shared with the GNN and SVM files. Reading checks, in order: magic (else SB_ERR_FORMAT
 * "not a shearband model file", or the kind of shearband file it is), version
 * (SB_ERR_FORMAT), recorded size against the file's size (SB_ERR_FORMAT "truncated"),
 * checksum (SB_ERR_CHECKSUM), then the metadata, the input shape (each extent 1-4096)
 * and the architecture (SB_ERR_FORMAT). A flipped byte
 * therefore always gives one of these two codes, and the message names the file. The
 * weights round-trip bit for bit.
 */
#include "nn/nn_internal.h"

#include <stdlib.h>

enum { NN_FILE_VERSION = 1 };
static const char NN_MAGIC[4] = {'S', 'B', 'N', 'N'};

sb_status sb_nn_model_save(const sb_nn_model *m, const char *path, sb_error *err)
{
    sb_bin_writer w;
    sb_bin_begin(&w, NN_MAGIC, NN_FILE_VERSION);
    sb_bin_put_meta(&w, &m->meta);
    sb_bin_put_u32(&w, (uint32_t)m->input.c);
    sb_bin_put_u32(&w, (uint32_t)m->input.d);
    sb_bin_put_u32(&w, (uint32_t)m->input.h);
    sb_bin_put_u32(&w, (uint32_t)m->input.w);
    sb_bin_put_u32(&w, (uint32_t)m->nlayers);
    for (int i = 0; i < m->nlayers; i++) {
        const sb_nn_layer_spec *s = &m->layers[i].spec;
        sb_bin_put_u32(&w, (uint32_t)s->kind);
        sb_bin_put_u32(&w, (uint32_t)s->units);
        sb_bin_put_u32(&w, (uint32_t)s->kernel);
        sb_bin_put_f32(&w, s->rate);
    }
    sb_bin_put_params(&w, m->params, m->nparams);
    return sb_bin_commit(&w, path, "model", err);
}

static sb_status parse(sb_bin_reader *b, const char *path, sb_nn_model **out, sb_error *err)
{
    sb_bin_meta meta = {0};
    sb_status st = sb_bin_get_meta(b, &meta, path, err);
    if (st != SB_OK) {
        sb_bin_meta_free(&meta);
        return st;
    }
    sb_nn_shape in;
    in.c = (int)sb_bin_get_u32(b);
    in.d = (int)sb_bin_get_u32(b);
    in.h = (int)sb_bin_get_u32(b);
    in.w = (int)sb_bin_get_u32(b);
    const uint32_t nl = sb_bin_get_u32(b);
    sb_nn_layer_spec *specs = NULL;
    /* bounded so that no size computed from the shape can overflow */
    const bool shape_ok = in.c >= 1 && in.c <= 4096 && in.d >= 1 && in.d <= 4096 && in.h >= 1 && in.h <= 4096 &&
                          in.w >= 1 && in.w <= 4096;
    if (!b->fail && !shape_ok)
        st = sb_error_set(err, SB_ERR_FORMAT, "%s: bad input shape %d x %d x %d x %d", path, in.c, in.d, in.h, in.w);
    else if (b->fail || nl == 0 || nl > (b->n - b->at) / 16)
        st = sb_error_set(err, SB_ERR_FORMAT, "%s: bad layer count %u", path, nl);
    else if (!(specs = calloc(nl, sizeof *specs)))
        st = sb_error_set(err, SB_ERR_NOMEM, "%s: out of memory", path);
    for (uint32_t i = 0; st == SB_OK && i < nl; i++) {
        specs[i].kind = (sb_nn_layer_kind)sb_bin_get_u32(b);
        specs[i].units = (int)sb_bin_get_u32(b);
        specs[i].kernel = (int)sb_bin_get_u32(b);
        specs[i].rate = sb_bin_get_f32(b);
    }
    sb_nn_model *m = NULL;
    if (st == SB_OK && sb_nn_model_create(in, specs, (int)nl, &m, err) != SB_OK) {
        sb_error_prefix(err, "%s: bad architecture: ", path);
        if (err) err->code = SB_ERR_FORMAT;
        st = SB_ERR_FORMAT;
    }
    free(specs);
    if (st == SB_OK) st = sb_bin_get_params(b, m->params, m->nparams, path, err);
    if (st != SB_OK) {
        sb_bin_meta_free(&meta);
        sb_nn_model_free(m);
        return st;
    }
    m->meta = meta; /* the model takes the metadata over */
    *out = m;
    return SB_OK;
}

sb_status sb_nn_model_load(const char *path, sb_nn_model **out, sb_error *err)
{
    *out = NULL;
    sb_bin_reader b;
    sb_status st = sb_bin_open(&b, path, NN_MAGIC, NN_FILE_VERSION, "model", err);
    if (st != SB_OK) return st;
    st = parse(&b, path, out, err);
    sb_bin_close(&b);
    return st;
}
