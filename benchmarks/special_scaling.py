"""Test RMSE against parameter count, KAN beside MLP, for the special-function suite.

    python benchmarks/special_scaling.py [reports/bench/special/results.jsonl] [--out PNG]
                                         [--seed S]

The KAN paper's Figure 3 shape: for each function, the KAN whose shape and recipe the
validation rows chose at every grid of its extension schedule (3 → … → 100), and an MLP
with as many parameters trained on the same rows, both scored on the same test rows; in
grey, every other shape and recipe trained (``accurate_candidates``). The points are the
``scaling`` field of `symkan bench special` records (`symkan.bench.special.accurate_kan`);
nothing is trained here. The plot shows one seed's runs (``--seed``, default 0). Prints
one line per function and seed (the grid the validation rows chose, and whether the KAN
is below the MLP there), then, where there are several seeds, each function's median
over seeds, KAN against MLP (as `symkan.bench.special.special_table` counts), and writes
the plot (default: ``scaling.png`` beside the results).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import NullFormatter

from symkan.bench.special import kan_param_count, parse_shape


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", type=Path,
                        default=Path("reports/bench/special/results.jsonl"))
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=0, help="the seed whose runs are drawn")
    args = parser.parse_args()
    every = [json.loads(line) for line in args.results.read_text().splitlines()
             if line.strip()]
    every = [r for r in every if r.get("scaling")]
    records = [r for r in every if int(r.get("seed", 0)) == args.seed]
    if not records:
        raise SystemExit(f"{args.results}: no record of seed {args.seed} has a 'scaling' "
                         "field; run `symkan bench special` first")
    cols = 5
    rows = math.ceil(len(records) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.8 * rows), squeeze=False)
    below = 0
    for ax, r in zip(axes.flat, records):
        grid, kp, kr, mp, mr = zip(*r["scaling"])
        others = [(kan_param_count(parse_shape(c[0]), c[3]), c[-1])
                  for c in r.get("accurate_candidates", [])]
        if others:
            ax.loglog(*zip(*others), ".", color="0.75", ms=4, label="other shapes, recipes")
        ax.loglog(kp, kr, "o-", label="KAN, shape chosen on val")
        ax.loglog(mp, mr, "s--", label="MLP [2,h,h,1]")
        chosen = grid.index(r["accurate_grid"])
        ax.loglog([kp[chosen]], [kr[chosen]], "k*", ms=11, label="grid chosen on val")
        paper = r.get("paper_best_kan_test_rmse")
        if isinstance(paper, (int, float)):
            ax.axhline(paper, color="grey", lw=0.8, ls=":", label="paper's best KAN")
        ax.set_title(f"{r['problem']}: KAN {r['accurate_shape']}", fontsize=9)
        ax.set_xlabel("parameters", fontsize=8)
        ax.set_ylabel("test RMSE", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.xaxis.set_minor_formatter(NullFormatter())  # minor labels overlap on log axes
        ax.yaxis.set_minor_formatter(NullFormatter())
        wins = kr[chosen] < mr[chosen]
        below += wins
        print(f"{r['problem']:>16} seed {r.get('seed', 0)}: grid {r['accurate_grid']:>3}, "
              f"KAN {kr[chosen]:.2e} "
              f"({kp[chosen]} params), MLP {mr[chosen]:.2e} ({mp[chosen]}): "
              f"{'KAN below' if wins else 'MLP below'}")
    for ax in list(axes.flat)[len(records):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=6)
    fig.suptitle("Special functions: test RMSE against parameters (symkan bench special)",
                 fontsize=10)
    fig.tight_layout()
    out = args.out or args.results.with_name("scaling.png")
    fig.savefig(out, dpi=110)
    print(f"seed {args.seed}: KAN below the MLP of its size: {below}/{len(records)}; "
          f"plot: {out}")
    _medians(every)


def _medians(records: list[dict]) -> None:
    """Per function, the median over seeds of the chosen KAN's and its MLP's test RMSE."""
    by: dict[str, list[dict]] = {}
    for r in records:
        by.setdefault(r["problem"], []).append(r)
    if all(len(rs) < 2 for rs in by.values()):
        return
    below = 0
    for name, rs in by.items():
        kan = statistics.median(r["accurate_rmse"] for r in rs)
        mlp = statistics.median(r["mlp_rmse"] for r in rs)
        below += kan < mlp
        runs = ", ".join(f"{r['accurate_rmse']:.1e}/{r['mlp_rmse']:.1e}" for r in rs)
        print(f"{name:>16}: median over {len(rs)} seeds KAN {kan:.2e}, MLP {mlp:.2e} "
              f"({'KAN' if kan < mlp else 'MLP'} below; KAN/MLP per seed: {runs})")
    print(f"medians over seeds: KAN below the MLP of its size: {below}/{len(by)}")


if __name__ == "__main__":
    main()
