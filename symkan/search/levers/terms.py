"""Terminal lever ``terms``: the law as a short sum of products of one-variable functions.

``I1 + I2 + 2·sqrt(I1)·sqrt(I2)·cos δ``, ``x1² + x2² − 2·x1·x2·cos δ`` (a squared
distance), an ODE's right-hand side ``−δ·v − α·x − β·x³ + γ·cos(ω·t)``: each is a
constant plus a few terms, each term a product of functions of one variable. As in SINDy
(Brunton et al. 2016), a dictionary holds every product of at most three factors on
distinct variables, a factor being a variable or a library primitive of it; unlike
SINDy's thresholded least squares, the few terms are found by a beam search: every
one-term model first, then each of the best models grown by the one term (of the whole
dictionary) that explains most of what it leaves — scored for all terms at once by
projecting them off the model's span. The target is tried as ``y``, ``y²`` (for
``sqrt(…)``) and ``1/y``; the best models are proposed with Float coefficients, and the
solver refits and snaps them on all rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import sympy
import torch

from symkan.formula.numeric import evenly_spaced
from symkan.search.enumerate import least_squares_coefficients, unary_ops
from symkan.search.types import Lever, Problem

_ROWS = 96  # probe rows
_MAX_FACTORS = 3
_MAX_VARS = 5
_MAX_TERMS = 4  # terms of one model (besides the constant)
_BEAM = 192
_PAIRED = 32  # best one-term models that are also grown by a pair of terms at once
_SHORTLIST = 384  # terms a pair is chosen from (those that explain most of a residual)
_PROPOSE = 1e-7  # unexplained variance (probe rows) below which a model is proposed
_POWERS = ("1/x^2",)


def _applies(problem: Problem, solver) -> bool:
    return 2 <= problem.d <= _MAX_VARS


def _factors(X: torch.Tensor, symbols, library) -> list[list[tuple[sympy.Expr, torch.Tensor]]]:
    """Per variable: the variable and every library primitive of it that is finite and
    not constant on the rows (``neg`` left out: a coefficient takes the sign), ``1/x²``
    among them (the enumeration builds it from smaller parts, a term must hold it whole:
    ``α·c²/d²``; more powers would double the dictionary of three-factor terms)."""
    ops = [(op.name, op.torch, op.sympy) for op in unary_ops(library) if op.name != "neg"]
    ops += [(name, library[name].torch, library[name].sympy) for name in _POWERS
            if name in library and name not in {n for n, _, _ in ops}]
    out = []
    for i, sym in enumerate(symbols):
        x = X[:, i]
        options = [(sym, x)]
        for _, fn, to_sympy in ops:
            with torch.no_grad():
                v = fn(x)
            if torch.isfinite(v).all() and (v.max() - v.min()) > 1e-9 * v.abs().max():
                options.append((to_sympy(sym), v))
        out.append(options)
    return out


def dictionary(X: torch.Tensor, symbols, library):
    """Every product of at most three factors on distinct variables: a function that
    builds term ``k``'s formula, and the values (N, m) of all terms."""
    factors = _factors(X, symbols, library)
    names, blocks = [], []
    for k in range(1, min(_MAX_FACTORS, len(symbols)) + 1):
        for group in itertools.combinations(range(len(symbols)), k):
            block = None
            for i in group:  # outer product of the factor values, variable by variable
                F = torch.stack([v for _, v in factors[i]])
                block = F if block is None else (block[:, None, :] * F[None, :, :]).reshape(
                    -1, X.shape[0])
            blocks.append(block)
            names += [tuple(zip(group, idx)) for idx in
                      itertools.product(*(range(len(factors[i])) for i in group))]
    V = torch.cat(blocks)
    ok = torch.isfinite(V).all(dim=1) & (V.abs().max(dim=1).values < 1e12)
    keep = torch.nonzero(ok).flatten().tolist()
    names = [names[i] for i in keep]

    def term(k: int) -> sympy.Expr:
        return sympy.Mul(*(factors[i][j][0] for i, j in names[k]))

    term.singles = int(ok[:sum(len(f) for f in factors)].sum())  # one-factor terms come first
    return term, V[ok]


def beam(values: torch.Tensor, y: torch.Tensor, max_terms: int = _MAX_TERMS,
         width: int = _BEAM, seeds: int = 0) -> list[tuple[float, tuple[int, ...]]]:
    """The best models ``c0 + Σ c_k·e_k`` of 1..``max_terms`` terms: (unexplained
    fraction of y's variance, term indices), best first (an exact model before a longer
    exact one). Each step scores every term of the dictionary against every model of the
    beam at once: the variance a term explains beyond a model is ``(e·r)² / |e⊥|²``, ``r``
    the model's residual and ``e⊥`` the term's part orthogonal to the model's span. The
    best `_PAIRED` one-term models and the first ``seeds`` terms (the one-factor ones,
    however weakly they correlate with ``y`` alone) are also grown by the best *pairs* of
    terms (`_pair_extensions`): ``I1 + I2`` in ``I1 + I2 + 2·sqrt(I1·I2)·cos δ``, or
    ``(1 - cos θ)/(m·c²)`` beside ``1/E``, enter together, and the beam's ranking of
    one-term additions crowds each of them out."""
    E = values - values.mean(dim=1, keepdim=True)
    E = E / E.norm(dim=1, keepdim=True).clamp_min(1e-300)  # unit columns: scale-free
    yc = y - y.mean()
    yy = float(yc @ yc)
    if yy == 0 or not np.isfinite(yy):
        return []
    first = torch.nan_to_num(1.0 - (E @ yc) ** 2 / yy, nan=2.0)
    order = torch.argsort(first)[:width].tolist()
    models = sorted((float(first[i]), (int(i),)) for i in order)
    found = list(models)
    if max_terms >= 3:  # one term, then a pair: from the best singles and every seed
        starts = list(dict.fromkeys([t for _, t in models[:_PAIRED]]
                                    + [(i,) for i in range(min(seeds, E.shape[0]))]))
        starts = [(float(first[t[0]]), t) for t in starts]
        found += _pair_extensions(starts, _extensions(starts, E, yc, yy), E, yc, yy,
                                  seeds=seeds)
    for _ in range(max_terms - 1):
        if not models or models[0][0] < 1e-14:
            break
        loss = _extensions(models, E, yc, yy)
        n = E.shape[0]
        top = torch.topk(loss.reshape(-1), min(4 * width, loss.numel()), largest=False)
        grown: dict[tuple[int, ...], float] = {}
        for value, flat in zip(top.values.tolist(), top.indices.tolist()):
            terms = models[flat // n][1]
            key = tuple(sorted({*terms, flat % n}))
            if len(key) == len(terms) + 1 and key not in grown:
                grown[key] = value
        models = sorted((v, k) for k, v in grown.items())[:width]
        found += models
    unique: dict[tuple[int, ...], float] = {}
    for value, key in found:
        unique[key] = min(value, unique.get(key, np.inf))
    return sorted(((v, k) for k, v in unique.items()),
                  key=lambda m: (max(m[0], 1e-13), len(m[1])))


def _pair_extensions(models, single: torch.Tensor, E: torch.Tensor, yc: torch.Tensor,
                     yy: float, shortlist: int = _SHORTLIST, seeds: int = 0,
                     ) -> list[tuple[float, tuple[int, ...]]]:
    """For each model, the best pairs of terms to add *together* (two terms that each
    explain little alone: ``I1 + I2`` once ``2·sqrt(I1·I2)·cos δ`` is in), among the
    ``shortlist`` terms that explain most of its residual one at a time and the first
    ``seeds`` (one-factor) terms; every pair is scored at once from the Gram matrix of
    the terms' parts orthogonal to the model. ``single`` (W, n): `_extensions` of the
    models (what one more term leaves), from which the shortlist is drawn."""
    out = []
    for (_, terms), loss in zip(models, single):
        loss = loss.clone()
        loss[list(terms)] = 2.0
        idx = torch.argsort(loss)[:shortlist]
        idx = torch.unique(torch.cat([idx, torch.arange(min(seeds, E.shape[0]))]))
        idx = idx[~torch.isin(idx, torch.tensor(list(terms)))]
        T = E[list(terms)]  # (k, m)
        Q, _ = torch.linalg.qr(T.T)  # (m, k)
        r = yc - Q @ (Q.T @ yc)
        A = E[idx] - (E[idx] @ Q) @ Q.T  # (s, m): parts orthogonal to the model
        g = A @ r  # (s,)
        G = A @ A.T  # (s, s)
        d = G.diagonal()
        det = d[:, None] * d[None, :] - G * G
        explained = (g[:, None] ** 2 * d[None, :] - 2 * g[:, None] * g[None, :] * G
                     + g[None, :] ** 2 * d[:, None]) / det.clamp_min(1e-300)
        ok = det > 1e-10 * (d[:, None] * d[None, :]).clamp_min(1e-300)
        ok &= torch.triu(torch.ones_like(ok), diagonal=1)
        rest = torch.where(ok, (float(r @ r) - explained).clamp_min(0.0) / yy,
                           torch.full_like(explained, 2.0))
        best = torch.topk(rest.reshape(-1), min(3, rest.numel()), largest=False)
        s = len(idx)
        for value, flat in zip(best.values.tolist(), best.indices.tolist()):
            a, b = int(idx[flat // s]), int(idx[flat % s])
            out.append((value, tuple(sorted({*terms, a, b}))))
    return out


def _extensions(models, E: torch.Tensor, yc: torch.Tensor, yy: float) -> torch.Tensor:
    """(W, n): the unexplained fraction of ``y``'s variance once term ``j`` joins model
    ``w`` (least squares with a constant), for every model and term at once."""
    T = torch.stack([E[list(t)] for _, t in models])  # (W, k, m)
    Q, _ = torch.linalg.qr(T.transpose(1, 2))  # (W, m, k): each model's span
    R = yc[None, :] - torch.einsum("wmk,wk->wm", Q, torch.einsum("wmk,m->wk", Q, yc))
    EQ = torch.einsum("nm,wmk->wnk", E, Q)
    rest = (1.0 - (EQ * EQ).sum(dim=2)).clamp_min(0.0)  # |e⊥|² per (model, term)
    gain = torch.where(rest > 1e-10, (R @ E.T) ** 2 / rest.clamp_min(1e-300),
                       torch.zeros_like(rest))
    rr = (R * R).sum(dim=1)
    return ((rr[:, None] - gain).clamp_min(0.0) / yy).nan_to_num(nan=2.0)


TARGETS = {
    "y": (lambda y: y, lambda g: g, lambda y: True),
    "y^2": (lambda y: y * y, sympy.sqrt, lambda y: bool(np.all(y > 0))),
    "1/y": (lambda y: 1 / y, lambda g: 1 / g, lambda y: bool(np.all(y > 0) or np.all(y < 0))),
}


def _propose(problem: Problem, solver) -> Iterator[tuple[str, sympy.Expr]]:
    rows = evenly_spaced(problem.X.shape[0], _ROWS)
    X = torch.as_tensor(np.ascontiguousarray(problem.X[rows]), dtype=torch.float64,
                        device=solver.device)
    term, V = dictionary(X, problem.symbols, solver.library)
    solver.check()
    for name, (forward, inverse, ok) in TARGETS.items():
        y = problem.y[rows]
        if not ok(problem.y):
            continue
        with np.errstate(all="ignore"):
            z = forward(y)
        if not np.all(np.isfinite(z)):
            continue
        models = beam(V, torch.as_tensor(z, dtype=torch.float64, device=V.device),
                      width=_BEAM if problem.d <= 3 else _BEAM // 2, seeds=term.singles)
        solver.check()
        for loss, terms in models[:2]:
            if loss > _PROPOSE:
                break
            coef = least_squares_coefficients(V[list(terms)], z)
            inner = sympy.Float(coef[0]) + sum(
                (sympy.Float(c) * term(t) for c, t in zip(coef[1:], terms)), sympy.S.Zero)
            yield f"{len(terms)} terms on {name}", inverse(inner)



LEVER = Lever("terms", "terminal", _applies, _propose)
