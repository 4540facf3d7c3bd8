"""Fit 1-D functions (the leaves of a separability tree) with symbolic forms.

Three families are tried for every leaf, all leaves and families in one batched
`fit_edges` call:

* ``c*f(a*x+b)+d``                      the primitive itself;
* ``±exp(c*f(a*x+b)+d)``                 when the leaf keeps one sign (fit on ``log|y|``);
* ``±exp(d)*x**c``                      a power law, when ``x`` and ``y`` keep one sign
                                        (fit of ``log|y|`` against ``log|x|``).

The simplest form whose error is within a factor of the best one wins.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy

from symkan.formula.numeric import rmse_of
from symkan.symbolic.fit import fit_edges
from symkan.symbolic.library import DEFAULT_LIBRARY, Primitive

_EXP_COST = 2
_POWER_COST = 3


@dataclass(frozen=True)
class LeafFit:
    build: Callable[[], sympy.Expr] = field(repr=False)  # the form, built on first use
    rmse: float  # on the leaf's samples
    complexity: int
    form: str  # "primitive:<name>", "exp:<name>" or "power"

    @functools.cached_property
    def expr(self) -> sympy.Expr:
        """The form in terms of the leaf's symbol (sympy is slow: only built when read)."""
        return self.build()


_POLYNOMIAL = frozenset({"0", "x", "x^2"})


def _degenerate(values: np.ndarray, x: np.ndarray, rel: float = 1e-3) -> bool:
    """True when ``values`` is a quadratic in ``x`` to within ``rel`` of its spread.

    A primitive fitted over a tiny slice of its argument (``sin(0.002*x)``,
    ``cos(0.1*x)``) is then indistinguishable from ``x`` or ``x**2``; the data cannot
    support it, so the polynomial must win.
    """
    spread = float(np.std(values))
    if not np.isfinite(spread) or spread == 0.0:
        return True
    t = (x - x.mean()) / (x.std() or 1.0)
    coef = np.polynomial.polynomial.polyfit(t, values, 2)
    resid = values - np.polynomial.polynomial.polyval(t, coef)
    return float(np.std(resid)) < rel * spread


def _primitive_expr(prim: Primitive, params: np.ndarray, s: sympy.Symbol) -> sympy.Expr:
    a, b, c, d = (sympy.Float(float(v)) for v in params)
    return c * prim.sympy(a * s + b) + d


def _options(
    fits, col: int, form: str, x: np.ndarray, y: np.ndarray, s: sympy.Symbol,
    library: Mapping[str, Primitive],
) -> list[LeafFit]:
    """Every primitive's fit of one column, as candidate forms in the leaf's own space."""
    out = []
    sign_y = float(np.sign(y[0]))
    if form == "power":
        idx = fits.primitive_names.index("x")
        a, b, c, d = fits.params_all[col, idx]
        slope, icept = a * c, b * c + d
        sign_x = float(np.sign(x[0]))
        def expr(slope=slope, icept=icept, sign_x=sign_x):
            return sympy.Float(sign_y) * sympy.exp(sympy.Float(icept)) * (
                sympy.Float(sign_x) * s) ** sympy.Float(slope)
        with np.errstate(all="ignore"):
            pred = sign_y * np.exp(icept) * (sign_x * x) ** slope
        cands = [(expr, pred, _POWER_COST, "power")]
    else:
        cands = []
        for p, name in enumerate(fits.primitive_names):
            if not np.isfinite(fits.r2_all[col, p]):
                continue
            prim = library[name]
            a, b, c, d = fits.params_all[col, p]
            with np.errstate(all="ignore"):
                inner = c * prim.numpy(a * x + b) + d
            inner = np.broadcast_to(np.asarray(inner, dtype=float), x.shape)
            if name not in _POLYNOMIAL and _degenerate(inner, x):
                continue
            params = fits.params_all[col, p]
            if form == "primitive":
                def expr(prim=prim, params=params):
                    return _primitive_expr(prim, params, s)
                cands.append((expr, inner, prim.complexity, f"primitive:{name}"))
            else:
                def expr(prim=prim, params=params):
                    return sympy.Float(sign_y) * sympy.exp(_primitive_expr(prim, params, s))
                with np.errstate(all="ignore"):
                    pred = sign_y * np.exp(inner)
                cands.append((expr, pred, prim.complexity + _EXP_COST, f"exp:{name}"))
    for expr, pred, cost, label in cands:
        err = rmse_of(pred, y)
        if np.isfinite(err):
            out.append(LeafFit(expr, err, cost, label))
    return out


def fit_univariate(
    xs: Sequence[np.ndarray],
    ys: Sequence[np.ndarray],
    symbols: Sequence[sympy.Symbol],
    library: Mapping[str, Primitive] = DEFAULT_LIBRARY,
    *,
    rel_slack: float = 2.0,
    abs_tol: Sequence[float] | float = 0.0,
    rel_floor: float = 1e-7,
) -> list[LeafFit]:
    """Best symbolic form of each leaf ``ys[k] ≈ g(xs[k])``; arrays of one length n.

    Among every primitive of every family, the simplest form whose RMSE is within
    ``rel_slack`` × the best, or below ``abs_tol[k]`` (the error the samples themselves
    carry, e.g. a surrogate's), or below ``rel_floor`` × std, wins.

    Examples
    --------
    >>> x = np.linspace(1, 5, 200)
    >>> s = sympy.Symbol("r", positive=True)
    >>> fit = fit_univariate([x], [2.5 * x**-1.5], [s])[0]
    >>> fit.form, round(float(fit.expr.subs(s, 2)), 6)
    ('power', 0.883883)
    """
    tols = np.broadcast_to(np.asarray(abs_tol, dtype=float), (len(xs),))
    return [
        choose(opts, rel_slack=rel_slack, abs_tol=float(tols[k]),
               floor=rel_floor * (float(np.std(ys[k])) + 1e-300))
        for k, opts in enumerate(leaf_options(xs, ys, symbols, library))
    ]


def leaf_options(
    xs: Sequence[np.ndarray],
    ys: Sequence[np.ndarray],
    symbols: Sequence[sympy.Symbol],
    library: Mapping[str, Primitive] = DEFAULT_LIBRARY,
) -> list[list[LeafFit]]:
    """Every candidate form of every leaf (one batched fit), for callers that choose."""
    cols_x, cols_y, owners = [], [], []
    for k, (x, y) in enumerate(zip(xs, ys)):
        for form, cx, cy in _columns(x, y):
            cols_x.append(cx)
            cols_y.append(cy)
            owners.append((k, form))
    fits = fit_edges(np.stack(cols_x, 1), np.stack(cols_y, 1), library)
    options: list[list[LeafFit]] = [[] for _ in xs]
    for col, (k, form) in enumerate(owners):
        options[k] += _options(fits, col, form, xs[k], ys[k], symbols[k], library)
    return options


def _columns(x: np.ndarray, y: np.ndarray) -> list[tuple[str, np.ndarray, np.ndarray]]:
    cols = [("primitive", x, y)]
    sign_y = np.sign(y[0])
    if sign_y != 0 and np.all(np.sign(y) == sign_y):
        cols.append(("exp", x, np.log(np.abs(y))))
        sign_x = np.sign(x[0])
        if sign_x != 0 and np.all(np.sign(x) == sign_x):
            cols.append(("power", np.log(np.abs(x)), np.log(np.abs(y))))
    return cols


def choose(
    options: Sequence[LeafFit], *, rel_slack: float = 2.0, abs_tol: float = 0.0,
    floor: float = 0.0,
) -> LeafFit:
    """The simplest option whose RMSE is within ``rel_slack`` × the best or ``abs_tol``.

    Options of equal complexity whose errors are within a factor 2 are a tie, and the
    first in ``options`` (library order: polynomials first; primitive before exp before
    power) wins: a surrogate's noise must not decide between ``w**2`` and ``exp(w/3)``.
    """
    best = min(o.rmse for o in options)
    limit = max(rel_slack * best, abs_tol, floor)
    ok = [o for o in options if o.rmse <= limit]
    simplest = min(o.complexity for o in ok)
    tied = [o for o in ok if o.complexity == simplest]
    floor_tie = max(2.0 * min(o.rmse for o in tied), floor)
    return next(o for o in tied if o.rmse <= floor_tie)
