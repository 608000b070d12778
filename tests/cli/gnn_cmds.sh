#!/usr/bin/env bash
# train-gnn without LAMMPS: help text, usage errors (exit 2), and clear run-time errors
# (exit 1) for a manifest that is not one and for labels of another glass. Learning on a
# synthetic manifest is tests/unit/test_gnn_train.c.
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${SB:?SB must point to the shearband binary}" "${SB_SOURCE_DIR:?}" "${SB_TEST_TMP:?}"
mkdir -p "$SB_TEST_TMP/gnn_cmds"
tmp="$SB_TEST_TMP/gnn_cmds"
data="$SB_SOURCE_DIR/examples/cu50zr50_864.data"

"$SB" train-gnn --help | grep -q "usage: shearband train-gnn" || fail "train-gnn --help"
"$SB" train-gnn >/dev/null 2>&1; [ $? = 2 ] || fail "train-gnn without arguments must exit 2"
"$SB" train-gnn x.txt >/dev/null 2>&1; [ $? = 2 ] || fail "train-gnn without -o must exit 2"
"$SB" train-gnn x.txt -o m --cutoff -1 >/dev/null 2>&1; [ $? = 2 ] || fail "--cutoff -1 must exit 2"
"$SB" train-gnn x.txt -o m --steps 100 >/dev/null 2>&1; [ $? = 2 ] || fail "--steps 100 must exit 2"

printf 'hello\n' > "$tmp/bad_manifest.txt"
err=$("$SB" train-gnn "$tmp/bad_manifest.txt" -o "$tmp/m.sbgn" 2>&1); rc=$?
[ $rc = 1 ] || fail "train-gnn on a bad manifest exited $rc"
printf '%s' "$err" | grep -q "not a shearband dataset" || fail "train-gnn message: $err"

lab="$tmp/one.labels"
printf 'shearband-labels 1\nglass %s\nglass_fingerprint 0123\norientation 0\nstrain 0.1\nf_thres 0.05\natoms 864\npositives 2\nids\n5 9\nend\n' "$data" > "$lab"
printf 'shearband-dataset 1\ns %s 0 %s train\n' "$data" "$lab" > "$tmp/ds.txt"
err=$("$SB" train-gnn "$tmp/ds.txt" -o "$tmp/m.sbgn" --epochs 1 2>&1); rc=$?
[ $rc = 1 ] || fail "train-gnn with labels of another glass exited $rc"
printf '%s' "$err" | grep -q "fingerprints differ" || fail "train-gnn message: $err"
echo "ok"
