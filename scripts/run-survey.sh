#!/usr/bin/env bash
# The paper's Fig. 3 on the project's own data: every indicator (CNN, GNN, SVM softness,
# flexibility volume, five-fold bonds, local density) judged by gamma on the test glasses
# g004-g005 x 24 loading orientations, with the bundled models (scripts/train-model.sh).
#
#   scripts/run-survey.sh [OUT_DIR]        (default docs/survey)
#
# Uses the finished shear runs only (--no-run): those of SB_DATA/runs, or, on a machine
# that did not make them, the slim 20 % snapshots kept in datasets/runs (positions and
# D2min, enough to locate the band again). The flexibility volume's MD ensemble runs once
# per glass (~10 min each for 4000 atoms) and is cached in SB_DATA/vflex.
# Environment: SB (default build/shearband), SB_DATA (default data/), INDICATORS (default
# cnn,gnn,svm,vflex,ffb,rho).
set -euo pipefail
cd "$(dirname "$0")/.."
SB=${SB:-build/shearband}
DATA=${SB_DATA:-data}
out=${1:-docs/survey}
INDICATORS=${INDICATORS:-cnn,gnn,svm,vflex,ffb,rho}
mkdir -p "$DATA/glasses" "$DATA/runs" "$DATA/survey" "$out"
for g in g004 g005; do
  [[ -f $DATA/glasses/$g.data ]] || cp -p datasets/glasses/$g.data datasets/glasses/$g.json "$DATA/glasses/"
done
# Runs kept in datasets/ but absent here: rebuild what the survey reads.
for kept in datasets/runs/g00[45]_o*/; do
  name=$(basename "$kept") run="$DATA/runs/$(basename "$kept")"
  [[ -f $kept/shear.done && -f $kept/strain_0.200.slim.dump.gz ]] || continue
  [[ -f $run/shear.done || -e $run ]] && continue
  mkdir -p "$run.tmp"
  cp -p "$kept"/shear.json "$kept"/shear.done "$kept"/stress_strain.csv "$run.tmp/"
  gunzip -c "$kept/strain_0.200.slim.dump.gz" > "$run.tmp/strain_0.200.dump"
  mv "$run.tmp" "$run"
done
models=()
[[ $INDICATORS == *cnn* ]] && models+=(--model models/cnn.sbnn)
[[ $INDICATORS == *gnn* ]] && models+=(--gnn-model models/gnn.sbgn)
[[ $INDICATORS == *svm* ]] && models+=(--svm-model models/svm.sbsv)
"$SB" survey "$DATA/glasses/g004.data" "$DATA/glasses/g005.data" -r "$DATA/runs" --no-run \
  -o "$DATA/survey" -i "$INDICATORS" "${models[@]}" --vflex-dir "$DATA/vflex" | tee "$DATA/survey/summary.txt"
for f in survey.csv survey.json summary.txt gamma_cdf.png gamma_cdf.svg gamma_mean.png gamma_mean.svg; do
  [[ -f $DATA/survey/$f ]] && cp -p "$DATA/survey/$f" "$out/"
done
echo "survey results in $out/"
