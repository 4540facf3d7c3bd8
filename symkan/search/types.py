"""Types shared by the solver and its levers: the run's settings, a problem, a candidate.

A `Problem` is rows (fit and validation), their symbols and a place in the recursion;
solving it yields `Candidate` formulas in those symbols. Every lever of the search
(`symkan.search.levers`) reads a `Problem` and the `FitConfig`; nothing here imports a
lever, so levers, the solver and the pipeline all sit above this module.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import sympy

from symkan.errors import InputError
from symkan.kan.prune import PruneConfig
from symkan.search.decompose import SeparabilityConfig
from symkan.search.noise import noise_level

#: Every lever, in the order the solver tries them (cheapest and most exact first).
LEVERS: tuple[str, ...] = ("additive", "composite", "rational", "terms", "offset", "enumerate",
                           "units", "groups", "symmetries", "separable", "residual",
                           "transforms", "kan")
MODEL_SELECTIONS: tuple[str, ...] = ("best", "accuracy", "simplest")


@dataclass(frozen=True)
class FitConfig:
    """Settings of a run; every field has a default that works on typical tables.

    `validate` is the one place that checks them (`symkan.fit`, the estimator and the CLI
    all call it before any work).
    """

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
    # the levers the solver may use (`LEVERS`); "units" only acts when `units` is given
    methods: tuple[str, ...] = LEVERS
    max_rows: int = 4000  # rows used for training (a random subset when there are more)
    time_budget: float = 120.0  # seconds; later stages are skipped once it is spent
    model_selection: str = "best"  # which formula of the Pareto front is returned
    restarts: int = 0  # extra KAN runs (new seed, wider, stronger pruning) if none is exact
    # column name → units ("m/s", "kg*m^2/s^2", "1"; or exponent vectors over one basis):
    # with them the law is first reduced by dimensional analysis (`symkan.search.units`)
    units: Mapping[str, str | tuple[float, ...]] | None = None
    max_depth: int = 2  # how deep reducers may nest sub-problems
    sub_budget: float = 10.0  # seconds a sub-problem may take at most
    # what the user brings (`symkan.search.steering`, `symkan.data.columns`):
    primitives: tuple[str, ...] | None = None  # the library's functions allowed (None: all)
    custom_primitives: tuple[str, ...] = ()  # "sinc=sin(x)/x" or "sinc:3=sin(x)/x"
    guesses: tuple[str, ...] = ()  # "a*x**2 + b": scored and always shown on the front
    templates: tuple[str, ...] = ()  # "f(x)*exp(-y)": f found by the search
    inputs: tuple[str, ...] | None = None  # input columns (None: all but row numbers)
    exclude: tuple[str, ...] = ()  # columns that are not inputs
    max_complexity: int | None = None  # no formula above this many tree nodes is kept
    parsimony: float | None = None  # "best" picks min(loss/std(y) + parsimony*complexity)

    def validate(self) -> FitConfig:
        """Raise `InputError` naming the first bad setting and its fix; return self."""
        if isinstance(self.methods, str) or not isinstance(self.methods, (tuple, list)):
            raise InputError(f"methods={self.methods!r} is not valid; use a tuple of lever "
                             f"names from {list(LEVERS)}")
        unknown = sorted(set(self.methods) - set(LEVERS))
        if unknown or not self.methods:
            raise InputError(f"methods {unknown or '()'} unknown; choose from {list(LEVERS)}")
        def integer(v, low):
            return isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= low

        def real(v):
            return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)

        checks = [
            ("test_fraction", real(self.test_fraction) and 0 < self.test_fraction < 1,
             "a fraction in (0, 1), e.g. 0.2"),
            ("val_fraction", real(self.val_fraction) and 0 < self.val_fraction < 1,
             "a fraction in (0, 1), e.g. 0.2"),
            ("time_budget", real(self.time_budget) and self.time_budget > 0,
             "a positive number of seconds, e.g. 60"),
            ("sub_budget", real(self.sub_budget) and self.sub_budget > 0,
             "a positive number of seconds, e.g. 10"),
            ("steps", integer(self.steps, 1), "a positive integer"),
            ("max_rows", integer(self.max_rows, 10), "an integer of at least 10"),
            ("restarts", integer(self.restarts, 0), "an integer >= 0, e.g. 0 or 2"),
            ("max_depth", integer(self.max_depth, 0), "an integer >= 0"),
            ("seed", integer(self.seed, 0), "an integer >= 0"),
            ("grid_sizes", isinstance(self.grid_sizes, tuple) and len(self.grid_sizes) > 0
             and all(integer(g, 2) for g in self.grid_sizes),
             "a non-empty tuple of integers >= 2, e.g. (5, 10, 20)"),
            ("hidden", self.hidden is None or integer(self.hidden, 1), "None or an integer >= 1"),
            ("lamb", real(self.lamb) and self.lamb >= 0, "a number >= 0"),
            ("device", self.device in ("auto", "cpu", "cuda") or (
                isinstance(self.device, str) and self.device.startswith("cuda:")),
             "'auto', 'cpu' or 'cuda'"),
        ]
        for name, ok, fix in checks:
            if not ok:
                raise InputError(f"{name}={getattr(self, name)!r} is not valid; use {fix}")
        for name in ("primitives", "inputs"):
            value = getattr(self, name)
            if value is not None and not _strings(value):
                raise InputError(f"{name}={value!r} is not valid; use None or a tuple of names")
        for name in ("custom_primitives", "guesses", "templates", "exclude"):
            if not _strings(getattr(self, name)):
                raise InputError(f"{name}={getattr(self, name)!r} is not valid; use a tuple of "
                                 "strings, e.g. ('a*x**2 + b',)")
        if self.max_complexity is not None and not integer(self.max_complexity, 1):
            raise InputError(f"max_complexity={self.max_complexity!r} is not valid; use None "
                             "or an integer >= 1, e.g. 20")
        if self.parsimony is not None and not (real(self.parsimony) and self.parsimony >= 0):
            raise InputError(f"parsimony={self.parsimony!r} is not valid; use None or a "
                             "number >= 0, e.g. 0.01")
        if self.model_selection not in MODEL_SELECTIONS:
            raise InputError(
                f"model_selection={self.model_selection!r} is not one of "
                f"{list(MODEL_SELECTIONS)}; use 'best' (the default), 'accuracy' or 'simplest'")
        return self


def _strings(value) -> bool:
    return isinstance(value, (tuple, list)) and all(isinstance(v, str) and v.strip()
                                                     for v in value)


@dataclass(frozen=True)
class Candidate:
    """A finished formula with its held-out error (validation rows) and complexity."""

    method: str  # the lever path that built it, e.g. "groups/composite x^2"
    expr: sympy.Expr
    val_rmse: float
    complexity: int
    cleaned: bool = True  # False: refitted only (terms not dropped, constants not snapped)


@dataclass(frozen=True)
class Problem:
    """Rows to explain: ``y ≈ f(X)`` with fit rows, validation rows and symbols.

    ``depth`` is 0 for the user's table and grows by one for each reducer that made a
    sub-problem; ``path`` names those reducers (``"separable/block"``).
    """

    X: np.ndarray  # (n, d) fit rows
    y: np.ndarray  # (n,)
    Xv: np.ndarray  # (m, d) validation rows
    yv: np.ndarray  # (m,)
    symbols: tuple[sympy.Symbol, ...]
    depth: int = 0
    path: str = ""
    # the rows' weights (fit rows, validation rows; mean 1), None when unweighted: every
    # constant refit, cleaning, snapping and error the solver computes is weighted
    weights: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def d(self) -> int:
        return self.X.shape[1]

    @property
    def scale(self) -> float:
        """The target's spread on the fit rows: the unit of "exact" and "simplest"."""
        return float(np.std(self.y)) or 1.0

    @cached_property
    def noise(self) -> float:
        """An upper estimate of the noise's std in ``y`` (`symkan.search.noise`), in the
        weighted rows' scale when there are weights."""
        return noise_level(self.X, self.y,
                           weights=None if self.weights is None else self.weights[0])

    def sub(self, X, y, Xv, yv, symbols, label: str, weights=None) -> Problem:
        """A smaller problem one level down, made by the reducer ``label``.

        ``weights`` (fit rows, validation rows) multiply this problem's own: a reducer
        that divides ``y`` by ``m(x)`` passes ``m²``, so that an error in the new target
        counts as the error it makes in ``y`` (the noise of ``y / m`` is the noise of
        ``y`` over ``m``).
        """
        path = f"{self.path}/{label}" if self.path else label
        own = self.weights if self.weights is not None and len(y) == len(self.y) and (
            len(yv) == len(self.yv)) else None
        if weights is not None:
            weights = tuple(_mean_one(w if own is None else w * o)
                            for w, o in zip(weights, own or (None, None)))
        else:
            weights = own
        return Problem(np.ascontiguousarray(X, dtype=float), np.asarray(y, dtype=float),
                       np.ascontiguousarray(Xv, dtype=float), np.asarray(yv, dtype=float),
                       tuple(symbols), self.depth + 1, path, weights)

    def retarget(self, y: np.ndarray, yv: np.ndarray, label: str) -> Problem | None:
        """The same rows and symbols with a new target (``y`` transformed, a residual),
        one level down; None when the new target is not finite or is constant."""
        if not (np.all(np.isfinite(y)) and np.all(np.isfinite(yv))) or np.std(y) == 0:
            return None
        return self.sub(self.X, y, self.Xv, yv, self.symbols, label)


def _mean_one(w: np.ndarray) -> np.ndarray:
    w = np.asarray(w, dtype=float)
    return w / (float(np.mean(w)) or 1.0)


def priority(cand: Candidate, scale: float) -> tuple:
    """Sort key of a sub-problem's candidate for its parent: exact ones, then cleaned ones
    (snapped at the noise level), then the rest, each by held-out error relative to the
    sub-problem's ``scale``. A parent short of time then spends it on the law, not on
    the first fits its sub-problem happened to try."""
    return (cand.val_rmse > 1e-9 * scale, not cand.cleaned, cand.val_rmse / scale,
            cand.complexity)


def best_first(candidates, scale: float) -> list[Candidate]:
    """A sub-problem's candidates in `priority` order."""
    return sorted(candidates, key=lambda c: priority(c, scale))


def ranked(candidates, keep: int = 2) -> list[Candidate]:
    """The ``keep`` most accurate candidates, the simpler first among equals."""
    return sorted(candidates, key=lambda c: (c.val_rmse, c.complexity))[:keep]


class Halt(Exception):
    """The search is to stop now (time budget or the user's stop signal)."""


class SubBudget(Exception):
    """A sub-problem's share of the time is spent: its solve returns what it has."""


def exact(candidates, scale: float) -> bool:
    """A candidate already reproduces the validation rows to rounding error."""
    return any(c.val_rmse <= 1e-9 * scale for c in candidates)


@dataclass(frozen=True)
class Lever:
    """One lever of the search, with the calling convention every lever shares.

    ``propose(problem, solver)`` yields ``(label, expr)`` pairs: formulas in
    ``problem.symbols`` that the solver then refits, cleans and scores on the problem's
    rows. A *reducer* turns the problem into smaller ones, solves them with
    ``solver.solve(sub)`` and recombines their formulas; a *terminal* proposes formulas
    directly. ``applies(problem, solver)`` says whether the lever has anything to try.
    """

    name: str
    kind: str  # "reducer" or "terminal"
    applies: object  # Callable[[Problem, solver], bool]
    propose: object  # Callable[[Problem, solver], Iterable[tuple[str, sympy.Expr]]]
    # True: acts on the user's own input (a guess, a template) whenever it is given,
    # whatever ``FitConfig.methods`` says; not one of `LEVERS`
    user: bool = False
