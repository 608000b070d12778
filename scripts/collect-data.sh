#!/usr/bin/env bash
# Copy the small results of scripts/generate-data.sh worth keeping in the repository into
# datasets/: finished glasses (+ provenance JSON), and for each finished shear run its
# stress-strain CSV, shear.json (provenance, band at the saved strains), label files and a
# slimmed copy of the 20 % snapshot (positions + D2min) for re-analysis of the band.
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
  cp -p "$r"/stress_strain.csv "$r"/shear.json "$r"/shear.done "$r"/strain_*.json "datasets/runs/$name/" 2>/dev/null || true
  cp -p "$r"/labels_*.txt "datasets/runs/$name/" 2>/dev/null || true
  # The band snapshot, slimmed for re-analysis (band rule, f_top, slab width): a LAMMPS dump
  # of id, type, positions to 1e-3 A and D2min to 5 digits, gzipped (~60 KB for 4000 atoms).
  snap="$r/strain_0.200.dump"
  if [[ -f $snap && ! -f datasets/runs/$name/strain_0.200.slim.dump.gz ]]; then
    awk '
      /^ITEM: ATOMS/ { for (i = 3; i <= NF; i++) col[$i] = i - 2
                       print "ITEM: ATOMS id type x y z d2min"; atoms = 1; next }
      !atoms { print; next }
      { printf "%d %d %.3f %.3f %.3f %.5g\n", $col["id"], $col["type"], $col["x"], $col["y"], $col["z"], $col["d2min"] }
    ' "$snap" | gzip -9n > "datasets/runs/$name/strain_0.200.slim.dump.gz.tmp"
    mv "datasets/runs/$name/strain_0.200.slim.dump.gz.tmp" "datasets/runs/$name/strain_0.200.slim.dump.gz"
  fi
done
du -sh datasets
