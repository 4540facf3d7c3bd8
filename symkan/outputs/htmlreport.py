"""A run's report as one self-contained HTML page: no scripts, no fonts, no network.

The formula is MathML (browsers draw it natively) with the plain text beside it; the
diagram and the plots are inline SVG. `report_html` is pure: a mapping and strings in,
one string out.

Examples
--------
>>> import sympy
>>> page = report_html({"formula": "2*x", "target": "y", "r2": 1.0},
...                    mathml=formula_mathml(2 * sympy.Symbol("x")))
>>> page.startswith("<!DOCTYPE html>") and "<math" in page and "http" not in page.split("<math")[0]
True
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import sympy
from sympy.printing.mathml import MathMLPresentationPrinter

from symkan.formula.numeric import rounded
from symkan.outputs.report import format_number

__all__ = ["formula_mathml", "report_html"]

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { margin-top: 2rem; font-size: 1.25rem;
     border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
.formula { font-size: 1.35rem; background: #f7f7f9; padding: 1rem; border-radius: 6px;
           overflow-x: auto; }
pre { background: #f7f7f9; padding: .6rem .8rem; border-radius: 6px; overflow-x: auto;
      white-space: pre-wrap; word-break: break-word; }
table { border-collapse: collapse; margin: .5rem 0; font-size: .92rem; }
th, td { border: 1px solid #ddd; padding: .25rem .6rem; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f3f3f5; }
.diagram { text-align: center; overflow: auto; border: 1px solid #eee; border-radius: 6px; padding: .5rem;
           max-height: 60rem; }
.diagram svg { max-width: none; height: auto; }
.plots { display: flex; flex-wrap: wrap; gap: 1rem; }
.plots figure { margin: 0; } .plots svg { max-width: 100%; height: auto; }
.note { color: #666; font-size: .9rem; }
code { background: #f3f3f5; padding: 0 .2rem; border-radius: 3px; }
"""


class _MathML(MathMLPresentationPrinter):
    """A name ending in ``_`` (a column ``pi`` written ``pi_``) is printed as it is."""

    def _print_Symbol(self, sym, style="plain"):
        if sym.name.endswith("_"):
            node = self.dom.createElement("mi")
            node.appendChild(self.dom.createTextNode(sym.name))
            return node
        return super()._print_Symbol(sym, style)


def formula_mathml(expr: sympy.Expr, precision: int = 4) -> str:
    """Presentation MathML of ``expr`` (floats to ``precision`` digits), as a ``<math>`` block.

    Examples
    --------
    >>> formula_mathml(sympy.Symbol("x") ** 2)[:46]
    '<math xmlns="http://www.w3.org/1998/Math/MathM'
    """
    body = _MathML().doprint(rounded(sympy.sympify(expr), precision))
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">{body}</math>'


def _e(value: Any) -> str:
    return html.escape("—" if value is None else str(value))


def _inline_svg(svg: str) -> str:
    """An SVG document made fit to paste into HTML: no XML declaration, DOCTYPE or comments."""
    start = svg.find("<svg")
    return re.sub(r"<!--.*?-->", "", svg[start:] if start >= 0 else svg, flags=re.DOTALL)


def _widths(net: Any) -> str | None:
    return json.dumps(net.get("widths")) if isinstance(net, Mapping) else None


def _table(head: Sequence[str], rows: Sequence[Sequence[Any]], numeric: set[int] = frozenset()
           ) -> str:
    out = ["<table>", "<tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr>"]
    for row in rows:
        cells = (f'<td class="num">{_e(v)}</td>' if k in numeric else f"<td>{_e(v)}</td>"
                 for k, v in enumerate(row))
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def report_html(
    record: Mapping[str, Any],
    *,
    mathml: str | None = None,
    diagram_svg: str | None = None,
    diagram_note: str | None = None,
    insight_html: str | None = None,
    figures: Mapping[str, str] | None = None,
) -> str:
    """The report page of one run.

    Parameters
    ----------
    record : Mapping
        The run's ``result.json`` (keys as for `symkan.outputs.report.report_markdown`).
    mathml : str, optional
        The formula as a MathML ``<math>`` element (`formula_mathml`).
    diagram_svg : str, optional
        The network diagram, an SVG document (inlined).
    diagram_note : str, optional
        Shown under the diagram (e.g. that Graphviz was missing and how to get it).
    insight_html : str, optional
        The section "What the network learned" (`symkan.outputs.insight`), as HTML.
    figures : mapping, optional
        Caption → SVG document, drawn side by side (predicted vs true, residuals, ...).

    Returns
    -------
    str
        A complete HTML5 document.
    """
    target = str(record.get("target") or "y")
    features = [str(f) for f in record.get("features") or ()]
    out = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>symkan report: {_e(target)}</title>", f"<style>{_CSS}</style>", "</head>",
        "<body>", f"<h1>symkan report: {_e(target)}</h1>",
    ]
    if record.get("source") or features:
        src = f" from <code>{_e(record['source'])}</code>" if record.get("source") else ""
        used = record.get("used_features")
        line = f"Fitted <code>{_e(target)}</code>{src} using " + ", ".join(
            f"<code>{_e(f)}</code>" for f in features)
        if used is not None and list(used) != features:
            line += "; the pruned network uses " + ", ".join(f"<code>{_e(f)}</code>" for f in used)
        out.append(f"<p>{line}.</p>")

    out.append("<h2>Formula</h2>")
    if mathml:
        out.append(f'<div class="formula">{_mathml_with_target(mathml, target)}</div>')
    out.append(f"<pre>{_e(target)} = {_e(record.get('formula'))}</pre>")
    if record.get("latex"):
        out.append(f"<details><summary>LaTeX</summary><pre>{_e(record['latex'])}</pre></details>")

    out.append("<h2>Metrics</h2>")
    metrics = [
        ("R² (held-out rows)", format_number(record.get("r2"), 8)),
        ("RMSE (held-out rows)", format_number(record.get("rmse"))),
        ("R² of the formula against its own network (the diagram)",
         format_number((record.get("formula_network") or {}).get("r2"), 8)),
        ("R² of the formula against the pruned KAN", format_number(record.get("network_r2"), 8)),
        ("complexity (expression-tree nodes)", format_number(record.get("complexity"))),
        ("method that found it", record.get("method")),
        ("widths of the formula's network", _widths(record.get("formula_network"))),
        ("widths of the pruned KAN", json.dumps(record.get("width")) if record.get("width") else None),
    ]
    out.append(_table(["metric", "value"], metrics, {1}))

    out.append("<h2>Network</h2>")
    if diagram_svg and record.get("formula_network"):
        out.append('<p class="note">The formula as its own network: sum (+) and product (×) '
                   "nodes, each edge a function of one variable drawn over the range its input "
                   "takes (orange), with the learned curve of the search's KAN under it (blue, "
                   "scaled) where the KAN learned that edge; plain arrows carry a value up a "
                   "layer. Darker, thicker edges move their node more. Hover an edge for its "
                   "formula. <code>symkan diagram RUN --stage snapped</code> draws the search's "
                   "KAN.</p>")
    elif diagram_svg:
        out.append('<p class="note">Each edge shows its learned function (blue) over the range '
                   "its input takes, with the symbolic fit drawn over it (dashed orange) and its "
                   "formula in the layer's input <i>x</i>; darker, thicker edges matter more; "
                   "dashed red edges are numeric (not snapped). Hover an edge for its "
                   "full formula.</p>")
    if diagram_svg:
        out.append(f'<div class="diagram" id="diagram">{_inline_svg(diagram_svg)}</div>')
        if diagram_note:
            out.append(f'<p class="note">{_e(diagram_note)}</p>')
    else:
        out.append('<p class="note">No diagram: Graphviz\'s <code>dot</code> was not found '
                   "(install it with <code>apt-get install graphviz</code>).</p>")

    if figures:
        out.append("<h2>Fit</h2>")
        out.append('<div class="plots" id="plots">')
        for caption, svg in figures.items():
            out.append(f"<figure>{_inline_svg(svg)}<figcaption class=\"note\">{_e(caption)}"
                       "</figcaption></figure>")
        out.append("</div>")

    if insight_html:
        out.append(insight_html)

    edges = record.get("edges") or ()
    if edges:
        out.append("<h2>Edges of the search's KAN</h2>")
        out.append('<p class="note">The pruned KAN the search trained (not the diagram above, '
                   "which is the formula's own network): each edge computes "
                   "<code>c·f(a·x + b) + d</code> of its layer's input x; R² is the fit of that "
                   "form to the learned curve.</p>")
        rows = [[e.get("layer"), e.get("i"), e.get("j"), e.get("name"),
                 *(format_number(e.get(k)) for k in ("a", "b", "c", "d")), format_number(e.get("r2"), 4)]
                for e in edges]
        out.append(_table(["layer", "from", "to", "f", "a", "b", "c", "d", "R²"], rows,
                          {0, 1, 2, 4, 5, 6, 7, 8}))

    for key, title in (("candidates", "Candidates"), ("pareto", "Pareto front")):
        items = record.get(key)
        if items and isinstance(items, list) and all(isinstance(c, Mapping) for c in items):
            cols = list(dict.fromkeys(k for c in items for k in c))
            out.append(f"<h2>{title}</h2>")
            out.append(_table(cols, [[_cell(c.get(k)) for k in cols] for c in items]))

    out.append("<h2>Timings</h2>")
    timings = [("fit (all stages)", _seconds(record.get("seconds"))),
               ("device", record.get("device"))]
    for key, value in (record.get("timings") or {}).items():
        timings.append((key, _seconds(value)))
    out.append(_table(["what", "time"], timings, {1}))

    notes = record.get("notes")
    if notes and isinstance(notes, list):
        out.append("<h2>Notes</h2>")
        out.append("<ul>" + "".join(f"<li>{_e(str(n))}</li>" for n in notes) + "</ul>")
    settings = record.get("settings")
    if settings:
        out.append("<h2>Settings</h2>")
        out.append(_table(["setting", "value"], [
            (k, v if isinstance(v, str) else json.dumps(v, default=str))
            for k, v in settings.items()]))
    out += [('<p class="note">Written by symkan. This page is self-contained: it loads '
             "nothing from the network.</p>"), "</body>", "</html>"]
    return "\n".join(out) + "\n"


def _mathml_with_target(mathml: str, target: str) -> str:
    """Put ``target =`` in front of the formula inside its ``<math>`` element."""
    head, sep, rest = mathml.partition(">")
    if not sep or not head.startswith("<math"):
        return mathml
    return f"{head}><mrow><mi>{_e(target)}</mi><mo>=</mo>{rest[:-len('</math>')]}</mrow></math>"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return format_number(value)
    return value if isinstance(value, str) or value is None else json.dumps(value, default=str)


def _seconds(value: Any) -> str | None:
    return None if value is None else f"{format_number(value, 4)} s"
