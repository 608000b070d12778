#!/usr/bin/python3
"""PyTorch peer for bench_fertile.c: inference of the default proj_xy fertile-site CNN
(conv16k3-relu-pool-conv32k3-relu-pool-conv32k3-relu-pool-dense64-relu-dense1 on 2x32x32)
over the SAME maps shearband computed (raw float32 file from bench_fertile --dump-maps),
batch 256, model.eval() under torch.inference_mode(). PyTorch has no SDM: this times the
network alone, to compare with shearband's predict_s - maps_s. Prints one line
"fertile-bench impl=pytorch ... net_s_per_31104=..." (time scaled to 31,104 atoms).
Run with MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=68719476736 (NOTES.md).
"""
import argparse
import time

import numpy as np
import torch
import torch.nn as nn

ap = argparse.ArgumentParser()
ap.add_argument("maps")
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--batch", type=int, default=256)
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(1)
x = torch.from_numpy(np.fromfile(a.maps, dtype=np.float32).reshape(-1, 2, 32, 32))
model = nn.Sequential(
    nn.Conv2d(2, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(32 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, 1)).eval()
with torch.inference_mode():
    model(x[: a.batch])  # warm-up
    t0 = time.perf_counter()
    for i in range(0, x.shape[0], a.batch):
        torch.sigmoid(model(x[i: i + a.batch]))
    t = time.perf_counter() - t0
print(f"fertile-bench impl=pytorch-{torch.__version__} threads={a.threads} maps={x.shape[0]} "
      f"net_s={t:.3f} net_s_per_31104={t * 31104 / x.shape[0]:.3f}")
