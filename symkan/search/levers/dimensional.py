"""Reducer ``units``: dimensional analysis when the columns' units are given.

The law is written as a monomial carrying the target's units times a function of the
dimensionless groups (Buckingham π, `symkan.search.units.reduce`); that smaller problem, on the
same rows, is solved by the same solver and its formulas are mapped back to the columns.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import sympy

from symkan.search import units
from symkan.search.types import Lever, Problem, best_first


def _applies(problem: Problem, solver) -> bool:
    return problem.depth == 0 and solver.config.units is not None


def _propose(problem: Problem, solver) -> Iterator[tuple[str, sympy.Expr]]:
    features, target = solver.names
    vecs, tvec = units.units_for(solver.config.units, features, target)
    reduction = units.reduce(vecs, tvec, problem.X)
    if reduction is None:
        return
    symbols = problem.symbols
    scale = reduction.scale_expr(symbols)
    Z, g = reduction.transform(problem.X, problem.y)
    Zv, gv = reduction.transform(problem.Xv, problem.yv)
    if not all(np.all(np.isfinite(a)) for a in (Z, g, Zv, gv)):
        return
    if reduction.n_groups == 0 or np.std(g) <= 1e-12 * abs(np.mean(g)):
        yield "", sympy.Float(float(np.mean(g))) * scale
        return
    group_symbols = [sympy.Symbol(f"group{j + 1}", positive=True)
                     for j in range(reduction.n_groups)]
    sub = problem.sub(Z, g, Zv, gv, group_symbols, "units",
                      weights=reduction.weights(problem.X, problem.Xv))
    groups = dict(zip(group_symbols, reduction.group_exprs(symbols)))
    for cand in best_first(solver.solve(sub, share=0.6), sub.scale):
        yield cand.method, cand.expr.subs(groups) * scale


LEVER = Lever("units", "reducer", _applies, _propose)
