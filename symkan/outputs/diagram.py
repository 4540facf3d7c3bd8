"""Network diagram: a KAN as Graphviz DOT text, and an optional rendering step.

`to_dot` is pure: it turns a `NetworkView` (plain data, no torch) into DOT text.
`render` is the separate, optional step that pipes DOT text through Graphviz's
``dot`` binary; it needs ``dot`` on ``PATH`` (check with `dot_available`).
Neither function touches the file system; `symkan.outputs.runfolder.write_run` writes files.

Layout follows pykan: inputs at the bottom, the output at the top (``rankdir=BT``),
hidden nodes as small circles (``+`` for a sum node, ``×`` for a multiplication
node), one edge per learned 1-D function, labelled with its primitive. Stronger
edges are thicker and darker; edges that were not snapped to a primitive are
dashed and red.

When the edges carry curves (``EdgeView.xs``), every edge becomes a small box in the
middle of its arrow holding a picture of the learned function with the symbolic fit
drawn over it (`symkan.outputs.plots.edge_svg`) and the fitted formula under it; Graphviz
places these boxes like nodes, so labels never overlap. `to_dot` only refers to the
pictures by name (``e<layer>_<i>_<j>.svg``); `edge_images` makes them and `render`
(or `draw`, which does both) hands them to ``dot`` and embeds them in an SVG as data
URIs, so the SVG is one self-contained file.
"""

from __future__ import annotations

import dataclasses
import html
import math
from dataclasses import dataclass
from itertools import pairwise

from symkan.errors import SymkanError
from symkan.outputs import plots
from symkan.outputs.render import DOT_MISSING, dot_available, render

__all__ = ["EdgeView", "NetworkView", "dot_available", "draw", "edge_images", "render",
           "text_only", "to_dot"]

_FONT = "Helvetica,Arial,sans-serif"
_UNSNAPPED_RGB = "d62728"  # red: the edge is still a spline
_NODE_KINDS = ("sum", "mult")


@dataclass(frozen=True)
class EdgeView:
    """One edge of the network: input node ``i`` of layer ``layer`` → output node ``j``.

    Attributes
    ----------
    layer : int
        Index of the KAN layer, ``0 <= layer < len(widths) - 1``.
    i, j : int
        Input node (in layer ``layer``) and output node (in layer ``layer + 1``).
    label : str
        Primitive name (``"sin"``, ``"x^2"``), or ``"spline"`` when not snapped.
    formula : str or None
        The fitted function, e.g. ``"0.5*sin(3.14*x + 0.1)"``; None if not snapped.
    strength : float
        Attribution in [0, 1]; 1 is the strongest edge. Values outside are clipped,
        NaN is drawn as 0.
    snapped : bool
        Whether the edge was replaced by a symbolic primitive.
    xs : tuple of float
        Sample points over the edge's input range; empty for a text-only edge.
    learned : tuple of float
        The learned function at ``xs``.
    fitted : tuple of float or None
        The symbolic fit at ``xs``, drawn over the learned curve.
    """

    layer: int
    i: int
    j: int
    label: str
    formula: str | None
    strength: float
    snapped: bool
    xs: tuple[float, ...] = ()
    learned: tuple[float, ...] = ()
    fitted: tuple[float, ...] | None = None


@dataclass(frozen=True)
class NetworkView:
    """What a diagram needs to know about a network; no torch, no training state.

    Attributes
    ----------
    widths : tuple of int
        Nodes per layer, inputs first, e.g. ``(3, 2, 1)``.
    edges : tuple of EdgeView
        The edges to draw (pruned edges are simply left out).
    input_names : tuple of str
        One name per input node, ``len(input_names) == widths[0]``.
    output_name : str
        Name of the target; with several outputs node ``k`` is drawn as ``name[k]``.
    node_kinds : tuple of tuple of str, optional
        For every layer after the inputs, ``"sum"`` or ``"mult"`` per node.
        None means every node is a sum node.
    """

    widths: tuple[int, ...]
    edges: tuple[EdgeView, ...]
    input_names: tuple[str, ...]
    output_name: str
    node_kinds: tuple[tuple[str, ...], ...] | None = None


def text_only(view: NetworkView) -> NetworkView:
    """``view`` without edge curves: `to_dot` then labels each edge, and Graphviz draws
    the text as is (no pictures to hand it)."""
    return dataclasses.replace(view, edges=tuple(
        dataclasses.replace(e, xs=(), learned=(), fitted=None) for e in view.edges))


def to_dot(view: NetworkView, *, title: str | None = None, image_format: str = "svg") -> str:
    """Return Graphviz DOT text for ``view``.

    The text is deterministic: nodes are written layer by layer, edges sorted by
    ``(layer, i, j)``, numbers with fixed precision, so equal views give equal text.
    When any edge has a curve (``xs``), every edge is drawn as a box holding its
    picture, referred to as ``e<layer>_<i>_<j>.<image_format>`` (see `edge_images`).

    Parameters
    ----------
    view : NetworkView
        The network to draw.
    title : str, optional
        Drawn above the network.
    image_format : {"svg", "png"}
        File type of the edge pictures the text refers to.

    Returns
    -------
    str
        DOT text; render it with `render` or ``dot -Tsvg network.dot -o network.svg``.

    Raises
    ------
    ValueError
        If the view is inconsistent (names, node kinds or edges that do not fit ``widths``).

    Examples
    --------
    >>> view = NetworkView(
    ...     widths=(1, 1),
    ...     edges=(EdgeView(0, 0, 0, "sin", "sin(x)", 1.0, True),),
    ...     input_names=("x",),
    ...     output_name="y",
    ... )
    >>> dot = to_dot(view)
    >>> dot.splitlines()[0]
    'digraph symkan {'
    >>> print(next(line for line in dot.splitlines() if "->" in line).strip())
    n0_0 -> n1_0 [label="sin", tooltip="sin(x)", penwidth=3.50, color="#000000", fontcolor="#000000"];
    """
    widths, kinds = _check_view(view)
    last = len(widths) - 1
    lines = [
        "digraph symkan {",
        f'  graph [rankdir=BT, nodesep=0.5, ranksep=0.9, fontname="{_FONT}"];',
        f'  node [fontname="{_FONT}", fontsize=12];',
        f'  edge [fontname="{_FONT}", fontsize=10, arrowsize=0.5];',
    ]
    if title is not None:
        lines.append(f"  label={_quote(title)};")
        lines.append("  labelloc=t;")

    for layer, width in enumerate(widths):
        role = "inputs" if layer == 0 else "output" if layer == last else "hidden"
        lines.append(f"  subgraph layer{layer} {{  // {role}")
        lines.append("    rank=same;")
        for k in range(width):
            lines.append(f"    {_node_id(layer, k)} [{_node_attrs(view, kinds, layer, k)}];")
        # Invisible chain keeps the nodes of a layer in index order, left to right.
        for k in range(width - 1):
            lines.append(f"    {_node_id(layer, k)} -> {_node_id(layer, k + 1)} [style=invis];")
        lines.append("  }")

    edges = sorted(view.edges, key=lambda e: (e.layer, e.i, e.j))
    if any(e.xs for e in edges):
        if image_format not in ("svg", "png"):
            raise ValueError(f"image_format {image_format!r} must be 'svg' or 'png'")
        lines += _plot_edges(edges, len(widths) - 1, image_format)
    else:
        for edge in edges:
            src, dst = _node_id(edge.layer, edge.i), _node_id(edge.layer + 1, edge.j)
            lines.append(f"  {src} -> {dst} [{_edge_attrs(edge)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def edge_images(view: NetworkView, image_format: str = "svg") -> dict[str, bytes]:
    """The pictures `to_dot` refers to: file name → bytes, one per edge with a curve.

    ``"svg"`` pictures are hand-made SVG (fast, sharp at any zoom); ``"png"`` pictures
    are drawn with matplotlib, for ``dot`` outputs that cannot embed SVG (PNG, PDF).

    Examples
    --------
    >>> e = EdgeView(0, 0, 0, "x", "x", 1.0, True, (0.0, 1.0), (0.0, 1.0), (0.0, 1.0))
    >>> sorted(edge_images(NetworkView((1, 1), (e,), ("x",), "y")))
    ['e0_0_0.svg']
    """
    curves = {
        f"{_edge_node_id(e)}.{image_format}": (e.xs, e.learned, e.fitted)
        for e in view.edges
        if e.xs
    }
    if image_format == "svg":
        return {name: plots.edge_svg(*c).encode("utf-8") for name, c in curves.items()}
    if image_format == "png":
        return plots.edge_pngs(curves)
    raise ValueError(f"image_format {image_format!r} must be 'svg' or 'png'")


def draw(view: NetworkView, fmt: str = "svg", *, title: str | None = None) -> bytes:
    """Draw ``view`` with Graphviz: `to_dot` + `edge_images` + `render` in one call.

    ``fmt`` is ``"svg"`` (self-contained: pictures embedded as data URIs), ``"png"`` or
    ``"pdf"``. Raises `SymkanError` when ``dot`` is missing (the message says how to
    install it).
    """
    image_format = "svg" if fmt == "svg" else "png"
    if not dot_available():
        raise SymkanError(DOT_MISSING)
    images = edge_images(view, image_format)
    return render(to_dot(view, title=title, image_format=image_format), fmt, images=images)


# ----------------------------------------------------------------------------- helpers


def _check_view(view: NetworkView) -> tuple[tuple[int, ...], tuple[tuple[str, ...], ...]]:
    """Validate ``view``; return its widths and node kinds (defaults filled in)."""
    widths = tuple(int(w) for w in view.widths)
    if len(widths) < 2 or any(w < 1 for w in widths):
        raise ValueError(
            f"widths {view.widths!r} must list at least two layers of at least one node, "
            "e.g. (3, 2, 1)"
        )
    if len(view.input_names) != widths[0]:
        raise ValueError(
            f"input_names {tuple(view.input_names)!r} has {len(view.input_names)} names "
            f"but widths[0] is {widths[0]}; give one name per input"
        )
    if view.node_kinds is None:
        kinds = tuple(("sum",) * w for w in widths[1:])
    else:
        kinds = tuple(tuple(layer) for layer in view.node_kinds)
        if tuple(len(layer) for layer in kinds) != widths[1:]:
            raise ValueError(
                f"node_kinds {view.node_kinds!r} must give one kind per node of every layer "
                f"after the inputs, i.e. lengths {widths[1:]!r}"
            )
        bad = sorted({k for layer in kinds for k in layer if k not in _NODE_KINDS})
        if bad:
            raise ValueError(f"node_kinds contains {bad!r}; each kind is 'sum' or 'mult'")
    seen: set[tuple[int, int, int]] = set()
    for edge in view.edges:
        key = (edge.layer, edge.i, edge.j)
        ok = (
            0 <= edge.layer < len(widths) - 1
            and 0 <= edge.i < widths[edge.layer]
            and 0 <= edge.j < widths[edge.layer + 1]
        )
        if not ok:
            raise ValueError(
                f"edge (layer={edge.layer}, i={edge.i}, j={edge.j}) does not fit widths "
                f"{widths!r}; need 0 <= layer < {len(widths) - 1}, "
                "i < widths[layer] and j < widths[layer + 1]"
            )
        if key in seen:
            raise ValueError(
                f"edge (layer={edge.layer}, i={edge.i}, j={edge.j}) appears twice in edges"
            )
        seen.add(key)
    return widths, kinds


def _node_id(layer: int, k: int) -> str:
    return f"n{layer}_{k}"


def _node_attrs(view: NetworkView, kinds: tuple[tuple[str, ...], ...], layer: int, k: int) -> str:
    last = len(view.widths) - 1
    if layer == 0:
        return f"label={_quote(view.input_names[k])}, shape=box, style=rounded"
    mult = kinds[layer - 1][k] == "mult"
    if layer == last:
        name = view.output_name if view.widths[-1] == 1 else f"{view.output_name}[{k}]"
        if mult:
            name = f"{name} (×)"
        return f'label={_quote(name)}, shape=box, style="rounded,bold"'
    symbol = "×" if mult else "+"
    return f'label="{symbol}", shape=circle, width=0.3, fixedsize=true, fontsize=10'


def _edge_attrs(edge: EdgeView) -> str:
    s = _clip01(edge.strength)
    width = f"{0.5 + 3.0 * s:.2f}"
    if edge.snapped:
        level = round(191 * (1.0 - s))  # light grey (#bfbfbf) for weak edges → black
        color = f"#{level:02x}{level:02x}{level:02x}"
        tip = edge.formula if edge.formula is not None else edge.label
        style = ""
    else:
        alpha = round(255 * (0.3 + 0.7 * s))
        color = f"#{_UNSNAPPED_RGB}{alpha:02x}"
        tip = f"{edge.label} (not snapped)"
        style = "style=dashed, "
    return (
        f"label={_quote(edge.label)}, tooltip={_quote(tip)}, {style}"
        f'penwidth={width}, color="{color}", fontcolor="{color}"'
    )


def _edge_node_id(edge: EdgeView) -> str:
    return f"e{edge.layer}_{edge.i}_{edge.j}"


def _plot_edges(edges: list[EdgeView], n_layers: int, image_format: str) -> list[str]:
    """Each edge with a curve as ``src -> box -> dst`` (the boxes of a layer share a rank,
    in order); an edge without one (an identity edge of a formula's network) as an arrow."""
    lines: list[str] = []
    for e in (e for e in edges if not e.xs):
        src, dst = _node_id(e.layer, e.i), _node_id(e.layer + 1, e.j)
        lines.append(f"  {src} -> {dst} [{_edge_attrs(e)}];")
    edges = [e for e in edges if e.xs]
    for layer in range(n_layers):
        ids = [_edge_node_id(e) for e in edges if e.layer == layer]
        if not ids:
            continue
        lines.append(f"  subgraph edges{layer} {{  // the functions of layer {layer}")
        lines.append("    rank=same;")
        for e in (e for e in edges if e.layer == layer):
            lines.append(f"    {_edge_node_id(e)} [{_edge_node_attrs(e, image_format)}];")
        for a, b in pairwise(ids):
            lines.append(f"    {a} -> {b} [style=invis];")
        lines.append("  }")
    for e in edges:
        src, dst, mid = _node_id(e.layer, e.i), _node_id(e.layer + 1, e.j), _edge_node_id(e)
        color, width, style = _stroke(e)
        common = f'{style}penwidth={width}, color="{color}"'
        lines.append(f"  {src} -> {mid} [{common}, arrowhead=none];")
        lines.append(f"  {mid} -> {dst} [{common}];")
    return lines


def _edge_node_attrs(edge: EdgeView, image_format: str) -> str:
    color, width, _ = _stroke(edge)
    text = edge.formula if edge.snapped and edge.formula and len(edge.formula) <= 34 else (
        edge.label if edge.snapped else f"{edge.label} (numeric)"
    )
    tip = edge.formula if edge.snapped and edge.formula else f"{edge.label} (not snapped)"
    w, h = plots.EDGE_SIZE
    cell = f'<TD FIXEDSIZE="TRUE" WIDTH="{w}" HEIGHT="{h}"><IMG SRC="{_edge_node_id(edge)}.'
    label = (
        '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
        f'<TR>{cell}{image_format}" SCALE="TRUE"/></TD></TR>'
        f'<TR><TD CELLPADDING="3"><FONT POINT-SIZE="9" COLOR="{_text_color(edge)}">'
        f"{html.escape(text)}</FONT>"
        "</TD></TR>"
        "</TABLE>>"
    )
    box_style = '"rounded,dashed"' if not edge.snapped else "rounded"
    return (
        f"shape=box, style={box_style}, margin=0.03, penwidth={width}, "
        f'color="{color}", tooltip={_quote(tip)}, label={label}'
    )


def _text_color(edge: EdgeView) -> str:
    """Dark enough to read on white whatever the strength; red for numeric edges."""
    return "#222222" if edge.snapped else f"#{_UNSNAPPED_RGB}"


def _stroke(edge: EdgeView) -> tuple[str, str, str]:
    """Colour, pen width and style prefix of an edge, from its strength and snapped state."""
    s = _clip01(edge.strength)
    width = f"{0.5 + 3.0 * s:.2f}"
    if edge.snapped:
        level = round(191 * (1.0 - s))
        return f"#{level:02x}{level:02x}{level:02x}", width, ""
    alpha = round(255 * (0.3 + 0.7 * s))
    return f"#{_UNSNAPPED_RGB}{alpha:02x}", width, "style=dashed, "


def _clip01(x: float) -> float:
    x = float(x)
    if math.isnan(x):
        return 0.0
    return min(1.0, max(0.0, x))


def _quote(text: str) -> str:
    """Quote ``text`` as a DOT string that Graphviz shows literally."""
    escaped = (
        str(text)
        .replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )
    return f'"{escaped}"'
