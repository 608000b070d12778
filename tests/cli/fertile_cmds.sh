#!/usr/bin/env bash
# The label / dataset / train / fertile commands without LAMMPS: help texts, usage errors
# (exit 2) and the clear run-time errors (exit 1) for a folder that is not a shear run, a
# manifest that is not one, a model file that is not a model, and a corrupted model. The
# full pipeline on real data is tests/slow/test_fertile_smoke.c.
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${SB:?SB must point to the shearband binary}" "${SB_SOURCE_DIR:?}" "${SB_TEST_TMP:?}"
mkdir -p "$SB_TEST_TMP"
data="$SB_SOURCE_DIR/examples/cu50zr50_864.data"

for c in label dataset train fertile; do
  "$SB" $c --help | grep -q "usage: shearband $c" || fail "$c --help"
done
"$SB" train >/dev/null 2>&1; [ $? = 2 ] || fail "train without arguments must exit 2"
"$SB" fertile "$data" >/dev/null 2>&1; [ $? = 2 ] || fail "fertile without --model must exit 2"
"$SB" fertile "$data" -m x -k 24 >/dev/null 2>&1; [ $? = 2 ] || fail "orientation 24 must exit 2"
"$SB" label --f-thres 1.5 x >/dev/null 2>&1; [ $? = 2 ] || fail "--f-thres 1.5 must exit 2"

err=$("$SB" label "$SB_TEST_TMP" 2>&1); rc=$?
[ $rc = 1 ] || fail "label on a non-run folder exited $rc"
printf '%s' "$err" | grep -q "not a shear run directory" || fail "label message: $err"

printf 'hello\n' > "$SB_TEST_TMP/bad_manifest.txt"
err=$("$SB" train "$SB_TEST_TMP/bad_manifest.txt" -o "$SB_TEST_TMP/m.sbnn" 2>&1); rc=$?
[ $rc = 1 ] || fail "train on a bad manifest exited $rc"
printf '%s' "$err" | grep -q "not a shearband dataset" || fail "train message: $err"

err=$("$SB" fertile "$data" -m "$data" 2>&1); rc=$?
[ $rc = 1 ] || fail "fertile with a data file as model exited $rc"
printf '%s' "$err" | grep -q "not a shearband model file" || fail "fertile message: $err"

# A dataset with one sample cannot be split by sample: a label file made by hand.
lab="$SB_TEST_TMP/one.labels"
printf 'shearband-labels 1\nglass %s\nglass_fingerprint 0123\norientation 0\nstrain 0.1\nf_thres 0.05\natoms 864\npositives 2\nids\n5 9\nend\n' "$data" > "$lab"
err=$("$SB" dataset make "$lab" -o "$SB_TEST_TMP/ds.txt" 2>&1); rc=$?
[ $rc = 1 ] || fail "dataset make with one sample exited $rc"
printf '%s' "$err" | grep -q "at least 3" || fail "dataset message: $err"
# ...and training on it (forced split) refuses the wrong glass by fingerprint.
printf 'shearband-dataset 1\ns %s 0 %s train\n' "$data" "$lab" > "$SB_TEST_TMP/ds.txt"
err=$("$SB" train "$SB_TEST_TMP/ds.txt" -o "$SB_TEST_TMP/m.sbnn" 2>&1); rc=$?
[ $rc = 1 ] || fail "train with a wrong fingerprint exited $rc"
printf '%s' "$err" | grep -q "fingerprints differ" || fail "fingerprint message: $err"

# The full CLI pipeline on the committed real labels (examples/fertile-smoke: three AQS runs of
# the bundled glass, split by case): train 2 epochs, resume to 3, infer two orientations.
man="$SB_SOURCE_DIR/examples/fertile-smoke/smoke.manifest"
model="$SB_TEST_TMP/smoke.sbnn"
rm -f "$model"*
"$SB" dataset show "$man" | grep -q "3 cases: 1 train, 1 val, 1 test" || fail "dataset show"
# these label files predate the per-atom D2min: the default soft targets refuse them clearly
err=$("$SB" train "$man" -o "$model" --epochs 1 --threads 1 --no-figure 2>&1); rc=$?
[ $rc = 1 ] || fail "soft targets from labels without D2min exited $rc"
printf '%s' "$err" | grep -q "shearband label" || fail "soft-target message: $err"
rm -f "$model"*
"$SB" train "$man" -o "$model" --sdm proj_xy --hard-labels --epochs 2 --patience 0 --threads 1 --no-figure >/dev/null 2>&1 || fail "train"
"$SB" train "$man" -o "$model" --sdm proj_xy --hard-labels --epochs 3 --patience 0 --threads 1 --no-figure --resume >/dev/null 2>&1 \
  || fail "train --resume"
[ "$(grep -c '^[0-9]' "$model.log.csv")" = 3 ] || fail "log should have 3 epochs: $(cat "$model.log.csv")"
grep -q '"atoms": 864' "$model.metrics.json" || fail "test metrics over the 864 test atoms"
grep -q '"positives": 43' "$model.metrics.json" || fail "43 test positives"
grep -q '"sdm_kind": "proj_xy"' "$model.metrics.json" || fail "SDM kind in the metrics JSON"
out="$SB_TEST_TMP/smoke.fertile.xyz"
"$SB" fertile "$data" -m "$model" -k 0,7 -o "$out" --threads 1 >/dev/null 2>&1 || fail "fertile"
head -2 "$out" | grep -q "p_fertile_0:R:1:fertile_0:R:1:p_fertile_7:R:1:fertile_7:R:1" || fail "xyz columns"
[ "$(sed -n 1p "$out")" = 864 ] || fail "xyz atom count"
grep -q '"orientation": 7' "$out.json" || fail "JSON summary"
# a corrupted model is refused with a clear message
cp "$model" "$SB_TEST_TMP/bad.sbnn"
printf '\x5a' | dd of="$SB_TEST_TMP/bad.sbnn" bs=1 seek=200 conv=notrunc status=none
err=$("$SB" fertile "$data" -m "$SB_TEST_TMP/bad.sbnn" 2>&1); rc=$?
[ $rc = 1 ] || fail "corrupted model exited $rc"
printf '%s' "$err" | grep -qi "checksum\|corrupt" || fail "corrupted model message: $err"
echo ok
