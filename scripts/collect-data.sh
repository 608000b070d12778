#!/usr/bin/env bash
# Copy the small results of scripts/generate-data.sh worth keeping in the repository into
# datasets/: finished glasses (+ provenance JSON), and for each finished shear run its
# stress-strain CSV, shear.json (provenance, band at the saved strains) and label files.
# Bulky outputs (snapshots with per-atom D2min, checkpoints, logs) stay in SB_DATA.
# A later machine can then rebuild the runs' conclusions, train on the labels, and resume
# generation where it stopped. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${SB_DATA:-data}
mkdir -p datasets/glasses datasets/runs
for g in "$DATA"/glasses/*.data; do
  [[ -f $g ]] || continue
  name=$(basename "$g" .data)
  [[ -f "$DATA/glasses/$name.json" ]] || continue # only finished glasses have provenance
  cp -p "$g" "$DATA/glasses/$name.json" datasets/glasses/
done
for r in "$DATA"/runs/*/; do
  [[ -f $r/shear.done ]] || continue
  name=$(basename "$r")
  mkdir -p "datasets/runs/$name"
  cp -p "$r"/stress_strain.csv "$r"/shear.json "$r"/strain_*.json "datasets/runs/$name/" 2>/dev/null || true
  cp -p "$r"/labels_*.txt "datasets/runs/$name/" 2>/dev/null || true
done
du -sh datasets
