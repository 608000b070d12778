#!/usr/bin/env bash
# Voronoi analysis of a ~32,000-atom glass: shearband (voro++ through our shim) vs LAMMPS's
# compute voronoi/atom (also voro++), side by side on the same file, one core each.
# The glass is the bundled 864-atom example replicated 4 x 3 x 3 (31,104 atoms) by LAMMPS.
# LAMMPS's time is the difference between a run with and without the compute, so reading
# the data file is not charged to either side.
#   bench/run_voronoi.sh [build-dir]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
cat > rep.in <<EOT
units metal
atom_style atomic
read_data $src/examples/cu50zr50_864.data
replicate 4 3 3
write_data glass.data
EOT
lmp -in rep.in -log none -screen none
for with in 0 1; do
  {
    echo "units metal"; echo "atom_style atomic"; echo "read_data glass.data"
    echo "pair_style zero 6.0"; echo "pair_coeff * *"
    if [[ $with == 1 ]]; then echo "compute v all voronoi/atom"; echo "variable s equal c_v[1]"
      echo "compute tot all reduce sum c_v[1]"; echo "thermo_style custom step c_tot"; fi
    echo "run 0"
  } > v$with.in
done
best() { # best wall time of 3 runs of a command
  local b=1e9
  for r in 1 2 3; do
    local t0 t1; t0=$(date +%s.%N); "$@" > /dev/null; t1=$(date +%s.%N)
    b=$(echo "$b $t0 $t1" | awk '{t=$3-$2; print (t<$1)?t:$1}')
  done; echo "$b"
}
export OMP_NUM_THREADS=1
t_lmp0=$(best lmp -in v0.in -log none -screen none)
t_lmp1=$(best lmp -in v1.in -log none -screen none)
ours=$("$build/bench/bench_voronoi" glass.data 3)
t_ours=$(echo "$ours" | awk '{print $4}')
atoms=$(echo "$ours" | awk '{print $2}')
t_lmp=$(echo "$t_lmp0 $t_lmp1" | awk '{print $2-$1}')
echo "| atoms | shearband (s) | LAMMPS compute voronoi/atom (s) | ratio LAMMPS/shearband |"
echo "|---|---|---|---|"
echo "$atoms $t_ours $t_lmp" | awk '{printf "| %d | %.3f | %.3f | %.2f |\n", $1, $2, $3, $3/$2}'
echo "(shearband: $ours; uptime: $(uptime | sed 's/.*load/load/'))"
