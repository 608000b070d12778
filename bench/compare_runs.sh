#!/usr/bin/env bash
# Compare finished shear runs of two AQS recipes, loading by loading, from their
# stress_strain.csv alone (no MD): force evaluations up to a strain, the stress there, and
# how far the two curves agree before the first stress drop of either (relative to the
# largest stress reached so far).
#
# Usage: bench/compare_runs.sh [-s STRAIN] [-f FIG.png] [-l A_NAME,B_NAME] A_RUN:B_RUN ...
#   A_RUN, B_RUN  run directories of `shearband shear` (A: the candidate, B: the reference
#                 recipe) of the same glass and orientation; one pair per loading
#   -s STRAIN     compare up to this strain (default 0.10)
#   -f FIG.png    also draw both curves of every pair, one panel per loading
#   -l A,B        the recipes' names in the figure (default: candidate,reference)
# A run to a larger strain is fine: AQS is deterministic, so its first steps are those a
# shorter run with the same settings would take (tests/lammps/test_engine_shear.c).
# Prints a Markdown table, one row per pair, and the totals; exit 2 on a missing file.
set -euo pipefail
strain=0.10
fig=
names=candidate,reference
while getopts s:f:l: opt; do
  case $opt in
    s) strain=$OPTARG ;;
    f) fig=$OPTARG ;;
    l) names=$OPTARG ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
(( $# > 0 )) || { sed -n '2,/^set/p' "$0" | sed 's/^# \{0,1\}//; /^set/d' >&2; exit 2; }

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "| loading | A evaluations | B evaluations | B / A | A stress | B stress (GPa, at $strain) | pre-drop rows | max difference before it / largest stress |"
echo "|---|---|---|---|---|---|---|---|"
i=0
for pair in "$@"; do
  a=${pair%%:*}; b=${pair#*:}
  for d in "$a" "$b"; do
    [[ -f $d/stress_strain.csv ]] || { echo "compare_runs.sh: $d/stress_strain.csv: no such file" >&2; exit 2; }
  done
  k=$(sed -n '1s/.*orientation \([0-9]*\).*/\1/p' "$a/stress_strain.csv")
  # Both curves side by side (row i = strain i * step), then one pass over them.
  i=$((i + 1))
  paste -d, <(grep -v '^#' "$a/stress_strain.csv" | tail -n +2) <(grep -v '^#' "$b/stress_strain.csv" | tail -n +2) |
    awk -F, '$1 != "" && $6 != "" && $1 <= s + 1e-9 && $6 <= s + 1e-9' s="$strain" > "$tmp/pair$i.csv"
  echo "$k" > "$tmp/pair$i.k"
  awk -F, -v k="$k" '
    { ea += $5; eb += $10; sa = $2; sb = $7
      # A stress drop in either curve ends the stretch where both are the same branch.
      if (NR > 1 && !dropped && ($2 < pa || $7 < pb)) dropped = 1
      # Differences relative to the largest stress reached so far: the residual stress of
      # the quenched glass makes the curve cross zero, where a pointwise ratio means nothing.
      m = $7 < 0 ? -$7 : $7; if (m > smax) smax = m
      if (!dropped) { n++; d = $2 - $7; if (d < 0) d = -d; if (d / smax > dmax) dmax = d / smax }
      pa = $2; pb = $7 }
    END { printf "| %s | %d | %d | %.2f | %.4f | %.4f | %d | %.1e |\n", k, ea, eb, eb / ea, sa, sb, n, dmax
          printf "%d %d\n", ea, eb >> totals }' totals="$tmp/totals" "$tmp/pair$i.csv"
done
awk '{ a += $1; b += $2; n++ } END { printf "| **all %d** | **%d** | **%d** | **%.2f** | | | | |\n", n, a, b, b / a }' \
  "$tmp/totals"

[[ -n $fig ]] || exit 0
cols=$(( i < 2 ? 1 : 2 )); rows=$(( (i + cols - 1) / cols ))
{
  echo "set terminal pngcairo size $((560 * cols)),$((380 * rows)) font ',11' noenhanced"
  echo "set output '$fig'"
  echo "set datafile separator ','"
  echo "set multiplot layout $rows,$cols"
  echo "set key top left"
  echo "set grid"
  echo "set xlabel 'shear strain'"
  echo "set ylabel 'shear stress (GPa)'"
  for j in $(seq 1 "$i"); do
    echo "set title 'orientation $(cat "$tmp/pair$j.k")'"
    echo "plot '$tmp/pair$j.csv' using 6:7 with lines lw 3 lc rgb '#2ca02c' title '${names#*,}', \
'' using 1:2 with lines lw 1.5 lc rgb '#1f77b4' title '${names%%,*}'"
  done
  echo "unset multiplot"
} | gnuplot
echo "Figure: $fig"
