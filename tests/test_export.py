"""Exports: each target's code evaluates to the formula's own values on data."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
import torch
from _fitted import hand_fitted

from symkan.errors import InputError
from symkan.export import (
    TARGETS,
    export,
    numpy_function,
    to_latex,
    to_numpy,
    to_python,
    to_sympy,
    to_torch,
    torch_module,
)
from symkan.formula import evaluate

NAMES = ["lambda", "x", "math"]  # a keyword and a module name as column names
lam, x, m = (sympy.Symbol(n, real=True) for n in NAMES)
FORMULAS = [
    0.1234567891234 * sympy.sin(3.3 * x + lam) + sympy.Rational(3, 2) * lam**2,
    sympy.sqrt(2) * sympy.exp(-(m**2)) / sympy.pi + sympy.Abs(x - 2.5) * sympy.atan(lam),
    sympy.log(x + 1.5) * sympy.tanh(m) - 1e-7 * x**3 + sympy.Float(2.0),
]


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    return np.random.default_rng(0).uniform(0.1, 3.0, (200, 3))


def _run(src: str) -> dict:
    ns: dict = {}
    exec(compile(src, "<export>", "exec"), ns)  # noqa: S102 - runs the exported code as a user would
    return ns


@pytest.mark.parametrize("expr", FORMULAS)
def test_every_export_matches_the_formula(expr, data):
    want = evaluate(expr, [lam, x, m], data)
    cols = [data[:, k] for k in range(3)]
    py = _run(to_python(expr, NAMES, target="F"))["F"]
    np.testing.assert_allclose([py(*row) for row in data], want, rtol=1e-13, atol=0)
    npf = _run(to_numpy(expr, NAMES, target="F"))["F"]
    np.testing.assert_allclose(npf(*cols), want, rtol=1e-13, atol=0)
    mod = _run(to_torch(expr, NAMES, target="F"))["F"]()
    got = mod(torch.as_tensor(data)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    np.testing.assert_allclose(torch_module(expr, NAMES)(torch.as_tensor(data)).numpy(), want,
                               rtol=1e-12, atol=0)
    np.testing.assert_allclose(numpy_function(expr, NAMES)(data), want, rtol=1e-13, atol=0)
    ns = _run(to_sympy(expr, NAMES, target="F"))
    assert ns["F"] == expr  # the same sympy expression, symbols named like the columns


def test_exports_of_a_fitted_network(data):
    fitted = hand_fitted((3, 2, 1), names=("a", "b", "c"))[0]
    X = np.random.default_rng(2).uniform(1, 5, (100, 3))
    want = fitted.predict(X)
    names = list(fitted.feature_names)
    for to in ("python", "numpy", "torch"):
        ns = _run(export(fitted.expr, names, to, target="F"))
        if to == "python":
            got = np.array([ns["F"](*row) for row in X])
        elif to == "numpy":
            got = ns["F"](*X.T)
        else:
            got = ns["F"]()(torch.as_tensor(X)).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12 * np.abs(want).max())


def test_constant_formula_broadcasts(data):
    expr = sympy.Float(2.5)
    assert _run(to_numpy(expr, NAMES))["y"](*data.T).shape == (200,)
    assert torch_module(expr, NAMES)(torch.as_tensor(data)).shape == (200,)


def test_precision_rounds_constants():
    expr = 0.123456789 * x
    assert "0.1235*x" in to_python(expr, ["x"], precision=4)
    assert "0.123456789*x" in to_python(expr, ["x"])
    assert export(expr, ["x"], "latex") == "0.1235 x"
    assert export(expr, ["x"], "latex", precision=2) == "0.12 x"


def test_python_export_golden():
    assert to_python(1.5 * sympy.sin(x) + lam, NAMES, target="E") == (
        "import math\n\n\ndef E(lambda_, x, math_):\n"
        '    """E = lambda + 1.5*sin(x), found by symkan."""\n'
        "    return lambda_ + 1.5*math.sin(x)\n"
    )


def test_latex_export_is_the_latex_module():
    import symkan.export.latex

    assert to_latex is symkan.export.latex.to_latex
    assert to_latex(sympy.Symbol("theta", real=True) ** 2) == r"\theta^{2}"


@pytest.mark.parametrize(("to", "precision", "message"), [
    ("fortran", None, "unknown; choose one of"), ("python", 0, "precision=0"),
])
def test_bad_arguments(to, precision, message):
    with pytest.raises(InputError, match=message):
        export(x, ["x"], to, precision=precision)


def test_unknown_variable_is_named():
    with pytest.raises(InputError, match=r"\['z'\]"):
        to_python(sympy.Symbol("z", real=True), ["x"])


def test_cli_export(tmp_path, capsys):
    from symkan.cli import main
    from symkan.outputs.persist import save

    fitted = hand_fitted((2, 1), names=("a", "b"))[0]
    save(fitted, tmp_path)
    for to in TARGETS:
        assert main(["export", str(tmp_path), "--to", to]) == 0
        assert capsys.readouterr().out.strip()
    assert main(["export", str(tmp_path), "--to", "python", "--out", str(tmp_path / "f.py")]) == 0
    F = _run((tmp_path / "f.py").read_text())["F"]
    X = np.random.default_rng(3).uniform(1, 5, (20, 2))
    np.testing.assert_allclose([F(*r) for r in X], fitted.predict(X), rtol=1e-12)
    assert main(["export", str(tmp_path / "nowhere"), "--to", "latex"]) == 2
    assert "no model.json" in capsys.readouterr().err
