#!/usr/bin/env bash
# survey end to end on the bundled glass: two orientations sheared to 4 % (tiny steps so it
# runs in well under a minute), band thresholds at 0 so that every case has a "band";
# checks the table, that survey.json's mean gamma is the mean of the table's gammas, that a
# second invocation reuses the finished runs (--no-run) with identical results, figures, the
# svm indicator from a model trained on the committed smoke labels, and the vflex indicator
# (a 2-run, 0.2 ps MSD ensemble, cached and reused on the second call).
set -eu
: "${SB:?}" "${SB_SOURCE_DIR:?}" "${SB_TEST_TMP:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$SB_TEST_TMP"; mkdir -p "$SB_TEST_TMP"; cd "$SB_TEST_TMP"
glass="$SB_SOURCE_DIR/examples/cu50zr50_864.data"
common=(-k 0,3,5 --band-strain 0.04 --step 4e-3 --width 10 --dfs-width 10 --z-min 0 --concentration-min 0 --bootstrap 200)
"$SB" survey -o out "${common[@]}" "$glass" > first.txt || fail "survey exited $?"
[ "$(wc -l < out/survey.csv)" = 4 ] || fail "expected header + 3 rows: $(cat out/survey.csv)"
awk -F, 'NR > 1 { if ($3 != 1) exit 1; if ($6 <= 0 || $6 > 1 || $9 <= 0 || $9 > 1) exit 1 }' out/survey.csv \
  || fail "bad rows: $(cat out/survey.csv)"
want=$(awk -F, 'NR > 1 { s += $6; n++ } END { printf "%.6f", s / n }' out/survey.csv)
got=$(awk '/"name": "ffb"/ { f = 1 } f && /"mean_gamma"/ { gsub(/[,]/, ""); printf "%.6f", $2; exit }' out/survey.json)
[ "$want" = "$got" ] || fail "ffb mean gamma $got in survey.json, $want from survey.csv"
# orientations 0 and 3 load the glass identically (partners), 5 differently: three cases,
# two resampled units
grep -q '"loadings_resampled": 2' out/survey.json || fail "survey.json: expected 2 loadings resampled"
grep -q '"lbfgs, extrapolate 0": 3' out/survey.json || fail "survey.json: the runs' recipe and count"
for f in gamma_cdf gamma_mean; do
  for e in png svg gp dat; do [ -s "out/$f.$e" ] || fail "missing out/$f.$e"; done
done
cp out/survey.csv first.csv
start=$(date +%s)
"$SB" survey -o out --no-run "${common[@]}" "$glass" > second.txt || fail "second survey exited $?"
[ $(( $(date +%s) - start )) -lt 20 ] || fail "second survey re-ran the shear"
cmp -s first.csv out/survey.csv || fail "reused runs gave a different table"
# the svm indicator on the same runs (model trained on the committed smoke labels)
"$SB" train-svm "$SB_SOURCE_DIR/examples/fertile-smoke/smoke.manifest" -o svm.sbsv --C 0.1 > /dev/null \
  || fail "train-svm exited $?"
"$SB" survey -o out --no-run "${common[@]}" -i ffb,svm --svm-model svm.sbsv "$glass" > svm.txt \
  || fail "survey -i ffb,svm exited $?"
head -1 out/survey.csv | grep -q "gamma_svm" || fail "no gamma_svm column: $(head -1 out/survey.csv)"
cmp -s <(cut -d, -f1-8 first.csv) <(cut -d, -f1-8 out/survey.csv) || fail "adding svm changed the ffb columns"
awk -F, 'NR > 1 { if ($9 <= 0 || $9 > 1) exit 1 }' out/survey.csv || fail "bad svm gamma: $(cat out/survey.csv)"
"$SB" survey -o bad -i cnn "$glass" 2> err.txt && fail "cnn without a model should fail"
grep -q "cnn" err.txt || fail "message does not name the indicator"
# vflex: the MD ensemble runs once per glass, then comes from the cache
vf=(--vflex-runs 2 --vflex-sampling 0.2 --vflex-dir vf)
"$SB" survey -o out --no-run "${common[@]}" -i ffb,vflex "${vf[@]}" "$glass" > vflex.txt \
  || fail "survey -i ffb,vflex exited $?"
head -1 out/survey.csv | grep -q "gamma_vflex" || fail "no gamma_vflex column: $(head -1 out/survey.csv)"
awk -F, 'NR > 1 { if ($9 < 0 || $9 > 1 || $9 == "") exit 1 }' out/survey.csv || fail "bad vflex gamma: $(cat out/survey.csv)"
[ "$(ls vf/*/msd_run_*.txt | wc -l)" = 2 ] || fail "expected 2 cached MSD runs: $(ls -R vf)"
cp out/survey.csv vflex.csv
touch -d '1 hour ago' vf/*/msd_run_*.txt
"$SB" survey -o out --no-run "${common[@]}" -i ffb,vflex "${vf[@]}" "$glass" > vflex2.txt || fail "second vflex survey"
cmp -s vflex.csv out/survey.csv || fail "cached vflex gave a different table"
[ -z "$(find vf -name 'msd_run_*.txt' -newer vflex.csv)" ] || fail "vflex MD was run again"
"$SB" survey -o out --no-run "${common[@]}" -i vflex --vflex-runs 0 "$glass" 2> err.txt && fail "--vflex-runs 0 accepted"
# the recipe of new runs, as spelt for `shear`: it reaches the run and the survey counts it
# next to the reused runs' own
"$SB" survey -o out -r out/runs "${common[@]/0,3,5/0,7}" --minimizer cg --linesearch forcezero --extrapolate 1 \
  "$glass" > recipe.txt || fail "survey with a CG recipe exited $?"
grep -qx 'linesearch forcezero' out/runs/*_o07/shear.params || fail "new run's line search: $(cat out/runs/*_o07/shear.params)"
grep -q '"lbfgs, extrapolate 0": 1' out/survey.json || fail "survey.json: the reused run's recipe"
grep -q '"cg, line forcezero, extrapolate 1": 1' out/survey.json || fail "survey.json: the new run's recipe"
# a run kept without its parameter record (as in datasets/runs): the recipe comes from shear.json
rm out/runs/*_o07/shear.params
"$SB" survey -o out -r out/runs --no-run "${common[@]/0,3,5/0,7}" "$glass" > recipe2.txt || fail "survey exited $?"
grep -q '"cg, line forcezero, extrapolate 1": 1' out/survey.json || fail "survey.json: the recipe from shear.json"
"$SB" survey -o out --linesearch quadratic "$glass" 2> err.txt && fail "--linesearch with L-BFGS accepted"
grep -q "linesearch applies to --minimizer cg" err.txt || fail "message: $(cat err.txt)"
echo "survey OK"
