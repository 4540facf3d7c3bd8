"""A hand-built fitted model (no training): a random KAN, snapped, and its formula."""

from __future__ import annotations

import numpy as np
import sympy
import torch

from symkan.data import from_arrays
from symkan.formula import network_expression
from symkan.kan import KAN
from symkan.kan.prune import edge_scores
from symkan.outputs.persist import FittedModel
from symkan.symbolic.snap import snap

NAMES5 = ("q", "Ef", "B", "v", "theta")


def hand_fitted(widths=(5, 5, 1), seed: int = 0, names=NAMES5, target: str = "F"):
    """(FittedModel, FitResult) of a random KAN of ``widths`` on uniform data in [1, 5]."""
    from symkan.pipeline import FitResult

    g = torch.Generator().manual_seed(seed)
    net = KAN(list(widths), generator=g)
    with torch.no_grad():
        for m in net.layers:
            m.coef.mul_(20)  # wiggly edges, so every primitive has something to fit
    d = widths[0]
    names = tuple(names[:d])
    X = np.random.default_rng(seed).uniform(1, 5, (200, d))
    with torch.no_grad():
        net.in_shift.copy_(torch.as_tensor((X.min(0) + X.max(0)) / 2))
        net.in_scale.copy_(torch.as_tensor((X.max(0) - X.min(0)) / 2))
    Xt = torch.as_tensor(X)
    snapped = snap(net, Xt)
    symbols = tuple(sympy.Symbol(n, real=True) for n in names)
    expr = network_expression(snapped, symbols)
    with torch.no_grad():
        y = net(Xt)[:, 0].numpy()
    scores = tuple(s.numpy() for s in edge_scores(net, Xt))
    result = FitResult(
        expr=expr, symbols=symbols, dataset=from_arrays(X, y, names, target_name=target),
        r2=0.9, rmse=0.1, network_r2=0.95, complexity=40, method="kan", seconds=1.5,
        device="cpu", widths=net.widths, model=net, snapped=snapped, inputs=tuple(range(d)),
        candidates=(), edge_scores=scores, losses=(1.0, 0.5, 0.25), settings={"seed": 0},
        trained=net,
    )
    fitted = FittedModel(expr, names, target, tuple(range(d)), net, net, snapped, scores,
                         (1.0, 0.5, 0.25), {"seed": 0}, {"formula": str(expr), "target": target},
                         X[:50], y[:50])
    return fitted, result
