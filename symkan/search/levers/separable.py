"""Reducer ``separable``: split the law into sums and products on a KAN surrogate.

An unpruned KAN surrogate is trained on the problem's rows; mixed differences split it
into a tree of sums, products and products with an offset (`symkan.search.decompose`). Each
one-variable leaf is fitted symbolically on the surrogate's restricted function, keeping
a few forms; each non-separable block becomes a sub-problem on the REAL rows — its
target is the rows' ``y`` with the rest of the tree peeled off (divided out of a
product, subtracted from a sum) — solved by the same solver. The composed formulas are
then chosen on the real rows: leaf by leaf, another kept form replaces the current one
when the end-to-end refit says it fits better.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import sympy

from symkan import formula
from symkan.formula import complexity
from symkan.formula.numeric import evenly_spaced
from symkan.search.decompose import Node, restricted, separate
from symkan.search.surrogate import surrogate
from symkan.search.types import Lever, Problem, ranked
from symkan.symbolic.univariate import choose, leaf_options

_ERRORS = (ValueError, TypeError, ZeroDivisionError, OverflowError, ArithmeticError)
_LEAF_FORMS = 4  # forms kept per leaf
_BLOCK_FORMS = 2  # sub-problem candidates kept per block
_SAMPLES = 256  # points of a leaf's restricted function


def _trees(problem: Problem, solver):
    """The surrogate and the distinct separability trees it gives (several thresholds)."""
    X, config = problem.X, solver.config
    sur = surrogate(problem, solver)
    f, eps = sur.f, sur.rel_error
    low, high = X.min(0), X.max(0)
    trees: list[Node] = []
    for rule, mult in [("gap", 1.5)] + [("fixed", m) for m in (1.5, 3.0, 6.0)]:
        sep = replace(config.separability, rule=rule, tol=max(mult * eps, 1e-3),
                      cap=max(3 * eps, 1e-2))
        tree = separate(f, low, high, rng=np.random.default_rng(config.seed), config=sep)
        if tree.kind != "block" and all(tree != t for t in trees):
            trees.append(tree)
    solver.progress("separate", surrogate_rel_rmse=eps, trees=trees)
    # full trees first (cheap: no sub-problem), then those with the smallest blocks
    trees.sort(key=lambda t: sum(len(b.vars) for b in t.leaves() if b.kind == "block"))
    return f, eps, trees


def _leaf_forms(leaf: Node, f, symbols, low, high, library, abs_tol) -> list[sympy.Expr]:
    """A few symbolic forms of a one-variable leaf: strict, loose, then the next best."""
    v = leaf.vars[0]
    grid = np.linspace(low[v], high[v], _SAMPLES)
    X = np.tile((low + high) / 2, (_SAMPLES, 1))
    X[:, v] = grid
    options = leaf_options([grid], [restricted(f, leaf.fixed)(X)], [symbols[v]], library)[0]
    if not options:
        return []
    picks = [choose(options, abs_tol=m * abs_tol) for m in (1, 10, 100)]
    picks += sorted(options, key=lambda o: (o.rmse, o.complexity))
    forms: list[sympy.Expr] = []
    for o in picks:
        if all(o.expr != e for e in forms):
            forms.append(o.expr)
        if len(forms) >= _LEAF_FORMS:
            break
    return forms


def _combine(node: Node, parts: list):
    """A node's value from its children's (sympy expressions or numpy arrays)."""
    k = len(parts)
    if node.kind == "sum":
        out = parts[0]
        for p in parts[1:]:
            out = out + p
        return out - (k - 1) * node.value
    c = node.offset
    out = parts[0] - c
    for p in parts[1:]:
        out = out * (p - c)
    return c + out / (node.value - c) ** (k - 1)


def _build(node: Node, choice: dict[int, sympy.Expr]) -> sympy.Expr:
    if node.kind in ("leaf", "block"):
        return choice[id(node)]
    parts = [_build(child, choice) for child in node.children]
    return _combine(node, parts)


def _peel(node: Node, target: Node, t: np.ndarray, values: dict[int, np.ndarray]):
    """The values ``target`` must take on the rows for ``node`` to equal ``t``."""
    if node is target:
        return t
    for i, child in enumerate(node.children):
        if target in child.leaves() or child is target:
            others = [values[id(c)] for j, c in enumerate(node.children) if j != i]
            k = len(node.children)
            with np.errstate(all="ignore"):
                if node.kind == "sum":
                    inner = t - sum(others) + (k - 1) * node.value
                else:
                    c = node.offset
                    inner = c + (t - c) * (node.value - c) ** (k - 1) / np.prod(
                        [o - c for o in others], axis=0)
            return _peel(child, target, inner, values)
    raise ValueError("target is not in this tree")


def _node_values(node: Node, values: dict[int, np.ndarray]) -> np.ndarray:
    if node.kind in ("leaf", "block"):
        return values[id(node)]
    out = _combine(node, [_node_values(c, values) for c in node.children])
    values[id(node)] = out
    return out


def _block_forms(block: Node, tree: Node, f, forms, problem: Problem,
                 solver) -> list[sympy.Expr]:
    """Formulas of a block, solved as a sub-problem on the real rows."""
    def values_on(X):
        vals = {}
        for leaf in tree.leaves():
            if leaf.kind == "block":
                vals[id(leaf)] = restricted(f, leaf.fixed)(X)
            else:
                vals[id(leaf)] = formula.evaluate(forms[id(leaf)][0], problem.symbols, X)
        _node_values(tree, vals)
        return vals

    targets = []
    for X, y in ((problem.X, problem.y), (problem.Xv, problem.yv)):
        targets.append(_peel(tree, block, y, values_on(X)))
    t, tv = targets
    ok, okv = np.isfinite(t) & (np.abs(t) < 1e12), np.isfinite(tv) & (np.abs(tv) < 1e12)
    if ok.mean() < 0.95 or okv.mean() < 0.95:
        return []
    cols = list(block.vars)
    sub = problem.sub(problem.X[ok][:, cols], t[ok], problem.Xv[okv][:, cols], tv[okv],
                      [problem.symbols[i] for i in cols], "separable")
    return [c.expr for c in ranked(solver.solve(sub, share=0.4), _BLOCK_FORMS)]


def _score(expr, problem: Problem, rows: int = 300) -> tuple[float, sympy.Expr]:
    """Validation RMSE after a quick end-to-end refit (on at most ``rows`` fit rows)."""
    idx = evenly_spaced(len(problem.y), rows)
    try:
        fitted = formula.refit_constants(expr, problem.symbols, problem.X[idx],
                                         problem.y[idx], max_nfev=60)
        return formula.rmse(fitted, problem.symbols, problem.Xv, problem.yv), fitted
    except _ERRORS:
        return float("inf"), expr


def _backfit(tree: Node, forms: dict[int, list[sympy.Expr]], problem: Problem, library,
             passes: int = 2, rows: int = 256) -> None:
    """Each leaf refitted on the REAL rows, the rest of the tree peeled off (backfitting).

    A leaf's target is ``y`` with the other parts' current forms divided out or
    subtracted; their errors do not depend on this leaf's variable, so a fit on the
    leaf's variable averages them away, and a pass later the others are refitted
    against the better leaf. The forms found go first in the leaf's list.
    """
    idx = evenly_spaced(len(problem.y), rows)
    X, y = problem.X[idx], problem.y[idx]
    leaves = [leaf for leaf in tree.leaves() if leaf.kind == "leaf"]
    for _ in range(passes):
        for leaf in leaves:
            vals = {id(n): formula.evaluate(forms[id(n)][0], problem.symbols, X)
                    for n in tree.leaves()}
            _node_values(tree, vals)
            t = _peel(tree, leaf, y, vals)
            ok = np.isfinite(t) & (np.abs(t) < 1e12)
            if ok.mean() < 0.9 or np.std(t[ok]) == 0:
                continue
            v = leaf.vars[0]
            options = leaf_options([X[ok, v]], [t[ok]], [problem.symbols[v]], library)[0]
            if not options:
                continue
            best = min(options, key=lambda o: (o.rmse, o.complexity))
            new = [choose(options, rel_slack=1.1).expr, best.expr]
            kept = []
            for e in new + forms[id(leaf)]:
                if all(e != k for k in kept):
                    kept.append(e)
            forms[id(leaf)] = kept[: _LEAF_FORMS + 2]


def _choose_on_rows(tree: Node, forms: dict[int, list[sympy.Expr]], problem: Problem,
                    solver) -> Iterator[sympy.Expr]:
    """The strict combination, then leaves refitted on the rows and each leaf's other
    forms tried there, one leaf at a time."""
    choice = {k: v[0] for k, v in forms.items()}
    best_loss, _ = _score(_build(tree, choice), problem)
    yield _build(tree, choice)
    if best_loss <= 1e-9 * problem.scale:
        return
    library = getattr(solver, "library", None)
    if library is not None:
        solver.check()
        refitted = {k: list(v) for k, v in forms.items()}
        _backfit(tree, refitted, problem, library)
        trial = {k: v[0] for k, v in refitted.items()}
        loss, _ = _score(_build(tree, trial), problem)
        if loss < best_loss:
            best_loss, choice = loss, trial
            yield _build(tree, choice)
        for k, v in refitted.items():  # the refitted forms become alternatives
            forms[k] = [choice[k]] + [e for e in forms[k] + v if e != choice[k]]
            forms[k] = list(dict.fromkeys(forms[k]))[: _LEAF_FORMS + 2]
    improved = False
    for key, options in forms.items():
        for form in options[1:]:
            if best_loss <= 1e-9 * problem.scale:
                break
            solver.check()
            trial = {**choice, key: form}
            loss, _ = _score(_build(tree, trial), problem)
            if loss < 0.9 * best_loss:
                best_loss, choice, improved = loss, trial, True
    if improved:
        yield _build(tree, choice)


def _applies(problem: Problem, solver) -> bool:
    # a block made by this lever does not separate: it is for the other levers
    return problem.d >= 2 and not problem.path.endswith("separable")


def _propose(problem: Problem, solver) -> Iterator[tuple[str, sympy.Expr]]:
    f, eps, trees = _trees(problem, solver)
    low, high = problem.X.min(0), problem.X.max(0)
    abs_tol = 3 * eps * problem.scale
    for tree in trees:
        solver.check()
        forms: dict[int, list[sympy.Expr]] = {}
        for leaf in tree.leaves():
            if leaf.kind == "leaf":
                forms[id(leaf)] = _leaf_forms(leaf, f, problem.symbols, low, high,
                                              solver.library, abs_tol)
        if any(not v for v in forms.values()):
            continue
        blocks = [leaf for leaf in tree.leaves() if leaf.kind == "block"]
        ok = True
        for block in blocks:
            if len(block.vars) >= problem.d:
                ok = False
                break
            found = _block_forms(block, tree, f, forms, problem, solver)
            if not found:
                ok = False
                break
            forms[id(block)] = found
        if not ok:
            continue
        label = "with blocks" if blocks else ""
        for expr in _choose_on_rows(tree, forms, problem, solver):
            if complexity(expr) < 400:
                yield label, expr


LEVER = Lever("separable", "reducer", _applies, _propose)
