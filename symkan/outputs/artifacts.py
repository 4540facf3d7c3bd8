"""A fitted result → the files of a run folder, as strings and bytes (nothing is written here).

`run_files` is what the CLI hands to `runfolder.write_run`; the JSON record comes from
`symkan.outputs.record.result_record`.
"""

from __future__ import annotations

import dataclasses
import json

from symkan.errors import SymkanError
from symkan.formula.display import shown
from symkan.outputs import plots
from symkan.outputs.diagram import NetworkView, dot_available, draw, to_dot
from symkan.outputs.htmlreport import formula_mathml, report_html
from symkan.outputs.persist import from_result, model_files
from symkan.outputs.record import result_record
from symkan.outputs.report import report_markdown
from symkan.outputs.views import diagram_title
from symkan.outputs.views import network_view as view
from symkan.pipeline import FitResult


def network_view(result: FitResult, stage: str = "snapped") -> NetworkView:
    """The network at ``stage`` (trained, pruned, snapped) with edge curves and strengths."""
    return view(from_result(result), stage)


def run_files(result: FitResult) -> tuple[dict[str, str | bytes], list[str]]:
    """The run folder's files and a list of notes (e.g. why there is no SVG)."""
    record = result_record(result)
    return fitted_files(from_result(result, record), record)


def fitted_files(fitted, record: dict) -> tuple[dict[str, str | bytes], list[str]]:
    """The run folder's files for a `symkan.outputs.persist.FittedModel` and its record."""
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
    files["report.html"] = report_html(record, mathml=formula_mathml(shown(fitted.expr, fitted.feature_names)),
                                       diagram_svg=svg, figures=figures)
    files.update(model_files(fitted))
    files["report.md"] = report_markdown(record, files=set(files) | {"report.md"})
    return files, notes
