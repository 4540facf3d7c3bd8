"""Exhaustive enumeration (`symkan.search.enumerate`) against naive oracles: each stored
expression's values against sympy's evaluation of its formula, the set of expressions
against a plain recursive enumeration, the pair search against least squares."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy
import torch

from symkan.data import from_arrays
from symkan.formula import evaluate
from symkan.pipeline import fit
from symkan.search.enumerate import best_pairs, enumerate_expressions, unary_ops
from symkan.search.types import FitConfig
from symkan.symbolic.library import make_library

_LIB = make_library(["0", "x", "x^2", "sqrt", "exp", "sin", "1/x"])


def _rows(d: int, m: int = 24, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.5, 2.0, (m, d))


def test_every_stored_expression_computes_its_formula():
    X = _rows(2)
    syms = sympy.symbols("a b", real=True)
    en = enumerate_expressions(torch.tensor(X), torch.tensor(X[:, 0] * X[:, 1]), syms,
                               unary_ops(_LIB), 5)
    values, recipes = en.stored()
    picks = np.random.default_rng(1).choice(values.shape[0], 300, replace=False)
    for k in picks:
        expr = en.expr(recipes[k])
        assert np.allclose(evaluate(expr, syms, X), values[k].numpy(), rtol=1e-9, atol=1e-12)


def _usable(v: np.ndarray) -> bool:
    return bool(np.all(np.isfinite(v)) and np.ptp(v) > 1e-9 * np.abs(v).max()
                and np.abs(v).max() < 1e12)


def _naive(d: int, size: int, X: np.ndarray) -> set:
    """Every expression of at most ``size`` nodes by plain recursion, as rounded values;
    like the enumeration, a constant or non-finite subexpression is no child (the leaves
    1 and 2 are the constants)."""
    ops = unary_ops(_LIB)
    leaves = [X[:, i] for i in range(d)] + [np.ones(len(X)), 2 * np.ones(len(X))]
    by_size = {1: leaves}
    binary = [np.add, np.multiply, np.subtract, np.divide]
    for s in range(2, size + 1):
        out = []
        with np.errstate(all="ignore"):
            for v in by_size[s - 1]:
                out += [op.torch(torch.tensor(v)).numpy() for op in ops]
            for left in range(1, s - 1):
                for a, b in itertools.product(by_size[left], by_size[s - 1 - left]):
                    out += [f(a, b) for f in binary]
        by_size[s] = [v for v in out if _usable(v)]
    return {tuple(np.round(v, 8)) for vals in by_size.values() for v in vals if _usable(v)}


def test_the_enumeration_finds_what_a_naive_recursion_finds():
    X = _rows(1, m=12)
    sym = sympy.symbols("a", real=True, seq=True)
    en = enumerate_expressions(torch.tensor(X), torch.tensor(np.sin(X[:, 0])), sym,
                               unary_ops(_LIB), 4, keep=10**6)
    values, _ = en.stored()
    fast = {tuple(np.round(v, 8)) for v in values.numpy()
            if np.ptp(v) > 1e-9 * np.abs(v).max()}
    last = {tuple(np.round(_value(en, r, X), 8)) for _, r in en.best}
    naive = _naive(1, 4, X)
    assert fast | last == naive  # every expression, each once (up to rounding)
    assert len(values) == len({tuple(np.round(v, 10)) for v in values.numpy()})


def _value(en, recipe, X):
    return evaluate(en.expr(recipe), en.leaves[:X.shape[1]], X)


def test_pairs_match_least_squares_over_every_pair():
    rng = np.random.default_rng(2)
    V = rng.normal(size=(30, 20))
    y = 0.3 + 2 * V[4] - 0.5 * V[17] + 1e-3 * rng.normal(size=20)
    pairs = best_pairs(torch.tensor(V), torch.tensor(y), torch.arange(30), keep=5)

    def lstsq_loss(i, j):
        A = np.c_[np.ones(20), V[i], V[j]]
        r = y - A @ np.linalg.lstsq(A, y, rcond=None)[0]
        return float(r @ r / ((y - y.mean()) @ (y - y.mean())))

    brute = sorted((lstsq_loss(i, j), i, j) for i in range(30) for j in range(i + 1, 30))
    assert {pairs[0][1], pairs[0][2]} == {4, 17}
    for loss, i, j in pairs:
        assert loss == pytest.approx(lstsq_loss(i, j), abs=1e-9)
    assert [round(p[0], 9) for p in pairs] == [round(b[0], 9) for b in brute[:5]]


def test_the_lever_finds_a_sum_of_two_pieces_exactly():
    rng = np.random.default_rng(0)
    u, d = rng.uniform(0.2, 5, 400), rng.uniform(1, 5, 400)
    result = fit(from_arrays(np.c_[u, d], 1 + u + 2 * np.sqrt(u) * np.cos(d), ["u", "delta"]),
                 FitConfig(methods=("enumerate",), time_budget=60))
    U, D = result.symbols
    assert result.method.startswith("enumerate")
    assert sympy.simplify(result.expr - (1 + U + 2 * sympy.sqrt(U) * sympy.cos(D))) == 0


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_cuda_enumerates_the_same_expressions_as_the_cpu():
    X = _rows(2)
    syms = sympy.symbols("a b", real=True)
    y = np.sin(X[:, 0] * X[:, 1])
    runs = [enumerate_expressions(torch.tensor(X, device=dev), torch.tensor(y, device=dev),
                                  syms, unary_ops(_LIB), 5) for dev in ("cpu", "cuda")]
    assert [v.shape[0] for v in runs[0].values] == [v.shape[0] for v in runs[1].values]
    assert runs[0].expr(runs[0].best[0][1]) == runs[1].expr(runs[1].best[0][1])


def test_the_terms_beam_scores_match_least_squares():
    from symkan.search.levers.terms import beam

    rng = np.random.default_rng(3)
    V = rng.normal(size=(40, 30))
    y = 1.0 + 2 * V[3] - V[11] + 0.5 * V[29] + 1e-4 * rng.normal(size=30)
    models = beam(torch.tensor(V), torch.tensor(y), max_terms=3, width=40)

    def lstsq_loss(terms):
        A = np.c_[np.ones(30), V[list(terms)].T]
        r = y - A @ np.linalg.lstsq(A, y, rcond=None)[0]
        return float(r @ r / ((y - y.mean()) @ (y - y.mean())))

    assert set(models[0][1]) == {3, 11, 29}
    for loss, terms in models[:10]:
        assert loss == pytest.approx(lstsq_loss(terms), abs=1e-9)


def test_the_terms_lever_finds_a_sum_of_products_exactly():
    rng = np.random.default_rng(4)
    X = rng.uniform(1, 5, (400, 3))
    y = X[:, 0] + X[:, 1] + 2 * np.sqrt(X[:, 0] * X[:, 1]) * np.cos(X[:, 2])  # I.37.4
    result = fit(from_arrays(X, y, ["I1", "I2", "delta"]),
                 FitConfig(methods=("terms",), time_budget=60))
    a, b, d = result.symbols
    assert result.method.startswith("terms")
    assert sympy.simplify(result.expr - (a + b + 2 * sympy.sqrt(a) * sympy.sqrt(b) * sympy.cos(d))) == 0


def test_the_terms_dictionary_holds_inverse_squares():
    # sqrt(10·a·b − c·d²/e²): the second term needs 1/e² whole (the enumeration's ops skip it)
    rng = np.random.default_rng(5)
    X = rng.uniform([1, 1, 1, 1, 1], [3, 3, 2, 2, 3], (400, 5))
    a, b, c, d, e = X.T
    y = np.sqrt(10 * a * b - c * d**2 / e**2)  # c·d²/e² ≤ 8 < 10·a·b
    result = fit(from_arrays(X, y, ["a", "b", "c", "d", "e"]),
                 FitConfig(methods=("terms",), time_budget=60))
    A, B, C, D, E = result.symbols
    assert result.method.startswith("terms")
    assert sympy.simplify(result.expr**2 - (10 * A * B - C * D**2 / E**2)) == 0


def test_the_offset_lever_finds_a_shifted_power_law_under_a_square_root():
    from symkan.search.levers.offset import best_offset

    rng = np.random.default_rng(6)
    X = rng.uniform(1, 3, (400, 4))
    a, b, c, d = X.T
    z = 1 + 2 * a**2 * b / (c * d**4)
    offset, rms, coef = best_offset(np.log(X), z)
    assert offset == pytest.approx(1.0, abs=1e-8) and rms < 1e-7
    assert np.allclose(coef[1:], [2, 1, -1, -4], atol=1e-6)
    result = fit(from_arrays(X, np.sqrt(z), ["a", "b", "c", "d"]),
                 FitConfig(methods=("offset",), time_budget=60))
    A, B, C, D = result.symbols
    assert result.method == "offset on y^2"
    assert sympy.simplify(result.expr - sympy.sqrt(1 + 2 * A**2 * B / (C * D**4))) == 0


def test_the_offset_lever_proposes_nothing_for_a_sum_of_two_monomials():
    from symkan.search.levers.offset import best_offset

    rng = np.random.default_rng(7)
    X = rng.uniform(1, 3, (400, 2))
    _, rms, _ = best_offset(np.log(X), X[:, 0] ** 2 + X[:, 1])
    assert rms > 1e-3


@pytest.mark.parametrize("names, law, size", [
    (["x"], lambda x: np.sin(x) ** 2 / x, 5),
    (["x", "y"], lambda x, y: x / (y + x**2), 6),
])
def test_the_enumerator_finds_small_nested_laws_exactly(names, law, size):
    # the two examples: stacked edges under a quotient (5 and 6 nodes)
    X = _rows(len(names), m=32, seed=4)
    syms = sympy.symbols(" ".join(names), real=True, seq=True)
    ops = unary_ops(make_library(["0", "x", "x^2", "sqrt", "exp", "sin", "cos", "1/x", "log"]))
    en = enumerate_expressions(torch.tensor(X), torch.tensor(law(*X.T)), syms, ops, size)
    loss, recipe = en.best[0]
    assert loss < 1e-12
    got = evaluate(en.expr(recipe), syms, X)
    truth = law(*X.T)  # c0 + c1·e with c1 ≠ 0: the same law up to the affine pair
    A = np.c_[np.ones(len(got)), got]
    coef = np.linalg.lstsq(A, truth, rcond=None)[0]
    assert np.allclose(A @ coef, truth, rtol=1e-10) and abs(coef[1]) > 1e-6


def test_the_fingerprint_keeps_one_of_each_twin():
    X = _rows(2)
    a, b = sympy.symbols("a b", real=True)
    en = enumerate_expressions(torch.tensor(X), torch.tensor(X[:, 0]), (a, b),
                               unary_ops(_LIB), 4)
    values, recipes = en.stored()
    exprs = [en.expr(r) for r in recipes]
    for twin in (a + b, a * b):  # a + b / b + a and a*b / b*a: one stored copy each
        same = [e for e, v in zip(exprs, values.numpy())
                if np.allclose(v, evaluate(twin, (a, b), X), rtol=1e-12)]
        assert len(same) == 1


def test_enumeration_memory_stays_under_its_stated_bound():
    # bound: the stored levels (values of every expression below the last size) plus
    # the working batches: each at most max(chunk, m·|largest level|) numbers with a few
    # temporaries of that size. Measured as the peak resident-memory growth of a
    # fresh process (Linux ru_maxrss, KiB).
    import subprocess
    import sys

    code = """
import resource, torch, numpy as np, sympy
from symkan.search.enumerate import enumerate_expressions, unary_ops
from symkan.symbolic.library import make_library
torch.set_num_threads(1)
X = torch.tensor(np.random.default_rng(0).uniform(0.5, 2, (24, 1)))
ops = unary_ops(make_library(["0", "x", "x^2", "sqrt", "exp", "sin", "1/x"]))
enumerate_expressions(X, X[:, 0] ** 2, sympy.symbols("a", seq=True), ops, 3)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
en = enumerate_expressions(X, torch.sin(X[:, 0]), sympy.symbols("a", seq=True), ops, 6,
                           chunk=1 << 18)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
stored = sum(v.numel() for v in en.values) * 8 + sum(r.numel() for r in en.recipes) * 8
biggest = max(v.shape[0] for v in en.values) * 24
print(after - before, stored // 1024, max(1 << 18, biggest) * 8 // 1024)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    grown, stored, batch = (int(v) for v in out)
    assert grown <= stored + 8 * batch + 16 * 1024, (grown, stored, batch)  # + 16 MiB slack
