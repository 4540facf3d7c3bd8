"""From a raw formula to a finished candidate: refit, clean, snap, score.

`finalize` refits every constant end to end on the fit rows, turns near-linear functions
into their linear form, drops terms the data do not need and snaps constants to nice
numbers, first on the formula as composed and then on its expanded canonical form. The
cost is bounded rather than the size capped: a large candidate is cleaned too when its
refit is near exact (`_NEAR_EXACT`: it may hide a law), on fewer rows (about `_ROW_COST`
row·nodes per evaluation); a large candidate that is far from exact is only refitted.
Nothing depends on the clock, so the same data always give the same formula.
"""

from __future__ import annotations

import numpy as np
import sympy

from symkan import formula
from symkan.formula import complexity, tidy
from symkan.formula.numeric import evenly_spaced

# above this complexity a formula is not expanded (the expansion would explode), only
# cleaned as composed
_EXPAND_LIMIT = 120
# above this complexity a formula is only refitted: too big to be a law worth snapping
_CLEAN_LIMIT = 400
# a candidate above `_SMALL` is cleaned only if its refit RMSE is below this × std(y)
_NEAR_EXACT = 1e-4
_SMALL = 60
# rows × complexity of one evaluation while cleaning: a large formula is cleaned on fewer rows
_ROW_COST = 60_000


def finalize(
    expr: sympy.Expr, symbols, fit_xy: tuple[np.ndarray, np.ndarray],
    val_xy: tuple[np.ndarray, np.ndarray],
    weights: tuple[np.ndarray, np.ndarray] | None = None,
    noise: float = 0.0,
) -> sympy.Expr:
    """Refit constants end to end, drop unneeded terms, snap constants to nice numbers.

    First on the structured form (as composed, few constants), then once more after
    expanding into a canonical sum, so constants merged by the expansion are snapped too.
    ``weights`` (of the fit rows, of the validation rows) make every step weighted.
    ``noise`` (the rows' noise level, an estimate) keeps a fit at the noise level from
    counting as poor.
    """
    X, y = fit_xy
    Xa, ya = np.concatenate([X, val_xy[0]]), np.concatenate([y, val_xy[1]])
    if not expr.has(sympy.Float):  # nothing to refit or snap: kept as composed
        return formula.resolve_abs(tidy(expr), symbols, Xa)
    if expr.has(sympy.Abs):  # |u| of one sign on the rows is ±u: then it can expand
        expr = formula.resolve_abs(expr, symbols, Xa)
    scale = float(np.std(y)) or 1.0
    rows = max(200, _ROW_COST // max(complexity(expr), 1))
    keep = evenly_spaced(len(y), rows)  # deterministic
    X, y = X[keep], y[keep]
    w = None if weights is None else weights[0][keep]
    keep = evenly_spaced(len(ya), 2 * rows)
    Xa, ya = Xa[keep], ya[keep]
    wa = None if weights is None else np.concatenate(weights)[keep]

    def clean(e: sympy.Expr) -> sympy.Expr:
        e = formula.refit_constants(e, symbols, X, y, weights=w)
        if formula.rmse(e, symbols, X, y, weights=w) > max(0.05 * scale, 2.0 * noise):
            return e  # a poor fit: simplifying it term by term is not worth the time
        e = formula.linearize_functions(e, symbols, X, y, weights=w)
        e = formula.drop_negligible_terms(e, symbols, X, y, weights=w)
        return formula.snap_constants(e, symbols, Xa, ya, weights=wa)

    if complexity(expr) > _CLEAN_LIMIT:  # a numeric law
        return formula.refit_constants(expr, symbols, X, y, max_nfev=50, weights=w)
    if complexity(expr) > _SMALL:
        refit = formula.refit_constants(expr, symbols, X, y, weights=w)
        if formula.rmse(refit, symbols, X, y, weights=w) > _NEAR_EXACT * scale:
            return refit  # large and far from exact: cleaning would cost much, gain little
        expr = clean(refit)  # cleaned as composed; expanded only once it is small
        if complexity(expr) > _SMALL:
            return expr
    else:
        expr = clean(expr)
    if complexity(expr) > _EXPAND_LIMIT:
        return expr
    expanded = formula.canonicalize(expr)
    if complexity(expanded) <= _EXPAND_LIMIT:
        expr = clean(expanded)
    if complexity(expr) <= 60:
        expr = tidy(formula.canonicalize(expr))
    return formula.resolve_abs(expr, symbols, Xa)
