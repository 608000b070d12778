#!/usr/bin/env bash
# D2min + band location, side by side: shearband (bench_d2min, 1 OpenMP thread) against a
# vectorised numpy/scipy implementation of the same definitions (d2min_peer.py), on the
# SAME synthetic frames, in one run. See bench/README-d2min.md for what is timed.
#
# Usage: bench/run_d2min.sh [BUILD_DIR]        (default: build; needs target bench_d2min)
# Environment: SIZES="32000 256000", PYTHON=/usr/bin/python3
# Exit status 1 if the two sides disagree (D2min or strain beyond 1e-8 relative, or the band).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
bin=$build/bench/bench_d2min
py=${PYTHON:-/usr/bin/python3}
sizes=${SIZES:-"32000 256000"}
[ -x "$bin" ] || { echo "run_d2min.sh: $bin not built (cmake --build $build --target bench_d2min)" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sb_bench_d2min.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

get() { # get KEY "k=v k=v ..."
  local k=$1; shift
  tr ' ' '\n' <<<"$*" | sed -n "s/^$k=//p"
}

echo "D2min (r_c 5 A) + band location: shearband vs numpy/scipy, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "uptime before: $(uptime)"
echo "numpy $($py -c 'import numpy; print(numpy.__version__)'), scipy $($py -c 'import scipy; print(scipy.__version__)'), 1 thread each"
echo
echo "| N | shearband D2min (s) | shearband band (s) | shearband total (s) | numpy/scipy D2min (s) | numpy/scipy band (s) | numpy/scipy total (s) | ratio (total) | ratio (CPU) | shearband peak RSS (MB) | numpy/scipy peak RSS (MB) | max rel. diff D2min | max rel. diff strain | band (sb / peer) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
status=0
for n in $sizes; do
  reps=5; preps=3
  if [ "$n" -gt 100000 ]; then reps=3; preps=2; fi
  dir=$tmp/n$n; mkdir -p "$dir"
  gen=$("$bin" --generate "$dir" --n "$n")
  box=$(get box "$gen"); xy=$(get xy "$gen")
  sb=$("$bin" --run "$dir" --n "$n" --box "$box" --xy "$xy" --repeats "$reps")
  peer=$("$py" "$here/d2min_peer.py" --dir "$dir" --box "$box" --xy "$xy" --repeats "$preps")
  cmp=$("$py" - "$dir" <<'PY'
import sys, numpy as np
d = sys.argv[1]
def rel(a, b):
    a, b = np.load(a), np.load(b)
    floor = 1e-12 * np.abs(b).max()
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), floor)))
print(f"d2={rel(d + '/d2min_sb.npy', d + '/d2min_peer.npy'):.2e} eta={rel(d + '/strain_sb.npy', d + '/strain_peer.npy'):.2e}")
PY
)
  rd=$(get d2 "$cmp"); re=$(get eta "$cmp")
  sbband="$(get band_axis "$sb")@$(get band_centre "$sb")"; pband="$(get band_axis "$peer")@$(get band_centre "$peer")"
  ok=$(awk -v a="$rd" -v b="$re" 'BEGIN { print (a <= 1e-8 && b <= 1e-8) ? 1 : 0 }')
  [ "$ok" = 1 ] || status=1
  bandok=$(awk -v a="$(get band_centre "$sb")" -v b="$(get band_centre "$peer")" 'BEGIN { d = a - b; if (d < 0) d = -d; print d < 1e-6 ? 1 : 0 }')
  { [ "$bandok" = 1 ] && [ "$(get band_axis "$sb")" = "$(get band_axis "$peer")" ]; } || status=1
  printf '| %s | %.4f | %.4f | %.4f | %.3f | %.3f | %.3f | %.1f | %.1f | %s | %s | %s | %s | Y=%s / Y=%s (axis %s / %s; true centre %.2f) |\n' \
    "$n" "$(get t_d2min "$sb")" "$(get t_band "$sb")" "$(get t "$sb")" \
    "$(get t_d2min "$peer")" "$(get t_band "$peer")" "$(get t "$peer")" \
    "$(awk -v a="$(get t "$peer")" -v b="$(get t "$sb")" 'BEGIN { print a / b }')" \
    "$(awk -v a="$(get cpu "$peer")" -v b="$(get cpu "$sb")" 'BEGIN { print a / b }')" \
    "$(get rss_mb "$sb")" "$(get rss_mb "$peer")" "$rd" "$re" \
    "$(get band_centre "$sb")" "$(get band_centre "$peer")" "$(get band_axis "$sb")" "$(get band_axis "$peer")" \
    "$(get band_centre "$gen")"
  echo "   shearband first (cold) run: $(get cold "$sb") s; singular fits: $(get singular "$sb")" >&2
done
echo
echo "uptime after: $(uptime)"
exit $status
