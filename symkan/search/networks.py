"""The networks the search trains: the KAN path, the surrogate, one-layer fits.

* `train_network`: the KAN path (sparsity → prune → refine on finer grids);
* `train_surrogate`: an unpruned KAN that stands for the law where the rows do not reach
  (separability tests, restricted functions);
* `through_exp`: a one-layer network on ``log|y|`` rewritten as the ``[d, 1, 1]`` network
  for ``y`` (a product drawn as a KAN).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from symkan.kan.network import KAN, KANLayer
from symkan.kan.prune import Pruned, prune_greedy
from symkan.kan.spline import fit_coefficients, uniform_grid
from symkan.kan.train import TrainConfig, train
from symkan.search.types import FitConfig

Progress = Callable[[str, dict], None]


@dataclass(frozen=True)
class NetworkFit:
    """The KAN path's artifacts: the network before and after pruning."""

    trained: KAN  # after sparse training, before pruning (all inputs)
    pruned: Pruned  # pruned and refined on finer grids
    losses: tuple[float, ...]


def to_tensor(a: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float64, device=device)


def new_kan(widths, X: np.ndarray, y: np.ndarray, grid: int, seed: int,
             device: torch.device) -> KAN:
    """A KAN whose input/output scaling maps the data to [-1, 1] and unit spread."""
    model = KAN(widths, grid_size=grid, generator=torch.Generator().manual_seed(seed))
    model = model.to(device)
    lo, hi = X.min(0), X.max(0)
    with torch.no_grad():
        model.in_shift.copy_(to_tensor((lo + hi) / 2, device))
        half = (hi - lo) / 2  # a column of tiny values (1e-20) keeps its own scale
        model.in_scale.copy_(to_tensor(np.where(half > 0, half, 1.0), device))
        model.out_shift.fill_(float(y.mean()))
        model.out_scale.fill_(float(y.std()) or 1.0)
    return model


def reporter(
    on_progress: Progress | None, phase: str, check: Callable[[], None] | None = None,
) -> Callable[[int, float], None]:
    def cb(step: int, loss: float) -> None:
        if check is not None:
            check()  # may raise _Halt: training stops between two steps
        if on_progress is not None:
            on_progress("train", {"phase": phase, "step": step, "loss": loss})

    return cb


def refine(
    model: KAN, X: torch.Tensor, y: torch.Tensor, grid_sizes: tuple[int, ...], steps: int,
    on_progress: Progress | None = None, label: str = "", *,
    check: Callable[[], None] | None = None,
) -> tuple[KAN, list[float]]:
    """Train on each grid in turn, extending the grid between phases (coarse → fine)."""
    losses: list[float] = []
    for grid in grid_sizes:
        if grid != model.grid_size:
            model = model.with_grid(X, grid)
        res = train(model, X, y, TrainConfig(steps=steps),
                    on_step=reporter(on_progress, f"{label}grid {grid}", check))
        model, losses = res.model, losses + list(res.losses)
    return model, losses


def train_network(
    X: np.ndarray, y: np.ndarray, config: FitConfig, device: torch.device,
    on_progress: Progress | None = None, *, check: Callable[[], None] | None = None,
) -> NetworkFit:
    """The KAN path: train with sparsity, prune, then refine the pruned net on finer grids."""
    d = X.shape[1]
    widths = (d, config.hidden or min(2 * d + 1, 9), 1)
    model = new_kan(widths, X, y, config.grid_sizes[0], config.seed, device)
    Xt, yt = to_tensor(X, device), to_tensor(y[:, None], device)
    sparse = train(model, Xt, yt, TrainConfig(steps=config.steps, lamb=config.lamb),
                   on_step=reporter(on_progress, "sparse ", check))
    pruned = prune_greedy(sparse.model, Xt, yt, config.prune)
    Xp = Xt[:, list(pruned.inputs)]
    model, losses = refine(pruned.model, Xp, yt, config.grid_sizes, config.steps, on_progress,
                           "pruned ", check=check)
    return NetworkFit(sparse.model, Pruned(model, pruned.inputs, pruned.edge_scores),
                      tuple(sparse.losses) + tuple(losses))


def train_surrogate(
    X: np.ndarray, y: np.ndarray, config: FitConfig, device: torch.device,
    on_progress: Progress | None = None, *, check: Callable[[], None] | None = None,
) -> tuple[KAN, list[float]]:
    """An accurate, unpruned KAN used to probe the law's structure (no sparsity)."""
    d = X.shape[1]
    widths = (d, 2 * d + 1, 1) if d <= 2 else (d, d, d, 1)
    model = new_kan(widths, X, y, config.grid_sizes[0], config.seed, device)
    return refine(model, to_tensor(X, device), to_tensor(y[:, None], device), config.grid_sizes[:2],
                  config.steps, on_progress, "surrogate ", check=check)


def through_exp(model: KAN, X: torch.Tensor, y: np.ndarray, sign: float,
                grid_size: int = 40, margin: float = 0.1) -> KAN:
    """A ``[d, 1]`` network fitted to ``log|y|`` as the ``[d, 1, 1]`` network for ``y``.

    The new last edge is a spline fitted to ``sign·exp`` on a uniform grid over the range
    the first layer reaches on ``X`` (widened by ``margin`` of it each side): a product
    written as a KAN (log-sum-exp), drawn and snapped like any other network, and equal
    to ``sign·exp(model(X))`` up to the spline's error.
    """
    first = model.layers[0]
    mean, std = float(np.mean(y)), float(np.std(y)) or 1.0
    with torch.no_grad():
        h = first(model.normalize(X))[:, 0]  # log|y| in the model's output units
        span = float(h.max() - h.min()) or 1.0
        low, high = float(h.min()) - margin * span, float(h.max()) + margin * span
        u = torch.linspace(low, high, 20 * grid_size, dtype=h.dtype, device=h.device)[:, None]
        value = sign * torch.exp(u * model.out_scale + model.out_shift)
        last = KANLayer(1, 1, grid_size, first.k, dtype=h.dtype).to(h.device)
        last.grid.copy_(uniform_grid(u[0], u[-1], grid_size, first.k))
        last.base_weight.zero_()
        target = ((value - mean) / std)[:, :, None]  # (batch, in=1, out=1)
        last.coef.copy_(fit_coefficients(u, target, last.grid, last.k))
        net = KAN((first.in_dim, 1, 1), layers=[copy.deepcopy(first), last]).to(h.device)
        net.in_shift.copy_(model.in_shift)
        net.in_scale.copy_(model.in_scale)
        net.out_shift.fill_(mean)
        net.out_scale.fill_(std)
    return net


def as_function(model: KAN, device: torch.device):
    def f(X: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(to_tensor(X, device))[:, 0].cpu().numpy()

    return f


def gradients(model: KAN, X: np.ndarray, device: torch.device) -> tuple[np.ndarray, np.ndarray]:
    """The network's values (n,) and input gradients (n, d) at the rows of ``X``."""
    Xt = to_tensor(X, device).requires_grad_(True)
    out = model(Xt)[:, 0]
    (grad,) = torch.autograd.grad(out.sum(), Xt)
    return out.detach().cpu().numpy(), grad.cpu().numpy()
