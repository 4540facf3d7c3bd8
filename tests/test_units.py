"""Dimensional analysis: the monomial carries the target's units, the groups none."""

from fractions import Fraction

import numpy as np
import pytest
import sympy

from symkan.errors import InputError
from symkan.units import dimension_vector, reduce, units_for

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
