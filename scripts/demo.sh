#!/usr/bin/env bash
# The main job on the bundled example glass (README, first command).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build/shearband info examples/cu50zr50_864.data
