"""From a raw formula to a finished candidate: refit, clean, snap, score.

`finalize` refits every constant end to end on the fit rows, turns near-linear functions
into their linear form, drops terms the data do not need and snaps constants to nice
numbers, first on the formula as composed and then on its expanded canonical form. The
cost is bounded by time (`budget` seconds) rather than by the formula's size: a large
candidate is cleaned too, as far as its share of time allows.
"""

from __future__ import annotations

import time

import numpy as np
import sympy

from symkan import constants
from symkan.formula import complexity, tidy

# above this complexity a formula is not expanded (the expansion would explode), only
# cleaned as composed
_EXPAND_LIMIT = 120
# above this complexity a formula is only refitted: too big to be a law worth snapping
_CLEAN_LIMIT = 400


def finalize(
    expr: sympy.Expr, symbols, fit_xy: tuple[np.ndarray, np.ndarray],
    val_xy: tuple[np.ndarray, np.ndarray], *, budget: float = 10.0,
) -> sympy.Expr:
    """Refit constants end to end, drop unneeded terms, snap constants to nice numbers.

    First on the structured form (as composed, few constants), then once more after
    expanding into a canonical sum, so constants merged by the expansion are snapped too.
    Once ``budget`` seconds are spent, the best form so far is returned.
    """
    start = time.perf_counter()
    X, y = fit_xy
    Xa, ya = np.concatenate([X, val_xy[0]]), np.concatenate([y, val_xy[1]])
    scale = float(np.std(y)) or 1.0

    def out_of_time() -> bool:
        return time.perf_counter() - start > budget

    def clean(e: sympy.Expr) -> sympy.Expr:
        e = constants.refit_constants(e, symbols, X, y)
        if constants.rmse(e, symbols, X, y) > 0.05 * scale or out_of_time():
            return e  # a poor fit: simplifying it term by term is not worth the time
        e = constants.linearize_functions(e, symbols, X, y)
        if out_of_time():
            return e
        e = constants.drop_negligible_terms(e, symbols, X, y)
        if out_of_time():
            return e
        return constants.snap_constants(e, symbols, Xa, ya)

    if complexity(expr) > _CLEAN_LIMIT:
        return constants.refit_constants(expr, symbols, X, y, max_nfev=50)  # a numeric law
    expr = clean(expr)
    if out_of_time() or complexity(expr) > _EXPAND_LIMIT:
        return expr
    expanded = constants.canonicalize(expr)
    if complexity(expanded) <= _EXPAND_LIMIT and not out_of_time():
        expr = clean(expanded)
    return tidy(constants.canonicalize(expr)) if complexity(expr) <= 60 else expr
