#!/bin/bash
# Side-by-side CNN benchmark: shearband (dnnl and reference backends) vs PyTorch, same
# architecture (conv16k3-relu-pool-conv32k3-relu-pool-dense64-relu-dense1, 2x32x32), same
# batch (256), same loss and optimiser, 1 and 2 threads, all in one run. Prints a markdown
# table with ratios to PyTorch (>1 = shearband faster). Run on an idle machine: with the
# other core busy, 2-thread OpenMP numbers collapse (NOTES.md).
#
# SDM=grid3d (default; shearband's default map and network: conv8k3-relu-pool-conv16k3-
# relu-pool-dense32-relu-dense1 on 2x16x16x16) or SDM=proj_xy (the network above).
#
# usage: [SDM=grid3d|proj_xy] bench/run_nn.sh [BUILD_DIR]    (default: build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
bench=$build/bench/bench_nn
[ -x "$bench" ] || { echo "run_nn.sh: $bench not built" >&2; exit 1; }
sdm=${SDM:-grid3d}
shape=()
[ "$sdm" = grid3d ] && shape=(--arch conv8k3,relu,pool,conv16k3,relu,pool,dense32,relu,dense1 --size 16x16x16)
TRAIN=${TRAIN_ITERS:-20}
INFER=${INFER_ITERS:-40}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
echo "# $(date -u +%FT%TZ) $(uname -n) | uptime: $(uptime)"
for t in 1 2; do
    # PyTorch with glibc malloc tuned so that it does not spend its time in page faults
    MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=68719476736 \
        /usr/bin/python3 "$here/nn_peer.py" --sdm "$sdm" --threads $t --train-iters $TRAIN --infer-iters $INFER >>"$out"
    OMP_NUM_THREADS=$t "$bench" "${shape[@]}" --backend dnnl --threads $t --train-iters $TRAIN --infer-iters $INFER \
        2>/dev/null >>"$out"
    # the reference backend is single-threaded plain loops: one step is enough
    OMP_NUM_THREADS=$t "$bench" "${shape[@]}" --backend reference --threads $t --train-iters 1 --infer-iters 1 \
        2>/dev/null >>"$out"
done
echo "# uptime after: $(uptime)"
awk '
function kv(line, key,   m) { if (match(line, key "=[^ ]+")) return substr(line, RSTART + length(key) + 1, RLENGTH - length(key) - 1); return "" }
/^nn-bench/ {
    n++; impl[n] = kv($0, "impl"); thr[n] = kv($0, "threads"); tr[n] = kv($0, "train_img_s");
    inf[n] = kv($0, "infer_img_s"); rss[n] = kv($0, "peak_rss_mb"); extra[n] = kv($0, "conv0") kv($0, "malloc"); if (impl[n] ~ /^pytorch/) extra[n] = "malloc " extra[n]; else extra[n] = "conv impl " extra[n] ", plan " kv($0, "plan_ms") " ms"
    if (impl[n] ~ /^pytorch/) { ptr[thr[n]] = tr[n]; pin[thr[n]] = inf[n] }
}
END {
    print "| implementation | threads | train img/s | infer img/s | peak RSS MB | train / PyTorch | infer / PyTorch | notes |"
    print "|---|---|---|---|---|---|---|---|"
    for (i = 1; i <= n; i++)
        printf "| %s | %s | %.0f | %.0f | %.0f | %.2f | %.2f | %s |\n", impl[i], thr[i], tr[i], inf[i], rss[i],
               tr[i] / ptr[thr[i]], inf[i] / pin[thr[i]], extra[i]
}' "$out"
