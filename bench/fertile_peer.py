#!/usr/bin/python3
"""PyTorch peer for bench_fertile.c: fertile-site inference of one orientation of the glass
that bench_fertile --dump-glass wrote, SDM construction included, as shearband does it.

SDM (--sdm): shearband's proj_xy or grid3d map (include/shearband/sdm.h), vectorised with numpy/scipy
one batch of atoms at a time: the neighbours in the cube |d_k| <= h + 3 sigma come from a
periodic scipy cKDTree queried in the Chebyshev norm (exactly that cube), displacements are
rotated into the loading frame (the rotation is on the glass file's comment line), atoms
with |Z| <= h are kept (proj_xy; grid3d keeps all), and each adds the outer product of its
1D Gaussian weight vectors (the pixel centres within 3 sigma, same rounding rule as sdm.c) to
its species channel; the outer products of one map are summed by one matrix product (batched
matmul over the maps of a batch; grid3d: one np.bincount over the voxel indices of the
batch).
Network: shearband's default for the kind (sb_fertile_default_arch): proj_xy
conv16k3-relu-pool-conv32k3-relu-pool-conv32k3-relu-pool-dense64-relu-dense1 on 2x32x32,
grid3d conv8k3-relu-pool-conv16k3-relu-pool-dense32-relu-dense1 on 2x16x16x16;
model.eval() under torch.inference_mode(), batch 256, then a sigmoid.

Timed: building the tree (the peer's counterpart of shearband's builder) + every atom's
maps + the network on them (sdm_s, net_s, total_s = sdm_s + net_s). Reading the glass file
is not timed (shearband's predict_s does not read files either). After the timing the first
N maps are recomputed and checked against the maps shearband dumped (--dump-maps), and the
maximum absolute and relative differences are printed; peak_rss_mb is taken before that.
Prints one line "fertile-bench impl=pytorch-... key=value ...".
Run with MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=68719476736 (NOTES.md).
"""
import argparse
import resource
import time

import numpy as np
import torch
import torch.nn as nn
from scipy.spatial import cKDTree

H, SIGMA, NSPEC = 8.0, 0.5, 2  # sb_sdm_params_default()
G = 32  # proj_xy; 16 for grid3d (sb_fertile_default_sdm), set in main()


def read_glass(path):
    """Orthogonal LAMMPS data file (atom_style atomic) -> (lo, L, type, x, rot)."""
    with open(path) as f:
        lines = f.read().splitlines()
    rot = np.array(lines[0].split("rot")[1].split(), dtype=float).reshape(3, 3)
    lo, hi = np.zeros(3), np.zeros(3)
    for k, tag in enumerate(("xlo", "ylo", "zlo")):
        w = next(ln for ln in lines if tag in ln).split()
        lo[k], hi[k] = float(w[0]), float(w[1])
    assert not any("xy xz yz" in ln for ln in lines), "orthogonal cells only"
    n = int(next(ln for ln in lines if ln.endswith(" atoms")).split()[0])
    start = next(i for i, ln in enumerate(lines) if ln.startswith("Atoms")) + 2
    a = np.array([ln.split()[:5] for ln in lines[start: start + n]], dtype=float)
    a = a[np.argsort(a[:, 0])]
    return lo, hi - lo, a[:, 1].astype(np.int64), a[:, 2:5], rot


class SDM:
    def __init__(self, lo, L, types, x, rot, workers, grid3d=False):
        self.grid3d = grid3d
        self.a = H + 3 * SIGMA
        assert np.all(L > 2 * self.a), "the cube must fit the cell (one image per atom)"
        s = (x - lo) / L
        self.L = L
        self.r = (s - np.floor(s)) * L
        self.r[self.r >= L] = 0.0  # s - floor(s) can round up to 1
        self.ch = types - 1
        self.rot = rot
        self.workers = workers
        self.tree = cKDTree(self.r, boxsize=L)
        self.pix = 2 * H / G
        self.reach_pix = 3 * SIGMA / self.pix
        self.taps = int(np.floor(2 * self.reach_pix)) + 1
        self.norm = 1.0 / (2 * np.pi * SIGMA * SIGMA)
        if grid3d:
            self.norm /= np.sqrt(2 * np.pi) * SIGMA

    def weights(self, u):
        """1D weights of the pixels within 3 sigma of u: ([P, taps] pixel indices, weights);
        taps outside the grid or beyond 3 sigma go to the spare index G with weight 0."""
        x = (u + H) / self.pix - 0.5
        lo = np.ceil(x - self.reach_pix).astype(np.int64)
        hi = np.floor(x + self.reach_pix).astype(np.int64)
        k = lo[:, None] + np.arange(self.taps)
        d = (-H - u)[:, None] + (k + 0.5) * self.pix
        w = np.exp(d * d * (-1 / (2 * SIGMA * SIGMA)))
        out = (k < 0) | (k > np.minimum(hi, G - 1)[:, None])
        w[out] = 0.0
        k[out] = G
        return k, w

    def maps(self, atoms):
        """float32 [len(atoms), NSPEC, G, G] (proj_xy) or [len(atoms), NSPEC, G, G, G]
        (grid3d, axes X, Y, Z as sdm.c lays them out)."""
        B = len(atoms)
        nbr = self.tree.query_ball_point(self.r[atoms], self.a, p=np.inf, workers=self.workers,
                                         return_sorted=False)
        cnt = np.fromiter(map(len, nbr), dtype=np.int64, count=B)
        j = np.concatenate(nbr).astype(np.int64)
        m = np.repeat(np.arange(B), cnt)
        d = self.r[j] - self.r[atoms][m]
        d -= self.L * np.round(d / self.L)
        X = d @ self.rot.T  # exact: rows of rot are signed unit vectors
        keep = np.abs(X[:, 2]) <= H if not self.grid3d else np.ones(len(X), bool)
        X, m, c = X[keep], m[keep], self.ch[j[keep]]
        ku, wu = self.weights(X[:, 0])
        kv, wv = self.weights(X[:, 1])
        if self.grid3d:
            return self.volumes(B, m, c, ku, wu, kv, wv, *self.weights(X[:, 2]))
        # Per map, image = Wv^T Wu with Wv [atoms, channel x (G+1) rows] and Wu [atoms, G+1
        # columns] (index G: the spare for taps off the grid), padded to the largest map.
        cnt = np.bincount(m, minlength=B)
        rank = np.arange(len(m)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        row = (m * cnt.max() + rank)[:, None]  # flat indices: much faster than 3-array indexing
        Wu = np.zeros((B, cnt.max(), G + 1))
        Wv = np.zeros((B, cnt.max(), NSPEC * (G + 1)))
        Wu.reshape(-1)[row * (G + 1) + ku] = wu
        Wv.reshape(-1)[row * (NSPEC * (G + 1)) + (c * (G + 1))[:, None] + kv] = wv * self.norm
        img = np.matmul(Wv.transpose(0, 2, 1), Wu).reshape(B, NSPEC, G + 1, G + 1)
        return img[:, :, :G, :G].astype(np.float32)  # float64 measured faster than float32 here

    def volumes(self, B, m, c, kx, wx, ky, wy, kz, wz):
        """grid3d: every atom adds its taps^3 outer product of 1D weights to its map, one
        np.bincount over the flat voxel indices of the whole batch (index G on each axis:
        the spare for taps off the grid, cropped at the end)."""
        G1 = G + 1
        base = (m * NSPEC + c) * G1
        idx = (((base[:, None] + kx)[:, :, None] * G1 + ky[:, None, :])[:, :, :, None] * G1
               + kz[:, None, None, :])
        w = (wx[:, :, None] * wy[:, None, :])[:, :, :, None] * (wz * self.norm)[:, None, None, :]
        vol = np.bincount(idx.ravel(), w.ravel(), minlength=B * NSPEC * G1 ** 3)
        return vol.reshape(B, NSPEC, G1, G1, G1)[:, :, :G, :G, :G].astype(np.float32)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("glass", help="bench_fertile --dump-glass output")
    ap.add_argument("maps", help="bench_fertile --dump-maps output (first N maps, float32)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--sdm", choices=("proj_xy", "grid3d"), default="proj_xy")
    a = ap.parse_args()
    global G
    grid3d = a.sdm == "grid3d"
    G = 16 if grid3d else 32
    shape = (NSPEC, G, G, G) if grid3d else (NSPEC, G, G)
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    lo, L, types, x, rot = read_glass(a.glass)
    n = len(types)
    if grid3d:
        model = nn.Sequential(
            nn.Conv3d(2, 8, 3, padding=1), nn.ReLU(), nn.MaxPool3d(2),
            nn.Conv3d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool3d(2),
            nn.Flatten(), nn.Linear(16 * 4 * 4 * 4, 32), nn.ReLU(), nn.Linear(32, 1)).eval()
    else:
        model = nn.Sequential(
            nn.Conv2d(2, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, 1)).eval()
    prob = torch.empty(n)
    with torch.inference_mode():
        model(torch.zeros(a.batch, *shape))  # warm-up (shearband's plan time is in its predict_s)
        t_sdm = t_net = 0.0
        t0 = time.perf_counter()
        sdm = SDM(lo, L, types, x, rot, a.threads, grid3d)
        t_sdm += time.perf_counter() - t0
        for i0 in range(0, n, a.batch):
            t0 = time.perf_counter()
            xb = torch.from_numpy(sdm.maps(np.arange(i0, min(i0 + a.batch, n))))
            t1 = time.perf_counter()
            prob[i0: i0 + len(xb)] = torch.sigmoid(model(xb)).view(-1)
            t_net += time.perf_counter() - t1
            t_sdm += t1 - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # check the maps against shearband's
    ref = np.fromfile(a.maps, dtype=np.float32).reshape(-1, *shape)
    err_abs = err_rel = 0.0
    for i0 in range(0, len(ref), a.batch):
        got = sdm.maps(np.arange(i0, min(i0 + a.batch, len(ref))))
        want = ref[i0: i0 + len(got)]
        diff = np.abs(got.astype(np.float64) - want)
        err_abs = max(err_abs, diff.max())
        err_rel = max(err_rel, (diff / np.maximum(np.abs(want), 1e-3 * want.max())).max())
    print(f"fertile-bench impl=pytorch-{torch.__version__} sdm={a.sdm} threads={a.threads} atoms={n} "
          f"sdm_s={t_sdm:.3f} net_s={t_net:.3f} total_s={t_sdm + t_net:.3f} "
          f"maps_per_s={n / t_sdm:.0f} atoms_per_s={n / (t_sdm + t_net):.0f} peak_rss_mb={rss:.0f} "
          f"checked_maps={len(ref)} max_abs_diff={err_abs:.3g} max_rel_diff={err_rel:.3g}")


if __name__ == "__main__":
    main()
