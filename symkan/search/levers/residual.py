"""Reducer ``residual``: what the best formula so far leaves unexplained, solved on its own.

A formula can explain most of a law and miss a small part: a split of
``x0·x1 + sin(x2)`` on a wide box finds ``x0·x1`` and drops the small sine as noise. When
one of the problem's candidates, cleaned, explains most of the variance but is not exact,
its residual ``y − f(x)`` on the same rows is a new problem for the solver; each formula
``g`` found for it gives the candidate ``f + g``, which the solver refits and scores on
the real rows like any other (a wrong split of the work cannot win).
"""

from __future__ import annotations

from collections.abc import Iterator

import sympy

from symkan.formula import complexity, evaluate
from symkan.search.types import Lever, Problem, ranked

_BASES = 2  # candidates whose residuals are tried
_MAX_COMPLEXITY = 30  # a base must be small: a large one has already absorbed its residual
_EXPLAINED = 0.3  # a base's rms error must be below this × std(y) (R² > 0.91)


def _applies(problem: Problem, solver) -> bool:
    # the user's problem only: inside sub-problems it cost more time than it found laws
    return problem.depth == 0


def _bases(problem: Problem, solver) -> list:
    """The cleaned candidates worth a residual: small, most of the variance, not exact."""
    scale = problem.scale
    pool = sorted(solver.found_so_far(), key=lambda c: c.val_rmse)
    out: list = []
    for cand in pool[: 3 * _BASES]:
        if not 1e-9 * scale < cand.val_rmse < _EXPLAINED * scale:
            continue
        cand = solver.cleaned(cand, problem)
        seen = {str(b.expr) for b in out}
        if (complexity(cand.expr) <= _MAX_COMPLEXITY and cand.val_rmse < _EXPLAINED * scale
                and str(cand.expr) not in seen):
            out.append(cand)
        if len(out) == _BASES:
            break
    return out


def _propose(problem: Problem, solver) -> Iterator[tuple[str, sympy.Expr]]:
    bases = _bases(problem, solver)
    for k, base in enumerate(bases):
        f, fv = (evaluate(base.expr, problem.symbols, X) for X in (problem.X, problem.Xv))
        sub = problem.retarget(problem.y - f, problem.yv - fv, "residual")
        if sub is None:
            continue
        for cand in ranked(solver.solve(sub, share=0.5 / (len(bases) - k))):
            yield f"{base.method} + {cand.method}", base.expr + cand.expr


LEVER = Lever("residual", "reducer", _applies, _propose)
