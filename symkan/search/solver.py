"""The recursive solver: every problem, and every smaller problem made from it, solved
by the same levers.

``Solver.solve(problem)`` runs the levers of `symkan.search.levers.ALL` in order. Each
proposes raw formulas; the solver refits and cleans them on the problem's rows
(`symkan.search.finalize`) and keeps them as `Candidate` s. A reducer calls
``solver.solve(sub)`` on the smaller problems it makes, with a share of the time left
and one level deeper; once a candidate reproduces the validation rows to rounding error,
the remaining levers of that problem are skipped. Seconds spent per lever path
(``"separable/groups/composite"``) are kept in ``Solver.timings``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import numpy as np
import sympy
import torch

from symkan import formula
from symkan.formula import complexity
from symkan.formula.display import formula_text
from symkan.search.finalize import finalize
from symkan.search.levers import ALL
from symkan.search.noise import structure
from symkan.search.steering import uses_only
from symkan.search.types import Candidate, FitConfig, Halt, Problem, SubBudget, exact
from symkan.symbolic.library import Primitive

Progress = Callable[[str, dict], None]

_ERRORS = (ValueError, TypeError, ZeroDivisionError, OverflowError, ArithmeticError)
# a refit this close to the rows (× std of y) is cleaned at once: it may be the law
_NEAR_EXACT = 1e-4
# on noisy rows: a refit within this factor of the problem's noise estimate is cleaned at
# once, and settles the problem when its residuals have no structure
_AT_NOISE = 1.5
_SETTLE_COMPLEXITY = 40  # larger formulas never settle a problem by being at the noise
_NO_STRUCTURE = 0.02  # a forest predicts less than this share of the residuals: noise
_PLAIN = 32  # integers of a settling formula stay below this
_EXPLAINED = 0.3  # ... and its held-out error below this × std(y)


class Solver:
    """Solves problems with the levers named in ``config.methods``, within one budget."""

    def __init__(
        self, config: FitConfig, library: Mapping[str, Primitive], device: torch.device, *,
        on_progress: Progress | None = None, stop: Callable[[], bool] | None = None,
        start: float | None = None, names: tuple = ((), "y"), steering=None,
    ) -> None:
        self.config = config
        self.library = library
        self.device = device
        self.on_progress = on_progress
        self.stop = stop
        self.start = time.perf_counter() if start is None else start
        self.deadline = self.start + config.time_budget
        self.timings: dict[str, float] = {}
        self.artifacts: dict[str, object] = {}  # networks of the top problem, for drawing
        self._sub_deadlines: list[float] = []
        self.structure: dict = {}  # findings about the top problem (symmetries, AGOP)
        self.memo: dict = {}  # what levers compute once per problem (the surrogate)
        self._pools: list[list[Candidate]] = []
        # paths of sub-problems whose time ran out: the clock shaped their candidates, so
        # a run that lists none is reproducible bit for bit
        self.cut_short: list[str] = []  # candidates of each problem being solved
        self.collected: list[Candidate] = []  # the top problem's candidates so far
        self.stop_reason: str | None = None
        self.names = names  # the table's (feature names, target name), for units
        # the user's guesses, templates and allowed functions (`symkan.search.steering`)
        self.steering = steering
        self.allowed = steering.allowed if steering is not None else None

    # ------------------------------------------------------------------ signals
    def progress(self, stage: str, **info) -> None:
        if self.on_progress is not None:
            self.on_progress(stage, info)

    def check(self) -> None:
        """Raise `Halt` when the run must stop, `SubBudget` when a sub-problem must."""
        if self.stop is not None and self.stop():
            self.stop_reason = "interrupted"
            raise Halt(self.stop_reason)
        now = time.perf_counter()
        if self.collected and now > self.deadline:  # the top problem has a formula
            self.stop_reason = "time budget"
            raise Halt(self.stop_reason)
        if self._sub_deadlines and now > self._sub_deadlines[-1]:
            raise SubBudget()

    def seconds_left(self) -> float:
        return self.deadline - time.perf_counter()

    def found_so_far(self) -> list[Candidate]:
        """The candidates of the problem being solved now (what earlier levers found)."""
        return list(self._pools[-1]) if self._pools else []

    # ------------------------------------------------------------------ solving
    def solve(self, problem: Problem, *, share: float = 0.5) -> list[Candidate]:
        """Candidates for ``problem``, from every lever that applies, cheapest first.

        A sub-problem (``problem.depth > 0``) gets ``share`` of the time left; when that
        is spent, it returns what it has.
        """
        candidates: list[Candidate] = []
        self._pools.append(candidates)
        if problem.depth == 0:
            self.collected = candidates
        else:
            now = time.perf_counter()
            limit = now + min(max(share * (self.deadline - now), 0.5), self.config.sub_budget)
            if self._sub_deadlines:
                limit = min(limit, self._sub_deadlines[-1])
            self._sub_deadlines.append(limit)
        try:
            for lever in ALL:
                if lever.name not in self.config.methods and not lever.user:
                    continue
                if lever.kind == "reducer" and problem.depth >= self.config.max_depth:
                    continue
                self.check()
                if self.settled(candidates, problem) or not lever.applies(problem, self):
                    continue
                self._run(lever, problem, candidates)
        except SubBudget:
            if problem.depth == 0:
                raise
            self.cut_short.append(problem.path)
        finally:
            self._pools.pop()
            if problem.depth > 0:
                self._sub_deadlines.pop()
        return candidates

    def _run(self, lever, problem: Problem, candidates: list[Candidate]) -> None:
        path = f"{problem.path}/{lever.name}" if problem.path else lever.name
        t0 = time.perf_counter()
        try:
            for label, expr in lever.propose(problem, self):
                cand = self.candidate(f"{lever.name} {label}".strip(), expr, problem)
                if cand is not None:
                    candidates.append(cand)
                    if problem.depth == 0:
                        self.progress("candidate", method=cand.method, formula=formula_text(cand.expr, self.names[0]),
                                      val_rmse=cand.val_rmse)
                    if self.settled([cand], problem):
                        break
        finally:
            self.timings[path] = self.timings.get(path, 0.0) + time.perf_counter() - t0

    def candidate(self, method: str, expr: sympy.Expr | None,
                  problem: Problem) -> Candidate | None:
        """``expr`` refitted and scored on ``problem``'s rows (None if it fails).

        A formula whose refit is near exact is cleaned and snapped at once (it may be the
        law, and an exact one ends the problem's search); any other stays as refitted,
        marked ``cleaned=False``, until `polish` cleans the few that can still win.
        """
        if expr is None or not isinstance(expr, sympy.Expr):
            return None
        if self.allowed is not None and not uses_only(expr, self.allowed):
            return None  # calls a function the user did not allow
        self.check()
        fit_xy, val_xy = (problem.X, problem.y), (problem.Xv, problem.yv)
        w, wv = problem.weights if problem.weights is not None else (None, None)
        try:
            refit = formula.refit_constants(expr, problem.symbols, *fit_xy, weights=w)
            loss = formula.rmse(refit, problem.symbols, *val_xy, weights=wv)
            at_noise = (loss <= _noise_limit(problem)
                        and complexity(refit) <= _SETTLE_COMPLEXITY)
            if not (loss <= _NEAR_EXACT * problem.scale or at_noise):
                return Candidate(method, refit, loss, complexity(refit), cleaned=False)
            return _cleaned(method, refit, problem)
        except _ERRORS as err:
            if problem.depth == 0:
                self.progress("candidate", method=method, error=str(err))
            return None

    def settled(self, candidates: list[Candidate], problem: Problem) -> bool:
        """Whether the search of ``problem`` can stop: a candidate reproduces the
        validation rows to rounding error, or, on noisy rows, a small cleaned one whose
        constants all snapped to exact numbers is at the noise level and leaves residuals
        without structure (`symkan.search.noise`)."""
        if exact(candidates, problem.scale):
            return True
        limit = _noise_limit(problem)
        for c in candidates:
            if not (c.cleaned and c.complexity <= _SETTLE_COMPLEXITY and c.val_rmse <= limit
                    and _plain(c.expr)):  # every constant snapped to a small number: a law
                continue
            # the problem by its rows (an id could be reused by a later sub-problem)
            key = ("settled", problem.path, problem.y.tobytes(), sympy.srepr(c.expr))
            if key not in self.memo:
                self.memo[key] = _noise_only(c.expr, problem)
            if self.memo[key]:
                return True
        return False

    def cleaned(self, cand: Candidate, problem: Problem) -> Candidate:
        """``cand`` cleaned and snapped on ``problem``'s rows (itself if it fails)."""
        if cand.cleaned:
            return cand
        try:
            return _cleaned(cand.method, cand.expr, problem)
        except _ERRORS:
            return cand

    def polish(self, candidates: list[Candidate], problem: Problem,
               keep: int = 4) -> list[Candidate]:
        """The candidates with the ``keep`` most accurate uncleaned ones cleaned (the
        others stay as refitted)."""
        raw = sorted((c for c in candidates if not c.cleaned), key=lambda c: c.val_rmse)
        out = [c for c in candidates if c.cleaned]
        return out + [self.cleaned(c, problem) for c in raw[:keep]] + raw[keep:]


def _noise_limit(problem: Problem) -> float:
    """The held-out error of a formula at the noise level. The estimate is inflated where
    the law curves faster than the rows sample it (``sin(E*t/h)**2`` over many periods);
    a formula must also explain most of the target (R² ≥ 0.91) to count."""
    return min(_AT_NOISE * problem.noise, _EXPLAINED * problem.scale)


def _plain(expr: sympy.Expr) -> bool:
    """Every number of ``expr`` is exact and plain: integers up to `_PLAIN`, fractions
    with a denominator up to 20, and at most two irrational constants (``pi``,
    ``sqrt(2)``): what snapping leaves of a law (``3/2``, ``1/(4*pi)``), not of a fit to
    the noise (``8/11``, ``sqrt(6)/(3*sqrt(pi))``, ``3166``)."""
    if expr.has(sympy.Float):
        return False
    if any(abs(r.p) > _PLAIN or r.q > 20 for r in expr.atoms(sympy.Rational)):
        return False
    roots = {a for a in sympy.preorder_traversal(expr)
             if a.is_Pow and a.base.is_number and not a.exp.is_Integer}  # sqrt(2), sqrt(pi)
    inside = set().union(*(r.base.atoms(sympy.NumberSymbol) for r in roots))
    return len(roots) + len(expr.atoms(sympy.NumberSymbol) - inside) <= 2


def _noise_only(expr: sympy.Expr, problem: Problem) -> bool:
    """Whether ``expr`` leaves only noise: a forest fitted to its fit-row residuals
    predicts (almost) nothing of its validation residuals."""
    try:
        r = problem.y - formula.evaluate(expr, problem.symbols, problem.X)
        rv = problem.yv - formula.evaluate(expr, problem.symbols, problem.Xv)
    except _ERRORS:
        return False
    if not (np.all(np.isfinite(r)) and np.all(np.isfinite(rv))):
        return False
    return structure(problem.X, r, problem.Xv, rv) < _NO_STRUCTURE


def _cleaned(method: str, expr: sympy.Expr, problem: Problem) -> Candidate:
    """``expr`` finalized (refit, clean, snap) and scored on ``problem``'s rows."""
    expr = finalize(expr, problem.symbols, (problem.X, problem.y), (problem.Xv, problem.yv),
                    problem.weights, problem.noise)
    wv = problem.weights[1] if problem.weights is not None else None
    loss = formula.rmse(expr, problem.symbols, problem.Xv, problem.yv, weights=wv)
    return Candidate(method, expr, loss, complexity(expr))
