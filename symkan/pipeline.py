"""The one place that chains the stages: Dataset → KAN → trained → pruned → formula.

``fit(dataset, config)`` trains a KAN on the data, prunes it, and turns it into formula
candidates in two ways:

* ``kan``: snap every edge of the pruned network to a primitive and compose them;
* ``separable``: use the trained network as a surrogate to split the law into sums and
  products of one-variable functions (`symkan.decompose`), fit those leaves
  symbolically, and compose them.

Every candidate's constants are then refitted end to end on the training rows, terms
the data do not need are dropped, and constants are snapped to rationals and π where the
validation error allows. The candidate with the best trade-off of validation error and
complexity is returned with all the others (the Pareto front).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field

import numpy as np
import sympy
import torch

from symkan import constants
from symkan.data import Dataset, train_test_split
from symkan.decompose import Node, SeparabilityConfig, restricted, separate
from symkan.errors import InputError
from symkan.formula import complexity, evaluate, network_expression
from symkan.kan import KAN
from symkan.prune import PruneConfig, Pruned, prune
from symkan.symbolic.library import DEFAULT_LIBRARY, Primitive
from symkan.symbolic.snap import SnappedKAN, snap
from symkan.symbolic.univariate import fit_univariate
from symkan.train import TrainConfig, resolve_device, train

Progress = Callable[[str, dict], None]


@dataclass(frozen=True)
class FitConfig:
    """Settings of a run; every field has a default that works on typical tables."""

    seed: int = 0
    device: str = "auto"
    test_fraction: float = 0.2
    val_fraction: float = 0.2  # of the training rows, for choosing snaps and candidates
    hidden: int | None = None  # hidden width; default min(2d+1, 9)
    grid_sizes: tuple[int, ...] = (5, 10, 20)
    steps: int = 60  # L-BFGS steps per phase
    lamb: float = 1e-3  # sparsity weight of the first phase
    prune: PruneConfig = PruneConfig()
    separability: SeparabilityConfig = SeparabilityConfig()
    methods: tuple[str, ...] = ("separable", "kan")
    max_rows: int = 4000  # rows used for training (a random subset when there are more)


@dataclass(frozen=True)
class Candidate:
    method: str
    expr: sympy.Expr
    val_rmse: float
    complexity: int


@dataclass(frozen=True)
class FitResult:
    expr: sympy.Expr
    symbols: tuple[sympy.Symbol, ...]
    dataset: Dataset = field(repr=False)
    r2: float  # held-out (test rows)
    rmse: float
    complexity: int
    method: str
    seconds: float
    device: str
    widths: tuple[int, ...]  # of the pruned network
    model: KAN = field(repr=False)  # the pruned, trained network
    snapped: SnappedKAN | None = field(repr=False)
    inputs: tuple[int, ...]  # feature indices the pruned network uses
    candidates: tuple[Candidate, ...] = field(repr=False)
    edge_scores: tuple[np.ndarray, ...] = field(repr=False)  # (out, in) per layer
    losses: tuple[float, ...] = field(repr=False)
    settings: dict = field(repr=False, default_factory=dict)


def _t(a: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float64, device=device)


def train_network(
    X: np.ndarray, y: np.ndarray, config: FitConfig, device: torch.device,
    on_progress: Progress | None = None,
) -> tuple[Pruned, tuple[float, ...]]:
    """Train a KAN with sparsity, prune it, then refine the pruned net on finer grids."""
    d = X.shape[1]
    gen = torch.Generator().manual_seed(config.seed)
    hidden = config.hidden or min(2 * d + 1, 9)
    model = KAN([d, hidden, 1], grid_size=config.grid_sizes[0], generator=gen).to(device)
    lo, hi = X.min(0), X.max(0)
    with torch.no_grad():
        model.in_shift.copy_(_t((lo + hi) / 2, device))
        model.in_scale.copy_(_t(np.maximum((hi - lo) / 2, 1e-12), device))
        model.out_shift.fill_(float(y.mean()))
        model.out_scale.fill_(float(y.std()) or 1.0)
    Xt, yt = _t(X, device), _t(y[:, None], device)

    def report(phase: str) -> Callable[[int, float], None]:
        def cb(step: int, loss: float) -> None:
            if on_progress is not None:
                on_progress("train", {"phase": phase, "step": step, "loss": loss})

        return cb

    losses: list[float] = []
    sparse = train(model, Xt, yt, TrainConfig(steps=config.steps, lamb=config.lamb),
                   on_step=report("sparse"))
    losses += sparse.losses
    pruned = prune(sparse.model, Xt, config.prune)
    model = pruned.model
    for grid in config.grid_sizes:
        if grid != model.grid_size:
            model = model.with_grid(Xt[:, list(pruned.inputs)], grid)
        res = train(model, Xt[:, list(pruned.inputs)], yt, TrainConfig(steps=config.steps),
                    on_step=report(f"grid {grid}"))
        model, losses = res.model, losses + list(res.losses)
    return Pruned(model, pruned.inputs, pruned.edge_scores), tuple(losses)


def _surrogate(model: KAN, inputs: tuple[int, ...], device: torch.device):
    def f(X: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(_t(X[:, list(inputs)], device))[:, 0].cpu().numpy()

    return f


def _separable_expression(
    tree: Node, f, symbols: tuple[sympy.Symbol, ...], low: np.ndarray, high: np.ndarray,
    library: Mapping[str, Primitive], n: int = 256,
) -> sympy.Expr | None:
    leaves = tree.leaves()
    if any(leaf.kind == "block" for leaf in leaves):
        return None
    xs, ys, syms = [], [], []
    for leaf in leaves:
        v = leaf.vars[0]
        grid = np.linspace(low[v], high[v], n)
        X = np.tile((low + high) / 2, (n, 1))
        X[:, v] = grid
        xs.append(grid)
        ys.append(restricted(f, leaf.fixed)(X))
        syms.append(symbols[v])
    fits = iter(fit_univariate(xs, ys, syms, library))

    def build(node: Node) -> sympy.Expr:
        if node.kind == "leaf":
            return next(fits).expr
        parts = [build(child) for child in node.children]
        k = len(parts)
        if node.kind == "sum":
            return sympy.Add(*parts) - (k - 1) * sympy.Float(node.value)
        return sympy.Mul(*parts) / sympy.Float(node.value) ** (k - 1)

    return build(tree)


def finalize(
    expr: sympy.Expr, symbols, fit_xy: tuple[np.ndarray, np.ndarray],
    val_xy: tuple[np.ndarray, np.ndarray],
) -> sympy.Expr:
    """Refit constants end to end, drop unneeded terms, snap constants to nice numbers."""
    X, y = fit_xy
    expr = constants.refit_constants(expr, symbols, X, y)
    expr = constants.canonicalize(expr)
    expr = constants.refit_constants(expr, symbols, X, y)
    expr = constants.drop_negligible_terms(expr, symbols, X, y)
    Xa, ya = np.concatenate([X, val_xy[0]]), np.concatenate([y, val_xy[1]])
    expr = constants.snap_constants(expr, symbols, Xa, ya)
    return constants.canonicalize(expr)


def _rmse(expr, symbols, X, y) -> float:
    pred = evaluate(expr, symbols, X)
    err = float(np.sqrt(np.mean((pred - y) ** 2)))
    return err if np.isfinite(err) else math.inf


def select(candidates: list[Candidate], scale: float) -> Candidate:
    """Simplest candidate whose validation error is within 1.5× of the best (or tiny)."""
    best = min(c.val_rmse for c in candidates)
    ok = [c for c in candidates if c.val_rmse <= max(1.5 * best, 1e-9 * scale)]
    return min(ok, key=lambda c: (c.complexity, c.val_rmse))


def fit(
    dataset: Dataset,
    config: FitConfig = FitConfig(),
    *,
    library: Mapping[str, Primitive] = DEFAULT_LIBRARY,
    on_progress: Progress | None = None,
) -> FitResult:
    """Find a closed-form formula for ``dataset.y`` in terms of ``dataset.X``."""
    start = time.perf_counter()
    unknown = set(config.methods) - {"separable", "kan"}
    if unknown or not config.methods:
        raise InputError(f"methods {sorted(unknown)} unknown; choose from 'separable', 'kan'")
    device = resolve_device(config.device)
    train_ds, test_ds = train_test_split(dataset, config.test_fraction, seed=config.seed)
    fit_ds, val_ds = train_test_split(train_ds, config.val_fraction, seed=config.seed + 1)
    if fit_ds.n_rows > config.max_rows:
        rows = np.random.default_rng(config.seed).choice(fit_ds.n_rows, config.max_rows, False)
        fit_ds = fit_ds.select(np.sort(rows))
    symbols = dataset.symbols()
    X, y = fit_ds.X, fit_ds.y

    def progress(stage: str, **info) -> None:
        if on_progress is not None:
            on_progress(stage, info)

    progress("train", phase="start")
    pruned, losses = train_network(X, y, config, device, on_progress)
    inputs = pruned.inputs
    progress("prune", widths=pruned.model.widths, inputs=inputs)
    candidates: list[Candidate] = []
    val = (val_ds.X, val_ds.y)

    def add(method: str, expr: sympy.Expr | None) -> None:
        if expr is None:
            return
        try:
            expr = finalize(expr, symbols, (X, y), val)
        except (ValueError, TypeError, ZeroDivisionError, OverflowError) as err:
            progress("candidate", method=method, error=str(err))
            return
        cand = Candidate(method, expr, _rmse(expr, symbols, *val), complexity(expr))
        candidates.append(cand)
        progress("candidate", method=method, formula=str(expr), val_rmse=cand.val_rmse)

    snapped = None
    if "kan" in config.methods:
        progress("snap")
        Xt = _t(X[:, list(inputs)], device)
        snapped = snap(pruned.model, Xt, library)
        add("kan", network_expression(snapped, [symbols[i] for i in inputs], library))
    if "separable" in config.methods:
        progress("separate")
        f = _surrogate(pruned.model, inputs, device)
        low, high = X.min(0), X.max(0)
        rng = np.random.default_rng(config.seed)
        tree = separate(f, low, high, rng=rng, config=config.separability, vars=inputs,
                        fixed={i: float((low[i] + high[i]) / 2) for i in range(X.shape[1])
                               if i not in inputs})
        add("separable", _separable_expression(tree, f, symbols, low, high, library))
    if not candidates:
        raise InputError("no formula candidate could be built from this data")
    best = select(candidates, float(np.std(y)))
    pred = evaluate(best.expr, symbols, test_ds.X)
    resid = pred - test_ds.y
    rmse = float(np.sqrt(np.mean(resid**2)))
    r2 = float(1 - np.sum(resid**2) / np.sum((test_ds.y - test_ds.y.mean()) ** 2))
    return FitResult(
        expr=best.expr, symbols=symbols, dataset=dataset, r2=r2, rmse=rmse,
        complexity=best.complexity, method=best.method,
        seconds=time.perf_counter() - start, device=str(device),
        widths=pruned.model.widths, model=pruned.model, snapped=snapped, inputs=inputs,
        candidates=tuple(candidates), losses=losses,
        edge_scores=tuple(s.detach().cpu().numpy() for s in pruned.edge_scores),
        settings={k: v for k, v in asdict(config).items()},
    )
