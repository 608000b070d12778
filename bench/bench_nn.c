/*
 * bench_nn.c: training and inference throughput of the fertile-site CNN.
 *
 * Architecture (the reference one of NOTES.md "CNN arithmetic", with the single-logit
 * head of shearband/nn.h): conv16k3-relu-pool-conv32k3-relu-pool-dense64-relu-dense1 on
 * 2 x 32 x 32 inputs, or any --arch on --size HxW or DxHxW (the grid3d map: --size 16x16x16
 * with shearband's grid3d default network). Training = forward + weighted BCE + backward + Adam on a batch;
 * inference = forward of a batch. Random inputs (speed does not depend on them).
 * Prints one line "nn-bench key=value ..." that bench/run_nn.sh turns into a table with
 * bench/nn_peer.py's PyTorch numbers. Peak memory is this process's maximum RSS.
 *
 * usage: bench_nn [--backend NAME] [--threads N] [--batch B] [--train-iters K] [--infer-iters K]
 *                 [--arch STRING] [--size HxW|DxHxW] [--channels C]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "shearband/nn.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(const char *what, const sb_error *err)
{
    fprintf(stderr, "bench_nn: %s: %s\n", what, err->msg);
    exit(1);
}

int main(int argc, char **argv)
{
    const char *backend = NULL;
    const char *arch = "conv16k3,relu,pool,conv32k3,relu,pool,dense64,relu,dense1";
    int threads = 1, batch = 256, train_iters = 20, infer_iters = 40, C = 2, D = 1, H = 32, W = 32;
    static const struct option opts[] = {{"backend", required_argument, 0, 'b'},
                                         {"threads", required_argument, 0, 't'},
                                         {"batch", required_argument, 0, 'n'},
                                         {"train-iters", required_argument, 0, 'r'},
                                         {"infer-iters", required_argument, 0, 'i'},
                                         {"arch", required_argument, 0, 'a'},
                                         {"size", required_argument, 0, 's'},
                                         {"channels", required_argument, 0, 'c'},
                                         {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'b': backend = optarg; break;
        case 't': threads = atoi(optarg); break;
        case 'n': batch = atoi(optarg); break;
        case 'r': train_iters = atoi(optarg); break;
        case 'i': infer_iters = atoi(optarg); break;
        case 'a': arch = optarg; break;
        case 's':
            if (sscanf(optarg, "%dx%dx%d", &D, &H, &W) != 3) {
                D = 1;
                if (sscanf(optarg, "%dx%d", &H, &W) != 2) return 2;
            }
            break;
        case 'c': C = atoi(optarg); break;
        default: return 2;
        }
    }
    sb_error err;
    sb_nn_model *m;
    if (sb_nn_model_create_from_string((sb_nn_shape){C, D, H, W}, arch, &m, &err) != SB_OK) die("model", &err);
    sb_nn_model_init(m, 1);
    sb_nn_plan_options o = sb_nn_plan_options_default();
    o.backend = backend;
    o.threads = threads;
    sb_nn_plan *p;
    double tp0 = now();
    if (sb_nn_plan_create(m, batch, &o, &p, &err) != SB_OK) die("plan", &err);
    double plan_ms = 1e3 * (now() - tp0);
    sb_nn_adam *a;
    if (sb_nn_adam_create(m, NULL, &a, &err) != SB_OK) die("adam", &err);
    size_t in = (size_t)C * D * H * W;
    float *x = malloc((size_t)batch * in * sizeof(float)), *y = malloc((size_t)batch * sizeof(float));
    float *z = malloc((size_t)batch * sizeof(float));
    uint64_t s = 12345;
    for (size_t i = 0; i < (size_t)batch * in; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        x[i] = (float)(s >> 40) * 0x1.0p-24f;
    }
    for (int i = 0; i < batch; i++) y[i] = (float)(i % 20 == 0);
    double loss;
    int warm = train_iters > 2 ? 2 : 1;
    for (int k = 0; k < warm; k++)
        if (sb_nn_train_step(p, a, x, y, batch, 19.0f, &loss, &err) != SB_OK) die("train", &err);
    double t0 = now();
    for (int k = 0; k < train_iters; k++)
        if (sb_nn_train_step(p, a, x, y, batch, 19.0f, &loss, &err) != SB_OK) die("train", &err);
    double t1 = now();
    for (int k = 0; k < warm; k++)
        if (sb_nn_forward(p, x, batch, false, z, &err) != SB_OK) die("infer", &err);
    double t2 = now();
    for (int k = 0; k < infer_iters; k++)
        if (sb_nn_forward(p, x, batch, false, z, &err) != SB_OK) die("infer", &err);
    double t3 = now();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    /* forward implementation of the first layer (a conv), up to the first ';' */
    char conv0[64];
    snprintf(conv0, sizeof conv0, "%s", sb_nn_plan_impl(p, 0));
    conv0[strcspn(conv0, "; ")] = '\0';
    printf("nn-bench impl=shearband-%s threads=%d batch=%d train_img_s=%.1f infer_img_s=%.1f peak_rss_mb=%.1f "
           "loss=%.4f plan_ms=%.1f conv0=%s\n",
           sb_nn_plan_backend(p), threads, batch, batch * train_iters / (t1 - t0), batch * infer_iters / (t3 - t2),
           (double)ru.ru_maxrss / 1024.0, loss, plan_ms, conv0);
    for (int l = 0; l < sb_nn_model_num_layers(m); l++)
        fprintf(stderr, "layer %d: %s\n", l, sb_nn_plan_impl(p, l));
    free(x);
    free(y);
    free(z);
    sb_nn_adam_free(a);
    sb_nn_plan_free(p);
    sb_nn_model_free(m);
    return 0;
}
