/*
 * gnn_file.c: the GNN model file, version 1: the container of core/binfile.h (shared with
 * the CNN and SVM files) with its own magic "SBGN" and an architecture record instead of
 * the CNN's layer list, so that a CNN file is refused by the GNN loader (and vice versa)
 * with a clear message. Integers unsigned little-endian, floats IEEE-754 little-endian:
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

enum { GNN_FILE_VERSION = 1 };
static const char GNN_MAGIC[4] = {'S', 'B', 'G', 'N'};

sb_status sb_gnn_model_save(const sb_gnn_model *m, const char *path, sb_error *err)
{
    sb_bin_writer w;
    sb_bin_begin(&w, GNN_MAGIC, GNN_FILE_VERSION);
    sb_bin_put_meta(&w, &m->meta);
    sb_bin_put_u32(&w, (uint32_t)m->cfg.nspecies);
    sb_bin_put_u32(&w, (uint32_t)m->cfg.latent);
    sb_bin_put_u32(&w, (uint32_t)m->cfg.steps);
    sb_bin_put_u32(&w, (uint32_t)m->edge_dim);
    sb_bin_put_f64(&w, m->cfg.cutoff);
    sb_bin_put_f64(&w, m->cfg.agg_norm);
    sb_bin_put_params(&w, m->params, m->nparams);
    return sb_bin_commit(&w, path, "GNN model", err);
}

static sb_status parse(sb_bin_reader *b, const char *path, sb_gnn_model **out, sb_error *err)
{
    sb_bin_meta meta = {0};
    sb_status st = sb_bin_get_meta(b, &meta, path, err);
    sb_gnn_config c = sb_gnn_config_default();
    c.nspecies = (int)sb_bin_get_u32(b);
    c.latent = (int)sb_bin_get_u32(b);
    c.steps = (int)sb_bin_get_u32(b);
    const uint32_t fe = sb_bin_get_u32(b);
    c.cutoff = sb_bin_get_f64(b);
    c.agg_norm = sb_bin_get_f64(b);
    c.edge_length = fe == 4;
    sb_gnn_model *m = NULL;
    if (st == SB_OK && (b->fail || (fe != 3 && fe != 4) || sb_gnn_config_check(&c, NULL) != SB_OK ||
                        sb_gnn_model_create(&c, &m, err) != SB_OK))
        st = sb_error_set(err, SB_ERR_FORMAT, "%s: bad GNN architecture record", path);
    if (st == SB_OK) st = sb_bin_get_params(b, m->params, m->nparams, path, err);
    if (st != SB_OK) {
        sb_bin_meta_free(&meta);
        sb_gnn_model_free(m);
        return st;
    }
    m->meta = meta; /* the model takes the metadata over */
    *out = m;
    return SB_OK;
}

sb_status sb_gnn_model_load(const char *path, sb_gnn_model **out, sb_error *err)
{
    *out = NULL;
    sb_bin_reader b;
    sb_status st = sb_bin_open(&b, path, GNN_MAGIC, GNN_FILE_VERSION, "GNN model", err);
    if (st != SB_OK) return st;
    st = parse(&b, path, out, err);
    sb_bin_close(&b);
    return st;
}
