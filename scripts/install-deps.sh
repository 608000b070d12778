#!/usr/bin/env bash
# Install every Debian 12 package shearband needs to build, test and run.
# Idempotent and quiet when everything is already there. Needs root (or sudo).
#   scripts/install-deps.sh          build + test + run dependencies
#   scripts/install-deps.sh --bench  also the benchmark peers (python3-scipy, python3-torch)
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  liblammps-dev lammps-data lammps openmpi-bin libopenmpi-dev   # MD engine (embedded) + lmp
  libopenblas-dev libdnnl-dev                                   # network arithmetic
  voro++-dev liblinear-dev                                      # Voronoi, linear SVM
  gnuplot-nox                                                   # figures
  libcriterion-dev                                              # tests
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(python3-numpy python3-scipy python3-torch time)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
