"""A benchmark run's records → ``summary.md`` text (rates per method, per-problem table).

Rates count (problem, seed) records: *symbolic solution* is SRBench's definition (exact
or off by an additive or multiplicative constant), *exact* needs found − true to
simplify to 0 once constants are rounded, and *R² > 0.999* is on fresh noiseless rows.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence

from symkan.bench.special import special_table

SYMBOLIC_LEVELS = ("exact", "symbolic")


def method_stats(records: Sequence[Mapping]) -> dict:
    """Counts and timings of one method's records."""
    n = len(records)
    secs = [r["seconds"] for r in records if r.get("seconds") is not None]
    judged = [r for r in records if r.get("level") not in (None, "n/a")]
    return {
        "n": n,
        "judged": len(judged),
        "symbolic": sum(r.get("level") in SYMBOLIC_LEVELS for r in judged),
        "exact": sum(r.get("level") == "exact" for r in judged),
        "r2": sum((r.get("r2") or -1.0) > 0.999 for r in records),
        "errors": sum(r.get("level") == "error" for r in records),
        "median_s": statistics.median(secs) if secs else float("nan"),
        "mean_s": statistics.fmean(secs) if secs else float("nan"),
        "total_s": sum(secs),
        "surrogate": _surrogate_errors(records),
    }


def _surrogate_errors(records: Sequence[Mapping]) -> tuple[float, float, int, int] | None:
    """Median held-out relative error of the top problem's surrogate over every record
    that has one, the same over those whose search trained it, and the two counts."""
    every = [r["surrogate_error"] for r in records if r.get("surrogate_error") is not None]
    if not every:
        return None
    searched = [r["surrogate_error"] for r in records
                if r.get("surrogate_error") is not None and r.get("surrogate_by_search")]
    return (statistics.median(every), statistics.median(searched) if searched else float("nan"),
            len(every), len(searched))


def _surrogate_cell(s: dict) -> str:
    if s["surrogate"] is None:
        return "–"
    every, searched, n, k = s["surrogate"]
    return f"{every:.1e} ({n}); searches that trained one: {searched:.1e} ({k})"


def _pct(k: int, n: int) -> str:
    return f"{k}/{n} ({100 * k / n:.1f} %)" if n else "–"


def headline_table(records: Sequence[Mapping], meta: Mapping | None = None) -> str:
    """One column per method: the rates and timings (and threads per task, from ``meta``)."""
    methods = list(dict.fromkeys(r["method"] for r in records))
    stats = {m: method_stats([r for r in records if r["method"] == m]) for m in methods}
    meta = meta or {}
    for m in methods:
        stats[m]["threads"] = meta.get(m, {}).get("threads_per_task")
    rows = [
        ("symbolic solution (SRBench)", lambda s: _pct(s["symbolic"], s["judged"])),
        ("exact (found − true = 0)", lambda s: _pct(s["exact"], s["judged"])),
        ("test R² > 0.999", lambda s: _pct(s["r2"], s["n"])),
        ("median seconds per problem", lambda s: f"{s['median_s']:.1f}"),
        ("mean seconds per problem", lambda s: f"{s['mean_s']:.1f}"),
        ("errors", lambda s: str(s["errors"])),
    ]
    if any(stats[m]["surrogate"] for m in methods):
        rows.append(("surrogate's held-out relative error, median (laws)", _surrogate_cell))
    if any(stats[m]["threads"] for m in methods):
        rows[4:4] = [
            ("threads per problem", lambda s: str(s["threads"] or "?")),
            ("median thread-seconds per problem",
             lambda s: f"{s['median_s'] * s['threads']:.1f}" if s["threads"] else "?"),
        ]
    lines = ["| | " + " | ".join(methods) + " |", "|---" * (len(methods) + 1) + "|"]
    for label, fmt in rows:
        lines.append(f"| {label} | " + " | ".join(fmt(stats[m]) for m in methods) + " |")
    return "\n".join(lines)


def _short(text: str | None, width: int = 80) -> str:
    if not text:
        return ""
    text = text.replace("|", "\\|")
    return text if len(text) <= width else text[: width - 3] + "..."


def _num(value, fmt: str = ".6g") -> str:
    return "–" if value is None else format(value, fmt)


def problem_table(records: Sequence[Mapping]) -> str:
    """One row per (problem, seed); one group of columns per method."""
    methods = list(dict.fromkeys(r["method"] for r in records))
    by_key = {(r["problem"], r["seed"], r["method"]): r for r in records}
    keys = list(dict.fromkeys((r["problem"], r["seed"]) for r in records))
    head = "| problem | seed | vars |"
    rule = "|---|---|---|"
    for m in methods:
        head += f" {m} level | {m} R² | {m} s |"
        rule += "---|---|---|"
    head += " found (" + methods[0] + ") |" if methods else ""
    rule += "---|"
    lines = [head, rule]
    for problem, seed in keys:
        first = next(by_key[(problem, seed, m)] for m in methods if (problem, seed, m) in by_key)
        row = f"| {problem} | {seed} | {first.get('n_vars', '')} |"
        for m in methods:
            r = by_key.get((problem, seed, m))
            row += (f" {r.get('level')} | {_num(r.get('r2'))} | {_num(r.get('seconds'), '.1f')} |"
                    if r else " | | |")
        main = by_key.get((problem, seed, methods[0]), {})
        row += f" `{_short(main.get('found') or main.get('error'))}` |"
        lines.append(row)
    return "\n".join(lines)


def summary_markdown(records: Sequence[Mapping], config, meta: Mapping | None = None) -> str:
    """The whole ``summary.md``: settings, the headline table, the per-problem table."""
    meta = meta or {}
    parts = [
        (f"# Benchmark `{config.suite}`: {config.n} rows per problem, noise {config.noise}, "
         f"{config.seeds} seed(s)\n"),
        ("Made by `symkan bench`; every method saw the same rows and was judged by the same "
         "code (`symkan.bench.metrics.match_level`); test R² on "
         f"{config.n_test} fresh noiseless rows.\n"),
    ]
    for method, info in meta.items():
        parts.append(f"- **{method}**: {info.get('machine', '')}; workers: {info.get('workers')}")
    parts += ["", headline_table(records, meta), ""]
    if config.suite == "special":
        parts += ["## Special functions beside the KAN paper", "", special_table(records), ""]
    parts += ["## Per problem", "", problem_table(records), ""]
    return "\n".join(parts)
