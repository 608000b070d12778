#!/usr/bin/env bash
# Neighbour lists, side by side: shearband's sb_neighbor_build (bench_neighbor) against
# scipy.spatial.cKDTree (neighbor_peer.py) on the SAME coordinates, in one run.
#
# For each N and cutoff, bench_neighbor generates the random glass-like configuration
# (Cu50Zr50 number density 0.0586 / A^3, cubic box, seeded), writes it to a .npy file and
# times its own builds (best of several; 1 and 2 OpenMP threads; plus the first, cold build
# that also allocates the list); neighbor_peer.py then loads that file and times cKDTree.
# A second shearband run on the same atoms sorted along a coarse spatial grid shows the
# cost of random atom order (rows are written in the caller's order).
# Prints one markdown table and fails if the two disagree on the number of pairs.
#
# Usage: bench/run_neighbor.sh [BUILD_DIR]     (default: build; needs target bench_neighbor)
# Environment: SIZES="32000 256000", CUTOFFS="5 8", PYTHON=/usr/bin/python3
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
bin=$build/bench/bench_neighbor
py=${PYTHON:-/usr/bin/python3}
sizes=${SIZES:-"32000 256000"}
cutoffs=${CUTOFFS:-"5 8"}
[ -x "$bin" ] || { echo "run_neighbor.sh: $bin not built (cmake --build $build --target bench_neighbor)" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sb_bench_neighbor.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

get() { # get KEY "k=v k=v ..."
  local k=$1; shift
  tr ' ' '\n' <<<"$*" | sed -n "s/^$k=//p"
}

echo "Neighbour lists: shearband vs scipy cKDTree, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "scipy $($py -c 'import scipy; print(scipy.__version__)'), numpy $($py -c 'import numpy; print(numpy.__version__)')"
echo
echo "| N | cutoff (A) | pairs | shearband 1 thr (s) | shearband 2 thr (s) | shearband cold 1 thr (s) | cKDTree 1 thr (s) | ratio cKDTree / shearband, 1 thr | same, CPU time | same, shearband cold | shearband 1 thr, spatially sorted atoms (s) | shearband list (MB) | shearband peak RSS (MB) | cKDTree output (MB) | cKDTree peak RSS (MB) | same pairs |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
status=0
for n in $sizes; do
  for rc in $cutoffs; do
    reps=5; preps=3
    if [ "$n" -gt 100000 ]; then reps=3; preps=2; fi
    npy=$tmp/x_$n.npy
    sb=$(OMP_NUM_THREADS=1 "$bin" --n "$n" --cutoff "$rc" --repeats "$reps" --npy "$npy")
    box=$(get box "$sb")
    peer=$("$py" "$here/neighbor_peer.py" --npy "$npy" --box "$box" --cutoff "$rc" --repeats "$preps")
    sorted=$(OMP_NUM_THREADS=1 "$bin" --n "$n" --cutoff "$rc" --repeats "$reps" --spatial-order)
    sp=$(get pairs "$sb"); pp=$(get pairs "$peer")
    same=yes
    if [ "$sp" != "$pp" ]; then same="NO ($pp)"; status=1; fi
    t1=$(get t1 "$sb"); tp=$(get t "$peer")
    ratio=$(awk -v a="$tp" -v b="$t1" 'BEGIN { printf "%.1f", a / b }')
    ratio_cold=$(awk -v a="$tp" -v b="$(get cold "$sb")" 'BEGIN { printf "%.1f", a / b }')
    ratio_cpu=$(awk -v a="$(get cpu "$peer")" -v b="$(get cpu1 "$sb")" 'BEGIN { printf "%.1f", a / b }')
    printf '| %s | %s | %s | %.4f | %.4f | %.4f | %.4f | %s | %s | %s | %.4f | %s | %s | %s | %s | %s |\n' \
      "$n" "$rc" "$sp" "$t1" "$(get t2 "$sb")" "$(get cold "$sb")" "$tp" "$ratio" "$ratio_cpu" "$ratio_cold" \
      "$(get t1 "$sorted")" \
      "$(get list_mb "$sb")" "$(get rss_mb "$sb")" "$(get out_mb "$peer")" "$(get rss_mb "$peer")" "$same"
  done
done
echo
echo "Load after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
