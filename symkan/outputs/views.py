"""A fitted model → the plain `NetworkView` a diagram is drawn from, at one of four stages.

* ``formula``: the chosen formula compiled into its own network of sum and product nodes
  (`symkan.kan.compile`): the network that computes the law, drawn by default. A
  first-layer edge whose shape the pruned KAN also learned (an edge from the same input
  that matches it to R² ≥ 0.99 after scaling) carries that learned curve under its
  symbolic form;
* ``trained``: the network after sparse training, before pruning, all inputs;
* ``pruned``: the pruned network, every edge still a learned spline;
* ``snapped``: the pruned network with each edge's symbolic fit drawn over its spline.

Each edge carries its learned function sampled over the range its input actually takes
on the held-out rows (the x axis is the layer's input, which for the first layer is the
feature scaled to [-1, 1]) and, when snapped, the fit ``c*f(a*x+b)+d``. Edge strength is
the attribution score, scaled so the strongest edge is 1.
"""

from __future__ import annotations

import math

import numpy as np
import sympy
import torch

from symkan.errors import InputError
from symkan.export.sympy_code import exact_str
from symkan.formula.display import shown
from symkan.formula.numeric import rounded
from symkan.kan.compile import FormulaKAN, NotCompilable, compile_formula
from symkan.kan.prune import edge_scores
from symkan.outputs.diagram import EdgeView, NetworkView
from symkan.outputs.persist import FittedModel
from symkan.symbolic.library import DEFAULT_LIBRARY
from symkan.symbolic.snap import SnappedEdge

__all__ = ["STAGES", "diagram_title", "edge_text", "formula_view", "network_view"]

STAGES = ("formula", "trained", "pruned", "snapped")
_MATCH = 0.99  # R² a learned first-layer edge must reach to be drawn under a formula edge
_SAMPLES = 48
_X = sympy.Symbol("x", real=True)


def edge_text(e: SnappedEdge, digits: int = 2) -> str:
    """A short formula for a snapped edge, e.g. ``'0.5*sin(3.1*x + 0.1)'``.

    Offsets that are tiny next to the edge's scale are left out.

    Examples
    --------
    >>> edge_text(SnappedEdge(0, 0, 0, "sin", 3.14159, 0.0001, 0.5, -1e-9, 1.0))
    '0.5*sin(3.1*x)'
    """
    prim = DEFAULT_LIBRARY.get(e.name)
    if prim is None:
        return e.name

    def r(v: float, scale: float = 1.0) -> sympy.Float | int:
        if not math.isfinite(v) or abs(v) < 5e-3 * max(scale, 1e-300):
            return 0
        return sympy.Float(float(f"{v:.{digits}g}"), digits)

    a, b = r(e.a), r(e.b, max(abs(e.a), 1.0))
    c, d = r(e.c), r(e.d, max(abs(e.c), 1.0))
    expr = c * prim.sympy(a * _X + b) + d
    return sympy.sstr(expr)


def _scores(fm: FittedModel, stage: str, X: torch.Tensor) -> list[np.ndarray]:
    if stage == "trained":
        return [s.cpu().numpy() for s in edge_scores(fm.trained, X)]
    return [np.asarray(s) for s in fm.edge_scores]


def network_view(fm: FittedModel, stage: str = "formula", *, samples: int = _SAMPLES) -> NetworkView:
    """The network of ``fm`` at ``stage``, with edge curves for the diagram's pictures.

    Raises
    ------
    InputError
        ``stage`` is unknown, or ``"trained"`` when the model kept no trained network.
    """
    if stage not in STAGES:
        raise InputError(f"stage {stage!r} is unknown; choose one of {list(STAGES)}")
    if stage == "formula":
        return formula_view(fm, samples=samples)
    if stage == "trained":
        if fm.trained is None:
            raise InputError(
                "this model kept no trained (unpruned) network; draw stage 'pruned' or "
                "'snapped', or fit again"
            )
        net, cols = fm.trained, list(range(len(fm.feature_names)))
    else:
        net, cols = fm.model, list(fm.inputs)
    dev = net.in_shift.device
    X = torch.as_tensor(fm.X_test[:, cols], dtype=torch.float64, device=dev)  # (n, d)
    scores = _scores(fm, stage, X)
    top = max((float(np.max(s)) for s in scores if s.size), default=1.0) or 1.0
    fits = {}
    if stage == "snapped" and fm.snapped is not None:
        fits = {(e.layer, e.i, e.j): e for e in fm.snapped.edges}
    t = torch.linspace(0.0, 1.0, samples, dtype=torch.float64, device=dev)[:, None]  # (s, 1)
    edges: list[EdgeView] = []
    with torch.no_grad():
        for layer, (h, _) in enumerate(net.trace(X)):
            mod = net.layers[layer]
            lo, hi = h.min(0).values, h.max(0).values  # (in,)
            grid = lo + (hi - lo) * t  # (s, in)
            acts = mod.activations(grid).cpu().numpy()  # (s, out, in)
            grid_np = grid.cpu().numpy()
            mask = mod.mask.cpu().numpy()
            for j, i in zip(*np.nonzero(mask > 0)):
                i, j = int(i), int(j)
                xs = grid_np[:, i]
                e = fits.get((layer, i, j))
                prim = DEFAULT_LIBRARY.get(e.name) if e is not None else None
                fitted = None
                if prim is not None:
                    with np.errstate(all="ignore"):
                        fitted = e.c * np.asarray(prim.numpy(e.a * xs + e.b), float) + e.d
                        fitted = np.broadcast_to(fitted, xs.shape)
                strength = min(max(float(scores[layer][j, i]) / top, 0.0), 1.0)
                edges.append(EdgeView(
                    layer, i, j, e.name if e is not None else "spline",
                    edge_text(e) if e is not None else None, strength, e is not None,
                    tuple(map(float, xs)), tuple(map(float, acts[:, j, i])),
                    None if fitted is None else tuple(map(float, fitted)),
                ))
    names = tuple(fm.feature_names[i] for i in cols)
    return NetworkView(tuple(net.widths), tuple(edges), names, fm.target_name)


def diagram_title(fm: FittedModel, stage: str = "formula", width: int = 90,
                  max_lines: int = 3) -> str:
    """A title for the diagram: the formula for ``formula``, wrapped at ``width`` chars.

    A formula longer than ``max_lines`` lines is cut with "…" (the report shows it whole).
    """
    if stage == "trained":
        return "trained network (before pruning)"
    if stage == "snapped":
        return "snapped KAN: the pruned network, its edges snapped to primitives"
    if stage == "pruned":
        return "pruned network (edges are learned splines)"
    text = f"{fm.target_name} = {exact_str(shown(rounded(fm.expr, 4), fm.feature_names))}"
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    if len(lines) > max_lines:
        lines = [*lines[:max_lines - 1], lines[max_lines - 1] + " …  (see report.md)"]
    return "\n".join(lines)


def formula_view(fm: FittedModel, net: FormulaKAN | None = None, *,
                 samples: int = _SAMPLES) -> NetworkView:
    """The formula of ``fm`` as its own network (`symkan.kan.compile.compile_formula`).

    Each edge is drawn over the range its input takes on the held-out rows; identity
    edges (a value carried up a layer) are plain arrows. Strength is an edge's share of
    its node's variation: the spread of its values into a sum node, of their logarithm
    into a product node, relative to the node's strongest edge.

    Raises
    ------
    symkan.kan.compile.NotCompilable
        The formula has a part that is not a sum, product, power or one-argument function.
    """
    if net is None:
        try:
            net = compile_formula(fm.expr, fm.symbols)
        except NotCompilable as err:
            raise NotCompilable(f"{err}, so the formula has no network of its own; draw "
                                "the search's KAN instead (stage 'snapped')") from None
    values = net.node_values(fm.X_test)
    spread = {}
    for e in net.edges:
        v = e.values(values[e.layer][:, e.i])
        if net.node_kinds[e.layer][e.j] == "mult":
            with np.errstate(all="ignore"):
                v = np.log(np.abs(v))
        v = v[np.isfinite(v)]
        spread[e] = float(np.std(v)) if v.size else 0.0
    top = {}
    for e, s in spread.items():
        top[(e.layer, e.j)] = max(top.get((e.layer, e.j), 0.0), s)
    learned = _learned_first_layer(fm, net, samples)
    edges = []
    for e in net.edges:
        strength = spread[e] / top[(e.layer, e.j)] if top[(e.layer, e.j)] > 0 else 1.0
        text = sympy.sstr(rounded(e.fn, 4))
        if e.identity:  # a value carried up a layer: a plain arrow
            edges.append(EdgeView(e.layer, e.i, e.j, "", "x (identity)", strength, True))
            continue
        h = values[e.layer][:, e.i]
        h = h[np.isfinite(h)]
        lo, hi = (float(h.min()), float(h.max())) if h.size else (0.0, 1.0)
        xs = np.linspace(lo, hi, samples)
        fitted = e.values(xs)
        edges.append(EdgeView(
            e.layer, e.i, e.j, text, text, strength, True, tuple(map(float, xs)),
            learned.get((e.layer, e.i, e.j), ()), tuple(map(float, fitted)),
        ))
    names = tuple(fm.feature_names[k] for k in net.inputs)
    return NetworkView(net.widths, tuple(edges), names, fm.target_name, net.node_kinds)


def _learned_first_layer(fm: FittedModel, net: FormulaKAN, samples: int
                         ) -> dict[tuple[int, int, int], tuple[float, ...]]:
    """For first-layer formula edges: the pruned KAN's learned edge from the same input,
    scaled (``a·φ + b``, least squares) onto the edge's values, when it matches."""
    out: dict[tuple[int, int, int], tuple[float, ...]] = {}
    kan = fm.model
    first = kan.layers[0]
    mask = first.mask.cpu().numpy()  # (out, in)
    dev = kan.in_shift.device
    for e in net.edges:
        feature = net.inputs[e.i]
        if e.layer != 0 or e.identity or feature not in fm.inputs:
            continue
        col = list(fm.inputs).index(feature)
        h = fm.X_test[:, feature]
        xs = np.linspace(float(np.min(h)), float(np.max(h)), samples)
        target = e.values(xs)
        if not np.all(np.isfinite(target)) or np.std(target) == 0:
            continue
        raw = torch.zeros((samples, len(fm.inputs)), dtype=torch.float64, device=dev)
        raw[:, col] = torch.as_tensor(xs, dtype=torch.float64, device=dev)
        with torch.no_grad():
            acts = first.activations(kan.normalize(raw)).cpu().numpy()  # (s, out, in)
        best, best_r2 = None, _MATCH
        for j in np.nonzero(mask[:, col] > 0)[0]:
            phi = acts[:, int(j), col]
            A = np.stack([phi, np.ones_like(phi)], axis=1)
            coef, *_ = np.linalg.lstsq(A, target, rcond=None)
            fit = A @ coef
            score = 1.0 - float(np.sum((fit - target) ** 2) / np.sum((target - target.mean()) ** 2))
            if score >= best_r2:
                best, best_r2 = fit, score
        if best is not None:
            out[(e.layer, e.i, e.j)] = tuple(map(float, best))
    return out
