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
  # One core each, started together. To read an unfinished comparison, rewrite the
  # summaries (`shearband ensemble ... --summarize`) and run with REPORT_ONLY=1.
  "$sb" ensemble "$glass" -d "$out/A-defaults" "${common[@]}" > "$out/A.log" 2>&1 &
  "$sb" ensemble "$glass" -d "$out/B-standard" "${common[@]}" \
    --linesearch quadratic --extrapolate 0 > "$out/B.log" 2>&1 &
  wait
  if [[ -n ${CANDIDATE:-} ]]; then
    # shellcheck disable=SC2086 # CANDIDATE is a list of options
    "$sb" ensemble "$glass" -d "$out/C-candidate" "${common[@]}" $CANDIDATE > "$out/C.log" 2>&1
  fi
fi

# One line per run: recipe orientation peak_GPa strain_at_peak band axis centre_A
# evaluations_to_0.10 evaluations_total seconds
rows=$out/runs.txt
: > "$rows"
for r in A-defaults B-standard C-candidate; do
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

# compare X Y: recipe X (A or C) against the standard recipe Y = B
compare() {
awk -v box="$box" -v slab="$slab" -v X="$1" -v Y="$2" -v nameX="$3" '
  { R = $1; k = $2; have[R, k] = 1; y[R, k] = $3; ax[R, k] = $5; c[R, k] = $6
    e10[R, k] = $7; eall[R, k] = $8; s[R, k] = $9 }
  # Same band: same axis and centres closer than half a slab (periodic box). Centres are
  # in the loading frame of each run; a partner orientation is turned by 180 degrees about Z
  # (X -> -X, Y -> -Y), so its centre c is the sample position box - c: mirror = 1.
  function same(R1, k1, R2, k2, mirror,   d) {
    if (ax[R1, k1] == "none" || ax[R2, k2] == "none") return ax[R1, k1] == ax[R2, k2]
    if (ax[R1, k1] != ax[R2, k2]) return 0
    d = c[R1, k1] - (mirror ? box - c[R2, k2] : c[R2, k2])
    d -= box * int(d / box); if (d < 0) d = -d; if (d > box / 2) d = box - d
    return d < slab / 2
  }
  END {
    # The loadings (partner pairs K, K^3 with K mod 4 in {0, 1}) run by both recipes;
    # an unfinished ensemble contributes its finished pairs.
    np = 0
    for (k = 0; k < 24; k++) {
      if (k % 4 > 1) continue
      p = k + 3 - 2 * (k % 4)            # k ^ 3 for k mod 4 in {0, 1}
      if (!(have[X, k] && have[X, p] && have[Y, k] && have[Y, p])) continue
      np++; kk[np] = k; pp[np] = p
    }
    if (np < 2) { print "run_recipes.sh: fewer than two loadings run by both recipes" > "/dev/stderr"; exit 1 }
    for (i = 1; i <= np; i++) for (j = 0; j < 2; j++) {
      k = j ? pp[i] : kk[i]
      for (Ri = 0; Ri < 2; Ri++) { R = Ri ? Y : X; E10[R] += e10[R, k]; E[R] += eall[R, k]; S[R] += s[R, k] }
    }
    printf "\n%d loadings (%d orientations) run by both recipes\n", np, 2 * np
    printf "\n| recipe | force evaluations to 10 %% | to the end | wall (s) |\n|---|---|---|---|\n"
    printf "| %s | %d | %d | %.0f |\n| standard | %d | %d | %.0f |\n", nameX, E10[X], E[X], S[X], E10[Y], E[Y], S[Y]
    printf "| **ratio standard / %s** | **%.2f** | **%.2f** | **%.2f** |\n", nameX, E10[Y] / E10[X], E[Y] / E[X], S[Y] / S[X]
    printf "\nYield (largest) stress per loading, GPa: the two partners of each recipe\n"
    printf "| loading (K, partner) | %s | standard |\n|---|---|---|\n", nameX
    for (i = 1; i <= np; i++) {
      k = kk[i]; p = pp[i]
      printf "| %d, %d | %.3f, %.3f | %.3f, %.3f |\n", k, p, y[X, k], y[X, p], y[Y, k], y[Y, p]
      for (Ri = 0; Ri < 2; Ri++) {
        R = Ri ? Y : X
        w[R] += (y[R, k] - y[R, p])^2 / 2      # within-pair variance: the noise of one run
        m[R, i] = (y[R, k] + y[R, p]) / 2
        mean[R] += m[R, i] / np
      }
      d[i] = m[X, i] - m[Y, i]; dm += d[i] / np
    }
    for (i = 1; i <= np; i++) dv += (d[i] - dm)^2 / (np - 1)
    sA = sqrt(w[X] / np); sB = sqrt(w[Y] / np)
    printf "\nMean yield stress: %s %.4f GPa, standard %.4f GPa\n", nameX, mean[X], mean[Y]
    printf "Noise of one run (rms over the pairs of (y_K - y_partner) / sqrt 2): %s %.3f MPa, standard %.3f MPa\n", nameX, 1e3 * sA, 1e3 * sB
    se = sqrt(dv / np)
    printf "%s - standard, per loading (pair means): mean %+.3f MPa, standard error %.3f MPa (t = %s); sd %.3f MPa, noise alone would give %.3f MPa\n", \
      nameX, 1e3 * dm, 1e3 * se, (se > 1e-9 ? sprintf("%.2f", dm / se) : "n/a"), 1e3 * sqrt(dv), 1e3 * sqrt((sA^2 + sB^2) / 2)
    # Bands.
    for (i = 1; i <= np; i++) {
      k = kk[i]; p = pp[i]
      inA += same(X, k, X, p, 1); inB += same(Y, k, Y, p, 1)
      x += same(X, k, Y, k, 0) + same(X, p, Y, p, 0); xx += same(X, k, Y, p, 1) + same(X, p, Y, k, 1)
      for (j = 0; j < 2; j++) {
        q = j ? p : k
        fA += ax[X, q] != "none"; fB += ax[Y, q] != "none"; vA += ax[X, q] == "vertical"; vB += ax[Y, q] == "vertical"
      }
    }
    printf "\nBands (slab %s A): found in %d / %d (%s), %d / %d (standard); vertical %d and %d\n", slab, fA, 2 * np, nameX, fB, 2 * np, vA, vB
    printf "Same band (axis, centre within half a slab): partners within %s %d / %d, within standard %d / %d; %s vs standard, same orientation %d / %d, partner orientation %d / %d\n", nameX, inA, np, inB, np, nameX, x, 2 * np, xx, 2 * np
  }' "$rows"
}
{
  compare A B defaults
  if grep -q '^C ' "$rows"; then echo; echo "Candidate: ${CANDIDATE:-see C-candidate/ensemble.json}"; compare C B candidate; fi
} | tee "$out/report.md"

# Figure: yield stress and band centre per loading, both recipes, partners side by side.
# (band centres of partner orientations mirrored into the frame of the first, as above)
awk -v box="$box" '{ k = $2; i = (k % 4 > 1) ? 3 - k % 4 + 4 * int(k / 4) : k; L = 2 * int(i / 4) + i % 4
       off = (k % 4 > 1 ? 0.08 : -0.08) + ($1 == "A" ? -0.25 : ($1 == "B" ? 0.25 : 0))
       c = (k % 4 > 1) ? box - $6 : $6
       print $1, L + off, $3, ($5 == "vertical" ? -c : ($5 == "horizontal" ? c : "nan")), ($5 == "none") }' "$rows" > "$out/fig.txt"
gnuplot <<GP
set terminal pngcairo size 1000,700 font ",12" noenhanced
set output "$out/recipes.png"
set multiplot layout 2,1
set key outside right
set xrange [-0.7:11.7]
set xtics 1
set grid ytics
set ylabel "largest shear stress (GPa)"
set title "$(basename "$glass"): the two partner orientations of each loading"
set offsets 0, 0, graph 0.08, graph 0.08
plot "$out/fig.txt" using (strcol(1) eq "A" ? \$2 : NaN):3 pt 7 ps 1.2 lc rgb "#1f77b4" title "defaults", \
     "" using (strcol(1) eq "B" ? \$2 : NaN):3 pt 5 ps 1.2 lc rgb "#2ca02c" title "standard recipe", \
     "" using (strcol(1) eq "C" ? \$2 : NaN):3 pt 9 ps 1.2 lc rgb "#d62728" title "candidate"
set title "band: signed centre (vertical < 0, horizontal > 0), partners mirrored into one frame"
set ylabel "band centre (A)"
set xlabel "loading (pair of partner orientations K, K^3)"
plot "$out/fig.txt" using (strcol(1) eq "A" ? \$2 : NaN):4 pt 7 ps 1.2 lc rgb "#1f77b4" title "defaults", \
     "" using (strcol(1) eq "B" ? \$2 : NaN):4 pt 5 ps 1.2 lc rgb "#2ca02c" title "standard recipe", \
     "" using (strcol(1) eq "C" ? \$2 : NaN):4 pt 9 ps 1.2 lc rgb "#d62728" title "candidate", \
     "" using (\$5 == 1 ? \$2 : NaN):(0) pt 6 ps 1.2 lc rgb "#555555" title "no band (at 0)"
unset multiplot
GP
echo "Figure: $out/recipes.png"
