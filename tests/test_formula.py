"""Formula composition and parsing: the formula must reproduce the snapped network."""

import numpy as np
import pytest
import sympy

from symkan.errors import InputError
from symkan.formula import complexity, evaluate, network_expression, parse_formula
from symkan.symbolic.library import DEFAULT_LIBRARY
from symkan.symbolic.snap import SnappedEdge, SnappedKAN


def _hand_built() -> SnappedKAN:
    """A [2, 2, 1] network with known edges: no training needed."""
    edges = (
        SnappedEdge(0, 0, 0, "sin", 3.0, 0.1, 1.5, 0.2, 1.0),
        SnappedEdge(0, 1, 0, "x^2", 1.0, -0.5, 2.0, 0.0, 1.0),
        SnappedEdge(0, 1, 1, "exp", 0.5, 0.0, 1.0, -1.0, 1.0),
        SnappedEdge(1, 0, 0, "tanh", 0.7, 0.0, 2.0, 0.1, 1.0),
        SnappedEdge(1, 1, 0, "x", 1.0, 0.0, -0.5, 0.0, 1.0),
    )
    return SnappedKAN((2, 2, 1), edges, (1.0, -2.0), (2.0, 0.5), 3.0, 4.0)


def _naive_forward(net: SnappedKAN, X: np.ndarray) -> np.ndarray:
    """Per-edge reference evaluation of a snapped network (the oracle)."""
    h = (X - np.array(net.in_shift)) / np.array(net.in_scale)
    for layer, width in enumerate(net.widths[1:]):
        out = np.zeros((X.shape[0], width))
        for e in net.edges:
            if e.layer == layer:
                prim = DEFAULT_LIBRARY[e.name]
                out[:, e.j] += e.c * prim.numpy(e.a * h[:, e.i] + e.b) + e.d
        h = out
    return h[:, 0] * net.out_scale + net.out_shift


def test_formula_reproduces_snapped_network():
    net = _hand_built()
    x, y = sympy.symbols("x y", real=True)
    expr = network_expression(net, [x, y])
    X = np.random.default_rng(0).uniform(-1, 1, (200, 2))
    assert np.allclose(evaluate(expr, [x, y], X), _naive_forward(net, X), rtol=1e-12)


def test_sympy_clashing_names_are_plain_variables():
    names = ["I", "E", "S", "beta", "gamma", "lambda"]
    expr = parse_formula("I*E + S*beta/gamma - lambda", names)
    assert expr.free_symbols == {sympy.Symbol(n, real=True) for n in names}
    assert sympy.I not in expr.atoms() and sympy.E not in expr.atoms()
    X = np.ones((3, 6)) * 2.0
    assert np.allclose(evaluate(expr, [sympy.Symbol(n, real=True) for n in names], X), 4.0)


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('touch pwned')",
        "x.__class__",
        "(lambda: 1)()",
        "[x for x in y]",
        "open('f')",
        "sin(x, y)",
        "x if y else 1",
    ],
)
def test_code_is_rejected_not_run(text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError):
        parse_formula(text)
    assert not (tmp_path / "pwned").exists()


def test_parse_formula_reads_usual_notation():
    x, y = sympy.symbols("x y", real=True)
    assert parse_formula("x^2 + arcsin(y) + ln(x)", ["x", "y"]) == x**2 + sympy.asin(y) + sympy.log(x)
    assert parse_formula("2*pi*x", ["x"]) == 2 * sympy.pi * x
    with pytest.raises(InputError, match="unknown variable 'z'"):
        parse_formula("x + z", ["x", "y"])


def test_complexity_counts_nodes():
    x, y = sympy.symbols("x y")
    assert complexity(x) == 1
    assert complexity(x * y) == 3
    assert complexity(sympy.sin(x) + y) < complexity(sympy.sin(x * y + 1) + y)
