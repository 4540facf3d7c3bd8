"""Terminal lever ``composite``: every one-variable problem fitted by two-level forms.

``c·f(a·h(x)+b)+d`` with ``h`` the identity, ``x²``, ``1/x``, ``1/x²``, ``√x``, ``log``
or ``exp(k·x)`` (a few scales ``k``, refitted later) and ``f`` every primitive of the
library, plus ``±exp(c·f(a·x+b)+d)`` and power laws, all in one batched fit
(`symkan.symbolic.univariate.leaf_options`) on a subsample of the rows. This is what two
stacked KAN edges are meant to find (``1/sqrt(1 - z**2)``, ``1/(exp(z/(2π)) - 1)``),
found from the rows directly rather than from two approximate splines. It runs on any
one-variable problem: the user's, a leaf, or one made by a reducer.

On noisy rows many such four-constant forms reach the noise floor and the most accurate
is the one that fits the noise best; the forms whose inner constants are plain numbers
(`symkan.symbolic.plain_forms`) that come within two free constants of the best free
form by BIC go first.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import sympy

from symkan.formula.numeric import evaluate, evenly_spaced
from symkan.search.types import Lever, Problem
from symkan.symbolic.plain_forms import bic, plain_forms
from symkan.symbolic.univariate import choose, leaf_options

# inner functions h: the shapes physics puts inside a primitive, with their complexity
_INNER = {
    "x": (lambda s: s, 0),
    "x^2": (lambda s: s**2, 1),
    "1/x": (lambda s: 1 / s, 1),
    "1/x^2": (lambda s: s**-2, 2),
    "sqrt": (lambda s: sympy.sqrt(s), 2),
    "log": (lambda s: sympy.log(s), 2),
}
# k·(spread of x) for the inner exp(±k·x): a grid fine enough that the refit moves k home
_EXP_SCALES = tuple(float(v) for v in np.geomspace(0.1, 10.0, 12))
# the outer functions tried around exp(k·x): 1/(e^u - 1), e^u - 1, sqrt(e^u + c), ...
_EXP_OUTER = ("x", "1/x", "x^2", "1/x^2", "sqrt", "1/sqrt", "log")
_ROWS = 256  # rows of the batched screening fit
_EXACT = 1e-6  # a free form this close (× std) is exact: no plain form can beat it
_NEAR_NOISE = 2.0  # plain forms are tried when the best free form's RMSE is within this × noise
_MARGIN = 2  # plain forms within this many free constants' BIC of the best free form go first


def inner_functions(x: np.ndarray) -> list[tuple[str, sympy.Lambda, int]]:
    """The inner functions ``h`` tried on ``x``: name, ``h`` as a Lambda, its cost."""
    u = sympy.Dummy("u")
    return [(name, sympy.Lambda(u, h(u)), cost) for name, (h, cost) in _INNER.items()]


def exp_functions(x: np.ndarray) -> list[tuple[str, sympy.Lambda, int]]:
    """``exp(k·x)`` on a grid of scales ``k`` (both signs), each as an inner function."""
    u = sympy.Dummy("u")
    spread = float(np.max(np.abs(x))) or 1.0
    return [(f"exp({sign * k:.3g}x)", sympy.Lambda(u, sympy.exp(sympy.Float(sign * k / spread)
                                                                * u)), 2)
            for k in _EXP_SCALES for sign in (1, -1)]


def composite_forms(
    x: np.ndarray, y: np.ndarray, symbol: sympy.Symbol, library, keep: int = 3,
    weights: np.ndarray | None = None, noise: float | None = None,
) -> list[tuple[str, sympy.Expr]]:
    """Two-level forms of a one-variable law ``y ≈ g(x)``: those with plain inner
    constants that (nearly) match every free form by BIC, the best ``keep`` free forms,
    then the best ``f(a·exp(k·x)+b)``. ``weights`` (of the rows, mean 1) weight the BIC.
    ``noise`` (the rows' noise level, an estimate; None: unknown): plain forms are only
    tried when the best free form is within `_NEAR_NOISE` of it (they choose among fits
    at the noise floor; far above it, neither kind is the law)."""
    idx = evenly_spaced(len(x), _ROWS)
    tie = 1e-9 * (float(np.std(y)) or 1.0)  # errors below this are rounding: simplest first
    found = _fits(x[idx], y[idx], symbol, inner_functions(x), library, tie)
    plain = []
    if found and found[0][0] > _EXACT * (float(np.std(y)) or 1.0):
        # the best free forms (four constants, fitted on the subsample) on all rows
        rss = min(_rss(e, symbol, x, y, weights) for *_, e in found[:keep])
        if noise is None or rss <= len(y) * (_NEAR_NOISE * noise) ** 2:
            # a plain form up to two constants' worth behind still goes first: the free
            # forms were fitted on part of these rows and bend (tan near its pole) to them
            free = bic(rss, len(y), 4) + _MARGIN * np.log(len(y))
            plain = [("plain", e) for _, e in plain_forms(x, y, symbol, library,
                                                           free_bic=free, weights=weights)]
    return _free_forms(found, x[idx], y[idx], symbol, library, tie, keep, plain)


def _free_forms(found, x, y, symbol, library, tie, keep, plain) -> list[tuple[str, sympy.Expr]]:
    """``plain``, then the best ``keep`` free forms of ``found``, then the best
    ``f(a·exp(k·x)+b)`` (fitted here on the subsample ``x``, ``y``)."""
    outer = {k: library[k] for k in _EXP_OUTER if k in library}
    exp_found = _fits(x, y, symbol, exp_functions(x), outer, tie) if outer else []
    out, seen = [], set()
    for _, _, name, expr in found:
        if str(expr) not in seen:
            seen.add(str(expr))
            out.append((name, expr))
    out = plain + out[:keep]
    if exp_found:  # the best exp(k·x) form always goes on: its k is refitted later
        out.append(exp_found[0][2:])
    return out


def _rss(expr: sympy.Expr, symbol: sympy.Symbol, x: np.ndarray, y: np.ndarray,
         weights: np.ndarray | None) -> float:
    try:
        r = y - evaluate(expr, [symbol], x[:, None])
    except (ValueError, TypeError, ZeroDivisionError, OverflowError):
        return np.inf
    rss = float(r @ r) if weights is None else float(weights * r @ r)
    return rss if np.isfinite(rss) else np.inf


def _fits(x, y, symbol, inners, library, tie) -> list[tuple]:
    """(rmse, complexity, name, expr) of the best forms ``f∘h`` for each inner ``h``."""
    u = sympy.Dummy("u")
    xs, names = [], []
    for name, h, cost in inners:
        with np.errstate(all="ignore"):
            hx = sympy.lambdify(u, h(u), "numpy")(x)
        hx = np.broadcast_to(np.asarray(hx, dtype=float), x.shape)
        if np.all(np.isfinite(hx)) and np.std(hx) > 0 and np.max(np.abs(hx)) < 1e12:
            xs.append(np.ascontiguousarray(hx))
            names.append((name, h, cost))
    if not xs:
        return []
    found = []
    options = leaf_options(xs, [y] * len(xs), [u] * len(xs), library)
    for (name, h, cost), opts in zip(names, options):
        for leaf in _best(opts) if opts else []:
            found.append((max(leaf.rmse, tie), leaf.complexity + cost, name,
                          leaf.expr.subs(u, h(symbol))))
    found.sort(key=lambda t: (t[0], t[1]))
    return found


def _best(opts):
    """The most accurate option and the simplest one nearly as good."""
    first = min(opts, key=lambda o: (o.rmse, o.complexity))
    simple = choose(opts, rel_slack=10.0)
    return [first] if simple is first else [first, simple]


def _applies(problem: Problem, solver) -> bool:
    return problem.d == 1


def _propose(problem: Problem, solver) -> Iterator[tuple[str, sympy.Expr]]:
    yield from composite_forms(problem.X[:, 0], problem.y, problem.symbols[0], solver.library,
                               weights=None if problem.weights is None else problem.weights[0],
                               noise=problem.noise)


LEVER = Lever("composite", "terminal", _applies, _propose)
