"""`symkan explain`: log-gradient spectra, attribution and isometry gaps against oracles.

No training: the models are built by hand (a random KAN beside a known formula), so the
formula's spectrum is exact and the network's gradients are checked against finite
differences.
"""

from __future__ import annotations

import json
import math
import xml.dom.minidom

import numpy as np
import pytest
import sympy
import torch
from _fitted import hand_fitted

import symkan
from symkan.cli import main
from symkan.formula.numeric import evaluate
from symkan.kan import KAN
from symkan.kan.prune import edge_scores
from symkan.outputs.insight import (
    explain,
    formula_gradients,
    isometry_gap,
    log_gradients,
    monomial,
    network_gradients,
)
from symkan.outputs.persist import FittedModel, load

RNG = np.random.default_rng(0)
I_10_7 = "m0/sqrt(1 - v**2/c**2)"


def _rows(ranges: dict[str, tuple[float, float]], n: int = 200, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(lo, hi, n) for lo, hi in ranges.values()])


def _fitted(formula: str, names, X: np.ndarray, widths=None, *, trained: bool = True,
            inputs=None) -> FittedModel:
    """A FittedModel whose formula is ``formula`` (exact on the rows) beside a random KAN."""
    symbols = [sympy.Symbol(n, real=True) for n in names]
    expr = sympy.sympify(formula, locals=dict(zip(names, symbols)))
    inputs = tuple(range(len(names))) if inputs is None else tuple(inputs)
    net = KAN(list(widths or (len(inputs), 3, 1)), generator=torch.Generator().manual_seed(0))
    Xn = X[:, list(inputs)]
    with torch.no_grad():
        net.in_shift.copy_(torch.as_tensor((Xn.min(0) + Xn.max(0)) / 2))
        net.in_scale.copy_(torch.as_tensor((Xn.max(0) - Xn.min(0)) / 2))
    scores = tuple(s.numpy() for s in edge_scores(net, torch.as_tensor(Xn)))
    return FittedModel(expr, tuple(names), "y", inputs, net, net if trained else None, None,
                       scores, (1.0,), {"seed": 0}, {"formula": formula}, X,
                       evaluate(expr, symbols, X))


@pytest.fixture(scope="module")
def relativistic() -> FittedModel:
    """Feynman I.10.7 on its benchmark ranges."""
    X = _rows({"m0": (1, 5), "v": (1, 2), "c": (3, 10)})
    return _fitted(I_10_7, ("m0", "v", "c"), X)


# ----------------------------------------------------------------------------- isometry gap


def test_isometry_gap_is_zero_for_orthogonal_columns_and_inf_for_collinear():
    Q = np.linalg.qr(RNG.normal(size=(50, 4)))[0]  # orthonormal columns
    assert abs(isometry_gap(Q)) < 1e-12 and abs(isometry_gap(3 * Q)) < 1e-12
    assert isometry_gap(Q * [1, 1, 1, 2]) > 0.1  # orthogonal, unequal lengths
    assert isometry_gap(np.column_stack([Q[:, 0], -2 * Q[:, 0], Q[:, 1]])) == math.inf


def test_isometry_gap_of_two_columns_is_set_by_their_correlation():
    x = RNG.normal(size=500)
    Z = np.column_stack([x, 0.8 * x + 0.6 * RNG.normal(size=500)])
    Z = (Z - Z.mean(0)) / Z.std(0)
    r = np.corrcoef(Z.T)[0, 1]
    assert isometry_gap(Z) == pytest.approx(-0.5 * math.log(1 - r**2), rel=1e-10)


def test_collinear_inputs_are_named_and_the_record_stays_json():
    X = _rows({"a": (1, 2), "b": (1, 2), "c": (1, 2)})
    X[:, 1] = 2 * X[:, 0] + 1  # b = 2a + 1
    ins = explain(_fitted("a + c", ("a", "b", "c"), X))
    gap = ins.input_gap
    assert gap.gap == math.inf and gap.pair[:2] == ("a", "b") and gap.pair[2] == pytest.approx(1)
    assert "a and b are near-collinear" in gap.warning
    record = json.loads(json.dumps(ins.to_record(), allow_nan=False))
    assert record["isometry"]["inputs"]["gap"] is None
    assert record["isometry"]["inputs"]["collinear"] is True
    X[:, 1] += 0.02 * np.random.default_rng(1).normal(size=len(X))  # near, not exactly
    gap = explain(_fitted("a + c", ("a", "b", "c"), X)).input_gap
    assert 1 < gap.gap < math.inf and "a and b" in gap.warning


def test_independent_inputs_give_a_small_gap_and_no_warning(relativistic):
    gap = explain(relativistic).input_gap
    assert gap.names == ("m0", "v", "c") and gap.gap < 0.05 and gap.warning is None


def test_duplicated_hidden_nodes_are_named():
    X = _rows({"x": (1, 2), "y": (1, 2)})
    fm = _fitted("x*y", ("x", "y"), X, widths=(2, 3, 1))
    first = fm.trained.layers[0]
    with torch.no_grad():  # node 2 computes what node 0 does
        first.coef[2] = first.coef[0]
        first.base_weight[2] = first.base_weight[0]
    gap = explain(fm).hidden_gap
    assert gap.names == ("h0", "h1", "h2") and gap.gap == math.inf
    assert gap.pair[:2] == ("h0", "h2") and gap.pair[2] == pytest.approx(1)


# ----------------------------------------------------------------------------- log spectrum


def _log_fd(fn, X: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """∂ log|f| / ∂ log|x_i| by central differences in log x."""
    out = np.empty_like(X)
    for i in range(X.shape[1]):
        up, down = X.copy(), X.copy()
        up[:, i] *= math.exp(h)
        down[:, i] *= math.exp(-h)
        out[:, i] = (np.log(np.abs(fn(up))) - np.log(np.abs(fn(down)))) / (2 * h)
    return out


def test_log_gradients_of_a_formula_match_finite_differences():
    names = ("x", "y", "z")
    symbols = [sympy.Symbol(n, real=True) for n in names]
    expr = sympy.sympify("x**2*sin(y)/z + exp(-x*z)", locals=dict(zip(names, symbols)))
    X = _rows({"x": (0.5, 2), "y": (0.5, 2.5), "z": (1, 3)}, n=50)
    f, grad = formula_gradients(expr, symbols, X)
    g = log_gradients(X, f, grad)
    want = _log_fd(lambda A: evaluate(expr, symbols, A), X)
    np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-8)


def test_log_gradients_of_the_network_match_finite_differences(relativistic):
    net, X = relativistic.trained, relativistic.X_test[:50]

    def fn(A):
        with torch.no_grad():
            return net(torch.as_tensor(A))[:, 0].numpy()

    # the grid ends at the rows' extremes: there an edge's spline meets its linear tail,
    # its second derivative jumps and central differences are only first-order accurate
    full = relativistic.X_test
    X = X[((X > full.min(0)) & (X < full.max(0))).all(1)]
    f, grad = network_gradients(net, [0, 1, 2], X)
    np.testing.assert_allclose(f, fn(X))
    np.testing.assert_allclose(log_gradients(X, f, grad), _log_fd(fn, X), rtol=1e-5, atol=1e-7)


def test_relativistic_mass_has_one_group_v_over_c(relativistic):
    ins = explain(relativistic)
    s = ins.formula_spectrum
    assert ins.groups_source == "formula" and ins.formula_r2 == pytest.approx(1)
    assert [g.name for g in ins.groups] == ["v/c"] and ins.groups[0].clean
    assert ins.groups[0].exponents == (0.0, 1.0, -1.0)
    assert s.relative[1] < 1e-10 and s.agop[0] > 0.9  # one varying direction; ḡ ≈ (1, ·, ·)
    assert abs(abs(s.vectors[0][1]) - math.sqrt(0.5)) < 1e-8 and abs(s.vectors[0][0]) < 1e-8
    assert s.mean[0] == pytest.approx(1) and s.mean[1] == pytest.approx(-s.mean[2])
    assert s.prefactor == "m0" and "y = m0 · F(v/c)" in ins.text()
    assert ins.network_spectrum is not None and ins.network_spectrum.variables == s.variables


def test_two_groups_come_out_separate_not_mixed():
    X = _rows({"x": (1, 2), "y": (1, 2), "z": (1, 2), "w": (1, 2)})
    ins = explain(_fitted("sin(x/y) + (z/w)**2", ("x", "y", "z", "w"), X))
    assert sorted(g.name for g in ins.groups) == ["x/y", "z/w"]
    assert ins.formula_spectrum.relative[2] < 1e-10


def test_a_power_law_has_no_group_only_a_prefactor():
    X = _rows({"x": (1, 3), "y": (1, 3)})
    ins = explain(_fitted("3*x**2*sqrt(y)", ("x", "y"), X))
    assert ins.groups == () and ins.formula_spectrum.prefactor == "x**2*sqrt(y)"
    assert "power law" in ins.text()


def test_monomial_names():
    assert monomial([0.02, 0.7, -0.71], ["m0", "v", "c"], scale=True)[0] == "v/c"
    assert monomial([0.0, -0.7, 0.7], ["m0", "v", "c"], scale=True)[0] == "v/c"
    assert monomial([1.0, -0.5], ["v", "c"], scale=True)[:2] == ("v**2/c", (2.0, -1.0))
    assert monomial([0.5, 1.0], ["x", "y"], scale=False)[0] == "sqrt(x)*y"
    assert monomial([1.0, 0.1], ["x", "y"], scale=True)[0] == "x"  # small entries dropped
    assert monomial([1.0, 0.73], ["x", "y"], scale=True)[2] is False  # not a small rational
    assert monomial([1.0, -1.0], ["pi", "x"], scale=True)[0] == "pi_/x"  # written as everywhere


def test_a_column_that_changes_sign_is_left_out():
    X = _rows({"x": (1, 2), "t": (-1, 1)})
    ins = explain(_fitted("x*cos(t)", ("x", "t"), X))
    assert ins.formula_spectrum.variables == ("x",) and any("t change sign" in n for n in ins.notes)


# ----------------------------------------------------------------------------- attribution


def test_attribution_follows_the_formula_and_the_pruned_network_fallback():
    X = _rows({"a": (1, 2), "b": (1, 2), "junk": (1, 2)})
    ins = explain(_fitted("a + 3*b", ("a", "b", "junk"), X, trained=False, inputs=(0, 1)))
    assert ins.network == "pruned" and any("pruned" in n for n in ins.notes)
    assert ins.in_formula == (True, True, False) and ins.shares[2] == 0
    assert sum(ins.shares) == pytest.approx(1)
    assert ins.formula_shares == pytest.approx((0.25, 0.75, 0.0), abs=0.03)  # std(a) ≈ std(b)


# ----------------------------------------------------------------------------- outputs


def test_record_markdown_and_svg(relativistic):
    ins = explain(relativistic)
    record = json.loads(json.dumps(ins.to_record(), allow_nan=False))
    assert record["groups"] == [{"name": "v/c", "exponents": {"m0": 0, "v": 1, "c": -1}}]
    assert record["groups_source"] == "formula" and record["spectrum"]["formula"]["count"] == 1
    md = ins.markdown()
    assert md.startswith("## What the network learned\n") and "v/c" in md
    svg = ins.figure_svg()
    root = xml.dom.minidom.parseString(svg).documentElement
    assert root.tagName == "svg" and len(root.getElementsByTagName("rect")) >= 3 + 6
    assert svg == explain(relativistic).figure_svg()  # the same text every time


def test_a_random_network_from_a_fit_result_is_explained():
    fitted = symkan.outputs.persist.from_result(hand_fitted((3, 2, 1), names=("a", "b", "c"))[1])
    record = explain(fitted).to_record()
    json.dumps(record, allow_nan=False)
    assert record["network"] == "trained" and len(record["attribution"]) == 3


# ----------------------------------------------------------------------------- CLI


def test_cli_explains_a_run_folder(tmp_path, capsys, relativistic):
    run = tmp_path / "run"
    symkan.save(relativistic, run)
    assert load(run).expr == relativistic.expr
    assert main(["explain", str(run)]) == 0
    out, err = capsys.readouterr()
    assert "groups: 1 (v/c), named from the formula's spectrum" in out and err == ""
    assert main(["explain", str(run), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["groups"][0]["name"] == "v/c"


def test_cli_missing_folder_exits_2(tmp_path, capsys):
    assert main(["explain", str(tmp_path / "nowhere")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "no model.json" in err and err.startswith("symkan: error:")
