"""The recursive solver and its levers: each checked against the true law."""

from types import SimpleNamespace

import numpy as np
import pytest
import sympy

from symkan.formula import complexity, evaluate
from symkan.search.decompose import Node
from symkan.search.finalize import finalize
from symkan.search.levers.groups import find_groups
from symkan.search.levers.separable import _choose_on_rows
from symkan.search.types import FitConfig, Problem


def _problem(fn, names, box, n=500, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform([b[0] for b in box], [b[1] for b in box], size=(n, len(box)))
    y = fn(*X.T)
    symbols = tuple(sympy.Symbol(s, real=True) for s in names)
    k = int(0.8 * n)
    return Problem(X[:k], y[:k], X[k:], y[k:], symbols)


def _same(expr, true, symbols, X):
    return np.allclose(evaluate(expr, symbols, X), evaluate(true, symbols, X), rtol=1e-8)


def test_groups_are_found_from_the_rows_without_units():
    # m0/sqrt(1 - v²/c²) = m0 · g(v/c): direction (0, 1, -1), exponents (1, 0, 0)
    p = _problem(lambda m, v, c: m / np.sqrt(1 - v**2 / c**2), ["m0", "v", "c"],
                 [(1, 5), (1, 2), (3, 10)])
    groups = find_groups(p.X, p.y)
    assert groups and groups[0].p == (0.0, 1.0, -1.0) and groups[0].e == (1.0, 0.0, 0.0)
    # an oscillating law has no usable log|y|: y itself is a function of k·d
    p = _problem(lambda u, k, d: 2 * u * (1 - np.cos(k * d)), ["U", "k", "d"],
                 [(1, 5), (1, 5), (1, 5)])
    g = find_groups(p.X, p.y)[0]
    assert g.p == (0.0, 1.0, 1.0) and g.e == (1.0, 0.0, 0.0)
    # a law that changes sign: n·T·log(V2/V1) = (n·T)·g(V2/V1), g = log
    p = _problem(lambda n, t, v1, v2: n * t * np.log(v2 / v1), ["n", "T", "V1", "V2"],
                 [(1, 5)] * 4)
    g = find_groups(p.X, p.y)[0]
    assert g.p == (0.0, 0.0, 1.0, -1.0) and g.e == (1.0, 1.0, 0.0, 0.0)
    # a + b + c = a·(1 + b/a + c/a) needs two groups: no one-group form
    p = _problem(lambda a, b, c: a + b + c, ["a", "b", "c"], [(1, 5)] * 3)
    assert all(gr.residual > 1e-6 for gr in find_groups(p.X, p.y))


def test_a_leaf_is_picked_on_the_rows_where_the_surrogate_prefers_the_wrong_form():
    p = _problem(lambda x, r: x / r**2, ["x", "r"], [(1, 5), (1, 5)])
    x, r = p.symbols
    tree = Node("prod", (0, 1), {}, (Node("leaf", (0,)), Node("leaf", (1,))), value=1.0)
    a, b = tree.children
    # the surrogate's strict choice for r is a shifted 1/r; the data want 1/r²
    forms = {id(a): [1.0 * x], id(b): [1.0 / (0.7 * r + 0.4), 1.0 * r**-2]}
    solver = SimpleNamespace(check=lambda: None)
    proposed = list(_choose_on_rows(tree, forms, p, solver))
    assert len(proposed) == 2  # the strict combination, then the one the rows prefer
    cleaned = finalize(proposed[-1], p.symbols, (p.X, p.y), (p.Xv, p.yv))
    assert sympy.simplify(cleaned - x / r**2) == 0


def test_a_large_near_exact_candidate_is_cleaned():
    p = _problem(lambda x, y: x * y + 0.5, ["x", "y"], [(1, 3), (1, 3)])
    x, y = p.symbols
    noise = sum(sympy.Float(1e-12 * (k + 1)) * sympy.sin(k * x + y) * sympy.exp(-x / (k + 1))
                for k in range(6))
    big = sympy.Float(1.0000003) * x * y + sympy.Float(0.4999998) + noise
    assert complexity(big) > 60
    cleaned = finalize(big, p.symbols, (p.X, p.y), (p.Xv, p.yv))
    assert sympy.simplify(cleaned - (x * y + sympy.Rational(1, 2))) == 0


@pytest.fixture(scope="module")
def block_fit():
    from symkan.data import from_arrays
    from symkan.pipeline import fit

    rng = np.random.default_rng(1)
    X = rng.uniform([1, 1, 1], [3, 2, 2], size=(600, 3))
    y = (1 + X[:, 0]) * np.sin(X[:, 1] * X[:, 2])
    data = from_arrays(X, y, ["x", "y", "z"], target_name="f")
    return fit(data, FitConfig(methods=("additive", "composite", "groups", "separable")))


def test_a_block_inside_a_product_is_solved(block_fit):
    # (1 + x)·sin(y·z): the split is x × block{y, z}; the block is a sub-problem whose
    # own group y·z makes it one-variable
    res = block_fit
    x, y, z = res.symbols
    assert res.method.startswith("separable")
    assert sympy.simplify(res.expr - (1 + x) * sympy.sin(y * z)) == 0
    assert any(k.startswith("separable/") for k in res.timings)


def test_a_transformed_target_is_solved_and_transformed_back():
    # asin(n·sin θ) splits only after taking the sine: sin y = n·sin θ, a product
    from symkan.data import from_arrays
    from symkan.pipeline import fit

    rng = np.random.default_rng(2)
    X = rng.uniform([0.1, 0.1], [0.9, 1.2], size=(400, 2))
    y = np.arcsin(X[:, 0] * np.sin(X[:, 1]))
    res = fit(from_arrays(X, y, ["n", "theta"], target_name="t"),
              FitConfig(methods=("additive", "composite", "groups", "transforms")))
    n, theta = res.symbols
    assert res.method.startswith("transforms sin(y)")
    assert sympy.simplify(res.expr - sympy.asin(n * sympy.sin(theta))) == 0


def test_the_residual_of_a_partial_formula_is_solved_as_a_new_problem():
    # the best formula so far is x0·x1; its residual sin(2·x2) is a problem of its own
    import torch

    from symkan.search.levers import residual
    from symkan.search.solver import Solver
    from symkan.search.types import Candidate
    from symkan.symbolic.library import DEFAULT_LIBRARY

    p = _problem(lambda a, b, c: a * b + np.sin(2 * c), ["x0", "x1", "x2"], [(-3, 3)] * 3)
    x0, x1, x2 = p.symbols
    solver = Solver(FitConfig(methods=("additive", "composite")), DEFAULT_LIBRARY,
                    torch.device("cpu"))
    base = x0 * x1
    err = float(np.sqrt(np.mean((evaluate(base, p.symbols, p.Xv) - p.yv) ** 2)))
    solver.found_so_far = lambda: [Candidate("split", base, err, complexity(base))]
    proposed = list(residual.LEVER.propose(p, solver))
    assert proposed and proposed[0][0].startswith("split + ")
    assert any(sympy.simplify(e - (x0 * x1 + sympy.sin(2 * x2))) == 0 for _, e in proposed)


def test_symmetry_scores_and_the_log_feature_matrix_on_exact_gradients():
    from symkan.search.levers.symmetries import log_feature_matrix, pair_scores

    rng = np.random.default_rng(4)
    X = rng.uniform(1, 3, size=(300, 3))
    # f = exp(-(x0 - x1)²)·x2: ∂0 + ∂1 = 0, so the pair (0, 1) scores 0 as a translation
    d = X[:, 0] - X[:, 1]
    f = np.exp(-d**2) * X[:, 2]
    grad = np.column_stack([-2 * d * f, 2 * d * f, f / X[:, 2]])
    best = pair_scores(grad)[0]
    assert best[1:] == ("-", 0, 1) and best[0] < 1e-20
    # m0/sqrt(1 - v²/c²) = m0·g(v/c): one group, direction ∝ (0, 1, -1)
    X = rng.uniform([1, 1, 3], [5, 2, 10], size=(300, 3))
    m, v, c = X.T
    f = m / np.sqrt(1 - v**2 / c**2)
    k = (v / c) ** 2 / (1 - (v / c) ** 2)  # ∂ log f / ∂ log v
    grad = np.column_stack([f / m, f * k / v, -f * k / c])
    agop = log_feature_matrix(X, f, grad)
    assert agop["eigenvalues"][1] < 1e-6
    vec = np.array(agop["vectors"][0])
    assert np.allclose(np.abs(vec), [0, 2**-0.5, 2**-0.5], atol=1e-3) and vec[1] * vec[2] < 0
    assert agop["mean"][0] == 1.0  # m0 enters as a prefactor m0¹


def test_a_distance_is_reduced_to_two_differences():
    import torch

    from symkan.search.levers import symmetries
    from symkan.search.solver import Solver
    from symkan.symbolic.library import DEFAULT_LIBRARY

    p = _problem(lambda a, b, c, d: np.sqrt((a - b) ** 2 + (c - d) ** 2),
                 ["x1", "x2", "y1", "y2"], [(1, 5)] * 4, n=1000)
    x1, x2, y1, y2 = p.symbols
    solver = Solver(FitConfig(methods=("rational", "symmetries")), DEFAULT_LIBRARY,
                    torch.device("cpu"))
    proposed = list(symmetries.LEVER.propose(p, solver))
    assert proposed and proposed[0][0].startswith("x1-x2, y1-y2")
    true = sympy.sqrt((x1 - x2) ** 2 + (y1 - y2) ** 2)
    assert _same(proposed[0][1], true, p.symbols, p.Xv)
    assert solver.structure["symmetries"][0]["score"] < 0.08


def test_a_transform_that_does_not_apply_is_not_tried():
    from symkan.search.levers.transforms import applicable

    rng = np.random.default_rng(5)
    signed = rng.uniform(-1, 1, 200)
    assert applicable(signed, signed) == ["sin(y)"]  # no y², 1/y or log of a signed target
    positive = rng.uniform(2, 50, 200)
    assert applicable(positive, positive) == ["y^2", "1/y", "log(y)"]  # |y| > π/2: no asin
