/* shearband fertile: per-atom fertile-site probability of a glass (shearband/fertile.h). */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "shearband/fertile.h"
#include "shearband/fileutil.h"
#include "shearband/io.h"
#include "shearband/json.h"
#include "shearband/orientation.h"

static const char usage[] =
    "usage: shearband fertile GLASS --model MODEL [options]\n\n"
    "Per-atom probability p that each atom is a fertile site (METHOD.md section 6) under each\n"
    "requested loading orientation, from a model made by 'shearband train' (its spatial\n"
    "density map parameters come from the model). Writes OUT (extended XYZ, readable by\n"
    "OVITO) with columns p_fertile_K and fertile_K (p > 0.5) per orientation K, and\n"
    "OUT.json with provenance and per-orientation counts.\n\n"
    "  -m, --model MODEL        trained model (required)\n"
    "  -k, --orientation K|all  loading orientation(s): 0..23, a list 0,5,10 or all (0)\n"
    "  -o, --output OUT         (GLASS name + .fertile.xyz)\n"
    "      --threads N          OpenMP threads\n"
    "      --backend NAME       dnnl | reference\n"
    "      --batch N            maps per network call (256)\n"
    "  -h, --help               this text\n";

enum { OPT_THREADS = 256, OPT_BACKEND, OPT_BATCH };

static double fertile_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cmd_fertile(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"model", required_argument, NULL, 'm'},     {"orientation", required_argument, NULL, 'k'},
        {"output", required_argument, NULL, 'o'},    {"threads", required_argument, NULL, OPT_THREADS},
        {"backend", required_argument, NULL, OPT_BACKEND}, {"batch", required_argument, NULL, OPT_BATCH},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0}};
    sb_fertile_options fo = sb_fertile_options_default();
    const char *model_path = NULL, *out = NULL, *orient = "0";
    long l;
    int c;
    while ((c = getopt_long(argc, argv, "m:k:o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'm': model_path = optarg; break;
        case 'k': orient = optarg; break;
        case 'o': out = optarg; break;
        case OPT_THREADS:
            if (!cli_parse_long(optarg, &l) || l < 1) return cli_usage_error("fertile", "--threads %s", optarg);
            fo.threads = (int)l;
            break;
        case OPT_BACKEND: fo.backend = optarg; break;
        case OPT_BATCH:
            if (!cli_parse_long(optarg, &l) || l < 1 || l > 65536) return cli_usage_error("fertile", "--batch %s", optarg);
            fo.batch = (int)l;
            break;
        case 'h': fputs(usage, stdout); return CLI_OK;
        default: return cli_bad_option("fertile");
        }
    }
    if (optind != argc - 1) return cli_usage_error("fertile", "give exactly one GLASS");
    if (!model_path) return cli_usage_error("fertile", "--model MODEL is required");
    int ks[SB_NUM_ORIENTATIONS], nk = 0;
    if (!strcmp(orient, "all")) {
        for (int k = 0; k < SB_NUM_ORIENTATIONS; k++) ks[nk++] = k;
    } else {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", orient);
        for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (!cli_parse_long(t, &l) || l < 0 || l >= SB_NUM_ORIENTATIONS || nk == SB_NUM_ORIENTATIONS)
                return cli_usage_error("fertile", "--orientation %s: use 0..23, a list or all", orient);
            ks[nk++] = (int)l;
        }
    }
    const char *glass_path = argv[optind];
    char outbuf[SB_PATH_MAX], jsonpath[SB_PATH_MAX + 8];
    if (!out) {
        snprintf(outbuf, sizeof outbuf, "%s", glass_path);
        char *dot = strrchr(outbuf, '.'), *slash = strrchr(outbuf, '/');
        if (dot && (!slash || dot > slash)) *dot = 0;
        strncat(outbuf, ".fertile.xyz", sizeof outbuf - strlen(outbuf) - 1);
        out = outbuf;
    }
    snprintf(jsonpath, sizeof jsonpath, "%s.json", out);
    sb_error err;
    sb_nn_model *m = NULL;
    sb_sdm_params sdm;
    sb_structure s = SB_STRUCTURE_INIT;
    sb_sdm_builder *b = NULL;
    float *prob = NULL;
    size_t counts[SB_NUM_ORIENTATIONS] = {0};
    double secs[SB_NUM_ORIENTATIONS] = {0}, mean[SB_NUM_ORIENTATIONS] = {0};
    int rc = CLI_OK;
    if (sb_fertile_load(model_path, &m, &sdm, &err) != SB_OK || sb_read_structure(glass_path, &s, &err) != SB_OK)
        rc = cli_fail(&err);
    if (rc == CLI_OK && s.ntypes > sdm.nspecies) {
        sb_error_set(&err, SB_ERR_INVALID_ARG, "%s has %d atom types; the model knows %d species", glass_path,
                     s.ntypes, sdm.nspecies);
        rc = cli_fail(&err);
    }
    const double tb = fertile_now();
    if (rc == CLI_OK && sb_sdm_builder_create(&b, &s, &sdm, &err) != SB_OK) rc = cli_fail(&err);
    const double tbuild = fertile_now() - tb;
    if (rc == CLI_OK && !(prob = malloc((s.n ? s.n : 1) * sizeof *prob))) {
        sb_error_set(&err, SB_ERR_NOMEM, "out of memory");
        rc = cli_fail(&err);
    }
    for (int q = 0; rc == CLI_OK && q < nk; q++) {
        const double t0 = fertile_now();
        if (sb_fertile_predict(m, &sdm, &s, b, ks[q], &fo, prob, &err) != SB_OK) {
            rc = cli_fail(&err);
            break;
        }
        secs[q] = fertile_now() - t0;
        char name[SB_NAME_LEN];
        double *pp, *ff;
        snprintf(name, sizeof name, "p_fertile_%d", ks[q]);
        if (sb_structure_add_property(&s, name, 1, &pp, &err) != SB_OK) {
            rc = cli_fail(&err);
            break;
        }
        snprintf(name, sizeof name, "fertile_%d", ks[q]);
        if (sb_structure_add_property(&s, name, 1, &ff, &err) != SB_OK) {
            rc = cli_fail(&err);
            break;
        }
        double sum = 0;
        for (size_t i = 0; i < s.n; i++) {
            pp[i] = prob[i];
            ff[i] = prob[i] > 0.5f;
            counts[q] += prob[i] > 0.5f;
            sum += prob[i];
        }
        mean[q] = s.n ? sum / (double)s.n : NAN;
        fprintf(stderr, "orientation %2d: %zu of %zu atoms fertile (%.2f %%), %.2f s\n", ks[q], counts[q], s.n,
                100.0 * (double)counts[q] / (double)s.n, secs[q]);
    }
    if (rc == CLI_OK && sb_write_extxyz(out, &s, NULL, &err) != SB_OK) rc = cli_fail(&err);
    if (rc == CLI_OK) {
        sb_atomic_file af;
        if (sb_atomic_open(&af, jsonpath, &err) != SB_OK) {
            rc = cli_fail(&err);
        } else {
            sb_json j;
            sb_json_start(&j, af.fp);
            sb_json_object(&j, NULL);
            sb_json_str(&j, "kind", "shearband fertile sites");
            sb_json_provenance(&j, argc, argv);
            sb_json_str(&j, "glass", glass_path);
            sb_json_str(&j, "model", model_path);
            const char *ds = sb_nn_model_get_meta(m, "train.dataset");
            sb_json_str(&j, "model_dataset", ds ? ds : "");
            sb_json_str(&j, "sdm_kind", sb_sdm_kind_name(sdm.kind));
            sb_json_num(&j, "sdm_half_width_A", sdm.half_width);
            sb_json_int(&j, "sdm_grid", sdm.grid);
            sb_json_num(&j, "sdm_sigma_A", sdm.sigma);
            char arch[512] = "";
            sb_nn_model_describe(m, arch, sizeof arch, NULL);
            sb_json_str(&j, "architecture", arch);
            sb_json_str(&j, "backend", fo.backend ? fo.backend : sb_nn_default_backend());
            sb_json_int(&j, "threads", sb_fertile_threads(fo.threads));
            sb_json_num(&j, "threshold", 0.5);
            sb_json_int(&j, "atoms", (int64_t)s.n);
            sb_json_str(&j, "output", out);
            sb_json_num(&j, "sdm_builder_seconds", tbuild);
            sb_json_array(&j, "orientations");
            for (int q = 0; q < nk; q++) {
                sb_json_object(&j, NULL);
                sb_json_int(&j, "orientation", ks[q]);
                sb_json_int(&j, "fertile_atoms", (int64_t)counts[q]);
                sb_json_num(&j, "fertile_fraction", (double)counts[q] / (double)s.n);
                sb_json_num(&j, "mean_probability", mean[q]);
                sb_json_num(&j, "seconds", secs[q]);
                sb_json_end(&j);
            }
            sb_json_end(&j);
            sb_json_finish(&j);
            if (sb_atomic_commit(&af, &err) != SB_OK) rc = cli_fail(&err);
        }
    }
    if (rc == CLI_OK) printf("%s: %d orientation(s), %zu atoms; summary in %s\n", out, nk, s.n, jsonpath);
    free(prob);
    sb_sdm_builder_free(b);
    sb_structure_free(&s);
    sb_nn_model_free(m);
    return rc;
}
