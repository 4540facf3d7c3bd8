"""Formula candidates: the networks the pipeline trains and the formulas read from them.

* `train_network`: the KAN path (sparsity → prune → refine on finer grids);
* `additive_candidates`: one-layer KANs on ``y`` (sums) and ``log|y|`` (products);
* `separable_stage`: split the law on an unpruned KAN surrogate (`symkan.decompose`),
  fit the one-variable leaves symbolically and compose them.

`symkan.pipeline.fit` chains these; each returns formulas that it then finalizes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import sympy
import torch

from symkan.formula.numeric import rmse_of
from symkan.decompose import Node, restricted, separate
from symkan.formula.expression import network_expression
from symkan.kan.network import KAN, KANLayer
from symkan.kan.prune import Pruned, prune_greedy
from symkan.kan.spline import fit_coefficients, uniform_grid
from symkan.symbolic.library import Primitive
from symkan.symbolic.snap import SnappedKAN, snap
from symkan.symbolic.univariate import choose, leaf_options
from symkan.kan.train import TrainConfig, train

if TYPE_CHECKING:
    from symkan.pipeline import FitConfig

Progress = Callable[[str, dict], None]


@dataclass(frozen=True)
class NetworkFit:
    """The KAN path's artifacts: the network before and after pruning."""

    trained: KAN  # after sparse training, before pruning (all inputs)
    pruned: Pruned  # pruned and refined on finer grids
    losses: tuple[float, ...]


def _t(a: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float64, device=device)


def _new_kan(widths, X: np.ndarray, y: np.ndarray, grid: int, seed: int,
             device: torch.device) -> KAN:
    """A KAN whose input/output scaling maps the data to [-1, 1] and unit spread."""
    model = KAN(widths, grid_size=grid, generator=torch.Generator().manual_seed(seed))
    model = model.to(device)
    lo, hi = X.min(0), X.max(0)
    with torch.no_grad():
        model.in_shift.copy_(_t((lo + hi) / 2, device))
        model.in_scale.copy_(_t(np.maximum((hi - lo) / 2, 1e-12), device))
        model.out_shift.fill_(float(y.mean()))
        model.out_scale.fill_(float(y.std()) or 1.0)
    return model


def _reporter(
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
                    on_step=_reporter(on_progress, f"{label}grid {grid}", check))
        model, losses = res.model, losses + list(res.losses)
    return model, losses


def train_network(
    X: np.ndarray, y: np.ndarray, config: FitConfig, device: torch.device,
    on_progress: Progress | None = None, *, check: Callable[[], None] | None = None,
) -> NetworkFit:
    """The KAN path: train with sparsity, prune, then refine the pruned net on finer grids."""
    d = X.shape[1]
    widths = (d, config.hidden or min(2 * d + 1, 9), 1)
    model = _new_kan(widths, X, y, config.grid_sizes[0], config.seed, device)
    Xt, yt = _t(X, device), _t(y[:, None], device)
    sparse = train(model, Xt, yt, TrainConfig(steps=config.steps, lamb=config.lamb),
                   on_step=_reporter(on_progress, "sparse ", check))
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
    model = _new_kan(widths, X, y, config.grid_sizes[0], config.seed, device)
    return refine(model, _t(X, device), _t(y[:, None], device), config.grid_sizes[:2],
                  config.steps, on_progress, "surrogate ", check=check)


def additive_candidates(
    X: np.ndarray, y: np.ndarray, symbols, config: FitConfig, device: torch.device,
    library: Mapping[str, Primitive], *, check: Callable[[], None] | None = None,
) -> Iterator[tuple[str, sympy.Expr, KAN, SnappedKAN]]:
    """One-layer KANs ``[d, 1]`` on ``y`` and, when it keeps its sign, on ``log|y|``.

    A sum of one-variable functions is exactly what a single KAN layer computes; a
    product of them is a sum in log space. Fitted on the real rows, not a surrogate.
    Yields (name, formula, network, snapped network), one target at a time, the product
    first; the network always computes ``y`` (for a product, `through_exp` of the one on
    ``log|y|``), so it can stand for the formula in a diagram.
    """
    targets = [("additive", y, None)]
    sign = float(np.sign(y[0]))
    if sign != 0 and np.all(np.sign(y) == sign):  # products first: most laws are monomials
        targets.insert(0, ("multiplicative", np.log(np.abs(y)), sign))
    Xt = _t(X, device)
    for name, target, sgn in targets:
        model = _new_kan((X.shape[1], 1), X, target, config.grid_sizes[0], config.seed, device)
        model, _ = refine(model, Xt, _t(target[:, None], device), config.grid_sizes,
                          config.steps, check=check)
        if sgn is None:
            snapped = snap(model, Xt, library)
            yield name, network_expression(snapped, symbols, library), model, snapped
            continue
        net = through_exp(model, Xt, y, sgn)  # the network that computes y itself
        snapped = snap(net, Xt, library)
        # its first layer is the log-space network's: log|y| is read from those edges
        log_snapped = replace(
            snapped, widths=model.widths, edges=tuple(e for e in snapped.edges if e.layer == 0),
            out_shift=float(model.out_shift[0]), out_scale=float(model.out_scale[0]))
        expr = network_expression(log_snapped, symbols, library)
        yield name, sympy.Float(sgn) * sympy.exp(expr), net, snapped


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


def _surrogate(model: KAN, device: torch.device):
    def f(X: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(_t(X, device))[:, 0].cpu().numpy()

    return f


def _separable_expressions(
    tree: Node, f, symbols: tuple[sympy.Symbol, ...], low: np.ndarray, high: np.ndarray,
    library: Mapping[str, Primitive], abs_tol: float, n: int = 256,
) -> list[sympy.Expr]:
    """Formulas for a fully separable tree: leaves fitted at a strict and a loose tolerance.

    The strict choice takes the best-fitting simple form of each leaf; the loose one the
    simplest form within 10× the surrogate's error. Both are refitted on the real data
    later, where the surrogate's own errors no longer matter.
    """
    leaves = tree.leaves()
    if any(leaf.kind == "block" for leaf in leaves):
        return []
    xs, ys, syms = [], [], []
    for leaf in leaves:
        v = leaf.vars[0]
        grid = np.linspace(low[v], high[v], n)
        X = np.tile((low + high) / 2, (n, 1))
        X[:, v] = grid
        xs.append(grid)
        ys.append(restricted(f, leaf.fixed)(X))
        syms.append(symbols[v])
    options = leaf_options(xs, ys, syms, library)
    exprs = []
    for slack in (1.0, 10.0):
        fits = iter([choose(o, abs_tol=slack * abs_tol) for o in options])

        def build(node: Node, fits=fits) -> sympy.Expr:
            if node.kind == "leaf":
                return next(fits).expr
            parts = [build(child, fits) for child in node.children]
            k = len(parts)
            if node.kind == "sum":
                return sympy.Add(*parts) - (k - 1) * sympy.Float(node.value)
            if node.offset == 0.0:
                return sympy.Mul(*parts) / sympy.Float(node.value) ** (k - 1)
            c = sympy.Float(node.offset)
            return c + sympy.Mul(*[p - c for p in parts]) / (sympy.Float(node.value) - c) ** (k - 1)

        expr = build(tree)
        if all(expr != e for e in exprs):
            exprs.append(expr)
    return exprs


def separable_stage(X, y, val_ds, symbols, config, device, library, scale, on_progress,
                     check, add) -> None:
    """Split the law on an unpruned KAN surrogate and add a formula for each tree."""
    if on_progress is not None:
        on_progress("train", {"phase": "surrogate"})
    surrogate, _ = train_surrogate(X, y, config, device, on_progress, check=check)
    f = _surrogate(surrogate, device)
    # the surrogate's own error sets how small a mixed difference counts as zero
    eps = rmse_of(f(val_ds.X), val_ds.y) / scale
    low, high = X.min(0), X.max(0)
    trees: list[Node] = []
    rules = [("gap", 1.5)] + [("fixed", m) for m in (1.5, 3.0, 6.0)]
    for rule, mult in rules:
        sep = replace(config.separability, rule=rule, tol=max(mult * eps, 1e-3),
                      cap=max(3 * eps, 1e-2))
        tree = separate(f, low, high, rng=np.random.default_rng(config.seed), config=sep)
        if all(tree != t for t in trees):
            trees.append(tree)
    if on_progress is not None:
        on_progress("separate", {"surrogate_rel_rmse": eps, "trees": trees})
    for tree in trees:
        check()
        for expr in _separable_expressions(tree, f, symbols, low, high, library,
                                           abs_tol=3 * eps * scale):
            add("separable", expr)


# inner functions h of the one-variable compositions c·f(a·h(x)+b)+d: the shapes that
# physics puts inside a primitive (1/sqrt(1 - v²/c²), sqrt(ω² - k²), 1/(exp(x) - 1))
_INNER = {
    "x^2": (lambda s: s**2, 1),
    "1/x": (lambda s: 1 / s, 1),
    "1/x^2": (lambda s: s**-2, 2),
    "sqrt": (lambda s: sympy.sqrt(s), 2),
    "exp": (lambda s: sympy.exp(s), 2),
    "log": (lambda s: sympy.log(s), 2),
}


def composite_candidates(
    x: np.ndarray, y: np.ndarray, symbol: sympy.Symbol, library: Mapping[str, Primitive],
    keep: int = 3,
) -> list[tuple[str, sympy.Expr]]:
    """Two-level forms ``c·f(a·h(x)+b)+d`` of a one-variable law, best ``keep`` first.

    Every inner ``h`` of `_INNER` that is finite on the rows is applied to ``x``, and
    every primitive ``f`` of ``library`` is fitted on the result in one batched call
    (`symkan.symbolic.univariate.leaf_options`), so a KAN's two stacked edges are found
    from the data directly rather than from two approximate splines.
    """
    u = sympy.Dummy("u")
    xs, ys, names = [], [], []
    for name, (h, _) in _INNER.items():
        with np.errstate(all="ignore"):
            hx = sympy.lambdify(u, h(u), "numpy")(x)
        hx = np.broadcast_to(np.asarray(hx, dtype=float), x.shape)
        if np.all(np.isfinite(hx)) and np.std(hx) > 0:
            xs.append(hx)
            ys.append(y)
            names.append(name)
    if not xs:
        return []
    found = []
    for name, options in zip(names, leaf_options(xs, ys, [u] * len(xs), library)):
        if not options:
            continue
        leaf = choose(options)
        h, cost = _INNER[name]
        found.append((leaf.rmse, leaf.complexity + cost, name, leaf.expr.subs(u, h(symbol))))
    found.sort(key=lambda t: (t[0], t[1]))
    return [(f"composite {name}", expr) for _, _, name, expr in found[:keep]]
