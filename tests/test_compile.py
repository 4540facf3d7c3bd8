"""The formula compiled into its own network (`symkan.kan.compile`), and the diagram
drawn from it without Graphviz.

Oracle: the compiled network, evaluated edge by edge, against the formula evaluated by
sympy, on every Feynman law of the benchmark tables (sums, products, nested functions).
"""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import sympy

from symkan.bench.problems import load_suite
from symkan.kan.compile import NotCompilable, X, compile_formula

ROOT = Path(__file__).resolve().parents[1]


def _check_layered(net):
    assert net.widths[-1] == 1
    assert len(net.node_kinds) == len(net.widths) - 1
    assert [len(k) for k in net.node_kinds] == list(net.widths[1:])
    for e in net.edges:
        assert 0 <= e.i < net.widths[e.layer] and 0 <= e.j < net.widths[e.layer + 1]
        assert e.fn.free_symbols <= {X}
    fed = {(e.layer + 1, e.j) for e in net.edges}
    assert fed == {(layer, j) for layer in range(1, len(net.widths))
                   for j in range(net.widths[layer])}  # every node has an input


@pytest.mark.parametrize("suite", ["feynman", "bonus"])
def test_every_benchmark_law_compiles_into_a_network_that_computes_it(suite):
    for problem in load_suite(suite):
        net = compile_formula(problem.expr, problem.symbols())
        _check_layered(net)
        ds = problem.sample(200, seed=1)
        truth = problem.evaluate(ds.X)
        ok = np.isfinite(truth)
        got = net.predict(ds.X)
        np.testing.assert_allclose(got[ok], truth[ok], rtol=1e-9, atol=1e-12 * np.abs(truth).max(),
                                   err_msg=problem.name)


def test_lorentz_force_has_the_papers_shape():
    q, Ef, B, v, t = sympy.symbols("q Ef B v theta", real=True)
    net = compile_formula(q * (B * v * sympy.sin(t) + Ef), [q, Ef, B, v, t])
    # B·v·sin θ: a product node; + Ef: a sum node; × q: the output, a product node
    assert net.node_kinds[-1] == ("mult",)
    assert sorted(k for layer in net.node_kinds for k in layer).count("mult") == 2
    nonlinear = [e for e in net.edges if not e.identity]
    assert [(e.layer, net.inputs[e.i], e.fn) for e in nonlinear] == [(0, 4, sympy.sin(X))]


def test_one_variable_parts_fold_into_one_edge_and_shared_parts_are_computed_once():
    x, y = sympy.symbols("x y", real=True)
    assert compile_formula(sympy.sin(x) ** 2 / x, [x]).widths == (1, 1)
    s = x + y
    net = compile_formula(s**2 + sympy.sin(s), [x, y])
    assert net.widths == (2, 1, 1)  # x + y once; s² + sin(s) one edge of it
    assert sympy.simplify(net.edges[-1].fn - (X**2 + sympy.sin(X))) == 0


def test_what_cannot_be_compiled_says_so():
    x, y = sympy.symbols("x y", real=True)
    with pytest.raises(NotCompilable, match="Max"):
        compile_formula(sympy.Max(x, y), [x, y])
    with pytest.raises(NotCompilable, match="no variable"):
        compile_formula(sympy.Integer(3), [x])


def test_quickstart_without_graphviz_draws_the_formulas_network(tmp_path, monkeypatch, capsys):
    from symkan.cli import main

    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == "dot"
                        else real_which(name, *a, **k))
    out = tmp_path / "run"
    csv = ROOT / "datasets" / "examples" / "lorentz_force.csv"
    assert main(["fit", str(csv), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "own layout" in err and "apt-get install graphviz" in err
    record = json.loads((out / "result.json").read_text())
    net = record["formula_network"]
    assert net["r2"] > 1 - 1e-12 and net["widths"][-1] == 1
    svg = (out / "diagram.svg").read_text()
    assert svg.startswith("<svg") and "sin(x)" in svg
    html = (out / "report.html").read_text()
    assert 'id="diagram"' in html and "sin(x)" in html and "Graphviz" in html
