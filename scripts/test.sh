#!/usr/bin/env bash
# Install dependencies, build, and run the whole test suite (README, second command).
# Pass ctest arguments to select, e.g.  scripts/test.sh -L unit
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh -DSB_WERROR=ON  # CI treats warnings as errors
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
