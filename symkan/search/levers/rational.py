"""Terminal lever ``rational``: sparse polynomials and ratios of polynomials, by linear algebra.

A polynomial ``y = P(x)`` is linear in its coefficients: one least-squares fit over every
monomial up to degree 4, then terms whose share of ``y`` is negligible are dropped and
the rest refitted (sequential thresholding, as SINDy does). A ratio ``y = P(x)/Q(x)`` is
linear too once multiplied out: ``y·Q(x) − P(x) = 0`` on every row, so the coefficients
of ``P`` and ``Q`` together are the null vector of one matrix (its smallest right
singular vector). Degree pairs are tried from the fewest unknowns up, and the first pair
with a null vector is the law's lowest form (a higher pair would only multiply ``P`` and
``Q`` by a common factor). Exact for ``(u + v)/(1 + u·v)``, ``(m1·r1 + m2·r2)/(m1 + m2)``
or any low-degree right-hand side of an ODE; the solver then refits, cleans and scores
each formula on the rows like any other.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from fractions import Fraction
from math import comb

import numpy as np
import sympy

from symkan.formula.numeric import evaluate, evenly_spaced
from symkan.search.types import Lever, Problem

_MAX_DEGREE = 4
_MAX_TERMS = 220  # monomials of one polynomial fit
_MAX_UNKNOWNS = 120  # coefficients of P and Q together
_ROWS = 1000
_EXACT = 1e-10  # relative rms residual below which a fit is exact (a rational approximant
# of sqrt or exp of degree 4/4 reaches 1e-6 on a box; an exact law reaches 1e-14)
_SINGULAR = 1e-6  # a ratio's null vector must be this clear (smallest / largest singular value)
_KEEP = 1e-6  # a term contributing less than this × std(y) is dropped
_PROPOSE = 1e-3  # polynomial fits looser than this (relative rms) are not proposed


def monomials(d: int, degree: int) -> list[tuple[int, ...]]:
    """Exponent tuples of every monomial in ``d`` variables of total degree ≤ ``degree``,
    lowest degree first."""
    out = []
    for k in range(degree + 1):
        for combo in itertools.combinations_with_replacement(range(d), k):
            e = [0] * d
            for i in combo:
                e[i] += 1
            out.append(tuple(e))
    return out


def _design(X: np.ndarray, exps: list[tuple[int, ...]]) -> np.ndarray:
    """(n, d) rows → (n, len(exps)) monomial values."""
    E = np.asarray(exps, dtype=float)  # (k, d)
    return np.prod(X[:, None, :] ** E[None, :, :], axis=2)


def _poly_expr(coef: np.ndarray, exps, symbols, exact: bool = False) -> sympy.Expr:
    """Σ c·x^e; ``exact``: every coefficient as the small fraction it rounds to, when all
    of them round (an exact fit's coefficients are right to ~1e-12)."""
    numbers = [sympy.Float(c) for c in coef]
    if exact:
        top = float(np.max(np.abs(coef))) or 1.0
        fractions = [Fraction(float(c)).limit_denominator(1000) for c in coef]
        if all(abs(float(f) - c) <= 1e-8 * top for f, c in zip(fractions, coef)):
            numbers = [sympy.Rational(f.numerator, f.denominator) for f in fractions]
    return sympy.Add(*[n * sympy.Mul(*[s**e for s, e in zip(symbols, ex) if e])
                       for n, ex in zip(numbers, exps) if n != 0])


def fit_polynomial(X: np.ndarray, y: np.ndarray, degree: int):
    """Sparse least-squares polynomial of total degree ≤ ``degree`` in the columns of X.

    Returns ``(coefficients, exponents, relative rms residual)``; columns are scaled by
    their rms for the solve and the coefficients are in the raw variables.
    """
    s = np.sqrt(np.mean(X**2, axis=0))
    s[s == 0] = 1.0
    exps = monomials(X.shape[1], degree)
    A = _design(X / s, exps)  # (n, k)
    norms = np.linalg.norm(A, axis=0)
    norms[norms == 0] = 1.0
    An = A / norms
    scale = float(np.std(y)) or 1.0
    support = np.arange(len(exps))
    coef = np.zeros(len(exps))
    for _ in range(8):  # sequential thresholding
        c, *_ = np.linalg.lstsq(An[:, support], y, rcond=None)
        coef[:] = 0
        coef[support] = c
        share = np.abs(coef) * np.sqrt(np.mean(An**2, axis=0))  # rms contribution
        keep = np.flatnonzero(share > _KEEP * scale)
        if len(keep) == len(support) or len(keep) == 0:
            break
        support = keep
    resid = float(np.sqrt(np.mean((An @ coef - y) ** 2))) / scale
    raw = coef / norms / np.prod(s[None, :] ** np.asarray(exps, dtype=float), axis=1)
    return raw, exps, resid


def _null_vector(M: np.ndarray) -> tuple[np.ndarray, float]:
    """The unit vector v minimizing |M v| and the ratio of the two extreme singular values."""
    _, sv, Vt = np.linalg.svd(M, full_matrices=False)
    return Vt[-1], float(sv[-1] / sv[0]) if sv[0] > 0 else np.inf


def fit_ratio(X: np.ndarray, y: np.ndarray, p_degree: int, q_degree: int):
    """``y ≈ P/Q`` from the null vector of ``[y·M_Q, −M_P]``; returns
    ``(p_coef, p_exps, q_coef, q_exps, singular ratio)`` in the raw variables (Q's
    largest coefficient is 1), terms of negligible weight dropped."""
    s = np.sqrt(np.mean(X**2, axis=0))
    s[s == 0] = 1.0
    yn = y / (np.sqrt(np.mean(y**2)) or 1.0)
    pe, qe = monomials(X.shape[1], p_degree), monomials(X.shape[1], q_degree)
    Xs = X / s
    M = np.hstack([yn[:, None] * _design(Xs, qe), -_design(Xs, pe)])
    norms = np.linalg.norm(M, axis=0)
    norms[norms == 0] = 1.0
    Mn = M / norms
    support = np.arange(M.shape[1])
    v, ratio = _null_vector(Mn)
    for _ in range(6):  # drop terms of negligible weight, then re-solve on the rest
        full = np.zeros(M.shape[1])
        full[support] = v
        keep = np.flatnonzero(np.abs(full) > 1e-6 * np.max(np.abs(full)))
        if len(keep) == len(support) or len(keep) < 2:
            break
        v2, r2 = _null_vector(Mn[:, keep])
        if r2 > max(10 * ratio, 1e-12):
            break
        support, v, ratio = keep, v2, r2
    full = np.zeros(M.shape[1])
    full[support] = v
    raw = full / norms
    nq = len(qe)
    scale_q = np.prod(s[None, :] ** np.asarray(qe, dtype=float), axis=1)
    scale_p = np.prod(s[None, :] ** np.asarray(pe, dtype=float), axis=1)
    q = raw[:nq] / scale_q
    p = raw[nq:] / scale_p * (np.sqrt(np.mean(y**2)) or 1.0)
    top = q[np.argmax(np.abs(q))]
    if top == 0:
        return p, pe, q, qe, np.inf
    return p / top, pe, q / top, qe, ratio


def _degree_pairs(d: int) -> list[tuple[int, int]]:
    """(deg P, deg Q) pairs with Q not constant, fewest unknowns first."""
    pairs = [(a, b) for a in range(_MAX_DEGREE + 1) for b in range(1, _MAX_DEGREE + 1)
             if comb(d + a, a) + comb(d + b, b) <= _MAX_UNKNOWNS]
    return sorted(pairs, key=lambda ab: (comb(d + ab[0], ab[0]) + comb(d + ab[1], ab[1]),
                                         ab[1]))


def _applies(problem: Problem, solver) -> bool:
    return 1 <= problem.d and comb(problem.d + 2, 2) <= _MAX_TERMS


def _targets(y: np.ndarray):
    """``(label, target, sign)``: ``y`` itself (sign None), and ``y²`` when ``y`` keeps
    one sign (``sqrt(P/Q)`` laws: distances, Lorentz factors)."""
    yield "", y, None
    sign = int(np.sign(y[0]))
    if sign != 0 and np.all(np.sign(y) == sign):
        yield "y^2 ", y**2, sign


def _sqrt(expr: sympy.Expr, symbols, X: np.ndarray) -> sympy.Expr:
    """``sqrt(expr)`` as ``sqrt(P)/sqrt(Q)``, each root taken out where the rows allow
    (``sqrt(c**2*m**2/(c**2 - v**2))`` → ``c*m/sqrt(c**2 - v**2)`` when c, m > 0)."""
    num, den = sympy.fraction(expr)
    vn, vd = evaluate(num, symbols, X), evaluate(den, symbols, X)
    if np.all(vn * vd < 0):
        num, den = -num, -den
    elif not np.all(vn * vd > 0):
        return sympy.sqrt(expr)
    if np.all(vd < 0):
        num, den = -num, -den
    out = sympy.sqrt(expr)
    parts = []
    for part in (num, den):
        root = sympy.sqrt(part)
        simple = sympy.powdenest(root, force=True)  # assumes positive factors: checked
        ok = np.allclose(evaluate(simple, symbols, X), evaluate(root, symbols, X),
                         rtol=1e-10, atol=0)
        parts.append(simple if ok else root)
    candidate = parts[0] / parts[1]
    if np.allclose(evaluate(candidate, symbols, X), evaluate(out, symbols, X), rtol=1e-10,
                   atol=0):
        return candidate
    return out


def _fits(X: np.ndarray, y: np.ndarray, d: int, solver):
    """``(label, formula, exact)`` for the target ``y``: the best sparse polynomial if it
    is close, then the lowest ratio the rows confirm."""
    best = None
    for degree in range(1, _MAX_DEGREE + 1):
        if comb(d + degree, degree) > _MAX_TERMS:
            break
        solver.check()
        coef, exps, resid = fit_polynomial(X, y, degree)
        if best is None or resid < 0.5 * best[0]:
            best = (resid, degree, coef, exps)
        if resid < _EXACT:
            break
    if best is not None and best[0] < _PROPOSE:
        resid, degree, coef, exps = best
        yield f"polynomial {degree}", (coef, exps), None, resid < _EXACT
        if resid < _EXACT:
            return
    scale = float(np.std(y)) or 1.0
    for p_deg, q_deg in _degree_pairs(d):
        solver.check()
        p, pe, q, qe, ratio = fit_ratio(X, y, p_deg, q_deg)
        if not ratio < _SINGULAR:
            continue
        with np.errstate(all="ignore"):
            pred = (_design(X, pe) @ p) / (_design(X, qe) @ q)
        if np.sqrt(np.mean((pred - y) ** 2)) < _EXACT * scale:  # the rows confirm it
            yield f"ratio {p_deg}/{q_deg}", (p, pe), (q, qe), True
            return


def _propose(problem: Problem, solver) -> Iterator[tuple[str, sympy.Expr]]:
    idx = evenly_spaced(len(problem.y), _ROWS)
    X, symbols = problem.X[idx], problem.symbols
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(problem.y[idx]))):
        return
    for prefix, y, sign in _targets(problem.y[idx]):
        for label, num, den, exact in _fits(X, y, problem.d, solver):
            expr = _poly_expr(*num, symbols, exact)
            if den is not None:
                expr = expr / _poly_expr(*den, symbols, exact)
            if not expr.has(sympy.Float):  # exact coefficients: factor (cheap, readable)
                expr = sympy.factor(expr)
            if sign is not None:
                expr = sign * _sqrt(expr, symbols, X)
            yield prefix + label, expr
            if exact:
                return


LEVER = Lever("rational", "terminal", _applies, _propose)
