"""Every KAN `accurate_kan` trains for one special function, and the one it picks.

    python benchmarks/special_shapes.py FUNCTION [SHAPE ...] [--seeds 0,1] [--knots curvature]

    python benchmarks/special_shapes.py yv
    python benchmarks/special_shapes.py kv best "[2,3,1]" --seeds 0,1,2

On the rows `symkan bench special` uses (1,000 training rows, seed 0, split 80/20 into
fit and validation rows; 1,000 test rows, seed 10,000), runs
`symkan.bench.special.accurate_kan` with the given shapes (``best``: the paper's best;
default: `candidate_shapes`, as the bench does) and seeds, and prints one line per shape,
recipe and seed (the grid with the lowest validation RMSE, then every grid's
test/validation RMSE), then the network the one-standard-error rule picks beside an MLP
with as many parameters trained on the same fit rows, and which is lower on the test rows.
About 2–5 minutes per function on one core.
"""

from __future__ import annotations

import argparse
from itertools import groupby

import torch

from symkan.bench.problems import get_problem
from symkan.bench.special import accurate_kan, candidate_shapes, parse_shape


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("function")
    parser.add_argument("shapes", nargs="*")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--knots", default="curvature", choices=("samples", "curvature"),
                        help="the first layer's knots on each grid (Schedule.first)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    problem = get_problem("special:" + args.function)
    best = parse_shape(dict(problem.info)["paper_best_kan_shape"])
    shapes = ([best if t == "best" else parse_shape(t) for t in args.shapes]
              or candidate_shapes(best))
    train, test = problem.sample(1000, seed=0), problem.sample(1000, seed=10_000)
    acc = accurate_kan(shapes, train, test, seeds=[int(s) for s in args.seeds.split(",")],
                       first=args.knots)
    for (shape, updates, seed), runs in groupby(
            acc.candidates, key=lambda c: (c.shape, c.updates, c.seed)):
        runs = list(runs)
        low = min(runs, key=lambda c: c.val_rmse)
        every = " ".join(f"{c.grid}:{c.rmse:.1e}/{c.val_rmse:.1e}" for c in runs)
        print(f"{args.function} {list(shape)} updates {updates} seed {seed}: grid {low.grid} "
              f"test {low.rmse:.2e} validation {low.val_rmse:.2e} | {every}")
    winner = "KAN" if acc.rmse < acc.mlp.rmse else "MLP"
    print(f"{args.function}: one-SE pick {list(acc.shape)} updates {acc.updates} grid "
          f"{acc.grid} ({acc.params} parameters), test {acc.rmse:.2e}; MLP "
          f"{list(acc.mlp.widths)} ({acc.mlp.params} parameters) {acc.mlp.rmse:.2e}; "
          f"lower: {winner} ({acc.seconds:.0f} s)")


if __name__ == "__main__":
    main()
