"""Choosing one primitive per edge, and the rules a batched fit shares with its oracle.

* `choose` scores every (edge, primitive) fit by held-out R² and complexity and picks one;
* `canonical_params` puts fitted ``(a, b, c, d)`` in a canonical form where a primitive has a
  symmetry, leaving the fitted values unchanged;
* `fit_edge_naive` is the slow one-edge, one-primitive reference fit (scipy), the oracle of
  the batched `symkan.symbolic.fit.fit_edges`.

Both fits hold out every ``HOLDOUT_EVERY``-th sample to measure R².
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import scipy.optimize

from symkan.errors import InputError
from symkan.symbolic.library import Primitive, Symmetries

__all__ = ["canonical_params", "choose", "fit_edge_naive"]

HOLDOUT_EVERY = 4  # sample i is held out for R² when i % 4 == 3
COMPLEXITY_WEIGHT = 0.3  # log10 of the loss factor one unit of complexity is worth (≈ ×2)
R2_TOL = 1e-10  # losses 1 - R² below this count as equal (exact fits)
ZERO_R2 = 0.1  # "0" wins when no other primitive reaches this held-out R²
TIE_MARGIN = 0.05  # scores this close (log10 of loss: ≈ 12 %) are ties, won by simplicity


def canonical_params(st: Symmetries, prim: Primitive, p: np.ndarray) -> np.ndarray:
    """Same function values, tidier constants. p (E, 4) = a, b, c, d in x units."""
    a, b, c, d = (p[:, i].copy() for i in range(4))
    f = prim.numpy
    with np.errstate(all="ignore"):
        if st.sign is not None:
            alpha, beta = st.sign
            flip = a < 0
            a, b = np.where(flip, -a, a), np.where(flip, -b, b)
            d = np.where(flip, d + c * beta, d)
            c = np.where(flip, alpha * c, c)
        if st.scale is not None:
            k = np.abs(a)
            if st.scale == "mult":
                g = f(k * st.u0) / f(st.u0)
                ok = np.isfinite(g) & np.isfinite(c * g) & (k > 0)
                c = np.where(ok, c * g, c)
            else:
                h = f(k * st.u0) - f(st.u0)
                ok = np.isfinite(h) & (k > 0)
                d = np.where(ok, d + c * h, d)
            b = np.where(ok, b / np.where(ok, k, 1.0), b)
            a = np.where(ok, np.sign(a), a)
        if st.shift:
            g = f(st.u0 + b) / f(st.u0)
            ok = np.isfinite(g) & np.isfinite(c * g)
            c, b = np.where(ok, c * g, c), np.where(ok, 0.0, b)
        if st.period is not None:
            half = st.period / 2 if st.antiperiodic else st.period
            q = np.round(b / half)
            b = b - q * half
            if st.antiperiodic:
                c = np.where(q % 2 == 1, -c, c)
    return np.stack([a, b, c, d], 1)


def choose(
    r2_all,
    complexities: Sequence[int],
    *,
    constant: Sequence[bool] | None = None,
    complexity_weight: float = COMPLEXITY_WEIGHT,
    r2_tol: float = R2_TOL,
    zero_r2: float = ZERO_R2,
    tie_margin: float = TIE_MARGIN,
) -> np.ndarray:
    """Index of the chosen primitive for each edge (shape (E,)).

    With ``loss = max(1 - R², r2_tol)`` (held-out), each primitive scores
    ``log10(loss) + complexity_weight * complexity``: one unit of complexity must buy a
    ``10**complexity_weight`` (≈ 2×) smaller loss, and losses below ``r2_tol`` are all
    equally good. Scores within ``tie_margin`` of the best (losses within ≈ 12 %, which noise
    cannot tell apart) are ties, won by the lowest complexity, then by the earliest primitive
    in the library (so a noisy parabola stays ``x^2`` rather than a flat ``cos``, whose
    family contains near-parabolas). Constant primitives (``"0"``) are only chosen when the
    edge is constant (their loss is at most ``r2_tol``) or when no other primitive reaches
    ``R² >= zero_r2``.

    Parameters
    ----------
    r2_all : (E, P) array; ``-inf`` or NaN marks a primitive that could not be fitted.
    complexities : (P,) ints.
    constant : (P,) bools marking constant primitives; default: those of complexity 0.

    >>> choose([[0.0, 0.99, 0.9999]], [0, 1, 3]).tolist()    # x^4-like beats a worse line
    [2]
    >>> choose([[-0.01, 0.05, 0.08]], [0, 1, 2]).tolist()    # nothing explains the edge
    [0]
    """
    r2 = np.atleast_2d(np.asarray(r2_all, dtype=np.float64))  # (E, P)
    comp = np.asarray(complexities, dtype=np.float64)  # (P,)
    if r2.shape[1] != comp.shape[0]:
        raise InputError(
            f"r2_all has {r2.shape[1]} primitives per edge but complexities has {len(comp)}"
        )
    const = comp == 0 if constant is None else np.asarray(constant, dtype=bool)
    r2 = np.where(np.isfinite(r2), r2, -np.inf)
    loss = 1.0 - r2
    with np.errstate(divide="ignore"):
        score = np.log10(np.maximum(loss, r2_tol)) + complexity_weight * comp
    score = np.where(const & (loss > r2_tol), np.inf, score)
    best = score.min(1, keepdims=True)
    tied = (score <= best + tie_margin) & np.isfinite(score)  # (E, P)
    n_prims = len(comp)
    rank = comp * n_prims + np.arange(n_prims)  # lower complexity, then library order
    pick = np.argmin(np.where(tied, rank, np.inf), 1)
    if const.any():
        best_signal = np.where(const, -np.inf, r2).max(1)
        zero = np.flatnonzero(const)[np.argmax(np.where(const, r2, -np.inf)[:, const], 1)]
        pick = np.where(~(best_signal >= zero_r2), zero, pick)
    return pick


def fit_edge_naive(
    x: np.ndarray, y: np.ndarray, primitive: Primitive, *, n_starts: int = 5
) -> tuple[np.ndarray, float]:
    """Reference fit of one edge to one primitive with :func:`scipy.optimize.least_squares`.

    Slow and independent of :func:`fit_edges` (used as its oracle in the tests): the fit is
    parametrised by the images ``p, q`` of ``min x`` and ``max x``, box-bounded to each domain
    interval, and started from ``n_starts * (n_starts - 1)`` pairs per interval. Same held-out
    split.

    Returns ``(params, r2)`` with ``params = (a, b, c, d)`` (shape (4,)) and the held-out R²
    (``-inf`` if no start gave a finite fit).
    """
    x = np.asarray(x, dtype=np.float64).ravel()  # (n,)
    y = np.asarray(y, dtype=np.float64).ravel()  # (n,)
    test = np.arange(len(x)) % HOLDOUT_EVERY == HOLDOUT_EVERY - 1
    xmin, xmax = x.min(), x.max()
    width = xmax - xmin if xmax > xmin else 1.0
    s = (x - xmin) / width  # (n,) in [0, 1]
    ys = y.std() or 1.0
    z = (y - y.mean()) / ys
    f = primitive.numpy

    def residual(theta, idx):
        p, q, c, d = theta
        with np.errstate(all="ignore"):
            r = c * f(p + (q - p) * s[idx]) + d - z[idx]
        return np.where(np.isfinite(r), r, 1e6)

    best = (np.inf, None)
    for lo, hi, lc, hc in primitive.intervals:
        span = hi - lo if math.isfinite(hi - lo) else 10.0
        lo_b = lo if lc or not math.isfinite(lo) else lo + 1e-12 * max(1.0, abs(lo))
        hi_b = hi if hc or not math.isfinite(hi) else hi - 1e-12 * max(1.0, abs(hi))
        base = lo if math.isfinite(lo) else (hi - span if math.isfinite(hi) else -span / 2)
        knots = base + span * (np.arange(n_starts) + 0.5) / n_starts
        for p0 in knots:
            for q0 in knots:
                if p0 == q0:
                    continue
                with np.errstate(all="ignore"):
                    fu = f(p0 + (q0 - p0) * s[~test])
                if not np.all(np.isfinite(fu)) or np.ptp(fu) == 0:
                    continue
                c0, d0 = np.polyfit(fu, z[~test], 1)
                sol = scipy.optimize.least_squares(
                    residual,
                    [p0, q0, c0, d0],
                    args=(~test,),
                    method="trf",
                    bounds=([lo_b, lo_b, -np.inf, -np.inf], [hi_b, hi_b, np.inf, np.inf]),
                    x_scale="jac",
                    xtol=1e-12,
                    ftol=1e-12,
                    gtol=1e-12,
                    max_nfev=200,
                )
                if sol.cost < best[0]:
                    best = (sol.cost, sol.x)
    if best[1] is None:
        return np.full(4, np.nan), -math.inf
    p, q, c, d = best[1]
    r = residual(best[1], test)
    r2 = 1.0 - float(r @ r) / float(((z[test] - z[test].mean()) ** 2).sum() or 1e-300)
    a = (q - p) / width
    return np.array([a, p - a * xmin, c * ys, d * ys + y.mean()]), r2
