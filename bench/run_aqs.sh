#!/usr/bin/env bash
# AQS simple shear, side by side: `shearband shear` (its defaults: L-BFGS from the affine
# start, ftol 1e-8) against the standard recipe run by Debian's lmp
# (aqs_standard.lmp: change_box xy delta + remap, minimize cg 1e-8 from the affine start),
# on the same glass, same step, to the same strain, in one run: the two start together, one
# core each. Then NREP re-shuffled shearband replicas (`shearband ensemble --shuffles NREP`,
# two at a time under mpirun when it is there) give the spread of the yield stress that atom
# order alone causes (with the timed run's SB_ARGS). See bench/README-aqs.md.
#
# Resumable: a finished timed pair in OUT (both .wall files) is kept and only the report is
# redone; the replicas are an ensemble, which never redoes a finished run. Delete OUT to
# time again.
#
# Usage: bench/run_aqs.sh [BUILD_DIR] [GLASS]   (defaults: build, datasets/glasses/g001.data)
# Environment: STEP=1e-3 MAX=0.10 NREP=2 OUT=aqs-bench (kept: logs, CSVs, the figure),
# NP=2 ranks for the replica ensemble (1 = one after the other), NSTD=0 re-shuffled
# replicas of the standard recipe run by shearband (--minimizer cg --linesearch quadratic
# --extrapolate 0,
# lmp's algorithm: is lmp's curve within ITS spread?) in OUT/std-reps, SAVE=S1,S2 the
# strains the replicas keep (default MAX; 0.10 too gives labels at the training strain),
# LMP_SF=opt runs the peer as `lmp -sf opt` (LAMMPS's OPT pair style, which shearband uses),
# SB_ARGS="..." adds options to the timed shearband run (e.g. "--minimizer lbfgs").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
glass=$(realpath "${2:-$here/../datasets/glasses/g001.data}")
sb=$build/shearband
step=${STEP:-1e-3}; max=${MAX:-0.10}; nrep=${NREP:-2}
out=${OUT:-aqs-bench}
nsteps=$(awk -v m="$max" -v s="$step" 'BEGIN { printf "%d", m / s + 0.5 }')
[ -x "$sb" ] || { echo "run_aqs.sh: $sb not built" >&2; exit 2; }
command -v lmp >/dev/null || { echo "run_aqs.sh: lmp not found (apt-get install lammps)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "run_aqs.sh: /usr/bin/time not found (scripts/install-deps.sh --bench)" >&2; exit 2; }
mkdir -p "$out"
export OMP_NUM_THREADS=1

# wall NAME CMD...: run CMD (output to $out/NAME.out); its wall time in seconds to
# $out/NAME.wall, its CPU time (user + system, children included) to $out/NAME.cpu
wall() {
  local name=$1 t0 t1; shift
  t0=$(date +%s.%N)
  /usr/bin/time -f '%U %S' -o "$out/$name.time" "$@" > "$out/$name.out" 2>&1
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }' > "$out/$name.wall"
  awk '{ printf "%.1f", $1 + $2 }' "$out/$name.time" > "$out/$name.cpu"
}

echo "AQS to strain $max in steps of $step: shearband shear vs lmp standard recipe, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "Glass: $glass ($(awk '/ atoms$/ { print $1; exit }' "$glass") atoms)"
echo "Machine: $(getconf _NPROCESSORS_ONLN) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); LAMMPS $(lmp -h | sed -n 's/^Large-scale.*Simulator - //p' | head -1)"
echo "uptime before: $(uptime)"

if [[ -s $out/lmp.wall && -s $out/sb.wall ]]; then
  echo "(timed pair already in $out: kept)"
else
  rm -rf "$out/sb" "$out/lmp.log"
  wall lmp lmp ${LMP_SF:+-sf "$LMP_SF"} -in "$here/aqs_standard.lmp" -var data "$glass" -var step "$step" -var nsteps "$nsteps" \
    -log "$out/lmp.log" -screen none &
  # shellcheck disable=SC2086 # SB_ARGS is a list of options
  wall sb "$sb" shear "$glass" -d "$out/sb" --step "$step" --max-strain "$max" --save "$max" ${SB_ARGS:-} &
  wait
fi
np=${NP:-2}
launch=()
if (( np > 1 )) && command -v mpirun >/dev/null; then launch=(mpirun --allow-run-as-root -np "$np"); fi
if (( nrep > 0 )); then
  # shellcheck disable=SC2086 # the replicas use the timed run's recipe
  "${launch[@]}" "$sb" ensemble "$glass" -d "$out/reps" --shuffles "$nrep" --step "$step" \
    --max-strain "$max" --save "${SAVE:-$max}" ${SB_ARGS:-} --no-figure > "$out/reps.out" 2>&1
fi
nstd=${NSTD:-0}
if (( nstd > 0 )); then
  "${launch[@]}" "$sb" ensemble "$glass" -d "$out/std-reps" --shuffles "$nstd" --step "$step" \
    --max-strain "$max" --save "${SAVE:-$max}" --minimizer cg --linesearch quadratic --extrapolate 0 --no-figure \
    > "$out/std-reps.out" 2>&1
fi
echo "uptime after: $(uptime)"

# lmp: strain, stress, energy from the AQS lines; force evaluations per minimize in order.
grep '^AQS' "$out/lmp.log" | awk '{ print $3 "," $4 "," $5 }' > "$out/lmp_ss.csv"
grep 'Iterations, force evaluations' "$out/lmp.log" | awk '{ print $NF }' > "$out/lmp_evals.txt"
paste -d, "$out/lmp_ss.csv" "$out/lmp_evals.txt" > "$out/lmp.csv"
grep -v '^#' "$out/sb/stress_strain.csv" | tail -n +2 | cut -d, -f1,2,3,5 > "$out/sb.csv"

stats=$(awk -F, -v nrep="$nrep" -v out="$out" '
  FNR == 1 { f++ }
  f == 1 { ls[FNR] = $2; le[FNR] = $4; n1 = FNR; if ($2 > lp) lp = $2 }
  f == 2 { ss[FNR] = $2; se[FNR] = $4; n2 = FNR; if ($2 > sp) sp = $2 }
  END {
    # pre-yield agreement: strains up to the first stress drop of either curve
    dmax = 0; for (i = 2; i <= n1 && i <= n2; i++) {
      if (ls[i] < ls[i-1] || ss[i] < ss[i-1]) break
      d = (ss[i] - ls[i]) / ls[i]; if (d < 0) d = -d; if (d > dmax) dmax = d; last = i }
    for (i = 1; i <= n1; i++) te1 += le[i]; for (i = 1; i <= n2; i++) te2 += se[i]
    printf "evals_lmp=%d evals_sb=%d peak_lmp=%.4f peak_sb=%.4f pre_yield_rows=%d pre_yield_maxrel=%.2e\n", te1, te2, lp, sp, last - 1, dmax
  }' "$out/lmp.csv" "$out/sb.csv")
get() { tr ' ' '\n' <<<"$stats" | sed -n "s/^$1=//p"; }
# every finished replica found under OUT/reps*/runs (an earlier or a parallel ensemble too)
repfiles=()
for f in "$out"/reps*/runs/*/stress_strain.csv; do
  [[ -f ${f%/*}/shear.done ]] && repfiles+=("$f")
done
# flow stress: the mean stress over the last third of the strain range (less path-dependent
# than the single largest value once avalanches have started)
flow() { grep -v '^#' "$1" | awk -F, -v m="$max" '$1 + 0 == $1 && $1 >= 2 * m / 3 - 1e-9 { s += $2; n++ } END { printf "%.4f", n ? s / n : 0 }'; }
flows=""
for f in "${repfiles[@]}"; do flows="$flows $(flow "$f")"; done
stdfiles=()
for f in "$out"/std-reps/runs/*/stress_strain.csv; do
  [[ -f ${f%/*}/shear.done ]] && stdfiles+=("$f")
done
peak() { grep -v '^#' "$1" | tail -n +2 | awk -F, 'BEGIN { p = -1e9 } $2 > p { p = $2 } END { printf "%.4f", p }'; }
stdline=""
for f in "${stdfiles[@]}"; do stdline="$stdline $(peak "$f")/$(flow "$f")"; done
reps=""
for f in "${repfiles[@]}"; do
  p=$(grep -v '^#' "$f" | tail -n +2 | awk -F, 'BEGIN { p = -1e9 } $2 > p { p = $2 } END { printf "%.4f", p }')
  reps="$reps $p"
done
allpeaks="$(get peak_sb)$reps"
spread=$(tr ' ' '\n' <<<"$allpeaks" | awk 'NF { if (min == "" || $1 < min) min = $1; if (max == "" || $1 > max) max = $1 } END { printf "%.4f-%.4f", min, max }')
tl=$(cat "$out/lmp.wall"); ts=$(cat "$out/sb.wall")
el=$(get evals_lmp); es=$(get evals_sb)
echo
cl=$(cat "$out/lmp.cpu"); cs=$(cat "$out/sb.cpu")
echo "| side | wall (s) | CPU (s) | s / step | force evaluations | per step | peak stress (GPa) |"
echo "|---|---|---|---|---|---|---|"
printf '| lmp, standard recipe | %s | %s | %.2f | %d | %.0f | %s |\n' "$tl" "$cl" "$(awk -v t="$tl" -v n="$nsteps" 'BEGIN { print t / n }')" "$el" "$(awk -v e="$el" -v n="$nsteps" 'BEGIN { print e / (n + 1) }')" "$(get peak_lmp)"
printf '| shearband shear | %s | %s | %.2f | %d | %.0f | %s |\n' "$ts" "$cs" "$(awk -v t="$ts" -v n="$nsteps" 'BEGIN { print t / n }')" "$es" "$(awk -v e="$es" -v n="$nsteps" 'BEGIN { print e / (n + 1) }')" "$(get peak_sb)"
printf '| **ratio lmp / shearband** | **%.2f** | **%.2f** | | **%.2f** | | |\n' "$(awk -v a="$tl" -v b="$ts" 'BEGIN { print a / b }')" "$(awk -v a="$cl" -v b="$cs" 'BEGIN { print a / b }')" "$(awk -v a="$el" -v b="$es" 'BEGIN { print a / b }')"
echo
echo "Pre-yield agreement (rows up to the first stress drop of either curve: $(get pre_yield_rows)): max relative stress difference $(get pre_yield_maxrel)"
echo "Flow stress (mean over strain >= $(awk -v m="$max" 'BEGIN { print 2 * m / 3 }')): lmp $(flow "$out/lmp.csv"), shearband $(flow "$out/sb.csv"), replicas:$flows"
(( ${#stdfiles[@]} > 0 )) && echo "Standard-recipe replicas (peak/flow):$stdline"
echo "Peak stress of shearband and ${#repfiles[@]} re-shuffled replicas:$reps (with the unshuffled run: $spread GPa); lmp: $(get peak_lmp) GPa"

# gnuplot warns on an empty iteration: the standard-recipe curves only when there are some
stdplot=""
(( ${#stdfiles[@]} > 0 )) && stdplot=', for [r=1:words(stds)] word(stds, r) every ::2 using 1:2 with lines lw 1 dt 3 lc rgb "#2ca02c" title (r == 1 ? "standard recipe in shearband, re-shuffled" : "")'
repplot=""
(( ${#repfiles[@]} > 0 )) && repplot=', for [r=1:words(reps)] word(reps, r) every ::2 using 1:2 with lines lw 1 dt 2 lc rgb "#1f77b4" title (r == 1 ? "shearband, re-shuffled atom orders" : "")'
sblabel="shearband (defaults: L-BFGS, affine start)"
[[ -n ${SB_ARGS:-} ]] && sblabel="shearband $SB_ARGS"
lmplabel="lmp${LMP_SF:+ -sf $LMP_SF}: affine start, CG quadratic"
gnuplot <<GP
reps = "${repfiles[*]}"
stds = "${stdfiles[*]}"
set terminal pngcairo size 900,600 font ",12" noenhanced
set output "$out/aqs_stress_strain.png"
set datafile separator ","
set xlabel "shear strain"
set ylabel "shear stress (GPa)"
set key bottom right
set title "AQS of $(basename "$glass"): standard recipe (lmp) vs shearband"
plot "$out/lmp.csv" using 1:2 with lines lw 3 lc rgb "#999999" title "$lmplabel", \
     "$out/sb.csv" using 1:2 with lines lw 1.5 lc rgb "#d62728" title "$sblabel" \
     $repplot$stdplot
GP
echo "Figure: $out/aqs_stress_strain.png"
