#!/usr/bin/env bash
# Two AQS recipes over the loading orientations of one glass: recipe A (shearband's
# defaults, L-BFGS from the affine start, or the options in A_ARGS) against the standard
# recipe B (affine start, CG with the quadratic line search, ftol 1e-8: lmp's algorithm, run
# by shearband so that both sides share everything else).
#
# The 24 orientations are 12 distinct loadings: K and its partner K^3 differ by a 180-degree
# turn about Z ((n, s) -> (-n, -s), METHOD.md section 3). Both recipes run one orientation
# of every loading (K mod 4 in {0, 1}); partners, where run, and re-shuffled atom orders
# (`--shuffle`) of a few orientations show what numerical noise alone does. Reported: force
# evaluations and wall time, yield (largest) stress and band per loading for both recipes,
# the paired differences, and the noise yardsticks. See bench/README-aqs.md.
#
# Usage: bench/run_recipes.sh [BUILD_DIR] [GLASS]
#   (defaults: build, examples/cu50zr50_864_annealed.data, which yields near 15 %)
# Environment: OUT=recipes STEP=1e-3 MAX=0.20 SAVE=0.10,0.20 SLAB=8 FTOP=0.05 (the band
# locator at 864 atoms: the paper's 19 A slab is 76 % of that box), ORIENT=0,1,4,5,8,9,
# 12,13,16,17,20,21 (the distinct loadings; "all" adds the partners), SHUF_ORIENT=5,8 and
# NSHUF=2 (re-shuffled replicas, 0 = none), A_ARGS="..." recipe A's options and A_NAME
# its name in the report (default: the defaults), REPORT_ONLY=1 skips the runs. Resumable: the
# ensembles never redo a finished run; to read unfinished ones, rewrite their summaries
# (`shearband ensemble ... --summarize` with the same options) and use REPORT_ONLY=1.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
glass=$(realpath "${2:-$here/../examples/cu50zr50_864_annealed.data}")
sb=$build/shearband
out=${OUT:-recipes}
step=${STEP:-1e-3}; max=${MAX:-0.20}; save=${SAVE:-0.10,0.20}
slab=${SLAB:-8}; ftop=${FTOP:-0.05}
orient=${ORIENT:-0,1,4,5,8,9,12,13,16,17,20,21}
shuf_orient=${SHUF_ORIENT:-5,8}; nshuf=${NSHUF:-2}
[ -x "$sb" ] || { echo "run_recipes.sh: $sb not built" >&2; exit 2; }
mkdir -p "$out"
export OMP_NUM_THREADS=1
common=(--step "$step" --max-strain "$max" --save "$save" --slab-width "$slab" --f-top "$ftop")
standard=(--minimizer cg --linesearch quadratic --extrapolate 0)
read -r -a recipe_a <<<"${A_ARGS:-}"
aname=${A_NAME:-defaults}

echo "AQS recipes, to $max in steps of $step, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "Glass: $glass ($(awk '/ atoms$/ { print $1; exit }' "$glass") atoms); band: slab $slab A, top $ftop"
if [[ -z ${REPORT_ONLY:-} ]]; then
  # One core each, started together; then the re-shuffled replicas, one recipe per core.
  "$sb" ensemble "$glass" -d "$out/A-defaults" --orientations "$orient" "${common[@]}" ${recipe_a[@]+"${recipe_a[@]}"} \
    > "$out/A.log" 2>&1 &
  "$sb" ensemble "$glass" -d "$out/B-standard" --orientations "$orient" "${common[@]}" "${standard[@]}" \
    > "$out/B.log" 2>&1 &
  wait
  if (( nshuf > 0 )); then
    "$sb" ensemble "$glass" -d "$out/A-shuffled" --orientations "$shuf_orient" --shuffles "$nshuf" \
      "${common[@]}" ${recipe_a[@]+"${recipe_a[@]}"} > "$out/A-shuf.log" 2>&1 &
    "$sb" ensemble "$glass" -d "$out/B-shuffled" --orientations "$shuf_orient" --shuffles "$nshuf" \
      "${common[@]}" "${standard[@]}" > "$out/B-shuf.log" 2>&1 &
    wait
  fi
fi

# One line per finished run: recipe (A, B standard) orientation shuffle_seed
# yield_GPa strain_at_yield axis centre_A z evaluations_to_0.10 evaluations_total seconds
rows=$out/runs.txt
: > "$rows"
for r in A-defaults B-standard A-shuffled B-shuffled; do
  csv=$out/$r/ensemble.csv
  [[ -f $csv ]] || continue
  grep -v '^#' "$csv" | tail -n +2 | while IFS=, read -r run k seed found axis signed centre peak z conc ys sm steps fs status; do
    [[ $status == ok ]] || continue # not finished yet
    ss=$out/$r/runs/$run/stress_strain.csv
    ev=$(grep -v '^#' "$ss" | tail -n +2 | awk -F, '{ t += $5; if ($1 <= 0.1 + 1e-9) e += $5 } END { print e + 0, t + 0 }')
    secs=$(sed -n 's/.*"seconds_this_run": *\([0-9.eE+-]*\).*/\1/p' "$out/$r/runs/$run/shear.json")
    [[ $found == 1 ]] || { axis=none; centre=nan; }
    echo "${r:0:1} $k $seed $ys $sm $axis $centre $z $ev ${secs:-nan}" >> "$rows"
  done
done
box=$(awk '/xlo xhi/ { print $2 - $1; exit }' "$glass")

awk -v box="$box" -v slab="$slab" -v aname="$aname" '
  { R = $1; k = $2; sd = $3; key = R SUBSEP k SUBSEP sd
    have[key] = 1; y[key] = $4; ax[key] = $6; c[key] = $7; z[key] = $8
    e10[key] = $9; eall[key] = $10; s[key] = $11 }
  # Same band: same axis and centres closer than half a slab (periodic box). Centres are
  # in the loading frame of each run; a partner orientation is turned by 180 degrees about Z
  # (X -> -X, Y -> -Y), so its centre c is the sample position box - c: mirror = 1.
  function same(a, b, mirror,   d) {
    if (ax[a] == "none" || ax[b] == "none") return ax[a] == ax[b]
    if (ax[a] != ax[b]) return 0
    d = c[a] - (mirror ? box - c[b] : c[b])
    d -= box * int(d / box); if (d < 0) d = -d; if (d > box / 2) d = box - d
    return d < slab / 2
  }
  function K(R, k) { return R SUBSEP k SUBSEP "none" }
  END {
    # Cost: every orientation both recipes ran unshuffled.
    for (k = 0; k < 24; k++) if (have[K("A", k)] && have[K("B", k)]) {
      n++; for (Ri = 0; Ri < 2; Ri++) { R = Ri ? "B" : "A"; E10[R] += e10[K(R, k)]; E[R] += eall[K(R, k)]; S[R] += s[K(R, k)] }
    }
    if (n < 2) { print "run_recipes.sh: fewer than two orientations run by both recipes" > "/dev/stderr"; exit 1 }
    printf "\n%d orientations run by both recipes\n\n", n
    printf "| recipe | force evaluations to 10 %% | to %s | wall (s) |\n|---|---|---|---|\n", "the end"
    printf "| %s | %d | %d | %.0f |\n| standard | %d | %d | %.0f |\n", aname, E10["A"], E["A"], S["A"], E10["B"], E["B"], S["B"]
    printf "| **ratio standard / %s** | **%.2f** | **%.2f** | **%.2f** |\n", aname, E10["B"] / E10["A"], E["B"] / E["A"], S["B"] / S["A"]
    # Per loading: the distinct orientation of each pair (its partner where the distinct one is missing).
    printf "\nPer loading (orientation; partner in brackets where run): yield stress (GPa) and band (axis:centre A, z)\n\n"
    printf "| loading | %s | standard | same band? |\n|---|---|---|---|\n", aname
    for (k = 0; k < 24; k++) {
      if (k % 4 > 1) continue
      p = k + 3 - 2 * (k % 4)            # k ^ 3 for k mod 4 in {0, 1}
      a = K("A", k); b = K("B", k)
      if (!(have[a] && have[b])) continue
      L++
      d = y[a] - y[b]; dsum += d; dsq += d * d; if (d < 0) d = -d; if (d < 1e-3) ident++
      zd = z[a] - z[b]; zsum += zd; zsq += zd * zd; za += z[a]; zb += z[b]
      fa += ax[a] != "none"; fb += ax[b] != "none"; sameAB += same(a, b, 0)
      pa = have[K("A", p)] ? sprintf(" [%.3f %s]", y[K("A", p)], ax[K("A", p)]) : ""
      pb = have[K("B", p)] ? sprintf(" [%.3f %s]", y[K("B", p)], ax[K("B", p)]) : ""
      printf "| %d, %d | %.3f %s:%.1f z %.1f%s | %.3f %s:%.1f z %.1f%s | %s |\n", k, p, y[a], ax[a], c[a], z[a], pa, \
        y[b], ax[b], c[b], z[b], pb, same(a, b, 0) ? "yes" : "no"
      for (Ri = 0; Ri < 2; Ri++) {        # partners: the noise of a 180-degree turn
        R = Ri ? "B" : "A"
        if (!have[K(R, p)]) continue
        np[R]++; pd = y[K(R, k)] - y[K(R, p)]; if (pd < 0) pd = -pd; if (pd > pmax[R]) pmax[R] = pd
        psame[R] += same(K(R, k), K(R, p), 1)
      }
    }
    m = dsum / L; se = sqrt((dsq / L - m * m) / (L - 1))
    printf "\n%d loadings. Yield stress, %s - standard: mean %+.1f MPa, standard error %.1f MPa; identical (< 1 MPa) in %d\n", \
      L, aname, 1e3 * m, 1e3 * se, ident
    mz = zsum / L; sez = sqrt((zsq / L - mz * mz) / (L - 1))
    printf "Band: found in %d (%s) and %d (standard) of %d; mean z %.2f and %.2f, paired difference %+.2f +- %.2f; same band in %d of %d\n", \
      fa, aname, fb, L, za / L, zb / L, mz, sez, sameAB, L
    for (Ri = 0; Ri < 2; Ri++) {
      R = Ri ? "B" : "A"
      if (np[R]) printf "Partners (%s): %d pairs, largest yield difference %.3f MPa, same band in %d\n", Ri ? "standard" : aname, np[R], 1e3 * pmax[R], psame[R]
    }
    # Re-shuffled replicas: every run of an orientation that has any.
    printf "\nRe-shuffled atom orders (seed none = the unshuffled run):\n\n| recipe | orientation | seed | yield (GPa) | band | z |\n|---|---|---|---|---|---|\n"
    for (Ri = 0; Ri < 2; Ri++) {
      R = Ri ? "B" : "A"
      for (k = 0; k < 24; k++) {
        shown = 0
        for (key in have) {
          split(key, f, SUBSEP)
          if (f[1] != R || f[2] != k || f[3] == "none") continue
          if (!shown && have[K(R, k)]) printf "| %s | %d | none | %.3f | %s:%.1f | %.1f |\n", Ri ? "standard" : aname, k, y[K(R, k)], ax[K(R, k)], c[K(R, k)], z[K(R, k)]
          shown = 1
          printf "| %s | %d | %s | %.3f | %s:%.1f | %.1f |\n", Ri ? "standard" : aname, k, f[3], y[key], ax[key], c[key], z[key]
        }
        if (shown) shuffled[k] = 1
      }
    }
    # Noise against recipe: over the orientations with replicas, every pair of runs of one
    # recipe (different atom orders) and every pair across the recipes: how often the same
    # band, and the mean absolute yield difference.
    for (k in shuffled) {
      nr = 0
      for (key in have) { split(key, f, SUBSEP); if (f[2] == k) run[++nr] = key }
      for (i = 1; i <= nr; i++) for (j = i + 1; j <= nr; j++) {
        split(run[i], f, SUBSEP); split(run[j], g, SUBSEP)
        t = f[1] == g[1] ? "within" : "across"
        pairs[t]++; sameb[t] += same(run[i], run[j], 0); dy = y[run[i]] - y[run[j]]; ady[t] += dy < 0 ? -dy : dy
      }
    }
    for (t in pairs)
      printf "\n%s recipes: %d pairs of runs, same band in %d (%.0f %%), mean |yield difference| %.1f MPa", \
        t == "within" ? "Within" : "Across", pairs[t], sameb[t], 100 * sameb[t] / pairs[t], 1e3 * ady[t] / pairs[t]
    if (length(pairs)) printf "\n"
  }' "$rows" | tee "$out/report.md"

# Figure: yield stress and band centre per loading, both recipes (partners and re-shuffled
# replicas as small symbols beside them; partner centres mirrored into the first frame).
awk -v box="$box" '{ k = $2; i = (k % 4 > 1) ? 3 - k % 4 + 4 * int(k / 4) : k; L = 2 * int(i / 4) + i % 4
       extra = (k % 4 > 1) || $3 != "none"
       off = ($1 == "A" ? -0.18 : 0.18) + (extra ? ($1 == "A" ? -0.12 : 0.12) : 0)
       c = (k % 4 > 1) ? box - $7 : $7
       print $1, L + off, $4, ($6 == "vertical" ? -c : ($6 == "horizontal" ? c : "nan")), ($6 == "none"), extra }' "$rows" > "$out/fig.txt"
gnuplot <<GP
set terminal pngcairo size 1000,720 font ",12" noenhanced
set output "$out/recipes.png"
set multiplot layout 2,1
set key outside right
set xrange [-0.7:11.7]
set xtics 1
set grid ytics
set offsets 0, 0, graph 0.08, graph 0.08
set ylabel "largest shear stress (GPa)"
set title "$(basename "$glass"): two AQS recipes per loading (small: partner / re-shuffled runs)"
plot "$out/fig.txt" using (strcol(1) eq "A" && \$6 == 0 ? \$2 : NaN):3 pt 7 ps 1.4 lc rgb "#1f77b4" title "$aname", \
     "" using (strcol(1) eq "B" && \$6 == 0 ? \$2 : NaN):3 pt 5 ps 1.4 lc rgb "#2ca02c" title "standard recipe", \
     "" using (strcol(1) eq "A" && \$6 == 1 ? \$2 : NaN):3 pt 7 ps 0.6 lc rgb "#1f77b4" notitle, \
     "" using (strcol(1) eq "B" && \$6 == 1 ? \$2 : NaN):3 pt 5 ps 0.6 lc rgb "#2ca02c" notitle
set title "band: signed centre (vertical < 0, horizontal > 0); open: no band"
set ylabel "band centre (A)"
set xlabel "loading (orientations K, K^3)"
plot "$out/fig.txt" using (strcol(1) eq "A" && \$6 == 0 ? \$2 : NaN):4 pt 7 ps 1.4 lc rgb "#1f77b4" title "$aname", \
     "" using (strcol(1) eq "B" && \$6 == 0 ? \$2 : NaN):4 pt 5 ps 1.4 lc rgb "#2ca02c" title "standard recipe", \
     "" using (strcol(1) eq "A" && \$6 == 1 ? \$2 : NaN):4 pt 7 ps 0.6 lc rgb "#1f77b4" notitle, \
     "" using (strcol(1) eq "B" && \$6 == 1 ? \$2 : NaN):4 pt 5 ps 0.6 lc rgb "#2ca02c" notitle, \
     "" using (\$5 == 1 && strcol(1) eq "A" ? \$2 : NaN):(0) pt 6 ps 1.2 lc rgb "#1f77b4" notitle, \
     "" using (\$5 == 1 && strcol(1) eq "B" ? \$2 : NaN):(0) pt 4 ps 1.2 lc rgb "#2ca02c" notitle
unset multiplot
GP
echo "Figure: $out/recipes.png"
