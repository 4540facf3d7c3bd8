"""Exhaustive enumeration speed: expressions evaluated per second, and the time to
exhaust every tree of up to N nodes, for 1, 2 and 3 variables, on the CPU and (when
there is one) the GPU.

    python benchmarks/enumeration_speed.py [--sizes 1:7 2:6 3:6] [--rows 32] [--threads 1]

Uses the default library's unary primitives (as the ``enumerate`` lever does), the leaves
1 and 2 and ``+ − × ÷``; "evaluated" counts every expression computed (before the
non-finite, constant and duplicate ones are dropped), "kept" the distinct expressions
stored as children. The first call on a device is a warm-up and is not timed.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import sympy
import torch

from symkan.search.enumerate import enumerate_expressions, unary_ops
from symkan.symbolic.library import DEFAULT_LIBRARY


def _run(d: int, size: int, rows: int, device: str) -> tuple[float, int, int]:
    rng = np.random.default_rng(0)
    X = rng.uniform(0.5, 3.0, (rows, d))
    y = np.sin(X).sum(axis=1) + X[:, 0] ** 2
    Xt = torch.tensor(X, device=device)
    yt = torch.tensor(y, device=device)
    symbols = sympy.symbols(f"x0:{d}", real=True)
    ops = unary_ops(DEFAULT_LIBRARY)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    start = time.perf_counter()
    en = enumerate_expressions(Xt, yt, symbols, ops, size)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - start, en.scored, sum(v.shape[0] for v in en.values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1:7", "2:6", "3:6"],
                        help="VARIABLES:MAX_SIZE pairs")
    parser.add_argument("--rows", type=int, default=32, help="probe rows (default 32)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch "
          f"{torch.__version__}, {args.threads} thread(s), {args.rows} probe rows, "
          f"{len(unary_ops(DEFAULT_LIBRARY))} unary ops"
          + (f", GPU {torch.cuda.get_device_name(0)}" if len(devices) > 1 else ", no GPU"))
    print("| device | variables | max size | evaluated | kept (stored) | seconds | "
          "evaluated per second |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for device in devices:
        _run(1, 3, args.rows, device)  # warm-up
        for spec in args.sizes:
            d, top = (int(v) for v in spec.split(":"))
            for size in range(3, top + 1):
                seconds, scored, kept = _run(d, size, args.rows, device)
                print(f"| {device} | {d} | {size} | {scored:,} | {kept:,} | {seconds:.2f} | "
                      f"{scored / seconds:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
