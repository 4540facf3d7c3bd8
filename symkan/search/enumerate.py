"""Every small expression at once: exhaustive enumeration in batched tensors.

As in PSE (Ruan et al. 2024) and Exhaustive SR (Bartlett et al. 2023): all expression
trees up to ``max_size`` nodes over the problem's variables, the leaves ``1`` and ``2``,
``+ − × ÷`` and the unary primitives of the library are built level by level (size 1, 2,
…). Each expression is computed once from its stored children on a few probe rows (a
shared subtree is never recomputed), expressions whose values are not finite or are
constant are dropped, and duplicates (``x*y`` and ``y*x``, ``sqrt(x)**2`` and ``x``) are
removed by a fingerprint of their values. The last level is never stored: it is scored
as it is made, in chunks sized to the device's memory.

Constants need no search: every expression ``e`` is scored by the best affine pair
``c0 + c1·e`` (closed form: one minus the squared correlation with the target), and
`best_pairs` scores every pair ``c0 + c1·e1 + c2·e2`` of a dictionary of expressions at
once from their Gram matrix. Only the best few are rebuilt as sympy formulas; the solver
then refits their constants on all rows and snaps them.

Runs on CUDA when the tensors are there, else on the CPU, with the same results up to
rounding of the last bits (float64 throughout).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy
import torch

from symkan.symbolic.library import Primitive

__all__ = ["Enumeration", "Op", "affine_loss", "best_pairs", "enumerate_expressions",
           "least_squares_coefficients", "unary_ops"]

# primitives that are compositions of others (or constant): left out of the unary ops
_SKIP = {"0", "x", "x^4", "1/x^2", "1/sqrt", "gauss", "x^3", "abs"}


@dataclass(frozen=True)
class Op:
    """A unary operation: its torch function and its sympy form."""

    name: str
    torch: Callable[[torch.Tensor], torch.Tensor]
    sympy: Callable[[sympy.Expr], sympy.Expr]


def unary_ops(library: Mapping[str, Primitive]) -> list[Op]:
    """The library's one-variable primitives as unary operations, and negation."""
    ops = [Op("neg", torch.neg, lambda e: -e)]
    for name, prim in library.items():
        if name in _SKIP or sympy.Symbol("u", real=True) == prim.expr:
            continue
        ops.append(Op(name, prim.torch, prim.sympy))
    return ops


# binary operations: code → (torch, sympy, commutative)
_BINARY: dict[int, tuple[Callable, Callable, bool]] = {
    0: (torch.add, lambda a, b: a + b, True),
    1: (torch.mul, lambda a, b: a * b, True),
    2: (torch.sub, lambda a, b: a - b, False),
    3: (torch.div, lambda a, b: a / b, False),
}
_LEAF, _UNARY, _BIN = 0, 1, 2


@dataclass
class Enumeration:
    """The stored expressions (all levels but the last) and the best ones found."""

    leaves: list[sympy.Expr]
    ops: list[Op]
    values: list[torch.Tensor] = field(default_factory=list)  # per level: (N_s, m)
    recipes: list[torch.Tensor] = field(default_factory=list)  # per level: (N_s, 4) int64
    offsets: list[int] = field(default_factory=list)  # global id of each level's first
    scored: int = 0  # expressions evaluated (kept or not)
    best: list[tuple[float, tuple[int, int, int, int]]] = field(default_factory=list)

    def expr(self, recipe: Sequence[int]) -> sympy.Expr:
        """The sympy expression of a recipe ``(kind, op, left id, right id)``."""
        kind, op, left, right = (int(v) for v in recipe)
        if kind == _LEAF:
            return self.leaves[op]
        if kind == _UNARY:
            return self.ops[op].sympy(self.expr(self._recipe(left)))
        return _BINARY[op][1](self.expr(self._recipe(left)), self.expr(self._recipe(right)))

    def _recipe(self, gid: int) -> torch.Tensor:
        level = max(i for i, off in enumerate(self.offsets) if off <= gid)
        return self.recipes[level][gid - self.offsets[level]]

    def stored(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Values (N, m) and recipes (N, 4) of every stored expression."""
        return torch.cat(self.values), torch.cat(self.recipes)


def _fingerprint(values: torch.Tensor, probe: torch.Tensor) -> torch.Tensor:
    """An int64 per row of ``values``: equal for equal values up to ~1e-11 relative."""
    fp = values @ probe
    return fp.view(torch.int64) >> 16


def _usable(values: torch.Tensor) -> torch.Tensor:
    """Rows that are finite everywhere and not constant."""
    finite = torch.isfinite(values).all(dim=1)
    spread = values.max(dim=1).values - values.min(dim=1).values
    size = values.abs().max(dim=1).values
    return finite & (spread > 1e-9 * size) & (size < 1e12)


def affine_loss(values: torch.Tensor, yc: torch.Tensor, yy: float) -> torch.Tensor:
    """1 − corr², the fraction of the target's variance the best ``c0 + c1·e`` leaves
    (``yc``: the centred target, ``yy`` its squared norm)."""
    ec = values - values.mean(dim=1, keepdim=True)
    ee = (ec * ec).sum(dim=1)
    ey = ec @ yc
    return (1.0 - ey * ey / (ee * yy)).clamp_min(0.0)


class _Builder:
    def __init__(self, X: torch.Tensor, y: torch.Tensor, leaves, ops, keep: int, chunk: int):
        self.X, self.keep, self.chunk = X, keep, chunk
        gen = torch.Generator(device="cpu").manual_seed(12345)
        self.probe = torch.randn(X.shape[0], generator=gen, dtype=X.dtype).to(X.device)
        self.yc = y - y.mean()
        self.yy = float(self.yc @ self.yc)
        self.seen = torch.empty(0, dtype=torch.int64, device=X.device)
        self.en = Enumeration(list(leaves), list(ops))
        self.top_loss = torch.empty(0, dtype=X.dtype, device=X.device)
        self.top_recipe = torch.empty((0, 4), dtype=torch.int64, device=X.device)
        self.top_fp = torch.empty(0, dtype=torch.int64, device=X.device)

    def _trim(self) -> None:
        """Keep the ``keep`` lowest losses, one entry per fingerprint (the last level is
        not deduplicated as it is made: only its best are)."""
        order = torch.argsort(self.top_loss, stable=True)
        _, first = _first_occurrence(self.top_fp[order])
        best = order[first[torch.argsort(self.top_loss[order][first], stable=True)]][:self.keep]
        self.top_loss, self.top_recipe = self.top_loss[best], self.top_recipe[best]
        self.top_fp = self.top_fp[best]

    def offer(self, values: torch.Tensor, recipes: torch.Tensor, store: bool):
        """Filter, dedupe and score a batch; keep it as a level's part when ``store``."""
        self.en.scored += values.shape[0]
        ok = _usable(values)
        values, recipes = values[ok], recipes[ok]
        if values.shape[0] == 0:
            return values, recipes
        fp = _fingerprint(values, self.probe)
        if store:  # a child of later levels: unique among everything stored
            fresh = ~torch.isin(fp, self.seen)
            values, recipes, fp = values[fresh], recipes[fresh], fp[fresh]
            fp, first = _first_occurrence(fp)
            values, recipes = values[first], recipes[first]
            self.seen = torch.cat([self.seen, fp])
        loss = affine_loss(values, self.yc, self.yy)
        self.top_loss = torch.cat([self.top_loss, loss])
        self.top_recipe = torch.cat([self.top_recipe, recipes])
        self.top_fp = torch.cat([self.top_fp, fp])
        if self.top_loss.shape[0] > 4 * self.keep:
            self._trim()
        return values, recipes


def _first_occurrence(fp: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Unique fingerprints and the index of each one's first occurrence."""
    unique, inverse = torch.unique(fp, return_inverse=True)
    index = torch.arange(fp.shape[0], device=fp.device)
    first = torch.full((unique.shape[0],), fp.shape[0], dtype=torch.int64, device=fp.device)
    first = first.scatter_reduce(0, inverse, index, reduce="amin")
    order = torch.argsort(first)
    return unique[order], first[order]


def enumerate_expressions(
    X: torch.Tensor, y: torch.Tensor, symbols: Sequence[sympy.Symbol], ops: Sequence[Op],
    max_size: int, *, keep: int = 64, chunk: int | None = None,
    stop: Callable[[], bool] | None = None,
) -> Enumeration:
    """All expressions of at most ``max_size`` nodes, scored against ``y`` on the rows
    ``X`` (m probe rows, float64 on any device). ``chunk`` bounds the values computed at
    once (numbers); ``stop()`` is polled between chunks and ends the search early.

    Returns the `Enumeration`: its stored levels and, in ``best``, the ``keep`` lowest
    affine losses with their recipes.
    """
    leaves = [*symbols, sympy.Integer(1), sympy.Integer(2)]
    m = X.shape[0]
    chunk = chunk or _chunk(X.device)
    b = _Builder(X, y, leaves, ops, keep, chunk)
    one = torch.ones(m, dtype=X.dtype, device=X.device)
    leaf_vals = torch.stack([*(X[:, i] for i in range(X.shape[1])), one, 2 * one])
    leaf_rec = torch.tensor([[_LEAF, i, -1, -1] for i in range(len(leaves))],
                            dtype=torch.int64, device=X.device)
    # the constant leaves are stored unfiltered (they are children, never answers)
    n_var = X.shape[1]
    b.offer(leaf_vals[:n_var], leaf_rec[:n_var], store=True)
    b.en.values.append(leaf_vals)
    b.en.recipes.append(leaf_rec)
    b.en.offsets.append(0)
    b.seen = torch.cat([b.seen, _fingerprint(leaf_vals, b.probe)])
    for size in range(2, max_size + 1):
        last = size == max_size
        parts_v, parts_r = [], []
        for vals, recs in _level(b, size):
            if stop is not None and stop():
                break
            v, r = b.offer(vals, recs, store=not last)
            if not last and v.shape[0]:
                parts_v.append(v)
                parts_r.append(r)
        if last:
            break
        offset = b.en.offsets[-1] + b.en.values[-1].shape[0]
        vals = torch.cat(parts_v) if parts_v else leaf_vals[:0]
        recs = torch.cat(parts_r) if parts_r else leaf_rec[:0]
        b.en.values.append(vals)
        b.en.recipes.append(recs)
        b.en.offsets.append(offset)
    b._trim()
    b.en.best = [(float(loss), tuple(int(v) for v in rec))
                 for loss, rec in zip(b.top_loss, b.top_recipe)]
    return b.en


def _chunk(device: torch.device) -> int:
    """Numbers computed at once: 4M (32 MB) on a CPU; on a GPU, a sixteenth of its free
    memory in float64 (each batch has a few temporaries of its size)."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(max(1 << 22, min(free // (8 * 16), 1 << 30)))
    return 1 << 22


def _level(b: _Builder, size: int):
    """Batches ``(values, recipes)`` of the expressions of ``size`` nodes."""
    en, chunk = b.en, b.chunk
    levels = en.values
    m = b.X.shape[0]
    prev = size - 2  # index of the level of size - 1
    if prev < len(levels):
        V, off = levels[prev], en.offsets[prev]
        ids = torch.arange(V.shape[0], device=V.device) + off
        step = max(chunk // max(m, 1), 1)
        for k, op in enumerate(en.ops):
            for s in range(0, V.shape[0], step):
                with torch.no_grad():
                    vals = op.torch(V[s:s + step])
                rec = torch.stack([torch.full_like(ids[s:s + step], _UNARY),
                                   torch.full_like(ids[s:s + step], k), ids[s:s + step],
                                   torch.full_like(ids[s:s + step], -1)], dim=1)
                yield vals, rec
    for left in range(1, size - 1):
        right = size - 1 - left
        if left - 1 >= len(levels) or right - 1 >= len(levels):
            continue
        A, B = levels[left - 1], levels[right - 1]
        ia = torch.arange(A.shape[0], device=A.device) + en.offsets[left - 1]
        ib = torch.arange(B.shape[0], device=B.device) + en.offsets[right - 1]
        for code, (fn, _, commutative) in _BINARY.items():
            if commutative and left > right:
                continue
            rows = max(chunk // max(m * B.shape[0], 1), 1)
            for s in range(0, A.shape[0], rows):
                a = A[s:s + rows]
                vals = fn(a[:, None, :], B[None, :, :]).reshape(-1, m)
                la = ia[s:s + rows, None].expand(-1, B.shape[0]).reshape(-1)
                lb = ib[None, :].expand(a.shape[0], -1).reshape(-1)
                rec = torch.stack([torch.full_like(la, _BIN), torch.full_like(la, code),
                                   la, lb], dim=1)
                if commutative and left == right:
                    keep = la <= lb
                    vals, rec = vals[keep], rec[keep]
                yield vals, rec


def best_pairs(values: torch.Tensor, y: torch.Tensor, anchors: torch.Tensor, keep: int = 16
               ) -> list[tuple[float, int, int]]:
    """The ``keep`` pairs ``(i, j)``, ``i`` one of ``anchors`` and ``j`` any row of
    ``values``, whose ``c0 + c1·e_i + c2·e_j`` leaves the least of ``y``'s variance, with
    that fraction. Every pair is scored at once in closed form from inner products (no
    pair is fitted one by one), so ``j`` ranges over every stored expression, however
    weakly it correlates with ``y`` alone."""
    E = values - values.mean(dim=1, keepdim=True)
    yc = y - y.mean()
    yy = float(yc @ yc)
    ee = (E * E).sum(dim=1)
    bvec = E @ yc
    best: list[tuple[float, int, int]] = []
    for s in range(0, anchors.shape[0], 64):
        a = anchors[s:s + 64]
        G = E[a] @ E.T  # (k, N)
        ea, ba = ee[a][:, None], bvec[a][:, None]
        det = ea * ee[None, :] - G * G
        explained = (ee[None, :] * ba**2 - 2 * G * ba * bvec[None, :]
                     + ea * bvec[None, :] ** 2) / det
        loss = 1.0 - explained / yy
        valid = (det > 1e-9 * ea * ee[None, :]) & torch.isfinite(loss)
        loss = torch.where(valid, loss, torch.full_like(loss, math.inf))
        top = torch.topk(loss.reshape(-1), min(2 * keep, loss.numel()), largest=False)
        n = values.shape[0]
        best += [(float(v), int(a[int(k) // n]), int(k) % n)
                 for v, k in zip(top.values, top.indices) if math.isfinite(float(v))]
    best.sort()
    out, seen = [], set()
    for loss, i, j in best:
        if (min(i, j), max(i, j)) not in seen:
            seen.add((min(i, j), max(i, j)))
            out.append((loss, i, j))
    return out[:keep]


def least_squares_coefficients(values: torch.Tensor, z: np.ndarray) -> np.ndarray:
    """``c0, c1, …`` of ``c0 + Σ c_k·e_k`` fitted to ``z`` on the probe rows (``values``:
    one row per term), so the refit on all rows starts there, not from ones."""
    A = np.column_stack([np.ones(values.shape[1]), values.cpu().numpy().T])
    coef, *_ = np.linalg.lstsq(A, z, rcond=None)
    return np.where(np.isfinite(coef), coef, 1.0)
