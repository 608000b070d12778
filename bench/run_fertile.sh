#!/bin/bash
# Fertile-site inference, side by side: one orientation of a 31,104-atom glass
# (examples/cu50zr50_864.data replicated 3x3x4), SDM construction included on both sides,
# at 1 and 2 threads.
#   shearband (bench_fertile, dnnl backend): builder_s = binning the glass, maps_s = every
#     atom's map alone, predict_s = sb_fertile_predict (maps + network + plan creation),
#     total_s = builder_s + predict_s.
#   PyTorch (fertile_peer.py): the same maps (SDM=grid3d, the default, or proj_xy) built with numpy/scipy from the glass
#     file shearband wrote (sdm_s, includes the KD-tree), the same network in PyTorch
#     (net_s), total_s = sdm_s + net_s; its first 8,192 maps are checked against
#     shearband's (max_abs_diff, max_rel_diff).
# Inference ratio = PyTorch total_s / shearband total_s. Run on an idle machine (NOTES.md:
# 2-thread OpenMP collapses when the other core is busy).
#
# usage: [SDM=grid3d|proj_xy] bench/run_fertile.sh [BUILD_DIR]    (default: build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
bench=$build/bench/bench_fertile
sdm=${SDM:-grid3d}
[ -x "$bench" ] || { echo "run_fertile.sh: $bench not built" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "# $(date -u +%FT%TZ) $(uname -n) | uptime: $(uptime)"
for t in 1 2; do
    extra=()
    [ $t = 1 ] && extra=(--dump-maps "$tmp/maps.f32" 8192 --dump-glass "$tmp/glass.data")
    OMP_NUM_THREADS=$t "$bench" --sdm "$sdm" --threads $t "${extra[@]}"
    OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t \
        MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=68719476736 \
        /usr/bin/python3 "$here/fertile_peer.py" "$tmp/glass.data" "$tmp/maps.f32" --sdm "$sdm" --threads $t
done
echo "# uptime after: $(uptime)"
