#!/usr/bin/env bash
# End-to-end check of `shearband info` on the bundled glass: numbers against values computed
# independently here (awk), plus the exit codes and messages of the failure paths.
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${SB:?SB must point to the shearband binary}" "${SB_SOURCE_DIR:?}" "${SB_TEST_TMP:?}"
mkdir -p "$SB_TEST_TMP"
data="$SB_SOURCE_DIR/examples/cu50zr50_864.data"

out=$("$SB" info "$data") || fail "info exited $? on the example"
field() { printf '%s\n' "$out" | awk -v key="$1" '$1 == key { print $2; exit }'; }

[ "$(field atoms)" = 864 ] || fail "atoms: $(field atoms)"
printf '%s\n' "$out" | grep -Eq '^ +type 1 Cu +432 ' || fail "Cu count line missing: $out"
printf '%s\n' "$out" | grep -Eq '^ +type 2 Zr +432 ' || fail "Zr count line missing: $out"

# Volume of the cubic box from its bounds in the file, to 4 decimals.
want_vol=$(awk 'BEGIN { l = 24.45922663536109 + 0.4592266353613063; printf "%.4f", l * l * l }')
[ "$(field volume)" = "$want_vol" ] || fail "volume $(field volume), expected $want_vol"

# Mass density in g/cm^3 from the composition, to the 5 decimals printed.
want_rho=$(awk 'BEGIN { l = 24.45922663536109 + 0.4592266353613063; v = l * l * l;
                        printf "%.5f", (432 * 63.546 + 432 * 91.224) / 6.02214076e23 / (v * 1e-24) }')
[ "$(field density)" = "$want_rho" ] || fail "density $(field density), expected $want_rho"

# JSON output carries the same atom count.
"$SB" info --json "$data" | grep -q '"atoms": *864' || fail "--json lacks atoms 864"

# A missing file: exit 1, message naming it.
err=$("$SB" info "$SB_TEST_TMP/nonexistent.data" 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] || fail "nonexistent file: exit $rc"
printf '%s' "$err" | grep -q "nonexistent.data" || fail "nonexistent file: message '$err'"

# A malformed file: non-zero exit, FILE:LINE in the message.
bad="$SB_TEST_TMP/bad_line.data"
sed '20s/.*/17 1 1.0 oops 2.0 0 0 0/' "$data" > "$bad"
err=$("$SB" info "$bad" 2>&1 >/dev/null); rc=$?
[ $rc -ne 0 ] || fail "malformed file accepted"
printf '%s' "$err" | grep -q "bad_line.data:20:" || fail "malformed file: message '$err'"
printf '%s' "$err" | grep -q "'oops'" || fail "malformed file: token missing in '$err'"

# Help and version.
"$SB" --help >/dev/null || fail "--help exit $?"
"$SB" info --help | grep -q "usage: shearband info" || fail "info --help"
"$SB" --version | grep -q "^shearband " || fail "--version"
"$SB" info >/dev/null 2>&1; [ $? -eq 2 ] || fail "info without FILE must be a usage error (2)"
echo "cli info: ok"
