"""Reducer ``transforms``: the law solved for a transformed target, then transformed back.

Some laws split only once their target is transformed: ``sqrt(a² + b²)`` is a sum
after squaring, ``1/(1/d1 + n/d2)`` after inverting, ``asin(n·sin θ)`` a product after
taking the sine, ``n0·exp(-m·g·x/(k·T))`` a sum after the log. Which transforms are tried
follows from cheap signals: ``y``'s sign and range say which apply, and the problem's
surrogate says which make the law split further than ``y`` does (`promising`); each of
those is a sub-problem solved by the same solver, its formulas returned through the
inverse.
Tried after the other levers of the top problem, so a law they solve never pays for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import sympy

from symkan.search.decompose import Node, separate
from symkan.search.steering import uses_only
from symkan.search.surrogate import surrogate
from symkan.search.types import Lever, Problem, ranked

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


def _allowed(name: str, solver) -> bool:
    """The transform's inverse calls only functions the user allowed (`--primitives`)."""
    allowed = getattr(solver, "allowed", None)
    return allowed is None or uses_only(_TRANSFORMS[name][1](sympy.Symbol("t")), allowed)


_ROUGH = 0.05  # a surrogate this far off (rms / std of y) cannot judge separability


def _largest_block(tree: Node) -> int:
    """How many variables the largest part of a separability tree still holds together."""
    return max(len(leaf.vars) for leaf in tree.leaves())


def promising(problem: Problem, solver, names: list[str]) -> list[str]:
    """Of ``names``, the transforms under which the surrogate splits further than ``y``
    does (its largest unsplit block is smaller), most split first; all of them when ``y``
itself seemed to split fully (an approximate split: the levers before failed).

    The signal is AI Feynman's: ``sqrt(a² + b²)`` does not separate, its square does. It
    costs a few hundred surrogate calls per transform, against a recursive solve each.
    """
    sur = surrogate(problem, solver)
    if sur.rel_error > _ROUGH:
        return list(names)  # too rough a surrogate to judge: every transform that applies
    config = solver.config
    # a transformed surrogate carries its error transformed too: a looser tolerance than
    # the separable lever's first one (its third, 3 × the error, as a fixed threshold)
    sep = replace(config.separability, rule="fixed", tol=max(3 * sur.rel_error, 1e-3),
                  cap=max(3 * sur.rel_error, 1e-2))
    low, high = problem.X.min(0), problem.X.max(0)

    def split(fn) -> int:
        tree = separate(fn, low, high, rng=np.random.default_rng(config.seed), config=sep)
        return _largest_block(tree)

    base = split(sur.f)
    if base == 1:  # y splits fully, yet no lever before this one found the law: that
        return list(names)  # split was only approximate, so it says nothing here
    scored = []
    for name in names:
        forward = _TRANSFORMS[name][0]

        def g(X, forward=forward):
            with np.errstate(all="ignore"):
                out = forward(sur.f(X))
            return np.where(np.isfinite(out), out, 0.0)

        size = split(g)
        if size < base:
            scored.append((size, name))
    return [name for _, name in sorted(scored)]


def _applies(problem: Problem, solver) -> bool:
    return problem.depth == 0 and problem.d >= 2


def _propose(problem: Problem, solver) -> Iterator[tuple[str, sympy.Expr]]:
    z = sympy.Symbol("g", real=True)
    names = [n for n in applicable(problem.y, problem.yv) if _allowed(n, solver)]
    todo = promising(problem, solver, names) if names else []
    solver.progress("transforms", tried=todo)
    for k, name in enumerate(todo):
        forward, inverse, _ = _TRANSFORMS[name]
        with np.errstate(all="ignore"):
            t, tv = forward(problem.y), forward(problem.yv)
        sub = problem.retarget(t, tv, "transforms")
        if sub is None:
            continue
        for cand in ranked(solver.solve(sub, share=0.5 / (len(todo) - k))):
            yield f"{name} {cand.method}", inverse(z).subs(z, cand.expr)


LEVER = Lever("transforms", "reducer", _applies, _propose)
