"""The found-vs-true judge on tricky pairs."""

import pytest
import sympy

from symkan.bench.metrics import match_level
from symkan.bench.problems import load_suite
from symkan.formula import parse_formula

NAMES = ["x", "y"]
X, Y = sympy.symbols("x y", real=True)


@pytest.mark.parametrize(
    "found, true, level",
    [
        ("x*y", "y*x", "exact"),
        ("exp(log(x) - log(y))", "x/y", "exact"),
        ("0.5*x*y", "x*y/2", "exact"),
        ("0.159154943*x*y", "x*y/(2*pi)", "symbolic"),  # a float, not 1/(2*pi): ratio only
        ("x*y + 1", "x*y", "symbolic"),  # offset only
        ("3*x*y", "x*y", "symbolic"),  # scale only
        ("x*y + 1e-9*x", "x*y", "numeric"),
        ("x + y", "x*y", "different"),
    ],
)
def test_match_levels(found, true, level):
    got = match_level(parse_formula(found, NAMES), parse_formula(true, NAMES), [X, Y],
                      [1, 1], [5, 5])
    assert got == level


def test_suites_load_and_sample():
    feynman = load_suite("feynman")
    assert len(feynman) == 100 and len(load_suite("bonus")) == 20
    p = next(p for p in feynman if p.name == "I.12.11")
    ds = p.sample(50, seed=1)
    assert ds.feature_names == ("q", "Ef", "B", "v", "theta") and ds.n_rows == 50
    assert ds.X.min() >= 1 and ds.X.max() <= 5
