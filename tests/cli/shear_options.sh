#!/usr/bin/env bash
# The AQS options that shear, ensemble, survey and brittleness share (one parser, app/cli.c):
# every command accepts the whole recipe, and refuses, with exit 2 and a message naming the
# option, a bad value or a line search without CG; and the potential checks every LAMMPS job
# makes first. No LAMMPS runs: --help after the options
# stops once they are parsed, and a refused option stops before any input is read.
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${SB:?SB must point to the shearband binary}" "${SB_TEST_TMP:?}"
mkdir -p "$SB_TEST_TMP"; cd "$SB_TEST_TMP"
recipe=(--step 1e-3 --minimizer cg --linesearch forcezero --extrapolate 1 --ftol 1e-6 --maxiter 500
        --min-modify "dmax 0.05" --timestep 0.002 --potential pot.eam.fs --pair-style eam/fs
        --d2min-cutoff 5 --checkpoint-every 10)
declare -A operands=([shear]="-d d g.data" [ensemble]="-d d g.data" [survey]="g.data" [brittleness]="-d d")
for cmd in shear ensemble survey brittleness; do
  "$SB" "$cmd" "${recipe[@]}" --help > help.txt 2> err.txt || fail "$cmd refused the recipe: $(cat err.txt)"
  grep -q -- "--linesearch" help.txt || fail "$cmd --help does not list --linesearch"
  "$SB" "$cmd" --bogus ${operands[$cmd]} > /dev/null 2> err.txt; rc=$?
  [ $rc = 2 ] && grep -q -- "--bogus" err.txt || fail "$cmd --bogus: exit $rc, $(cat err.txt)"
  # a known option without its value: named, and not called unknown
  "$SB" "$cmd" ${operands[$cmd]} --ftol > /dev/null 2> err.txt; rc=$?
  [ $rc = 2 ] && grep -q -- "--ftol" err.txt && grep -q "without its value" err.txt ||
    fail "$cmd --ftol (no value): exit $rc, $(cat err.txt)"
  for bad in "--linesearch quadratic" "--minimizer bfgs" "--ftol 0" "--step -1e-3" "--maxiter 0" \
             "--linesearch sideways" "--checkpoint-every x"; do
    # shellcheck disable=SC2086
    "$SB" "$cmd" $bad ${operands[$cmd]} > /dev/null 2> err.txt
    rc=$?
    [ $rc = 2 ] || fail "$cmd $bad: exit $rc, expected 2"
    opt=${bad%% *}
    grep -q -- "$opt" err.txt || fail "$cmd $bad: message does not name $opt: $(cat err.txt)"
  done
done
# the extent: shear and ensemble take --max-strain and --save; survey sets them itself
for cmd in shear ensemble; do
  "$SB" "$cmd" --max-strain 0.05 --save 0.01,0.05 --help > /dev/null || fail "$cmd refused the extent"
  "$SB" "$cmd" --save 0.1,x -d d g.data > /dev/null 2> err.txt; [ $? = 2 ] || fail "$cmd --save 0.1,x accepted"
done
"$SB" survey --save 0.1 g.data > /dev/null 2> err.txt && fail "survey accepted --save"
# brittleness keeps its own names: --shear-step and --max-strain (the band strain)
"$SB" brittleness --shear-step 2e-3 --max-strain 0.1 --help > /dev/null || fail "brittleness --shear-step"
# what every LAMMPS job checks before it starts (engine_check_potential): refused with the
# reason, exit 1, nothing written
glass="${SB_SOURCE_DIR:?}/examples/cu50zr50_864.data"
"$SB" shear "$glass" -d pot1 --potential no/such.eam.fs > /dev/null 2> err.txt && fail "missing potential accepted"
grep -q "no/such.eam.fs: cannot read the file" err.txt || fail "missing potential: $(cat err.txt)"
"$SB" shear "$glass" -d pot2 --pair-style lj/cut > /dev/null 2> err.txt && fail "pair style lj/cut accepted"
grep -q "pair style 'lj/cut': use eam/fs or eam/alloy" err.txt || fail "pair style: $(cat err.txt)"
"$SB" quench -o q.data -n 100 --potential no/such.eam.fs > /dev/null 2> err.txt && fail "quench: missing potential accepted"
grep -q "no/such.eam.fs: cannot read the file" err.txt || fail "quench, missing potential: $(cat err.txt)"
[ ! -e pot1/shear.done ] && [ ! -e pot2/shear.done ] && [ ! -e q.data ] || fail "a refused job left output"
echo "shear options OK"
