"""Reducer ``symmetries``: two inputs that enter only as ``x − y`` or ``x + y`` become one.

AI Feynman's symmetry tests, done on the surrogate's gradients rather than by shifting
inputs: ``f`` depends on ``x_i`` and ``x_j`` only through ``x_i − x_j`` exactly when
``∂f/∂x_i + ∂f/∂x_j = 0`` everywhere, and only through ``x_i + x_j`` when
``∂f/∂x_i − ∂f/∂x_j = 0``. Each pair is scored by the mean square of that combination
over the mean square of the two gradients (0: a symmetry; about 1: none). Disjoint pairs
that pass are replaced together (distances ``√((x2 − x1)² + (y2 − y1)²)`` lose two
variables, a phase ``θ1 − θ2`` one), the smaller problem is solved by the same solver on
the real rows, and its formulas come back with each new variable written out.

The same gradients, in log coordinates, give the law's neural feature matrix (AGOP,
`log_feature_matrix`): its spectrum counts the dimensionless groups, which the top
problem keeps as a finding (``solver.structure``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import sympy

from symkan.formula.numeric import evenly_spaced
from symkan.search.networks import gradients
from symkan.search.surrogate import surrogate
from symkan.search.types import Lever, Problem, best_first

_ROWS = 400  # rows at which the gradients are taken
_TOL = 0.08  # a pair's score must be below this (or 2 × the surrogate's error)
_GAP = 0.5  # ... and below this × the score of any rival pair sharing a variable
_KINDS = {"-": 1.0, "+": -1.0}  # x_i − x_j: ∂i + ∂j = 0;  x_i + x_j: ∂i − ∂j = 0


def pair_scores(grad: np.ndarray) -> list[tuple[float, str, int, int]]:
    """``(score, kind, i, j)`` for every pair and kind, lowest score first; ``grad`` (n, d)."""
    out = []
    power = np.mean(grad**2, axis=0)  # (d,)
    for i, j in itertools.combinations(range(grad.shape[1]), 2):
        both = power[i] + power[j]
        if not np.isfinite(both) or both == 0 or min(power[i], power[j]) < 1e-6 * both:
            continue  # one of them barely matters: nothing to pair
        for kind, sign in _KINDS.items():
            score = float(np.mean((grad[:, i] + sign * grad[:, j]) ** 2) / both)
            if np.isfinite(score):  # a surrogate that overflows says nothing
                out.append((score, kind, i, j))
    return sorted(out)


def log_feature_matrix(X: np.ndarray, f: np.ndarray, grad: np.ndarray) -> dict | None:
    """The centred AGOP of ``log|f|`` in log coordinates: eigenvalues (relative to the
    largest) and eigenvectors over the columns, and the mean log-gradient (the
    exponents of the prefactor). ``None`` where ``f`` vanishes or changes sign."""
    if not (np.all(f > 0) or np.all(f < 0)):
        return None
    u = X * grad / f[:, None]  # ∂ log|f| / ∂ log|x|, (n, d)
    if not np.all(np.isfinite(u)):
        return None
    cov = np.cov(u, rowvar=False).reshape(X.shape[1], X.shape[1])
    vals, vecs = np.linalg.eigh(cov)
    order = np.argsort(vals)[::-1]
    vals, vecs = np.maximum(vals[order], 0.0), vecs[:, order]
    top = vals[0] or 1.0
    return {"eigenvalues": [round(float(v / top), 6) for v in vals],
            "vectors": [[round(float(c), 4) for c in vecs[:, k]] for k in range(len(vals))],
            "mean": [round(float(m), 4) for m in u.mean(0)]}


def _reduction(scores, tol: float) -> list[tuple[str, int, int]]:
    """Disjoint translations ``x_i − x_j`` that pass, best first.

    A pair passes when its score is below ``tol`` and below half the score of every other
    pair sharing one of its variables: a surrogate too rough to tell ``x1 − x2`` from
    ``x1 − y2`` gives no reduction rather than a guess.
    """
    shifts = [s for s in scores if s[1] == "-"]
    used: set[int] = set()
    chosen = []
    for score, kind, i, j in shifts:
        if score > tol:
            break
        rivals = [s for s, _, a, b in shifts if {a, b} & {i, j} and {a, b} != {i, j}]
        if i in used or j in used or (rivals and score > _GAP * min(rivals)):
            continue
        chosen.append((kind, i, j))
        used |= {i, j}
    return chosen


def _applies(problem: Problem, solver) -> bool:
    # the user's problem only: inside sub-problems it cost more time than it found laws
    return problem.depth == 0 and problem.d >= 2


def _propose(problem: Problem, solver) -> Iterator[tuple[str, sympy.Expr]]:
    sur = surrogate(problem, solver)
    idx = evenly_spaced(len(problem.y), _ROWS)
    X = problem.X[idx]
    f, grad = gradients(sur.model, X, solver.device)
    scores = pair_scores(grad)
    tol = max(_TOL, 2 * sur.rel_error)
    names = [s.name for s in problem.symbols]
    if problem.depth == 0:
        solver.structure["symmetries"] = [
            {"pair": f"{names[i]} {kind} {names[j]}", "score": round(s, 6)}
            for s, kind, i, j in scores[:6]]
        agop = log_feature_matrix(X, f, grad)
        if agop is not None:
            solver.structure["log_feature_matrix"] = {"variables": names, **agop}
    pairs = _reduction(scores, tol)
    if not pairs:
        return
    solver.progress("symmetries", pairs=[(k, names[i], names[j]) for k, i, j in pairs])
    gone = {j for _, _, j in pairs}
    keep = [c for c in range(problem.d) if c not in gone]
    symbols, new_cols, new_cols_v, back = [], [], [], {}
    firsts = {i: (kind, j) for kind, i, j in pairs}
    for c in keep:
        if c not in firsts:
            symbols.append(problem.symbols[c])
            new_cols.append(problem.X[:, c])
            new_cols_v.append(problem.Xv[:, c])
            continue
        kind, j = firsts[c]
        sign = _KINDS[kind]
        col = problem.X[:, c] - sign * problem.X[:, j]
        orient = -1.0 if kind == "-" and np.median(col) < 0 else 1.0  # mostly positive
        z = sympy.Symbol(f"s{problem.depth}_{len(back)}", real=True)
        back[z] = orient * (problem.symbols[c] - sign * problem.symbols[j])
        symbols.append(z)
        new_cols.append(orient * col)
        new_cols_v.append(orient * (problem.Xv[:, c] - sign * problem.Xv[:, j]))
    sub = problem.sub(np.column_stack(new_cols), problem.y, np.column_stack(new_cols_v),
                      problem.yv, symbols, "symmetries")
    label = ", ".join(f"{names[i]}{kind}{names[j]}" for kind, i, j in pairs)
    for cand in best_first(solver.solve(sub, share=0.5), sub.scale):
        yield f"{label} {cand.method}", cand.expr.xreplace(back)


LEVER = Lever("symmetries", "reducer", _applies, _propose)
