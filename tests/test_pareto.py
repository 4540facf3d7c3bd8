"""The Pareto front and the three model selections, on hand-built candidates (oracle: by eye)."""

import math

import numpy as np
import pytest
import sympy

from symkan.pipeline import Candidate
from symkan.search.pareto import pareto_front, scores, select, simpler_forms

x = sympy.Symbol("x", real=True)


def C(loss, complexity, name="c"):
    return Candidate(name, sympy.Symbol(name), loss, complexity)


def test_front_is_non_dominated_sorted_and_deterministic():
    cands = [C(0.5, 3, "a"), C(0.1, 1, "b"), C(0.1, 2, "c"), C(0.01, 5, "d"),
             C(0.01, 5, "e"), C(math.nan, 1, "f"), C(1e-3, 9, "g"), C(math.inf, 0, "h")]
    front = pareto_front(cands)
    assert [str(c.expr) for c in front] == ["b", "d", "g"]  # d before e: first given wins
    assert pareto_front(list(reversed(cands)))[1].expr == sympy.Symbol("e")
    assert pareto_front([]) == ()


def test_selections():
    front = pareto_front([C(1.0, 1, "k"), C(0.05, 3, "lin"), C(0.011, 6, "a"),
                          C(0.010, 9, "b")])
    assert str(select(front, "best", scale=1.0).expr) == "a"  # 0.011 <= 1.5 * 0.010
    assert str(select(front, "accuracy", scale=1.0).expr) == "b"
    assert str(select(front, "simplest", scale=1.0).expr) == "lin"  # 0.05 <= 0.1 * 1
    assert str(select(front, "simplest", scale=0.01).expr) == "b"  # none is that good
    with pytest.raises(ValueError, match="'accuracy'"):
        select(front, "fast")


def test_best_treats_rounding_error_as_exact():
    front = pareto_front([C(1e-15, 2, "sin"), C(1e-17, 8, "sin_plus")])
    assert str(select(front, "best", scale=1.0).expr) == "sin"


def test_scores_follow_pysr():
    front = pareto_front([C(1.0, 1), C(0.1, 3), C(0.0, 4)])
    s = scores(front)
    assert s[0] == 0.0 and s[1] == pytest.approx(math.log(10) / 2) and s[2] > 100


def test_simpler_forms_of_sin_on_a_small_range():
    X = np.linspace(0, 0.5, 200)[:, None]
    y = np.sin(X[:, 0])
    forms = simpler_forms(sympy.sin(x), [x], (X[::2], y[::2]), (X[1::2], y[1::2]))
    assert forms == [x]


def test_simpler_forms_drop_a_term():
    X = np.linspace(1, 2, 100)[:, None]
    y = 3 * X[:, 0] + 0.01 * X[:, 0] ** 2
    forms = simpler_forms(3 * x + sympy.Rational(1, 100) * x**2, [x], (X, y), (X, y))
    assert any(sympy.simplify(f - 3 * x) == 0 or f.is_polynomial() and sympy.degree(f) == 1
               for f in forms)
