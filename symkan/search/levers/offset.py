"""Terminal lever ``offset``: a power law plus a constant, ``c0 + c1·Π x_i^p_i``.

``sqrt(1 + 2·ε²·E·L²/(m·(Z1·Z2·q²)²))``, ``1/(1 - v²/c²)``, ``1 + α·x/y``: a monomial
shifted by a constant, possibly under a square or a reciprocal. The one-layer fit of
``log|y|`` cannot see it (the constant spoils the logarithm) and separability tests on
the surrogate see neither a sum nor a product. Once ``c0`` is known, ``log|z − c0|`` is
linear in ``log x``: so ``c0`` is the only unknown searched, by the residual of that
linear fit on probe rows (a scan of offsets below the target's smallest value and above
its largest, then a bounded 1-D refinement), and ``c1`` and the exponents come from the
least-squares fit. Exponents within 0.05 of a half-integer are proposed rounded (the
solver refits and snaps every other constant). Tried on ``y``, ``y²`` and ``1/y`` as
`symkan.search.levers.terms` is; every variable must be positive (the logarithm).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import sympy
from scipy.optimize import minimize_scalar

from symkan.formula.numeric import evenly_spaced
from symkan.search.levers.terms import TARGETS
from symkan.search.types import Lever, Problem

_ROWS = 256  # probe rows
_SCAN = np.logspace(-9, 4, 53)  # offsets tried: this many target spreads beyond its range
_EXACT = 1e-7  # relative rms residual of log|z − c0| below which the fit is proposed
_HALF = 0.05  # an exponent this close to a multiple of 1/2 is proposed rounded


def _applies(problem: Problem, solver) -> bool:
    return problem.d >= 1 and bool(np.all(problem.X > 0))


def residual(offset: float, logX: np.ndarray, z: np.ndarray) -> tuple[float, np.ndarray]:
    """RMS residual of ``log|z − offset| ≈ a + p·log x`` over the spread of
    ``log|z − offset|`` (scale-free: a far offset flattens the logarithm) and the
    coefficients ``(a, p…)``; ``inf`` when ``z − offset`` changes sign or touches 0."""
    w = z - offset
    if not (np.all(w > 0) or np.all(w < 0)):
        return np.inf, np.zeros(logX.shape[1] + 1)
    A = np.column_stack([np.ones(len(z)), logX])  # (n, d + 1)
    lw = np.log(np.abs(w))
    coef, *_ = np.linalg.lstsq(A, lw, rcond=None)
    spread = float(np.std(lw))
    if not spread > 0:
        return np.inf, coef
    return float(np.sqrt(np.mean((A @ coef - lw) ** 2))) / spread, coef


def best_offset(logX: np.ndarray, z: np.ndarray) -> tuple[float, float, np.ndarray] | None:
    """``(offset, rms residual, coefficients)`` minimising `residual`, or None when the
    target is constant. The offset lies outside ``[min z, max z]``; it is scanned at
    `_SCAN` spreads below and above, then refined between the best point's neighbours
    in ``log`` of the distance."""
    lo, hi = float(z.min()), float(z.max())
    span = hi - lo
    if not span > 0 or not np.isfinite(span):
        return None
    best = None
    for side in (-1.0, 1.0):
        edge = lo if side < 0 else hi
        scores = [residual(edge + side * span * t, logX, z)[0] for t in _SCAN]
        k = int(np.argmin(scores))
        a, b = np.log(_SCAN[max(k - 1, 0)]), np.log(_SCAN[min(k + 1, len(_SCAN) - 1)])
        res = minimize_scalar(
            lambda s, edge=edge, side=side: residual(edge + side * span * np.exp(s), logX, z)[0],
            bounds=(a, b), method="bounded", options={"xatol": 1e-10})
        t = float(np.exp(res.x)) if res.fun <= scores[k] else float(_SCAN[k])
        offset = edge + side * span * t
        rms, coef = residual(offset, logX, z)
        if best is None or rms < best[1]:
            best = (offset, rms, coef)
    return best


def _monomial(coef: np.ndarray, symbols, sign: float, rounded: bool) -> sympy.Expr | None:
    """``sign·exp(a)·Π x^p`` from the fit's ``(a, p…)``; ``rounded``: every exponent as
    the half-integer it is within `_HALF` of (None when one is not)."""
    out = sympy.Float(sign * np.exp(coef[0]))
    for s, p in zip(symbols, coef[1:]):
        if rounded:
            halves = round(2 * p)
            if abs(p - halves / 2) > _HALF:
                return None
            exponent = sympy.Rational(halves, 2)
        else:
            exponent = sympy.Float(p)
        if exponent != 0:
            out = out * s**exponent
    return out


def _propose(problem: Problem, solver) -> Iterator[tuple[str, sympy.Expr]]:
    rows = evenly_spaced(problem.X.shape[0], _ROWS)
    logX = np.log(problem.X[rows])
    for name, (forward, inverse, ok) in TARGETS.items():
        if not ok(problem.y):
            continue
        with np.errstate(all="ignore"):
            z = forward(problem.y[rows])
        if not np.all(np.isfinite(z)):
            continue
        found = best_offset(logX, z)
        solver.check()
        if found is None or found[1] > _EXACT:
            continue
        offset, _, coef = found
        sign = 1.0 if np.all(z > offset) else -1.0
        for rounded in (True, False):
            mono = _monomial(coef, problem.symbols, sign, rounded)
            if mono is not None:
                yield f"on {name}", inverse(sympy.Float(offset) + mono)


LEVER = Lever("offset", "terminal", _applies, _propose)
