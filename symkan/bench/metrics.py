"""Is a found formula the true one? Exact match and SRBench's symbolic solution.

* ``exact``: with the found formula's floats rounded to 4 significant digits,
  ``simplify(found - true) == 0``;
* ``symbolic``: (SRBench) ``found - true`` or ``found / true`` simplifies to a constant.

A numeric check on random points runs first, so clearly different formulas never reach
``sympy.simplify``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sympy

from symkan.constants import round_floats
from symkan.formula import evaluate


def _numeric_equal(a: sympy.Expr, b: sympy.Expr, symbols, X: np.ndarray, rtol: float) -> bool:
    va, vb = evaluate(a, symbols, X), evaluate(b, symbols, X)
    ok = np.isfinite(va) & np.isfinite(vb)
    if ok.mean() < 0.9:
        return False
    return bool(np.all(np.abs(va[ok] - vb[ok]) <= rtol * (np.abs(vb[ok]) + 1e-12)))


def _is_constant(expr: sympy.Expr, symbols) -> bool:
    expr = sympy.simplify(expr)
    return not (expr.free_symbols & set(symbols))


def match_level(
    found: sympy.Expr, true: sympy.Expr, symbols: Sequence[sympy.Symbol],
    low: Sequence[float], high: Sequence[float], *, seed: int = 0,
) -> str:
    """``"exact"``, ``"symbolic"``, ``"numeric"`` or ``"different"``."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(low, high, size=(256, len(symbols)))
    rounded = round_floats(found, 4)
    if _numeric_equal(rounded, true, symbols, X, 1e-3) and sympy.simplify(rounded - true) == 0:
        return "exact"
    va, vb = evaluate(found, symbols, X), evaluate(true, symbols, X)
    diff, ratio = va - vb, va / np.where(vb == 0, np.nan, vb)
    if np.nanstd(diff) <= 1e-6 * (np.nanstd(vb) + 1e-12) and _is_constant(found - true, symbols):
        return "symbolic"
    if np.nanstd(ratio) <= 1e-6 * (abs(np.nanmean(ratio)) + 1e-12) and _is_constant(
        found / true, symbols
    ):
        return "symbolic"
    if _numeric_equal(found, true, symbols, X, 1e-6):
        return "numeric"
    return "different"
