#!/usr/bin/env bash
# Train the bundled fertile-site models on the project's own labels (datasets/runs, made by
# scripts/generate-data.sh) and collect them, with their held-out metrics, in models/:
#
#   scripts/train-model.sh [cnn|gnn|svm|all] [-j THREADS]
#
# One manifest for all three, split by sample as the generation plan says: train g001-g002,
# validation g003, test g004-g005 (the survey's glasses; only those with labels yet). The
# CNN resumes from its checkpoint when interrupted; GNN and SVM are short and start over.
# Environment: SB (default build/shearband), SB_DATA (work folder, default data/): the
# manifest, checkpoints and logs go to SB_DATA/models, the kept results to models/:
#   models/cnn.sbnn (+ .metrics.json, .log.csv, .curve.png), gnn.sbgn, svm.sbsv,
#   models/dataset.txt (the same manifest, paths relative to models/); the comparison
#   table (scripts/compare-models.sh) to SB_DATA/models/metrics.md, for models/metrics.md.
set -euo pipefail
cd "$(dirname "$0")/.."
SB=${SB:-build/shearband}
DATA=${SB_DATA:-data}
which=${1:-all}
shift || true
threads=2
while [[ $# -gt 0 ]]; do
  case "$1" in
    -j) threads=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
work=$DATA/models
mkdir -p "$DATA/glasses" "$work" models

# The label files name their glass as data/glasses/gNNN.data (where generate-data.sh made
# it): put the committed glasses there on a new machine.
for g in datasets/glasses/*.data; do
  [[ -f $DATA/glasses/$(basename "$g") ]] || cp -p "$g" "${g%.data}.json" "$DATA/glasses/"
done
labels=()
for f in datasets/runs/*/labels_s0.100_f0.050.txt; do [[ -f $f ]] && labels+=("$f"); done
have() { compgen -G "datasets/runs/${1}_o*/labels_s0.100_f0.050.txt" > /dev/null; }
# (`if`, not `&&`: a last glass without labels must not fail the loop under pipefail)
test_samples=$(for g in g004 g005; do if have $g; then echo $g; fi; done | paste -sd, -)
have g003 || { echo "train-model: no validation labels (g003) yet" >&2; exit 1; }
split=(--val-samples g003)
if [[ -n $test_samples ]]; then
  split+=(--test-samples "$test_samples")
else
  echo "train-model: WARNING: no test labels (g004, g005) yet: only validation metrics" >&2
fi
"$SB" dataset make "${labels[@]}" -o "$work/dataset.txt" "${split[@]}"
"$SB" dataset show "$work/dataset.txt" | tail -1

keep() { # MODEL: copy the model and its reports into models/
  for f in "$1" "$1".metrics.json "$1".log.csv "$1".curve.png "$1".curve.svg; do
    [[ -f $f ]] && cp -p "$f" models/
  done
  return 0
}
if [[ $which == cnn || $which == all ]]; then
  resume=()
  [[ -f $work/cnn.sbnn.ckpt ]] && resume=(--resume)
  # A linear read-out of a grid3d map of half-width 6 A on 1 A voxels (--arch dense1): on
  # validation it beat every convolutional network tried, a one-hidden-layer MLP, the 8 A
  # map and finer or smoother maps; it still improves slowly after 50 epochs
  # (docs/fertile.md, "The bundled model")
  "$SB" train "$work/dataset.txt" -o "$work/cnn.sbnn" --threads "$threads" --arch dense1 \
    --half-width 6 --grid 12 --epochs 150 --patience 20 "${resume[@]}" 2> "$work/cnn.log"
  keep "$work/cnn.sbnn"
fi
if [[ $which == gnn || $which == all ]]; then
  # 25 training graphs give 25 Adam steps per epoch: a longer patience than the default 5
  # (validation PR-AUC is noisy at this size; models/metrics.md)
  "$SB" train-gnn "$work/dataset.txt" -o "$work/gnn.sbgn" --threads "$threads" --epochs 40 \
    --patience 10 2> "$work/gnn.log"
  keep "$work/gnn.sbgn"
fi
if [[ $which == svm || $which == all ]]; then
  OMP_NUM_THREADS=$threads "$SB" train-svm "$work/dataset.txt" -o "$work/svm.sbsv" 2> "$work/svm.log"
  keep "$work/svm.sbsv"
fi
# The same manifest kept beside the models (paths relative to models/).
"$SB" dataset make "${labels[@]}" -o models/dataset.txt "${split[@]}" > /dev/null
metrics=()
for m in cnn.sbnn gnn.sbgn svm.sbsv; do [[ -f models/$m.metrics.json ]] && metrics+=("models/$m.metrics.json"); done
# The table goes to the work folder and the terminal; models/metrics.md is the curated page
# (the split, how each model was chosen, per-case numbers): paste the new table there.
if [[ ${#metrics[@]} -gt 0 ]]; then
  scripts/compare-models.sh "${metrics[@]}" | tee "$work/metrics.md"
  echo "train-model: table in $work/metrics.md; update models/metrics.md with it" >&2
fi
