#!/bin/bash
# CLI end to end on a tiny system (< 20 s): option errors exit 2, a LAMMPS failure exits 1
# with LAMMPS's message, --list-orientations prints 24 rows, and a 1-step shear of the
# example glass writes its CSV, snapshot and provenance (quench is exercised by the
# lammps-label tests; here only its validation, to stay fast).
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${SB:?}" "${SB_SOURCE_DIR:?}" "${SB_TEST_TMP:?}"
rm -rf "$SB_TEST_TMP"; mkdir -p "$SB_TEST_TMP"; cd "$SB_TEST_TMP" || exit 1
GLASS="$SB_SOURCE_DIR/examples/cu50zr50_864.data"

"$SB" quench --help | grep -q -- "--swap-anneal" || fail "quench --help"
"$SB" shear --help | grep -q -- "--orientation" || fail "shear --help"
"$SB" quench --atoms abc -o x.data 2>/dev/null; [ $? -eq 2 ] || fail "bad --atoms should exit 2"
"$SB" quench 2>/dev/null; [ $? -eq 2 ] || fail "missing -o should exit 2"
"$SB" shear "$GLASS" 2>/dev/null; [ $? -eq 2 ] || fail "missing -d should exit 2"
"$SB" shear "$GLASS" -d r --minimizer sd 2>/dev/null; [ $? -eq 2 ] || fail "bad minimizer should exit 2"
msg=$("$SB" shear "$GLASS" -d r --linesearch quadratic 2>&1); [ $? -eq 2 ] || fail "--linesearch with L-BFGS should exit 2"
echo "$msg" | grep -q "cg only" || fail "message should say the line search is CG's: $msg"
msg=$("$SB" quench -o g.data --potential /nonexistent.eam.fs 2>&1); [ $? -eq 1 ] || fail "missing potential should exit 1"
echo "$msg" | grep -q "/nonexistent.eam.fs" || fail "message should name the potential: $msg"

n=$("$SB" shear --list-orientations | grep -cE '^[0-9]+ ')
[ "$n" -eq 24 ] || fail "expected 24 orientations, got $n"
"$SB" shear --list-orientations | grep -qE '^0 +\[ 1  0  0\| 0  1  0\| 0  0  1\] +\+x +\+y +\+z +3' \
    || fail "orientation 0 should be the identity with partner 3"

echo "garbage" > bad.eam.fs
msg=$("$SB" shear "$GLASS" -d bad --potential bad.eam.fs --step 1e-3 --max-strain 1e-3 --save 0.001 2>&1)
[ $? -eq 1 ] || fail "bad potential should exit 1"
echo "$msg" | grep -q "ERROR" || fail "LAMMPS message expected: $msg"

"$SB" shear "$GLASS" -d run -k 4 --step 1e-3 --max-strain 1e-3 --save 0.001 --ftol 1e-6 > out.txt \
    || fail "shear run failed"
for f in stress_strain.csv reference.dump strain_0.001.dump strain_0.001.json shear.json; do
    [ -s "run/$f" ] || fail "missing run/$f"
done
[ "$(grep -vc '^#' run/stress_strain.csv)" -eq 3 ] || fail "CSV should have a header and 2 rows"
grep -q '"plane_normal_Y_is_sample_axis": "+z"' run/shear.json || fail "orientation 4 has Y = +z"
grep -q '"lammps_version": "29 Sep 2021"' run/shear.json || fail "LAMMPS version in provenance"
"$SB" shear "$GLASS" -d run -k 4 --step 1e-3 --max-strain 1e-3 --save 0.001 --ftol 1e-6 --resume \
    | grep -q "already finished" || fail "finished run should not be redone"
echo ok
