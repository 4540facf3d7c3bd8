"""The problem's surrogate: one network trained on its rows, shared by the levers.

The separable split probes it with mixed differences, the symmetry tests with its
gradients; it is trained once per problem (kept in ``solver.memo``) and its relative
error on the validation rows says how far its answers can be trusted (every threshold
that reads it scales with that error). The network is the best on the validation rows
of a closed-form one-layer KAN on ``y`` or ``log|y|`` and, when neither is close, a
deeper KAN trained by grid extension (`symkan.search.networks.train_surrogate`). The top
problem's surrogate is reported in ``solver.structure["surrogate"]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from symkan.search.networks import SurrogateFit, as_function, train_surrogate
from symkan.search.types import Problem


@dataclass(frozen=True)
class Surrogate:
    model: torch.nn.Module  # raw (n, d) inputs → (n, 1); a KAN, or exp of one
    f: object  # Callable[[np.ndarray], np.ndarray]: (n, d) rows → (n,)
    rel_error: float  # rms error on the validation rows / std(y)


def surrogate(problem: Problem, solver) -> Surrogate:
    """The surrogate of ``problem``, trained on first use and then reused."""
    key = ("surrogate", id(problem))
    held = solver.memo.get(key)
    if held is not None and held[0] is problem:
        return held[1]
    solver.progress("train", phase="surrogate")
    fit = _fit(problem, solver.config, solver.device, solver.on_progress, solver.check)
    out = Surrogate(fit.model, as_function(fit.model, solver.device), fit.rel_error)
    solver.memo[key] = (problem, out)
    if problem.depth == 0:
        solver.structure["surrogate"] = report(fit)
    return out


def train(problem: Problem, config, device) -> dict:
    """The `report` of ``problem``'s surrogate, trained outside a search (benchmarks
    report it for laws whose search never needed one)."""
    return report(_fit(problem, config, device))


def _fit(problem: Problem, config, device, on_progress=None, check=None) -> SurrogateFit:
    """`train_surrogate` on the problem's rows, its noise as the floor of "close enough"."""
    return train_surrogate(problem.X, problem.y, problem.Xv, problem.yv, config, device,
                           on_progress, check=check, floor=problem.noise / problem.scale)


def report(fit: SurrogateFit) -> dict:
    """What ``result.json`` says of a surrogate: its network, held-out relative error and
    every network tried (no clock: the same rows give the same report; its training time
    is in the seconds of the lever that first asked for it)."""
    return {"network": fit.kind, "rel_error": float(f"{fit.rel_error:.4g}"),
            "tried": [{"network": k, "rel_error": float(f"{e:.4g}")} for k, e in fit.tried]}
