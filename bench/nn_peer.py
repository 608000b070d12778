#!/usr/bin/python3
"""PyTorch peer for bench_nn.c: the same CNN, batch, loss and optimiser.

conv16k3-relu-pool-conv32k3-relu-pool-dense64-relu-dense1 on 2x32x32 (--sdm proj_xy), or
shearband's grid3d default conv8k3-relu-pool-conv16k3-relu-pool-dense32-relu-dense1 on
2x16x16x16 (--sdm grid3d), BCEWithLogitsLoss
(pos_weight 19) + Adam; inference = model.eval() forward under torch.inference_mode().
Prints one "nn-bench key=value ..." line like bench_nn. Run it with
MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=68719476736 (see NOTES.md: glibc
otherwise returns the activation buffers to the OS every step and PyTorch spends ~40 % of
its time in page faults) -- bench/run_nn.sh does.
"""
import argparse
import os
import resource
import time

import torch
import torch.nn as nn

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--batch", type=int, default=256)
ap.add_argument("--train-iters", type=int, default=20)
ap.add_argument("--infer-iters", type=int, default=40)
ap.add_argument("--sdm", choices=("proj_xy", "grid3d"), default="proj_xy")
a = ap.parse_args()

torch.set_num_threads(a.threads)
torch.manual_seed(1)
if a.sdm == "grid3d":
    model = nn.Sequential(
        nn.Conv3d(2, 8, 3, padding=1), nn.ReLU(), nn.MaxPool3d(2),
        nn.Conv3d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool3d(2),
        nn.Flatten(), nn.Linear(16 * 4 * 4 * 4, 32), nn.ReLU(), nn.Linear(32, 1))
    shape = (2, 16, 16, 16)
else:
    model = nn.Sequential(
        nn.Conv2d(2, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 8 * 8, 64), nn.ReLU(), nn.Linear(64, 1))
    shape = (2, 32, 32)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
lossf = nn.BCEWithLogitsLoss(pos_weight=torch.tensor([19.0]))
x = torch.rand(a.batch, *shape)
y = (torch.arange(a.batch) % 20 == 0).float().unsqueeze(1)


def step():
    opt.zero_grad(set_to_none=True)
    loss = lossf(model(x), y)
    loss.backward()
    opt.step()
    return loss.item()


model.train()
for _ in range(2):
    step()
t0 = time.perf_counter()
for _ in range(a.train_iters):
    loss = step()
t1 = time.perf_counter()
model.eval()
with torch.inference_mode():
    for _ in range(2):
        model(x)
    t2 = time.perf_counter()
    for _ in range(a.infer_iters):
        model(x)
    t3 = time.perf_counter()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
malloc = "tuned" if os.environ.get("MALLOC_MMAP_THRESHOLD_") else "default"
print(f"nn-bench impl=pytorch-{torch.__version__} sdm={a.sdm} threads={a.threads} batch={a.batch} "
      f"train_img_s={a.batch * a.train_iters / (t1 - t0):.1f} "
      f"infer_img_s={a.batch * a.infer_iters / (t3 - t2):.1f} peak_rss_mb={rss:.1f} loss={loss:.4f} "
      f"malloc={malloc}")
