"""Recovery rate of `symkan fit`'s pipeline on the AI Feynman equations (default settings).

    python benchmarks/feynman_recovery.py [--suite feynman|bonus] [--limit N] [--n 1000]
        [--names I.6.2a I.12.11 ...] [--out reports/bench/feynman.jsonl]

Prints one line per problem and a summary (exact and symbolic-solution rates, median
seconds). Results are appended to a JSONL file; problems already there are skipped, so an
interrupted run resumes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import torch

from symkan.bench.metrics import match_level
from symkan.bench.problems import load_suite
from symkan.pipeline import FitConfig, fit


def run_one(p, n: int, seed: int) -> dict:
    ds = p.sample(n, seed=seed)
    t = time.perf_counter()
    try:
        res = fit(ds, FitConfig(seed=seed))
        found, r2 = res.expr, res.r2
        level = match_level(found, p.expr, p.symbols(), p.low, p.high)
    except Exception as err:  # noqa: BLE001 - a benchmark records any failure and goes on
        found, r2, level = f"error: {type(err).__name__}: {err}", float("nan"), "error"
    return {"name": p.name, "true": p.formula, "found": str(found), "level": level,
            "r2": r2, "seconds": round(time.perf_counter() - t, 2), "n_vars": len(p.variables)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suite", default="feynman")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--names", nargs="*")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("reports/bench/feynman_recovery.jsonl"))
    ap.add_argument("--workers", type=int, default=2, help="processes, one torch thread each")
    args = ap.parse_args()
    problems = load_suite(args.suite)
    if args.names:
        problems = [p for p in problems if p.name in args.names]
    problems = problems[: args.limit]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    done = {}
    if args.out.exists():
        for line in args.out.read_text().splitlines():
            rec = json.loads(line)
            done[rec["name"]] = rec
    print(f"# {' '.join(sys.argv)}", flush=True)
    print(f"# {platform.platform()}; {os.cpu_count()} cores; torch {torch.__version__}; "
          f"{args.workers} worker processes, 1 torch thread each", flush=True)
    todo = [p for p in problems if p.name not in done]
    with ProcessPoolExecutor(args.workers, initializer=torch.set_num_threads,
                             initargs=(1,)) as pool:
        futures = [pool.submit(run_one, p, args.n, args.seed) for p in todo]
        for fut in as_completed(futures):
            rec = fut.result()
            done[rec["name"]] = rec
            with open(args.out, "a") as fh:
                fh.write(json.dumps(rec) + "\n")
            print(f"{rec['name']:10s} {rec['level']:9s} {rec['seconds']:7.1f}s  "
                  f"r2={rec['r2']:.6g}  {rec['found']}", flush=True)
    recs = [done[p.name] for p in problems if p.name in done]
    n = len(recs)
    exact = sum(r["level"] == "exact" for r in recs)
    symb = sum(r["level"] in ("exact", "symbolic") for r in recs)
    r2ok = sum(isinstance(r["r2"], float) and r["r2"] > 0.999 for r in recs)
    med = statistics.median(r["seconds"] for r in recs) if recs else float("nan")
    line = (f"{n} problems: exact {exact} ({100 * exact / max(n, 1):.1f}%), symbolic solution "
            f"{symb} ({100 * symb / max(n, 1):.1f}%), R2>0.999 {r2ok}, median {med:.1f}s")
    print("\n" + line)
    rows = ["| problem | vars | level | test R² | seconds | found |", "|---|---|---|---|---|---|"]
    for r in recs:
        found = r["found"] if len(r["found"]) < 90 else r["found"][:87] + "..."
        rows.append(f"| {r['name']} | {r['n_vars']} | {r['level']} | {r['r2']:.6g} | "
                    f"{r['seconds']} | `{found}` |")
    md = args.out.with_suffix(".md")
    md.write_text(f"# {args.suite}: symkan default settings, {args.n} noiseless rows\n\n"
                  f"`python {' '.join(sys.argv)}`\n\n**{line}**\n\n" + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
