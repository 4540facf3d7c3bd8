"""Reducer ``groups``: one dimensionless group found from the rows, without units.

When ``y = x^e · g(π)`` with one monomial ``π = x^p`` (``m0/sqrt(1 - v²/c²)`` is
``m0 · g(v/c)``), ``log|y| = e·log x + G(p·log x)``: linear in ``log x`` except along one
direction. For every small integer direction ``p`` (entries ±1, ±2 on up to four
variables, of columns that keep one sign), that partially linear model is fitted by
least squares — a Chebyshev series in ``p·log x`` plus linear terms — on a subsample of
the rows; the directions that explain ``log|y|`` far better than a plain monomial are
the groups. For each, the exponents ``e`` (one per choice of the variable whose
exponent is set to 0, rounded to halves) turn the law into the one-variable problem
``y / x^e = g(π)``, solved by the same solver on the real rows. This is AI Feynman's
dimensional analysis done from the data, as the neural-feature-matrix view predicts:
such a law has a rank-one log-gradient covariance whose direction is ``p``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy

from symkan.formula.numeric import evenly_spaced
from symkan.search import units
from symkan.search.noise import log_rows, noise_level
from symkan.search.types import Lever, Problem, priority

_DEGREE = 10  # Chebyshev degree of G
_SCREEN_ROWS = 300
_MAX_SUPPORT = 4  # variables in a group
_KEEP = 2  # groups passed on to the sub-solve
_GAIN = 0.2  # a group must cut the monomial's residual at least this much (×)
_TIE = 1.25  # residuals within this factor of the best are a tie (noise), won by simplicity


@dataclass(frozen=True)
class Group:
    """``y = ∏ x_i^{e_i} · g(∏ x_i^{p_i})``, exponents over the problem's columns."""

    p: tuple[float, ...]
    e: tuple[float, ...]
    residual: float  # relative rms of the partially linear fit of log|y|

    @property
    def reduction(self) -> units.Reduction:
        """The same law as a `symkan.search.units.Reduction` with one group."""
        def exact(exps):
            return tuple(Fraction(v).limit_denominator(2) for v in exps)
        return units.Reduction(exact(self.e), (exact(self.p),))


def _directions(cols: list[int], d: int, smallest: int = 2,
                largest: int | None = None) -> Iterator[np.ndarray]:
    """Integer directions with entries in ±1, ±2 on 2..4 of ``cols``, up to sign
    (``smallest=1``: single variables too)."""
    max_support = min(_MAX_SUPPORT, len(cols), 3 if len(cols) > 5 else _MAX_SUPPORT)
    if largest is not None:
        max_support = min(max_support, largest)
    for k in range(smallest, max_support + 1):
        for support in itertools.combinations(cols, k):
            for vals in itertools.product((1, 2, -1, -2), repeat=k - 1):
                for first in (1, 2):
                    v = (first,) + vals
                    if np.gcd.reduce(np.abs(v)) != 1:
                        continue
                    p = np.zeros(d)
                    p[list(support)] = v
                    yield p


def _cheb(t: np.ndarray) -> np.ndarray:
    """(n,) → (n, _DEGREE + 1) Chebyshev basis on t rescaled to [-1, 1]."""
    lo, hi = t.min(), t.max()
    s = (2 * t - lo - hi) / ((hi - lo) or 1.0)
    return np.polynomial.chebyshev.chebvander(s, _DEGREE)


def _residual(A: np.ndarray, b: np.ndarray) -> tuple[float, np.ndarray]:
    coef, *_ = np.linalg.lstsq(A, b, rcond=None)
    r = b - A @ coef
    return float(np.sqrt(np.mean(r**2))), coef


def find_groups(X: np.ndarray, y: np.ndarray, keep: int = _KEEP) -> list[Group]:
    """The best one-group reductions of ``y = f(X)``, most convincing first (may be [])."""
    n, d = X.shape
    # a column that changes sign (a difference θ − θ1) enters groups through |x|: the
    # rows confirm whether the law is even in it
    cols = [i for i in range(d) if np.all(X[:, i] != 0)]
    if len(cols) < 2:
        return []
    idx = evenly_spaced(n, _SCREEN_ROWS)
    if not (np.all(y > 0) or np.all(y < 0)) or np.min(np.abs(y)) < 1e-6 * np.max(np.abs(y)):
        return _plain_groups(X[idx], y[idx], cols, keep)
    L = np.log(np.abs(X[idx][:, cols]))  # (m, k)
    ly = np.log(np.abs(y[idx]))
    spread = float(np.std(ly)) or 1.0
    ones = np.ones((len(idx), 1))
    base, _ = _residual(np.hstack([ones, L]), ly)  # a plain monomial
    if base <= 1e-6 * spread:
        return []  # already a monomial: the one-layer lever has it
    Lfull = np.zeros((len(idx), d))
    Lfull[:, cols] = L
    scored = []
    for p in _directions(cols, d, smallest=1):  # x·sin(θ): a group of one variable
        t = Lfull @ p
        if np.std(t) == 0:
            continue
        res, _ = _residual(np.hstack([_cheb(t), L]), ly)
        scored.append((res, p))
    scored.sort(key=lambda s: s[0])
    # the part of log|y| a group can explain lies above the noise floor (noisy rows)
    floor = min(1.3 * noise_level(L, ly), 0.6 * base)  # (an estimate, widened)
    gain = _GAIN**2 * (base**2 - floor**2) + floor**2  # on squared residuals
    if not scored or scored[0][0] ** 2 > gain:  # log|y| may be singular (sin², 1 - cos)
        return _plain_groups(X[idx], y[idx], cols, keep)
    # on noisy rows several directions reach the noise floor: among those within
    # `_TIE` of the best, the simplest (fewest variables, smallest exponents) comes first
    tie = _TIE * scored[0][0]
    scored.sort(key=lambda s: (s[0] > tie, np.count_nonzero(s[1]), float(np.abs(s[1]).sum()),
                               s[0]))
    groups: list[Group] = []
    for res, p in scored[: 3 * keep]:
        if res**2 > gain:
            break
        for e in _exponents(p, cols, Lfull, ly):
            groups.append(Group(tuple(p), e, res / spread))
        if len({g.p for g in groups}) >= keep:
            break
    return groups


def _plain_groups(X: np.ndarray, y: np.ndarray, cols: list[int], keep: int,
                  degree: int = 24) -> list[Group]:
    """Groups of laws ``y = x^e · g(π)`` whose ``log|y|`` is unusable (``g`` has zeros).

    ``e`` has entries 0 and ±1 (up to four variables, none of ``π``'s); ``y / x^e`` is
    fitted by a Chebyshev series in ``π`` (oscillating ``g`` such as ``sin²`` or
    ``1 - cos`` included, and ``log π`` or ``π - 1``, which change sign).
    """
    d = X.shape[1]
    exps = [np.zeros(d)]
    small = len(cols) <= 5  # the search grows fast with the number of columns
    positive = [i for i in cols if np.all(X[:, i] > 0)]  # prefactors x^e: x > 0 only
    for k in range(1, min(_MAX_SUPPORT if small else 2, len(positive) - 1) + 1):
        for support in itertools.combinations(positive, k):
            for vals in itertools.product((1.0, -1.0), repeat=k):
                e = np.zeros(d)
                e[list(support)] = vals
                exps.append(e)
    L = np.zeros_like(X)
    L[:, cols] = np.log(np.abs(X[:, cols]))
    E = np.stack(exps)  # (k, d)
    T = y[:, None] / np.exp(L @ E.T)  # (m, k): y / x^e for every e, built once
    T = T / np.maximum(np.std(T, 0), 1e-300)
    total = np.sum((T - T.mean(0)) ** 2, 0)
    ok_cols = np.all(np.isfinite(T), 0)
    scored = []
    for p in _directions(cols, d, smallest=1, largest=None if small else 2):
        # x1·(x2 - 1) changes sign: a one-variable group
        pi = np.exp(L @ p)
        if not np.all(np.isfinite(pi)) or np.std(pi) == 0:
            continue
        lo, hi = pi.min(), pi.max()
        A = np.polynomial.chebyshev.chebvander((2 * pi - lo - hi) / ((hi - lo) or 1.0), degree)
        Q, _ = np.linalg.qr(A)  # (m, degree + 1): one projection for every e
        explained = np.sum((Q.T @ T) ** 2, 0)
        res = np.sqrt(np.maximum(np.sum(T**2, 0) - explained, 0) / len(y))
        res = np.where(ok_cols & (total > 0), res, np.inf)
        best = np.argsort(res)[:keep]
        scored += [(float(res[j]), tuple(p), tuple(exps[j])) for j in best]
    scored.sort(key=lambda s: s[0])
    # relative error of the fit: tiny on exact rows, about the noise on peeled ones
    return [Group(p, e, res) for res, p, e in scored[:keep] if res < 0.05]


def _exponents(p: np.ndarray, cols: list[int], L: np.ndarray, ly: np.ndarray,
               max_forms: int = 2) -> list[tuple[float, ...]]:
    """Exponents ``e`` for the direction ``p``, rounded to halves, nicest first.

    ``e`` is defined up to multiples of ``p``: each variable of ``p`` in turn gets
    exponent 0 and the others are read off the least-squares fit.
    """
    t = L @ p
    forms = []
    for j in np.flatnonzero(p):
        others = [i for i in cols if i != j]
        _, coef = _residual(np.hstack([_cheb(t), L[:, others]]), ly)
        e = np.zeros(len(p))
        e[others] = coef[_DEGREE + 1:]
        rounded = np.round(2 * e) / 2
        err = float(np.max(np.abs(e - rounded)))
        if err < 0.2:
            forms.append((err, float(np.sum(np.abs(rounded))), tuple(rounded + 0.0)))
    forms.sort()
    out = []
    for _, _, e in forms:
        if e not in out:
            out.append(e)
    return out[:max_forms]


def _applies(problem: Problem, solver) -> bool:
    return problem.d >= 2


def _propose(problem: Problem, solver) -> Iterator[tuple[str, sympy.Expr]]:
    rows = log_rows(problem.y, problem.noise)  # rows whose sign noise flipped: left out
    keep = rows if rows is not None and not rows.all() else slice(None)
    groups = find_groups(problem.X[keep], problem.y[keep])
    solver.progress("groups", groups=[(g.p, g.e) for g in groups])
    # a group's exact or cleaned (snapped at the noise) candidates go to the parent at
    # once, best first; its other fits wait until every group is solved: a parent short
    # of time tries the law one group found before the fits another group tried first
    found = []
    for k, group in enumerate(groups):
        reduction = group.reduction
        rows = [reduction.transform(X, y) for X, y in ((problem.X, problem.y),
                                                      (problem.Xv, problem.yv))]
        (Z, g), (Zv, gv) = rows
        if not all(np.all(np.isfinite(a)) for a in (Z, g, Zv, gv)) or not (
                np.all((g != 0) | (problem.y == 0)) and np.all((gv != 0) | (problem.yv == 0))):
            continue  # a monomial that overflows or vanishes on some row
        positive = bool(np.all(Z > 0) and np.all(Zv > 0))  # a signed column makes π signed
        z = sympy.Symbol(f"pi{problem.depth}", **({"positive": True} if positive else
                                                 {"real": True}))
        sub = problem.sub(Z, g, Zv, gv, (z,), "groups",
                          weights=reduction.weights(problem.X, problem.Xv))
        pi_expr = reduction.group_exprs(problem.symbols)[0]
        mono_expr = reduction.scale_expr(problem.symbols)
        if problem.depth == 0:
            solver.structure.setdefault("groups", []).append(
                {"group": str(pi_expr), "prefactor": str(mono_expr),
                 "residual": round(float(group.residual), 8)})
        cands = solver.solve(sub, share=0.5 / (len(groups) - k))
        ranked = sorted(((priority(c, sub.scale), c.method, mono_expr * c.expr.subs(
            z, pi_expr)) for c in cands), key=lambda f: f[0])
        for key, method, expr in ranked:
            if key[0] and key[1]:  # neither exact nor cleaned: later
                found.append((key, method, expr))
            else:
                yield method, expr
        if solver.settled(cands, sub):
            break  # the law of this group: the others need not be solved
    for _, method, expr in sorted(found, key=lambda f: f[0]):
        yield method, expr

LEVER = Lever("groups", "reducer", _applies, _propose)
