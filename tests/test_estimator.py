"""`SymKANRegressor`: scikit-learn's check suite, a hand-built fitted model, real fits."""

import numpy as np
import pandas as pd
import pytest
import sympy
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from symkan.data import from_arrays
from symkan.estimator import SymKANRegressor
from symkan.kan import KAN
from symkan.pipeline import Candidate, FitResult
from symkan.search.pareto import pareto_front

# Fast settings for the check suite: it fits ~60 times on tiny tables.
FAST = {"methods": ("additive",), "steps": 5, "grid_sizes": (3,), "time_budget": 5.0}

# Each check that fails, and why. Most are about data size: they fit on 10 rows, and
# symkan needs 15 (3 test rows, 2 validation rows, and snapping fits each edge on >= 8 rows).
# What they test is tested below on 40 rows (multi-output, predict without decision_function).
EXPECTED_FAILED = {
    "check_estimators_nan_inf": "fits on 10 rows; symkan needs 15 (NaN/inf are rejected: "
                                "test_nan_is_rejected)",
    "check_regressor_multioutput": "fits on 10 rows; symkan needs 15 (test_multi_output)",
    "check_regressors_no_decision_function": "fits on 10 rows; symkan needs 15",
    "check_fit2d_1feature": "fits on 10 rows; symkan needs 15 (one feature: "
                            "test_front_has_simple_and_exact_forms)",
    "check_sample_weights_pandas_series": "fits on 12 rows; symkan needs 15 (weights: "
                                          "tests/test_weights.py)",
    "check_sample_weights_not_an_array": "fits on 12 rows; symkan needs 15",
    "check_sample_weight_equivalence_on_dense_data": (
        "a weight of 2 is not two copies of a row: symkan splits the rows at random into "
        "fit, validation and test rows, so the copies land in different sets"),
}


@parametrize_with_checks([SymKANRegressor(**FAST)],
                         expected_failed_checks=lambda est: EXPECTED_FAILED)
def test_sklearn_checks(estimator, check):
    check(estimator)


# ------------------------------------------------------- a hand-built fitted model (fast)

x = sympy.Symbol("x", real=True)
FRONT = (Candidate("constant", sympy.Float(0.25), 0.14, 1), Candidate("additive", x, 0.008, 1),
         Candidate("kan", sympy.sin(x), 1e-17, 2),
         Candidate("kan", sympy.sin(x) + 1e-12 * x**2, 1e-18, 7))


@pytest.fixture
def fitted():
    """A fitted estimator built by hand: no training, so these tests take milliseconds."""
    X = np.linspace(0, 0.5, 40)[:, None]
    ds = from_arrays(X, np.sin(X[:, 0]), ["x"])
    front = pareto_front(FRONT)
    result = FitResult(
        expr=sympy.sin(x), symbols=(x,), dataset=ds, r2=1.0, rmse=0.0, network_r2=1.0,
        complexity=2, method="kan", seconds=0.0, device="cpu", widths=(1, 1),
        model=KAN((1, 1)), snapped=None, inputs=(0,), candidates=FRONT,
        edge_scores=(np.ones((1, 1)),), losses=(), pareto=front, scale=0.14,
    )
    est = SymKANRegressor()
    est.results_, est.n_outputs_, est._y_ndim, est.n_features_in_ = [result], 1, 1, 1
    est.formula_, est.model_ = result.expr, result.model
    return est


def test_model_selection_picks_from_the_front(fitted):
    X = np.array([[0.1], [0.3]])
    assert fitted.sympy() == sympy.sin(x)  # best: simplest within 1.5x of the lowest loss
    assert np.allclose(fitted.predict(X), np.sin(X[:, 0]))
    fitted.set_params(model_selection="accuracy")
    assert fitted.sympy() == FRONT[3].expr
    fitted.set_params(model_selection="simplest")  # RMSE 0.008 <= 0.1 * std: R² >= 0.99
    assert fitted.sympy() == x
    assert np.allclose(fitted.predict(X), X[:, 0])
    assert fitted.sympy(index=0) == x and fitted.latex(index=1) == r"\sin{\left(x \right)}"
    assert np.allclose(fitted.predict(X, index=1), np.sin(X[:, 0]))
    fitted.set_params(model_selection="fastest")
    with pytest.raises(ValueError, match="'best'"):
        fitted.predict(X)


def test_index_out_of_range_names_the_rows(fitted):
    with pytest.raises(ValueError, match=r"has 3 rows \(0..2\)"):
        fitted.sympy(index=5)


def test_diagram_is_dot_text(fitted):
    assert fitted.diagram().startswith("digraph")


def test_not_fitted_errors():
    est = SymKANRegressor()
    for call in (lambda: est.predict(np.ones((3, 1))), est.sympy, est.latex, est.diagram):
        with pytest.raises(NotFittedError):
            call()


def test_init_only_stores():
    est = SymKANRegressor(model_selection="nonsense", steps=-1)
    assert est.get_params()["model_selection"] == "nonsense"
    with pytest.raises(ValueError, match="steps=-1"):
        est.fit(np.ones((20, 1)), np.arange(20.0))


def test_nan_is_rejected():
    X = np.random.default_rng(0).uniform(size=(30, 2))
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        SymKANRegressor(**FAST).fit(X, X[:, 0])


# ------------------------------------------------------------------------- real fits


def test_front_has_simple_and_exact_forms():
    """sin(x) on [0, 0.5]: x is a good approximation; noiseless, "best" picks sin(x)."""
    X = np.random.default_rng(0).uniform(0, 0.5, (300, 1))
    est = SymKANRegressor(methods=("additive",)).fit(X, np.sin(X[:, 0]))
    x0 = sympy.Symbol("x0", real=True)
    forms = list(est.equations_["sympy"])
    assert x0 in forms and sympy.sin(x0) in forms
    assert est.formula_ == sympy.sin(x0)
    table = est.equations_
    assert list(table.columns[:5]) == ["complexity", "loss", "score", "sympy", "latex"]
    assert table["complexity"].is_monotonic_increasing and table["loss"].is_monotonic_decreasing
    est.set_params(model_selection="simplest")
    assert est.sympy() == x0


def test_dataframe_columns_name_the_variables_and_multi_output():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.uniform(1, 3, (200, 2)), columns=["m", "v"])
    Y = pd.DataFrame({"p": X.m * X.v, "E": X.m * X.v**2 / 2})
    est = SymKANRegressor(methods=("additive",), steps=30, grid_sizes=(5,)).fit(X, Y)
    m, v = sympy.symbols("m v", real=True)
    assert isinstance(est.formula_, list) and len(est.equations_) == 2
    assert sympy.simplify(est.formula_[0] - m * v) == 0
    assert sympy.simplify(est.formula_[1] - m * v**2 / 2) == 0
    assert list(est.feature_names_in_) == ["m", "v"] and est.n_outputs_ == 2
    pred = est.predict(X.iloc[:5])
    assert pred.shape == (5, 2) and np.allclose(pred, Y.iloc[:5].to_numpy())
    assert est.score(X, Y) > 0.999999
    assert est.results_[1].dataset.target_name == "E"
    assert len(est.latex()) == 2 and len(est.diagram()) == 2
