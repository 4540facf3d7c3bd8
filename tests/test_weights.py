"""Row weights (measurement uncertainties): every constant fit and held-out error of the
search is weighted. Oracles: weighted least squares in closed form, and rows of weight 0
that must not move the formula."""

import csv
import json

import numpy as np
import pytest
import sympy

from symkan import formula
from symkan.cli import main
from symkan.errors import InputError

x = sympy.Symbol("x", real=True)


def test_refit_is_weighted_least_squares():
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 3, (200, 1))
    y = 2.0 * X[:, 0] + rng.normal(0, 0.3, 200) * X[:, 0]  # noise grows with x
    w = 1.0 / X[:, 0] ** 2  # 1/σ²
    fitted = formula.refit_constants(1.0 * x, [x], X, y, weights=w)
    oracle = np.sum(w * X[:, 0] * y) / np.sum(w * X[:, 0] ** 2)  # WLS slope, closed form
    plain = np.sum(X[:, 0] * y) / np.sum(X[:, 0] ** 2)
    assert float(fitted.coeff(x)) == pytest.approx(oracle, rel=1e-8)
    assert abs(oracle - plain) > 1e-3  # the weights change the fit
    err = formula.rmse(fitted, [x], X, y, weights=w)
    assert err == pytest.approx(np.sqrt(np.sum(w * (y - oracle * X[:, 0]) ** 2) / np.sum(w)))


def test_bad_weights_are_refused():
    X = np.ones((5, 1))
    with pytest.raises(InputError, match="weights"):
        formula.refit_constants(1.0 * x, [x], X, np.ones(5), weights=-np.ones(5))


def _rows(n=300):
    rng = np.random.default_rng(1)
    v = rng.uniform(1, 3, n)
    y = 2.5 * v
    bad = np.arange(n) < n // 5
    y[bad] += 4.0 + np.sin(5 * v[bad])  # rows that are wrong, and known to be: weight 0
    return v, y, np.where(bad, 0.0, 1.0)


def test_rows_of_weight_zero_do_not_move_the_formula():
    from symkan import SymKANRegressor

    v, y, w = _rows()
    model = SymKANRegressor(time_budget=60).fit(v[:, None], y, sample_weight=w)
    assert str(model.sympy()) == "5*x0/2"  # unweighted, the wrong rows pull it off


def test_cli_weights_column(tmp_path, capsys):
    v, y, w = _rows()
    path = tmp_path / "law.csv"
    with open(path, "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["v", "sigma_w", "F"])
        out.writerows(zip(v, w, y))
    run = tmp_path / "run"
    assert main(["fit", str(path), "--weights", "sigma_w", "--out", str(run), "--quiet"]) == 0
    record = json.loads((run / "result.json").read_text())
    assert record["features"] == ["v"] and record["formula"] == "5*v/2"
    assert any("weighted" in n for n in record["notes"])
    assert main(["fit", str(path), "--weights", "sigma", "--out", str(tmp_path / "r2")]) == 2
    assert "Did you mean 'sigma_w'" in capsys.readouterr().err


def test_a_reduced_problem_weighs_its_errors_as_errors_in_y():
    """Oracle: ``y = m0·g(v/c)`` reduced to ``g = y / m0`` carries weights ``m0²`` (mean
    1), so the weighted RSS of any ``ĝ`` is the RSS of ``m0·ĝ`` in ``y`` up to one factor;
    combined with the table's own weights, and the noise estimate follows the weights."""
    from fractions import Fraction

    from symkan.search.noise import noise_level
    from symkan.search.types import Problem
    from symkan.search.units import Reduction

    rng = np.random.default_rng(0)
    X = rng.uniform(1, 5, (600, 3))
    y = X[:, 0] / np.sqrt(1 + (X[:, 1] / X[:, 2]) ** 2) + rng.normal(0, 0.05, 600)
    own = rng.uniform(0.5, 1.5, 600)
    parent = Problem(X[:400], y[:400], X[400:], y[400:], tuple(sympy.symbols("m v c")),
                     weights=(own[:400] / own[:400].mean(), own[400:] / own[400:].mean()))
    red = Reduction((Fraction(1), Fraction(0), Fraction(0)),
                    ((Fraction(0), Fraction(1), Fraction(-1)),))
    (Z, g), (Zv, gv) = red.transform(X[:400], y[:400]), red.transform(X[400:], y[400:])
    sub = parent.sub(Z, g, Zv, gv, (sympy.Symbol("z"),), "groups",
                     weights=red.weights(parent.X, parent.Xv))
    w = sub.weights[0]
    assert w.mean() == pytest.approx(1.0)
    guess = 1 / np.sqrt(1 + 1.1 * Z[:, 0] ** 2)  # any ĝ
    in_y = np.sum(parent.weights[0] * (y[:400] - X[:400, 0] * guess) ** 2)
    in_g = np.sum(w * (g - guess) ** 2)
    ratio = in_y / in_g
    other = 1 / (1 + Z[:, 0])  # a second ĝ: the same factor
    assert np.sum(parent.weights[0] * (y[:400] - X[:400, 0] * other) ** 2) == pytest.approx(
        ratio * np.sum(w * (g - other) ** 2))
    # the noise of g is 0.05 / m0 row by row; in the weighted scale it is one number
    assert sub.noise == pytest.approx(noise_level(Z, g, weights=w))
    assert sub.noise < noise_level(Z, g)  # the small-m0 rows' large noise is weighed down
