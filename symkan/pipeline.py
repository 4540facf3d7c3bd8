"""The one place that chains the stages: Dataset → KAN → trained → pruned → formula.

``fit(dataset, config)`` collects formula candidates from stages tried cheapest first:

* ``multiplicative`` / ``additive``: one-layer KANs on ``log|y|`` and ``y`` (products
  and sums of one-variable functions), snapped edge by edge;
* ``composite`` (one input): two-level forms ``c·f(a·h(x)+b)+d`` fitted directly;
* ``units`` (when column units are given): the law reduced by dimensional analysis;
* ``separable``: an unpruned KAN surrogate splits the law into sums and products of
  one-variable functions (`symkan.decompose`), whose leaves are fitted symbolically;
* ``kan``: a KAN trained with sparsity, pruned, and snapped edge by edge.

Once a candidate reproduces the validation rows to rounding error, the later stages are
skipped; the KAN path then only trains briefly to draw the pruned graph, and not at all
when the exact formula is a one-layer network's own. Every candidate's constants are
refitted end to end on the training rows, terms the data do not need are dropped, and
constants are snapped to rationals and π where the validation error allows. The
candidate with the best trade-off of validation error and complexity is returned with
all the others (the Pareto front).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import sympy
import torch

from symkan import constants, units
from symkan.candidates import (
    NetworkFit,
    _t,
    additive_candidates,
    composite_candidates,
    separable_stage,
    train_network,
)
from symkan.data import Dataset, from_arrays, train_test_split
from symkan.decompose import SeparabilityConfig
from symkan.errors import InputError, SymkanError
from symkan.formula import complexity, evaluate, network_expression, tidy
from symkan.kan import KAN
from symkan.pareto import MODEL_SELECTIONS, pareto_front, simpler_forms
from symkan.pareto import select as select_formula
from symkan.prune import PruneConfig, edge_scores
from symkan.symbolic.library import DEFAULT_LIBRARY, Primitive
from symkan.symbolic.snap import SnappedKAN, snap
from symkan.train import resolve_device

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
    # column name → units ("m/s", "kg*m^2/s^2", "1"; or exponent vectors over one basis):
    # with them the law is first reduced by dimensional analysis (`symkan.units`)
    units: Mapping[str, str | tuple[float, ...]] | None = None


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
    return tidy(constants.canonicalize(expr)) if complexity(expr) <= max_complexity else expr


def _r2(pred: np.ndarray, target: np.ndarray) -> float:
    return float(1 - np.sum((pred - target) ** 2) / np.sum((target - target.mean()) ** 2))


def select(candidates: list[Candidate], scale: float) -> Candidate:
    """Simplest candidate whose validation error is within 1.5× of the best (or tiny).

    The ``"best"`` rule of `symkan.pareto.select`.
    """
    return select_formula(candidates, "best", scale=scale)


def _check_fit_input(dataset) -> None:
    """A `Dataset` with at least one feature that varies; or an error that says how."""
    if isinstance(dataset, (str, os.PathLike)):
        raise InputError(
            f"fit takes a Dataset, not the file name {os.fspath(dataset)!r}; read the file "
            f"first: symkan.fit(symkan.load_csv({os.fspath(dataset)!r}))"
        )
    if not isinstance(dataset, Dataset):
        raise InputError(
            f"fit takes a Dataset, not a {type(dataset).__name__}; build one with "
            "symkan.load_csv('data.csv') or symkan.from_arrays(X, y, feature_names)"
        )
    if dataset.n_rows and np.all(dataset.X == dataset.X[0], axis=0).all():
        values = ", ".join(f"{n}={v:g}" for n, v in zip(dataset.feature_names, dataset.X[0]))
        raise InputError(
            f"every feature column of {dataset.source or 'the data'} is constant ({values}), "
            f"so {dataset.target_name!r} cannot depend on them; give columns whose values vary"
        )


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
    _check_fit_input(dataset)
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
    if config.units is not None:  # bad units are an error before any training
        units.units_for(config.units, dataset.feature_names, dataset.target_name)
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
    # the one-layer network shown when the KAN path does not finish: the one whose own
    # formula is exact, else the first trained
    additive_net: tuple[KAN, SnappedKAN] | None = None
    stopped: str | None = None
    try:
        if "additive" in config.methods:
            progress("train", phase="additive")
            for name, expr, model, net_snapped in additive_candidates(
                    X, y, symbols, config, device, library, check=check):
                add(name, expr)
                if additive_net is None or _exact(candidates[-1:], scale):
                    additive_net = (model, net_snapped)
                if _exact(candidates, scale):
                    break  # the other target cannot do better than exact
        net_is_exact = _exact(candidates, scale)  # a one-layer net computes it: no KAN path

        if X.shape[1] == 1 and not _exact(candidates, scale):
            for name, expr in composite_candidates(X[:, 0], y, symbols[0], library):
                add(name, expr)
        if config.units is not None and not _exact(candidates, scale):
            progress("train", phase="dimensional analysis")
            for name, expr in units_candidates(
                    train_ds, config, library,
                    stop=lambda: stop is not None and stop(),
                    budget=config.time_budget - (time.perf_counter() - start)):
                add(name, expr)
        check()
        if "separable" in config.methods and X.shape[1] > 1 and not _exact(candidates, scale):
            separable_stage(X, y, val_ds, symbols, config, device, library, scale,
                             on_progress, check, add)

        # the KAN path: sparsity → prune → snap every edge (also what the diagram shows).
        # Not needed when a one-layer network is exact; when another stage found an exact
        # formula, trained briefly, only to draw the pruned graph
        if not net_is_exact and ("kan" in config.methods or additive_net is None):
            progress("train", phase="KAN")
            exact = _exact(candidates, scale)
            kan_config = replace(config, grid_sizes=config.grid_sizes[:1],
                                 steps=max(config.steps // 2, 10)) if exact else config
            network = train_network(X, y, kan_config, device, on_progress, check=check)
            pruned = network.pruned
            progress("prune", widths=pruned.model.widths, inputs=pruned.inputs)
            progress("snap")
            snapped = snap(pruned.model, _t(X[:, list(pruned.inputs)], device), library)
            if "kan" in config.methods and not exact:
                add("kan", network_expression(snapped, [symbols[i] for i in pruned.inputs],
                                              library))
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
        (model, snapped), trained, losses = additive_net, None, ()
        model, snapped, inputs = _drop_unused_inputs(model, snapped, best.expr, symbols, X,
                                                     device, library)
        scores = tuple(edge_scores(model, _t(X[:, list(inputs)], device)))
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


def units_candidates(
    data: Dataset, config: FitConfig, library: Mapping[str, Primitive], *,
    stop: Callable[[], bool], budget: float,
) -> list[tuple[str, sympy.Expr]]:
    """Formulas from the dimensionally reduced problem ``y = monomial · g(π_1, …, π_k)``.

    ``g`` is found by a full `fit` on the dimensionless groups of ``data``'s rows (the
    outer training rows only); its Pareto front is mapped back to the columns.
    """
    vecs, tvec = units.units_for(config.units, data.feature_names, data.target_name)
    reduction = units.reduce(vecs, tvec, data.X)
    if reduction is None:
        return []
    symbols = data.symbols()
    scale = reduction.scale_expr(symbols)
    Z, g = reduction.transform(data.X, data.y)
    if not np.all(np.isfinite(g)) or not np.all(np.isfinite(Z)):
        return []
    if reduction.n_groups == 0 or np.std(g) <= 1e-12 * abs(np.mean(g)):
        return [("units", sympy.Float(float(np.mean(g))) * scale)]
    names = [f"group{j + 1}" for j in range(reduction.n_groups)]
    try:
        inner = fit(from_arrays(Z, g, names, target_name="g", source="dimensionless groups"),
                    replace(config, units=None, time_budget=max(budget / 2, 1.0)),
                    library=library, stop=stop)
    except InputError:  # e.g. a group that is constant on these rows
        return []
    groups = dict(zip(inner.symbols, reduction.group_exprs(symbols)))
    return [(f"units/{c.method}", c.expr.subs(groups) * scale) for c in inner.pareto]


def _drop_unused_inputs(
    model: KAN, snapped: SnappedKAN, expr: sympy.Expr, symbols, X: np.ndarray,
    device: torch.device, library: Mapping[str, Primitive],
) -> tuple[KAN, SnappedKAN, tuple[int, ...]]:
    """The one-layer network without the inputs the chosen formula does not use.

    Its other edges are the formula's own terms, so this is the pruned graph (the one-layer
    path never trains with sparsity and keeps every input).
    """
    used = tuple(i for i, s in enumerate(symbols) if s in expr.free_symbols) or (0,)
    if len(used) == model.widths[0]:
        return model, snapped, used
    keep = [torch.tensor(used, device=device)]
    keep += [torch.arange(w, device=device) for w in model.widths[1:]]
    model = model.select(keep)
    return model, snap(model, _t(X[:, list(used)], device), library), used


def _exact(candidates: list[Candidate], scale: float) -> bool:
    """A candidate already reproduces the validation rows to rounding error."""
    return any(c.val_rmse <= 1e-9 * scale for c in candidates)
