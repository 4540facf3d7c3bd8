"""Separability trees on exact functions (the oracle needs no training) and leaf fits."""

import numpy as np
import sympy

from symkan.search.decompose import SeparabilityConfig, separate, threshold
from symkan.symbolic.univariate import fit_univariate

LOW, HIGH = np.ones(5), np.full(5, 5.0)


def _shape(node):
    if node.kind in ("leaf", "block"):
        return (node.kind, node.vars)
    return (node.kind, tuple(_shape(c) for c in node.children))


def _tree(f, low=LOW, high=HIGH):
    return separate(f, low, high, rng=np.random.default_rng(0),
                    config=SeparabilityConfig(tol=1e-6, cap=1e-5))


def test_lorentz_force_splits_into_products_and_sums():
    def f(X):  # q*(Ef + B*v*sin(theta))
        return X[:, 0] * (X[:, 1] + X[:, 2] * X[:, 3] * np.sin(X[:, 4]))

    tree = _tree(f)
    assert tree.kind == "prod"
    assert _shape(tree.children[0]) == ("leaf", (0,))
    inner = tree.children[1]
    assert inner.kind == "sum" and _shape(inner.children[0]) == ("leaf", (1,))
    leaves = sorted(leaf.vars for leaf in tree.leaves())
    assert leaves == [(0,), (1,), (2,), (3,), (4,)]  # fully separable, all five leaves


def test_offset_product_is_found():
    def f(X):  # 2 + x*y: f - 2 is a product
        return 2 + X[:, 0] * X[:, 1]

    tree = _tree(f, LOW[:2], HIGH[:2])
    assert tree.kind == "prod" and abs(tree.offset - 2) < 1e-6


def test_non_separable_is_a_block():
    def f(X):
        return np.sin(X[:, 0] * X[:, 1] + X[:, 1])

    assert _tree(f, LOW[:2], HIGH[:2]).kind == "block"


def test_gap_threshold_cuts_above_the_noise_cluster():
    scores = np.zeros((5, 5))
    iu = np.triu_indices(5, 1)
    scores[iu] = [0.03, 0.033, 0.034, 0.084, 0.25, 0.254, 0.26, 0.675, 0.71, 0.74]
    t = threshold(scores, SeparabilityConfig(rule="gap", tol=0.02, cap=0.1))
    assert 0.034 < t < 0.084  # the weak but real interaction (0.084) stays an interaction


def test_leaf_forms_power_exp_and_primitive():
    x = np.linspace(1, 3, 256)
    s = sympy.Symbol("t", positive=True)
    fits = fit_univariate([x, x, x], [3 * x**-2.5, np.exp(np.sin(2 * x)), 0.5 * np.log(x) + 1],
                          [s, s, s])
    forms = [f.form for f in fits]
    assert forms[0] == "power" and forms[2] == "primitive:log"
    assert forms[1] in ("exp:sin", "exp:cos")  # cos(u) = sin(u + pi/2): the same law
    for fit, fn in zip(fits, [lambda v: 3 * v**-2.5, lambda v: np.exp(np.sin(2 * v)),
                              lambda v: 0.5 * np.log(v) + 1]):
        got = sympy.lambdify(s, fit.expr)(x)
        assert np.allclose(got, fn(x), rtol=1e-6)
