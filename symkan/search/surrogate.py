"""The problem's surrogate: one unpruned KAN trained on its rows, shared by the levers.

The separable split probes it with mixed differences, the symmetry tests with its
gradients; it is trained once per problem (kept in ``solver.memo``) and its relative
error on the validation rows says how far its answers can be trusted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symkan import formula
from symkan.kan.network import KAN
from symkan.search.networks import as_function, train_surrogate
from symkan.search.types import Problem


@dataclass(frozen=True)
class Surrogate:
    model: KAN
    f: object  # Callable[[np.ndarray], np.ndarray]: (n, d) rows → (n,)
    rel_error: float  # rms error on the validation rows / std(y)


def surrogate(problem: Problem, solver) -> Surrogate:
    """The surrogate of ``problem``, trained on first use and then reused."""
    key = ("surrogate", id(problem))
    held = solver.memo.get(key)
    if held is not None and held[0] is problem:
        return held[1]
    solver.progress("train", phase="surrogate")
    model, _ = train_surrogate(problem.X, problem.y, solver.config, solver.device,
                               solver.on_progress, check=solver.check)
    f = as_function(model, solver.device)
    with np.errstate(all="ignore"):
        eps = formula.rmse_of(f(problem.Xv), problem.yv) / problem.scale
    out = Surrogate(model, f, eps)
    solver.memo[key] = (problem, out)
    return out
