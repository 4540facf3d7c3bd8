"""Dimensional analysis: the monomial carries the target's units, the groups none."""

from fractions import Fraction

import numpy as np
import pytest
import sympy

from symkan.errors import InputError
from symkan.search.units import dimension_vector, reduce, units_for

# AI Feynman's basis: exponents of m, s, kg, K, V
FEYNMAN = {
    "m_0": [0, 0, 1, 0, 0], "v": [1, -1, 0, 0, 0], "c": [1, -1, 0, 0, 0],
    "q": [2, -2, 1, 0, -1], "Ef": [-1, 0, 0, 0, 1], "B": [-2, 1, 0, 0, 1],
    "theta": [0, 0, 0, 0, 0], "F": [1, -2, 1, 0, 0], "E": [2, -2, 1, 0, 0],
    "kb": [2, -2, 1, -1, 0], "T": [0, 0, 0, 1, 0], "x": [1, 0, 0, 0, 0],
}


def _dims(vec):
    return [Fraction(v) for v in vec]


def _check(names, target):
    vecs, tvec = units_for(FEYNMAN, names, target)
    red = reduce(vecs, tvec)
    D = np.array(vecs, dtype=float).T  # (dims, d)
    assert np.allclose(D @ np.array(red.scale, dtype=float), np.array(tvec, dtype=float))
    for g in red.groups:
        assert np.allclose(D @ np.array(g, dtype=float), 0)  # dimensionless
    # the groups are independent and there are d - rank of them
    G = np.array(red.groups, dtype=float)
    assert np.linalg.matrix_rank(G) == len(red.groups) == len(names) - np.linalg.matrix_rank(D)
    return red


def test_relativistic_mass_reduces_to_one_group():
    red = _check(["m_0", "v", "c"], "m_0")
    s = sympy.symbols("m_0 v c", positive=True)
    assert red.scale_expr(s) == s[0]
    (group,) = red.group_exprs(s)
    assert group in (s[1] / s[2], s[2] / s[1])


def test_lorentz_force_keeps_the_angle_as_a_group():
    red = _check(["q", "Ef", "B", "v", "theta"], "F")
    s = sympy.symbols("q Ef B v theta", positive=True)
    assert s[4] in red.group_exprs(s)
    assert red.n_groups == 2


def test_transform_rows_matches_the_expressions():
    red = _check(["kb", "T", "x", "E"], "E")
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 3, (50, 4))
    Z, ys = red.transform(X, X[:, 3] * 2.0)
    s = sympy.symbols("kb T x E", positive=True)
    for j, g in enumerate(red.group_exprs(s)):
        f = sympy.lambdify(s, g)
        assert np.allclose(Z[:, j], f(*X.T))
    assert np.allclose(ys * sympy.lambdify(s, red.scale_expr(s))(*X.T), X[:, 3] * 2.0)


def test_inconsistent_units_are_a_clear_error():
    with pytest.raises(InputError, match="cannot be made"):
        reduce([_dims([1, 0, 0, 0, 0])], _dims([0, 1, 0, 0, 0]))


def test_all_dimensionless_gives_nothing_to_reduce():
    assert reduce([_dims([0] * 5)] * 2, _dims([0] * 5)) is None


def test_pint_strings_become_si_dimensions():
    assert dimension_vector("N") == dimension_vector("kg*m/s^2")
    assert dimension_vector("1") == (0,) * 7
    with pytest.raises(InputError, match="cannot read units"):
        dimension_vector("furlongs per fortnightz")


def test_missing_units_name_the_columns():
    with pytest.raises(InputError, match=r"\['v'\]"):
        units_for({"m_0": "kg", "F": "N"}, ["m_0", "v"], "F")


def _write_csv(path, names, rows):
    path.write_text(",".join(names) + "\n" + "\n".join(",".join(map(str, r)) for r in rows))
    return path


def test_fit_with_units_recovers_relativistic_mass(tmp_path, capsys):
    """Without units this law is out of reach (a polynomial in v/c comes out); with them
    it is m_0·g(v/c), and g = (1 - z²)^(-1/2) is a two-level composition."""
    from symkan.cli import main
    from symkan.formula import parse_formula

    rng = np.random.default_rng(0)
    m0, v, c = rng.uniform(1, 5, 600), rng.uniform(1, 2, 600), rng.uniform(3, 10, 600)
    csv = _write_csv(tmp_path / "mass.csv", ["m_0", "v", "c", "m"],
                     zip(m0, v, c, m0 / np.sqrt(1 - v**2 / c**2)))
    code = main(["fit", str(csv), "--units", "m_0=kg, v=m/s, c=m/s, m=kg",
                 "--out", str(tmp_path / "run"), "--quiet"])
    assert code == 0
    found = parse_formula(capsys.readouterr().out.split("=", 1)[1], ["m_0", "v", "c"])
    m0_, v_, c_ = (sympy.Symbol(n, positive=True) for n in ("m_0", "v", "c"))
    found = found.subs({sympy.Symbol(n, real=True): s for n, s in
                        zip(["m_0", "v", "c"], [m0_, v_, c_])})
    assert sympy.simplify(found - m0_ / sympy.sqrt(1 - v_**2 / c_**2)) == 0


def test_bad_units_option_exits_2(tmp_path, capsys):
    from symkan.cli import main

    csv = _write_csv(tmp_path / "d.csv", ["x", "y"], [(i, 2 * i) for i in range(1, 30)])
    assert main(["fit", str(csv), "--units", "x", "--out", str(tmp_path / "r")]) == 2
    assert "COLUMN=UNITS" in capsys.readouterr().err
    assert main(["fit", str(csv), "--units", "x=m", "--out", str(tmp_path / "r")]) == 2
    assert "missing for ['y']" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_composites_find_a_function_inside_a_primitive():
    from symkan.search.levers.composite import composite_forms as composite_candidates
    from symkan.symbolic.library import DEFAULT_LIBRARY

    x = np.linspace(4, 9, 300)
    s = sympy.Symbol("z", positive=True)
    forms = dict(composite_candidates(x, np.sqrt(x**2 - np.pi**2), s, DEFAULT_LIBRARY))
    f = sympy.lambdify(s, forms["x^2"])  # sqrt(a*z**2 + b): the inner square is found
    assert np.allclose(f(x), np.sqrt(x**2 - np.pi**2), rtol=1e-6)


def test_unreadable_units_fail_before_any_training():
    from symkan.data import from_arrays
    from symkan.pipeline import FitConfig, fit

    x = np.linspace(1, 5, 50)
    data = from_arrays(x[:, None], 2 * x, ["x"], target_name="y")
    progress = []
    with pytest.raises(InputError, match="cannot read units 'qq'"):
        fit(data, FitConfig(units={"x": "qq", "y": "1"}),
            on_progress=lambda stage, info: progress.append(stage))
    assert progress == []  # nothing was trained
