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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import sympy

from symkan.symbolic.fit import fit_edges
from symkan.symbolic.library import DEFAULT_LIBRARY, Primitive

_EXP_COST = 2
_POWER_COST = 3


@dataclass(frozen=True)
class LeafFit:
    expr: sympy.Expr  # in terms of the leaf's symbol
    rmse: float  # on the leaf's samples
    complexity: int
    form: str  # "primitive:<name>", "exp:<name>" or "power"


def _primitive_expr(prim: Primitive, params: np.ndarray, s: sympy.Symbol) -> sympy.Expr:
    a, b, c, d = (sympy.Float(float(v)) for v in params)
    return c * prim.sympy(a * s + b) + d


def fit_univariate(
    xs: Sequence[np.ndarray],
    ys: Sequence[np.ndarray],
    symbols: Sequence[sympy.Symbol],
    library: Mapping[str, Primitive] = DEFAULT_LIBRARY,
    *,
    rel_slack: float = 2.0,
    abs_floor: float = 1e-7,
) -> list[LeafFit]:
    """Best symbolic form of each leaf ``ys[k] ≈ g(xs[k])``; arrays of one length n.

    ``abs_floor`` is relative to the leaf's standard deviation: errors below it count
    as exact, so the simplest exact form wins.
    """
    n_leaves = len(xs)
    cols_x, cols_y, owners = [], [], []
    for k, (x, y) in enumerate(zip(xs, ys)):
        cols_x.append(x)
        cols_y.append(y)
        owners.append((k, "primitive"))
        sign_y = np.sign(y[0])
        if np.all(np.sign(y) == sign_y) and sign_y != 0:
            cols_x.append(x)
            cols_y.append(np.log(np.abs(y)))
            owners.append((k, "exp"))
            sign_x = np.sign(x[0])
            if np.all(np.sign(x) == sign_x) and sign_x != 0:
                cols_x.append(np.log(np.abs(x)))
                cols_y.append(np.log(np.abs(y)))
                owners.append((k, "power"))
    fits = fit_edges(np.stack(cols_x, 1), np.stack(cols_y, 1), library)
    options: list[list[LeafFit]] = [[] for _ in range(n_leaves)]
    for col, (k, form) in enumerate(owners):
        s, x, y = symbols[k], xs[k], ys[k]
        name = fits.names[col]
        prim = library[name]
        if form == "primitive":
            expr = _primitive_expr(prim, fits.params[col], s)
            cost = prim.complexity
        elif form == "exp":
            expr = sympy.sign(y[0]) * sympy.exp(_primitive_expr(prim, fits.params[col], s))
            cost = prim.complexity + _EXP_COST
        else:
            # log|y| = c*log|x| + d  (using the linear fit, whatever was chosen for display)
            idx = fits.primitive_names.index("x")
            a, b, c, d = fits.params_all[col, idx]
            slope, icept = a * c, b * c + d
            expr = (
                sympy.sign(y[0]) * sympy.exp(sympy.Float(icept))
                * (sympy.sign(x[0]) * s) ** sympy.Float(slope)
            )
            cost = _POWER_COST
        fn = sympy.lambdify([s], expr, modules="numpy")
        with np.errstate(all="ignore"):
            pred = np.broadcast_to(np.asarray(fn(x), dtype=float), y.shape)
        err = float(np.sqrt(np.mean((pred - y) ** 2)))
        if not np.isfinite(err):
            continue
        options[k].append(LeafFit(expr, err, cost, f"{form}:{name}" if form != "power" else form))
    out = []
    for k, opts in enumerate(options):
        scale = float(np.std(ys[k])) + 1e-300
        best = min(o.rmse for o in opts)
        ok = [o for o in opts if o.rmse <= max(rel_slack * best, abs_floor * scale)]
        out.append(min(ok, key=lambda o: (o.complexity, o.rmse)))
    return out
