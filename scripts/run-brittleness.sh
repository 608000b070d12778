#!/usr/bin/env bash
# The paper's Fig. 5 on the project's own glasses: a T_q sweep at one cooling rate, Delta
# of the CNN's DFS per glass, one verification shear per glass, and the calibrated Delta
# threshold (`shearband brittleness`, docs/predict.md).
#
#   scripts/run-brittleness.sh [OUT_DIR]        (default docs/brittleness)
#
# Size and schedule this 2-core machine affords: Cu50Zr50, 4000 atoms, melt 2000 K for
# 10 ps, cool at 1e13 K/s to T_q, hold 100 ps at T_q with Cu/Zr swap Monte Carlo
# (`--anneal`: at this rate T_q alone hardly changes the glass), minimise; shear in
# orientation 0 to 20 %. The glasses share one melt and one cooling (each colder one
# branches off where the next hotter one's hold began), so the MD is 145 ps of melt and
# cooling plus five 100 ps holds, ~320,000 steps of 4000 atoms: ~2 core-hours at the
# 18-25 ms per step of this machine, plus ~25 min of AQS per glass. Resumable: finished
# glasses and shears are reused, so the script can be stopped and started again, and a
# re-run with another indicator recomputes Delta at no MD cost.
# Environment: SB (default build/shearband), SB_DATA (work folder, default data/), TQ
# (default 650,700,750,850,1000), INDICATOR (cnn when models/cnn.sbnn exists, else rho;
# or svm, gnn with their bundled models, ffb, rho: a re-run with another indicator
# recomputes Delta at no MD cost).
set -euo pipefail
cd "$(dirname "$0")/.."
SB=${SB:-build/shearband}
DATA=${SB_DATA:-data}
out=${1:-docs/brittleness}
tq=${TQ:-650,700,750,850,1000}
indicator=(-i rho)
[[ -f models/cnn.sbnn ]] && indicator=(-i cnn -m models/cnn.sbnn)
case ${INDICATOR:-} in
  "") ;;
  cnn) indicator=(-i cnn -m models/cnn.sbnn) ;;
  svm) indicator=(-i svm -m models/svm.sbsv) ;;
  gnn) indicator=(-i gnn -m models/gnn.sbgn) ;;
  ffb | rho) indicator=(-i "$INDICATOR") ;;
  *) echo "run-brittleness: unknown INDICATOR '$INDICATOR'" >&2; exit 2 ;;
esac
mkdir -p "$DATA/brittleness/glasses" "$out" datasets/brittleness
# Finished glasses outlive the machine: each is kept in datasets/brittleness/ (commit it) and
# brought back before the sweep, which then reuses it instead of quenching again (a glass
# brought back has no MD state, so the next colder one melts anew instead of branching).
for f in "$DATA"/brittleness/glasses/tq*.data; do
  [[ -f $f && -f ${f%.data}.json ]] || continue
  [[ -f datasets/brittleness/${f##*/} ]] || cp -p "$f" "${f%.data}.json" datasets/brittleness/
done
for f in datasets/brittleness/tq*.data; do
  [[ -f $f ]] || continue
  [[ -f $DATA/brittleness/glasses/${f##*/} ]] || cp -p "$f" "${f%.data}.json" "$DATA/brittleness/glasses/"
done
"$SB" brittleness -d "$DATA/brittleness" --tq "$tq" --rate 1e13 --atoms 4000 --seed 21 \
  --anneal 100 -k 0 --shear-step 1e-3 --max-strain 0.20 "${indicator[@]}" \
  | tee "$DATA/brittleness/summary.txt"
for f in brittleness.csv brittleness.json delta_vs_tq.png delta_vs_tq.svg summary.txt; do
  [[ -f $DATA/brittleness/$f ]] && cp -p "$DATA/brittleness/$f" "$out/"
done
echo "brittleness results in $out/"
