"""Tests of symkan.formula: the oracle is symbolic equivalence with the true formula."""

import time

import numpy as np
import pytest
import sympy

from symkan.errors import InputError
from symkan.formula import (
    canonicalize,
    drop_negligible_terms,
    refit_constants,
    rmse,
    round_floats,
    snap_constants,
)

x, y, theta = sympy.symbols("x y theta", real=True)


def _data(true, symbols, low=-1.0, high=1.0, n=400, seed=0):
    """X of shape (n, len(symbols)) and y = true(X) of shape (n,)."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(low, high, size=(n, len(symbols)))
    f = sympy.lambdify(symbols, true, modules=["numpy"])
    return X, np.broadcast_to(np.asarray(f(*X.T), dtype=np.float64), (n,)).copy()


def _recover(found, symbols, X, y):
    expr = canonicalize(found)
    expr = refit_constants(expr, symbols, X, y)
    expr = drop_negligible_terms(expr, symbols, X, y)
    return snap_constants(expr, symbols, X, y)


def _floats(expr):
    return sorted(float(f) for f in expr.atoms(sympy.Float))


def test_refit_recovers_perturbed_constants():
    X, target = _data(sympy.sin(3 * x), [x])
    fitted = refit_constants(1.1 * sympy.sin(2.9 * x + 0.1) + 0.05, [x], X, target)
    np.testing.assert_allclose(_floats(fitted), [0.0, 0.0, 1.0, 3.0], atol=1e-6)
    assert rmse(fitted, [x], X, target) < 1e-8


def test_refit_without_floats_or_worse_start_returns_input():
    X, target = _data(x**2, [x])
    assert refit_constants(x**2 + 1, [x], X, target) == x**2 + 1
    # A constant expression (evaluates to a scalar) is broadcast over the rows.
    fitted = refit_constants(sympy.Float(3.0), [x], X, np.full(len(X), 2.5))
    assert abs(float(fitted) - 2.5) < 1e-9


def test_refit_keeps_input_when_start_is_not_finite():
    X, target = _data(x, [x])  # x < 0 makes log(x) nan at the start
    expr = 2.0 * sympy.log(x)
    assert refit_constants(expr, [x], X, target) == expr
    assert rmse(expr, [x], X, target) == np.inf


E, I, lam, beta = sympy.symbols("E I lambda beta", real=True)
p_, V, h, omega = sympy.symbols("p V h omega", real=True)
q, Ef, B, v = sympy.symbols("q Ef B v", real=True)

CASES = {
    "product": (
        0.2499 * (0.998 * x + 1.001 * y) ** 2 - 0.2501 * (x - 1.0003 * y) ** 2 + 0.0002,
        x * y,
        [x, y],
        (-1, 1),
    ),
    "exp_sin": (
        1.3499 * sympy.exp(0.9998 * sympy.sin(3.1412 * x + 0.0001) + 1.0001 * y**2),
        sympy.exp(sympy.sin(sympy.pi * x) + y**2),
        [x, y],
        (-1, 1),
    ),
    "gaussian": (
        0.39894 * sympy.exp(-0.49999 * theta**2),
        sympy.exp(-(theta**2) / 2) / sympy.sqrt(2 * sympy.pi),
        [theta],
        (-3, 3),
    ),
    "float_exponents": (0.9999 * x**1.0001 * y ** (-0.9998), x / y, [x, y], (0.5, 2)),
    "ideal_gas_energy": (1.4998 * p_ * V + 0.0003, sympy.Rational(3, 2) * p_ * V, [p_, V], (1, 3)),
    "photon_energy": (
        0.15917 * h * omega,
        h * omega / (2 * sympy.pi),
        [h, omega],
        (1, 5),
    ),
    "lorentz_force": (
        1.0002 * q * Ef + 0.9997 * q * B * v * sympy.sin(1.0003 * theta - 0.0002),
        q * (Ef + B * v * sympy.sin(theta)),
        [q, Ef, B, v, theta],
        (1, 5),
    ),
    "names_I_E_lambda_beta": (
        1.001 * E * I * lam * beta ** (-1.0002) + 0.0001 * I,
        E * I * lam / beta,
        [E, I, lam, beta],
        (0.5, 2),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_pipeline_recovers_exact_formula(name):
    found, true, symbols, (low, high) = CASES[name]
    X, target = _data(true, symbols, low, high)
    recovered = _recover(found, symbols, X, target)
    assert sympy.simplify(recovered - true) == 0, recovered
    assert not recovered.atoms(sympy.Float)


def test_snap_reverts_when_the_constant_is_not_nice():
    X, target = _data(1.2345 * sympy.sin(x), [x])
    snapped = snap_constants(1.2 * sympy.sin(x), [x], X, target)
    assert _floats(snapped) == pytest.approx([1.2345], abs=1e-9)
    assert snapped.atoms(sympy.Rational) <= {sympy.Integer(-1), sympy.Integer(1)}


def test_snap_leaves_input_unchanged_and_handles_no_floats():
    X, target = _data(x**2 / 2, [x])
    expr = 0.5001 * x**2
    snapped = snap_constants(expr, [x], X, target)
    assert snapped == x**2 / 2
    assert expr == 0.5001 * x**2
    assert snap_constants(x**2, [x], X, target) == x**2


def test_drop_removes_terms_fitted_to_noise():
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, size=(200, 1))
    target = 1.5 * X[:, 0] ** 2 + 0.01 * rng.normal(size=200)
    kept = drop_negligible_terms(1.49 * x**2 + 0.01 * x + 0.001, [x], X, target)
    assert kept.free_symbols == {x}
    assert len(sympy.Add.make_args(kept)) == 1
    assert snap_constants(kept, [x], X, target) == sympy.Rational(3, 2) * x**2


def test_drop_keeps_needed_terms():
    X, target = _data(x**2 + 0.3 * x, [x])
    kept = drop_negligible_terms(1.0 * x**2 + 0.3 * x, [x], X, target)
    assert len(sympy.Add.make_args(kept)) == 2


def test_canonicalize_merges_constants():
    assert canonicalize(0.5 * (x + 2.0 * y) ** 2 + 0.0 * x) == sympy.expand(
        0.5 * x**2 + 2.0 * x * y + 2.0 * y**2
    )
    pulled = canonicalize(2.0 * sympy.exp(x + y + 0.5))
    assert _floats(pulled) == pytest.approx([2.0 * np.exp(0.5)], rel=1e-14)
    assert pulled.has(sympy.exp(x + y))
    folded = canonicalize(0.7 * sympy.sqrt(2) * x)
    assert _floats(folded) == pytest.approx([0.7 * np.sqrt(2)], rel=1e-14)
    assert canonicalize(sympy.sqrt(2) * x) == sympy.sqrt(2) * x  # exact stays exact
    logged = canonicalize(sympy.log(2.0 * x))
    assert logged.has(sympy.log(x)) and len(logged.atoms(sympy.Float)) == 1


def test_canonicalize_does_not_explode_on_big_powers():
    w, z = sympy.symbols("w z", real=True)
    big = 0.5 * (w + x + y + z + 1.0) ** 30
    start = time.perf_counter()
    assert canonicalize(big) == big
    assert time.perf_counter() - start < 5


def test_round_floats():
    assert round_floats(1.234567 * x + 3 * y + 0.000123456, 3) == sympy.Float(
        "1.23", 3
    ) * x + 3 * y + sympy.Float("0.000123", 3)
    with pytest.raises(InputError, match="digits=0"):
        round_floats(x, 0)


def test_large_data_is_subsampled_and_still_exact():
    X, target = _data(2 * x + 1, [x], n=20000)
    assert snap_constants(1.99 * x + 1.01, [x], X, target) == 2 * x + 1


def test_errors_name_the_problem():
    X, target = _data(x, [x])
    with pytest.raises(InputError, match=r"X has shape \(400, 1\) but 2 symbols"):
        rmse(x, [x, y], X, target)
    with pytest.raises(InputError, match=r"\['y'\], which are not among"):
        refit_constants(1.0 * x + y, [x], X, target)
    with pytest.raises(InputError, match="y has shape"):
        rmse(x, [x], X, target[:-1])
    with pytest.raises(InputError, match="max_denominator=0"):
        snap_constants(1.0 * x, [x], X, target, max_denominator=0)
