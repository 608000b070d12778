#!/usr/bin/python3
"""Peer for bench_d2min: the same D2min and band location in vectorised numpy/scipy.

Loads DIR/ref.npy and DIR/cur.npy (N x 3 float64) written by `bench_d2min --generate`:
the reference in the cubic box [0, L)^3, the current frame in the same box sheared to tilt
xy. Implements exactly the definitions of include/shearband/strain.h and analysis.h:

  neighbours   cKDTree(ref, boxsize=L).query_pairs(rc) -> both directions (full list),
               d0 = minimum image in the cubic reference box
  current bond u_i = s_i(cur) - s_i(ref) - round(.) (reduced coordinates),
               d = d0 H_R^-1 H_C + (u_j - u_i) H_C
  fit          X = sum d d0^T, Y = sum d0 d0^T (einsum outer products summed per atom with
               bincount), flag det(Y) < 1e-4 (tr Y / 3)^3, J = X Y^-1 (batched inv),
               D2min = sum |d - J d0|^2 (second pass over the bonds), von Mises strain of J
  band         top 1 % by D2min (ties: lower id), fraction profiles along X and Y with
               19 A slabs every 1 A in reduced coordinates (vectorised over atoms, one pass
               per centre), highest peak (Y first on ties), plateau middle, then the mean
               position of the marked atoms in the peak slab.

Prints one line of key=value pairs (best wall and CPU time of --repeats runs, peak RSS of
this process, the band) and writes DIR/d2min_peer.npy and DIR/strain_peer.npy.
"""
import argparse
import resource
import time

import numpy as np
from scipy.spatial import cKDTree


def d2min(xr, xc, L, xy, rc=5.0, tol=1e-4):
    n = len(xr)
    tree = cKDTree(xr, boxsize=L)
    p = tree.query_pairs(rc, output_type="ndarray")
    i = np.concatenate((p[:, 0], p[:, 1]))
    j = np.concatenate((p[:, 1], p[:, 0]))
    d0 = xr[j] - xr[i]
    d0 -= L * np.round(d0 / L)
    Hr = np.diag([L, L, L])
    Hc = np.array([[L, 0.0, 0.0], [xy, L, 0.0], [0.0, 0.0, L]])
    u = xc @ np.linalg.inv(Hc) - xr @ np.linalg.inv(Hr)
    u -= np.round(u)
    U = u @ Hc
    d = d0 @ (np.linalg.inv(Hr) @ Hc) + U[j] - U[i]
    X = np.empty((n, 9))
    Y = np.empty((n, 9))
    xo = np.einsum("pa,pb->pab", d, d0).reshape(-1, 9)
    yo = np.einsum("pa,pb->pab", d0, d0).reshape(-1, 9)
    for k in range(9):
        X[:, k] = np.bincount(i, weights=xo[:, k], minlength=n)
        Y[:, k] = np.bincount(i, weights=yo[:, k], minlength=n)
    X = X.reshape(n, 3, 3)
    Y = Y.reshape(n, 3, 3)
    cnt = np.bincount(i, minlength=n)
    tr3 = np.trace(Y, axis1=1, axis2=2) / 3.0
    sing = (cnt < 3) | ~(np.linalg.det(Y) > tol * tr3 ** 3)
    Y[sing] = np.eye(3)
    J = np.einsum("pab,pbc->pac", X, np.linalg.inv(Y))
    J[sing] = np.eye(3)
    r = d - np.einsum("pab,pb->pa", J[i], d0)
    D = np.bincount(i, weights=np.einsum("pa,pa->p", r, r), minlength=n)
    D[sing] = 0.0
    E = 0.5 * (np.einsum("pka,pkb->pab", J, J) - np.eye(3))
    vm = np.sqrt(E[:, 0, 1] ** 2 + E[:, 0, 2] ** 2 + E[:, 1, 2] ** 2 +
                 ((E[:, 0, 0] - E[:, 1, 1]) ** 2 + (E[:, 0, 0] - E[:, 2, 2]) ** 2 +
                  (E[:, 1, 1] - E[:, 2, 2]) ** 2) / 6.0)
    return D, vm, Hc


def band(xc, Hc, D, f_top=0.01, width=19.0, step=1.0):
    n = len(D)
    ids = np.arange(1, n + 1)
    n_top = max(1, int(np.floor(f_top * n + 0.5)))
    top = np.zeros(n, dtype=bool)
    top[np.lexsort((ids, -D))[:n_top]] = True
    s_all = xc @ np.linalg.inv(Hc)
    s_all -= np.floor(s_all)
    vol = abs(np.linalg.det(Hc))
    prof = {}
    for axis in (0, 1):
        W = vol / np.linalg.norm(np.cross(Hc[(axis + 1) % 3], Hc[(axis + 2) % 3]))
        M = int(np.ceil(W / step - 1e-9))
        h = width / (2.0 * W)
        s = s_all[:, axis]
        val = np.empty(M)
        for m in range(M):
            ds = s - m * step / W
            ds -= np.round(ds)
            inside = np.abs(ds) <= h
            k = np.count_nonzero(inside)
            val[m] = np.count_nonzero(inside & top) / k if k else 0.0
        prof[axis] = (W, val, s)
    best = max(prof[1][1].max(), prof[0][1].max())
    axis = 1 if prof[1][1].max() >= prof[0][1].max() else 0
    W, val, s = prof[axis]
    M = len(val)
    at = val == best
    if at.all():
        start, length = 0, M
    else:
        m0 = int(np.argmin(at))
        start, length, cur_s, cur_l = 0, 0, 0, 0
        for k in range(1, M + 1):
            m = (m0 + k) % M
            if at[m]:
                if cur_l == 0:
                    cur_s = m
                cur_l += 1
                if cur_l > length:
                    start, length = cur_s, cur_l
            else:
                cur_l = 0
    centre = start * step + 0.5 * (length - 1) * step
    if centre >= W:
        centre -= W
    c0 = centre / W
    ds = s[top] - c0
    ds -= np.round(ds)
    ds = ds[np.abs(ds) <= width / (2.0 * W)]
    if len(ds):
        centre = (c0 + ds.mean()) * W
        centre -= W * np.floor(centre / W)
    return axis, centre


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--box", type=float, required=True)
    ap.add_argument("--xy", type=float, required=True)
    ap.add_argument("--repeats", type=int, default=2)
    a = ap.parse_args()
    xr = np.load(a.dir + "/ref.npy")
    xc = np.load(a.dir + "/cur.npy")
    best = (1e300, 0, 0)
    best_cpu = 1e300
    for _ in range(a.repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        D, vm, Hc = d2min(xr, xc, a.box, a.xy)
        t1 = time.perf_counter()
        axis, centre = band(xc, Hc, D)
        t2, c2 = time.perf_counter(), time.process_time()
        if t2 - t0 < best[0]:
            best = (t2 - t0, t1 - t0, t2 - t1)
        best_cpu = min(best_cpu, c2 - c0)
    np.save(a.dir + "/d2min_peer.npy", D)
    np.save(a.dir + "/strain_peer.npy", vm)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"n={len(xr)} t_d2min={best[1]:.6f} t_band={best[2]:.6f} t={best[0]:.6f} cpu={best_cpu:.6f} "
          f"rss_mb={rss:.1f} band_axis={axis} band_centre={centre:.4f}")


if __name__ == "__main__":
    main()
