"""The Pareto front of formulas (complexity vs held-out error) and the choice among them.

Like PySR's hall of fame: every run keeps, at each complexity, the formula with the lowest
held-out error, as long as it beats every simpler one. `pareto_front` builds that front from
the pipeline's candidates, `select` picks the formula ``predict`` uses, and `simpler_forms`
derives cheap simpler variants of a formula (a function replaced by its linear form, a term
dropped) so the front shows the approximations as well as the exact law.

Losses are held-out RMSEs (the validation rows, which no constant was fitted to);
complexity is the number of nodes of the sympy expression tree (`symkan.formula.complexity`).

Examples
--------
>>> import sympy
>>> from symkan.search.types import Candidate
>>> x = sympy.Symbol("x", real=True)
>>> cands = [Candidate("a", sympy.Float(0.4), 0.14, 1), Candidate("b", x, 0.008, 1),
...          Candidate("c", sympy.sin(x), 0.0, 2), Candidate("d", 0.98 * x + 0.01, 0.002, 5)]
>>> [str(c.expr) for c in pareto_front(cands)]
['x', 'sin(x)']
>>> str(select(pareto_front(cands), "best", scale=0.14).expr)
'sin(x)'
>>> str(select(pareto_front(cands), "simplest", scale=0.14).expr)
'x'
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import sympy

from symkan import formula
from symkan.errors import InputError
from symkan.formula import complexity
from symkan.search.types import MODEL_SELECTIONS, Candidate

__all__ = ["MODEL_SELECTIONS", "pareto_front", "scores", "select", "simpler_forms"]

# "best": formulas within this factor of the lowest held-out loss are "as good".
_BEST_FACTOR = 1.5
# Losses at or below this fraction of std(y) are rounding error: all of them are "exact".
_EXACT = 1e-9
# "simplest": the least complex formula with held-out RMSE <= this fraction of std(y)
# (that is, held-out R² >= 0.99).
_SIMPLE_ENOUGH = 0.1


def _loss(c: Candidate) -> float:
    return c.val_rmse if math.isfinite(c.val_rmse) else math.inf


def pareto_front(candidates: Sequence[Candidate]) -> tuple[Candidate, ...]:
    """The non-dominated candidates, sorted by complexity (simplest first).

    A candidate is on the front when every simpler candidate has a strictly higher held-out
    loss. At equal complexity the lowest loss wins; remaining ties go to the first candidate
    in the given order (the pipeline's order is deterministic), so the front is too.
    Candidates with an infinite or NaN loss are never on it.

    Parameters
    ----------
    candidates : sequence of `symkan.pipeline.Candidate`

    Returns
    -------
    tuple of Candidate
        Complexity strictly increasing, loss strictly decreasing.
    """
    order = sorted(range(len(candidates)),
                   key=lambda i: (candidates[i].complexity, _loss(candidates[i]), i))
    front: list[Candidate] = []
    for i in order:
        c = candidates[i]
        if not math.isfinite(_loss(c)):
            continue
        if front and (c.complexity == front[-1].complexity or _loss(c) >= _loss(front[-1])):
            continue
        front.append(c)
    return tuple(front)


def scores(front: Sequence[Candidate]) -> list[float]:
    """PySR's score of each formula: ``-Δlog(loss) / Δcomplexity`` against the previous one.

    The first (simplest) formula scores 0. Losses are floored at 1e-300 so an exact formula
    (loss 0) has a finite, large score.
    """
    out, prev = [], None
    for c in front:
        loss = max(_loss(c), 1e-300)
        if prev is None:
            out.append(0.0)
        else:
            dc = max(c.complexity - prev[0], 1)
            out.append(-(math.log(loss) - math.log(prev[1])) / dc)
        prev = (c.complexity, loss)
    return out


def select(front: Sequence[Candidate], model_selection: str = "best", *,
           scale: float = 1.0, parsimony: float | None = None) -> Candidate:
    """The formula a fit reports and ``predict`` uses.

    * ``"best"``: the simplest formula whose held-out loss is at most 1.5× the lowest on the
      front (or at most ``1e-9 * scale``, rounding error on noiseless data). PySR instead takes,
      among those within 1.5×, the one with the highest `scores`; on noiseless data that
      can prefer a more complex formula whose loss is lower only by rounding error, so
      symkan keeps the simplest. On a front the two differ only in that case.
    * ``"accuracy"``: the lowest held-out loss (the most complex formula on a front).
    * ``"simplest"``: the least complex formula whose held-out RMSE is at most
      ``0.1 * scale`` (held-out R² ≥ 0.99 when ``scale`` is the target's standard
      deviation); the most accurate one if none is.

    With ``parsimony`` given, ``"best"`` is instead the formula with the lowest
    ``loss / scale + parsimony * complexity``: each node more must cut the held-out RMSE
    by ``parsimony`` × the target's spread (0.01: by 1 % of it). 0 picks the most accurate.

    Parameters
    ----------
    front : the Pareto front (or any candidates; the choice is the same).
    model_selection : "best", "accuracy" or "simplest".
    scale : the target's standard deviation.
    """
    if model_selection not in MODEL_SELECTIONS:
        raise InputError(
            f"model_selection={model_selection!r} is not one of {list(MODEL_SELECTIONS)}; "
            "use 'best' (the default), 'accuracy' or 'simplest'"
        )
    front = [c for c in front if math.isfinite(_loss(c))] or list(front)
    if not front:
        raise InputError("no formula to choose from: the Pareto front is empty")
    lowest = min(front, key=lambda c: (_loss(c), c.complexity))
    if model_selection == "accuracy":
        return lowest
    if model_selection == "best" and parsimony is not None:
        return min(front, key=lambda c: (_loss(c) / scale + parsimony * c.complexity,
                                         c.complexity))
    if model_selection == "best":
        limit = max(_BEST_FACTOR * _loss(lowest), _EXACT * scale)
    else:
        limit = max(_SIMPLE_ENOUGH * scale, _loss(lowest))
    return min((c for c in front if _loss(c) <= limit), key=lambda c: (c.complexity, _loss(c)))


def _linear_form(node: sympy.Expr, symbols, X: np.ndarray) -> sympy.Expr | None:
    """``f(arg)`` → its first-order Taylor form at the mean of ``arg`` on the rows ``X``."""
    point = formula.taylor_point(node, symbols, X)
    if point is None:
        return None
    m, slope, at = point
    return sympy.Float(slope) * node.args[0] + sympy.Float(at - slope * m)


def simpler_forms(
    expr: sympy.Expr, symbols: Sequence[sympy.Symbol], fit_xy: tuple[np.ndarray, np.ndarray],
    val_xy: tuple[np.ndarray, np.ndarray], *, max_forms: int = 4, max_complexity: int = 30,
) -> list[sympy.Expr]:
    """Simpler variants of a finished formula, for the front: cheap and bounded.

    Each variant is one edit of `expr` followed by a refit of its constants on the fitting
    rows and a loose snap (constants become nice numbers while the fitting RMSE stays below
    10 % of ``std(y)``): a function ``f(arg)`` replaced by its linear form at the mean of
    ``arg`` (``sin(x) → x`` on a small range), or one top-level term dropped. At most
    `max_forms` edits are tried, and none on formulas above `max_complexity`. Whether a
    variant earns a place is for `pareto_front` to judge on held-out rows.

    Parameters
    ----------
    expr : the finished formula, in `symbols`.
    fit_xy, val_xy : (X, y) of the fitting and the validation rows.

    Returns
    -------
    list of sympy.Expr
        The variants that differ from `expr` and from each other.
    """
    if complexity(expr) > max_complexity:
        return []
    X, y = fit_xy
    edits: list[sympy.Expr] = []
    for node in formula.function_nodes(expr)[::-1]:  # outermost first: the biggest simplification
        linear = _linear_form(node, symbols, X)
        if linear is not None:
            edits.append(expr.xreplace({node: linear}))
    if expr.is_Add and len(expr.args) > 1:
        edits += [expr - term for term in expr.args if term.free_symbols]
    out: list[sympy.Expr] = []
    for edit in edits[:max_forms]:
        try:
            form = formula.refit_constants(edit, symbols, X, y)
            form = formula.snap_constants(form, symbols, X, y, rel_tol=_SIMPLE_ENOUGH)
        except (ValueError, TypeError, ZeroDivisionError, OverflowError):
            continue
        if form != expr and all(form != o for o in out) and form.free_symbols:
            out.append(form)
    return out
