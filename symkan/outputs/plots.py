"""Small pictures of a run, as strings and bytes (nothing is written here).

* `edge_svg` draws one edge of a KAN as a tiny hand-made SVG: the learned function
  sampled over the edge's input range (solid blue) and its symbolic fit
  ``c*f(a*x+b)+d`` over it (dashed orange). Pure string building, ~0.1 ms an edge.
* `edge_pngs` draws the same pictures as PNG bytes with one reused matplotlib figure,
  for Graphviz outputs that cannot embed SVG (``png``, ``pdf``).
* `predicted_vs_true_svg`, `residuals_svg` and `training_curve_svg` are the report's
  plots, drawn by matplotlib (Agg) as SVG text.

Examples
--------
>>> svg = edge_svg((0.0, 0.5, 1.0), (0.0, 0.25, 1.0), (0.0, 0.3, 1.0))
>>> svg.startswith('<?xml') and svg.count("<polyline") == 2
True
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence

__all__ = [
    "EDGE_SIZE",
    "edge_pngs",
    "edge_svg",
    "predicted_vs_true_svg",
    "residuals_svg",
    "training_curve_svg",
]

EDGE_SIZE = (96, 56)  # width, height of an edge picture in points
_LEARNED = "#1f77b4"  # blue: the learned spline
_FIT = "#ff7f0e"  # orange: the symbolic fit
_PAD = 4.0


def _limits(learned: Sequence[float], fitted: Sequence[float] | None) -> tuple[float, float]:
    """y-range of the learned curve, widened a little; the fit is clipped to it later."""
    finite = [v for v in learned if math.isfinite(v)]
    if not finite:
        return -1.0, 1.0
    lo, hi = min(finite), max(finite)
    span = hi - lo
    if span <= 1e-12 * max(1.0, abs(hi)):
        return lo - 1.0, hi + 1.0  # a flat edge: draw it across the middle
    return lo - 0.12 * span, hi + 0.12 * span


def _points(xs: Sequence[float], ys: Sequence[float], x_lim, y_lim, size) -> list[str]:
    """Polyline point lists in picture coordinates; NaN/inf and far-off values break the line."""
    (x0, x1), (y0, y1) = x_lim, y_lim
    w, h = size[0] - 2 * _PAD, size[1] - 2 * _PAD
    sx = w / (x1 - x0) if x1 > x0 else 0.0
    sy = h / (y1 - y0)
    runs: list[list[str]] = [[]]
    for x, y in zip(xs, ys):
        if not (math.isfinite(x) and math.isfinite(y)) or not y0 <= y <= y1:
            if runs[-1]:
                runs.append([])
            continue
        px = _PAD + (x - x0) * sx if sx else size[0] / 2
        py = _PAD + (y1 - y) * sy
        runs[-1].append(f"{px:.1f},{py:.1f}")
    return [" ".join(r) for r in runs if len(r) > 1]


def edge_svg(
    xs: Sequence[float],
    learned: Sequence[float],
    fitted: Sequence[float] | None = None,
    *,
    size: tuple[int, int] = EDGE_SIZE,
) -> str:
    """One edge's picture as SVG text: learned curve, and the fit drawn over it.

    Parameters
    ----------
    xs : sequence of float
        Sample points over the edge's input range, increasing.
    learned : sequence of float
        The learned activation at ``xs``; empty when nothing was learned (an edge of the
        formula's own network the search did not train): ``fitted`` is drawn alone, solid.
    fitted : sequence of float, optional
        The symbolic fit at ``xs`` (drawn dashed); values far outside the learned curve's
        range are clipped away.
    size : (int, int)
        Width and height in points.

    Returns
    -------
    str
        A standalone SVG document (with an XML declaration, so Graphviz can read its size).

    Examples
    --------
    >>> "stroke-dasharray" in edge_svg([0, 1], [0, 1], [0, 1])
    True
    >>> "stroke-dasharray" in edge_svg([0, 1], [0, 1])
    False
    """
    if not learned and fitted is not None:  # nothing learned: the formula's curve alone
        return _one_curve_svg(xs, fitted, size)
    if len(xs) != len(learned) or (fitted is not None and len(fitted) != len(xs)):
        raise ValueError(
            f"xs, learned and fitted must have the same length; got {len(xs)}, "
            f"{len(learned)} and {None if fitted is None else len(fitted)}"
        )
    w, h = size
    finite_x = [x for x in xs if math.isfinite(x)]
    x_lim = (min(finite_x), max(finite_x)) if finite_x else (0.0, 1.0)
    y_lim = _limits(learned, fitted)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        + f'viewBox="0 0 {w} {h}">',
        f'<rect x="0.5" y="0.5" width="{w - 1}" height="{h - 1}" fill="#ffffff" '
        + 'stroke="#dddddd"/>',
    ]
    if y_lim[0] < 0 < y_lim[1]:  # the zero line, faint
        y = _PAD + (y_lim[1]) * (h - 2 * _PAD) / (y_lim[1] - y_lim[0])
        parts.append(f'<line x1="1" y1="{y:.1f}" x2="{w - 1}" y2="{y:.1f}" stroke="#eeeeee"/>')
    for pts in _points(xs, learned, x_lim, y_lim, size):
        parts.append(
            f'<polyline fill="none" stroke="{_LEARNED}" stroke-width="2.2" '
            + f'stroke-linejoin="round" points="{pts}"/>'
        )
    if fitted is not None:
        for pts in _points(xs, fitted, x_lim, y_lim, size):
            parts.append(
                f'<polyline fill="none" stroke="{_FIT}" stroke-width="1.6" '
                + f'stroke-dasharray="4,2.5" points="{pts}"/>'
            )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _one_curve_svg(xs: Sequence[float], ys: Sequence[float], size: tuple[int, int]) -> str:
    """An edge picture with one solid curve (the symbolic function, in the fit's colour)."""
    solid = edge_svg(xs, ys, size=size)
    return solid.replace(f'stroke="{_LEARNED}" stroke-width="2.2"', f'stroke="{_FIT}" stroke-width="2"')


def edge_pngs(
    curves: Mapping[str, tuple[Sequence[float], Sequence[float], Sequence[float] | None]],
    *,
    size: tuple[int, int] = EDGE_SIZE,
    dpi: int = 150,
) -> dict[str, bytes]:
    """The same pictures as `edge_svg`, as PNG bytes, one matplotlib figure reused for all.

    Parameters
    ----------
    curves : mapping
        Name → ``(xs, learned, fitted or None)``.

    Returns
    -------
    dict
        Name → PNG bytes.
    """
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    fig = Figure(figsize=(size[0] / 72, size[1] / 72), dpi=dpi)
    ax = fig.add_axes((0.02, 0.03, 0.96, 0.94))
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color("#dddddd")
    zero = ax.axhline(0.0, color="#eeeeee", lw=0.8)
    (line_l,) = ax.plot([], [], color=_LEARNED, lw=2.2)
    (line_f,) = ax.plot([], [], color=_FIT, lw=1.6, ls=(0, (4, 2.5)))
    out: dict[str, bytes] = {}
    for name, (xs, learned, fitted) in curves.items():
        alone = not learned and fitted is not None  # the formula's curve, solid
        if alone:
            learned, fitted = fitted, None
        line_l.set_color(_FIT if alone else _LEARNED)
        y_lim = _limits(learned, fitted)
        finite_x = [x for x in xs if math.isfinite(x)]
        lo, hi = (min(finite_x), max(finite_x)) if finite_x else (0.0, 1.0)
        ax.set_xlim(lo, hi if hi > lo else lo + 1.0)
        ax.set_ylim(*y_lim)
        zero.set_visible(y_lim[0] < 0 < y_lim[1])
        line_l.set_data(xs, learned)
        fit = [
            v if math.isfinite(v) and y_lim[0] <= v <= y_lim[1] else math.nan
            for v in (fitted if fitted is not None else [])
        ]
        line_f.set_data(xs[: len(fit)], fit)
        line_f.set_visible(fitted is not None)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
        out[name] = buf.getvalue()
    return out


# ----------------------------------------------------------------------------- report plots


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.DOTALL)  # licence boilerplate
    return text[text.index("<svg"):]  # drop the XML declaration and DOCTYPE: inline-ready


def _figure(width: float = 4.2, height: float = 3.2):
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams["svg.hashsalt"] = "symkan"  # the same SVG ids on every run
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: small, searchable
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def predicted_vs_true_svg(y_true: Iterable[float], y_pred: Iterable[float],
                          target: str = "y") -> str:
    """Scatter of the formula's predictions against the true values, with y = x.

    Examples
    --------
    >>> predicted_vs_true_svg([1.0, 2.0, 3.0], [1.1, 1.9, 3.0]).startswith("<svg")
    True
    """
    yt, yp = list(map(float, y_true)), list(map(float, y_pred))
    fig, ax = _figure()
    ax.scatter(yt, yp, s=8, alpha=0.6, color=_LEARNED, edgecolors="none")
    finite = [v for v in yt + yp if math.isfinite(v)]
    if finite:
        lo, hi = min(finite), max(finite)
        ax.plot([lo, hi], [lo, hi], color="#444444", lw=1, ls="--", label="y = x")
        ax.legend(loc="upper left", frameon=False)
    ax.set_xlabel(f"true {target}")
    ax.set_ylabel(f"predicted {target}")
    ax.set_title("Formula on the held-out rows")
    return _svg(fig)


def residuals_svg(y_true: Iterable[float], y_pred: Iterable[float], target: str = "y") -> str:
    """Residuals (predicted − true) against the true values.

    Examples
    --------
    >>> "<svg" in residuals_svg([1.0, 2.0], [1.0, 2.5])
    True
    """
    yt, yp = list(map(float, y_true)), list(map(float, y_pred))
    fig, ax = _figure()
    ax.scatter(yt, [p - t for p, t in zip(yp, yt)], s=8, alpha=0.6, color=_FIT,
               edgecolors="none")
    ax.axhline(0.0, color="#444444", lw=1)
    ax.set_xlabel(f"true {target}")
    ax.set_ylabel("predicted − true")
    ax.set_title("Residuals on the held-out rows")
    return _svg(fig)


def training_curve_svg(losses: Sequence[float]) -> str:
    """The KAN's training loss per step (log scale when all losses are positive).

    Examples
    --------
    >>> "<svg" in training_curve_svg([1.0, 0.1, 0.01])
    True
    """
    values = [float(v) for v in losses]
    fig, ax = _figure(width=5.2)
    ax.plot(range(1, len(values) + 1), values, color=_LEARNED, lw=1.5)
    if not values:
        ax.text(0.5, 0.5, "no training losses were recorded", ha="center", va="center",
                transform=ax.transAxes, color="#666666")
    elif all(v > 0 for v in values if math.isfinite(v)):
        ax.set_yscale("log")
    ax.set_xlabel("step (all training phases, in order)")
    ax.set_ylabel("training loss")
    ax.set_title("KAN training curve")
    return _svg(fig)
