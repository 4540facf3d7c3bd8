"""The networks the search trains: the KAN path, the surrogate, one-layer fits.

* `train_network`: the KAN path (sparsity → prune → refine on finer grids);
* `train_surrogate`: the network that stands for the law where the rows do not reach
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

from symkan.formula.numeric import rmse_of
from symkan.kan.lstsq import fit_one_layer
from symkan.kan.network import KAN, KANLayer
from symkan.kan.prune import Pruned, prune_greedy
from symkan.kan.schedule import Schedule, extend_grids
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


@dataclass(frozen=True)
class SurrogateFit:
    """The surrogate network chosen on the validation rows, and how it was made."""

    model: torch.nn.Module  # raw (n, d) inputs → (n, 1) predictions of y
    rel_error: float  # rms error on the validation rows / std of y on the fit rows
    kind: str  # e.g. "one-layer KAN [3,1], grid 20, on log|y|"
    tried: tuple[tuple[str, float], ...]  # (kind, rel_error) of every network trained


class SignedExp(torch.nn.Module):
    """``sign · exp(net(X))``: a network trained on ``log|y|`` standing for ``y``."""

    def __init__(self, net: torch.nn.Module, sign: float) -> None:
        super().__init__()
        self.net, self.sign = net, float(sign)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.sign * torch.exp(self.net(X))


class Sum(torch.nn.Module):
    """``first(X) + second(X)``: a network and one trained on its residual."""

    def __init__(self, first: torch.nn.Module, second: torch.nn.Module) -> None:
        super().__init__()
        self.first, self.second = first, second

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.first(X) + self.second(X)


#: a surrogate this close (relative to std y) needs no deeper network
_GOOD = 1e-4
#: the deeper surrogate's grids (stopped on the validation rows) and grid updates per grid
_SURROGATE = {"grids": (5, 10, 20), "rtol": 1e-3, "updates": 2}


def train_surrogate(
    X: np.ndarray, y: np.ndarray, Xv: np.ndarray, yv: np.ndarray, config: FitConfig,
    device: torch.device, on_progress: Progress | None = None, *,
    check: Callable[[], None] | None = None, floor: float = 0.0,
) -> SurrogateFit:
    """An accurate network that stands for the law, chosen on the validation rows.

    First the one-layer KANs solved in closed form (`symkan.kan.lstsq`): on ``y`` (every
    sum of one-variable functions) and, when ``y`` keeps one sign, on ``log|y|`` (every
    product of them). When neither is within ``max(1e-4, floor)`` of ``y`` (``floor``:
    the noise, relative to std y), a deeper KAN ``[d, min(2d+1, 9), 1]`` is trained on the
    better of the two targets through grids 5 → 10 → 20 (`symkan.kan.schedule`: grid
    updates, then L-BFGS until the loss stops falling, at most ``2 × config.steps`` steps
    per grid, stopped on the validation rows); on ``log|y|`` also
    one on the one-layer fit's residual (the interactions left once every factor of one
    variable is divided out). The best on the validation rows is returned.
    """
    d, scale = X.shape[1], float(np.std(y)) or 1.0
    Xt, Xvt = to_tensor(X, device), to_tensor(Xv, device)
    targets = [("y", y, yv, None)]
    if (np.all(y > 0) or np.all(y < 0)) and (np.all(yv * y[0] > 0)):
        sign = float(np.sign(y[0]))
        targets.append(("log|y|", np.log(np.abs(y)), np.log(np.abs(yv)), sign))

    tried: list[tuple[str, float, torch.nn.Module]] = []

    def judge(kind: str, net: torch.nn.Module, sign: float | None) -> float:
        model = net if sign is None else SignedExp(net, sign)
        with torch.no_grad():
            pred = model(Xvt)[:, 0].cpu().numpy()
        tried.append((kind, rmse_of(pred, yv) / scale, model))  # inf when not finite
        return tried[-1][1]

    ones = []
    for name, t, tv, sign in targets:
        start = new_kan((d, 1), X, t, 5, config.seed, device)
        one = fit_one_layer(start, Xt, to_tensor(t[:, None], device), Xvt,
                            to_tensor(tv[:, None], device))
        err = judge(f"one-layer KAN [{d},1], grid {one.grid}, on {name}", one.model, sign)
        ones.append((err, name, t, tv, sign, one.model))
    if min(e for _, e, _ in tried) > max(_GOOD, floor):
        _, name, t, tv, sign, one = min(ones, key=lambda o: o[0])
        widths = (d, min(2 * d + 1, 9), 1)
        shape = ",".join(map(str, widths))
        step = reporter(on_progress, "surrogate ", check)
        schedule = Schedule(steps=2 * config.steps, **_SURROGATE)  # twice a KAN phase
        with torch.no_grad():
            base, base_v = (one(Xt)[:, 0].cpu().numpy(), one(Xvt)[:, 0].cpu().numpy())
        variants = [("", 0.0, 0.0)] + ([("residual of the one-layer fit, ", base, base_v)]
                                       if sign is not None else [])
        for label, b, bv in variants:
            r, rv = t - b, tv - bv
            start = new_kan(widths, X, r, schedule.grids[0], config.seed, device)
            res = extend_grids(start, Xt, to_tensor(r[:, None], device), Xvt,
                               to_tensor(rv[:, None], device), schedule,
                               on_step=lambda g, s, loss: step(s, loss))
            net = res.model if not label else Sum(one, res.model)
            judge(f"KAN [{shape}], grid {res.grid}, on {label}{name}", net, sign)
    kind, err, model = min(tried, key=lambda e: e[1])
    return SurrogateFit(model, err, kind, tuple((k, e) for k, e, _ in tried))


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
