"""Terminal lever ``enumerate``: every small expression of a small problem, tried at once.

For a problem of at most three variables (a leaf, a block, what a reducer leaves), every
expression tree up to a size bound is scored on a few probe rows by its best affine form
``c0 + c1·e`` (`symkan.search.enumerate`), and every pair of the stored expressions by
``c0 + c1·e1 + c2·e2`` (a sum of two pieces: ``u + 2·sqrt(u)·cos(δ)``). The best singles on
the probe rows are re-scored on all fit rows and kept only when each beats every smaller
one (so noise fitted on the probe rows does not pick a large expression over the law);
the best few are proposed with Float constants — also with a constant inside each function call
(``sin(k·x)``) — and the solver refits them on all rows (`symkan.formula.refit`) and
snaps them like any candidate.

Torch tensors on the solver's device (CUDA when there is one).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import sympy
import torch

from symkan.formula import complexity
from symkan.formula.numeric import evaluate, evenly_spaced
from symkan.search.enumerate import (
    affine_loss,
    best_pairs,
    enumerate_expressions,
    least_squares_coefficients,
    unary_ops,
)
from symkan.search.types import Lever, Problem

_PROBE_ROWS = 32
# largest tree (nodes) by number of variables: about a million expressions, ~1 s on a CPU
_MAX_SIZE = {1: 5, 2: 6, 3: 5}
_SINGLES = 3  # best single expressions proposed
_RESCORE = 48  # best singles on the probe rows, re-scored on all fit rows
_BETTER = 0.8  # a larger expression must cut the loss (1 − R²) of every smaller one by this
_PAIRS = 2  # best pairs proposed
_ANCHORS = 100  # best singles that pair with every stored expression
_PROPOSE = 0.01  # affine loss (1 − R² on the probe rows) above which nothing is proposed


def _applies(problem: Problem, solver) -> bool:
    return problem.d <= max(_MAX_SIZE)


def _inner_constants(expr: sympy.Expr) -> sympy.Expr:
    """``f(arg)`` → ``f(k·arg)`` with a Float ``k`` for every function call with a variable."""
    swap = {}
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Function) and len(node.args) == 1 and node.args[0].free_symbols:
            swap[node] = node.func(sympy.Float(1.0) * node.args[0])
    return expr.xreplace(swap) if swap else expr


def _affine(problem: Problem, rows, *terms: sympy.Expr) -> sympy.Expr:
    """``c0 + Σ c_k·t_k`` with the constants fitted on the probe rows (ones when a term
    cannot be evaluated there)."""
    try:
        values = torch.as_tensor(np.stack([evaluate(t, problem.symbols, problem.X[rows])
                                           for t in terms]))
        coef = least_squares_coefficients(values, problem.y[rows])
    except (ValueError, TypeError, ZeroDivisionError, OverflowError):
        coef = np.ones(len(terms) + 1)
    return sympy.Float(coef[0]) + sum(
        (sympy.Float(c) * t for c, t in zip(coef[1:], terms)), sympy.S.Zero)


def _front(problem: Problem, exprs: list[sympy.Expr]) -> list[sympy.Expr]:
    """The best of the probe rows' survivors, re-scored on all fit rows: each must beat
    every smaller one by `_BETTER` (on noisy rows many larger expressions fit the probe
    rows' noise a little better than the law), most accurate first, at most `_SINGLES`."""
    scored = []
    yc = problem.y - problem.y.mean()
    yc = yc / (np.linalg.norm(yc) or 1.0)
    for expr in dict.fromkeys(exprs):
        try:
            v = evaluate(expr, problem.symbols, problem.X)
        except (ValueError, TypeError, ZeroDivisionError, OverflowError):
            continue
        if not np.all(np.isfinite(v)) or np.std(v) == 0:
            continue
        vc = v - v.mean()
        with np.errstate(over="ignore"):
            norm = float(np.linalg.norm(vc))
        if not math.isfinite(norm) or norm == 0:  # values near the float range's end
            continue
        loss = 1.0 - float((vc / norm) @ yc) ** 2  # 1 - correlation², scale-free
        scored.append((complexity(expr), loss, expr))
    front, best = [], np.inf
    for size, loss, expr in sorted(scored, key=lambda s: (s[0], s[1])):
        if loss < _BETTER * best:
            front.append((loss, expr))
            best = loss
    return [e for _, e in sorted(front, key=lambda f: f[0])[:_SINGLES]]


def _propose(problem: Problem, solver) -> Iterator[tuple[str, sympy.Expr]]:
    device = solver.device
    rows = evenly_spaced(problem.X.shape[0], _PROBE_ROWS)
    X = torch.as_tensor(np.ascontiguousarray(problem.X[rows]), dtype=torch.float64,
                        device=device)
    y = torch.as_tensor(problem.y[rows], dtype=torch.float64, device=device)
    size = _MAX_SIZE[problem.d]
    ops = unary_ops(solver.library)
    # solver.check() raises when the time is up: the enumeration ends there
    en = enumerate_expressions(X, y, problem.symbols, ops, size, keep=_RESCORE,
                               stop=lambda: bool(solver.check()))
    solver.progress("enumerate", size=size, evaluated=en.scored)
    singles = _front(problem, [en.expr(r) for loss, r in en.best if loss <= _PROPOSE])
    values, recipes = en.stored()
    keep = torch.ones(values.shape[0], dtype=torch.bool, device=values.device)
    keep[problem.d:problem.d + 2] = False  # the constant leaves 1 and 2
    values, recipes = values[keep], recipes[keep]
    yc = y - y.mean()
    single = affine_loss(values, yc, float(yc @ yc))
    # anchors: the best singles and every expression of at most two nodes
    small = (recipes[:, 0] == 0) | ((recipes[:, 0] == 1) & (recipes[:, 2] < problem.d))
    order = torch.argsort(torch.nan_to_num(single, nan=2.0))[:_ANCHORS]
    anchors = torch.unique(torch.cat([order, torch.nonzero(small).flatten()]))
    pairs = [(en.expr(recipes[i]), en.expr(recipes[j]))
             for loss, i, j in best_pairs(values, y, anchors, keep=_PAIRS) if loss <= _PROPOSE]
    for expr in singles:
        yield f"size<={size}", _affine(problem, rows, expr)
    for a, b in pairs:
        yield f"size<={size} pair", _affine(problem, rows, a, b)
    for expr in singles[:2]:  # constants inside the functions of the best
        inner = _inner_constants(expr)
        if inner != expr:
            yield f"size<={size}, inner constants", _affine(problem, rows, inner)


LEVER = Lever("enumerate", "terminal", _applies, _propose)
