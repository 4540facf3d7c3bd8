"""The ``symkan`` command: a thin layer over `symkan.pipeline`.

The result goes to stdout; progress and messages go to stderr. Bad input exits with
status 2 and a message that says what to fix, and leaves no run folder behind.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from symkan.errors import InputError, SymkanError


class _Progress:
    """One status line on stderr, rewritten in place when stderr is a terminal."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.start = time.perf_counter()
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def line(self, text: str, *, final: bool = False) -> None:
        if self.quiet:
            return
        stamp = f"[{time.perf_counter() - self.start:6.1f}s] "
        if self.tty and not final:
            sys.stderr.write("\r\033[K" + stamp + text)
        else:
            sys.stderr.write(("\r\033[K" if self.tty else "") + stamp + text + "\n")
        sys.stderr.flush()

    def __call__(self, stage: str, info: dict) -> None:
        now = time.perf_counter()
        if stage == "train":
            if "step" not in info:
                self.line(f"training ({info.get('phase', '')})", final=True)
            elif now - self.last > (0.2 if self.tty else 10.0):
                self.last = now
                self.line(f"training ({info['phase']}): step {info['step'] + 1}, "
                          f"loss {info['loss']:.3e}")
        elif stage == "prune":
            self.line(f"pruned to width {list(info['widths'])}", final=True)
        elif stage == "snap":
            self.line("snapping edges to symbolic primitives", final=True)
        elif stage == "separate":
            self.line(f"separability tests on the KAN surrogate (its relative error "
                      f"{info.get('surrogate_rel_rmse', float('nan')):.2g}): "
                      f"{len(info.get('trees', []))} candidate tree(s)", final=True)
        elif stage == "budget":
            self.line(f"time budget spent after {info['seconds']:.0f}s: skipping the "
                      "remaining candidates", final=True)
        elif stage == "candidate":
            if "error" in info:
                self.line(f"candidate {info['method']}: failed ({info['error']})", final=True)
            else:
                self.line(f"candidate {info['method']}: {info['formula']}  "
                          f"(val rmse {info['val_rmse']:.3g})", final=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="symkan",
        description="Symbolic regression with Kolmogorov-Arnold Networks: CSV in, formula out.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    fit = sub.add_parser("fit", help="find a closed-form formula for a column of a CSV file")
    fit.add_argument("data", type=Path, help="CSV file with a header row")
    fit.add_argument("--target", help="column to explain (default: the last column)")
    fit.add_argument("--out", type=Path, help="run folder (default: reports/<csv name>/)")
    fit.add_argument("--seed", type=int, default=0)
    fit.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    fit.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return parser


def _fit(args: argparse.Namespace) -> int:
    from symkan.artifacts import run_files
    from symkan.data import load_csv
    from symkan.pipeline import FitConfig, fit
    from symkan.report import write_run

    progress = _Progress(args.quiet)
    dataset = load_csv(args.data, args.target)
    out = args.out or Path("reports") / Path(args.data).stem
    if out.exists() and (not out.is_dir() or (any(out.iterdir())
                                              and not (out / "result.json").exists())):
        raise InputError(
            f"--out {str(out)!r} exists and is not a symkan run folder (no result.json); "
            "choose another --out, or remove it first"
        )
    progress.line(
        f"{dataset.source}: {dataset.n_rows} rows, target {dataset.target_name!r}, "
        f"features {list(dataset.feature_names)}", final=True,
    )
    result = fit(dataset, FitConfig(seed=args.seed, device=args.device), on_progress=progress)
    files, notes = run_files(result)
    folder = write_run(out, files)
    for note in notes:
        progress.line(note, final=True)
    progress.line(
        f"held-out R² {result.r2:.6g}, RMSE {result.rmse:.3g}, complexity {result.complexity}, "
        f"{result.seconds:.1f}s on {result.device}; run folder {folder}", final=True,
    )
    print(f"{dataset.target_name} = {result.expr}")
    return 0


def _set_threads() -> None:
    """One torch thread unless SYMKAN_THREADS says otherwise: symkan's tensors are small,
    and several threads on a busy machine slow them down by 10× or more (measured)."""
    import os

    import torch
    from threadpoolctl import threadpool_limits

    threads = int(os.environ.get("SYMKAN_THREADS", "1"))
    torch.set_num_threads(threads)
    threadpool_limits(threads)  # numpy/scipy BLAS too: same bits on every run


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _set_threads()
    try:
        if args.command == "fit":
            return _fit(args)
    except InputError as err:
        print(f"symkan: error: {err}", file=sys.stderr)
        return 2
    except SymkanError as err:
        print(f"symkan: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("symkan: interrupted; nothing was written", file=sys.stderr)
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
