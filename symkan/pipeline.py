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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import sympy
import torch

from symkan import constants
from symkan.data import Dataset, train_test_split
from symkan.decompose import Node, SeparabilityConfig, restricted, separate
from symkan.errors import InputError, SymkanError
from symkan.formula import complexity, evaluate, network_expression
from symkan.kan import KAN
from symkan.pareto import MODEL_SELECTIONS, pareto_front, simpler_forms
from symkan.pareto import select as select_formula
from symkan.prune import PruneConfig, Pruned, edge_scores, prune_greedy
from symkan.symbolic.library import DEFAULT_LIBRARY, Primitive
from symkan.symbolic.snap import SnappedKAN, snap
from symkan.symbolic.univariate import choose, leaf_options
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
    prune: PruneConfig = field(default_factory=PruneConfig)
    separability: SeparabilityConfig = field(default_factory=SeparabilityConfig)
    methods: tuple[str, ...] = ("additive", "separable", "kan")
    max_rows: int = 4000  # rows used for training (a random subset when there are more)
    time_budget: float = 120.0  # seconds; later stages are skipped once it is spent
    model_selection: str = "best"  # which formula of the Pareto front is returned
    restarts: int = 0  # extra KAN runs (new seed, wider, stronger pruning) if none is exact


@dataclass(frozen=True)
class Candidate:
    method: str
    expr: sympy.Expr
    val_rmse: float
    complexity: int


@dataclass(frozen=True)
class NetworkFit:
    """The KAN path's artifacts: the network before and after pruning."""

    trained: KAN  # after sparse training, before pruning (all inputs)
    pruned: Pruned  # pruned and refined on finer grids
    losses: tuple[float, ...]


@dataclass(frozen=True)
class FitResult:
    expr: sympy.Expr
    symbols: tuple[sympy.Symbol, ...]
    dataset: Dataset = field(repr=False)
    r2: float  # held-out (test rows)
    rmse: float
    network_r2: float  # formula vs the pruned KAN's predictions on the test rows
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
    trained: KAN | None = field(repr=False, default=None)  # before pruning, all inputs
    pareto: tuple[Candidate, ...] = field(repr=False, default=())  # complexity ↑, loss ↓
    scale: float = 1.0  # std of the fitting rows' target: the unit of "exact", "simplest"
    stopped: str | None = None  # "time budget" or "interrupted" when the search was cut short


class FitInterrupted(SymkanError):
    """The search was stopped (Ctrl-C, a ``stop`` callable) before any formula was found."""


class _Halt(Exception):
    """Raised inside a stage to end the search early; `fit` catches it."""


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
    Yields (name, formula, network, snapped network), one target at a time.
    """
    targets = [("additive", y, None)]
    sign = float(np.sign(y[0]))
    if sign != 0 and np.all(np.sign(y) == sign):
        targets.append(("multiplicative", np.log(np.abs(y)), sign))
    Xt = _t(X, device)
    for name, target, sgn in targets:
        model = _new_kan((X.shape[1], 1), X, target, config.grid_sizes[0], config.seed, device)
        model, _ = refine(model, Xt, _t(target[:, None], device), config.grid_sizes,
                          config.steps, check=check)
        snapped = snap(model, Xt, library)
        expr = network_expression(snapped, symbols, library)
        yield name, expr if sgn is None else sympy.Float(sgn) * sympy.exp(expr), model, snapped


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


def finalize(
    expr: sympy.Expr, symbols, fit_xy: tuple[np.ndarray, np.ndarray],
    val_xy: tuple[np.ndarray, np.ndarray], max_complexity: int = 60,
) -> sympy.Expr:
    """Refit constants end to end, drop unneeded terms, snap constants to nice numbers.

    First on the structured form (as composed, few constants), then once more after
    expanding into a canonical sum, so constants merged by the expansion are snapped too.
    """
    X, y = fit_xy
    Xa, ya = np.concatenate([X, val_xy[0]]), np.concatenate([y, val_xy[1]])

    scale = float(np.std(y)) or 1.0

    def clean(e: sympy.Expr) -> sympy.Expr:
        e = constants.refit_constants(e, symbols, X, y)
        if constants.rmse(e, symbols, X, y) > 0.05 * scale:
            return e  # a poor fit: simplifying it term by term is not worth the time
        e = constants.linearize_functions(e, symbols, X, y)
        e = constants.drop_negligible_terms(e, symbols, X, y)
        return constants.snap_constants(e, symbols, Xa, ya)

    if complexity(expr) > max_complexity:  # too big to simplify term by term in time:
        return constants.refit_constants(expr, symbols, X, y, max_nfev=50)  # a numeric law
    expr = clean(expr)
    expanded = constants.canonicalize(expr)
    if complexity(expanded) <= max_complexity:
        expr = clean(expanded)
    return constants.canonicalize(expr) if complexity(expr) <= max_complexity else expr


def _rmse_arrays(pred: np.ndarray, y: np.ndarray) -> float:
    err = float(np.sqrt(np.mean((pred - y) ** 2)))
    return err if np.isfinite(err) else math.inf


def _r2(pred: np.ndarray, target: np.ndarray) -> float:
    return float(1 - np.sum((pred - target) ** 2) / np.sum((target - target.mean()) ** 2))


def select(candidates: list[Candidate], scale: float) -> Candidate:
    """Simplest candidate whose validation error is within 1.5× of the best (or tiny).

    The ``"best"`` rule of `symkan.pareto.select`.
    """
    return select_formula(candidates, "best", scale=scale)


def fit(
    dataset: Dataset,
    config: FitConfig = FitConfig(),
    *,
    library: Mapping[str, Primitive] = DEFAULT_LIBRARY,
    on_progress: Progress | None = None,
    stop: Callable[[], bool] | None = None,
) -> FitResult:
    """Find a closed-form formula for ``dataset.y`` in terms of ``dataset.X``.

    The search ends early, keeping the formulas found so far, when ``stop()`` returns True
    (checked between training steps and between candidates; the CLI sets it on Ctrl-C) or,
    once at least one formula exists, when ``config.time_budget`` seconds are spent.
    `FitResult.stopped` says which. Stopped by ``stop`` before any formula exists, it raises
    `FitInterrupted`.
    """
    start = time.perf_counter()
    unknown = set(config.methods) - {"separable", "kan", "additive"}
    if unknown or not config.methods:
        raise InputError(
            f"methods {sorted(unknown)} unknown; choose from 'separable', 'kan', 'additive'"
        )
    if config.model_selection not in MODEL_SELECTIONS:
        raise InputError(
            f"model_selection={config.model_selection!r} is not one of "
            f"{list(MODEL_SELECTIONS)}; use 'best' (the default), 'accuracy' or 'simplest'"
        )
    device = resolve_device(config.device)
    train_ds, test_ds = train_test_split(dataset, config.test_fraction, seed=config.seed)
    fit_ds, val_ds = train_test_split(train_ds, config.val_fraction, seed=config.seed + 1)
    if fit_ds.n_rows > config.max_rows:
        rows = np.random.default_rng(config.seed).choice(fit_ds.n_rows, config.max_rows, False)
        fit_ds = fit_ds.select(np.sort(rows))
    symbols = dataset.symbols()
    X, y = fit_ds.X, fit_ds.y
    scale = float(np.std(y)) or 1.0

    def progress(stage: str, **info) -> None:
        if on_progress is not None:
            on_progress(stage, info)

    candidates: list[Candidate] = []
    val = (val_ds.X, val_ds.y)

    def check() -> None:
        if stop is not None and stop():
            raise _Halt("interrupted")
        if candidates and time.perf_counter() - start > config.time_budget:
            raise _Halt("time budget")

    def add(method: str, expr: sympy.Expr | None) -> None:
        if expr is None:
            return
        check()
        try:
            expr = finalize(expr, symbols, (X, y), val)
        except (ValueError, TypeError, ZeroDivisionError, OverflowError) as err:
            progress("candidate", method=method, error=str(err))
            return
        cand = Candidate(method, expr, constants.rmse(expr, symbols, *val), complexity(expr))
        candidates.append(cand)
        progress("candidate", method=method, formula=str(expr), val_rmse=cand.val_rmse)

    network: NetworkFit | None = None
    snapped: SnappedKAN | None = None
    additive_net: tuple[KAN, SnappedKAN] | None = None
    stopped: str | None = None
    try:
        if "additive" in config.methods:
            progress("train", phase="additive")
            for name, expr, model, net_snapped in additive_candidates(
                    X, y, symbols, config, device, library, check=check):
                if name == "additive":
                    additive_net = (model, net_snapped)
                add(name, expr)

        # the KAN path: sparsity → prune → snap every edge (also what the diagram shows)
        if "kan" in config.methods or additive_net is None:
            progress("train", phase="KAN")
            kan_config = config
            if _exact(candidates, scale):  # the KAN path now only has to show the pruned graph
                kan_config = replace(config, grid_sizes=config.grid_sizes[:1],
                                     steps=max(config.steps // 2, 10))
            network = train_network(X, y, kan_config, device, on_progress, check=check)
            pruned = network.pruned
            progress("prune", widths=pruned.model.widths, inputs=pruned.inputs)
            progress("snap")
            snapped = snap(pruned.model, _t(X[:, list(pruned.inputs)], device), library)
            if "kan" in config.methods:
                add("kan", network_expression(snapped, [symbols[i] for i in pruned.inputs],
                                              library))
        check()
        if "separable" in config.methods and X.shape[1] > 1 and not _exact(candidates, scale):
            _separable_stage(X, y, val_ds, symbols, config, device, library, scale,
                             on_progress, check, add)
        if config.restarts and "kan" in config.methods and not _exact(candidates, scale):
            for r in range(1, config.restarts + 1):  # gated: only when nothing is exact yet
                d = X.shape[1]
                again = replace(config, seed=config.seed + r,
                                hidden=(config.hidden or min(2 * d + 1, 9)) + 2 * r,
                                prune=replace(config.prune,
                                              edge_threshold=config.prune.edge_threshold * (1 + r),
                                              node_threshold=config.prune.node_threshold * (1 + r)))
                progress("train", phase=f"KAN restart {r}")
                net = train_network(X, y, again, device, on_progress, check=check).pruned
                snapped_r = snap(net.model, _t(X[:, list(net.inputs)], device), library)
                add("kan", network_expression(snapped_r, [symbols[i] for i in net.inputs],
                                              library))
    except _Halt as halt:
        stopped = str(halt)
        progress("budget" if stopped == "time budget" else "stopped",
                 seconds=time.perf_counter() - start)
    if not candidates:
        if stopped == "interrupted":
            raise FitInterrupted("stopped before any formula was found; nothing to report")
        raise InputError("no formula candidate could be built from this data")
    mean = sympy.Float(float(np.mean(y)))
    candidates.append(Candidate("constant", mean, constants.rmse(mean, symbols, *val), 1))
    best = select_formula(pareto_front(candidates), config.model_selection, scale=scale)
    if stopped is None and time.perf_counter() - start <= config.time_budget:
        # simpler forms of the chosen formula give the front its approximations
        for form in simpler_forms(best.expr, symbols, (X, y), val):
            candidates.append(Candidate(f"{best.method}, simplified", form,
                                        constants.rmse(form, symbols, *val), complexity(form)))
    front = pareto_front(candidates)
    best = select_formula(front, config.model_selection, scale=scale)

    if network is not None:
        model, inputs, trained, losses = (network.pruned.model, network.pruned.inputs,
                                          network.trained, network.losses)
        scores = network.pruned.edge_scores
    else:  # the KAN path did not run or was cut short: show the one-layer additive network
        assert additive_net is not None
        (model, snapped), inputs, trained, losses = additive_net, tuple(range(X.shape[1])), None, ()
        scores = tuple(edge_scores(model, _t(X, device)))
    pred = evaluate(best.expr, symbols, test_ds.X)
    with torch.no_grad():
        net = model(_t(test_ds.X[:, list(inputs)], device))[:, 0].cpu().numpy()
    return FitResult(
        expr=best.expr, symbols=symbols, dataset=dataset, r2=_r2(pred, test_ds.y),
        rmse=float(np.sqrt(np.mean((pred - test_ds.y) ** 2))), network_r2=_r2(pred, net),
        complexity=best.complexity, method=best.method,
        seconds=time.perf_counter() - start, device=str(device),
        widths=model.widths, model=model, snapped=snapped, inputs=inputs,
        candidates=tuple(candidates), losses=tuple(losses),
        edge_scores=tuple(s.detach().cpu().numpy() for s in scores),
        settings={k: v for k, v in asdict(config).items()},
        trained=trained, pareto=front, scale=scale, stopped=stopped,
    )


def _separable_stage(X, y, val_ds, symbols, config, device, library, scale, on_progress,
                     check, add) -> None:
    """Split the law on an unpruned KAN surrogate and add a formula for each tree."""
    if on_progress is not None:
        on_progress("train", {"phase": "surrogate"})
    surrogate, _ = train_surrogate(X, y, config, device, on_progress, check=check)
    f = _surrogate(surrogate, device)
    # the surrogate's own error sets how small a mixed difference counts as zero
    eps = _rmse_arrays(f(val_ds.X), val_ds.y) / scale
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


def _exact(candidates: list[Candidate], scale: float) -> bool:
    """A candidate already reproduces the validation rows to rounding error."""
    return any(c.val_rmse <= 1e-9 * scale for c in candidates)
