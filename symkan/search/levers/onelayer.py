"""Terminal lever ``additive``: one-layer KANs ``[d, 1]`` on ``log|y|`` and on ``y``.

A sum of one-variable functions is exactly what a single KAN layer computes; a product of
them is a sum in log space (the KAN paper's ``x/y = exp(log x − log y)``). Both are fitted
on the problem's own rows, not a surrogate, and snapped edge by edge. The networks of
the top problem are kept (``solver.artifacts["onelayer"]``) so a diagram can draw the
network whose formula was chosen: for a product, the ``[d, 1, 1]`` network whose last
edge is ``exp`` (`symkan.search.networks.through_exp`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import sympy

from symkan.formula import network_expression
from symkan.search.networks import new_kan, refine, through_exp, to_tensor
from symkan.search.noise import log_rows
from symkan.search.types import Lever, Problem
from symkan.symbolic.snap import snap


def _applies(problem: Problem, solver) -> bool:
    # for one input the composite lever fits every primitive directly; the top problem
    # still gets its one-layer network (it is what the diagram draws)
    return problem.d >= 2 or problem.depth == 0


def _propose(problem: Problem, solver) -> Iterator[tuple[str, sympy.Expr]]:
    X, y, symbols = problem.X, problem.y, problem.symbols
    config, device, library = solver.config, solver.device, solver.library
    targets = [("", y, None, slice(None))]
    rows = log_rows(y, problem.noise)
    if rows is not None:  # products first: most laws are monomials
        sign = float(np.sign(y[rows][0]))
        targets.insert(0, ("log|y|", np.log(np.abs(y[rows])), sign, rows))
        if not rows.all() and problem.depth == 0:
            solver.progress("note", text=f"log|y|: {int((~rows).sum())} rows within the noise "
                            "of zero (a few with their sign flipped) left out")
    for label, target, sgn, keep in targets:
        Xk = X[keep]
        Xt = to_tensor(Xk, device)
        model = new_kan((X.shape[1], 1), Xk, target, config.grid_sizes[0], config.seed, device)
        steps = config.steps if problem.depth == 0 else max(config.steps // 2, 10)
        model, _ = refine(model, Xt, to_tensor(target[:, None], device), config.grid_sizes,
                          steps, check=solver.check)
        if sgn is None:
            snapped = snap(model, Xt, library)
            expr = network_expression(snapped, symbols, library)
            net = model
        else:
            net = through_exp(model, Xt, y[keep], sgn)  # the network that computes y itself
            snapped = snap(net, Xt, library)
            # its first layer is the log-space network's: log|y| is read from those edges
            log_snapped = replace(
                snapped, widths=model.widths,
                edges=tuple(e for e in snapped.edges if e.layer == 0),
                out_shift=float(model.out_shift[0]), out_scale=float(model.out_scale[0]))
            expr = sympy.Float(sgn) * sympy.exp(network_expression(log_snapped, symbols,
                                                                   library))
        if problem.depth == 0:
            solver.artifacts.setdefault("onelayer", []).append(
                (f"additive {label}".strip(), net, snapped))
        yield label, expr


LEVER = Lever("additive", "terminal", _applies, _propose)
