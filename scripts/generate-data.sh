#!/usr/bin/env bash
# Generate the project's own training / survey data: glasses (melt-quench + swap anneal)
# and AQS shear runs of them in several loading orientations. Every stage is resumable:
# finished outputs are skipped, interrupted ones continue from their checkpoint, so the
# script can be killed at any moment and started again (across sessions and machines).
#
#   scripts/generate-data.sh [glasses|shear|all] [-j JOBS]
#
# Environment: SB (shearband binary, default build/shearband), SB_DATA (output folder,
# default data/, git-ignored). The small results worth keeping (the glasses, labels, band
# summaries) are collected into datasets/ by scripts/collect-data.sh and committed.
#
# The plan (sizes this 2-core machine affords; METHOD.md section 2 for the recipe):
#   glasses g001..g005: Cu50Zr50, 4000 atoms, melt 2000 K 10 ps, cool at 1e13 K/s with a
#     100 ps Cu/Zr swap-MC anneal at 750 K, to 50 K, minimise (box relaxed). ~45 min each.
#   split by sample: train g001-g002, validation g003, test (= survey) g004-g005.
#   shear: step 1e-3, CG forcezero from the extrapolated start (the defaults when the set
#     was begun; kept for all its runs), ftol 1e-8;
#     training glasses in 12 orientations and the validation glass in 6 to 0.10 (labels),
#     test glasses in all 24 to 0.20 (labels at 0.10, the band at 0.20). Cost per run on one
#     busy core: ~15 min to 0.10, ~25 min to 0.20 (4000 atoms): ~27 core-hours for all 78.
# Several invocations may run at once (e.g. one quenching, one shearing): every job takes a
# lock on its output, so none is run twice.
set -euo pipefail
cd "$(dirname "$0")/.."
SB=${SB:-build/shearband}
DATA=${SB_DATA:-data}
stage=${1:-all}
jobs=2
shift || true
while [[ $# -gt 0 ]]; do
  case "$1" in
    -j) jobs=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

glasses=(g001 g002 g003 g004 g005)
seed_of() { echo $((10#${1#g})); }
# Training glasses: 12 orientations each (the CNN needs the labelled views, docs/fertile.md),
# one of each partner pair (a partner repeats a loading up to numerical noise): the 12
# distinct loadings; the validation glass: the first 6 of them. (g001 orientation 16, the
# partner of 19, was made under an earlier list and is kept.)
train_orientations="0 5 10 14 19 22 2 8 12 20 4 17"
val_orientations="0 5 10 14 19 22"
split_of() {
  case $1 in g00[1-2]) echo train ;; g003) echo val ;; *) echo test ;; esac
}

mkdir -p "$DATA/glasses" "$DATA/runs" "$DATA/logs"

quench_one() {
  local g=$1 out="$DATA/glasses/$1.data"
  exec {lock}>"$out.lock"
  flock -n "$lock" || return 0 # another invocation is making it
  [[ -f $out ]] && return 0
  # A glass collected into datasets/ on an earlier machine is never made again.
  if [[ -f datasets/glasses/$g.data && -f datasets/glasses/$g.json ]]; then
    cp -p "datasets/glasses/$g.data" "datasets/glasses/$g.json" "$DATA/glasses/"
    return 0
  fi
  local resume=()
  [[ -d $out.run ]] && resume=(--resume)
  "$SB" quench -o "$out" -n 4000 --cu 50 --rate 1e13 --melt-temp 2000 --melt-time 10 \
    --swap-anneal 750,100 --tq 50 --seed "$(seed_of "$g")" "${resume[@]}" \
    > "$DATA/logs/quench_$g.log" 2>&1
}

shear_one() {
  local g=$1 k=$2 dir="$DATA/runs/${1}_o$(printf %02d "$2")"
  exec {lock}>"$dir.lock"
  flock -n "$lock" || return 0 # another invocation is running it
  # Done = labelled with every atom's D2min (soft targets need it; label files written
  # before it was recorded make the run be redone, or only relabelled if its snapshot is here).
  has_scores() { [[ -f $1 ]] && grep -qx d2min "$1"; }
  local lab=labels_s0.100_f0.050.txt
  has_scores "$dir/$lab" && [[ -f $dir/shear.done ]] && return 0
  # Collected into datasets/ on an earlier machine: its results are kept, never redone.
  local kept="datasets/runs/$(basename "$dir")"
  [[ -f $kept/shear.json ]] && has_scores "$kept/$lab" && return 0
  local resume=()
  [[ -f $dir/checkpoint.txt ]] && resume=(--resume)
  # Training and validation glasses only need the labels at 10 %; the survey (test) glasses
  # go on to 20 %, where the band is located.
  # (checkpoints every 25 steps: a session that stops loses at most ~3 min of a run)
  local strain=(--max-strain 0.20 --save 0.10,0.20 --checkpoint-every 25)
  [[ $(split_of "$g") == test ]] || strain=(--max-strain 0.10 --save 0.10 --checkpoint-every 25)
  # The recipe the data set was started with (CG forcezero, extrapolated start; the
  # default before L-BFGS), named explicitly so that every run of the set shares it.
  "$SB" shear "$DATA/glasses/$g.data" -d "$dir" --orientation "$k" --step 1e-3 \
    --minimizer cg --linesearch forcezero --extrapolate 1 \
    "${strain[@]}" "${resume[@]}" > "$DATA/logs/shear_${g}_o$k.log" 2>&1
  # Fertile-site labels (top 5 % of D2min at 10 %), small enough to commit.
  "$SB" label "$dir" --glass "$DATA/glasses/$g.data" >> "$DATA/logs/shear_${g}_o$k.log" 2>&1
}
export -f quench_one shear_one seed_of split_of
export SB DATA

if [[ $stage == glasses || $stage == all ]]; then
  printf '%s\n' "${glasses[@]}" | xargs -r -P "$jobs" -I{} bash -c 'quench_one {}'
fi
if [[ $stage == shear || $stage == all ]]; then
  # On a new machine the glasses come back from datasets/ (never re-made).
  for g in "${glasses[@]}"; do
    if [[ ! -f $DATA/glasses/$g.data && -f datasets/glasses/$g.data && -f datasets/glasses/$g.json ]]; then
      cp -p "datasets/glasses/$g.data" "datasets/glasses/$g.json" "$DATA/glasses/"
    fi
  done
  # The training and validation runs first (to 10 %, ~15 min each: the CNN issue needs them
  # and they are few), then the survey (test) glasses, whose 48 runs to 20 % are the long
  # pole: one orientation of each of the 12 partner pairs first (the 12 distinct loadings of
  # a glass; a partner loads it identically up to numerical noise, `shear
  # --list-orientations`), so a first complete survey exists at half the cost; the partners
  # follow.
  distinct="0 1 4 5 8 9 12 13 16 17 20 21"
  partners="3 2 7 6 11 10 15 14 19 18 23 22"
  {
    for g in "${glasses[@]}"; do
      [[ -f $DATA/glasses/$g.data ]] || continue
      case $(split_of "$g") in
        train) ks=$train_orientations ;;
        val) ks=$val_orientations ;;
        *) continue ;;
      esac
      for k in $ks; do echo "$g $k"; done
    done
    for ks in "$distinct" "$partners"; do
      for g in "${glasses[@]}"; do
        [[ $(split_of "$g") == test && -f $DATA/glasses/$g.data ]] || continue
        for k in $ks; do echo "$g $k"; done
      done
    done
  } | xargs -r -P "$jobs" -L1 bash -c 'shear_one $0 $1'
fi
