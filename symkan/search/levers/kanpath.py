"""Terminal lever ``kan``: a KAN trained with sparsity, pruned, snapped edge by edge.

The general fallback of the top problem, and the network a diagram draws when no
one-layer network computes the chosen formula. Its artifacts are kept in
``solver.artifacts["kan"]``; with ``config.restarts`` more runs follow (new seed, wider,
stronger pruning) while nothing is exact.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import sympy

from symkan.formula import network_expression
from symkan.search.networks import to_tensor, train_network
from symkan.search.types import Lever, Problem
from symkan.symbolic.snap import snap


def _applies(problem: Problem, solver) -> bool:
    return problem.depth == 0


def _propose(problem: Problem, solver) -> Iterator[tuple[str, sympy.Expr]]:
    X, y, symbols = problem.X, problem.y, problem.symbols
    config, device = solver.config, solver.device
    runs = [config]
    d = X.shape[1]
    for r in range(1, config.restarts + 1):
        runs.append(replace(
            config, seed=config.seed + r, hidden=(config.hidden or min(2 * d + 1, 9)) + 2 * r,
            prune=replace(config.prune, edge_threshold=config.prune.edge_threshold * (1 + r),
                          node_threshold=config.prune.node_threshold * (1 + r))))
    for r, run in enumerate(runs):
        solver.progress("train", phase="KAN" if r == 0 else f"KAN restart {r}")
        network = train_network(X, y, run, device, solver.on_progress, check=solver.check)
        pruned = network.pruned
        solver.progress("prune", widths=pruned.model.widths, inputs=pruned.inputs)
        solver.progress("snap")
        snapped = snap(pruned.model, to_tensor(X[:, list(pruned.inputs)], device),
                       solver.library)
        if r == 0:
            solver.artifacts["kan"] = (network, snapped)
        yield ("" if r == 0 else f"restart {r}"), network_expression(
            snapped, [symbols[i] for i in pruned.inputs], solver.library)


LEVER = Lever("kan", "terminal", _applies, _propose)
