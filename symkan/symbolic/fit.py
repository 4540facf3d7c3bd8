"""Batched affine fits ``y ≈ c·f(a·x + b) + d`` of many 1-D functions to every primitive.

:func:`fit_edges` fits all edges (columns of ``x``, ``y``) to all primitives of a library in
one batched computation, then picks one primitive per edge with
:func:`symkan.symbolic.choice.choose`. :func:`symkan.symbolic.choice.fit_edge_naive` is the
slow one-edge, one-primitive reference (scipy) used as an oracle.

How the fast path works, per call (all edges and all primitives at once):

1. Every 4th sample (index ``% 4 == 3``) is held out; R² is measured on those only.
   Each edge's ``x`` is mapped to ``t ∈ [-1, 1]`` and ``y`` is standardised.
2. Coarse grid over the affine image ``[b - |a|, b + |a|]`` of ``t ∈ [-1, 1]``, built from each
   primitive's domain, period and symmetries; ``c, d`` are solved in closed form at every
   grid point; the best few grid points per (edge, primitive) are kept.
3. Levenberg–Marquardt on ``(a, b)`` with ``c, d`` solved exactly at every step (variable
   projection) for all (primitive, edge, start) rows at once, rejecting steps whose image
   leaves the domain; rows drop out as they converge.
4. Parameters are mapped back to ``x``, ``y`` units and put in a canonical form where ``f``
   has a symmetry (``a > 0`` for odd/even ``f``, ``|a| = 1`` for powers and log,
   ``b = 0`` for exp, ``b`` reduced modulo the period), which leaves the fitted values unchanged.

>>> import numpy as np
>>> x = np.linspace(-1.0, 1.0, 64)[:, None]                  # (n, E=1)
>>> fits = fit_edges(x, 0.5 * np.sin(3.0 * x + 0.2) - 1.0)
>>> fits.names
('sin',)
>>> np.round(fits.params[0], 6).tolist()
[3.0, 0.2, 0.5, -1.0]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from symkan.errors import InputError
from symkan.symbolic.choice import (
    COMPLEXITY_WEIGHT,
    HOLDOUT_EVERY,
    R2_TOL,
    TIE_MARGIN,
    ZERO_R2,
    canonical_params,
    choose,
)
from symkan.symbolic.library import DEFAULT_LIBRARY, Primitive, Symmetries, symmetries

__all__ = ["EdgeFits", "fit_edges"]


_GRID_SAMPLES = 64  # training samples used by the coarse grid search
_STARTS = 3  # grid points refined per (edge, primitive)
_MAX_ITER = 60  # Levenberg–Marquardt iterations (at most)
_PRUNE_AFTER = 5  # iterations before only the best start per (edge, primitive) goes on
_CONVERGED = 1e-13  # relative change of the loss that counts as converged
_SLOW = 1e-9  # an accepted step gaining less than this (relatively) ends the row
_CHUNK_ELEMENTS = 4_000_000  # edges are fitted in chunks of about this many row samples


@dataclass(frozen=True)
class EdgeFits:
    """Result of :func:`fit_edges` for ``E`` edges and a library of ``P`` primitives.

    ``params[e] = (a, b, c, d)`` gives ``y ≈ c * f(a * x + b) + d`` for ``f`` named
    ``names[e]``; ``r2_all`` is ``-inf`` where a primitive could not be fitted in its domain.
    """

    primitive_names: tuple[str, ...]  # (P,) order of the library used
    names: tuple[str, ...]  # (E,) chosen primitive per edge
    params: np.ndarray  # (E, 4) float64: a, b, c, d
    r2: np.ndarray  # (E,) held-out R² of the chosen fit
    r2_all: np.ndarray  # (E, P) held-out R² of every primitive
    params_all: np.ndarray  # (E, P, 4)


def _grid(st: Symmetries, intervals) -> tuple[np.ndarray, np.ndarray]:
    """Coarse starting points ``(a, b)`` (each (G,)) in the normalised coordinate t ∈ [-1, 1].

    The image of t is ``[b - |a|, b + |a|]``. Where f's symmetries make a parameter redundant
    the grid is one-dimensional: only the image's shape relative to 0 matters for powers and
    log (``|a| = 1``), only its width for exp (``b = 0``).
    """
    scale_free = st.scale is not None
    if st.period is not None:
        periods = np.concatenate(
            [np.geomspace(0.02, 0.5, 6, endpoint=False), np.arange(0.5, 12.0001, 0.2)]
        )
        span = st.period / 2 if st.antiperiodic else st.period
        half = periods * st.period / 2  # image [b - half, b + half] holds `periods` periods
        h, m = (v.ravel() for v in np.meshgrid(half, np.arange(6) * span / 6))
    elif st.shift:
        h = np.geomspace(0.01, 40.0, 24)
        m = np.zeros_like(h)
    else:
        hs, ms = [], []
        for lo, hi, _, _ in intervals:
            if scale_free and math.isinf(lo) and math.isinf(hi):  # shift of the origin
                s = np.array([1.25, 1.6, 2.0, 3.0, 5.0, 10.0, 30.0])
                ms.append(np.concatenate([-s, np.linspace(-1.0, 1.0, 21), s]))
                hs.append(np.ones_like(ms[-1]))
                continue
            if scale_free:  # ratio of the image's ends, on one side of 0
                ratio = np.geomspace(1.02, 1e4, 24)
                ms.append((ratio + 1) / (ratio - 1) * (1.0 if lo == 0 else -1.0))
                hs.append(np.ones_like(ms[-1]))
                continue
            if math.isfinite(lo) and math.isfinite(hi):
                w = np.array([0.001, 0.02, 0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.9, 0.98, 0.999])
                knots = lo + w * (hi - lo)
            elif math.isfinite(lo):
                knots = lo + np.geomspace(1e-3, 1e3, 13)
            elif math.isfinite(hi):
                knots = hi - np.geomspace(1e-3, 1e3, 13)[::-1]
            else:
                k = np.array([0.25, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 16.0])
                knots = np.concatenate([-k[::-1], [0.0], k])
            i, j = np.triu_indices(len(knots), 1)
            hs.append((knots[j] - knots[i]) / 2)
            ms.append((knots[j] + knots[i]) / 2)
        h, m = np.concatenate(hs), np.concatenate(ms)
    if st.sign is None:
        return np.concatenate([h, -h]), np.concatenate([m, m])
    return h, m


def _valid(theta: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Whether the image of t ∈ [-1, 1] under a·t + b lies in one domain interval.

    theta (B, >=2); bounds (B, C, 4): lo, hi, lo_closed, hi_closed of each interval.
    """
    a, b = theta[:, 0:1], theta[:, 1:2]
    ulo, uhi = b - np.abs(a), b + np.abs(a)  # (B, 1)
    lo, hi, lc, hc = np.moveaxis(bounds, -1, 0)  # (B, C) each
    ok = ((ulo > lo) | ((lc > 0) & (ulo >= lo))) & ((uhi < hi) | ((hc > 0) & (uhi <= hi)))
    return ok.any(-1) & np.isfinite(a[:, 0]) & np.isfinite(b[:, 0])


def _bounds(prims: Sequence[Primitive], repeat: int) -> np.ndarray:
    """Domain intervals of each primitive, each row repeated: (len(prims)*repeat, C, 4)."""
    width = max(len(p.intervals) for p in prims)
    b = np.empty((len(prims), width, 4))
    b[:] = (math.inf, -math.inf, 0.0, 0.0)  # padding interval that nothing fits in
    for i, p in enumerate(prims):
        b[i, : len(p.intervals)] = p.intervals
    return np.repeat(b, repeat, axis=0)


def _evaluate(prims, sizes, theta, t, derivative=False):
    """f(a t + b) (and f') for rows grouped by primitive: prims[i] owns the next sizes[i] rows.

    theta (B, >=2); t (B, n). Returns (B, n) arrays.
    """
    u = theta[:, 0:1] * t + theta[:, 1:2]  # (B, n)
    f = np.empty_like(u)
    df = np.empty_like(u) if derivative else None
    start = 0
    for prim, size in zip(prims, sizes):
        if size:
            rows = slice(start, start + size)
            f[rows] = prim.numpy(u[rows])
            if derivative:
                df[rows] = prim.numpy_derivative(u[rows])
            start += size
    return (f, df) if derivative else f


def _solve_cd(f: np.ndarray, z: np.ndarray):
    """Least-squares c, d for z ≈ c f + d along the last axis, and the residual sum of squares."""
    fm, zm = f.mean(-1, keepdims=True), z.mean(-1, keepdims=True)
    fc, zc = f - fm, z - zm
    sff, sfz, szz = (fc * fc).sum(-1), (fc * zc).sum(-1), (zc * zc).sum(-1)
    usable = sff > 1e-300
    c = np.where(usable, sfz / np.where(usable, sff, 1.0), 0.0)
    d = zm[..., 0] - c * fm[..., 0]
    sse = np.where(usable, np.maximum(szz - c * sfz, 0.0), szz)
    return c, d, sse


def _grid_starts(prims, syms, t, z) -> np.ndarray:
    """Best _STARTS grid points (a, b, c, d) per (primitive, edge). t, z (E, n) -> (P, E, K, 4)."""
    n_edges, n = t.shape
    step = max(1, n // _GRID_SAMPLES)
    ts, zs = t[:, ::step], z[:, ::step]  # (E, n_s)
    edges = np.arange(n_edges)
    out = np.empty((len(prims), n_edges, _STARTS, 4))
    for i, (prim, st) in enumerate(zip(prims, syms)):
        grid = np.stack(_grid(st, prim.intervals), 1)  # (G, 2): a, b
        grid = grid[_valid(grid, _bounds([prim], len(grid)))]
        if len(grid) == 0:  # no image of the data range fits in the domain
            out[i] = np.nan
            continue
        f = prim.numpy(grid[:, 0, None, None] * ts + grid[:, 1, None, None])  # (G, E, n_s)
        c, d, sse = _solve_cd(f, zs)  # (G, E) each
        sse = np.where(np.isfinite(sse) & np.isfinite(c), sse, np.inf)
        order = np.argsort(sse, axis=0, kind="stable")  # (G, E)
        ranked = np.take_along_axis(sse, order, 0)
        same = np.zeros_like(ranked, bool)  # starts as good as the one before: equivalent
        same[1:] = ranked[1:] <= ranked[:-1] * (1 + 1e-9) + 1e-300
        best = np.take_along_axis(order, np.argsort(same, 0, kind="stable"), 0)[:_STARTS]
        best = np.concatenate([best, np.repeat(best[:1], _STARTS - len(best), 0)])  # (K, E)
        out[i] = np.stack(
            [grid[best, 0], grid[best, 1], c[best, edges], d[best, edges]], -1
        ).transpose(1, 0, 2)
    return out


def _variable_projection(prims, pid, theta, t, z, bounds, free, n_starts):
    """Refine theta (B, 4) = (a, b, c, d) to minimise Σ (c f(a t + b) + d - z)² per row.

    Levenberg–Marquardt on (a, b), with c, d solved exactly at every point (variable
    projection, Kaufman's Jacobian): well conditioned where c and a trade off.
    Row i belongs to prims[pid[i]] (pid sorted); rows come in groups of n_starts starts of
    one (primitive, edge), and after _PRUNE_AFTER iterations only the best of each group goes
    on. Only rows still improving are computed. free (B, 2) marks whether a and b vary (one
    that c or d can absorb, a for powers and log, b for exp, stays at its start).
    t, z (B, n); bounds (B, C, 4). Returns theta with refined a, b (c, d are re-solved by the
    caller) and the training loss (B,).
    """
    n_prims = len(prims)
    zc = z - z.mean(1, keepdims=True)  # (B, n)

    def project(f, zc):
        """Centred f (A, n), its squared norm, the optimal c and the loss (A,)."""
        fc = f - f.mean(1, keepdims=True)
        sff = (fc * fc).sum(1)
        c = (fc * zc).sum(1) / np.maximum(sff, 1e-300)
        loss = ((zc - c[:, None] * fc) ** 2).sum(1)
        return fc, sff, c, np.where(np.isfinite(loss) & (sff > 0), loss, np.inf)

    f, df = _evaluate(prims, np.bincount(pid, minlength=n_prims), theta, t, derivative=True)
    fc, sff, c, loss = project(f, zc)  # (B, n), (B,), (B,), (B,)
    lam = np.full_like(loss, 1e-3)  # (B,) damping
    done = ~np.isfinite(loss)  # (B,)
    for it in range(_MAX_ITER):
        if it == _PRUNE_AFTER and n_starts > 1:
            best = loss.reshape(-1, n_starts).argmin(1)  # (B / n_starts,)
            losing = np.ones((len(best), n_starts), bool)
            losing[np.arange(len(best)), best] = False
            done |= losing.ravel()
        idx = np.flatnonzero(~done)  # (A,) active rows, still sorted by primitive
        if len(idx) == 0:
            break
        th, tt, zca, fca, dfa = theta[idx], t[idx], zc[idx], fc[idx], df[idx]
        ca, sffa, la, ll, fr = c[idx], sff[idx], lam[idx], loss[idx], free[idx]
        r = zca - ca[:, None] * fca  # (A, n) residual at the optimal c, d
        g = np.nan_to_num(ca[:, None] * dfa, nan=0.0, posinf=0.0, neginf=0.0)  # (A, n)
        cols = (g * tt, g)  # ∂model/∂a, ∂model/∂b; projected off span{f, 1} below
        jac = []
        for v in cols:
            v = v - v.mean(1, keepdims=True)
            jac.append(v - ((v * fca).sum(1) / np.maximum(sffa, 1e-300))[:, None] * fca)
        j11 = (jac[0] * jac[0]).sum(1) * fr[:, 0] + (1.0 - fr[:, 0])  # (A,); 1 where held
        j22 = (jac[1] * jac[1]).sum(1) * fr[:, 1] + (1.0 - fr[:, 1])
        j12 = (jac[0] * jac[1]).sum(1) * fr[:, 0] * fr[:, 1]
        g1 = (cols[0] * r).sum(1) * fr[:, 0]  # J^T r  (r is already projected)
        g2 = (cols[1] * r).sum(1) * fr[:, 1]
        floor = 1e-12 * (j11 + j22)
        a11 = j11 + la * np.maximum(j11, floor)
        a22 = j22 + la * np.maximum(j22, floor)
        det = a11 * a22 - j12 * j12
        trial = th.copy()
        trial[:, 0] += (a22 * g1 - j12 * g2) / det
        trial[:, 1] += (a11 * g2 - j12 * g1) / det
        sizes = np.bincount(pid[idx], minlength=n_prims)
        f2, df2 = _evaluate(prims, sizes, trial, tt, derivative=True)
        fc2, sff2, c2, loss2 = project(f2, zca)
        ok = _valid(trial, bounds[idx]) & np.isfinite(loss2)
        accept = ok & (loss2 < ll)
        gain = (ll - loss2) / np.maximum(ll, 1e-300)  # relative improvement
        theta[idx] = np.where(accept[:, None], trial, th)
        fc[idx] = np.where(accept[:, None], fc2, fca)
        df[idx] = np.where(accept[:, None], df2, dfa)
        sff[idx], c[idx] = np.where(accept, sff2, sffa), np.where(accept, c2, ca)
        loss[idx] = np.where(accept, loss2, ll)
        lam[idx] = np.clip(np.where(accept, la * 0.2, la * 5.0), 1e-12, 1e12)
        converged = (ok & (np.abs(gain) <= _CONVERGED)) | (la >= 1e12) | (ll == 0)
        slow = accept & (gain <= _SLOW) & (it >= _PRUNE_AFTER)
        done[idx] = converged | slow
    return theta, loss


def _fit_nonlinear(prims, syms, t, z) -> np.ndarray:
    """Grid search then refinement for nonlinear primitives. t, z (E, n) -> theta (P, E, 4)."""
    n_edges, n_prims, k = t.shape[0], len(prims), _STARTS
    theta = _grid_starts(prims, syms, t, z).reshape(-1, 4)  # (P*E*K, 4)
    rows = n_edges * k  # rows per primitive
    pid = np.repeat(np.arange(n_prims), rows)  # (P*E*K,)
    free = np.array([[s.scale is None, not s.shift] for s in syms], float)[pid]  # (P*E*K, 2)
    t_b = np.tile(np.repeat(t, k, 0), (n_prims, 1))  # (P*E*K, n)
    z_b = np.tile(np.repeat(z, k, 0), (n_prims, 1))
    theta, loss = _variable_projection(prims, pid, theta, t_b, z_b, _bounds(prims, rows), free, k)
    best = loss.reshape(n_prims, n_edges, k).argmin(-1)  # (P, E)
    theta = theta.reshape(n_prims, n_edges, k, 4)
    return np.take_along_axis(theta, best[:, :, None, None], 2)[:, :, 0]


def _fit_chunk(prims, syms, t, z, test, half, centre):
    """Fit every primitive to a chunk of E edges. t, z (E, n) normalised; test (n,) held out.

    Returns theta (P, E, 4) = (a, b, c, d) in t, z units and the held-out R² (P, E), -inf where
    no fit stays in the domain.
    """
    n_prims, n_edges = len(prims), t.shape[0]
    theta = np.empty((n_prims, n_edges, 4))
    theta[:, :, 0], theta[:, :, 1] = half, centre  # linear and constant primitives: u = x
    nl = [i for i, s in enumerate(syms) if s.kind == "nonlinear"]
    if nl:
        theta[nl] = _fit_nonlinear(
            [prims[i] for i in nl], [syms[i] for i in nl], t[:, ~test], z[:, ~test]
        )
    # Exact c, d on the training samples, then held-out R², for all (P, E) at once.
    flat = theta.reshape(-1, 4)  # (P*E, 4)
    t_rep, z_rep = np.tile(t, (n_prims, 1)), np.tile(z, (n_prims, 1))  # (P*E, n)
    f = _evaluate(prims, [n_edges] * n_prims, flat, t_rep)  # (P*E, n)
    flat[:, 2], flat[:, 3], _ = _solve_cd(f[:, ~test], z_rep[:, ~test])
    zt = z_rep[:, test]  # (P*E, n_test)
    ss_res = ((zt - flat[:, 2:3] * f[:, test] - flat[:, 3:4]) ** 2).sum(1)
    ss_tot = ((zt - zt.mean(1, keepdims=True)) ** 2).sum(1)
    r2 = 1.0 - ss_res / np.maximum(ss_tot, 1e-300)
    ok = _valid(flat, _bounds(prims, n_edges)) & np.isfinite(r2) & np.isfinite(f).all(1)
    return theta, np.where(ok, r2, -np.inf).reshape(n_prims, n_edges)


def _as_2d(v, name: str) -> np.ndarray:
    if isinstance(v, torch.Tensor):
        v = v.detach().cpu().double().numpy()
    arr = np.asarray(v, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise InputError(f"{name} has shape {arr.shape}; give an (n, E) array (samples × edges)")
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name} contains NaN or infinite values; remove those samples first")
    return arr


def fit_edges(
    x,
    y,
    library: Mapping[str, Primitive] = DEFAULT_LIBRARY,
    *,
    complexity_weight: float = COMPLEXITY_WEIGHT,
    r2_tol: float = R2_TOL,
    zero_r2: float = ZERO_R2,
    tie_margin: float = TIE_MARGIN,
) -> EdgeFits:
    """Fit ``y[:, e] ≈ c·f(a·x[:, e] + b) + d`` for every edge ``e`` and primitive ``f``.

    Parameters
    ----------
    x, y : (n, E) torch tensors or numpy arrays (any float dtype; computed in float64)
        Edge ``e``'s samples are ``x[:, e]`` and ``y[:, e]``. 1-D inputs mean ``E = 1``.
        Every 4th sample is held out to measure R²; ``n >= 8`` is required.
    library : mapping of name to :class:`~symkan.symbolic.library.Primitive`
    complexity_weight, r2_tol, zero_r2, tie_margin : float
        The selection rule's constants; see :func:`choose`.

    Returns
    -------
    EdgeFits
        With ``params`` in the units of ``x`` and ``y``. A fit's affine image of the edge's
        whole range ``[min x, max x]`` lies in the primitive's domain; where none was found,
        ``r2_all`` is ``-inf``.
    """
    xs, ys = _as_2d(x, "x"), _as_2d(y, "y")
    if xs.shape != ys.shape:
        raise InputError(f"x has shape {xs.shape} but y has shape {ys.shape}; they must match")
    n, n_edges = xs.shape
    if n < 2 * HOLDOUT_EVERY:
        raise InputError(f"x has {n} samples per edge; give at least {2 * HOLDOUT_EVERY}")
    if not library:
        raise InputError("library is empty; pass at least one Primitive (e.g. make_library())")
    names = tuple(library)
    prims = [library[k] for k in names]
    syms = [symmetries(p) for p in prims]
    n_prims = len(prims)

    test = np.arange(n) % HOLDOUT_EVERY == HOLDOUT_EVERY - 1  # (n,)
    lo, hi = xs.min(0), xs.max(0)  # (E,)
    centre, half = (hi + lo) / 2, (hi - lo) / 2
    half = np.where(half > 0, half, 1.0)
    t = ((xs - centre) / half).T.copy()  # (E, n) in [-1, 1]
    ymean, ystd = ys[~test].mean(0), ys[~test].std(0)  # (E,)
    constant = ystd <= 1e-12 * np.abs(ymean)  # (E,) numerically constant edges
    ystd = np.where(constant, 1.0, ystd)
    z = ((ys - ymean) / ystd).T.copy()  # (E, n) standardised

    n_nl = sum(s.kind == "nonlinear" for s in syms)
    chunk = max(1, _CHUNK_ELEMENTS // max(1, n_nl * _STARTS * n, n_prims * n))  # edges at once
    theta = np.empty((n_prims, n_edges, 4))  # (P, E, 4): a, b, c, d in t, z units
    r2 = np.empty((n_prims, n_edges))  # (P, E)
    with np.errstate(all="ignore"):
        for e in range(0, n_edges, chunk):
            edges = slice(e, e + chunk)
            theta[:, edges], r2[:, edges] = _fit_chunk(
                prims, syms, t[edges], z[edges], test, half[edges], centre[edges]
            )
        constant_edges = np.broadcast_to(constant, r2.shape)  # (P, E)
        theta[:, :, 2] = np.where(constant_edges, 0.0, theta[:, :, 2])
        theta[:, :, 3] = np.where(constant_edges, z[:, ~test].mean(1), theta[:, :, 3])
        r2 = np.where(constant_edges & np.isfinite(r2), 1.0, r2)

        # Back to x, y units: u = a' (x - centre) / half + b';  y = ystd (c f + d) + ymean.
        a = theta[:, :, 0] / half
        params = np.stack(
            [a, theta[:, :, 1] - a * centre, theta[:, :, 2] * ystd, theta[:, :, 3] * ystd + ymean],
            -1,
        )  # (P, E, 4)
        for i, (prim, st) in enumerate(zip(prims, syms)):
            if st.kind == "nonlinear":
                params[i] = canonical_params(st, prim, params[i])
            else:
                params[i, :, :2] = (1.0, 0.0)
    params_all = np.ascontiguousarray(params.transpose(1, 0, 2))  # (E, P, 4)
    r2_all = np.ascontiguousarray(r2.T)  # (E, P)

    pick = choose(
        r2_all,
        [p.complexity for p in prims],
        constant=[s.kind == "constant" for s in syms],
        complexity_weight=complexity_weight,
        r2_tol=r2_tol,
        zero_r2=zero_r2,
        tie_margin=tie_margin,
    )
    rows = np.arange(n_edges)
    return EdgeFits(
        primitive_names=names,
        names=tuple(names[i] for i in pick),
        params=params_all[rows, pick],
        r2=r2_all[rows, pick],
        r2_all=r2_all,
        params_all=params_all,
    )
