"""Run reports: a Markdown summary of a result.

`report_markdown` is pure (a mapping in, a string out); `symkan.outputs.runfolder` writes
the files.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping, Sequence
from typing import Any

__all__ = ["report_markdown"]

_MISSING = "—"
_FIGURES = (
    ("plots/predicted_vs_true.svg", "Predicted against true values, held-out rows"),
    ("plots/residuals.svg", "Residuals, held-out rows"),
    ("plots/training_curve.svg", "Training loss of the KAN"),
)


# ----------------------------------------------------------------------------- Markdown


def report_markdown(result: Mapping[str, Any], *, files: Collection[str] | None = None,
                    insight: str | None = None) -> str:
    """Return a Markdown report of one run.

    Parameters
    ----------
    result : Mapping
        The run's result. ``formula`` (str) is required; the other keys are shown when
        present: ``latex``, ``r2`` and ``rmse`` (held-out), ``complexity``, ``seconds``,
        ``device``, ``width`` (list of int), ``target``, ``features`` (list of str),
        ``source`` (CSV name), ``settings`` (dict), ``edges`` (list of dicts with
        ``layer, i, j, name, a, b, c, d, r2``; each edge is ``c*name(a*x + b) + d``)
        and ``candidates`` (list of dicts with ``name, formula, rmse, complexity``).
    files : collection of str, optional
        Names of the files written next to the report. The report shows
        ``diagram.svg`` as an image when it is among them, otherwise links
        ``diagram.dot`` (when it is among them, or when ``files`` is None).
    insight : str, optional
        The section "What the network learned" (`symkan.outputs.insight`), as Markdown.

    Returns
    -------
    str
        Markdown text, ending in a newline.

    Examples
    --------
    >>> md = report_markdown({"formula": "sin(x)", "latex": r"\\sin{\\left(x \\right)}",
    ...                       "r2": 1.0, "target": "y"})
    >>> print(md.splitlines()[0])
    # symkan report: y
    >>> "y = sin(x)" in md
    True
    """
    if "formula" not in result:
        raise ValueError(
            f"result has no 'formula'; its keys are {sorted(result)}. "
            "Pass the mapping that the pipeline returns."
        )
    target = str(result.get("target") or "y")
    features = [str(f) for f in result.get("features") or ()]
    width = [int(w) for w in result.get("width") or ()]

    out: list[str] = [f"# symkan report: {_inline(target)}", ""]

    source = result.get("source")
    if source or features:
        data = f"Fitted {_code(target)}" + (f" from {_code(source)}" if source else "")
        if features:
            data += " using " + ", ".join(_code(f) for f in features)
        out += [data + ".", ""]

    out += ["## Formula", ""]
    latex = result.get("latex")
    if latex:
        out += ["```math", str(latex).strip(), "```", ""]
    out += ["```text", f"{target} = {result['formula']}", "```", ""]

    out += ["## Metrics", "", "| metric | value |", "|---|---|"]
    out.append(f"| R² (held-out) | {format_number(result.get('r2'), 8)} |")
    out.append(f"| RMSE (held-out) | {format_number(result.get('rmse'))} |")
    out.append(f"| complexity | {format_number(result.get('complexity'))} |")
    seconds = result.get("seconds")
    out.append(f"| time | {_MISSING if seconds is None else format_number(seconds, 4) + ' s'} |")
    out.append(f"| device | {_cell(result.get('device'))} |")
    out.append("")

    out += ["## Network", ""]
    net = result.get("formula_network")
    if isinstance(net, Mapping) and net.get("widths"):
        shape = _code(json.dumps(net["widths"]))
        r2 = format_number(net.get("r2"), 8)
        line = (f"The formula as its own network (the diagram): widths {shape}, inputs first; "
                f"its R² against the formula on the held-out rows is {r2}.")
        out += [line, ""]
    if width:
        kan = _code(json.dumps(width))
        line = (f"The search's pruned KAN: layer widths {kan}, inputs first "
                "(`symkan diagram RUN --stage snapped` draws it).")
        out += [line, ""]
    diagram = _diagram_line(files)
    if diagram:
        out += [diagram, ""]
    figures = [(name, alt) for name, alt in _FIGURES if files is not None and name in files]
    if figures:
        out += ["## Fit", ""]
        out += [f"![{alt}]({name})" for name, alt in figures]
        out.append("")

    if insight:
        out += [insight.rstrip("\n"), ""]
        if files is not None and "plots/insight.svg" in files:
            out += ["![Log-gradient spectrum and input shares](plots/insight.svg)", ""]

    notes = result.get("notes")
    if notes and isinstance(notes, list):
        out += ["## Notes", "", *[f"- {_cell(str(n))}" for n in notes], ""]

    settings = result.get("settings")
    if settings:
        out += ["## Settings", "", "| setting | value |", "|---|---|"]
        for key, value in settings.items():
            out.append(f"| {_cell(key)} | {_code(_plain(value))} |")
        out.append("")

    edges = result.get("edges")
    if edges:
        out += [
            "## Edges",
            "",
            "Each edge computes `c*f(a*x + b) + d`; R² is the fit of that form to the learned curve.",
            "",
            "| layer | from | to | f | a | b | c | d | R² |",
            "|---:|---|---|---|---:|---:|---:|---:|---:|",
        ]
        n_layers = len(width) - 1
        for e in edges:
            layer = e.get("layer")
            src = _node_name(layer == 0, e.get("i"), features)
            dst = _node_name(
                n_layers > 0 and layer == n_layers - 1 and width[-1] == 1, e.get("j"), [target]
            )
            row = [
                _cell(layer),
                src,
                dst,
                _code(e["name"]) if e.get("name") is not None else _MISSING,
                *(format_number(e.get(k)) for k in ("a", "b", "c", "d")),
                format_number(e.get("r2"), 4),
            ]
            out.append("| " + " | ".join(row) + " |")
        out.append("")

    candidates = result.get("candidates")
    if candidates:
        out += [
            "## Candidates",
            "",
            "| # | name | formula | RMSE | complexity |",
            "|---:|---|---|---:|---:|",
        ]
        for rank, cand in enumerate(candidates, start=1):
            formula = cand.get("formula")
            row = [
                str(rank),
                _cell(cand.get("name")),
                _code(formula) if formula is not None else _MISSING,
                format_number(cand.get("rmse")),
                format_number(cand.get("complexity")),
            ]
            out.append("| " + " | ".join(row) + " |")
        out.append("")

    return "\n".join(out).rstrip("\n") + "\n"


def _diagram_line(files: Collection[str] | None) -> str | None:
    if files is not None and "diagram.svg" in files:
        return "![Network diagram](diagram.svg)"
    if files is None or "diagram.dot" in files:
        return (
            "Diagram: [diagram.dot](diagram.dot) "
            "(make an image with `dot -Tsvg diagram.dot -o diagram.svg`)."
        )
    return None


def _node_name(named: bool, index: Any, names: Sequence[str]) -> str:
    if index is None:
        return _MISSING
    if named and isinstance(index, int) and 0 <= index < len(names):
        return _code(names[index])
    return f"node {_cell(index)}"


def format_number(value: Any, digits: int = 6) -> str:
    """Format a number for a table cell; missing values become an em dash."""
    if value is None:
        return _MISSING
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(value)  # numpy scalars, Decimal, ...
        except (TypeError, ValueError):
            return _cell(value)
    if isinstance(value, int):
        return str(value)
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.{digits}g}"


def _plain(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, (Mapping, list, tuple)):
        return json.dumps(value, default=str)
    return str(value)


def _cell(value: Any) -> str:
    """Text that is safe inside one Markdown table cell."""
    if value is None:
        return _MISSING
    return _inline(str(value)).replace("|", "\\|")


def _inline(text: str) -> str:
    return " ".join(str(text).split())


def _code(value: Any) -> str:
    """An inline code span, safe inside a table cell."""
    text = _inline(str(value)).replace("|", "\\|")
    if "`" in text:
        return f"`` {text} ``"
    return f"`{text}`"


# ----------------------------------------------------------------------------- files
