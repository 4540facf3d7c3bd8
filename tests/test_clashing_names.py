"""Columns called pi, E, I, sin, lambda, gamma, ... are variables everywhere, and every
formula symkan writes says which name is the column (``pi_``) and which the number (``pi``)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import sympy
import torch
from _fitted import hand_fitted

from symkan.cli import main
from symkan.export import export, numpy_function, to_latex, torch_module
from symkan.formula import parse_formula
from symkan.formula.display import formula_text, shown, shown_names
from symkan.formula.numeric import evaluate
from symkan.outputs.persist import load, save

CLASHING = ["I", "E", "S", "N", "Q", "pi", "lambda", "gamma", "beta", "zeta", "sin"]


def _sym(name):
    return sympy.Symbol(name, real=True)


def _mixed():
    """A formula with the columns pi, E, sin, I, gamma, lambda and the number pi, e, sin()."""
    pi, E, sin, I, gamma, lam = (_sym(n) for n in ("pi", "E", "sin", "I", "gamma", "lambda"))
    expr = (pi * sympy.pi + E * sympy.E + sin * sympy.sin(I) + gamma * lam
            + sympy.Float(0.25) * sympy.exp(pi / 3))
    return expr, ["pi", "E", "sin", "I", "gamma", "lambda"]


def test_written_names_golden():
    assert shown_names(["pi", "x", "E", "sin", "lambda", "pi_"]) == {
        "pi": "pi__", "x": "x", "E": "E_", "sin": "sin_", "lambda": "lambda", "pi_": "pi_"}
    pi, x = _sym("pi"), _sym("x")
    assert formula_text(pi * x + pi) == "pi_*x + pi_"
    assert formula_text(pi * x + sympy.pi) == "pi_*x + pi"
    assert formula_text(_sym("E") * sympy.E * x) == "exp(1)*E_*x"
    assert formula_text(_sym("sin") * sympy.sin(x)) == "sin_*sin(x)"


def test_text_round_trips_and_evaluates_with_columns_as_variables():
    expr, names = _mixed()
    symbols = [_sym(n) for n in names]
    text = formula_text(expr, names)
    assert parse_formula(text, names) == expr
    X = np.random.default_rng(0).uniform(1, 2, (20, len(names)))
    p, E, s, i, g, lam = X.T
    truth = p * np.pi + E * np.e + s * np.sin(i) + g * lam + 0.25 * np.exp(p / 3)
    assert np.allclose(evaluate(expr, symbols, X), truth, rtol=1e-12)  # 'sin' not shadowed
    assert np.allclose(evaluate(parse_formula(text, names), symbols, X), truth, rtol=1e-12)


def test_latex_marks_the_column_and_keeps_the_constant():
    pi, E, x = _sym("pi"), _sym("E"), _sym("x")
    tex = to_latex(shown(pi * x + sympy.pi + E * sympy.E, ["pi", "E", "x"]))
    assert r"\mathit{pi\_}" in tex and r"\pi" in tex.replace(r"\mathit{pi\_}", "")
    assert r"\mathit{E\_}" in tex and " e" in f" {tex}"
    assert export(pi * x + sympy.pi, ["pi", "x"], "latex") == r"\mathit{pi\_} x + \pi"


@pytest.mark.parametrize("to", ["python", "numpy", "torch", "sympy"])
def test_code_exports_treat_columns_as_variables(to):
    expr, names = _mixed()
    X = np.random.default_rng(1).uniform(1, 2, (15, len(names)))
    want = evaluate(expr, [_sym(n) for n in names], X)
    src = export(expr, names, to, target="y")
    ns: dict = {}
    exec(src, ns)  # noqa: S102 - the exported code, run to check it
    if to == "python":
        got = np.array([ns["y"](*row) for row in X])
    elif to == "numpy":
        got = ns["y"](*X.T)
    elif to == "torch":
        cls = next(v for k, v in ns.items() if isinstance(v, type) and k != "torch"
                   and issubclass(v, torch.nn.Module))
        got = cls()(torch.as_tensor(X)).detach().numpy()
    else:
        got = evaluate(ns["y"], [_sym(n) for n in names], X)
        assert "pi_ = Symbol(\"pi\", real=True)" in src
    assert np.allclose(got, want, rtol=1e-12)
    assert np.allclose(numpy_function(expr, names)(X), want, rtol=1e-12)
    got_t = torch_module(expr, names)(torch.as_tensor(X)).detach().numpy()
    assert np.allclose(got_t, want, rtol=1e-12)


def test_saved_model_with_clashing_names_loads_identically(tmp_path):
    names = ("pi", "E", "sin")
    fitted, _ = hand_fitted((3, 2, 1), names=names, target="gamma")
    pi, E, sin = (_sym(n) for n in names)
    expr = pi * sympy.pi + E * sympy.E + sin * sympy.sin(pi) + sympy.Float(0.1) * E
    fitted = dataclasses.replace(fitted, expr=expr)
    save(fitted, tmp_path)
    meta = json.loads((tmp_path / "model.json").read_text())
    assert "pi_" in meta["formula"] and "exp(1)" in meta["formula"]
    back = load(tmp_path)
    assert back.expr == expr
    X = np.random.default_rng(2).uniform(1, 5, (50, 3))
    assert np.array_equal(back.predict(X), fitted.predict(X))


def test_version_1_model_reads_pi_as_the_column(tmp_path):
    fitted, _ = hand_fitted((2, 2, 1), names=("pi", "x"))
    pi, x = _sym("pi"), _sym("x")
    fitted = dataclasses.replace(fitted, expr=pi * x + 2)
    save(fitted, tmp_path)
    meta = json.loads((tmp_path / "model.json").read_text())
    meta.update(version=1, formula="pi*x + 2", formula_template="pi*x + 2")
    (tmp_path / "model.json").write_text(json.dumps(meta))
    assert load(tmp_path).expr == pi * x + 2


def _csv(path, names, X, y):
    header = ",".join([*names, "y"])
    rows = "\n".join(",".join(repr(float(v)) for v in r) for r in np.c_[X, y])
    path.write_text(f"{header}\n{rows}\n")
    return path


@pytest.mark.parametrize("name", ["pi", "E", "sin", "lambda", "I"])
def test_fit_with_a_clashing_column(tmp_path, capsys, name):
    rng = np.random.default_rng(3)
    X = np.c_[rng.uniform(1, 3, 200), rng.uniform(-2, 2, 200)]
    y = X[:, 0] * X[:, 1] + X[:, 0]
    csv = _csv(tmp_path / "law.csv", [name, "x"], X, y)
    out = tmp_path / "run"
    assert main(["fit", str(csv), "--out", str(out), "--quiet", "--time-budget", "30",
                 "--methods", "additive,separable"]) == 0
    record = json.loads((out / "result.json").read_text())
    assert record["r2"] > 0.99
    written = shown_names([name])[name]
    assert capsys.readouterr().out.strip() == f"y = {record['formula']}"
    assert written in record["formula"]
    model = load(out)
    found = parse_formula(record["formula"], [name, "x"])
    symbols = [_sym(name), _sym("x")]
    assert np.allclose(evaluate(found, symbols, X), y, rtol=1e-9, atol=1e-9)
    assert np.array_equal(model.predict(X), evaluate(model.expr, symbols, X))
    assert np.allclose(model.predict(X), y, rtol=1e-9, atol=1e-9)
    # compare reads the written formula against the CSV's columns
    true = f"{written}*x + {written}"
    assert main(["compare", true, record["formula"], "--data", str(csv)]) == 0
    assert capsys.readouterr().out.startswith("level: exact")


def test_eleven_clashing_columns_round_trip(tmp_path):
    rng = np.random.default_rng(4)
    X = rng.uniform(1, 3, (300, len(CLASHING)))
    y = X[:, 5] * X[:, 1] + X[:, 0] * X[:, 10]  # pi*E + I*sin
    csv = _csv(tmp_path / "eleven.csv", CLASHING, X, y)
    out = tmp_path / "run"
    assert main(["fit", str(csv), "--out", str(out), "--quiet", "--time-budget", "30",
                 "--methods", "additive"]) == 0  # a linear fit: the names are what is tested
    record = json.loads((out / "result.json").read_text())
    symbols = [_sym(n) for n in CLASHING]
    model = load(out)
    pred = model.predict(X)
    assert record["r2"] > 0.9 and np.corrcoef(pred, y)[0, 1] > 0.95
    for c in record["pareto"]:  # every written formula reads back as what was found
        back = parse_formula(c["formula"], CLASHING)
        assert np.all(np.isfinite(evaluate(back, symbols, X)))
    assert np.allclose(evaluate(parse_formula(record["formula"], CLASHING), symbols, X), pred,
                       rtol=1e-9, atol=1e-9)
    assert "pi_" in (out / "report.md").read_text() or "pi" not in record["formula"]
