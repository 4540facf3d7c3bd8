"""Snap every edge of a trained KAN to a primitive ``c*f(a*x+b)+d``.

All edges of all layers are fitted in one batched call of `fit_edges`: the samples of
edge ``i → j`` of layer ``l`` are that layer's input ``h_l[:, i]`` and the edge's value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch

from symkan.kan.network import KAN
from symkan.symbolic.fit import fit_edges
from symkan.symbolic.library import DEFAULT_LIBRARY, Primitive


@dataclass(frozen=True)
class SnappedEdge:
    layer: int
    i: int  # input node
    j: int  # output node
    name: str  # primitive
    a: float
    b: float
    c: float
    d: float
    r2: float  # held-out R² of the snap on this edge's samples


@dataclass(frozen=True)
class SnappedKAN:
    """A KAN whose edges are symbolic: enough to write its formula and draw it."""

    widths: tuple[int, ...]
    edges: tuple[SnappedEdge, ...]
    in_shift: tuple[float, ...]
    in_scale: tuple[float, ...]
    out_shift: float
    out_scale: float


def snap(
    model: KAN,
    X: torch.Tensor,
    library: Mapping[str, Primitive] = DEFAULT_LIBRARY,
    *,
    max_samples: int = 512,
) -> SnappedKAN:
    """Fit every live edge of ``model`` on the samples ``X`` (raw inputs, (n, d))."""
    if X.shape[0] > max_samples:
        X = X[torch.linspace(0, X.shape[0] - 1, max_samples).round().long()]
    with torch.no_grad():
        traced = model.trace(X)
    xs, ys, where = [], [], []
    for layer, ((h, acts), mod) in enumerate(zip(traced, model.layers)):
        for j, i in torch.nonzero(mod.mask > 0).tolist():
            xs.append(h[:, i])
            ys.append(acts[:, j, i])
            where.append((layer, i, j))
    fits = fit_edges(torch.stack(xs, 1), torch.stack(ys, 1), library)  # (n, E) each
    edges = tuple(
        SnappedEdge(layer, i, j, fits.names[e], *map(float, fits.params[e]), float(fits.r2[e]))
        for e, (layer, i, j) in enumerate(where)
    )
    return SnappedKAN(
        widths=model.widths,
        edges=edges,
        in_shift=tuple(model.in_shift.tolist()),
        in_scale=tuple(model.in_scale.tolist()),
        out_shift=float(model.out_shift[0]),
        out_scale=float(model.out_scale[0]),
    )
