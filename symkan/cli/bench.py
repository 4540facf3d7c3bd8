"""``symkan bench SUITE``: run a benchmark suite, resumably, and write its summary."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from symkan.bench.runner import PROTOCOLS, BenchConfig, read_meta, tasks
from symkan.bench.runner import run as run_bench
from symkan.bench.summary import headline_table
from symkan.errors import InputError


def add_parser(sub) -> None:
    p = sub.add_parser(
        "bench", help="run the pipeline on a benchmark suite and judge found vs true formulas",
        description="Fit every problem of a suite (see `symkan datasets list`), judge each "
        "found formula against the true one, and write results.jsonl and summary.md. "
        "Re-running the same command resumes an interrupted run.",
    )
    p.add_argument("suite", help="feynman, bonus, kan-paper or special")
    p.add_argument("--method", default="symkan",
                   help="symkan, symkan-units (given the columns' units), operon, or several "
                        "comma-separated (same rows, same judge)")
    p.add_argument("--limit", type=int, help="only the first N problems")
    p.add_argument("--names", help="only these problems, comma-separated")
    p.add_argument("--noise", type=float, default=0.0,
                   help="Gaussian noise, std = level × RMS of the target (SRBench)")
    p.add_argument("--protocol", default="symkan", choices=sorted(PROTOCOLS),
                   help="symkan: 1,000 training rows, one seed; srbench: SRBench's 10,000 "
                        "training rows, 10,000 test rows, 5 seeds (noise on the training "
                        "target only, noiseless test rows, in both)")
    p.add_argument("--seeds", type=int, help="seeds per problem (default: the protocol's)")
    p.add_argument("--n", type=int, help="training rows per problem (default: the protocol's)")
    p.add_argument("--time-budget", type=float, default=120.0, help="seconds per problem")
    p.add_argument("--workers", type=int, default=2, help="local processes (1 thread each)")
    p.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--out", type=Path,
                   help="results folder (default reports/bench/<suite>[-srbench][-noise<L>])")
    p.add_argument("--fast", action="store_true",
                   help="tiny training settings, for smoke tests only")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(run=run)


class _Progress:
    def __init__(self, quiet: bool) -> None:
        self.quiet, self.start, self.count, self.solved = quiet, time.perf_counter(), 0, 0

    def __call__(self, record: dict, done: int, total: int) -> None:
        self.count += 1
        self.solved += record.get("level") in ("exact", "symbolic")
        if self.quiet:
            return
        elapsed = time.perf_counter() - self.start
        left = elapsed / self.count * (total - done)
        found = record.get("found") or record.get("error") or ""
        found = found if len(found) <= 70 else found[:67] + "..."
        r2 = record.get("r2")
        print(f"[{done}/{total}] {record['method']} {record['problem']}: {record['level']}"
              f" (R² {r2 if r2 is None else f'{r2:.6f}'}, {record['seconds']:.1f}s)  {found}\n"
              f"        solved {self.solved}/{self.count} this run; "
              f"{elapsed / self.count:.1f}s per problem; ~{_clock(left)} left",
              file=sys.stderr, flush=True)


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"


def run(args: argparse.Namespace) -> int:
    methods = tuple(m.strip() for m in args.method.split(",") if m.strip())
    rows = PROTOCOLS[args.protocol]
    config = BenchConfig(
        suite=args.suite, methods=methods, limit=args.limit,
        names=tuple(n.strip() for n in (args.names or "").split(",") if n.strip()),
        noise=args.noise, seeds=args.seeds if args.seeds is not None else rows["seeds"],
        n=args.n if args.n is not None else rows["n"], n_test=rows["n_test"],
        time_budget=args.time_budget, fast=args.fast, protocol=args.protocol,
    )
    if args.workers < 1:
        raise InputError("--workers must be at least 1")
    todo = tasks(config)  # validates the suite, names and methods before anything is written
    out = args.out or Path("reports/bench") / (
        args.suite + ("-srbench" if args.protocol == "srbench" else "")
        + (f"-noise{args.noise:g}" if args.noise else ""))
    if out.exists() and (not out.is_dir() or (any(out.iterdir())
                                              and not (out / "results.jsonl").exists())):
        raise InputError(f"--out {str(out)!r} exists and is not a symkan bench folder "
                         "(no results.jsonl); choose another --out")
    if not args.quiet:
        where = args.scheduler or f"{args.workers} local process(es)"
        print(f"symkan bench {args.suite}: {len(todo)} task(s) on {where}; results in {out}/",
              file=sys.stderr, flush=True)
    try:
        records = run_bench(config, out, workers=args.workers, scheduler=args.scheduler,
                            on_record=_Progress(args.quiet))
    except KeyboardInterrupt:
        print(f"symkan: interrupted; finished problems are kept in {out}/results.jsonl, "
              "run the same command again to resume", file=sys.stderr)
        return 130

    print(headline_table(records, read_meta(out)))
    print(f"\nsummary: {out / 'summary.md'}")
    return 0
