"""A fitted result → the files of a run folder, as strings and bytes (nothing is written here).

`run_files` is what the CLI hands to `report.write_run`; `result_record` is the JSON record.
"""

from __future__ import annotations

import json
import math

import numpy as np

from symkan.diagram import EdgeView, NetworkView, dot_available, render, to_dot
from symkan.errors import SymkanError
from symkan.latex import to_latex
from symkan.pipeline import FitResult
from symkan.report import report_markdown


def network_view(result: FitResult) -> NetworkView:
    """The pruned network with its snapped edge functions and attribution strengths."""
    names = tuple(result.dataset.feature_names[i] for i in result.inputs)
    scores = result.edge_scores
    top = max((float(np.max(s)) for s in scores if s.size), default=1.0) or 1.0
    snapped = {(e.layer, e.i, e.j): e for e in (result.snapped.edges if result.snapped else ())}
    edges = []
    for layer, mod in enumerate(result.model.layers):
        mask = mod.mask.detach().cpu().numpy()
        for j, i in zip(*np.nonzero(mask > 0)):
            e = snapped.get((layer, int(i), int(j)))
            strength = float(scores[layer][j, i]) / top
            formula = (
                f"{e.c:.4g}*{e.name}({e.a:.4g}*x + {e.b:.4g}) + {e.d:.4g}" if e else None
            )
            edges.append(EdgeView(layer, int(i), int(j), e.name if e else "spline", formula,
                                  min(max(strength, 0.0), 1.0), e is not None))
    return NetworkView(result.widths, tuple(edges), names, result.dataset.target_name)


def result_record(result: FitResult) -> dict:
    """Everything ``result.json`` holds: plain JSON types only."""
    def num(v: float) -> float | None:
        return float(v) if math.isfinite(v) else None

    edges = [
        {"layer": e.layer, "i": e.i, "j": e.j, "name": e.name, "a": e.a, "b": e.b,
         "c": e.c, "d": e.d, "r2": num(e.r2)}
        for e in (result.snapped.edges if result.snapped else ())
    ]
    return {
        "formula": str(result.expr),
        "latex": to_latex(result.expr),
        "target": result.dataset.target_name,
        "features": list(result.dataset.feature_names),
        "used_features": [result.dataset.feature_names[i] for i in result.inputs],
        "source": result.dataset.source,
        "r2": num(result.r2),
        "rmse": num(result.rmse),
        "network_r2": num(result.network_r2),
        "complexity": result.complexity,
        "method": result.method,
        "seconds": round(result.seconds, 3),
        "device": result.device,
        "width": list(result.widths),
        "candidates": [
            {"name": c.method, "formula": str(c.expr), "rmse": num(c.val_rmse),
             "complexity": c.complexity}
            for c in result.candidates
        ],
        "edges": edges,
        "settings": json.loads(json.dumps(result.settings, default=str)),
    }


def run_files(result: FitResult) -> tuple[dict[str, str | bytes], list[str]]:
    """The run folder's files and a list of notes (e.g. why there is no SVG)."""
    record = result_record(result)
    notes: list[str] = []
    dot = to_dot(network_view(result), title=f"{record['target']} = {record['formula']}")
    files: dict[str, str | bytes] = {
        "formula.tex": record["latex"] + "\n",
        "diagram.dot": dot,
    }
    if dot_available():
        try:
            files["diagram.svg"] = render(dot, "svg")
        except SymkanError as err:
            notes.append(str(err))
    else:
        notes.append(
            "Graphviz's `dot` was not found, so diagram.svg was not drawn (diagram.dot is "
            "written); install it with `apt-get install graphviz` or `brew install graphviz`"
        )
    files["result.json"] = json.dumps(record, indent=2) + "\n"
    files["report.md"] = report_markdown(record, files=set(files) | {"report.md"})
    return files, notes
