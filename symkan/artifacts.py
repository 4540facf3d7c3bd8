"""A fitted result → the files of a run folder, as strings and bytes (nothing is written here).

`run_files` is what the CLI hands to `report.write_run`; `result_record` is the JSON record.
"""

from __future__ import annotations

import json
import math

from symkan.diagram import NetworkView, dot_available, draw, to_dot
from symkan.errors import SymkanError
from symkan.latex import to_latex
from symkan.pipeline import FitResult
from symkan.report import report_markdown


def network_view(result: FitResult, stage: str = "snapped") -> NetworkView:
    """The network at ``stage`` (trained, pruned, snapped) with edge curves and strengths."""
    from symkan.persist import from_result
    from symkan.views import network_view as view

    return view(from_result(result), stage)


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
        "pareto": [  # the front: complexity ↑, held-out RMSE ↓
            {"complexity": c.complexity, "loss": num(c.val_rmse), "formula": str(c.expr),
             "latex": to_latex(c.expr), "method": c.method}
            for c in result.pareto
        ],
        "edges": edges,
        "settings": json.loads(json.dumps(result.settings, default=str)),
    }


def run_files(result: FitResult) -> tuple[dict[str, str | bytes], list[str]]:
    """The run folder's files and a list of notes (e.g. why there is no SVG)."""
    from symkan.persist import from_result

    record = result_record(result)
    return fitted_files(from_result(result, record), record)


def fitted_files(fitted, record: dict) -> tuple[dict[str, str | bytes], list[str]]:
    """The run folder's files for a `symkan.persist.FittedModel` and its record."""
    import dataclasses

    from symkan import plots
    from symkan.htmlreport import formula_mathml, report_html
    from symkan.persist import model_files
    from symkan.views import diagram_title
    from symkan.views import network_view as view

    notes: list[str] = []
    net = view(fitted, "snapped")
    title = diagram_title(fitted, "snapped")
    plain = dataclasses.replace(net, edges=tuple(
        dataclasses.replace(e, xs=(), learned=(), fitted=None) for e in net.edges))
    files: dict[str, str | bytes] = {
        "formula.tex": record["latex"] + "\n",
        "diagram.dot": to_dot(plain, title=title),  # text only: `dot -Tsvg` draws it as is
    }
    svg = None
    if dot_available():
        try:
            svg = draw(net, "svg", title=title).decode("utf-8")
            files["diagram.svg"] = svg
        except SymkanError as err:
            notes.append(str(err))
    else:
        notes.append(
            "Graphviz's `dot` was not found, so diagram.svg was not drawn (diagram.dot is "
            "written); install it with `apt-get install graphviz` or `brew install graphviz`"
        )
    pred = fitted.predict(fitted.X_test)
    target = record["target"]
    figures = {
        "Predicted against true values, held-out rows": plots.predicted_vs_true_svg(
            fitted.y_test, pred, target),
        "Residuals, held-out rows": plots.residuals_svg(fitted.y_test, pred, target),
        "Training loss of the KAN": plots.training_curve_svg(fitted.losses),
    }
    for name, fig in zip(("predicted_vs_true", "residuals", "training_curve"), figures.values()):
        files[f"plots/{name}.svg"] = fig
    files["result.json"] = json.dumps(record, indent=2) + "\n"
    files["report.html"] = report_html(record, mathml=formula_mathml(fitted.expr),
                                       diagram_svg=svg, figures=figures)
    files.update(model_files(fitted))
    files["report.md"] = report_markdown(record, files=set(files) | {"report.md"})
    return files, notes
