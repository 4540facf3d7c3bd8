"""A network diagram drawn without Graphviz: layered positions, hand-written SVG.

A KAN is layered, so where its nodes go is known: networkx's `multipartite_layout` puts
each layer on its own row, and the edge pictures of a layer on a row of their own between
two node rows (as Graphviz places them, see `symkan.outputs.diagram`). `draw_svg` turns
those positions into one self-contained SVG: inputs at the bottom, the output at the top,
``+``/``×`` circles for sum and product nodes, each edge's picture
(`symkan.outputs.plots.edge_svg`) in a box on its arrow with its formula under it.
Graphviz routes edges around boxes and gives the finer rendering; this drawing is what a
machine without ``dot`` gets.
"""

from __future__ import annotations

import html
import math

import networkx as nx

from symkan.outputs import plots
from symkan.outputs.diagram import EdgeView, NetworkView, to_dot

__all__ = ["draw_svg"]

_FONT = "Helvetica,Arial,sans-serif"
_SLOT = 120.0  # px between neighbours on a row
_NODE_ROW, _GAP = 34.0, 26.0  # height of a node row; space between rows
_TEXT = 9.0  # font size of an edge's formula
_MAX_TEXT = 34  # longer formulas are cut (the tooltip has them whole)
_TITLE_LINE = 18.0
_MARGIN = 20.0


def draw_svg(view: NetworkView, *, title: str | None = None) -> str:
    """``view`` as a standalone SVG document (str), without Graphviz.

    Raises ValueError for an inconsistent view (the same checks as `to_dot`).

    Examples
    --------
    >>> e = EdgeView(0, 0, 0, "sin", "sin(x)", 1.0, True, (0.0, 1.0), (0.0, 0.8), (0.0, 0.8))
    >>> svg = draw_svg(NetworkView((1, 1), (e,), ("x",), "y"), title="y = sin(x)")
    >>> svg.startswith("<svg") and "y = sin(x)" in svg and svg.count("<svg") == 2
    True
    """
    to_dot(view)  # validates the view
    kinds = view.node_kinds or tuple(("sum",) * w for w in view.widths[1:])
    boxed = [e for e in sorted(view.edges, key=lambda e: (e.layer, e.i, e.j)) if e.xs]
    box_w, box_h = plots.EDGE_SIZE
    x_of = _node_columns(view.widths)
    box_x: dict[tuple[int, int, int], float] = {}
    for layer in range(len(view.widths) - 1):
        row = [e for e in boxed if e.layer == layer]
        want = [(x_of[(layer, e.i)] + x_of[(layer + 1, e.j)]) / 2 for e in row]
        box_x.update(zip(((e.layer, e.i, e.j) for e in row), _spread(want, _SLOT)))
    lines = title.splitlines() if title else []
    y = _MARGIN + _TITLE_LINE * len(lines) + (8 if lines else 0)
    y_of: dict[tuple, float] = {}
    for layer in range(len(view.widths) - 1, -1, -1):  # from the output down to the inputs
        y_of[("n", layer)] = y + _NODE_ROW / 2
        y += _NODE_ROW
        if layer:
            tall = any(e.layer == layer - 1 for e in boxed)
            y_of[("e", layer - 1)] = y + _GAP + (box_h + 2 * _TEXT + 10) / 2
            y += (box_h + 2 * _TEXT + 10 + 2 * _GAP) if tall else 3 * _GAP
    xs = [*x_of.values(), *box_x.values()]
    x_min, x_max = min(xs), max(xs)
    width = x_max - x_min + box_w + 40 + 2 * _MARGIN
    if lines:
        width = max(width, 2 * _MARGIN + 7.5 * max(len(t) for t in lines))
    width = max(width, 260.0)
    shift = width / 2 - (x_min + x_max) / 2
    height = y + _MARGIN
    at = {("n", layer, k): (x + shift, y_of[("n", layer)]) for (layer, k), x in x_of.items()}
    at.update({("e", *key): (x + shift, y_of[("e", key[0])]) for key, x in box_x.items()})

    out = [
        (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
         f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{_FONT}">'),
        ('<defs><marker id="symkan-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
         'markerHeight="8" markerUnits="userSpaceOnUse" orient="auto">'
         '<path d="M 0 0 L 10 5 L 0 10 z" fill="#444444"/></marker></defs>'),
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
    ]
    for t, text in enumerate(lines):
        out.append(f'<text x="{width / 2:.1f}" y="{_MARGIN + 12 + t * _TITLE_LINE:.1f}" '
                   f'font-size="14" text-anchor="middle">{html.escape(text)}</text>')
    for e in sorted(view.edges, key=lambda e: (e.layer, e.i, e.j)):
        out += _edge(e, at, box_w, box_h)
    for layer, width_l in enumerate(view.widths):
        for k in range(width_l):
            out.append(_node(view, kinds, layer, k, at[("n", layer, k)]))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _node_columns(widths) -> dict[tuple[int, int], float]:
    """x of every node (px), from networkx's layered layout; each layer in index order."""
    graph = nx.Graph()
    for layer, width in enumerate(widths):
        graph.add_nodes_from(((layer, k) for k in range(width)), layer=layer)
    pos = nx.multipartite_layout(graph, subset_key="layer", align="horizontal")
    ys = sorted({float(p[1]) for p in pos.values()})
    unit = (ys[1] - ys[0]) if len(ys) > 1 else 1.0  # the layout's spacing: one slot
    out = {}
    for layer, width in enumerate(widths):
        members = [(layer, k) for k in range(width)]
        slots = sorted(float(pos[n][0]) for n in members)
        out.update({n: x / unit * _SLOT for n, x in zip(members, slots)})
    return out


def _spread(want: list[float], gap: float) -> list[float]:
    """Positions as near ``want`` as they can be while ``gap`` apart (order kept by want)."""
    if not want:
        return []
    order = sorted(range(len(want)), key=lambda k: want[k])
    placed: list[float] = []
    for k in order:
        placed.append(want[k] if not placed else max(want[k], placed[-1] + gap))
    shift = sum(want[k] for k in order) / len(order) - sum(placed) / len(placed)
    out = [0.0] * len(want)
    for k, x in zip(order, placed):
        out[k] = x + shift
    return out


def _stroke(edge: EdgeView) -> tuple[str, float, str]:
    s = edge.strength if math.isfinite(edge.strength) else 0.0
    s = min(1.0, max(0.0, s))
    level = round(191 * (1.0 - s))
    if not edge.snapped:
        return "#d62728", 0.5 + 3.0 * s, ' stroke-dasharray="5,3"'
    return f"#{level:02x}{level:02x}{level:02x}", 0.5 + 3.0 * s, ""


def _edge(e: EdgeView, at: dict, box_w: float, box_h: float) -> list[str]:
    (x0, y0), (x1, y1) = at[("n", e.layer, e.i)], at[("n", e.layer + 1, e.j)]
    y0 -= _NODE_ROW / 2 - 4  # leave the source's top, arrive under the target
    y1 += _NODE_ROW / 2 - 4
    color, width, dash = _stroke(e)
    tip = html.escape(e.formula or e.label)
    style = f'fill="none" stroke="{color}" stroke-width="{width:.2f}"{dash}'
    if not e.xs:
        mx, my = (x0 + x1) / 2, (y0 + y1) / 2
        return [
            (f'<g><title>{tip}</title><line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" '
             f'y2="{y1:.1f}" {style} marker-end="url(#symkan-arrow)"/>'),
            (f'<text x="{mx + 4:.1f}" y="{my:.1f}" font-size="{_TEXT:.0f}" fill="#777777">'
             f"{html.escape(e.label)}</text></g>"),
        ]
    bx, by = at[("e", e.layer, e.i, e.j)]
    top, bottom = by - box_h / 2 - _TEXT - 2, by + box_h / 2 + _TEXT + 4
    picture = plots.edge_svg(e.xs, e.learned, e.fitted)
    picture = picture[picture.index("<svg"):]  # drop the XML declaration
    picture = picture.replace(
        "<svg ", f'<svg x="{bx - box_w / 2:.1f}" y="{by - box_h / 2 - _TEXT / 2:.1f}" ', 1)
    text = e.formula if e.formula and len(e.formula) <= _MAX_TEXT else (
        (e.formula or e.label)[: _MAX_TEXT - 1] + "…")
    return [
        f"<g><title>{tip}</title>",
        f'<polyline points="{x0:.1f},{y0:.1f} {bx:.1f},{bottom:.1f}" {style}/>',
        (f'<polyline points="{bx:.1f},{top:.1f} {x1:.1f},{y1:.1f}" {style} '
         'marker-end="url(#symkan-arrow)"/>'),
        (f'<rect x="{bx - box_w / 2 - 3:.1f}" y="{top:.1f}" width="{box_w + 6:.1f}" '
         f'height="{bottom - top:.1f}" rx="5" fill="#ffffff" stroke="{color}" '
         f'stroke-width="{min(width, 2.0):.2f}"{dash}/>'),
        picture.strip(),
        (f'<text x="{bx:.1f}" y="{bottom - 4:.1f}" font-size="{_TEXT:.0f}" '
         f'text-anchor="middle" fill="#222222">{html.escape(text)}</text>'),
        "</g>",
    ]


def _node(view: NetworkView, kinds, layer: int, k: int, xy: tuple[float, float]) -> str:
    x, y = xy
    last = len(view.widths) - 1
    if layer == 0 or layer == last:
        if layer == 0:
            name, bold = view.input_names[k], False
        else:
            name = view.output_name if view.widths[-1] == 1 else f"{view.output_name}[{k}]"
            name += " (×)" if kinds[layer - 1][k] == "mult" else ""
            bold = True
        w = max(40.0, 8.0 * len(name) + 16)
        weight = ' font-weight="bold"' if bold else ""
        return (
            f'<g><rect x="{x - w / 2:.1f}" y="{y - 12:.1f}" width="{w:.1f}" height="24" '
            f'rx="6" fill="#ffffff" stroke="#000000" stroke-width="{2 if bold else 1}"/>'
            f'<text x="{x:.1f}" y="{y + 4.5:.1f}" font-size="13" text-anchor="middle"'
            f'{weight}>{html.escape(name)}</text></g>'
        )
    symbol = "×" if kinds[layer - 1][k] == "mult" else "+"
    return (
        f'<g><circle cx="{x:.1f}" cy="{y:.1f}" r="11" fill="#ffffff" stroke="#000000"/>'
        f'<text x="{x:.1f}" y="{y + 4.5:.1f}" font-size="13" text-anchor="middle">'
        f"{symbol}</text></g>"
    )
