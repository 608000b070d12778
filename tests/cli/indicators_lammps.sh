#!/usr/bin/env bash
# End-to-end check of `shearband indicators` on the bundled 864-atom glass with a tiny MSD
# ensemble (2 runs of 0.2 + 0.4 ps: a few seconds of LAMMPS): per-atom columns in the
# extended XYZ and the dump, profiles for every indicator and orientation, the JSON record,
# v_flex = volume * msd / a^2 per atom, the top 20 % flag, the MSD cache being reused, and
# usage/unsupported-model failures exiting 2/1 with a message.
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${SB:?SB must point to the shearband binary}" "${SB_SOURCE_DIR:?}" "${SB_TEST_TMP:?}"
rm -rf "$SB_TEST_TMP"; mkdir -p "$SB_TEST_TMP"
g="$SB_SOURCE_DIR/examples/cu50zr50_864.data"
out="$SB_TEST_TMP/ind.extxyz"
tiny=(--runs 2 --equilibration 0.2 --sampling 0.4 --sample-every 0.05)

"$SB" indicators "$g" --orientation all -o "$out" --dump "$SB_TEST_TMP/ind.dump" "${tiny[@]}" \
    > "$SB_TEST_TMP/stdout" || fail "indicators exited $?"
for f in ind.extxyz ind.dump ind_profiles.csv ind.json ind_vflex/vibration.json ind_vflex/msd_run_1.txt ind_vflex/run_0.log; do
    [ -s "$SB_TEST_TMP/$f" ] || fail "missing $f"
done
head -2 "$out" | tail -1 | grep -q 'voronoi_volume:R:1:voronoi_index:R:4:mean_neighbor_distance:R:1:msd:R:1:vflex:R:1:vflex_fertile:R:1:ffb:R:1:rho:R:1' \
    || fail "extxyz columns: $(head -2 "$out" | tail -1)"
# Columns (1-based) after id species pos(3) image(3): vol 9, n3..n6 10-13, a 14, msd 15, vflex 16, fertile 17, ffb 18, rho 19.
bad=$(awk 'NR > 2 { v = $9 * $15 / ($14 * $14); e = $16 - v; if (e < 0) e = -e;
                    if (e > 1e-12 * (v > 1e-9 ? v : 1e-9)) n++;
                    r = 1 / $9 - $19; if (r < 0) r = -r; if (r > 1e-12) n++;
                    if (!($15 > 0)) n++; fert += $17 }
           END { print n + 0, fert }' "$out")
[ "${bad% *}" = 0 ] || fail "$bad: vflex, rho or msd inconsistent"
# Top 20 % of 864 atoms = round(172.8) = 173 fertile.
[ "${bad#* }" = 173 ] || fail "fertile count ${bad#* } (want 173)"
# Profiles: 3 indicators x 24 orientations x (25 X + 25 Y) slabs for this 24.9 A box.
[ "$(grep -c '^[0-9]*,vflex,' "$SB_TEST_TMP/ind_profiles.csv")" = 1200 ] || fail "vflex profile rows"
[ "$(grep -c '^[0-9]*,ffb,' "$SB_TEST_TMP/ind_profiles.csv")" = 1200 ] || fail "ffb profile rows"
grep -q '^orientation,indicator,axis,centre_A,signed_position_A,value,atoms$' "$SB_TEST_TMP/ind_profiles.csv" || fail "CSV header"
grep -q '"provenance"' "$SB_TEST_TMP/ind.json" || fail "JSON lacks provenance"
grep -q '"velocity_seeds"' "$SB_TEST_TMP/ind.json" || fail "JSON lacks the velocity seeds"
grep -q '"lammps_version": "[0-9]' "$SB_TEST_TMP/ind.json" || fail "JSON lacks the LAMMPS version"
[ "$(grep -c '"orientation": ' "$SB_TEST_TMP/ind.json")" = 24 ] || fail "JSON should hold 24 orientations"
grep -q '"delta"' "$SB_TEST_TMP/ind.json" || fail "JSON lacks Delta"
grep -q 'voronoi_index\[4\]' "$SB_TEST_TMP/ind.dump" || fail "dump lacks the expanded Voronoi index"
# The DFS of vflex is a fraction, its X and Y means are 0.2 (every atom in w / L of the slabs).
awk -F, '$2 == "vflex" && ($6 < 0 || $6 > 1) { exit 1 }' "$SB_TEST_TMP/ind_profiles.csv" || fail "DFS outside [0, 1]"

# Second call, one orientation: the MSD runs are reused (same values, no new LAMMPS run).
cp "$SB_TEST_TMP/ind_vflex/msd_run_0.txt" "$SB_TEST_TMP/msd0.txt"
"$SB" indicators "$g" -k 5 -o "$out" "${tiny[@]}" > /dev/null || fail "second call exited $?"
grep -q '"runs_reused": 2' "$SB_TEST_TMP/ind.json" || fail "second call did not reuse the runs"
cmp -s "$SB_TEST_TMP/msd0.txt" "$SB_TEST_TMP/ind_vflex/msd_run_0.txt" || fail "cached run rewritten"
[ "$(grep -c '"orientation": ' "$SB_TEST_TMP/ind.json")" = 1 ] || fail "one orientation expected"

# --only ffb,rho runs no LAMMPS and has no vflex column.
"$SB" indicators "$g" -k 0 -o "$SB_TEST_TMP/geo.extxyz" --only ffb,rho > /dev/null || fail "--only exited $?"
head -2 "$SB_TEST_TMP/geo.extxyz" | tail -1 | grep -q vflex && fail "--only ffb,rho wrote vflex"
[ -e "$SB_TEST_TMP/geo_vflex" ] && fail "--only ffb,rho started MSD runs"

# Failures: usage (2) and an unavailable learned model (1, one clear message).
"$SB" indicators "$g" -o "$out" 2> "$SB_TEST_TMP/err" >/dev/null; [ $? = 2 ] || fail "missing --orientation should exit 2"
"$SB" indicators "$g" -k 24 2> "$SB_TEST_TMP/err" >/dev/null; [ $? = 2 ] || fail "-k 24 should exit 2"
"$SB" indicators "$g" -k 0 --only cnn 2> "$SB_TEST_TMP/err" >/dev/null; [ $? = 2 ] || fail "--only cnn without model should exit 2"
"$SB" indicators "$g" -k 0 -o "$SB_TEST_TMP/c.extxyz" --cnn-model "$SB_TEST_TMP/none.model" 2> "$SB_TEST_TMP/err" >/dev/null
[ $? = 1 ] || fail "a missing CNN model file should exit 1"
grep -q 'none.model' "$SB_TEST_TMP/err" || fail "message: $(cat "$SB_TEST_TMP/err")"
# -m is the CNN, as in predict and survey
"$SB" indicators "$g" -k 0 -o "$SB_TEST_TMP/c.extxyz" -m "$SB_TEST_TMP/none2.model" 2> "$SB_TEST_TMP/err" >/dev/null
[ $? = 1 ] || fail "-m with a missing CNN model file should exit 1"
grep -q 'none2.model' "$SB_TEST_TMP/err" || fail "message: $(cat "$SB_TEST_TMP/err")"
# A missing SVM model file likewise (the svm applier itself: tests/cli/svm_cmds.sh).
"$SB" indicators "$g" -k 0 -o "$SB_TEST_TMP/g.extxyz" --svm-model "$SB_TEST_TMP/none.model" 2> "$SB_TEST_TMP/err" >/dev/null
[ $? = 1 ] || fail "a missing SVM model file should exit 1"
grep -q 'none.model' "$SB_TEST_TMP/err" || fail "message: $(cat "$SB_TEST_TMP/err")"
echo "indicators: ok"
