#!/usr/bin/env bash
# End-to-end check of `shearband d2min` and `shearband band` on the bundled AQS frames:
# the written D2min column equals the stored reference values, the JSON sidecars carry
# provenance, band writes both profiles, and usage/missing-id failures exit 2/1 with a message.
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${SB:?SB must point to the shearband binary}" "${SB_SOURCE_DIR:?}" "${SB_TEST_TMP:?}"
mkdir -p "$SB_TEST_TMP"
d="$SB_SOURCE_DIR/tests/data/aqs_frames"
ref="$SB_SOURCE_DIR/tests/ref/aqs_frames_d2min.txt"
out="$SB_TEST_TMP/d2.dump"

"$SB" d2min "$d/frame_000.dump" "$d/frame_050.dump" -o "$out" --gradient >/dev/null || fail "d2min exited $?"
[ -s "$out.json" ] || fail "no JSON sidecar"
grep -q '"provenance"' "$out.json" || fail "sidecar lacks provenance"
grep -q '"cutoff_A": *5' "$out.json" || fail "sidecar lacks the cutoff"
head -9 "$out" | tail -1 | grep -q 'd2min shear_strain fit_singular nneighbors deformation_gradient\[1\]' \
    || fail "dump columns: $(head -9 "$out" | tail -1)"
# Column 9 (d2min) against the reference file, by id, to 1e-10 relative.
bad=$(awk 'FNR == NR { if ($1 !~ /^#/) want[$1] = $2; next }
           FNR > 9 { w = want[$1]; e = $9 - w; if (e < 0) e = -e; s = w < 0 ? -w : w; if (s < 1e-6) s = 1e-6;
                     if (e > 1e-10 * s) { print $1, $9, w; n++ } }
           END { print n + 0 }' "$ref" "$out" | tail -1)
[ "$bad" = 0 ] || fail "$bad atoms differ from the reference D2min"

# band from the file's column and from REF CUR give the same profiles.
"$SB" band "$out" -w 8 -o "$SB_TEST_TMP/b1" >/dev/null || fail "band FILE exited $?"
"$SB" band "$d/frame_000.dump" "$d/frame_050.dump" -w 8 -o "$SB_TEST_TMP/b2" >/dev/null || fail "band REF CUR exited $?"
for f in band_profiles.csv band.json; do
    [ -s "$SB_TEST_TMP/b1/$f" ] || fail "missing $f"
done
grep -q '^axis,centre_A,signed_position_A,value,atoms$' "$SB_TEST_TMP/b1/band_profiles.csv" || fail "CSV header"
# 864-atom box: 25 X centres and 25 Y centres.
[ "$(grep -c '^X,' "$SB_TEST_TMP/b1/band_profiles.csv")" = 25 ] || fail "X rows"
[ "$(grep -c '^Y,' "$SB_TEST_TMP/b1/band_profiles.csv")" = 25 ] || fail "Y rows"
diff <(grep -v '^#' "$SB_TEST_TMP/b1/band_profiles.csv") <(grep -v '^#' "$SB_TEST_TMP/b2/band_profiles.csv") \
    || fail "band FILE and band REF CUR disagree"
grep -q '"reason"' "$SB_TEST_TMP/b1/band.json" || fail "band.json lacks the reason"
# Figures: PNG signature on both, SVG for the profiles, and the map's data holds every atom.
for f in band_profiles.png band_d2min_map.png; do
  [ "$(head -c 8 "$SB_TEST_TMP/b1/$f" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$f is not a PNG"
done
grep -q '<svg' "$SB_TEST_TMP/b1/band_profiles.svg" || fail "band_profiles.svg is not SVG"
[ "$(grep -cv '^#' "$SB_TEST_TMP/b1/band_d2min_map.dat" | tr -d ' ')" -ge 864 ] || fail "map data lacks atoms"
"$SB" band "$out" -w 8 --no-figures -o "$SB_TEST_TMP/b3" >/dev/null || fail "band --no-figures exited $?"
[ ! -e "$SB_TEST_TMP/b3/band_profiles.png" ] || fail "--no-figures drew a figure"
grep -q '"provenance"' "$SB_TEST_TMP/b1/band.json" || fail "band.json lacks provenance"
# X rows carry the paper's sign convention.
awk -F, '$1 == "X" && $2 + 0 > 0 && $3 + 0 != -$2 { exit 1 }' "$SB_TEST_TMP/b1/band_profiles.csv" || fail "X sign"

# Usage errors exit 2; a current frame lacking an id exits 1 naming it.
"$SB" d2min "$d/frame_000.dump" >/dev/null 2>&1; [ $? -eq 2 ] || fail "one input accepted"
"$SB" band --f-top 2 "$out" >/dev/null 2>&1; [ $? -eq 2 ] || fail "--f-top 2 accepted"
cut_frame="$SB_TEST_TMP/missing.dump"
awk 'NR == 4 { print 863; next } NR > 9 && $1 == 17 { next } { print }' "$d/frame_050.dump" > "$cut_frame"
err=$("$SB" d2min "$d/frame_000.dump" "$cut_frame" -o "$SB_TEST_TMP/x.dump" 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] || fail "missing atom: exit $rc ($err)"
printf '%s' "$err" | grep -q "864" || fail "missing atom: message '$err'"
echo ok
