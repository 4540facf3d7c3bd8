"""The user steers the search: own primitives, chosen columns, guesses, templates,
complexity and parsimony knobs, and ``--from`` (issue 16)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sympy

from symkan import SymKANRegressor
from symkan.cli import main
from symkan.data import from_arrays
from symkan.errors import InputError
from symkan.formula import evaluate
from symkan.pipeline import fit
from symkan.search.steering import custom_primitive, uses_only
from symkan.search.types import FitConfig
from symkan.symbolic.library import U

_FAST = ("additive", "composite", "rational")
_SINC = ("additive", "composite", "groups")  # groups: z times a function of x


def _csv(path: Path, names: list[str], columns: list[np.ndarray]) -> Path:
    np.savetxt(path, np.column_stack(columns), delimiter=",", header=",".join(names),
               comments="")
    return path


def _sinc_rows(n=300, seed=1):
    rng = np.random.default_rng(seed)
    x, z = rng.uniform(0.5, 9, n), rng.uniform(1, 2, n)
    return x, z, z * np.sin(x) / x


def test_a_custom_primitive_is_read_as_arithmetic_with_its_complexity():
    prim = custom_primitive("sinc=sin(x)/x")
    assert prim.name == "sinc" and prim.expr == sympy.sin(U) / U and prim.complexity >= 3
    assert custom_primitive("sinc:3=sin(x)/x").complexity == 3
    for bad in ("sinc", "=sin(x)", "s=sin(y)", "s=2", 's=__import__("os").system("x")',
                "s=x.__class__"):
        with pytest.raises(InputError):
            custom_primitive(bad)


def test_a_sinc_law_is_exact_once_sinc_is_added_and_not_before():
    x, z, y = _sinc_rows()
    ds = from_arrays(np.c_[x, z], y, ["x", "z"])
    plain = fit(ds, FitConfig(methods=_SINC, time_budget=20))
    steered = fit(ds, FitConfig(methods=_SINC, time_budget=20,
                                custom_primitives=("sinc=sin(x)/x",)))
    assert plain.r2 < 1 - 1e-9  # the library without sinc cannot write this law
    X = np.c_[x, z]
    assert np.allclose(evaluate(steered.expr, steered.symbols, X), y, rtol=1e-10, atol=0)
    assert not steered.expr.atoms(sympy.Float)


def test_the_cli_adds_a_primitive_and_records_it(tmp_path, capsys):
    x, z, y = _sinc_rows()
    csv = _csv(tmp_path / "sinc.csv", ["x", "z", "y"], [x, z, y])
    out = tmp_path / "run"
    assert main(["fit", str(csv), "--out", str(out), "--quiet", "--time-budget", "20",
                 "--methods", ",".join(_SINC), "--primitive", "sinc=sin(x)/x"]) == 0
    assert capsys.readouterr().out.strip() == "y = z*sin(x)/x"
    record = json.loads((out / "result.json").read_text())
    assert record["settings"]["custom_primitives"] == ["sinc=sin(x)/x"] and record["r2"] == 1.0


def test_allowed_primitives_keep_every_other_function_out(tmp_path, capsys):
    rng = np.random.default_rng(3)
    x = rng.uniform(-3, 3, 300)
    csv = _csv(tmp_path / "wave.csv", ["x", "y"], [x, np.sin(2 * x) + 0.1 * x])
    out = tmp_path / "run"
    assert main(["fit", str(csv), "--out", str(out), "--quiet", "--time-budget", "20",
                 "--primitives", "exp,log"]) == 0
    record = json.loads((out / "result.json").read_text())
    allowed = frozenset({sympy.exp, sympy.log})
    x_ = sympy.Symbol("x", real=True)
    for entry in record["pareto"] + record["candidates"]:
        expr = sympy.sympify(entry["formula"], locals={"x": x_})
        assert uses_only(expr, allowed), entry
    assert record["settings"]["primitives"] == ["exp", "log"]


def test_unknown_primitive_names_get_a_did_you_mean(tmp_path, capsys):
    csv = _csv(tmp_path / "d.csv", ["x", "y"], [np.linspace(1, 2, 50), np.linspace(1, 2, 50)])
    assert main(["fit", str(csv), "--out", str(tmp_path / "r"), "--quiet",
                 "--primitives", "exp,sinn"]) == 2
    err = capsys.readouterr().err
    assert "'sinn'" in err and "Did you mean 'sin'" in err
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("option, value", [
    ("--guess", "a*x**"),
    ("--guess", '__import__("os").system("touch PWNED")'),
    ("--guess", "k"),
    ("--primitive", 'evil=__import__("os").system("touch PWNED")'),
    ("--template", "f(x) + g(x)"),
    ("--template", "x**2"),
])
def test_bad_steering_strings_are_clear_errors_before_training(tmp_path, capsys, monkeypatch,
                                                              option, value):
    monkeypatch.chdir(tmp_path)
    csv = _csv(tmp_path / "d.csv", ["x", "y"], [np.linspace(1, 2, 50), np.linspace(1, 2, 50)])
    assert main(["fit", str(csv), "--out", str(tmp_path / "r"), option, value]) == 2
    err = capsys.readouterr().err
    assert "error" in err and "Traceback" not in err and "training" not in err
    assert not (tmp_path / "PWNED").exists() and not (tmp_path / "r").exists()


def _quadratic(seed=4, n=300):
    rng = np.random.default_rng(seed)
    x, w = rng.uniform(1, 4, n), rng.uniform(1, 2, n)
    return x, w, 0.5 * x**2 * w + 3


def test_a_right_guess_is_chosen_with_its_constants_snapped():
    x, w, y = _quadratic()
    result = fit(from_arrays(np.c_[x, w], y, ["x", "w"]),
                 FitConfig(methods=("kan",), time_budget=30, guesses=("a*x**2*w + b",)))
    xs, ws = result.symbols
    assert result.method.startswith("guess ")
    assert sympy.simplify(result.expr - (xs**2 * ws / 2 + 3)) == 0


def test_a_wrong_guess_is_on_the_front_below_the_right_law():
    x, w, y = _quadratic()
    result = fit(from_arrays(np.c_[x, w], y, ["x", "w"]),
                 FitConfig(methods=_FAST, time_budget=30, guesses=("a*x*w + b",)))
    guesses = [c for c in result.pareto if c.method.startswith("guess ")]
    assert len(guesses) == 1 and guesses[0].val_rmse > 1e-3 * np.std(y)
    assert result.candidates and not result.method.startswith("guess")
    chosen = next(c for c in result.pareto if c.expr == result.expr)
    assert chosen.val_rmse < guesses[0].val_rmse


def test_a_templates_unknown_function_is_found(tmp_path):
    rng = np.random.default_rng(2)
    a, b = rng.uniform(1, 3, 300), rng.uniform(0, 1, 300)
    y = (a**2 + 1) * np.exp(-a * b)
    result = fit(from_arrays(np.c_[a, b], y, ["a", "b"]),
                 FitConfig(methods=("composite",), time_budget=30,
                           templates=("f(a)*exp(-b*a)",)))
    A, B = result.symbols
    assert result.method.startswith("template")
    assert sympy.simplify(result.expr - (A**2 + 1) * sympy.exp(-A * B)) == 0


def test_row_numbers_are_not_an_input_unless_asked(tmp_path, capsys):
    rng = np.random.default_rng(5)
    n = 200
    a, b = rng.uniform(1, 2, n), rng.uniform(1, 2, n)
    csv = _csv(tmp_path / "t.csv", ["id", "a", "b", "y"], [np.arange(n), a, b, a * b])
    out = tmp_path / "r"
    assert main(["fit", str(csv), "--out", str(out), "--time-budget", "20",
                 "--methods", "additive"]) == 0
    record = json.loads((out / "result.json").read_text())
    assert record["features"] == ["a", "b"]
    assert any("'id' holds the row numbers" in n for n in record["notes"])
    assert "'id' holds the row numbers" in capsys.readouterr().err
    out2 = tmp_path / "r2"
    assert main(["fit", str(csv), "--out", str(out2), "--quiet", "--time-budget", "20",
                 "--methods", "additive", "--inputs", "id,a", "--exclude", "a"]) == 0
    assert json.loads((out2 / "result.json").read_text())["features"] == ["id"]
    assert main(["fit", str(csv), "--out", str(tmp_path / "r3"), "--quiet",
                 "--exclude", "bb"]) == 2
    assert "Did you mean 'b'" in capsys.readouterr().err


def test_max_complexity_and_parsimony_change_what_is_kept_and_chosen():
    x, w, y = _quadratic()
    y = y + 0.05 * np.sin(5 * x)  # a small wiggle: the exact law is long
    ds = from_arrays(np.c_[x, w], y, ["x", "w"])
    free = fit(ds, FitConfig(methods=_FAST, time_budget=20))
    capped = fit(ds, FitConfig(methods=_FAST, time_budget=20, max_complexity=9))
    assert all(c.complexity <= 9 for c in capped.pareto)
    assert max(c.complexity for c in free.pareto) > 9
    lean = fit(ds, FitConfig(methods=_FAST, time_budget=20, parsimony=0.05))
    assert lean.complexity <= free.complexity
    assert fit(ds, FitConfig(methods=_FAST, time_budget=20, parsimony=0.0)).complexity >= \
        lean.complexity


def test_from_repeats_a_runs_settings_on_new_rows(tmp_path, capsys):
    x, w, y = _quadratic()
    first = _csv(tmp_path / "a.csv", ["x", "w", "y"], [x, w, y])
    x2, w2, y2 = _quadratic(seed=9)
    second = _csv(tmp_path / "b.csv", ["x", "w", "y"], [x2, w2, y2])
    assert main(["fit", str(first), "--out", str(tmp_path / "r1"), "--quiet",
                 "--time-budget", "25", "--methods", "additive,rational", "--seed", "3",
                 "--guess", "a*x**2*w + b", "--max-complexity", "30",
                 "--primitive", "sinc=sin(x)/x"]) == 0
    assert main(["fit", str(second), "--out", str(tmp_path / "r2"), "--quiet",
                 "--from", str(tmp_path / "r1")]) == 0
    a, b = (json.loads((tmp_path / r / "result.json").read_text())["settings"]
            for r in ("r1", "r2"))
    assert a == b and b["guesses"] == ["a*x**2*w + b"] and b["seed"] == 3
    assert main(["fit", str(second), "--out", str(tmp_path / "r3"), "--quiet",
                 "--from", str(tmp_path / "r1"), "--seed", "4"]) == 0
    assert json.loads((tmp_path / "r3" / "result.json").read_text())["settings"]["seed"] == 4
    assert main(["fit", str(second), "--out", str(tmp_path / "r4"),
                 "--from", str(tmp_path / "nowhere")]) == 2
    assert "no result.json" in capsys.readouterr().err


def test_the_estimator_takes_the_same_steering():
    x, z, y = _sinc_rows()
    rng = np.random.default_rng(0)
    noise_col = rng.uniform(0, 1, x.size)
    X = np.c_[x, noise_col, z]
    est = SymKANRegressor(methods=_SINC, time_budget=20, exclude=("x1",),
                          custom_primitives=("sinc=sin(x)/x",), guesses=("c*x2",))
    est.fit(X, y)
    assert est.results_[0].dataset.feature_names == ("x0", "x2")
    assert np.allclose(est.predict(X), y, rtol=1e-9, atol=0)
    assert any(m.startswith("guess ") for m in est.equations_["method"])
    with pytest.raises(InputError, match="primitive"):
        SymKANRegressor(primitives=("sinx",)).fit(X, y)
