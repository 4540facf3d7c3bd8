"""How an `symkan.outputs.insight.Insight` is shown: its record, terminal text, a report
section, an SVG, and `monomial`, which writes a direction of exponents as ``v/c``.

Every function takes the insight as it is (its fields are read, nothing is imported from
``insight``, which imports this module) and returns a string; nothing is written here.
The SVG is written by hand, as `symkan.outputs.plots.edge_svg` is: the same text on every
run, no matplotlib start-up.

Examples
--------
>>> finite({"a": float("inf"), "b": (1.0, float("nan"))})
{'a': None, 'b': [1.0, None]}
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from fractions import Fraction
from html import escape

import numpy as np
import sympy

from symkan.formula.display import shown

__all__ = ["figure_svg", "finite", "markdown", "monomial", "record", "text"]

_NET, _FOR = "#1f77b4", "#ff7f0e"  # network blue, formula orange (as in plots.py)
_FLOOR = 1e-6  # relative eigenvalues below this are drawn at the floor
_DROP = 0.15  # exponents below this (after scaling) are left out of a group's name
_SNAP = 0.05  # an exponent this close to a half or a third is written as one


def finite(value):
    """``value`` with tuples as lists, numpy scalars as Python ones, non-finite floats None."""
    if isinstance(value, dict):
        return {str(k): finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [finite(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def monomial(exponents: Sequence[float], names: Sequence[str], *,
             scale: bool) -> tuple[str, tuple[float, ...], bool]:
    """``(name, exponents, clean)`` of the monomial ``Π names_i ** exponents_i``.

    ``scale``: a direction, so it is divided by its entry of largest magnitude first (that
    entry becomes +1), and its sign chosen so that the first column it keeps has a positive
    exponent (``c/v`` is written ``v/c``). Entries below `_DROP` are dropped,
    those within `_SNAP` of a half or a third are snapped to it, and rational exponents
    are scaled to integers when that keeps them within 3 (``(1, -1/2)`` → ``v**2/c``).
    ``clean`` is False when some exponent is not a small rational.
    """
    e = np.asarray(exponents, dtype=float)
    if scale and np.any(e != 0):
        e = e / e[int(np.argmax(np.abs(e)))]
    e = np.where(np.abs(e) < _DROP, 0.0, e)
    fracs = [_small_fraction(v) for v in e]
    clean = all(q is not None for q in fracs)
    if scale:  # x**p and x**-p are one group: the first column it uses gets p > 0
        first = next((k for k, q in enumerate(fracs) if q != 0), None)
        if first is not None and (e[first] < 0):
            e, fracs = -e, [None if q is None else -q for q in fracs]
    if clean:
        lcm = math.lcm(*(q.denominator for q in fracs))
        if scale and max(abs(q) for q in fracs) * lcm <= 3:
            fracs = [q * lcm for q in fracs]
        e = np.array([float(q) for q in fracs])
        powers = [sympy.Rational(q.numerator, q.denominator) for q in fracs]
    else:
        powers = [sympy.Float(round(float(v), 2), 3) for v in e]
    syms = [sympy.Symbol(n, positive=True) for n in names]
    expr = sympy.Mul(*(s**p for s, p in zip(syms, powers)))
    return sympy.sstr(shown(expr, list(names))), tuple(float(v) for v in e), clean


def _small_fraction(v: float) -> Fraction | None:
    """``v`` as a multiple of 1/2 or 1/3 when within `_SNAP` of one, else None."""
    for den in (1, 2, 3):
        q = Fraction(round(v * den), den)
        if abs(v - float(q)) <= _SNAP:
            return q
    return None


def record(ins, thresholds: dict) -> dict:
    """The insight as a JSON-safe dict (see `finite`), ``thresholds`` included."""
    s = ins.spectrum
    return finite({
        "network": ins.network, "rows": ins.rows, "groups_source": ins.groups_source,
        "groups": [{"name": g.name, "exponents": dict(zip(s.variables, g.exponents))}
                   for g in ins.groups],
        "prefactor": s.prefactor if s is not None else None,
        "thresholds": thresholds, "formula_r2": ins.formula_r2, "network_r2": ins.network_r2,
        "agreement": ins.agreement,
        "spectrum": {s.source: _spectrum_record(s)
                     for s in (ins.network_spectrum, ins.formula_spectrum) if s},
        "attribution": [
            {"column": n, "share": v, "in_formula": u,
             "formula_share": None if ins.formula_shares is None else ins.formula_shares[k]}
            for k, (n, v, u) in enumerate(zip(ins.features, ins.shares, ins.in_formula))],
        "isometry": {k: _gap_record(g) for k, g in (("inputs", ins.input_gap),
                                                    ("hidden", ins.hidden_gap)) if g},
        "notes": list(ins.notes),
    })


def _spectrum_record(s) -> dict:
    return {"variables": list(s.variables), "rows": s.rows, "eigenvalues": list(s.eigenvalues),
            "relative": list(s.relative), "vectors": [list(v) for v in s.vectors],
            "agop": list(s.agop), "mean": list(s.mean), "count": len(s.groups),
            "groups": [g.name for g in s.groups], "prefactor": s.prefactor}


def _gap_record(g) -> dict:
    return {"columns": list(g.names), "gap": g.gap, "collinear": g.gap == math.inf,
            "pair": None if g.pair is None else {"columns": list(g.pair[:2]), "corr": g.pair[2]},
            "weakest": list(g.weakest), "warning": g.warning}


def _g(v: float | None, digits: int = 3) -> str:
    if v is None:
        return "-"
    if math.isinf(v):
        return "inf"
    return f"{v:.{digits}g}" if abs(v) >= 1e-3 or v == 0 else f"{v:.1e}"


def _r2(v: float | None) -> str:
    """R² with its distance from 1 visible: 0.999999987, not 1."""
    return "-" if v is None or not math.isfinite(v) else f"{v:.10f}".rstrip("0").rstrip(".")


def _vec(v) -> str:
    return "(" + ", ".join(f"{c:.3f}".rstrip("0").rstrip(".") if c else "0" for c in v) + ")"


def _law(ins) -> str | None:
    """``m = m0 · F(v/c)`` when the naming spectrum's groups are clean."""
    s = ins.spectrum
    if s is None or not all(g.clean for g in s.groups):
        return None
    if not s.groups:
        return f"{ins.target} ∝ {s.prefactor}  (a power law)"
    inner = ", ".join(g.name for g in s.groups)
    pre = "" if s.prefactor == "1" else f"{s.prefactor} · "
    return f"{ins.target} = {pre}F({inner})"


def _headline(ins) -> list[str]:
    s = ins.spectrum
    if s is None:
        return [("no log-gradient analysis: no input keeps one sign, or too few rows where "
                "the function is not 0")]
    why = (f"the formula fits the held-out rows to R² = {_r2(ins.formula_r2)}"
           if ins.groups_source == "formula" else
           "no formula" if ins.formula_r2 is None else
           f"the formula fits the held-out rows only to R² = {_r2(ins.formula_r2)}")
    names = ", ".join(g.name for g in s.groups) or "none"
    out = [(f"groups: {len(s.groups)} ({names}), named from the {ins.groups_source}'s spectrum "
           f"({why})")]
    law = _law(ins)
    out += [law] if law else []
    if ins.agreement is not None:
        out.append(f"{ins.agreement:.0%} of the network's log-gradient variance lies along "
                   f"{'this group' if len(s.groups) == 1 else 'these groups'}")
    return out


def _spectrum_rows(ins) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the eigenvalue table: λk, network, formula, eigenvector."""
    net, form = ins.network_spectrum, ins.formula_spectrum
    both = [s for s in (net, form) if s is not None]
    head = ["", *(s.source for s in both),
            *(f"{s.source} eigenvector ({', '.join(s.variables)})" for s in both)]
    rows = [[f"λ{k + 1}", *(_g(s.relative[k]) for s in both),
             *(_vec(s.vectors[k]) for s in both)] for k in range(len(both[0].eigenvalues))]
    return head, rows


def _attribution_rows(ins) -> list[list[str]]:
    return [[n, _g(s, 2), "-" if ins.formula_shares is None else _g(ins.formula_shares[k], 2),
             "yes" if ins.in_formula[k] else "no"]
            for k, (n, s) in enumerate(zip(ins.features, ins.shares))]


def _gap_lines(ins) -> list[str]:
    out = []
    for label, gap in (("inputs", ins.input_gap), ("hidden nodes", ins.hidden_gap)):
        if gap is None:
            continue
        line = f"{label} ({', '.join(gap.names)}): isometry gap {_g(gap.gap)}"
        if gap.pair is not None:
            line += f"; most correlated pair {gap.pair[0]}, {gap.pair[1]} (corr {gap.pair[2]:.3f})"
        out.append(line)
        if gap.warning:
            out.append(f"warning: {gap.warning}")
    return out


def _table(head: list[str], rows: list[list[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(r[c]) for r in [head, *rows]) for c in range(len(head))]
    return [indent + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
            for r in [head, *rows]]


def text(ins) -> str:
    """The terminal text of ``symkan explain``."""
    out = [(f"{ins.target}: what the {ins.network} network learned ({ins.rows} held-out rows; "
           f"it fits them to R² = {_r2(ins.network_r2)})"), ""]
    out += _headline(ins)
    if ins.spectrum is not None:
        out += ["", ("log-gradient spectrum: centred covariance of ∂log|f|/∂log|x|, eigenvalues "
                f"relative to the largest (a group needs ≥ {_g(ins.threshold)})")]
        out += _table(*_spectrum_rows(ins))
        for s in (ins.network_spectrum, ins.formula_spectrum):
            if s is not None:
                out.append(f"  {s.source}: largest {_g(s.eigenvalues[0])}; plain AGOP "
                           f"E[g gᵀ] eigenvalues {', '.join(_g(v) for v in s.agop)}; "
                           f"mean g {_vec(s.mean)}")
    out += ["", "inputs: share of mean |∂f/∂x|·std(x)"]
    out += _table(["", "network", "formula", "in formula"], _attribution_rows(ins))
    gaps = _gap_lines(ins)
    if gaps:
        out += ["", "geometry (isometry gap: 0 orthogonal, inf collinear)"]
        out += [f"  {line}" for line in gaps]
    if ins.notes:
        out += ["", "notes:", *(f"  - {n}" for n in ins.notes)]
    return "\n".join(out) + "\n"


def _md_table(head: list[str], rows: list[list[str]]) -> list[str]:
    def cell(c: str) -> str:
        return c.replace("|", "\\|")

    return ["| " + " | ".join(cell(c) or " " for c in head) + " |",
            "|" + "---|" * len(head), *("| " + " | ".join(map(cell, r)) + " |" for r in rows)]


def markdown(ins) -> str:
    """The report section ``## What the network learned``."""
    out = ["## What the network learned", ""]
    out += [(f"Measured on the {ins.network} network's gradients at the held-out rows "
            f"(it fits them to R² = {_r2(ins.network_r2)})."), ""]
    out += [f"- {line}" for line in _headline(ins)] + [""]
    if ins.spectrum is not None:
        out += [("Log-gradient spectrum (centred covariance of ∂log|f|/∂log|x|; eigenvalues "
                f"relative to the largest; a group needs ≥ {_g(ins.threshold)}):"), ""]
        out += _md_table(*_spectrum_rows(ins)) + [""]
    out += ["Inputs (share of mean |∂f/∂x|·std(x)):", ""]
    out += _md_table(["column", "network", "formula", "in formula"], _attribution_rows(ins))
    out += [""]
    gaps = _gap_lines(ins)
    if gaps:
        out += ["Geometry (isometry gap: 0 orthogonal, inf collinear):", ""]
        out += [f"- {line}" for line in gaps] + [""]
    if ins.notes:
        out += ["Notes:", "", *(f"- {n}" for n in ins.notes), ""]
    return "\n".join(out)


def html_section(ins) -> str:
    """The same section as `markdown`, as HTML for report.html (figure inlined)."""
    def e(t) -> str:
        return html.escape(str(t))

    def table(head: list[str], rows: list[list[str]]) -> str:
        body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows)
        return ("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr>"
                + body + "</table>")

    out = ['<section id="insight">', "<h2>What the network learned</h2>",
           (f'<p class="note">Measured on the {e(ins.network)} network\'s gradients at the '
            f"held-out rows (it fits them to R² = {e(_r2(ins.network_r2))}).</p>"),
           "<ul>" + "".join(f"<li>{e(line)}</li>" for line in _headline(ins)) + "</ul>"]
    svg = figure_svg(ins)
    out.append(f'<figure>{svg[svg.find("<svg"):]}</figure>')
    if ins.spectrum is not None:
        out.append('<p class="note">Log-gradient spectrum (centred covariance of '
                   "∂log|f|/∂log|x|; eigenvalues relative to the largest; a group needs ≥ "
                   f"{e(_g(ins.threshold))}):</p>")
        out.append(table(*_spectrum_rows(ins)))
    out.append('<p class="note">Inputs (share of mean |∂f/∂x|·std(x)):</p>')
    out.append(table(["column", "network", "formula", "in formula"], _attribution_rows(ins)))
    gaps = _gap_lines(ins)
    if gaps:
        out.append('<p class="note">Geometry (isometry gap: 0 orthogonal, inf collinear):</p>')
        out.append("<ul>" + "".join(f"<li>{e(g)}</li>" for g in gaps) + "</ul>")
    if ins.notes:
        out.append("<ul>" + "".join(f'<li class="note">{e(n)}</li>' for n in ins.notes) + "</ul>")
    out.append("</section>")
    return "\n".join(out)


def figure_svg(ins, width: int = 600) -> str:
    """Two bar charts: relative eigenvalues (log scale, network and formula) and the
    per-input shares (network bars, formula ticks)."""
    spectra = [s for s in (ins.network_spectrum, ins.formula_spectrum) if s is not None]
    k = max((len(s.eigenvalues) for s in spectra), default=0)
    d = len(ins.features)
    h = 84 + 18 * max(d, k, 3)
    half = width // 2
    top, bottom = 34, h - 42
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h}" '
             f'viewBox="0 0 {width} {h}" font-family="Helvetica,Arial,sans-serif" '
             'font-size="11">'),
             (f'<rect x="0.5" y="0.5" width="{width - 1}" height="{h - 1}" fill="#ffffff" '
             'stroke="#dddddd"/>'),
             ('<text x="12" y="18" font-weight="bold">log-gradient eigenvalues (relative, '
             'log scale)</text>'),
             f'<text x="{half + 12}" y="18" font-weight="bold">share of each input</text>']
    # left: eigenvalue bars, log10 from the floor (bottom) to 1 (top)
    x0, x1 = 40, half - 16
    decades = int(-math.log10(_FLOOR))
    for e in range(decades + 1):
        y = top + (bottom - top) * e / decades
        parts.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x1}" y2="{y:.1f}" stroke="#eeeeee"/>')
        if e % 2 == 0:
            parts.append(f'<text x="{x0 - 4}" y="{y + 4:.1f}" text-anchor="end" '
                         f'fill="#777777">1e-{e}</text>' if e else
                         f'<text x="{x0 - 4}" y="{y + 4:.1f}" text-anchor="end" '
                         'fill="#777777">1</text>')
    slot = (x1 - x0) / max(k, 1)
    bar = slot / (len(spectra) + 1)
    for n, s in enumerate(spectra):
        color = _NET if s.source == "network" else _FOR
        for j, v in enumerate(s.relative):
            level = (math.log10(max(v, _FLOOR)) + decades) / decades  # 0 … 1
            y = bottom - (bottom - top) * level
            x = x0 + slot * j + bar * (n + 0.5)
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" '
                         f'height="{bottom - y:.1f}" fill="{color}"><title>{s.source} '
                         f'λ{j + 1} = {_g(v)}</title></rect>')
    for j in range(k):
        parts.append(f'<text x="{x0 + slot * (j + 0.5):.1f}" y="{bottom + 14}" '
                     f'text-anchor="middle">λ{j + 1}</text>')
    y = top + (bottom - top) * -math.log10(ins.threshold) / decades
    parts.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x1}" y2="{y:.1f}" stroke="#555555" '
                 f'stroke-dasharray="4,3"><title>a group needs {_g(ins.threshold)} of the '
                 'largest</title></line>')
    for n, (label, color) in enumerate((("network", _NET), ("formula", _FOR))):
        parts.append(f'<rect x="{12 + 80 * n}" y="{h - 17}" width="9" height="9" '
                     f'fill="{color}"/><text x="{25 + 80 * n}" y="{h - 8}">{label}</text>')
    parts.append(f'<text x="{172}" y="{h - 8}" fill="#555555">dashed: group threshold; '
                 'orange ticks: the formula\'s shares</text>')
    # right: horizontal share bars, one row per input
    lx, rx = half + 70, width - 40
    row = (bottom - top) / max(d, 1)
    for i, name in enumerate(ins.features):
        y = top + row * i
        share = ins.shares[i]
        parts.append(f'<text x="{lx - 6}" y="{y + row / 2 + 4:.1f}" text-anchor="end">'
                     f'{escape(name)}</text>')
        parts.append(f'<rect x="{lx}" y="{y + row * 0.2:.1f}" width="{(rx - lx) * share:.1f}" '
                     f'height="{row * 0.6:.1f}" fill="{_NET}"><title>{escape(name)}: '
                     f'{_g(share, 2)}</title></rect>')
        if ins.formula_shares is not None:
            fx = lx + (rx - lx) * ins.formula_shares[i]
            parts.append(f'<line x1="{fx:.1f}" y1="{y + row * 0.1:.1f}" x2="{fx:.1f}" '
                         f'y2="{y + row * 0.9:.1f}" stroke="{_FOR}" stroke-width="2.5"/>')
        parts.append(f'<text x="{rx + 4}" y="{y + row / 2 + 4:.1f}">{_g(share, 2)}</text>')
    parts.append(f'<line x1="{lx}" y1="{top}" x2="{lx}" y2="{bottom}" stroke="#999999"/>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
