#!/usr/bin/env bash
# Install the library into a scratch prefix and build two small consumer programs against
# it, one through pkg-config and one through CMake's find_package: what a user's own C
# program would do. The consumers call into the library and must run.
set -eu
: "${SB_BUILD_DIR:?}" "${SB_TEST_TMP:?}" "${SB_SOURCE_DIR:?}"
rm -rf "$SB_TEST_TMP"; mkdir -p "$SB_TEST_TMP"
prefix="$SB_TEST_TMP/prefix"
cmake --install "$SB_BUILD_DIR" --prefix "$prefix" > "$SB_TEST_TMP/install.log"
test -x "$prefix/bin/shearband" || { echo "FAIL: no installed binary"; exit 1; }
"$prefix/bin/shearband" --version | grep -q '^shearband ' || { echo "FAIL: installed binary does not run"; exit 1; }
test -f "$prefix/include/shearband/cell.h" || { echo "FAIL: headers not installed"; exit 1; }

cat > "$SB_TEST_TMP/consumer.c" <<'EOT'
#include <stdio.h>
#include <shearband/cell.h>
#include <shearband/io.h>
#include <shearband/version.h>
int main(int argc, char **argv)
{
    sb_structure s = SB_STRUCTURE_INIT;
    sb_error err;
    if (argc < 2 || sb_read_structure(argv[1], &s, &err) != SB_OK) return 1;
    printf("%s %zu %.4f\n", sb_version(), s.n, sb_cell_volume(&s.cell));
    sb_structure_free(&s);
    return 0;
}
EOT
libdir=$(ls -d "$prefix"/lib*/pkgconfig | head -1)
export PKG_CONFIG_PATH="$libdir"
cc -std=c11 "$SB_TEST_TMP/consumer.c" -o "$SB_TEST_TMP/consumer_pc" $(pkg-config --cflags --libs shearband) \
   -Wl,-rpath,"$(pkg-config --variable=libdir shearband)"
out=$("$SB_TEST_TMP/consumer_pc" "$SB_SOURCE_DIR/examples/cu50zr50_864.data")
case "$out" in *" 864 15472.5981") ;; *) echo "FAIL: pkg-config consumer printed '$out'"; exit 1;; esac

mkdir -p "$SB_TEST_TMP/cm"
cat > "$SB_TEST_TMP/cm/CMakeLists.txt" <<'EOT'
cmake_minimum_required(VERSION 3.25)
project(consumer C)
find_package(shearband 0.1 REQUIRED)
add_executable(consumer ../consumer.c)
target_link_libraries(consumer PRIVATE shearband::shearband)
EOT
cmake -S "$SB_TEST_TMP/cm" -B "$SB_TEST_TMP/cm/build" -DCMAKE_PREFIX_PATH="$prefix" > "$SB_TEST_TMP/cm.log" 2>&1 \
  || { cat "$SB_TEST_TMP/cm.log"; echo "FAIL: find_package"; exit 1; }
cmake --build "$SB_TEST_TMP/cm/build" > "$SB_TEST_TMP/cmb.log" 2>&1 || { cat "$SB_TEST_TMP/cmb.log"; exit 1; }
out=$("$SB_TEST_TMP/cm/build/consumer" "$SB_SOURCE_DIR/examples/cu50zr50_864.data")
case "$out" in *" 864 15472.5981") ;; *) echo "FAIL: CMake consumer printed '$out'"; exit 1;; esac
echo "install: pkg-config and CMake consumers OK"
