"""How noisy are the rows, and does a formula leave anything but noise?

Measured tables carry noise, so no formula reproduces them to rounding error and "exact"
alone never stops a search. Two data-driven tests replace it:

* `noise_level`: the noise's standard deviation estimated from the rows alone, before any
  formula exists. Each row's target is predicted by a local linear fit to its nearest
  neighbours (itself left out); for a smooth law the prediction error is the noise, whose
  variance the fit's leverage inflates by a known factor. The median of the scaled squared
  errors (divided by the median of χ²₁) is robust to the few rows where the law curves
  more than a linear fit follows; what curvature is left makes the estimate an upper bound.
* `structure`: the share of a formula's held-out residuals that a random forest, trained on
  its fit-row residuals, predicts. Noise is unpredictable (the share is about 0 or below);
  a formula that misses part of the law leaves residuals that are a function of the inputs.

A formula whose held-out error is at the noise level and whose residuals have no structure
is as good as the rows can tell: the solver stops searching that problem
(`symkan.search.solver`), and the constants are then snapped against that noise.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.neighbors import NearestNeighbors

from symkan.formula.numeric import evenly_spaced

__all__ = ["log_rows", "noise_level", "structure"]

_ROWS = 600  # rows the estimates use (evenly spaced: no randomness)
_MEDIAN_CHI2_1 = 0.4549364231195724  # median of a χ² variable with one degree of freedom
_FLIPS = 0.1  # at most this share of rows may have their sign flipped by noise
_NEAR_ZERO = 3.0  # a flipped row must lie within this many noise stds of zero


def noise_level(X: np.ndarray, y: np.ndarray, *, robust: bool = True,
                weights: np.ndarray | None = None) -> float:
    """Estimated standard deviation of the noise in ``y`` (0 for too few rows).

    ``robust``: from the median of the scaled squared errors (curvature at a few rows
    does not count); else from their mean, the noise's RMS when it varies from row to row
    (as a constant noise does in ``log|y|``). ``weights`` (n,): the noise of
    ``sqrt(w)·y``, the scale a weighted RMSE is measured in.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(1, 3, (800, 2))
    >>> y = X[:, 0] * np.sin(X[:, 1])
    >>> bool(noise_level(X, y) < 0.02 * np.std(y))  # the law's curvature only
    True
    >>> 0.07 < noise_level(X, y + rng.normal(0, 0.1, 800)) < 0.13
    True
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    idx = evenly_spaced(len(y), _ROWS)
    X, y = X[idx], y[idx]
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)[idx]
    m, d = X.shape
    k = min(max(2 * d + 8, 14), m - 1)
    if m < d + 4 or k < d + 2:
        return 0.0
    spread = X.std(0)
    Xs = (X - X.mean(0)) / np.where(spread > 0, spread, 1.0)
    _, nbr = NearestNeighbors(n_neighbors=k + 1).fit(Xs).kneighbors(Xs)
    nbr = nbr[:, 1:]  # (m, k): leave the row itself out
    A = np.concatenate([np.ones((m, k, 1)), Xs[nbr] - Xs[:, None, :]], axis=2)  # (m, k, d+1)
    AtA = np.einsum("mki,mkj->mij", A, A) + 1e-9 * np.eye(d + 1)  # (m, d+1, d+1)
    Atb = np.einsum("mki,mk->mi", A, y[nbr])  # (m, d+1)
    try:
        pred = np.linalg.solve(AtA, Atb[..., None])[:, 0, 0]  # local fit at the row itself
        lever = np.linalg.inv(AtA)[:, 0, 0]  # var(pred) = σ²·lever
    except np.linalg.LinAlgError:
        return 0.0
    e2 = w * (y - pred) ** 2 / (1.0 + lever)
    e2 = e2[np.isfinite(e2)]
    if not e2.size:
        return 0.0
    return float(np.sqrt(np.median(e2) / _MEDIAN_CHI2_1 if robust else np.mean(e2)))


def structure(X: np.ndarray, r: np.ndarray, Xv: np.ndarray, rv: np.ndarray) -> float:
    """Share of the mean square of the held-out residuals ``rv`` that a forest fitted to
    the fit-row residuals ``r`` predicts (≤ ~0 for noise, up to 1 for a missed law)."""
    idx = evenly_spaced(len(r), _ROWS)
    forest = ExtraTreesRegressor(n_estimators=48, min_samples_leaf=5, random_state=0,
                                 n_jobs=1).fit(X[idx], r[idx])
    pred = forest.predict(Xv)
    total = float(np.mean(rv**2))
    if total == 0.0 or not np.isfinite(total):
        return 0.0
    return 1.0 - float(np.mean((rv - pred) ** 2)) / total


def log_rows(y: np.ndarray, noise: float) -> np.ndarray | None:
    """The rows on which ``log|y|`` can be fitted: a boolean mask, or None when none can.

    All rows when ``y`` keeps one sign and stays away from 0. When noise has flipped the
    sign of a few small targets (at most 10 % of the rows, each within 3 noise stds of
    0), the rows of the majority sign farther than one noise std from 0: a product law
    whose smallest values drown in the noise still goes through its logarithm.

    Examples
    --------
    >>> y = np.linspace(0.0, 10.0, 101) + 0.05
    >>> bool(log_rows(y, 0.0).all())
    True
    >>> y[:3] = [-0.02, -0.05, 0.01]
    >>> int((~log_rows(y, 0.04)).sum()), log_rows(y, 0.0)
    (3, None)
    """
    y = np.asarray(y, dtype=np.float64)
    sign = 1.0 if np.sum(y > 0) >= np.sum(y < 0) else -1.0
    same = sign * y > 0
    if same.all() and np.min(np.abs(y)) >= 1e-6 * np.max(np.abs(y)):
        return same
    flipped = ~same
    if noise <= 0 or flipped.mean() > _FLIPS or np.any(np.abs(y[flipped]) > _NEAR_ZERO * noise):
        return None
    keep = same & (np.abs(y) > noise)
    return keep if keep.sum() >= max(10, y.size // 2) else None
