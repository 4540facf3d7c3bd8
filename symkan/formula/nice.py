"""Nice numbers for fitted constants: ``0.49999 -> 1/2``, ``0.39894 -> 1/sqrt(2*pi)``.

`snap_constants` tries, for each Float from the most to the least influential, the simple
exact numbers near it (fractions, multiples of ``pi`` and ``e``, square roots) and keeps the
first one for which, after refitting the other Floats, the fit on the data stays as good.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import sympy

from symkan.errors import InputError
from symkan.formula.numeric import check_data
from symkan.formula.refit import Model, check_rel_tol, has_floats, tolerance, weighted_rows

__all__ = ["nearby", "snap_constants"]

# Candidates farther than this (relative) from the fitted value are not tried.
_SNAP_WINDOW = 0.05
# Candidates this simple (0, small integers, halves) are snapped with BIC's allowance.
_SIMPLE = 2
# The joint snap moves each float at most this far (relative): first 1 %, then 0.2 %.
_JOINT_WINDOWS = (0.01, 0.002)
# At most this many candidates are tried for each float.
_MAX_CANDIDATES = 12


_MULTIPLIERS: list[tuple[sympy.Expr, int]] = [
    (sympy.S.One, 0),
    (sympy.pi, 1),
    (1 / sympy.pi, 1),
    (sympy.pi**2, 2),
    (sympy.pi**-2, 2),
    (sympy.E, 1),
]
_SQRT_MULTIPLIERS: list[tuple[sympy.Expr, int]] = [
    (sympy.S.One, 0),
    (sympy.sqrt(sympy.pi), 1),
    (1 / sympy.sqrt(sympy.pi), 1),
]


# a fitted 54426787872779 is not a nice number, whatever the data allow: numerators
# beyond this are left as Floats (fits whose constants drift, e.g. a ratio's common scale)
_MAX_NUMERATOR = 10_000


def _fraction_complexity(fr: Fraction) -> int:
    """0 for 0, 1 for small integers, more for bigger numerators/denominators: ``11/7``
    (4) costs more than ``pi/2`` (3), which noisy rows cannot tell apart."""
    if fr == 0:
        return 0
    cost = 1 if fr.denominator == 1 else 2
    return cost + (abs(fr.numerator) > 12) + (fr.denominator > 4) + (fr.denominator > 6)


def nearby(value: float, max_denominator: int, window: float) -> sympy.Expr | None:
    """The simplest nice number within ``window`` (relative) of ``value`` (None if none)."""
    close = [c for c in _candidates(value, max_denominator) if c[1] <= window]
    return min(close, key=lambda c: (c[0], c[1]))[2] if close else None


def _candidates(value: float, max_denominator: int) -> list[tuple[int, float, sympy.Expr]]:
    """Nice exact numbers near `value`: (complexity, relative distance, number)."""
    found: dict[float, tuple[int, float, sympy.Expr]] = {}
    scale = max(abs(value), 1e-300)

    def add(exact: sympy.Expr, complexity: int) -> None:
        numeric = float(exact)
        distance = abs(numeric - value) / scale
        if distance > _SNAP_WINDOW and exact != 0:
            return
        key = round(numeric, 12)
        if key not in found or found[key][0] > complexity:
            found[key] = (complexity, distance, exact)

    add(sympy.S.Zero, 0)
    sign = 1 if value >= 0 else -1
    for q in range(1, max_denominator + 1):
        for mult, extra in _MULTIPLIERS:
            r = value / float(mult)
            for num in {math.floor(r * q), math.ceil(r * q)}:
                fr = Fraction(num, q)
                if fr == 0 or abs(num) > _MAX_NUMERATOR:
                    continue
                add(
                    sympy.Rational(fr.numerator, fr.denominator) * mult,
                    _fraction_complexity(fr) + extra,
                )
        for mult, extra in _SQRT_MULTIPLIERS:
            r2 = (value / float(mult)) ** 2
            for num in {math.floor(r2 * q), math.ceil(r2 * q)}:
                fr = Fraction(num, q)
                if fr <= 0 or num > _MAX_NUMERATOR:
                    continue
                root = sympy.sqrt(sympy.Rational(fr.numerator, fr.denominator))
                if root.is_Rational and extra == 0:
                    continue  # a perfect square: already a rational candidate
                add(sign * root * mult, _fraction_complexity(fr) + 1 + extra)
    ranked = sorted(found.values(), key=lambda c: (c[0], c[1]))
    return ranked[:_MAX_CANDIDATES]


def snap_constants(
    expr: sympy.Expr,
    symbols: Sequence[sympy.Symbol],
    X,
    y,
    *,
    rel_tol: float = 1e-6,
    max_denominator: int = 12,
    weights: np.ndarray | None = None,
) -> sympy.Expr:
    """Replace Floats by nice exact numbers where the data allow it.

    Floats are visited from the most to the least influential. For each, the
    candidates within 5 % (relative) of its fitted value are ``0``, ``p/q``
    (``q <= max_denominator``), ``p/q * pi**k`` (``k`` in -2..2), ``p/q * e``,
    ``sqrt(p/q)`` and ``sqrt(p/q) * pi**(+-1/2)`` (so ``1/sqrt(2*pi)`` is found).
    First all floats are set at once to their simplest candidate within 1 % (then,
    if that fails, within 0.2 %) and the rest refitted: kept when the RMSE stays at most ``base_rmse * (1 + max(1e-3,
    k·log(n)/(2n)))`` with ``k`` their number (BIC's allowance for one decision; on
    noisy rows constants that compensate each other, an exponent 0.997 and a factor
    1.004, pass together). Then, one float at a time, candidates are tried simplest
    first, then nearest first; the first one for which, after refitting the remaining
    Floats, the RMSE on ``(X, y)`` stays at most ``max(base_rmse * (1 + max(1e-3,
    k / n)), rel_tol * std(y))`` is kept (`symkan.formula.refit.tolerance`; BIC's
    ``k·log(n)/(2n)`` for 0, small integers and halves), where
    ``base_rmse`` is the RMSE of the refitted input, ``k`` the number of snaps so far
    including this one and ``n`` the number of rows. A float with no such candidate
    keeps its (refitted) value. Pass held-out data to judge
    the snaps on data the constants were not trained on. ``weights`` (n,) make every
    refit and RMSE weighted.

    Examples
    --------
    >>> import numpy as np, sympy
    >>> t = sympy.Symbol("theta", real=True)
    >>> X = np.linspace(-2, 2, 40)[:, None]
    >>> y = np.exp(-X[:, 0] ** 2 / 2) / np.sqrt(2 * np.pi)
    >>> snap_constants(0.39894 * sympy.exp(-0.49999 * t**2), [t], X, y)
    sqrt(2)*exp(-theta**2/2)/(2*sqrt(pi))
    """
    expr, symbols, X, y = check_data(expr, symbols, X, y)
    check_rel_tol(rel_tol)
    if not isinstance(max_denominator, int) or max_denominator < 1:
        raise InputError(
            f"max_denominator={max_denominator!r} must be a positive integer, e.g. 12."
        )
    if not has_floats(expr):
        return expr
    X, y, w = weighted_rows(X, y, weights)
    cols = list(X.T)
    model = Model(expr, symbols)
    free = np.ones(model.n_params, bool)
    p, base = model.fit(cols, y, model.p0, [], free, 200, w)
    if not math.isfinite(base):
        return expr
    n_snapped = 0
    exact: list[sympy.Expr | None] = [None] * model.n_params
    # first every constant at once to its simplest value close by: constants that
    # compensate each other on noisy rows (an exponent 0.997 and a factor 1.004) pass
    # together where each alone would fail
    for window in _JOINT_WINDOWS:  # each to its simplest nice number close by
        joint = {j: c for j in range(model.n_params)
                 if (c := nearby(float(p[j]), max_denominator, window)) is not None}
        if len(joint) < 2:
            break
        trial_p, trial_free = p.copy(), free.copy()
        for j, c in joint.items():
            trial_p[j], trial_free[j] = float(c), False
        trial_p, error = model.fit(cols, y, trial_p, [], trial_free, 200, w)
        if error <= tolerance(base, y, rel_tol, len(joint), bic=True):
            p, free = trial_p, trial_free
            for j, c in joint.items():
                exact[j] = c
            n_snapped = len(joint)
            break
    order = np.argsort(-model.influence(cols, p, []), kind="stable")
    for j in order:
        if exact[j] is not None:
            continue
        for cost, _, candidate in _candidates(float(p[j]), max_denominator):
            trial_p, trial_free = p.copy(), free.copy()
            trial_p[j] = float(candidate)
            trial_free[j] = False
            trial_p, error = model.fit(cols, y, trial_p, [], trial_free, 200, w)
            # the simplest numbers (0, integers, halves) get BIC's allowance: few of them
            # lie near any value, so the noise rarely picks a wrong one
            if error <= tolerance(base, y, rel_tol, n_snapped + 1, bic=cost <= _SIMPLE):
                p, free = trial_p, trial_free
                exact[j] = candidate
                n_snapped += 1
                break
    values = [e if e is not None else v for e, v in zip(exact, p)]
    return model.to_expr(values)
