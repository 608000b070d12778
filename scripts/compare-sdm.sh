#!/usr/bin/env bash
# Compare spatial-density-map variants for the fertile-site CNN (issue item: "implement at
# least two variants and choose the default by measured held-out accuracy and cost").
# Trains one model per variant on the SAME manifest with the same seed and options, then
# tabulates held-out (test split) ROC-AUC / PR-AUC / precision / recall, the validation
# PR-AUC, the training cost (maps per second through SDM + forward + backward, wall time)
# and the inference cost (bench_fertile: one orientation of a 31,104-atom glass), as a
# markdown table on stdout and OUT/compare.md.
#
#   scripts/compare-sdm.sh MANIFEST OUT_DIR [train options...]
#   e.g. scripts/compare-sdm.sh data/ds.txt out/sdm --epochs 20 --threads 2
#
# Environment: SB (shearband binary, default build/shearband), BENCH (bench_fertile,
# default build/bench/bench_fertile; skipped if absent), VARIANTS (default
# "proj_xy proj_3 grid3d"). Each variant uses its default grid and architecture
# (sb_fertile_default_sdm / sb_fertile_default_arch) unless the train options override them.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 2 ]] || { sed -n '2,17p' "$0"; exit 2; }
manifest=$1 out=$2
shift 2
SB=${SB:-build/shearband}
BENCH=${BENCH:-build/bench/bench_fertile}
VARIANTS=${VARIANTS:-"proj_xy proj_3 grid3d"}
mkdir -p "$out"
for v in $VARIANTS; do
  echo "== $v" >&2
  "$SB" train "$manifest" -o "$out/model_$v.sbnn" --sdm "$v" --no-figure "$@" 2> "$out/train_$v.log" \
    || { echo "compare-sdm: training $v failed, see $out/train_$v.log" >&2; exit 1; }
  if [[ -x $BENCH ]]; then
    threads=1
    for ((i = 1; i <= $#; i++)); do [[ ${!i} == --threads ]] && { j=$((i + 1)); threads=${!j}; }; done
    OMP_NUM_THREADS=$threads "$BENCH" --model "$out/model_$v.sbnn" --threads "$threads" \
      > "$out/bench_$v.txt" 2>/dev/null || true
  fi
done
/usr/bin/env python3 - "$out" $VARIANTS <<'PY' | tee "$out/compare.md"
import json, re, sys
out, variants = sys.argv[1], sys.argv[2:]
print("| SDM | grid | channels x size | test ROC-AUC | test PR-AUC | base rate | precision | recall "
      "| val PR-AUC | best epoch | train maps/s | train s | infer 31k atoms s |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
def f(x, d=3):
    return "n/a" if x is None else f"{x:.{d}f}"
for v in variants:
    j = json.load(open(f"{out}/model_{v}.sbnn.metrics.json"))
    p, r, t, va = j["parameters"], j["result"], j["test"], j["val"]
    ch = {"proj_xy": 1, "proj_3": 3, "grid3d": 1}[v] * p["sdm_nspecies"]
    size = f'{ch}x{p["sdm_grid"]}^{3 if v == "grid3d" else 2}'
    inf = "n/a"
    try:
        m = re.search(r"total_s=([0-9.]+)", open(f"{out}/bench_{v}.txt").read())
        inf = m.group(1) if m else "n/a"
    except OSError:
        pass
    print(f'| {v} | {p["sdm_grid"]} | {size} | {f(t["roc_auc"])} | {f(t["pr_auc"])} | {f(t["base_rate"])} '
          f'| {f(t["precision"])} | {f(t["recall"])} | {f(va["pr_auc"])} | {r["best_epoch"]}/{r["epochs_run"]} '
          f'| {f(r["train_maps_per_second"], 0)} | {f(r["seconds_this_run"], 1)} | {inf} |')
PY
