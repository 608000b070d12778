#!/usr/bin/env bash
# End-to-end smoke of the fertile-site pipeline on REAL data (the bundled 864-atom glass):
# AQS shear to 10 % in three orientations (~2 min each on one core), labels, a manifest
# split by case (one glass only: structure leaks between splits, see docs/dataset.md), a
# short training, inference in all 24 orientations, and the SDM-variant comparison.
# Resumable: finished shear runs are skipped.
#
#   scripts/smoke-fertile.sh [OUT_DIR]     (default smoke/, git-ignored by the user)
# Environment: SB (default build/shearband), EPOCHS (15), THREADS (1).
set -euo pipefail
cd "$(dirname "$0")/.."
SB=${SB:-build/shearband}
out=${1:-smoke}
EPOCHS=${EPOCHS:-15}
THREADS=${THREADS:-1}
glass=examples/cu50zr50_864.data
mkdir -p "$out/runs"
for k in 0 5 10; do
  d=$out/runs/g864_o$(printf %02d $k)
  [[ -f $d/shear.done ]] && continue
  r=(); [[ -f $d/checkpoint.txt ]] && r=(--resume)
  "$SB" shear "$glass" -d "$d" --orientation $k --step 1e-3 --max-strain 0.10 --save 0.10 \
    --minimizer fire "${r[@]}" > "$out/shear_o$k.log" 2>&1
done
"$SB" label "$out"/runs/g864_o*
"$SB" dataset make "$out"/runs/g864_o* -o "$out/smoke.manifest" --split-by-case --val 0.34 --test 0.34
"$SB" train "$out/smoke.manifest" -o "$out/model.sbnn" --epochs "$EPOCHS" --threads "$THREADS"
"$SB" fertile "$glass" --model "$out/model.sbnn" --orientation all -o "$out/fertile.xyz" --threads "$THREADS"
scripts/compare-sdm.sh "$out/smoke.manifest" "$out/compare" --epochs "$EPOCHS" --patience 0 \
  --threads "$THREADS" --seed 1
