/*
 * test_nn_file.c: the model file. A save/load round trip restores architecture, metadata
 * and every weight bit for bit; EVERY single-byte corruption of a small model file is
 * rejected with SB_ERR_FORMAT or SB_ERR_CHECKSUM (and corruption of the weights with
 * SB_ERR_CHECKSUM); every truncation, an empty file and foreign files are rejected with
 * SB_ERR_FORMAT; messages name the file, and a GNN model file is named as one. Metadata
 * keys of any length round-trip.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/fileutil.h"
#include "shearband/gnn.h"
#include "shearband/nn.h"

static void tmp_path(char *out, size_t n, const char *name)
{
    const char *dir = getenv("SB_TEST_TMP");
    if (!dir) dir = "/tmp";
    sb_mkdir_p(dir, NULL);
    snprintf(out, n, "%s/%s", dir, name);
}

static sb_nn_model *small_model(void)
{
    sb_nn_model *m;
    sb_error err;
    cr_assert_eq(sb_nn_model_create_from_string((sb_nn_shape){2, 1, 8, 8},
                                                "conv4k3,relu,pool,flatten,dense6,relu,dropout0.25,dense1", &m,
                                                &err),
                 SB_OK, "%s", err.msg);
    sb_nn_model_init(m, 2024);
    sb_nn_model_params(m)[sb_nn_model_num_params(m) - 1] = -0.125f; /* a non-zero bias */
    cr_assert_eq(sb_nn_model_set_meta(m, "sdm.sigma", "0.5", &err), SB_OK);
    cr_assert_eq(sb_nn_model_set_meta(m, "sdm.half_width", "8.0", &err), SB_OK);
    cr_assert_eq(sb_nn_model_set_meta(m, "train.note", "a b = c; d", &err), SB_OK);
    return m;
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    cr_assert_not_null(fp);
    fseek(fp, 0, SEEK_END);
    *n = (size_t)ftell(fp);
    rewind(fp);
    unsigned char *b = malloc(*n ? *n : 1);
    cr_assert_eq(fread(b, 1, *n, fp), *n);
    fclose(fp);
    return b;
}

static void spit(const char *path, const unsigned char *b, size_t n)
{
    FILE *fp = fopen(path, "wb");
    cr_assert_not_null(fp);
    cr_assert_eq(fwrite(b, 1, n, fp), n);
    fclose(fp);
}

Test(nn_file, round_trip_is_bit_exact)
{
    char path[4096];
    tmp_path(path, sizeof path, "nn_round_trip.sbnn");
    sb_nn_model *m = small_model(), *r = NULL;
    sb_error err;
    cr_assert_eq(sb_nn_model_save(m, path, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(sb_nn_model_load(path, &r, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(sb_nn_model_num_params(r), sb_nn_model_num_params(m));
    cr_expect_eq(memcmp(sb_nn_model_params(r), sb_nn_model_params(m), sb_nn_model_num_params(m) * sizeof(float)), 0,
                 "weights differ after a round trip");
    char a[512], b[512];
    cr_assert_eq(sb_nn_model_describe(m, a, sizeof a, &err), SB_OK);
    cr_assert_eq(sb_nn_model_describe(r, b, sizeof b, &err), SB_OK);
    cr_expect_str_eq(a, b);
    sb_nn_shape s = sb_nn_model_input_shape(r);
    cr_expect(s.c == 2 && s.d == 1 && s.h == 8 && s.w == 8);
    cr_expect_eq(sb_nn_model_meta_count(r), 3);
    cr_expect_str_eq(sb_nn_model_get_meta(r, "sdm.sigma"), "0.5");
    cr_expect_str_eq(sb_nn_model_get_meta(r, "train.note"), "a b = c; d");
    /* saving the loaded model gives the identical file */
    char path2[4096];
    tmp_path(path2, sizeof path2, "nn_round_trip2.sbnn");
    cr_assert_eq(sb_nn_model_save(r, path2, &err), SB_OK, "%s", err.msg);
    size_t n1, n2;
    unsigned char *f1 = slurp(path, &n1), *f2 = slurp(path2, &n2);
    cr_expect(n1 == n2 && memcmp(f1, f2, n1) == 0, "re-saved file differs");
    free(f1);
    free(f2);
    sb_nn_model_free(m);
    sb_nn_model_free(r);
}

Test(nn_file, every_flipped_byte_is_rejected)
{
    char path[4096], bad[4096];
    tmp_path(path, sizeof path, "nn_flip.sbnn");
    tmp_path(bad, sizeof bad, "nn_flip_bad.sbnn");
    sb_nn_model *m = small_model();
    sb_error err;
    cr_assert_eq(sb_nn_model_save(m, path, &err), SB_OK, "%s", err.msg);
    size_t n;
    unsigned char *orig = slurp(path, &n);
    size_t weights_at = n - 8 - 4 * sb_nn_model_num_params(m);
    for (size_t i = 0; i < n; i++) {
        orig[i] ^= 0x5A;
        spit(bad, orig, n);
        orig[i] ^= 0x5A;
        sb_nn_model *r = NULL;
        sb_status st = sb_nn_model_load(bad, &r, &err);
        cr_assert(st == SB_ERR_FORMAT || st == SB_ERR_CHECKSUM, "byte %zu flipped: status %s", i,
                  sb_status_name(st));
        cr_assert_null(r);
        cr_assert(strstr(err.msg, bad) != NULL, "message does not name the file: %s", err.msg);
        if (i >= weights_at && i < n - 8)
            cr_assert_eq(st, SB_ERR_CHECKSUM, "weight byte %zu flipped: %s (%s)", i, sb_status_name(st), err.msg);
    }
    free(orig);
    sb_nn_model_free(m);
}

Test(nn_file, truncated_empty_and_foreign_files_are_format_errors)
{
    char path[4096], bad[4096];
    tmp_path(path, sizeof path, "nn_trunc.sbnn");
    tmp_path(bad, sizeof bad, "nn_trunc_bad.sbnn");
    sb_nn_model *m = small_model(), *r = NULL;
    sb_error err;
    cr_assert_eq(sb_nn_model_save(m, path, &err), SB_OK, "%s", err.msg);
    size_t n;
    unsigned char *orig = slurp(path, &n);
    for (size_t len = 0; len < n; len += (len < 64 ? 1 : 97)) {
        spit(bad, orig, len);
        sb_status st = sb_nn_model_load(bad, &r, &err);
        cr_assert_eq(st, SB_ERR_FORMAT, "truncated to %zu bytes: %s (%s)", len, sb_status_name(st), err.msg);
        cr_assert(strstr(err.msg, bad) != NULL, "%s", err.msg);
    }
    spit(bad, orig, n - 1);
    cr_expect_eq(sb_nn_model_load(bad, &r, &err), SB_ERR_FORMAT);
    cr_expect(strstr(err.msg, "truncated") != NULL, "%s", err.msg);
    const char *text = "ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\n2\n";
    spit(bad, (const unsigned char *)text, strlen(text));
    cr_expect_eq(sb_nn_model_load(bad, &r, &err), SB_ERR_FORMAT);
    cr_expect(strstr(err.msg, "not a shearband model file") != NULL, "%s", err.msg);
    /* a newer version */
    orig[4] = 2;
    spit(bad, orig, n);
    cr_expect_eq(sb_nn_model_load(bad, &r, &err), SB_ERR_FORMAT);
    cr_expect(strstr(err.msg, "version") != NULL, "%s", err.msg);
    cr_expect_eq(sb_nn_model_load("/nonexistent/dir/model.sbnn", &r, &err), SB_ERR_IO);
    cr_expect_null(r);
    free(orig);
    sb_nn_model_free(m);
}

Test(nn_file, a_gnn_model_file_is_named_and_long_metadata_round_trips)
{
    char path[4096];
    tmp_path(path, sizeof path, "nn_foreign.sbgn");
    sb_error err;
    sb_gnn_config c = sb_gnn_config_default();
    c.latent = 4;
    c.steps = 1;
    sb_gnn_model *g = NULL;
    cr_assert_eq(sb_gnn_model_create(&c, &g, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(sb_gnn_model_save(g, path, &err), SB_OK, "%s", err.msg);
    sb_gnn_model_free(g);
    sb_nn_model *r = NULL;
    cr_expect_eq(sb_nn_model_load(path, &r, &err), SB_ERR_FORMAT);
    cr_expect(strstr(err.msg, "GNN model") != NULL && strstr(err.msg, path) != NULL, "%s", err.msg);
    /* a 300-character key and value (a key buffer of 256 once refused to load what it saved) */
    char key[301], value[301];
    memset(key, 'k', 300);
    memset(value, 'v', 300);
    key[300] = value[300] = '\0';
    sb_nn_model *m = small_model();
    cr_assert_eq(sb_nn_model_set_meta(m, key, value, &err), SB_OK, "%s", err.msg);
    tmp_path(path, sizeof path, "nn_longmeta.sbnn");
    cr_assert_eq(sb_nn_model_save(m, path, &err), SB_OK, "%s", err.msg);
    cr_assert_eq(sb_nn_model_load(path, &r, &err), SB_OK, "%s", err.msg);
    cr_expect_str_eq(sb_nn_model_get_meta(r, key), value);
    cr_expect_str_eq(sb_nn_model_get_meta(r, "train.note"), "a b = c; d");
    cr_expect_eq(sb_nn_model_meta_count(r), sb_nn_model_meta_count(m));
    sb_nn_model_free(r);
    sb_nn_model_free(m);
}

/* Re-seal a hand-edited file: the FNV-1a 64 checksum of every byte before the last eight. */
static void reseal(unsigned char *b, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i + 8 < n; i++) h = (h ^ b[i]) * 0x100000001b3ULL;
    for (int k = 0; k < 8; k++) b[n - 8 + k] = (unsigned char)(h >> (8 * k));
}

Test(nn_file, crafted_files_with_a_valid_checksum_are_format_errors)
{
    char path[4096], bad[4096];
    tmp_path(path, sizeof path, "nn_crafted.sbnn");
    tmp_path(bad, sizeof bad, "nn_crafted_bad.sbnn");
    sb_nn_model *m = small_model(), *r = NULL;
    sb_error err;
    cr_assert_eq(sb_nn_model_save(m, path, &err), SB_OK, "%s", err.msg);
    sb_nn_model_free(m);
    size_t n;
    unsigned char *orig = slurp(path, &n), *b = malloc(n);
    const size_t mlen = orig[16] | (size_t)orig[17] << 8, shape = 20 + mlen;
    /* a NUL byte inside a metadata key, then at the start of a line */
    const size_t at[2] = {21, 20};
    for (int t = 0; t < 2; t++) {
        memcpy(b, orig, n);
        b[at[t]] = 0;
        reseal(b, n);
        spit(bad, b, n);
        cr_expect_eq(sb_nn_model_load(bad, &r, &err), SB_ERR_FORMAT, "NUL at %zu: %s", at[t], err.msg);
        cr_expect(strstr(err.msg, "metadata") != NULL, "%s", err.msg);
    }
    /* an input of 2^31 - 1 channels: refused before any size is computed from it */
    memcpy(b, orig, n);
    b[shape] = b[shape + 1] = b[shape + 2] = 0xff;
    b[shape + 3] = 0x7f;
    reseal(b, n);
    spit(bad, b, n);
    cr_expect_eq(sb_nn_model_load(bad, &r, &err), SB_ERR_FORMAT);
    cr_expect(strstr(err.msg, "input shape") != NULL, "%s", err.msg);
    cr_expect_null(r);
    free(b);
    free(orig);
}

Test(nn_file, bad_metadata_keys_are_refused)
{
    sb_nn_model *m = small_model();
    sb_error err;
    cr_expect_eq(sb_nn_model_set_meta(m, "a=b", "x", &err), SB_ERR_INVALID_ARG);
    cr_expect_eq(sb_nn_model_set_meta(m, "", "x", &err), SB_ERR_INVALID_ARG);
    cr_expect_eq(sb_nn_model_set_meta(m, "k", "two\nlines", &err), SB_ERR_INVALID_ARG);
    cr_expect_eq(sb_nn_model_set_meta(m, "sdm.sigma", "0.25", &err), SB_OK);
    cr_expect_str_eq(sb_nn_model_get_meta(m, "sdm.sigma"), "0.25");
    cr_expect_eq(sb_nn_model_meta_count(m), 3);
    sb_nn_model_free(m);
}
