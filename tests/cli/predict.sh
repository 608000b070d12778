#!/usr/bin/env bash
# `shearband predict` without LAMMPS on the bundled 864-atom glass:
#   - ffb: every output file, the DFS CSV read back by `shearband ensemble --dfs`'s reader
#     (through the profile's own numbers: Delta = max - min of the CSV column), one row;
#   - cnn with a 1-epoch model trained on the smoke dataset, all 24 orientations: 24 rows,
#     fertile counts equal to the atoms CSV, the predicted band at the CSV's maximum;
#   - usage errors exit 2 (no model for cnn, bad orientation, --observed with all), an
#     unavailable indicator exits 1 with a message.
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${SB:?SB must point to the shearband binary}" "${SB_SOURCE_DIR:?}" "${SB_TEST_TMP:?}"
rm -rf "$SB_TEST_TMP"; mkdir -p "$SB_TEST_TMP"
g="$SB_SOURCE_DIR/examples/cu50zr50_864.data"

"$SB" predict "$g" -i ffb -o "$SB_TEST_TMP/ffb" --no-figures > "$SB_TEST_TMP/out" || fail "predict ffb exited $?"
for f in predict.csv predict_o00.json dfs_o00.csv atoms_o00.csv; do
    [ -s "$SB_TEST_TMP/ffb/$f" ] || fail "missing $f"
done
grep -q '"threshold_note"' "$SB_TEST_TMP/ffb/predict_o00.json" || fail "no threshold note"
grep -q 'calibrated' "$SB_TEST_TMP/out" || fail "summary lacks the calibration note"
[ "$(wc -l < "$SB_TEST_TMP/ffb/predict.csv")" = 2 ] || fail "predict.csv rows"
[ "$(wc -l < "$SB_TEST_TMP/ffb/atoms_o00.csv")" = 865 ] || fail "atoms csv rows"
# Delta in the JSON = max - min of the CSV profile column (both axes).
d_csv=$(awk -F, 'NR > 1 { if (mx == "" || $2 > mx) mx = $2; if (mn == "" || $2 < mn) mn = $2 } END { printf "%.6f", mx - mn }' "$SB_TEST_TMP/ffb/dfs_o00.csv")
d_tab=$(awk -F, 'NR == 2 { printf "%.6f", $6 }' "$SB_TEST_TMP/ffb/predict.csv")
[ "$d_csv" = "$d_tab" ] || fail "Delta $d_tab != max - min of the profile $d_csv"
# ffb: lower favours banding, so the predicted band is at the profile minimum.
p_csv=$(awk -F, 'NR > 1 { if (mn == "" || $2 < mn) { mn = $2; p = $1 } } END { printf "%.3f", p }' "$SB_TEST_TMP/ffb/dfs_o00.csv")
p_tab=$(awk -F, 'NR == 2 { printf "%.3f", $3 }' "$SB_TEST_TMP/ffb/predict.csv")
[ "$p_csv" = "$p_tab" ] || fail "predicted band $p_tab is not at the profile minimum $p_csv"

# cnn with a tiny model, all orientations.
"$SB" train "$SB_SOURCE_DIR/examples/fertile-smoke/smoke.manifest" -o "$SB_TEST_TMP/m.sbnn" --sdm proj_xy --hard-labels --epochs 1 \
    --threads 1 --no-figure > /dev/null 2>&1 || fail "train exited $?"
"$SB" predict "$g" -m "$SB_TEST_TMP/m.sbnn" -k all -o "$SB_TEST_TMP/cnn" --no-figures > "$SB_TEST_TMP/out2" \
    || fail "predict cnn exited $?"
[ "$(wc -l < "$SB_TEST_TMP/cnn/predict.csv")" = 25 ] || fail "24 orientations expected"
[ "$(grep -c 'orientation' "$SB_TEST_TMP/out2")" -ge 24 ] || fail "one summary line per orientation"
for k in 00 07 23; do
    n_atoms=$(awk -F, 'NR > 1 { s += $4 } END { print s + 0 }' "$SB_TEST_TMP/cnn/atoms_o$k.csv")
    n_tab=$(awk -F, -v k="$((10#$k))" 'NR > 1 && $1 == k { print $9 }' "$SB_TEST_TMP/cnn/predict.csv")
    [ "$n_atoms" = "$n_tab" ] || fail "orientation $k: $n_atoms fertile atoms in the CSV, $n_tab in the table"
    mx=$(awk -F, 'NR > 1 { if (mx == "" || $2 > mx) mx = $2 } END { printf "%.6f", mx }' "$SB_TEST_TMP/cnn/dfs_o$k.csv")
    best=$(awk -F, -v k="$((10#$k))" 'NR > 1 && $1 == k { printf "%.6f", $5 }' "$SB_TEST_TMP/cnn/predict.csv")
    [ "$mx" = "$best" ] || fail "orientation $k: DFS at the predicted band $best is not the maximum $mx"
done

"$SB" predict "$g" > /dev/null 2>&1; [ $? = 2 ] || fail "cnn without --model must exit 2"
"$SB" predict "$g" -i ffb -k 24 > /dev/null 2>&1; [ $? = 2 ] || fail "orientation 24 must exit 2"
"$SB" predict "$g" -i ffb -k all --observed x > /dev/null 2>&1; [ $? = 2 ] || fail "--observed with all must exit 2"
# vflex keeps its MD runs in the folder given with -m: a file there is a clear error, before any MD
msg=$("$SB" predict "$g" -i vflex -m "$g" -o "$SB_TEST_TMP/v" 2>&1); [ $? = 1 ] || fail "vflex with a file as its folder must exit 1"
printf '%s' "$msg" | grep -q "flexibility volume" || fail "vflex message: $msg"
"$SB" brittleness > /dev/null 2>&1; [ $? = 2 ] || fail "brittleness without --dir must exit 2"
"$SB" brittleness -d "$SB_TEST_TMP/b" --tq 700,x > /dev/null 2>&1; [ $? = 2 ] || fail "bad --tq must exit 2"
"$SB" brittleness -d "$SB_TEST_TMP/b" --tq 700 -i svm > /dev/null 2>&1; [ $? = 2 ] || fail "svm without --model must exit 2"
echo "predict: ok"
