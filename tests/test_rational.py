"""The polynomial and ratio lever: exact laws recovered by linear algebra, checked
against the true formula; no exact claim for laws that are not rational."""

from math import comb
from types import SimpleNamespace

import numpy as np
import pytest
import sympy

from symkan.formula import evaluate
from symkan.search.levers import rational
from symkan.search.types import FitConfig, Problem

_SOLVER = SimpleNamespace(check=lambda: None, config=FitConfig())


def _problem(fn, names, box, n=600, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform([b[0] for b in box], [b[1] for b in box], size=(n, len(box)))
    symbols = tuple(sympy.Symbol(s, positive=True) for s in names)
    k = int(0.8 * n)
    y = fn(*X.T)
    return Problem(X[:k], y[:k], X[k:], y[k:], symbols)


def _proposed(p):
    return list(rational.LEVER.propose(p, _SOLVER))


def test_monomials_are_every_exponent_up_to_the_degree():
    for d, deg in [(1, 4), (3, 2), (4, 3)]:
        exps = rational.monomials(d, deg)
        assert len(exps) == len(set(exps)) == comb(d + deg, deg)
        assert all(sum(e) <= deg for e in exps)


@pytest.mark.parametrize("fn, names, box, true", [
    # relativistic velocity sum, with c: (u + v)/(1 + u·v/c²)
    (lambda u, v, c: (u + v) / (1 + u * v / c**2), "u v c", [(1, 5)] * 3,
     "(u + v)/(1 + u*v/c**2)"),
    # centre of mass
    (lambda m1, m2, r1, r2: (m1 * r1 + m2 * r2) / (m1 + m2), "m1 m2 r1 r2", [(1, 5)] * 4,
     "(m1*r1 + m2*r2)/(m1 + m2)"),
    # a sparse cubic in two variables (an ODE's right-hand side)
    (lambda x, y: x - x**3 / 3 - y + 0.5 * x * y**2, "x y", [(-2, 2)] * 2,
     "x - x**3/3 - y + x*y**2/2"),
])
def test_a_rational_law_comes_out_exact(fn, names, box, true):
    p = _problem(fn, names.split(), box)
    (label, expr), = _proposed(p)  # exact: one formula, and the lever stops
    syms = {s.name: s for s in p.symbols}
    true = sympy.sympify(true, locals=syms)
    assert sympy.simplify(expr - true) == 0, (label, expr)
    assert not expr.has(sympy.Float)  # exact coefficients, as fractions


def test_a_square_root_of_a_ratio_is_found_through_y_squared():
    # a Lorentz factor times a translation, as units leave it: (1 - b)/sqrt(1 - a²)
    p = _problem(lambda a, b: (1 - b) / np.sqrt(1 - a**2), ["a", "b"], [(0.1, 0.9), (0.1, 0.6)])
    (label, expr), = _proposed(p)
    assert label.startswith("y^2 ratio")
    X = np.vstack([p.X, p.Xv])
    assert np.allclose(evaluate(expr, p.symbols, X), (1 - X[:, 1]) / np.sqrt(1 - X[:, 0] ** 2),
                       rtol=1e-9)


def test_a_law_that_is_not_rational_is_not_claimed_exact():
    # degree-4/4 rational approximants of exp and sqrt reach ~1e-6 on a box: not a law
    for fn in (lambda x, y: np.exp(-x * y), lambda x, y: np.sin(x) + y):
        p = _problem(fn, ["x", "y"], [(0.5, 2), (0.5, 2)])
        for label, expr in _proposed(p):
            assert "ratio" not in label
            fit = evaluate(expr, p.symbols, p.Xv)
            assert np.sqrt(np.mean((fit - p.yv) ** 2)) > 1e-10 * np.std(p.yv)


def test_the_ratio_fit_matches_a_naive_solve_on_the_exact_support():
    # the null vector on every monomial, thinned, equals the solve on the true terms only
    rng = np.random.default_rng(3)
    X = rng.uniform(1, 3, size=(300, 2))
    y = (2 * X[:, 0] + X[:, 1] ** 2) / (1 + X[:, 0] * X[:, 1])
    p, pe, q, qe, ratio = rational.fit_ratio(X, y, 2, 2)
    assert ratio < 1e-10
    # naive: y·(1 + b·xy) = a·x + c·y² with the true support, by least squares
    A = np.column_stack([X[:, 0], X[:, 1] ** 2, -y * X[:, 0] * X[:, 1]])
    a, c, b = np.linalg.lstsq(A, y, rcond=None)[0]
    pd, qd = dict(zip(pe, p)), dict(zip(qe, q))
    scale = qd[(0, 0)]
    assert np.allclose([pd[(1, 0)] / scale, pd[(0, 2)] / scale, qd[(1, 1)] / scale],
                       [a, c, b], rtol=1e-8)
    assert sum(abs(v) > 1e-9 for v in p) == 2 and sum(abs(v) > 1e-9 for v in q) == 2
