#!/usr/bin/env bash
# train-svm without LAMMPS: help text, usage errors (exit 2), clear run-time errors (exit 1)
# for a manifest that is not one and labels of another glass; then a tiny end-to-end run on
# the committed smoke labels (examples/fertile-smoke: 3 cases of the bundled glass, split by
# case) -> model + metrics JSON in the CNN's format, the model applied by `indicators`
# and refused when corrupted. Learning itself is tested in tests/unit/test_svm_train.c.
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${SB:?SB must point to the shearband binary}" "${SB_SOURCE_DIR:?}" "${SB_TEST_TMP:?}"
tmp="$SB_TEST_TMP/svm_cmds"
mkdir -p "$tmp"
data="$SB_SOURCE_DIR/examples/cu50zr50_864.data"

"$SB" train-svm --help | grep -q "usage: shearband train-svm" || fail "train-svm --help"
"$SB" --help | grep -q "train-svm" || fail "train-svm missing from shearband --help"
"$SB" train-svm >/dev/null 2>&1; [ $? = 2 ] || fail "train-svm without arguments must exit 2"
"$SB" train-svm x.txt >/dev/null 2>&1; [ $? = 2 ] || fail "train-svm without -o must exit 2"
"$SB" train-svm x.txt y.txt -o m >/dev/null 2>&1; [ $? = 2 ] || fail "two manifests must exit 2"
"$SB" train-svm x.txt -o m --C 0 >/dev/null 2>&1; [ $? = 2 ] || fail "--C 0 must exit 2"
"$SB" train-svm x.txt -o m --C abc >/dev/null 2>&1; [ $? = 2 ] || fail "--C abc must exit 2"
"$SB" train-svm x.txt -o m --eps -1 >/dev/null 2>&1; [ $? = 2 ] || fail "--eps -1 must exit 2"
"$SB" train-svm x.txt -o m --pos-weight 0 >/dev/null 2>&1; [ $? = 2 ] || fail "--pos-weight 0 must exit 2"
"$SB" train-svm x.txt -o m --max-rows 1 >/dev/null 2>&1; [ $? = 2 ] || fail "--max-rows 1 must exit 2"
"$SB" train-svm x.txt -o m --seed -3 >/dev/null 2>&1; [ $? = 2 ] || fail "--seed -3 must exit 2"
"$SB" train-svm x.txt -o m --bogus >/dev/null 2>&1; [ $? = 2 ] || fail "unknown option must exit 2"

printf 'hello\n' > "$tmp/bad_manifest.txt"
err=$("$SB" train-svm "$tmp/bad_manifest.txt" -o "$tmp/m.sbsv" 2>&1); rc=$?
[ $rc = 1 ] || fail "train-svm on a bad manifest exited $rc"
printf '%s' "$err" | grep -q "not a shearband dataset" || fail "train-svm message: $err"

lab="$tmp/one.labels"
printf 'shearband-labels 1\nglass %s\nglass_fingerprint 0123\norientation 0\nstrain 0.1\nf_thres 0.05\natoms 864\npositives 2\nids\n5 9\nend\n' "$data" > "$lab"
printf 'shearband-dataset 1\ns %s 0 %s train\n' "$data" "$lab" > "$tmp/ds.txt"
err=$("$SB" train-svm "$tmp/ds.txt" -o "$tmp/m.sbsv" 2>&1); rc=$?
[ $rc = 1 ] || fail "train-svm with labels of another glass exited $rc"
printf '%s' "$err" | grep -q "fingerprints differ" || fail "train-svm message: $err"

# end to end on the committed smoke labels
man="$SB_SOURCE_DIR/examples/fertile-smoke/smoke.manifest"
model="$tmp/smoke.sbsv"
rm -f "$model"*
"$SB" train-svm "$man" -o "$model" --C 0.1 --max-rows 600 --seed 2 > "$tmp/stdout" 2>&1 || fail "train-svm: $(cat "$tmp/stdout")"
grep -q "C 0.1 (162 features, 600 training rows of 864)" "$tmp/stdout" || fail "train-svm summary: $(cat "$tmp/stdout")"
[ "$(head -c 4 "$model")" = SBSV ] || fail "model magic"
j="$model.metrics.json"
grep -q '"kind": "shearband fertile-site svm training"' "$j" || fail "metrics kind"
grep -q '"provenance"' "$j" || fail "provenance in the metrics JSON"
grep -q '"atoms": 864' "$j" || fail "test metrics over the 864 test atoms"
grep -q '"positives": 43' "$j" || fail "43 test positives"
for f in roc_auc pr_auc precision recall f1 accuracy base_rate; do
    grep -q "\"$f\"" "$j" || fail "no $f in the metrics JSON"
done
grep -q -- '"--max-rows"' "$j" || fail "command line in the provenance"
# the model as an indicator: one svm column, all orientations (sample frame)
"$SB" indicators "$data" -k all --only svm --svm-model "$model" -o "$tmp/ind.extxyz" > "$tmp/stdout" 2>&1 \
    || fail "indicators --svm-model: $(cat "$tmp/stdout")"
head -2 "$tmp/ind.extxyz" | grep -q ":svm:R:1" || fail "svm column in $(head -2 "$tmp/ind.extxyz")"
grep -q "svm" "$tmp/stdout" || fail "indicators summary: $(cat "$tmp/stdout")"
# a corrupted model is refused, naming the file
cp "$model" "$tmp/bad.sbsv"
printf '\x5a' | dd of="$tmp/bad.sbsv" bs=1 seek=300 conv=notrunc status=none
err=$("$SB" indicators "$data" -k 0 --only svm --svm-model "$tmp/bad.sbsv" -o "$tmp/x.extxyz" 2>&1); rc=$?
[ $rc = 1 ] || fail "corrupted svm model exited $rc"
printf '%s' "$err" | grep -q "bad.sbsv" || fail "message should name the file: $err"
printf '%s' "$err" | grep -qi "checksum" || fail "corrupted model message: $err"
# a CNN-style foreign file is refused as such
printf 'SBNN\001\000\000\000' > "$tmp/cnn.sbnn"
err=$("$SB" indicators "$data" -k 0 --only svm --svm-model "$tmp/cnn.sbnn" -o "$tmp/x.extxyz" 2>&1); rc=$?
[ $rc = 1 ] || fail "CNN file as svm model exited $rc"
printf '%s' "$err" | grep -q "CNN model" || fail "foreign model message: $err"
# survey: svm needs --svm-model
"$SB" survey -r "$tmp" -i svm -o "$tmp/sv" >/dev/null 2>&1; [ $? = 2 ] || fail "survey -i svm without --svm-model must exit 2"
"$SB" survey --help | grep -q -- "--svm-model" || fail "survey --help lacks --svm-model"
echo ok
