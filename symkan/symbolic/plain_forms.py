"""One-variable forms with plain inner constants, chosen by description length.

On noisy rows many four-constant forms ``c·f(a·h(x)+b)+d`` reach the noise floor — a
``tanh`` bent to the data as well as the law's ``1/sqrt(1 - x**2)`` — and the most
accurate is rarely the law: it is the one that fits the noise best. A law's inner
constants are plain numbers (``1 - x**2``, ``2*x + 1``), so this module tries every
``f`` of the library on every inner shape ``h`` with ``a`` and ``b`` from a short list of
plain numbers (``±1, ±2, ±3, ±1/2, ...``), solves ``c`` and ``d`` by least squares in
closed form (all forms at once, in numpy), tries plain values for ``c`` and ``d`` too,
and scores each by BIC, ``n·log(RSS/n) + k·log(n)`` with ``k`` the constants still free:
the form that explains the rows with the fewest free constants wins, as a law should.
A form that is not exact never beats an exact free fit on noiseless rows (its RSS is
far larger), so the rule only speaks where the rows cannot tell the forms apart.

>>> import numpy as np, sympy
>>> x = np.linspace(0.1, 0.7, 256)
>>> noise = np.random.default_rng(0).normal(0, 0.01, x.size)
>>> s = sympy.Symbol("x", positive=True)
>>> forms = plain_forms(x, 1 / np.sqrt(1 - x**2) + noise, s, free_bic=None)
>>> forms[0][1]
1/sqrt(1 - x**2)
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import sympy

from symkan.formula import complexity
from symkan.formula.numeric import evenly_spaced
from symkan.symbolic.library import DEFAULT_LIBRARY, Primitive

__all__ = ["bic", "plain_forms"]

_HALF, _THIRD, _QUARTER = sympy.Rational(1, 2), sympy.Rational(1, 3), sympy.Rational(1, 4)
# the inner scale a and offset b of f(a·h(x) + b): plain numbers only
_A = tuple(s * v for v in (sympy.S.One, sympy.Integer(2), sympy.Integer(3), _HALF, _THIRD,
                           sympy.Integer(4), _QUARTER) for s in (1, -1))
_B = (sympy.S.Zero, sympy.S.One, -sympy.S.One, sympy.Integer(2), -sympy.Integer(2), _HALF,
      -_HALF, sympy.Integer(3), -sympy.Integer(3))
# the outer factor c and offset d count as known only at these values: a snap to one of
# the many nice numbers near any value (11/(3*pi)) would fit the noise, not the law
_PLAIN_EXACT = tuple(s * sympy.Rational(v) for v in ("0", "1", "2", "3", "4", "1/2", "3/2",
                                                      "1/3", "2/3", "1/4") for s in (1, -1))
_PLAIN = np.array([float(v) for v in _PLAIN_EXACT])
_SCREEN_ROWS = 256  # rows every form is scored on
_KEEP = 64  # best (a, b, h, f) by RSS whose outer constants are then tried plain
_WINDOW = 0.05  # a plain outer constant lies within this (relative) of the fitted one


def _inners(s: sympy.Symbol) -> list[sympy.Expr]:
    """The inner shapes h: the variable, its powers, log and exponentials."""
    return [s, s**2, 1 / s, s**-2, sympy.sqrt(s), sympy.log(s), sympy.exp(s), sympy.exp(-s),
            sympy.exp(s / 2), sympy.exp(-s / 2), sympy.exp(2 * s), sympy.exp(-2 * s)]


def bic(rss: float, n: int, k: int) -> float:
    """BIC of a least-squares fit: ``n·log(RSS/n) + k·log(n)`` (``k`` free constants)."""
    return n * math.log(max(rss, 1e-300) / n) + k * math.log(n)


def plain_forms(
    x: np.ndarray, y: np.ndarray, symbol: sympy.Symbol,
    library: Mapping[str, Primitive] = DEFAULT_LIBRARY, *, free_bic: float | None,
    keep: int = 3,
) -> list[tuple[float, sympy.Expr]]:
    """The ``keep`` best forms ``c·f(a·h(x)+b)+d`` with plain ``a``, ``b`` by BIC, best
    first, as ``(bic, expr)``; only those below ``free_bic`` (the BIC of the best fit with
    every constant free; None: no bar). ``c`` and ``d`` are exact where a plain value
    scores better, else Floats for the caller to refit on all rows."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    n = len(y)
    if n < 8 or np.std(y) == 0:
        return []
    A = np.array([float(a) for a in _A])[:, None, None]
    B = np.array([float(b) for b in _B])[None, :, None]
    screen = evenly_spaced(n, _SCREEN_ROWS)  # every form on a few rows, the best on all
    moments = _Moments(y[screen])
    found = []  # (bic, inner index, prim name, a index, b index)
    inners = _inners(symbol)
    values = [_eval(h, symbol, x) for h in inners]
    for i, hx in enumerate(values):
        if not np.all(np.isfinite(hx)) or np.max(np.abs(hx)) > 1e6:
            continue
        arg = A * hx[screen][None, None, :] + B  # (|A|, |B|, rows)
        for name, prim in library.items():
            if prim.expr.is_number:
                continue
            with np.errstate(all="ignore"):
                u = np.broadcast_to(np.asarray(prim.numpy(arg), float), arg.shape)
                score = moments.best_bic(u)
            for ia, ib in zip(*np.nonzero(np.isfinite(score))):
                found.append((float(score[ia, ib]), i, name, ia, ib))
    found.sort(key=lambda f: f[0])
    scored = {}  # the same function of x (sin(-x), -sin(x)): its simplest form
    for _, i, name, ia, ib in found[:_KEEP]:
        with np.errstate(all="ignore"):
            u = library[name].numpy(float(_A[ia]) * values[i] + float(_B[ib]))
        u = np.broadcast_to(np.asarray(u, float), x.shape)
        if not np.all(np.isfinite(u)) or np.std(u) == 0:
            continue
        score, c, d = _outer(u, y, n)
        expr = c * library[name].sympy(_A[ia] * inners[i] + _B[ib]) + d
        pred = float(c) * u + float(d)
        key = np.round(pred[:: max(1, n // 16)] / (np.std(y) or 1.0), 8).tobytes()
        entry = (round(score, 6), complexity(expr), expr)
        if key not in scored or entry[:2] < scored[key][:2]:
            scored[key] = entry
    ranked = sorted(scored.values(), key=lambda s: s[:2])
    return [(s, e) for s, _, e in ranked if free_bic is None or s < free_bic][:keep]


def _eval(expr: sympy.Expr, symbol: sympy.Symbol, x: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.broadcast_to(np.asarray(sympy.lambdify(symbol, expr, "numpy")(x), float),
                               x.shape)


def _nearest_plain(v: np.ndarray) -> np.ndarray:
    """The plain number nearest each entry of ``v``, nan where none is within `_WINDOW`."""
    j = np.argmin(np.abs(v[..., None] - _PLAIN), -1)
    p = _PLAIN[j]
    return np.where(np.abs(p - v) <= _WINDOW * np.abs(v), p, np.nan)


class _Moments:
    """BIC of ``c·u + d`` for many columns ``u`` at once, ``c`` and ``d`` free or plain,
    from the sums Σu, Σu², Σu·y (no refit per column)."""

    def __init__(self, y: np.ndarray) -> None:
        self.y, self.n = y, len(y)
        self.sy, self.syy = float(y.sum()), float(y @ y)

    def best_bic(self, u: np.ndarray) -> np.ndarray:
        """(..., n) → (...): the lowest BIC over the plain/free choices (inf if unusable)."""
        n, sy, syy = self.n, self.sy, self.syy
        su, suu, suy = u.sum(-1), np.einsum("...n,...n->...", u, u), u @ self.y
        vu = suu - su**2 / n  # n·var(u)
        cov = suy - su * sy / n
        ok = np.all(np.isfinite(u), -1) & (vu > 1e-12 * n * (1 + np.abs(su) / n) ** 2)
        vu = np.where(ok, vu, 1.0)

        def rss(c, d):  # Σ(y - c·u - d)²
            return syy - 2 * c * suy - 2 * d * sy + c**2 * suu + 2 * c * d * su + n * d**2

        c = cov / vu
        d = (sy - c * su) / n
        log_n = math.log(n)
        options = [(rss(c, d), 2)]
        cp = _nearest_plain(c)
        dc = (sy - cp * su) / n  # d refitted for the plain c
        options.append((rss(cp, dc), 1))
        for dp in (np.zeros_like(c), _nearest_plain(dc)):
            options.append((rss(cp, dp), 0))
        for dp in (np.zeros_like(c), _nearest_plain(d)):
            c1 = (suy - dp * su) / np.where(suu > 0, suu, 1.0)
            options.append((rss(c1, dp), 1))
        best = np.full(c.shape, np.inf)
        for r, k in options:
            score = n * np.log(np.maximum(r, 1e-300) / n) + k * log_n
            best = np.fmin(best, np.where(np.isfinite(score), score, np.inf))
        return np.where(ok, best, np.inf)


def _plain(value: float) -> sympy.Expr | None:
    """The plain number (`_PLAIN`) within `_WINDOW` of ``value``, or None."""
    j = int(np.argmin(np.abs(_PLAIN - value)))
    if abs(_PLAIN[j] - value) > _WINDOW * abs(value):
        return None
    return _PLAIN_EXACT[j]


def _outer(u: np.ndarray, y: np.ndarray, n: int) -> tuple[float, sympy.Expr, sympy.Expr]:
    """The best BIC of ``c·u + d`` with ``c``, ``d`` free or plain: (bic, c, d)."""
    uc, yc = u - u.mean(), y - y.mean()
    c = float(uc @ yc) / float(uc @ uc)
    d = float(y.mean() - c * u.mean())
    tries = [(bic(float(np.sum((y - c * u - d) ** 2)), n, 2), sympy.Float(c), sympy.Float(d))]
    c_plain = _plain(c)
    if c_plain is not None and c_plain != 0:
        cp = float(c_plain)
        d1 = float(np.mean(y - cp * u))
        tries.append((bic(float(np.sum((y - cp * u - d1) ** 2)), n, 1), c_plain,
                      sympy.Float(d1)))
        for d_plain in {sympy.S.Zero, _plain(d1)} - {None}:
            rss = float(np.sum((y - cp * u - float(d_plain)) ** 2))
            tries.append((bic(rss, n, 0), c_plain, d_plain))
    for d_plain in {sympy.S.Zero, _plain(d)} - {None}:
        r = y - float(d_plain)
        c1 = float(u @ r) / float(u @ u)
        tries.append((bic(float(np.sum((r - c1 * u) ** 2)), n, 1), sympy.Float(c1), d_plain))
    return min(tries, key=lambda t: t[0])
