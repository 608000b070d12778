#!/usr/bin/env python3
"""What a linear read-out of the grid3d spatial density map has learnt.

    scripts/map-weight-harmonics.py MODEL.sbnn

MODEL must be a `shearband train --arch dense1` model on a grid3d map: its weights form
one field w(x, y, z) per species over the map's cube, in the loading frame (simple shear
in xy). Per species and per 1 A shell around the centre atom, the field is projected on
the isotropic term and the five l = 2 (quadrupole) shapes xy, x2-y2, xz, yz, 3z2-r2
(least-squares coefficient of each over the voxels of the shell). xz and yz are odd
under the symmetry augmentation (half turn about z, mirror z), so training drives them
toward zero; the other terms are free, so which of them the data select is a finding. Reads the file layout documented in
src/nn/nn_file.c (the checksum is not verified here: use `shearband` to validate files).
Needs numpy only.
"""
import struct
import sys

import numpy as np


def read_dense1(path):
    b = open(path, "rb").read()
    if b[:4] != b"SBNN":
        sys.exit(f"{path}: not a shearband CNN model file (SBNN)")
    meta_len = struct.unpack_from("<I", b, 16)[0]
    meta = dict(l.split("=", 1) for l in b[20:20 + meta_len].decode().splitlines() if "=" in l)
    off = 20 + meta_len
    c, d, h, w = struct.unpack_from("<4I", b, off)
    off += 16
    nlayers = struct.unpack_from("<I", b, off)[0]
    off += 4 + 16 * nlayers
    nparams = struct.unpack_from("<Q", b, off)[0]
    off += 8
    if nlayers != 1 or nparams != c * d * h * w + 1 or d == 1:
        sys.exit(f"{path}: expected one dense1 layer on a 3D map, found {nlayers} layers, "
                 f"{nparams} parameters for input {c}x{d}x{h}x{w}")
    p = np.frombuffer(b, dtype="<f4", count=nparams, offset=off)
    return p[:-1].reshape(c, d, h, w), meta  # [species][x][y][z], z fastest


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    wts, meta = read_dense1(sys.argv[1])
    g = wts.shape[1]
    hw = float(meta.get("sdm_half_width", meta.get("sdm.half_width", "8")))
    pix = 2 * hw / g
    u = (np.arange(g) + 0.5) * pix - hw  # voxel centres, A
    x, y, z = np.meshgrid(u, u, u, indexing="ij")
    r = np.sqrt(x**2 + y**2 + z**2)
    shapes = {"iso": np.ones_like(r), "xy": x * y / r**2, "x2-y2": (x**2 - y**2) / r**2,
              "xz": x * z / r**2, "yz": y * z / r**2, "3z2-r2": (3 * z**2 - r**2) / (2 * r**2)}
    print("species shell_A " + " ".join(f"{k:>7}" for k in shapes))
    for ch in range(wts.shape[0]):
        for r0 in range(2, int(hw)):
            m = (r >= r0) & (r < r0 + 1)
            coef = [(wts[ch][m] * f[m]).sum() / (f[m] ** 2).sum() for f in shapes.values()]
            print(f"{ch + 1:7d} {r0}-{r0 + 1}    " + " ".join(f"{v:+7.3f}" for v in coef))


if __name__ == "__main__":
    main()
