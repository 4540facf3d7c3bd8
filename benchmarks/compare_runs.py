"""Print what changed between two `symkan bench` runs, and where the time went.

    python benchmarks/compare_runs.py NEW_results.jsonl [OLD_results.jsonl] [--method M]

OLD may be a git revision's file (`git show REV:reports/bench/feynman/results.jsonl >
/tmp/old.jsonl`). For each method present in NEW: solved (SRBench's symbolic solution),
median seconds (all, solved, unsolved), the laws gained and lost against OLD, how many
laws each lever solved (the lever path of the chosen formula), and the seconds spent per
lever summed over the problems (from the records' ``timings``).
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import Counter, defaultdict
from pathlib import Path

SOLVED = ("exact", "symbolic")


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _median(values) -> str:
    values = list(values)
    return f"{statistics.median(values):.1f}" if values else "–"


def report(new: list[dict], old: list[dict], method: str) -> None:
    recs = [r for r in new if r["method"] == method]
    before = {r["problem"]: r for r in old if r["method"] == method}
    solved = [r for r in recs if r["level"] in SOLVED]
    print(f"## {method}: {len(solved)}/{len(recs)} solved")
    print(f"median s: all {_median(r['seconds'] for r in recs)}, solved "
          f"{_median(r['seconds'] for r in solved)}, unsolved "
          f"{_median(r['seconds'] for r in recs if r['level'] not in SOLVED)}; "
          f"mean {sum(r['seconds'] for r in recs) / max(len(recs), 1):.1f}")
    if before:
        gained = [r["problem"] for r in solved if before.get(r["problem"], {}).get("level")
                  not in SOLVED]
        lost = [r["problem"] for r in recs if r["level"] not in SOLVED
                and before.get(r["problem"], {}).get("level") in SOLVED]
        print(f"gained ({len(gained)}): {', '.join(gained) or '–'}")
        print(f"lost ({len(lost)}): {', '.join(lost) or '–'}")
    levers = Counter((r.get("lever") or "?").split(" ")[0] for r in solved)
    print("solved by lever:", ", ".join(f"{k} {v}" for k, v in levers.most_common()))
    seconds: dict[str, float] = defaultdict(float)
    for r in recs:
        for path, s in (r.get("timings") or {}).items():
            if "/" not in path:  # top-level levers: their time includes sub-problems
                seconds[path] += s
    if seconds:
        print("seconds per lever (summed):",
              ", ".join(f"{k} {v:.0f}" for k, v in sorted(seconds.items(),
                                                           key=lambda kv: -kv[1])))
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("new", type=Path)
    parser.add_argument("old", type=Path, nargs="?")
    parser.add_argument("--method", action="append")
    args = parser.parse_args()
    new = load(args.new)
    old = load(args.old) if args.old else []
    for method in args.method or sorted({r["method"] for r in new}):
        report(new, old, method)


if __name__ == "__main__":
    main()
