/*
 * binfile.h (private): the container shared by shearband's binary model files.
 *
 *   offset  size  field
 *   0       4     magic (4 ASCII bytes naming the kind of file: "SBNN", "SBGN", "SBSV")
 *   4       4     u32 format version
 *   8       8     u64 total file size in bytes, checksum included
 *   16      ...   body (the file kind's own layout)
 *   size-8  8     u64 FNV-1a 64-bit hash of every preceding byte
 * Integers unsigned little-endian, floats IEEE-754 little-endian, whatever the host.
 *
 * Writing: sb_bin_begin, put_* the body, sb_bin_commit (patches the size, appends the
 * checksum, writes atomically). Reading: sb_bin_open checks magic, version, recorded size
 * against the file's size ("truncated"), then the checksum (SB_ERR_CHECKSUM), each failure
 * naming the file; the returned reader is positioned at the body and stops at the checksum.
 * Getters past the end set `fail` and return 0, so a parser checks once at the end.
 * A wrong magic that belongs to another shearband file is named ("this is a shearband CNN
 * model file (SBNN); expected: GNN model (SBGN)"), the usual mix-up when models sit side
 * by side.
 *
 * Metadata (training provenance, the SDM a CNN was trained on) is an ordered list of
 * key=value pairs -- keys non-empty without '=' or newline, values without newline --
 * stored as u32 M followed by M bytes of "key=value\n" lines.
 */
#ifndef SB_CORE_BINFILE_H
#define SB_CORE_BINFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shearband/status.h"

typedef struct sb_bin_writer {
    unsigned char *p;
    size_t n, cap;
    bool fail;
} sb_bin_writer;

typedef struct sb_bin_reader {
    unsigned char *data; /* the whole file (owned: sb_bin_close frees it) */
    size_t n, at;        /* n: end of the body (the checksum's offset) */
    bool fail;
} sb_bin_reader;

typedef struct sb_bin_meta {
    int n, cap;
    struct sb_bin_kv {
        char *key, *value;
    } *kv;
} sb_bin_meta;

/* FNV-1a 64 of n bytes; _update continues a hash (start from SB_FNV1A64_BASIS), so a
 * record made of several arrays hashes as their concatenation. */
#define SB_FNV1A64_BASIS 0xcbf29ce484222325ULL
uint64_t sb_fnv1a64(const void *p, size_t n);
uint64_t sb_fnv1a64_update(uint64_t h, const void *p, size_t n);

/* Set (or replace, keeping its place) an entry; `what` names the owner in messages. */
sb_status sb_bin_meta_set(sb_bin_meta *m, const char *key, const char *value, const char *what, sb_error *err);
const char *sb_bin_meta_get(const sb_bin_meta *m, const char *key);
void sb_bin_meta_free(sb_bin_meta *m);

void sb_bin_begin(sb_bin_writer *w, const char magic[4], uint32_t version);
void sb_bin_put(sb_bin_writer *w, const void *src, size_t n);
void sb_bin_put_u32(sb_bin_writer *w, uint32_t v);
void sb_bin_put_u64(sb_bin_writer *w, uint64_t v);
void sb_bin_put_f32(sb_bin_writer *w, float v);
void sb_bin_put_f64(sb_bin_writer *w, double v);
void sb_bin_put_meta(sb_bin_writer *w, const sb_bin_meta *m);
/* A model's weights: u64 count, then the f32 values; the body's last field. */
void sb_bin_put_params(sb_bin_writer *w, const float *p, size_t n);
/* Finish and write atomically to path; frees the buffer in every case. what: "SVM model". */
sb_status sb_bin_commit(sb_bin_writer *w, const char *path, const char *what, sb_error *err);

/* Read and check the container: magic (SB_ERR_FORMAT "not a shearband WHAT file", or the
 * kind of shearband file it is), version (SB_ERR_FORMAT), size, checksum. On success the
 * reader owns the file's bytes. */
sb_status sb_bin_open(sb_bin_reader *r, const char *path, const char magic[4], uint32_t version,
                      const char *what, sb_error *err);
uint32_t sb_bin_get_u32(sb_bin_reader *r);
uint64_t sb_bin_get_u64(sb_bin_reader *r);
float sb_bin_get_f32(sb_bin_reader *r);
double sb_bin_get_f64(sb_bin_reader *r);
/* Read a metadata block into *m (empty on entry): SB_ERR_FORMAT naming path if malformed
 * (also for a NUL byte or a key set_meta would refuse), SB_ERR_NOMEM. On failure *m may hold
 * the entries read so far: the caller frees it in every case. */
sb_status sb_bin_get_meta(sb_bin_reader *r, sb_bin_meta *m, const char *path, sb_error *err);
/* The weights written by sb_bin_put_params into p[n]: SB_ERR_FORMAT naming path unless the
 * stored count is n and they end the body exactly. */
sb_status sb_bin_get_params(sb_bin_reader *r, float *p, size_t n, const char *path, sb_error *err);
/* Pointer to the next n bytes (NULL and fail when fewer remain). */
const unsigned char *sb_bin_get(sb_bin_reader *r, size_t n);
void sb_bin_close(sb_bin_reader *r);

#endif
