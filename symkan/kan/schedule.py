"""Training to the data's limit: grid extension on a schedule, stopped on validation rows.

The KAN paper's recipe for accuracy (Liu et al. 2024, Sec. 2.4): train on a coarse grid,
then refit each edge's spline on a finer grid (`KAN.with_grid`, which keeps the learned
function) and train again, through a schedule such as 3 → 5 → 10 → 20 → 50. Each phase
runs float64 L-BFGS until the loss stops falling (`TrainConfig.rtol`). A finer grid
fits the training rows better but may fit them too well; the validation rows say when:
the schedule stops once they have not improved for ``patience`` grids and the network
returned is the one with the lowest validation error.

Examples
--------
>>> import torch
>>> from symkan.kan.network import KAN
>>> X = torch.linspace(-1, 1, 200, dtype=torch.float64)[:, None]
>>> y = torch.sin(3 * X)
>>> res = extend_grids(KAN([1, 1], grid_size=3), X, y, X[::3], y[::3],
...                    Schedule(grids=(3, 10), steps=50))
>>> [g for g, _, _ in res.history], res.val_rmse < 1e-3
([3, 10], True)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from symkan.kan.network import KAN
from symkan.kan.train import TrainConfig, train


@dataclass(frozen=True)
class Schedule:
    """A grid-extension schedule: the grids in turn, L-BFGS to convergence on each."""

    grids: tuple[int, ...] = (3, 5, 10, 20, 50)
    steps: int = 200  # L-BFGS iterations per grid at most
    rtol: float = 1e-4  # a phase ends when the loss falls by less than this over 10 steps
    patience: int = 1  # grids without a better validation error before stopping
    # grid updates (the paper's update_grid_from_samples): on each grid, ``updates`` times
    # ``update_steps`` steps then the knots refitted to where the layer inputs now are,
    # before the phase's own training; hidden layers' inputs drift while they train
    updates: int = 0
    update_steps: int = 10
    # the first layer's knots on each new grid: "samples" (uniform blended with the
    # samples' quantiles) or "curvature" (where its edges bend: `KAN.with_grid`)
    first: str = "samples"


@dataclass(frozen=True)
class ScheduleResult:
    model: KAN  # the network with the lowest validation error
    grid: int  # its grid size
    val_rmse: float  # its validation RMSE, in the target's units
    history: tuple[tuple[int, float, float], ...]  # (grid, train rmse, val rmse) per phase
    seconds: float


def rmse(model: KAN, X: torch.Tensor, y: torch.Tensor) -> float:
    """Root mean squared error of ``model`` on ``(X, y)`` (``y`` of shape (n, out))."""
    with torch.no_grad():
        return float(((model(X) - y) ** 2).mean().sqrt())


def extend_grids(
    model: KAN, X: torch.Tensor, y: torch.Tensor, Xv: torch.Tensor, yv: torch.Tensor,
    schedule: Schedule = Schedule(), *, on_step: Callable[[int, int, float], None] | None = None,
    on_grid: Callable[[int, KAN], None] | None = None,
) -> ScheduleResult:
    """Train ``model`` through ``schedule``'s grids; the best on ``(Xv, yv)`` is returned.

    ``on_step(grid, step, loss)`` is called after every L-BFGS step (it may raise to stop
    the run: nothing is returned then), ``on_grid(grid, model)`` after each grid's
    training. The input model is left as it was.
    """
    start = time.perf_counter()
    config = TrainConfig(steps=schedule.steps, rtol=schedule.rtol)
    history: list[tuple[int, float, float]] = []
    best: tuple[float, int, KAN] | None = None
    since_best = 0
    for n, grid in enumerate(schedule.grids):
        if grid != model.grid_size or n > 0:
            model = model.with_grid(X, grid, first=schedule.first)  # extension or update
        cb = None if on_step is None else (lambda s, loss, g=grid: on_step(g, s, loss))
        for _ in range(schedule.updates):
            warm = TrainConfig(steps=schedule.update_steps)
            model = train(model, X, y, warm, on_step=cb).model.with_grid(X, grid)
        model = train(model, X, y, config, on_step=cb).model
        if on_grid is not None:
            on_grid(grid, model)
        val = rmse(model, Xv, yv)
        history.append((grid, rmse(model, X, y), val))
        if best is None or val < best[0]:
            best, since_best = (val, grid, model), 0
        else:
            since_best += 1
            if since_best >= schedule.patience:
                break
    val, grid, model = best
    return ScheduleResult(model, grid, val, tuple(history), time.perf_counter() - start)
