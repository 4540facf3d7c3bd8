"""The user's own forms: ``guess`` (a formula to score) and ``template`` (a formula with
one unknown function for the search to find).

Both act on the user's table only (depth 0) and whenever the user gave one, whatever
``methods`` says (`Lever.user`). A guess is proposed as written, its constants refitted by
the solver like any candidate. A template ``T(f(a1, …), x)`` is solved for its unknown
call: ``f(a1, …) = S(y, x)`` (sympy's ``solve``), so the rows give ``f``'s values at
``a1, …``; that smaller problem goes to the same solver, and each formula it finds is put
back into the template.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import sympy

from symkan.formula import evaluate
from symkan.search.types import Lever, Problem, ranked

_KEEP = 3  # formulas of the unknown function put back into the template
TARGET = sympy.Symbol("_target", real=True)  # y, in a template solved for its unknown


def _guess_applies(problem: Problem, solver) -> bool:
    steer = getattr(solver, "steering", None)
    return problem.depth == 0 and steer is not None and bool(steer.guesses)


def _guess_propose(problem: Problem, solver) -> Iterator[tuple[str, sympy.Expr]]:
    yield from solver.steering.guesses


def _template_applies(problem: Problem, solver) -> bool:
    steer = getattr(solver, "steering", None)
    return problem.depth == 0 and steer is not None and bool(steer.templates)


def solved_for(template: sympy.Expr, call: sympy.Expr) -> list[sympy.Expr]:
    """``template = y`` solved for ``call``: expressions in the template's symbols and
    `TARGET` (empty when sympy cannot solve it)."""
    unknown = sympy.Dummy("f")
    try:
        return list(sympy.solve(sympy.Eq(template.xreplace({call: unknown}), TARGET), unknown))
    except (NotImplementedError, ValueError, TypeError):
        return []


def _values(expr: sympy.Expr, problem: Problem, y: np.ndarray, X: np.ndarray) -> np.ndarray:
    return evaluate(expr, (*problem.symbols, TARGET), np.column_stack([X, y]))


def _inputs(call: sympy.Expr) -> tuple[sympy.Symbol, ...]:
    """A symbol per argument of ``call``: the column itself, or ``u0, u1, …`` for an
    expression of columns."""
    return tuple(a if a.is_Symbol else sympy.Symbol(f"u{i}", real=True)
                 for i, a in enumerate(call.args))


def _template_propose(problem: Problem, solver) -> Iterator[tuple[str, sympy.Expr]]:
    for text, template, call in solver.steering.templates:
        inner = _inputs(call)
        U = np.column_stack([evaluate(a, problem.symbols, problem.X) for a in call.args])
        Uv = np.column_stack([evaluate(a, problem.symbols, problem.Xv) for a in call.args])
        if not (np.all(np.isfinite(U)) and np.all(np.isfinite(Uv))):
            continue
        for solution in solved_for(template, call):
            z = _values(solution, problem, problem.y, problem.X)
            zv = _values(solution, problem, problem.yv, problem.Xv)
            if not (np.all(np.isfinite(z)) and np.all(np.isfinite(zv))) or np.std(z) == 0:
                continue  # this branch of the solution does not hold on the rows
            sub = problem.sub(U, z, Uv, zv, inner, f"template {call.func}")
            back = dict(zip(inner, call.args))
            for cand in ranked(solver.solve(sub, share=0.8), _KEEP):
                found = cand.expr.xreplace(back)
                yield f"{text}: {call.func} = {cand.method}", template.xreplace({call: found})


GUESS = Lever("guess", "terminal", _guess_applies, _guess_propose, user=True)
TEMPLATE = Lever("template", "reducer", _template_applies, _template_propose, user=True)
