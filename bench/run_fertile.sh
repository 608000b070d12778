#!/bin/bash
# Fertile-site inference: one orientation of a 31,104-atom glass (examples/cu50zr50_864.data
# replicated 3x3x4), shearband (SDM builder + maps + network, dnnl backend) at 1 and 2
# threads, and PyTorch running the same network on the same maps (8,192 of them, time
# scaled to 31,104; PyTorch has no SDM, so compare its net_s with shearband's
# predict_s - maps_s). Run on an idle machine (NOTES.md: 2-thread OpenMP collapses when the
# other core is busy).
#
# usage: bench/run_fertile.sh [BUILD_DIR]    (default: build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
bench=$build/bench/bench_fertile
[ -x "$bench" ] || { echo "run_fertile.sh: $bench not built" >&2; exit 1; }
maps=$(mktemp)
trap 'rm -f "$maps"' EXIT
echo "# $(date -u +%FT%TZ) $(uname -n) | uptime: $(uptime)"
for t in 1 2; do
    extra=()
    [ $t = 1 ] && extra=(--dump-maps "$maps" 8192)
    OMP_NUM_THREADS=$t "$bench" --threads $t "${extra[@]}"
    MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=68719476736 \
        /usr/bin/python3 "$here/fertile_peer.py" "$maps" --threads $t
done
echo "# uptime after: $(uptime)"
