"""A fitted result → the files of a run folder, as strings and bytes (nothing is written here).

`run_files` is what the CLI hands to `runfolder.write_run`; the JSON record comes from
`symkan.outputs.record.result_record`.
"""

from __future__ import annotations

import json

from symkan.errors import SymkanError
from symkan.formula.display import shown
from symkan.kan.compile import NotCompilable
from symkan.outputs import plots
from symkan.outputs.diagram import NetworkView, dot_available, draw, text_only, to_dot
from symkan.outputs.drawing import draw_svg
from symkan.outputs.htmlreport import formula_mathml, report_html
from symkan.outputs.insight import explain
from symkan.outputs.persist import from_result, model_files
from symkan.outputs.record import result_record
from symkan.outputs.report import report_markdown
from symkan.outputs.views import diagram_title
from symkan.outputs.views import network_view as view
from symkan.pipeline import FitResult


def network_view(result: FitResult, stage: str = "formula") -> NetworkView:
    """The network at ``stage`` (formula, trained, pruned, snapped) with edge curves."""
    return view(from_result(result), stage)


def run_files(result: FitResult) -> tuple[dict[str, str | bytes], list[str]]:
    """The run folder's files and a list of notes (e.g. why there is no SVG)."""
    record = result_record(result)
    return fitted_files(from_result(result, record), record)


def fitted_files(fitted, record: dict) -> tuple[dict[str, str | bytes], list[str]]:
    """The run folder's files for a `symkan.outputs.persist.FittedModel` and its record."""
    notes: list[str] = []
    net, title = diagram(fitted, notes)
    files: dict[str, str | bytes] = {
        "formula.tex": record["latex"] + "\n",
        "diagram.dot": to_dot(text_only(net), title=title),  # `dot -Tsvg` draws it as is
    }
    svg, drawn_by = diagram_svg(net, title)
    if drawn_by is not None:
        notes.append(drawn_by)
    files["diagram.svg"] = svg
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
    insight = explain(fitted)  # what the network learned: groups, inputs, geometry
    record = {**record, "insight": insight.to_record()}
    files["plots/insight.svg"] = insight.figure_svg()
    files["result.json"] = json.dumps(record, indent=2) + "\n"
    mathml = formula_mathml(shown(fitted.expr, fitted.feature_names))
    files["report.html"] = report_html(record, mathml=mathml, diagram_svg=svg, figures=figures,
                                       diagram_note=drawn_by, insight_html=insight.html())
    files.update(model_files(fitted))
    files["report.md"] = report_markdown(record, files=set(files) | {"report.md"},
                                         insight=insight.markdown())
    return files, notes


def diagram_dot(result: FitResult) -> str:
    """The diagram of ``result`` (the formula's network, see `diagram`) as DOT text that
    Graphviz draws as is (edges labelled, no pictures)."""
    net, title = diagram(from_result(result), [])
    return to_dot(text_only(net), title=title)


def diagram(fitted, notes: list[str]) -> tuple[NetworkView, str]:
    """The network the diagram shows and its title: the formula's own network, or the
    snapped KAN (with a note) when the formula cannot be compiled into one."""
    try:
        return view(fitted, "formula"), diagram_title(fitted, "formula")
    except NotCompilable as err:
        notes.append(f"the diagram shows the snapped KAN, not the formula's network: {err}")
        return view(fitted, "snapped"), diagram_title(fitted, "snapped")


def diagram_svg(net: NetworkView, title: str) -> tuple[str, str | None]:
    """``net`` drawn by Graphviz, or by symkan's own layout without it: the SVG, and a
    note saying why when it is symkan's own drawing (None for Graphviz's)."""
    if dot_available():
        try:
            return draw(net, "svg", title=title).decode("utf-8"), None
        except SymkanError as err:
            note = f"{err}; diagram.svg was drawn by symkan's own layout instead"
    else:
        note = ("Graphviz's `dot` was not found, so diagram.svg was drawn by symkan's own "
                "layout; install Graphviz (`apt-get install graphviz` or `brew install "
                "graphviz`) for the finer rendering")
    return draw_svg(net, title=title), note
