"""The one place that chains the stages: split rows → solve → choose → assemble.

``fit(dataset, config)`` hands the fitting rows to the recursive solver
(`symkan.search.solver`), whose levers propose formulas cheapest first — one-layer KANs,
two-level one-variable forms, units, dimensionless groups found from the data,
separability on a KAN surrogate with non-separable blocks solved as sub-problems, the
sparse KAN path — each refitted, cleaned and scored on held-out rows. The Pareto front
of those candidates gives the chosen formula; the network drawn for it is the one-layer
network that computes it, or the pruned KAN.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import sympy
import torch

from symkan import formula
from symkan.data import Dataset, train_test_split
from symkan.data.columns import choose_columns
from symkan.errors import InputError, SymkanError
from symkan.formula import complexity, evaluate
from symkan.formula.numeric import r2
from symkan.kan.compile import FormulaKAN, NotCompilable, compile_formula
from symkan.kan.network import KAN
from symkan.kan.prune import edge_scores
from symkan.kan.train import resolve_device
from symkan.search import surrogate, units
from symkan.search.networks import to_tensor, train_network
from symkan.search.pareto import pareto_front, simpler_forms
from symkan.search.pareto import select as select_formula
from symkan.search.solver import Solver
from symkan.search.steering import steering
from symkan.search.types import Candidate, FitConfig, Halt, Problem, exact
from symkan.symbolic.library import DEFAULT_LIBRARY, Primitive
from symkan.symbolic.snap import SnappedKAN, snap

__all__ = ["Candidate", "FitConfig", "FitInterrupted", "FitResult", "fit"]

Progress = Callable[[str, dict], None]


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
    widths: tuple[int, ...]  # of the drawn network
    model: KAN = field(repr=False)  # the drawn network
    snapped: SnappedKAN | None = field(repr=False)
    inputs: tuple[int, ...]  # feature indices the drawn network uses
    candidates: tuple[Candidate, ...] = field(repr=False)
    edge_scores: tuple[np.ndarray, ...] = field(repr=False)  # (out, in) per layer
    losses: tuple[float, ...] = field(repr=False)
    settings: dict = field(repr=False, default_factory=dict)
    trained: KAN | None = field(repr=False, default=None)  # before pruning, all inputs
    pareto: tuple[Candidate, ...] = field(repr=False, default=())  # complexity ↑, loss ↓
    scale: float = 1.0  # std of the fitting rows' target: the unit of "exact", "simplest"
    stopped: str | None = None  # "time budget" or "interrupted" when the search was cut short
    timings: dict = field(repr=False, default_factory=dict)  # seconds per lever path
    # what the search learnt about the law on the way: groups, symmetries, the spectrum of
    # the log-coordinate feature matrix (`symkan.search.levers.symmetries`)
    structure: dict = field(repr=False, default_factory=dict)
    # sub-problems whose share of the time ran out (their candidates depend on the clock)
    cut_short: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # what the run decided for the user (columns left out, …)
    # the formula compiled into its own network of sum and product nodes (what the diagram
    # draws; None when the formula has a part that is not a sum, product, power or
    # one-argument function) and that network's R² against the formula on the test rows
    formula_network: FormulaKAN | None = field(repr=False, default=None)
    formula_network_r2: float = float("nan")


class FitInterrupted(SymkanError):
    """The search was stopped (Ctrl-C, a ``stop`` callable) before any formula was found."""


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
    sample_weight: np.ndarray | None = None,
) -> FitResult:
    """Find a closed-form formula for ``dataset.y`` in terms of ``dataset.X``.

    The search ends early, keeping the formulas found so far, when ``stop()`` returns True
    (checked between training steps and between candidates; the CLI sets it on Ctrl-C) or,
    once at least one formula exists, when ``config.time_budget`` seconds are spent.
    `FitResult.stopped` says which. Stopped by ``stop`` before any formula exists, it raises
    `FitInterrupted`.

    ``sample_weight`` (one number >= 0 per row, e.g. ``1/σ²`` of each measurement) makes
    every constant refit, cleaning, snapping and held-out error of the search weighted, so
    the selection too; the levers' own networks and screens see the rows unweighted.
    """
    start = time.perf_counter()
    config.validate()
    _check_fit_input(dataset)
    weights = _check_weights(sample_weight, dataset.n_rows)
    dataset, notes = choose_columns(dataset, config.inputs, config.exclude)
    _check_fit_input(dataset)
    steer = steering(config, dataset.feature_names, library)  # bad strings: errors now
    notes = [*notes, *steer.notes]
    for note in notes:
        if on_progress is not None:
            on_progress("note", {"text": note})
    if config.units is not None:  # bad units are an error before any training
        units.units_for(config.units, dataset.feature_names, dataset.target_name)
    device = resolve_device(config.device)
    problem, test_ds = _split(dataset, config, weights)
    if weights is not None:
        notes = [*notes, ("rows weighted by sample_weight: every constant fit, snap and "
                          "held-out error of the search is weighted")]
    solver = Solver(config, steer.library, device, on_progress=on_progress, stop=stop,
                    start=start, names=(dataset.feature_names, dataset.target_name),
                    steering=steer)
    candidates, stopped = _solve(solver, problem)
    candidates, best, front = _choose(solver, candidates, problem, stopped)
    network, model, snapped, inputs = _drawn_network(solver, best, problem, config)
    pred = evaluate(best.expr, problem.symbols, test_ds.X)
    drawn, drawn_r2 = _formula_network(best.expr, problem.symbols, test_ds.X, pred)
    with torch.no_grad():
        net = model(to_tensor(test_ds.X[:, list(inputs)], device))[:, 0].cpu().numpy()
    scores = (network.pruned.edge_scores if network is not None else
              edge_scores(model, to_tensor(problem.X[:, list(inputs)], device)))
    return FitResult(
        expr=best.expr, symbols=problem.symbols, dataset=dataset, r2=r2(pred, test_ds.y),
        rmse=float(np.sqrt(np.mean((pred - test_ds.y) ** 2))), network_r2=r2(pred, net),
        complexity=best.complexity, method=best.method,
        seconds=time.perf_counter() - start, device=str(device),
        widths=model.widths, model=model, snapped=snapped, inputs=inputs,
        candidates=tuple(candidates), losses=tuple(network.losses) if network else (),
        edge_scores=tuple(s.detach().cpu().numpy() for s in scores),
        settings=asdict(config), trained=network.trained if network else None,
        pareto=front, scale=problem.scale, stopped=stopped,
        timings={k: round(v, 3) for k, v in solver.timings.items()},
        structure=dict(solver.structure),
        cut_short=tuple(solver.cut_short),
        notes=tuple(notes),
        formula_network=drawn, formula_network_r2=drawn_r2,
    )


def surrogate_report(dataset: Dataset, config: FitConfig | None = None) -> dict:
    """The top problem's surrogate as `fit` trains it (same rows, same recipe), outside a
    search: its network and held-out relative error (``structure["surrogate"]`` of a
    `FitResult` whose search needed one)."""
    config = (config or FitConfig()).validate()
    problem, _ = _split(dataset, config)
    return surrogate.train(problem, config, resolve_device(config.device))


def _formula_network(expr, symbols, X: np.ndarray, pred: np.ndarray
                     ) -> tuple[FormulaKAN | None, float]:
    """The formula's own network and its R² against the formula on the rows ``X``."""
    try:
        net = compile_formula(expr, symbols)
    except NotCompilable:
        return None, float("nan")
    return net, r2(net.predict(X), pred)


def _split(dataset: Dataset, config: FitConfig,
           weights: np.ndarray | None = None) -> tuple[Problem, Dataset]:
    """Fit, validation and test rows; the top problem is the fit and validation rows
    (with their weights, scaled to mean 1 on the training rows)."""
    train_ds, test_ds = train_test_split(dataset, config.test_fraction, seed=config.seed)
    fit_ds, val_ds = train_test_split(train_ds, config.val_fraction, seed=config.seed + 1)
    rows = None
    if fit_ds.n_rows > config.max_rows:
        rows = np.sort(np.random.default_rng(config.seed).choice(fit_ds.n_rows, config.max_rows,
                                                                 False))
        fit_ds = fit_ds.select(rows)
    pair = None
    if weights is not None:  # the same splits of the row numbers give each row its weight
        index = Dataset(np.arange(dataset.n_rows, dtype=float)[:, None],
                        np.arange(dataset.n_rows, dtype=float), ("row",), "target")
        train_i, _ = train_test_split(index, config.test_fraction, seed=config.seed)
        fit_i, val_i = train_test_split(train_i, config.val_fraction, seed=config.seed + 1)
        fit_rows = fit_i.y.astype(int) if rows is None else fit_i.y.astype(int)[rows]
        unit = float(np.mean(weights[train_i.y.astype(int)])) or 1.0
        pair = (weights[fit_rows] / unit, weights[val_i.y.astype(int)] / unit)
    problem = Problem(fit_ds.X, fit_ds.y, val_ds.X, val_ds.y, dataset.symbols(), weights=pair)
    return problem, test_ds


def _check_weights(weights, n: int) -> np.ndarray | None:
    if weights is None:
        return None
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.shape != (n,) or not np.all(np.isfinite(w)) or np.any(w < 0) or not np.sum(w) > 0:
        raise InputError(f"sample_weight must hold {n} finite numbers >= 0 (one per row), not "
                         "all 0; e.g. 1/σ² of each row's measurement error")
    return w


def _solve(solver: Solver, problem: Problem) -> tuple[list[Candidate], str | None]:
    """The solver's candidates for the top problem, and why it stopped (if it did)."""
    candidates: list[Candidate] = []
    stopped = None
    try:
        candidates = solver.solve(problem)
    except Halt as halt:
        stopped = str(halt)
        solver.progress("budget" if stopped == "time budget" else "stopped",
                        seconds=time.perf_counter() - solver.start)
        candidates = solver.collected
    if not candidates:
        if stopped == "interrupted":
            raise FitInterrupted("stopped before any formula was found; nothing to report")
        raise InputError("no formula candidate could be built from this data")
    mean = sympy.Float(float(np.mean(problem.y)))
    loss = formula.rmse(mean, problem.symbols, problem.Xv, problem.yv)
    return candidates + [Candidate("constant", mean, loss, 1)], stopped


def _choose(solver: Solver, candidates: list[Candidate], problem: Problem,
            stopped: str | None) -> tuple[list[Candidate], Candidate, tuple[Candidate, ...]]:
    """All candidates, the returned formula and the Pareto front.

    Unless one is exact (or Ctrl-C was pressed), the few refitted-only candidates that can
    still be chosen are cleaned first; with time left, simpler forms of the chosen
    formula give the front its approximations.
    """
    config = solver.config
    if stopped != "interrupted" and not exact(candidates, problem.scale):
        candidates = solver.polish(candidates, problem)
    # the user's guesses are shown snapped, whatever their rank
    candidates = [solver.cleaned(c, problem) if _is_guess(c) else c for c in candidates]
    candidates = _within(candidates, config.max_complexity)
    best = _select(pareto_front(candidates), config, problem.scale)
    if stopped is None and solver.seconds_left() > 0:
        fit_xy, val_xy = (problem.X, problem.y), (problem.Xv, problem.yv)
        for form in simpler_forms(best.expr, problem.symbols, fit_xy, val_xy):
            candidates.append(Candidate(
                f"{best.method}, simplified", form,
                formula.rmse(form, problem.symbols, *val_xy), complexity(form)))
        candidates = _within(candidates, config.max_complexity)
    front = pareto_front(candidates)
    best = _select(front, config, problem.scale)
    guesses = [c for c in candidates if _is_guess(c) and c not in front]
    shown = tuple(sorted((*front, *guesses), key=lambda c: (c.complexity, c.val_rmse)))
    return candidates, best, shown


def _is_guess(cand: Candidate) -> bool:
    """A guess of the user's, as given (not a simpler form of it)."""
    return cand.method.startswith("guess ") and not cand.method.endswith(", simplified")


def _within(candidates: list[Candidate], most: int | None) -> list[Candidate]:
    """The candidates of at most ``most`` nodes (all when None; the constant always)."""
    if most is None:
        return candidates
    return [c for c in candidates if c.complexity <= most or c.method == "constant"]


def _select(front, config: FitConfig, scale: float) -> Candidate:
    return select_formula(front, config.model_selection, scale=scale,
                          parsimony=config.parsimony)


def _drawn_network(solver: Solver, best: Candidate, problem: Problem, config: FitConfig):
    """The network a diagram draws: the one-layer net whose formula was chosen, else the
    pruned KAN (trained briefly when an exact formula made the KAN path unnecessary)."""
    device, library, X = solver.device, solver.library, problem.X
    onelayer = solver.artifacts.get("onelayer", [])
    own = [net for net in onelayer if net[0] == best.method]
    stopped = solver.stop_reason is not None or "kan" not in config.methods
    if (own and exact([best], problem.scale)) or (
            onelayer and "kan" not in solver.artifacts and stopped):
        _, model, snapped = (own or onelayer)[0]
        model, snapped, inputs = _drop_unused_inputs(model, snapped, best.expr,
                                                     problem.symbols, X, device, library)
        return None, model, snapped, inputs
    if "kan" not in solver.artifacts:
        brief = replace(config, grid_sizes=config.grid_sizes[:1],
                        steps=max(config.steps // 4, 10))  # only drawn: its formula is not used
        solver.progress("train", phase="KAN")
        network = train_network(X, problem.y, brief, device)
        snapped = snap(network.pruned.model,
                       to_tensor(X[:, list(network.pruned.inputs)], device), library)
        solver.artifacts["kan"] = (network, snapped)
    network, snapped = solver.artifacts["kan"]
    return network, network.pruned.model, snapped, network.pruned.inputs


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
    return model, snap(model, to_tensor(X[:, list(used)], device), library), used


