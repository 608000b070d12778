#!/usr/bin/env bash
# Two AQS recipes over the 24 loading orientations of one glass: shearband's defaults
# (extrapolated start, CG with the forcezero line search) against the standard recipe
# (affine start, CG with the quadratic line search, ftol 1e-8: lmp's algorithm, run by
# shearband so that both sides share everything else). Orientation K and its partner K^3
# load the glass identically up to a 180-degree turn ((n, s) -> (-n, -s), METHOD.md
# section 3), so each of the 12 pairs differs only by the numerical noise of a recipe.
# That noise, measured over 12 different loadings, is the yardstick for "the same yield
# stresses and band statistics": is the difference between the recipes larger than the
# difference within a recipe? Also counts the force evaluations of all 24 runs each.
# See bench/README-aqs.md.
#
# Usage: bench/run_recipes.sh [BUILD_DIR] [GLASS]
#   (defaults: build, examples/cu50zr50_864_annealed.data, which yields near 15 %)
# Environment: OUT=recipes STEP=1e-3 MAX=0.20 SAVE=0.10,0.20 SLAB=8 FTOP=0.05 (the band
# locator at 864 atoms: the paper's 19 A slab is 76 % of that box), REPORT_ONLY=1 skips
# the runs. Resumable: the two ensembles never redo a finished run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
glass=$(realpath "${2:-$here/../examples/cu50zr50_864_annealed.data}")
sb=$build/shearband
out=${OUT:-recipes}
step=${STEP:-1e-3}; max=${MAX:-0.20}; save=${SAVE:-0.10,0.20}
slab=${SLAB:-8}; ftop=${FTOP:-0.05}
[ -x "$sb" ] || { echo "run_recipes.sh: $sb not built" >&2; exit 2; }
mkdir -p "$out"
export OMP_NUM_THREADS=1
common=(--orientations all --step "$step" --max-strain "$max" --save "$save"
        --slab-width "$slab" --f-top "$ftop")

echo "AQS recipes over 24 orientations, to $max in steps of $step, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "Glass: $glass ($(awk '/ atoms$/ { print $1; exit }' "$glass") atoms); band: slab $slab A, top $ftop"
if [[ -z ${REPORT_ONLY:-} ]]; then
  # One core each, started together. To read an unfinished comparison, rewrite the two
  # summaries (`shearband ensemble ... --summarize`) and run with REPORT_ONLY=1.
  "$sb" ensemble "$glass" -d "$out/A-defaults" "${common[@]}" > "$out/A.log" 2>&1 &
  "$sb" ensemble "$glass" -d "$out/B-standard" "${common[@]}" \
    --linesearch quadratic --extrapolate 0 > "$out/B.log" 2>&1 &
  wait
fi

# One line per run: recipe orientation peak_GPa strain_at_peak band axis centre_A
# evaluations_to_0.10 evaluations_total seconds
rows=$out/runs.txt
: > "$rows"
for r in A-defaults B-standard; do
  csv=$out/$r/ensemble.csv
  [[ -f $csv ]] || continue
  grep -v '^#' "$csv" | tail -n +2 | while IFS=, read -r run k seed found axis signed centre peak z conc ys sm steps fs status; do
    [[ $status == ok ]] || continue # not finished yet
    ss=$out/$r/runs/$run/stress_strain.csv
    ev=$(grep -v '^#' "$ss" | tail -n +2 | awk -F, '{ t += $5; if ($1 <= 0.1 + 1e-9) e += $5 } END { print e + 0, t + 0 }')
    secs=$(sed -n 's/.*"seconds_this_run": *\([0-9.eE+-]*\).*/\1/p' "$out/$r/runs/$run/shear.json")
    [[ $found == 1 ]] || { axis=none; centre=nan; }
    echo "${r%%-*} $k $ys $sm $axis $centre $ev ${secs:-nan}" >> "$rows"
  done
done
box=$(awk '/xlo xhi/ { print $2 - $1; exit }' "$glass")

awk -v box="$box" -v slab="$slab" '
  { R = $1; k = $2; have[R, k] = 1; y[R, k] = $3; ax[R, k] = $5; c[R, k] = $6
    e10[R, k] = $7; eall[R, k] = $8; s[R, k] = $9 }
  # Same band: same axis and centres closer than half a slab (periodic box).
  function same(R1, k1, R2, k2,   d) {
    if (ax[R1, k1] == "none" || ax[R2, k2] == "none") return ax[R1, k1] == ax[R2, k2]
    if (ax[R1, k1] != ax[R2, k2]) return 0
    d = c[R1, k1] - c[R2, k2]; if (d < 0) d = -d; if (d > box / 2) d = box - d
    return d < slab / 2
  }
  END {
    # The loadings (partner pairs K, K^3 with K mod 4 in {0, 1}) run by both recipes;
    # an unfinished ensemble contributes its finished pairs.
    np = 0
    for (k = 0; k < 24; k++) {
      if (k % 4 > 1) continue
      p = k + 3 - 2 * (k % 4)            # k ^ 3 for k mod 4 in {0, 1}
      if (!(have["A", k] && have["A", p] && have["B", k] && have["B", p])) continue
      np++; kk[np] = k; pp[np] = p
    }
    if (np < 2) { print "run_recipes.sh: fewer than two loadings run by both recipes" > "/dev/stderr"; exit 1 }
    for (i = 1; i <= np; i++) for (j = 0; j < 2; j++) {
      k = j ? pp[i] : kk[i]
      for (Ri = 0; Ri < 2; Ri++) { R = Ri ? "B" : "A"; E10[R] += e10[R, k]; E[R] += eall[R, k]; S[R] += s[R, k] }
    }
    printf "\n%d loadings (%d orientations) run by both recipes\n", np, 2 * np
    printf "\n| recipe | force evaluations to 10 %% | to the end | wall (s) |\n|---|---|---|---|\n"
    printf "| defaults | %d | %d | %.0f |\n| standard | %d | %d | %.0f |\n", E10["A"], E["A"], S["A"], E10["B"], E["B"], S["B"]
    printf "| **ratio standard / defaults** | **%.2f** | **%.2f** | **%.2f** |\n", E10["B"] / E10["A"], E["B"] / E["A"], S["B"] / S["A"]
    printf "\nYield (largest) stress per loading, GPa: the two partners of each recipe\n"
    printf "| loading (K, partner) | defaults | standard |\n|---|---|---|\n"
    for (i = 1; i <= np; i++) {
      k = kk[i]; p = pp[i]
      printf "| %d, %d | %.3f, %.3f | %.3f, %.3f |\n", k, p, y["A", k], y["A", p], y["B", k], y["B", p]
      for (Ri = 0; Ri < 2; Ri++) {
        R = Ri ? "B" : "A"
        w[R] += (y[R, k] - y[R, p])^2 / 2      # within-pair variance: the noise of one run
        m[R, i] = (y[R, k] + y[R, p]) / 2
        mean[R] += m[R, i] / np
      }
      d[i] = m["A", i] - m["B", i]; dm += d[i] / np
    }
    for (i = 1; i <= np; i++) dv += (d[i] - dm)^2 / (np - 1)
    sA = sqrt(w["A"] / np); sB = sqrt(w["B"] / np)
    printf "\nMean yield stress: defaults %.4f GPa, standard %.4f GPa\n", mean["A"], mean["B"]
    printf "Noise of one run (rms over the pairs of (y_K - y_partner) / sqrt 2): defaults %.4f GPa, standard %.4f GPa\n", sA, sB
    printf "Defaults - standard, per loading (pair means): mean %+.4f GPa, standard error %.4f (t = %.2f); sd %.4f GPa, noise alone would give %.4f\n", \
      dm, sqrt(dv / np), dm / sqrt(dv / np), sqrt(dv), sqrt((sA^2 + sB^2) / 2)
    # Bands.
    for (i = 1; i <= np; i++) {
      k = kk[i]; p = pp[i]
      inA += same("A", k, "A", p); inB += same("B", k, "B", p)
      x += same("A", k, "B", k) + same("A", p, "B", p); xx += same("A", k, "B", p) + same("A", p, "B", k)
      for (j = 0; j < 2; j++) {
        q = j ? p : k
        fA += ax["A", q] != "none"; fB += ax["B", q] != "none"; vA += ax["A", q] == "vertical"; vB += ax["B", q] == "vertical"
      }
    }
    printf "\nBands (slab %s A): found in %d / %d (defaults), %d / %d (standard); vertical %d and %d\n", slab, fA, 2 * np, fB, 2 * np, vA, vB
    printf "Same band (axis, centre within half a slab): partners within defaults %d / %d, within standard %d / %d; defaults vs standard, same orientation %d / %d, partner orientation %d / %d\n", inA, np, inB, np, x, 2 * np, xx, 2 * np
  }' "$rows" | tee "$out/report.md"

# Figure: yield stress and band centre per loading, both recipes, partners side by side.
awk '{ k = $2; i = (k % 4 > 1) ? 3 - k % 4 + 4 * int(k / 4) : k; L = 2 * int(i / 4) + i % 4
       off = (k % 4 > 1 ? 0.08 : -0.08) + ($1 == "A" ? -0.2 : 0.2)
       print $1, L + off, $3, ($5 == "vertical" ? -$6 : ($5 == "horizontal" ? $6 : "nan")) }' "$rows" > "$out/fig.txt"
gnuplot <<GP
set terminal pngcairo size 1000,700 font ",12" noenhanced
set output "$out/recipes.png"
set multiplot layout 2,1
set key outside right
set xrange [-0.7:11.7]
set xtics 1
set grid ytics
set ylabel "largest shear stress (GPa)"
set title "24 orientations of $(basename "$glass"): each loading's two partner orientations (left/right of a pair)"
plot "$out/fig.txt" using (\$1 eq "A" ? \$2 : NaN):3 pt 7 ps 1.2 lc rgb "#1f77b4" title "defaults", \
     "" using (\$1 eq "B" ? \$2 : NaN):3 pt 5 ps 1.2 lc rgb "#2ca02c" title "standard recipe"
set title "band: signed centre (vertical < 0, horizontal > 0)"
set ylabel "band centre (A)"
set xlabel "loading (pair of partner orientations K, K^3)"
plot "$out/fig.txt" using (\$1 eq "A" ? \$2 : NaN):4 pt 7 ps 1.2 lc rgb "#1f77b4" title "defaults", \
     "" using (\$1 eq "B" ? \$2 : NaN):4 pt 5 ps 1.2 lc rgb "#2ca02c" title "standard recipe"
unset multiplot
GP
echo "Figure: $out/recipes.png"
