"""Network diagram: a KAN as Graphviz DOT text, and an optional rendering step.

`to_dot` is pure: it turns a `NetworkView` (plain data, no torch) into DOT text.
`render` is the separate, optional step that pipes DOT text through Graphviz's
``dot`` binary; it needs ``dot`` on ``PATH`` (check with `dot_available`).
Neither function touches the file system; `symkan.report.write_run` writes files.

Layout follows pykan: inputs at the bottom, the output at the top (``rankdir=BT``),
hidden nodes as small circles (``+`` for a sum node, ``×`` for a multiplication
node), one edge per learned 1-D function, labelled with its primitive. Stronger
edges are thicker and darker; edges that were not snapped to a primitive are
dashed and red.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from dataclasses import dataclass

from symkan.errors import SymkanError

__all__ = ["EdgeView", "NetworkView", "dot_available", "render", "to_dot"]

_FONT = "Helvetica,Arial,sans-serif"
_UNSNAPPED_RGB = "d62728"  # red: the edge is still a spline
_NODE_KINDS = ("sum", "mult")
_DOT_MISSING = (
    "Graphviz's `dot` was not found; install it with `apt-get install graphviz` / "
    "`brew install graphviz` / `conda install graphviz`; the DOT text is still written"
)
_RENDER_TIMEOUT_S = 120


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
    """

    layer: int
    i: int
    j: int
    label: str
    formula: str | None
    strength: float
    snapped: bool


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


def to_dot(view: NetworkView, *, title: str | None = None) -> str:
    """Return Graphviz DOT text for ``view``.

    The text is deterministic: nodes are written layer by layer, edges sorted by
    ``(layer, i, j)``, numbers with fixed precision, so equal views give equal text.

    Parameters
    ----------
    view : NetworkView
        The network to draw.
    title : str, optional
        Drawn above the network.

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

    for edge in sorted(view.edges, key=lambda e: (e.layer, e.i, e.j)):
        src, dst = _node_id(edge.layer, edge.i), _node_id(edge.layer + 1, edge.j)
        lines.append(f"  {src} -> {dst} [{_edge_attrs(edge)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def dot_available() -> bool:
    """Return True when Graphviz's ``dot`` binary is on ``PATH``."""
    return shutil.which("dot") is not None


def render(dot_text: str, fmt: str = "svg") -> bytes:
    """Render DOT text with Graphviz's ``dot`` and return the output bytes.

    Parameters
    ----------
    dot_text : str
        DOT text, e.g. from `to_dot`.
    fmt : str
        Any ``dot -T`` output format: ``"svg"``, ``"png"``, ``"pdf"``, ...

    Returns
    -------
    bytes
        The rendered image (UTF-8 text for ``svg``).

    Raises
    ------
    SymkanError
        If ``dot`` is not installed (the message says how to install it), or if
        ``dot`` fails (the message includes its stderr).
    ValueError
        If ``fmt`` is not a plain format name.
    """
    if not re.fullmatch(r"[A-Za-z0-9_]+(:[A-Za-z0-9_]+)*", fmt):
        raise ValueError(f"fmt {fmt!r} is not a Graphviz output format; use e.g. 'svg' or 'png'")
    exe = shutil.which("dot")
    if exe is None:
        raise SymkanError(_DOT_MISSING)
    try:
        proc = subprocess.run(
            [exe, f"-T{fmt}"],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            check=False,
            timeout=_RENDER_TIMEOUT_S,
        )
    except FileNotFoundError as exc:  # removed between `which` and `run`
        raise SymkanError(_DOT_MISSING) from exc
    except subprocess.TimeoutExpired as exc:
        raise SymkanError(
            f"Graphviz's `dot -T{fmt}` did not finish within {_RENDER_TIMEOUT_S} s; "
            "the DOT text is still written and can be rendered by hand"
        ) from exc
    if proc.returncode != 0:
        stderr = proc.stderr.decode("utf-8", errors="replace").strip()
        raise SymkanError(
            f"Graphviz's `dot -T{fmt}` failed with exit status {proc.returncode}: "
            f"{stderr or '(no message)'}"
        )
    return proc.stdout


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
