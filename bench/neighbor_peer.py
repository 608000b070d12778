#!/usr/bin/python3
"""Peer for bench_neighbor: scipy.spatial.cKDTree on the same coordinates.

Loads the (N, 3) float64 .npy written by bench_neighbor (cubic periodic box of edge L),
and times, best of --repeats:
    tree = cKDTree(x, boxsize=L)                       # periodic k-d tree
    p = tree.query_pairs(r, output_type='ndarray')     # each pair once, i < j
    d = x[p[:,1]] - x[p[:,0]]; d -= L * round(d / L)   # minimum-image displacements
    full list: I = [i, j], J = [j, i], D = [d, -d]      # both directions, like a CSR list
This is the fastest fair way we found in scipy 1.10 (query_pairs + numpy beats
sparse_distance_matrix, which returns distances but no vectors and is ~2x slower; and
query_ball_point, which returns Python lists). query_pairs is single-threaded (it has no
workers argument). The full list is left in COO order (not sorted by i into CSR), which
favours the peer slightly.

Prints one line "key=value ...": n, cutoff, pairs, best wall and CPU time, peak RSS (MB) of this
process, RSS before the timed work (interpreter + numpy + scipy + coordinates) and the
size of the output arrays (MB).
"""
import argparse
import resource
import time

import numpy as np
from scipy.spatial import cKDTree


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def full_list(x, box, cutoff):
    tree = cKDTree(x, boxsize=box)
    p = tree.query_pairs(cutoff, output_type="ndarray")
    d = x[p[:, 1]] - x[p[:, 0]]
    d -= box * np.round(d / box)
    i = np.concatenate((p[:, 0], p[:, 1]))
    j = np.concatenate((p[:, 1], p[:, 0]))
    dd = np.concatenate((d, -d))
    return i, j, dd


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--npy", required=True)
    ap.add_argument("--box", type=float, required=True)
    ap.add_argument("--cutoff", type=float, required=True)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    x = np.load(a.npy)
    # cKDTree(boxsize=L) requires 0 <= x < L
    x = np.mod(x, a.box)
    x[x >= a.box] = 0.0
    base = rss_mb()
    best = best_cpu = float("inf")
    for _ in range(a.repeats):
        c0 = time.process_time()
        t0 = time.perf_counter()
        i, j, d = full_list(x, a.box, a.cutoff)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
        out_mb = (i.nbytes + j.nbytes + d.nbytes) / 1048576.0
        npairs = len(i) // 2
        del i, j, d
    print(f"n={len(x)} cutoff={a.cutoff:g} pairs={npairs} t={best:.6f} cpu={best_cpu:.6f} "
          f"rss_mb={rss_mb():.1f} base_mb={base:.1f} out_mb={out_mb:.1f}")


if __name__ == "__main__":
    main()
