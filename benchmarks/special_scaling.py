"""Test RMSE against parameter count, KAN beside MLP, for the special-function suite.

    python benchmarks/special_scaling.py [reports/bench/special/results.jsonl] [--out PNG]

The KAN paper's Figure 3 shape: for each function, the KAN whose shape and recipe the
validation rows chose at every grid of its extension schedule (3 → … → 100), and an MLP
with as many parameters trained on the same rows, both scored on the same test rows; in
grey, every other shape and recipe trained (``accurate_candidates``). The points are the
``scaling`` field of `symkan bench special` records (`symkan.bench.special.accurate_kan`);
nothing is trained here. Prints one line per function (the grid the validation rows
chose, and whether the KAN is below the MLP there) and writes the plot (default:
``scaling.png`` beside the results).
"""

from __future__ import annotations

import argparse
import json
import math
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
    args = parser.parse_args()
    records = [json.loads(line) for line in args.results.read_text().splitlines()
               if line.strip()]
    records = [r for r in records if r.get("scaling")]
    if not records:
        raise SystemExit(f"{args.results}: no record has a 'scaling' field; run "
                         "`symkan bench special` first")
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
        print(f"{r['problem']:>16}: grid {r['accurate_grid']:>3}, KAN {kr[chosen]:.2e} "
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
    print(f"KAN below the MLP of its size: {below}/{len(records)}; plot: {out}")


if __name__ == "__main__":
    main()
