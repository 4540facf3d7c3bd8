"""A fitted result as the JSON record ``result.json`` holds: plain JSON types only.

The record is what the report, the HTML page and the saved model read; it is built once
here from a `symkan.pipeline.FitResult`.
"""

from __future__ import annotations

import json
import math

from symkan.export.latex import to_latex
from symkan.formula.display import formula_text, shown
from symkan.pipeline import FitResult

__all__ = ["result_record"]


def _formula_network(result: FitResult) -> dict | None:
    net = result.formula_network
    if net is None:
        return None
    r2 = result.formula_network_r2
    names = result.dataset.feature_names
    return {
        "widths": list(net.widths),
        "node_kinds": [list(k) for k in net.node_kinds],
        "inputs": [names[k] for k in net.inputs],
        "edges": [{"layer": e.layer, "i": e.i, "j": e.j, "function": str(e.fn)}
                  for e in net.edges],
        "r2": float(r2) if math.isfinite(r2) else None,
    }


def result_record(result: FitResult) -> dict:
    """Everything ``result.json`` holds: plain JSON types only.

    Formulas are written by the rule of `symkan.formula.display`: a column called ``pi``,
    ``E`` or ``sin`` is written ``pi_``, ``E_``, ``sin_``.
    """
    names = result.dataset.feature_names

    def text(expr) -> str:
        return formula_text(expr, names)

    def latex(expr) -> str:
        return to_latex(shown(expr, names))

    def num(v: float) -> float | None:
        return float(v) if math.isfinite(v) else None

    edges = [
        {"layer": e.layer, "i": e.i, "j": e.j, "name": e.name, "a": e.a, "b": e.b,
         "c": e.c, "d": e.d, "r2": num(e.r2)}
        for e in (result.snapped.edges if result.snapped else ())
    ]
    return {
        "formula": text(result.expr),
        "latex": latex(result.expr),
        "target": result.dataset.target_name,
        "features": list(result.dataset.feature_names),
        "used_features": [result.dataset.feature_names[i] for i in result.inputs],
        "source": result.dataset.source,
        "r2": num(result.r2),
        "rmse": num(result.rmse),
        "network_r2": num(result.network_r2),
        # the formula compiled into its own network: what the diagram draws; its R² against
        # the formula on the held-out rows is 1 for a formula it computes exactly
        "formula_network": _formula_network(result),
        "complexity": result.complexity,
        "method": result.method,
        "seconds": round(result.seconds, 3),
        # seconds per lever path ("separable/groups/composite"); a reducer's own entry
        # includes the time of the sub-problems it made
        "timings": dict(result.timings),
        # findings of the search: dimensionless groups, symmetries, the eigenvalues and
        # vectors of the log-gradient feature matrix (when those levers ran)
        "structure": result.structure,
        # sub-problems cut short by their time share: a run with none is reproducible
        "cut_short": list(result.cut_short),
        "notes": list(result.notes),
        "device": result.device,
        "width": list(result.widths),
        "candidates": [
            {"name": c.method, "formula": text(c.expr), "rmse": num(c.val_rmse),
             "complexity": c.complexity}
            for c in result.candidates
        ],
        "pareto": [  # the front: complexity ↑, held-out RMSE ↓
            {"complexity": c.complexity, "loss": num(c.val_rmse), "formula": text(c.expr),
             "latex": latex(c.expr), "method": c.method}
            for c in result.pareto
        ],
        "edges": edges,
        "settings": json.loads(json.dumps(result.settings, default=str)),
    }
