"""One-variable forms with plain inner constants, chosen by description length.

On noisy rows many four-constant forms ``c·f(a·h(x)+b)+d`` reach the noise floor — a
``tanh`` bent to the data as well as the law's ``1/sqrt(1 - x**2)`` — and the most
accurate is rarely the law: it is the one that fits the noise best. A law's inner
constants are plain numbers (``1 - x**2``, ``2*x + 1``), so this module tries every
``f`` of the library on every inner shape ``h`` with ``a`` and ``b`` from a short list of
plain numbers (``±1, ±2, ±3, ±1/2, ...``), solves ``c`` and ``d`` by least squares in
closed form (all forms at once, in numpy), tries plain values for ``c`` and ``d`` too,
and scores each by BIC, ``n·log(RSS/n) + k·log(n)`` with ``k`` the constants still free,
plus the cost of naming each plain constant that says something (``2·log`` of the
number of values it was picked from; nothing for ``a = ±1``, ``b = 0``, ``c = ±1``,
``d = 0``): the form that explains the rows with the least to name wins, as a law should.
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
from symkan.formula.numeric import evaluate, evenly_spaced
from symkan.symbolic.library import DEFAULT_LIBRARY, Primitive, U

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
_SCREEN_ROWS = 128  # rows every form is scored on
_PLAIN_COST = 2 * math.log(len(_PLAIN))  # naming one plain number (BIC units)
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
    keep: int = 3, weights: np.ndarray | None = None,
) -> list[tuple[float, sympy.Expr]]:
    """The ``keep`` best forms ``c·f(a·h(x)+b)+d`` with plain ``a``, ``b`` by BIC, best
    first, as ``(bic, expr)``; only those below ``free_bic`` (the BIC of the best fit with
    every constant free; None: no bar). ``c`` and ``d`` are exact where a plain value
    scores better, else Floats for the caller to refit on all rows. ``weights`` (n,
    mean 1): every RSS is weighted."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    n = len(y)
    if n < 8 or np.std(y) == 0:
        return []
    A = np.array([float(a) for a in _A])[:, None, None]
    B = np.array([float(b) for b in _B])[None, :, None]
    # naming a and b: nothing for a = ±1, b = 0 (BIC units, as `_PLAIN_COST`)
    cost_ab = (np.where(np.abs(A[:, :, 0]) == 1, 0.0, 2 * math.log(len(_A)))
               + np.where(B[:, :, 0] == 0, 0.0, 2 * math.log(len(_B))))
    redundant = ~((A[:, :, 0] == 1) & (B[:, :, 0] == 0))  # for f(u) = u
    screen = evenly_spaced(n, _SCREEN_ROWS)  # every form on a few rows, the best on all
    w = None if weights is None else np.asarray(weights, float)
    moments = _Moments(y[screen], None if w is None else w[screen] / np.mean(w[screen]))
    found = []  # (bic, inner index, prim name, a index, b index)
    inners = _inners(symbol)
    values = [evaluate(h, [symbol], x[:, None]) for h in inners]
    for i, hx in enumerate(values):
        if not np.all(np.isfinite(hx)) or np.max(np.abs(hx)) > 1e6:
            continue
        arg = A * hx[screen][None, None, :] + B  # (|A|, |B|, rows)
        for name, prim in library.items():
            if prim.expr.is_number:
                continue
            with np.errstate(all="ignore"):
                u = np.broadcast_to(np.asarray(prim.numpy(arg), float), arg.shape)
                score = moments.best_bic(u) + cost_ab
            if prim.expr == U:  # c·(a·h + b) + d: a and b belong to c and d
                score = np.where(redundant, np.inf, score)
            for ia, ib in zip(*np.nonzero(np.isfinite(score))):
                found.append((float(score[ia, ib]), i, name, ia, ib))
    found.sort(key=lambda f: f[0])
    full = _Moments(y, w)
    scored = {}  # the same function of x up to c, d (sin(-x), -sin(x)): its best form
    for _, i, name, ia, ib in found[:_KEEP]:
        with np.errstate(all="ignore"):
            u = library[name].numpy(float(_A[ia]) * values[i] + float(_B[ib]))
        u = np.broadcast_to(np.asarray(u, float), x.shape)
        if not np.all(np.isfinite(u)) or np.std(u) == 0:
            continue
        score, c, d = full.best(u)
        score += float(cost_ab[ia, ib])
        expr = c * library[name].sympy(_A[ia] * inners[i] + _B[ib]) + d
        shape = (u - u.mean()) / np.std(u)  # c·u + d: the same forms for any c, d
        shape = shape * (np.sign(shape[0]) or 1.0)
        key = np.round(shape[:: max(1, n // 16)], 6).tobytes()
        entry = (round(score, 6), complexity(expr), expr)
        if key not in scored or entry[:2] < scored[key][:2]:
            scored[key] = entry
    ranked = sorted(scored.values(), key=lambda s: s[:2])
    return [(s, e) for s, _, e in ranked if free_bic is None or s < free_bic][:keep]


def _nearest_plain(v: np.ndarray) -> np.ndarray:
    """The plain number nearest each entry of ``v``, nan where none is within `_WINDOW`."""
    j = np.argmin(np.abs(v[..., None] - _PLAIN), -1)
    p = _PLAIN[j]
    return np.where(np.abs(p - v) <= _WINDOW * np.abs(v), p, np.nan)


def _exact(value: float) -> sympy.Expr:
    """A float of `_PLAIN` as its exact number."""
    return _PLAIN_EXACT[int(np.argmin(np.abs(_PLAIN - value)))]


class _Moments:
    """BIC of ``c·u + d`` for many columns ``u`` at once, ``c`` and ``d`` free or plain,
    from the sums Σu, Σu², Σu·y (no refit per column).

    A free constant costs ``log n``; a plain one costs `_PLAIN_COST` unless it says
    nothing (``c = ±1``, ``d = 0``): ``x**2 + 1`` must fit better than ``x**2`` to win.
    """

    def __init__(self, y: np.ndarray, w: np.ndarray | None = None) -> None:
        self.n = len(y)
        self.w = np.ones(self.n) if w is None else np.asarray(w, float)
        self.wy = self.w * y
        self.sw, self.sy, self.syy = float(self.w.sum()), float(self.wy.sum()), float(self.wy @ y)

    def options(self, u: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, int]]:
        """(..., n) → every choice as (bic, c, d, which of c, d are plain: bit 1 c, bit 2 d);
        nan c or d where a plain value is not within reach, inf bic where ``u`` is unusable."""
        n, sw, sy, syy = self.n, self.sw, self.sy, self.syy
        su, suu, suy = u @ self.w, np.einsum("...n,...n,n->...", u, u, self.w), u @ self.wy
        vu = suu - su**2 / sw  # Σw·var(u)
        ok = np.all(np.isfinite(u), -1) & (vu > 1e-12 * sw * (1 + np.abs(su) / sw) ** 2)
        vu = np.where(ok, vu, 1.0)
        log_n = math.log(n)

        def score(c, d, plain):  # n·log(RSS/n) + the constants' cost
            rss = syy - 2 * c * suy - 2 * d * sy + c**2 * suu + 2 * c * d * su + sw * d**2
            cost = (0.0 if plain & 1 else log_n) + (0.0 if plain & 2 else log_n)
            if plain & 1:
                cost = cost + np.where(np.abs(c) == 1, 0.0, _PLAIN_COST)
            if plain & 2:
                cost = cost + np.where(d == 0, 0.0, _PLAIN_COST)
            out = n * np.log(np.maximum(rss, 1e-300) / n) + cost
            return np.where(ok & np.isfinite(out), out, np.inf)

        c = (suy - su * sy / sw) / vu
        d = (sy - c * su) / sw
        out = [(score(c, d, 0), c, d, 0)]
        cp = _nearest_plain(c)
        dc = (sy - cp * su) / sw  # d refitted for the plain c
        out.append((score(cp, dc, 1), cp, dc, 1))
        for dp in (np.zeros_like(c), _nearest_plain(dc)):
            out.append((score(cp, dp, 3), cp, dp, 3))
        for dp in (np.zeros_like(c), _nearest_plain(d)):
            c1 = (suy - dp * su) / np.where(suu > 0, suu, 1.0)
            out.append((score(c1, dp, 2), c1, dp, 2))
        return out

    def best_bic(self, u: np.ndarray) -> np.ndarray:
        """(..., n) → (...): the lowest score over the plain/free choices (inf if unusable)."""
        return np.min(np.stack([o[0] for o in self.options(u)]), 0)

    def best(self, u: np.ndarray) -> tuple[float, sympy.Expr, sympy.Expr]:
        """For one column ``u`` (n,): (score, c, d), exact where plain, else Floats."""
        score, c, d, plain = min(self.options(u), key=lambda o: float(o[0]))
        return (float(score), _exact(float(c)) if plain & 1 else sympy.Float(float(c)),
                _exact(float(d)) if plain & 2 else sympy.Float(float(d)))
