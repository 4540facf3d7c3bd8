"""Training speed of a KAN on the CPU and, when there is one, the GPU, side by side.

    python benchmarks/train_speed.py [--rows 1000 10000 100000] [--width 5 9 1]
        [--grid 20] [--steps 30] [--threads 1]

Trains the same network (same seed, float64, L-BFGS with the sparsity penalty, as the
pipeline's first phase) on each device and prints seconds per step and the ratio. The
first call on a device is a warm-up and is not timed.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np
import torch

from symkan.kan import KAN
from symkan.kan.train import TrainConfig, train


def _data(rows: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (rows, d))
    y = np.exp(np.sin(np.pi * X[:, 0]) + X[:, 1] ** 2) + X[:, 2:].sum(1)
    return X, y


def _time(widths, grid, X, y, steps, device) -> float:
    model = KAN(widths, grid_size=grid, generator=torch.Generator().manual_seed(0)).to(device)
    Xt = torch.as_tensor(X, dtype=torch.float64, device=device)
    yt = torch.as_tensor(y[:, None], dtype=torch.float64, device=device)
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    train(model, Xt, yt, TrainConfig(steps=steps, lamb=1e-3, tol=0.0))
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[1000, 10_000, 100_000])
    ap.add_argument("--width", type=int, nargs="+", default=[5, 9, 1])
    ap.add_argument("--grid", type=int, default=20)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    devices = [torch.device("cpu")]
    if torch.cuda.is_available():
        devices.append(torch.device("cuda"))
    print(f"# python {' '.join(sys.argv)}")
    print(f"# {platform.platform()}; {os.cpu_count()} cores, {args.threads} torch thread(s); "
          f"torch {torch.__version__}"
          + (f"; GPU {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else
             "; no GPU"))
    print(f"# KAN {args.width}, grid {args.grid}, float64, L-BFGS with sparsity penalty, "
          f"{args.steps} steps")
    head = "| rows | " + " | ".join(f"{d.type} s/step" for d in devices)
    print(head + (" | cpu / cuda |" if len(devices) > 1 else " |"))
    print("|---" * (len(devices) + 1 + (len(devices) > 1)) + "|")
    for rows in args.rows:
        X, y = _data(rows, args.width[0])
        times = []
        for device in devices:
            _time(args.width, args.grid, X[:256], y[:256], 2, device)  # warm-up
            times.append(_time(args.width, args.grid, X, y, args.steps, device))
        line = f"| {rows} | " + " | ".join(f"{t:.4f}" for t in times)
        line += f" | {times[0] / times[1]:.1f}× |" if len(times) > 1 else " |"
        print(line, flush=True)


if __name__ == "__main__":
    main()
