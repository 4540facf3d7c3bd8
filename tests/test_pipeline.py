"""End to end: noiseless rows in, the exact law out (found - true simplifies to 0)."""

import numpy as np
import pytest
import sympy

from symkan.bench.metrics import match_level
from symkan.data import from_arrays
from symkan.formula import evaluate, parse_formula
from symkan.pipeline import FitConfig, fit

CASES = {
    "x/y": ("x/y", ["x", "y"], [(1, 5), (1, 5)]),
    "I.39.1": ("3/2*p*V", ["p", "V"], [(1, 5), (1, 5)]),
    "exp-sin": ("exp(sin(pi*x) + y**2)", ["x", "y"], [(-1, 1), (-1, 1)]),
    "x*y": ("x*y", ["x", "y"], [(-1, 1), (-1, 1)]),
}
SLOW_CASES = {
    "I.6.2a": ("exp(-theta**2/2)/sqrt(2*pi)", ["theta"], [(1, 3)]),
    "I.12.11": ("q*(Ef + B*v*sin(theta))", ["q", "Ef", "B", "v", "theta"], [(1, 5)] * 5),
    "I.34.27": ("(h/(2*pi))*omega", ["h", "omega"], [(1, 5)] * 2),
}


def _data(formula, names, box, n=1000, seed=0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.uniform(a, b, n) for a, b in box])
    true = parse_formula(formula, names)
    syms = [sympy.Symbol(v, real=True) for v in names]
    return from_arrays(X, evaluate(true, syms, X), names, target_name="target"), true, syms


def _check(formula, names, box, network_min=0.99):
    ds, true, syms = _data(formula, names, box)
    res = fit(ds, FitConfig())
    assert sympy.simplify(res.expr - true) == 0, f"found {res.expr}"
    assert match_level(res.expr, true, syms, [b[0] for b in box], [b[1] for b in box]) == "exact"
    assert res.r2 > 1 - 1e-9
    # the formula also reproduces the trained, pruned network (to the network's accuracy:
    # on a 5-variable product the pruned KAN itself is the weaker model)
    assert res.network_r2 > network_min
    # the formula reproduces the data it was fitted to
    assert np.allclose(evaluate(res.expr, syms, ds.X), ds.y, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name", sorted(CASES))
def test_exact_recovery(name):
    _check(*CASES[name])


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SLOW_CASES))
def test_exact_recovery_slow(name):
    _check(*SLOW_CASES[name], network_min=0.9)


def test_unused_input_disappears_and_kan_is_pruned():
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, (600, 3))
    y = np.sin(2 * X[:, 0]) + X[:, 2] ** 2
    ds = from_arrays(X, y, ["a", "noise", "c"], target_name="out")
    res = fit(ds, FitConfig())
    a, c = sympy.symbols("a c", real=True)
    assert sympy.Symbol("noise", real=True) not in res.expr.free_symbols
    assert sympy.simplify(res.expr - (sympy.sin(2 * a) + c**2)) == 0
    assert res.inputs == (0, 2) and res.widths[0] == 2
    assert res.model.widths == res.widths


def test_same_seed_same_formula():
    ds, _, _ = _data("sin(x) + y", ["x", "y"], [(-1, 1), (-1, 1)], n=200)
    config = FitConfig(seed=3, methods=("kan",), steps=15, grid_sizes=(5,))
    first, second = fit(ds, config), fit(ds, config)
    assert first.losses == second.losses  # training: bit for bit
    a, b = first.expr, second.expr  # formula: the same up to BLAS rounding
    assert sympy.srepr(sympy.nsimplify(a, rational=False)).count("Float") == sympy.srepr(
        b).count("Float")
    x, y = sympy.symbols("x y", real=True)
    X = np.random.default_rng(5).uniform(-1, 1, (50, 2))
    assert np.allclose(evaluate(a, [x, y], X), evaluate(b, [x, y], X), rtol=1e-9, atol=1e-12)


def test_stop_keeps_the_formulas_found_so_far():
    from symkan.pipeline import FitInterrupted

    ds, _, _ = _data("x*y", ["x", "y"], [(1, 2), (1, 2)], n=200)
    seen = []

    def on_progress(stage, info):
        seen.append(stage)

    res = fit(ds, FitConfig(), on_progress=on_progress, stop=lambda: "candidate" in seen)
    assert res.stopped == "interrupted" and "stopped" in seen
    assert [c.method for c in res.candidates] == ["additive log|y|", "constant"]
    # the KAN path did not run: the log-space network, with exp as its last edge
    assert res.model.widths == (2, 1, 1)
    assert [e.name for e in res.snapped.edges if e.layer == 1] == ["exp"]
    with pytest.raises(FitInterrupted, match="before any formula"):
        fit(ds, FitConfig(), stop=lambda: True)


def test_time_budget_returns_the_front_so_far():
    ds, _, _ = _data("x*y", ["x", "y"], [(1, 2), (1, 2)], n=200)
    res = fit(ds, FitConfig(time_budget=1e-3))
    assert res.stopped == "time budget" and res.pareto
    assert res.expr in [c.expr for c in res.pareto]


@pytest.mark.parametrize("target_scale, feature_scale", [(1e-20, 1.0), (1.0, 1e-20)])
def test_tiny_but_varying_columns_are_fitted(target_scale, feature_scale):
    X = np.random.default_rng(0).uniform(1, 3, (200, 2)) * [feature_scale, 1.0]
    y = target_scale * X[:, 0] * X[:, 1]
    result = fit(from_arrays(X, y, ["a", "b"]),
                 FitConfig(methods=("additive", "separable"), time_budget=30))
    assert result.r2 > 0.999999
    assert np.allclose(evaluate(result.expr, result.symbols, X), y, rtol=1e-9, atol=0)
