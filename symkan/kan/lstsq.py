"""A one-layer KAN fitted in closed form: edges ``[d, 1]`` by linear least squares.

A ``[d, 1]`` KAN is ``sum_i w_i silu(x_i) + sum_ic coef_ic B_c(x_i)``: linear in its
parameters once the grid is fixed, so the best one on the rows is a least-squares
solve, not a training run (milliseconds, and the global optimum). It is the additive
model ``y = sum_i f_i(x_i)``; on ``log|y|`` it is every product of one-variable factors.
Grids are tried in turn and the one with the lowest validation error is kept.

Examples
--------
>>> import torch
>>> X = torch.rand(300, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
>>> y = (torch.sin(3 * X[:, 0]) + X[:, 1] ** 2)[:, None]
>>> res = fit_one_layer(KAN([2, 1]), X[:200], y[:200], X[200:], y[200:], grids=(5, 10))
>>> res.val_rmse < 1e-4
True
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from symkan.kan import spline
from symkan.kan.network import KAN
from symkan.kan.schedule import ScheduleResult, rmse


def fit_one_layer(
    model: KAN, X: torch.Tensor, y: torch.Tensor, Xv: torch.Tensor, yv: torch.Tensor,
    grids: Sequence[int] = (5, 10, 20, 50), ridge: float = 1e-10,
) -> ScheduleResult:
    """The least-squares ``[d, 1]`` network on each grid of ``grids``; the best on
    ``(Xv, yv)`` is returned. ``model`` gives the shape and the input/output scaling.

    ``X``: (n, d) raw inputs; ``y``: (n, 1) raw targets. The input model is unchanged.
    """
    if len(model.layers) != 1 or model.widths[-1] != 1:
        raise ValueError(f"fit_one_layer needs a [d, 1] network, not {list(model.widths)}")
    start = time.perf_counter()
    h = model.normalize(X)  # (n, d)
    target = ((y - model.out_shift) / model.out_scale)[:, 0]  # (n,)
    history, best = [], None
    for grid in grids:
        with torch.no_grad():
            layer = model.layers[0].with_grid(h, grid)
            bases = spline.basis(h, layer.grid, layer.k)  # (n, d, coeff)
            A = torch.cat([F.silu(h), bases.reshape(len(h), -1)], dim=1)  # (n, d + d*coeff)
            AtA = A.T @ A
            AtA += ridge * AtA.diagonal().mean() * torch.eye(len(AtA), dtype=A.dtype,
                                                            device=A.device)
            theta = torch.linalg.solve(AtA, A.T @ target)  # (d + d*coeff,)
            d = h.shape[1]
            layer.base_weight.copy_(theta[:d][None])
            layer.coef.copy_(theta[d:].reshape(1, d, -1))
            net = model._with_layers([layer])
        val = rmse(net, Xv, yv)
        history.append((grid, rmse(net, X, y), val))
        if best is None or val < best[0]:
            best = (val, grid, net)
    val, grid, net = best
    return ScheduleResult(net, grid, val, tuple(history), time.perf_counter() - start)
