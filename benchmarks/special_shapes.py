"""Which KAN shape the validation rows would pick, per special function, against an MLP.

    python benchmarks/special_shapes.py FUNCTION [SHAPE ...]

    python benchmarks/special_shapes.py yv best "[2,5,1]" "[2,5,5,1]"

For one function of the ``special`` suite, on the rows `symkan bench special` uses
(1,000 training rows, seed 0, split 80/20 into fit and validation rows; 1,000 test rows,
seed 10,000), each shape (``best``: the paper's best) is trained through the accurate
KAN's grid extension (`symkan.bench.special.ACCURATE_GRIDS`, float64 L-BFGS to
convergence, no grid updates). One line per shape: the grid the validation rows pick,
its test and validation RMSE, parameters, then every grid's test/validation RMSE. The
last line: the shape and grid with the lowest validation RMSE among all, beside an MLP
with as many parameters trained on the same fit rows (`mlp_baseline`), and which one has
the lower test RMSE. It measures a possible lever for `accurate_kan`, which today trains
only the paper's best shape.
"""

from __future__ import annotations

import sys
import time

import torch

from symkan.bench.problems import get_problem
from symkan.bench.special import ACCURATE_GRIDS, kan_param_count, mlp_baseline, parse_shape
from symkan.data import train_test_split
from symkan.formula.numeric import rmse_of
from symkan.kan.schedule import Schedule, extend_grids
from symkan.search.networks import new_kan, to_tensor


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    torch.set_num_threads(1)
    name, shapes = sys.argv[1], sys.argv[2:] or ["best"]
    problem = get_problem("special:" + name)
    train, test = problem.sample(1000, seed=0), problem.sample(1000, seed=10_000)
    fit, val = train_test_split(train, 0.2, seed=0)
    cpu = torch.device("cpu")
    X, y = to_tensor(fit.X, cpu), to_tensor(fit.y[:, None], cpu)
    Xv, yv = to_tensor(val.X, cpu), to_tensor(val.y[:, None], cpu)
    Xt = to_tensor(test.X, cpu)
    picks = []
    for text in shapes:
        shape = parse_shape(dict(problem.info)["paper_best_kan_shape"] if text == "best" else text)
        rows: list[tuple[int, float, float]] = []  # (grid, test RMSE, validation RMSE)

        def score(grid: int, net, rows=rows) -> None:
            with torch.no_grad():
                rows.append((grid, rmse_of(net(Xt)[:, 0].numpy(), test.y),
                             rmse_of(net(Xv)[:, 0].numpy(), val.y)))

        start = time.perf_counter()
        model = new_kan(shape, fit.X, fit.y, ACCURATE_GRIDS[0], 0, cpu)
        extend_grids(model, X, y, Xv, yv,
                     Schedule(grids=ACCURATE_GRIDS, steps=200, rtol=1e-6,
                              patience=len(ACCURATE_GRIDS)), on_grid=score)
        grid, test_rmse, val_rmse = min(rows, key=lambda r: r[2])
        picks.append((val_rmse, shape, grid, test_rmse))
        every = " ".join(f"{g}:{t:.1e}/{v:.1e}" for g, t, v in rows)
        print(f"{name} {list(shape)} grid {grid}: test {test_rmse:.2e}, validation "
              f"{val_rmse:.2e}, {kan_param_count(shape, grid)} parameters | {every} "
              f"({time.perf_counter() - start:.0f} s)", flush=True)
    _, shape, grid, test_rmse = min(picks, key=lambda p: p[0])
    mlp = mlp_baseline(fit, test, kan_param_count(shape, grid), steps=1000)
    winner = "KAN" if test_rmse < mlp.rmse else "MLP"
    print(f"{name}: validation picks {list(shape)} grid {grid}, test {test_rmse:.2e}; "
          f"MLP {list(mlp.widths)} ({mlp.params} parameters) {mlp.rmse:.2e}; lower: {winner}")


if __name__ == "__main__":
    main()
