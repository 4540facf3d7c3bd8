"""Benchmark problems as data: every suite loads, parses, samples; units agree."""

import numpy as np
import pytest
import scipy.special as sc

from symkan.bench.evaluators import scipy_function
from symkan.bench.problems import BASE_UNITS, SUITES, all_problems, get_problem, load_suite
from symkan.errors import InputError

SIZES = {"feynman": 100, "bonus": 20, "kan-paper": 27, "special": 15}


def test_suite_sizes_and_unique_names():
    for suite in SUITES:
        problems = load_suite(suite)
        assert len(problems) == SIZES[suite]
        assert len({p.name for p in problems}) == len(problems)
        assert all(p.suite == suite for p in problems)
    assert len({p.qualified_name for p in all_problems()}) == sum(SIZES.values())


@pytest.mark.parametrize("suite", SUITES)
def test_every_problem_parses_and_samples_finite_values_in_its_box(suite):
    for p in load_suite(suite):
        if p.kind == "sympy":
            names = {s.name for s in p.expr.free_symbols}
            assert names == set(p.variables), p.name
        ds = p.sample(200, seed=3)
        assert ds.feature_names == p.variables
        assert np.all(np.isfinite(ds.y)), p.name
        assert np.all(ds.X >= np.array(p.low)) and np.all(ds.X <= np.array(p.high)), p.name
        assert np.std(ds.y) > 0, p.name


def test_sample_is_deterministic_and_noise_is_srbench():
    p = get_problem("I.12.11")
    a, b = p.sample(2000, seed=5), p.sample(2000, seed=5, noise=0.1)
    assert np.array_equal(a.X, b.X) and np.array_equal(a.X, p.sample(2000, seed=5).X)
    rms = np.sqrt(np.mean(a.y**2))
    assert np.std(b.y - a.y) == pytest.approx(0.1 * rms, rel=0.05)
    with pytest.raises(InputError, match="noise"):
        p.sample(100, noise=-1)
    with pytest.raises(InputError, match="too few"):
        p.sample(5)


def _scaled(p, rng):
    """Rescale every base unit at random; return X, X scaled, and the output's factor."""
    units = dict(p.units)
    factors = rng.uniform(0.5, 2.0, size=len(BASE_UNITS))
    X = p.sample(100, seed=0).X
    scale = np.array([np.prod(factors ** np.array(units[v])) for v in p.variables])
    return X, X * scale, np.prod(factors ** np.array(units[p.output]))


@pytest.mark.parametrize("suite", ["feynman", "bonus"])
def test_feynman_formulas_are_dimensionally_consistent(suite):
    rng = np.random.default_rng(0)
    for p in load_suite(suite):
        assert len(p.units) == len(p.variables) + 1, p.name
        X, Xs, k = _scaled(p, rng)
        with np.errstate(all="ignore"):
            np.testing.assert_allclose(p.evaluate(Xs), k * p.evaluate(X), rtol=1e-7,
                                       err_msg=p.name)


def test_kan_paper_forms_are_dimensionless_rewrites():
    # I.16.6: (u+v)/(1+uv/c²) = c·(a+b)/(1+ab) with a = u/c, b = v/c
    orig, dimless = get_problem("feynman:I.16.6"), get_problem("kan-paper:I.16.6")
    assert dimless.variables == ("a", "b")
    c, u, v = 2.0, np.array([0.3, -0.7]), np.array([0.5, 1.1])
    got = orig.evaluate(np.column_stack([np.full(2, c), v, u]))
    np.testing.assert_allclose(got, c * dimless.evaluate(np.column_stack([u / c, v / c])))
    assert dict(dimless.info)["pruned_kan_shape_min"] == "[2,2,1]"


def test_special_functions_match_scipy():
    X = np.array([[0.2, 0.3], [0.9, 0.5]])
    x, y = X[:, 0], X[:, 1]
    np.testing.assert_allclose(get_problem("ellipj").evaluate(X), sc.ellipj(x, y)[0])
    np.testing.assert_allclose(get_problem("lpmv_m1").evaluate(X), sc.lpmv(1, x, y))
    np.testing.assert_allclose(get_problem("special:sph_harm_m1_n2").evaluate(X),
                               np.real(sc.sph_harm_y(2, 1, y, x)))
    with pytest.raises(InputError, match="scipy.special"):
        _ = get_problem("jv").expr


@pytest.mark.parametrize("text", [
    "__import__('os').system('true')", "jv.__call__(x, y)", "jv(x, y=1)",
    "(lambda: 1)()", "x[0]", "jv(x, y)[x]", "sc.jv(x, y)", "open('f')", "'a'",
])
def test_scipy_evaluator_rejects_code(text):
    with pytest.raises(InputError, match="scipy formula"):
        scipy_function(text, ["x", "y"])


def test_lookup_by_name_and_did_you_mean():
    assert get_problem("I.6.2").suite == "feynman"  # feynman first
    assert get_problem("kan-paper:I.6.2").formula.startswith("exp(-theta**2")
    assert get_problem("test_1").suite == "bonus"
    with pytest.raises(InputError, match="Did you mean 'I.6.2a'"):
        get_problem("I.6.2aa")
    with pytest.raises(InputError, match="Did you mean 'kan-paper'"):
        get_problem("kan_paper:I.6.2")
    with pytest.raises(InputError, match="Did you mean 'special'"):
        load_suite("specials")


def test_missing_tables_say_how_to_fix(monkeypatch, tmp_path):
    from symkan.bench import problems

    monkeypatch.setenv("SYMKAN_DATASETS", str(tmp_path))
    problems._load.cache_clear()
    try:
        with pytest.raises(InputError, match="SYMKAN_DATASETS"):
            load_suite("feynman")
    finally:
        problems._load.cache_clear()
