"""Training to the data's limit: grid extension, float64 L-BFGS, closed-form one-layer fits,
and the surrogate built from them (its error, its gradients against the true law's)."""

from itertools import pairwise

import numpy as np
import pytest
import torch

from symkan.kan import KAN
from symkan.kan.lstsq import fit_one_layer
from symkan.kan.schedule import Schedule, extend_grids, rmse
from symkan.kan.train import TrainConfig, train
from symkan.search.networks import SignedExp, gradients, new_kan, to_tensor, train_surrogate
from symkan.search.types import FitConfig

CPU = torch.device("cpu")


def _rows(f, n, d, seed, low=-1.0, high=1.0):
    X = np.random.default_rng(seed).uniform(low, high, (n, d))
    return X, f(X)


def _smooth(X):
    return np.exp(np.sin(np.pi * X[:, 0]) + X[:, 1] ** 2)  # the KAN paper's own example


def test_grid_extension_lowers_the_validation_error_on_a_smooth_2d_function():
    X, y = _rows(_smooth, 600, 2, 0)
    Xv, yv = _rows(_smooth, 300, 2, 1)
    model = new_kan((2, 1, 1), X, y, 3, 0, CPU)
    T = lambda a: to_tensor(a, CPU)
    res = extend_grids(model, T(X), T(y[:, None]), T(Xv), T(yv[:, None]),
                       Schedule(grids=(3, 5, 10, 20), steps=100, rtol=1e-6, patience=4))
    val = [v for _, _, v in res.history]
    assert [g for g, _, _ in res.history] == [3, 5, 10, 20]
    assert all(b < a for a, b in pairwise(val))  # every finer grid generalises better
    assert val[-1] < val[0] / 30  # and by a lot: cubic splines, error ~ G^-4
    assert res.grid == 20 and res.val_rmse == pytest.approx(val[-1])
    assert res.val_rmse == pytest.approx(rmse(res.model, T(Xv), T(yv[:, None])))


def test_curvature_knots_fit_a_corner_better_than_sample_knots():
    """``y**x`` on [0, 1]², the Bessel functions' corner: with the first layer's knots
    placed where its edges bend, grid extension reaches a lower validation error than
    with the samples' (uniform) knots, from the same start."""
    f = lambda X: (X[:, 1] + 1e-2) ** X[:, 0]
    X, y = _rows(f, 600, 2, 0, 0.0, 1.0)
    Xv, yv = _rows(f, 400, 2, 1, 0.0, 1.0)
    T = lambda a: to_tensor(a, CPU)
    val = {}
    for first in ("samples", "curvature"):
        res = extend_grids(new_kan((2, 5, 1), X, y, 3, 0, CPU), T(X), T(y[:, None]), T(Xv),
                           T(yv[:, None]), Schedule(grids=(3, 5, 10, 20), steps=100,
                                                   rtol=1e-6, patience=4, first=first))
        val[first] = res.val_rmse
    assert val["curvature"] < 0.8 * val["samples"]  # measured: 4.8e-4 against 8.8e-4


def test_float64_lbfgs_reaches_a_stated_error_on_a_known_function():
    """sin(πx) on [-1, 1] with a [1, 1] KAN, grid 20: float64 L-BFGS run to convergence
    gets within 1e-5 (rms) of it; the spline's own approximation error is ~1e-6."""
    X = torch.linspace(-1, 1, 400, dtype=torch.float64)[:, None]
    y = torch.sin(np.pi * X)
    model = KAN([1, 1], grid_size=20, generator=torch.Generator().manual_seed(0))
    res = train(model, X, y, TrainConfig(steps=500, rtol=1e-10))
    assert res.model.layers[0].coef.dtype == torch.float64
    with torch.no_grad():
        assert float(((res.model(X) - y) ** 2).mean().sqrt()) < 1e-5
    assert len(res.losses) < 500  # it stopped because it converged


def test_the_closed_form_one_layer_fit_is_the_least_squares_optimum():
    """Oracle: training the same [d, 1] network by L-BFGS never beats the closed form."""
    f = lambda X: np.sin(2 * X[:, 0]) + X[:, 1] ** 3 - np.exp(X[:, 2])
    X, y = _rows(f, 400, 3, 2)
    Xv, yv = _rows(f, 200, 3, 3)
    T = lambda a: to_tensor(a, CPU)
    start = new_kan((3, 1), X, y, 10, 0, CPU)
    closed = fit_one_layer(start, T(X), T(y[:, None]), T(Xv), T(yv[:, None]), grids=(10,))
    trained = train(start, T(X), T(y[:, None]), TrainConfig(steps=200)).model
    assert closed.history[0][1] <= rmse(trained, T(X), T(y[:, None])) * (1 + 1e-6)
    assert closed.val_rmse < 1e-4 * np.std(y)  # additive law: (nearly) exact


def _law_rows(f, d, seed):
    X = np.random.default_rng(seed).uniform(1, 3, (640, d))
    Xv = np.random.default_rng(seed + 1).uniform(1, 3, (160, d))
    return X, f(X), Xv, f(Xv)


@pytest.mark.parametrize("law, grad, kind, tol", [
    # a product: the one-layer fit on log|y| is exact, gradients to 1e-4
    (lambda X: X[:, 0] * X[:, 1] ** 2 / X[:, 2],
     lambda X: np.stack([X[:, 1] ** 2 / X[:, 2], 2 * X[:, 0] * X[:, 1] / X[:, 2],
                         -X[:, 0] * X[:, 1] ** 2 / X[:, 2] ** 2], 1),
     "one-layer KAN [3,1]", 1e-4),
    # not a sum or product of one-variable functions: the deeper KAN, gradients to 5 %
    (lambda X: X[:, 0] / np.sqrt(1 + X[:, 1] ** 2 / X[:, 2] ** 2),
     lambda X: np.stack([
         1 / np.sqrt(1 + X[:, 1] ** 2 / X[:, 2] ** 2),
         -X[:, 0] * X[:, 1] / X[:, 2] ** 2 * (1 + X[:, 1] ** 2 / X[:, 2] ** 2) ** -1.5,
         X[:, 0] * X[:, 1] ** 2 / X[:, 2] ** 3 * (1 + X[:, 1] ** 2 / X[:, 2] ** 2) ** -1.5],
         1), "KAN [3,7,1]", 5e-2),
    # a sum with a product in it: neither one-layer fit, the deeper KAN again
    (lambda X: X[:, 0] + X[:, 1] * X[:, 2],
     lambda X: np.stack([np.ones(len(X)), X[:, 2], X[:, 1]], 1), "KAN [3,7,1]", 5e-2),
])
def test_surrogate_gradients_match_the_true_law(law, grad, kind, tol):
    """Relative RMS error of the surrogate's input gradients on held-out rows of the box
    (what the symmetry and group levers read) below ``tol``."""
    X, y, Xv, yv = _law_rows(law, 3, 5)
    fit = train_surrogate(X, y, Xv, yv, FitConfig(), CPU)
    assert fit.kind.startswith(kind)
    assert fit.rel_error < tol
    inner = Xv[(Xv > 1.1).all(1) & (Xv < 2.9).all(1)]  # away from the box's edges
    _, g = gradients(fit.model, inner, CPU)
    true = grad(inner)
    assert np.sqrt(np.mean((g - true) ** 2) / np.mean(true ** 2)) < tol


def test_a_log_surrogate_differentiates_through_its_exp():
    net = KAN([2, 1], generator=torch.Generator().manual_seed(0))
    model = SignedExp(net, -1.0)
    X = torch.rand(5, 2, dtype=torch.float64)
    f, g = gradients(model, X.numpy(), CPU)
    with torch.no_grad():
        assert np.allclose(f, -torch.exp(net(X))[:, 0].numpy())
    eps = 1e-6
    num = [(gradients(model, (X + eps * torch.eye(2, dtype=X.dtype)[i]).numpy(), CPU)[0] - f)
           / eps for i in range(2)]
    assert np.allclose(g, np.stack(num, 1), rtol=1e-4, atol=1e-6)


def test_the_searchs_surrogate_and_its_error_are_in_result_json():
    """A search that trains a surrogate (the separable lever) reports its network and
    held-out error; `surrogate_report` trains the same one outside a search."""
    import json

    import symkan
    from symkan.outputs.record import result_record
    from symkan.pipeline import surrogate_report

    rng = np.random.default_rng(0)
    X = rng.uniform(1, 3, (400, 2))
    ds = symkan.from_arrays(X, X[:, 0] ** 2 * np.exp(-X[:, 1]), ["a", "b"], "y")
    config = FitConfig(methods=("separable",), time_budget=30)
    res = symkan.fit(ds, config)
    sur = json.loads(json.dumps(result_record(res)))["structure"]["surrogate"]
    assert sur["network"].startswith("one-layer KAN [2,1]") and sur["network"].endswith("log|y|")
    assert 0 <= sur["rel_error"] < 1e-4
    assert {"network", "rel_error"} <= set(sur["tried"][0])
    again = surrogate_report(ds, config)
    assert again["network"] == sur["network"] and again["rel_error"] == sur["rel_error"]
