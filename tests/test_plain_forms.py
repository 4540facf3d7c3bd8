"""Forms with plain inner constants, chosen by BIC (`symkan.symbolic.plain_forms`)."""

import math

import numpy as np
import pytest
import sympy

from symkan.search.levers.composite import composite_forms
from symkan.symbolic.library import DEFAULT_LIBRARY
from symkan.symbolic.plain_forms import _Moments, bic, plain_forms

X = sympy.Symbol("x", positive=True)


def _noisy(f, lo, hi, seed, level=0.01, n=800):
    x = np.random.default_rng(seed).uniform(lo, hi, n)
    y = f(x)
    noise = np.random.default_rng(seed + 100).normal(0, level * np.sqrt(np.mean(y**2)), n)
    return x, y + noise


def test_the_moment_path_scores_like_a_plain_least_squares_fit():
    """Oracle: the BIC from the sums Σu, Σu², Σuy equals the one of an explicit lstsq
    fit of c·u + d (both constants free), and a plain c = 1, d = 0 is scored by its RSS."""
    rng = np.random.default_rng(0)
    y = rng.normal(size=300)
    u = rng.normal(size=(5, 300))
    scores = _Moments(y).best_bic(u)
    for k in range(5):
        A = np.stack([u[k], np.ones(300)], 1)
        coef, *_ = np.linalg.lstsq(A, y, rcond=None)
        free = bic(float(np.sum((y - A @ coef) ** 2)), 300, 2)
        assert scores[k] <= free + 1e-6  # the best choice is at least as good as free
    exact = 1.0 * u[0]  # y = u exactly: c = 1, d = 0 are plain; the RSS is rounding
    rounding = 1e-12 * float(exact @ exact)  # the sums round at about 1e-15 of Σy²
    assert _Moments(exact).best_bic(u[:1])[0] < bic(rounding, 300, 0)


@pytest.mark.parametrize("seed", range(5))
def test_a_noisy_law_with_plain_constants_comes_first(seed):
    """1 % noise: many free four-constant forms fit as well as ``1/sqrt(1 - x**2)``;
    the law has no free constant and wins by BIC."""
    x, y = _noisy(lambda x: 1 / np.sqrt(1 - x**2), 0.1, 0.7, seed)
    forms = plain_forms(x, y, X, free_bic=None)
    assert sympy.simplify(forms[0][1] - 1 / sympy.sqrt(1 - X**2)) == 0


@pytest.mark.parametrize("seed", range(3))
def test_composite_proposes_the_plain_form_first_on_noisy_rows(seed):
    x, y = _noisy(lambda x: 1 / (np.exp(x) - 1), 0.5, 3.0, seed)
    name, expr = composite_forms(x, y, X, DEFAULT_LIBRARY)[0]
    assert name == "plain"  # its outer factor may stay a Float (0.9989) for the snapping
    assert sympy.nsimplify(expr, tolerance=0.01, rational=True) == 1 / (sympy.exp(X) - 1)


def test_an_exact_free_form_is_not_displaced():
    """Noiseless rows of a law outside the plain family (inner constant 0.37): the free
    fit is exact, so no plain form is proposed ahead of it."""
    x = np.linspace(0.5, 3.0, 400)
    forms = composite_forms(x, np.sin(0.37 * x + 0.2), X, DEFAULT_LIBRARY)
    assert all(name != "plain" for name, _ in forms)
    assert plain_forms(x, np.sin(0.37 * x + 0.2), X, free_bic=bic(1e-20, 400, 4)) == []


def test_bic_counts_free_constants():
    assert bic(1.0, 100, 2) - bic(1.0, 100, 0) == pytest.approx(2 * math.log(100))
