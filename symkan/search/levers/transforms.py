"""Reducer ``transforms``: the law solved for a transformed target, then transformed back.

Some laws split only once their target is transformed: ``sqrt(a² + b²)`` is a sum
after squaring, ``1/(1/d1 + n/d2)`` after inverting, ``asin(n·sin θ)`` a product after
taking the sine, ``n0·exp(-m·g·x/(k·T))`` a sum after the log. Which transforms are tried
follows from cheap signals on ``y`` (its sign, its range); each transformed target is a
sub-problem solved by the same solver, and its formulas come back through the inverse.
Tried after the other levers of the top problem, so a law they solve never pays for it.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import sympy

from symkan.search.types import Lever, Problem

# name → (forward on rows, inverse on a formula, when it applies to y)
_TRANSFORMS = {
    "y^2": (np.square, sympy.sqrt, lambda y: bool(np.all(y > 0))),
    "1/y": (np.reciprocal, lambda g: 1 / g,
            lambda y: bool(np.all(y > 0) or np.all(y < 0))),
    "sin(y)": (np.sin, sympy.asin,
               lambda y: bool(np.max(np.abs(y)) <= np.pi / 2 and np.ptp(y) > 0.5)),
    "log(y)": (np.log, sympy.exp, lambda y: bool(np.all(y > 0) and np.ptp(np.log(y)) > 1.0)),
}


def applicable(y: np.ndarray, yv: np.ndarray) -> list[str]:
    """The transforms whose signal holds on the fit and validation targets."""
    return [name for name, (_, _, ok) in _TRANSFORMS.items() if ok(y) and ok(yv)]


def _applies(problem: Problem, solver) -> bool:
    return problem.depth == 0 and problem.d >= 2


def _propose(problem: Problem, solver) -> Iterator[tuple[str, sympy.Expr]]:
    z = sympy.Symbol("g", real=True)
    todo = applicable(problem.y, problem.yv)
    for k, name in enumerate(todo):
        forward, inverse, _ = _TRANSFORMS[name]
        with np.errstate(all="ignore"):
            t, tv = forward(problem.y), forward(problem.yv)
        if not (np.all(np.isfinite(t)) and np.all(np.isfinite(tv))) or np.std(t) == 0:
            continue
        sub = problem.sub(problem.X, t, problem.Xv, tv, problem.symbols, "transforms")
        found = sorted(solver.solve(sub, share=0.5 / (len(todo) - k)),
                       key=lambda c: (c.val_rmse, c.complexity))
        for cand in found[:2]:
            yield f"{name} {cand.method}", inverse(z).subs(z, cand.expr)


LEVER = Lever("transforms", "reducer", _applies, _propose)
