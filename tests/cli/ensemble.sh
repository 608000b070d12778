#!/bin/bash
# ensemble CLI without LAMMPS runs (< 2 s): --help, usage errors exit 2, parameter errors
# found by validation exit 1 with a message naming the option, and --summarize of an
# ensemble directory whose runs are missing reports them as unfinished.
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${SB:?}" "${SB_SOURCE_DIR:?}" "${SB_TEST_TMP:?}"
rm -rf "$SB_TEST_TMP"; mkdir -p "$SB_TEST_TMP"; cd "$SB_TEST_TMP" || exit 1
GLASS="$SB_SOURCE_DIR/examples/cu50zr50_864.data"

"$SB" ensemble --help | grep -q -- "--ranks-per-run" || fail "ensemble --help"
"$SB" --help | grep -q "ensemble" || fail "ensemble missing from the command list"
"$SB" ensemble "$GLASS" 2>/dev/null; [ $? -eq 2 ] || fail "missing -d should exit 2"
"$SB" ensemble "$GLASS" -d e --orientations 0,24 2>/dev/null; [ $? -eq 2 ] || fail "orientation 24 should exit 2"
"$SB" ensemble "$GLASS" -d e --seeds 1,x 2>/dev/null; [ $? -eq 2 ] || fail "bad seed list should exit 2"
"$SB" ensemble "$GLASS" -d e --ranks-per-run 0 2>/dev/null; [ $? -eq 2 ] || fail "--ranks-per-run 0 should exit 2"
"$SB" ensemble "$GLASS" -d e --minimizer fire --linesearch quadratic 2>/dev/null; [ $? -eq 2 ] || fail "--linesearch with FIRE should exit 2"
msg=$("$SB" ensemble "$GLASS" -d e --seeds 1,2,1 2>&1); [ $? -eq 1 ] || fail "duplicate seed should exit 1"
echo "$msg" | grep -q "seed 1 given twice" || fail "message should name the seed: $msg"
msg=$("$SB" ensemble "$GLASS" -d e --save 0.1 --band-strain 0.2 2>&1); [ $? -eq 1 ] || fail "unsaved band strain should exit 1"
echo "$msg" | grep -q -- "--save" || fail "message should name --save: $msg"
msg=$("$SB" ensemble "$GLASS" -d e --ranks-per-run 2 2>&1); [ $? -eq 1 ] || fail "L-BFGS on 2 ranks per run should exit 1"
echo "$msg" | grep -q -- "--minimizer cg" || fail "message should say to use cg: $msg"
[ ! -e e/runs ] || fail "nothing may be created when validation fails"
# with CG the same ranks pass that check and validation stops at a later one (--save)
msg=$("$SB" ensemble "$GLASS" -d e --ranks-per-run 2 --minimizer cg --save 0.1 --band-strain 0.2 2>&1)
echo "$msg" | grep -q -- "--save" || fail "cg on 2 ranks per run should pass the minimiser check: $msg"

mkdir -p s
msg=$("$SB" ensemble "$GLASS" -d s --shuffles 3 --summarize 2>&1); [ $? -eq 0 ] || fail "summarize: $msg"
[ "$(grep -c ',not finished\|"not finished"' s/ensemble.csv)" -eq 3 ] || fail "3 unfinished rows expected"
grep -q '"failed_or_unfinished": 3' s/ensemble.json || fail "ensemble.json counts"

# Run names: orientation-major, seeds in the given order; unshuffled runs are KK_none.
mkdir -p o
"$SB" ensemble "$GLASS" -d o --orientations 3,0 --seeds 6,5 --summarize > /dev/null || fail "summarize o"
[ "$(grep -v '^#' o/ensemble.csv | cut -d, -f1 | tr '\n' ' ')" = "run 03_6 03_5 00_6 00_5 " ] \
    || fail "run names: $(grep -v '^#' o/ensemble.csv | cut -d, -f1 | tr '\n' ' ')"
mkdir -p n
"$SB" ensemble "$GLASS" -d n --orientations all --summarize > /dev/null || fail "summarize n"
[ "$(grep -c '_none,' n/ensemble.csv)" -eq 24 ] || fail "24 unshuffled runs expected"
echo ok
