"""Report tests: Markdown content, and write_run's all-or-nothing behaviour."""

from __future__ import annotations

import json
import os

import pytest

from symkan.outputs import runfolder
from symkan.outputs.report import report_markdown
from symkan.outputs.runfolder import MANIFEST, write_run


def _edge(layer, i, j, name, a, b, c, d, r2) -> dict:
    return {"layer": layer, "i": i, "j": j, "name": name, "a": a, "b": b, "c": c, "d": d, "r2": r2}


@pytest.fixture
def result() -> dict:
    return {
        "formula": "0.5*sin(3.14*x_1) + x_2**2",
        "latex": r"0.5 \sin{\left(3.14 x_{1} \right)} + x_{2}^{2}",
        "r2": 0.99999991234,
        "rmse": 0.00123456789,
        "complexity": 7,
        "seconds": 12.3456,
        "device": "cpu",
        "width": [2, 2, 1],
        "target": "y",
        "features": ["x_1", "x_2"],
        "source": "data.csv",
        "settings": {"steps": 200, "lamb": 0.001, "grid": [5, 10]},
        "edges": [
            _edge(0, 0, 0, "sin", 3.14, 0.0, 0.5, 0.0, 0.9999),
            _edge(0, 1, 1, "x^2", 1.0, 0.0, 1.0, 0.0, 1.0),
            _edge(1, 0, 0, "x", 1.0, 0.0, 1.0, 0.0, 1.0),
        ],
        "candidates": [
            {
                "name": "best",
                "formula": "0.5*sin(3.14*x_1) + x_2**2",
                "rmse": 0.0012,
                "complexity": 7,
            },
            {"name": "simpler", "formula": "x_2**2 | 0", "rmse": 0.35, "complexity": 3},
        ],
    }


# ----------------------------------------------------------------------------- Markdown


def test_report_has_formula_metrics_and_tables(result):
    md = report_markdown(result)
    assert "```math\n" + result["latex"] + "\n```" in md
    assert "y = 0.5*sin(3.14*x_1) + x_2**2" in md
    assert "| R² (held-out) | 0.99999991 |" in md
    assert "| RMSE (held-out) | 0.00123457 |" in md
    assert "| complexity | 7 |" in md
    assert "| time | 12.35 s |" in md
    assert "| device | cpu |" in md
    assert "`[2, 2, 1]`" in md
    assert "| grid | `[5, 10]` |" in md
    assert "| 0 | `x_1` | node 0 | `sin` | 3.14 | 0 | 0.5 | 0 | 0.9999 |" in md
    assert "| 1 | node 0 | `y` | `x` | 1 | 0 | 1 | 0 | 1 |" in md
    assert "`x_2**2 \\| 0`" in md  # a pipe inside a table cell is escaped
    assert "`data.csv`" in md and "`x_2`" in md
    assert md.endswith("\n") and not md.endswith("\n\n")


def test_report_links_svg_when_written_else_dot(result):
    assert "![Network diagram](diagram.svg)" in report_markdown(
        result, files=["report.md", "diagram.dot", "diagram.svg"]
    )
    for files in (None, ["report.md", "diagram.dot"]):
        md = report_markdown(result, files=files)
        assert "diagram.svg)" not in md
        assert "[diagram.dot](diagram.dot)" in md
    md = report_markdown(result, files=["report.md"])
    assert "diagram.svg" not in md and "diagram.dot" not in md and "![Network" not in md


def test_report_with_only_a_formula():
    md = report_markdown({"formula": "x"})
    assert "y = x" in md
    assert "| R² (held-out) | — |" in md
    assert "## Edges" not in md and "## Candidates" not in md and "```math" not in md


def test_report_without_formula_says_so():
    with pytest.raises(ValueError, match="no 'formula'"):
        report_markdown({"r2": 1.0})


# ----------------------------------------------------------------------------- write_run


def _leftovers(folder) -> list[str]:
    return sorted(p for p in os.listdir(folder) if p.startswith(".symkan-"))


def _read_all(folder) -> dict[str, bytes]:
    """Every file but the list of the files symkan wrote (MANIFEST)."""
    return {
        os.path.relpath(os.path.join(root, f), folder): open(os.path.join(root, f), "rb").read()
        for root, _, names in os.walk(folder)
        for f in names
        if os.path.relpath(os.path.join(root, f), folder) != MANIFEST
    }


def test_write_run_writes_all_files(tmp_path):
    out = tmp_path / "deep" / "run"
    got = write_run(out, {"report.md": "# ü\n", "d.svg": b"<svg/>", "plots/loss.txt": "1\r\n2"})
    assert got == out and got.is_absolute()
    assert _read_all(out) == {
        "report.md": "# ü\n".encode(),
        "d.svg": b"<svg/>",
        os.path.join("plots", "loss.txt"): b"1\r\n2",  # text is written exactly as given
    }
    assert _leftovers(out.parent) == []


def test_write_run_overwrite_replaces_whole_folder(tmp_path):
    out = tmp_path / "run"
    write_run(out, {"a.txt": "old", "stale.txt": "old"})
    write_run(str(out), {"a.txt": "new"})
    assert _read_all(out) == {"a.txt": b"new"}
    assert _leftovers(tmp_path) == []


def test_write_run_refuses_existing_without_overwrite(tmp_path):
    out = tmp_path / "run"
    write_run(out, {"a.txt": "old"})
    with pytest.raises(FileExistsError, match="overwrite=True"):
        write_run(out, {"a.txt": "new"}, overwrite=False)
    assert _read_all(out) == {"a.txt": b"old"}
    assert _leftovers(tmp_path) == []


def test_write_run_into_existing_empty_folder(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    write_run(out, {"a.txt": "x"})
    assert _read_all(out) == {"a.txt": b"x"}


def test_failure_mid_write_leaves_nothing_new(tmp_path, monkeypatch):
    calls = []
    real = runfolder._write_file

    def flaky(path, data):
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        real(path, data)

    monkeypatch.setattr(runfolder, "_write_file", flaky)
    files = {"a.txt": "1", "b.txt": "2", "c.txt": "3"}

    with pytest.raises(OSError, match="disk full"):
        write_run(tmp_path / "fresh", files)
    assert not (tmp_path / "fresh").exists()
    assert _leftovers(tmp_path) == []

    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "keep.txt").write_text("precious")
    calls.clear()
    with pytest.raises(OSError, match="disk full"):
        write_run(existing, files)
    assert _read_all(existing) == {"keep.txt": b"precious"}
    assert _leftovers(tmp_path) == []


def test_failure_while_swapping_restores_old_run(tmp_path, monkeypatch):
    out = tmp_path / "run"
    write_run(out, {"a.txt": "old"})
    real_replace = os.replace

    def replace(src, dst):
        if os.path.basename(os.fspath(src)) == "run" and os.fspath(dst) == str(out):
            raise OSError("cannot rename")
        real_replace(src, dst)

    monkeypatch.setattr(runfolder.os, "replace", replace)
    with pytest.raises(OSError, match="cannot rename"):
        write_run(out, {"a.txt": "new"})
    monkeypatch.undo()
    assert _read_all(out) == {"a.txt": b"old"}
    assert _leftovers(tmp_path) == []


def test_bad_content_type_writes_nothing(tmp_path):
    out = tmp_path / "run"
    write_run(out, {"a.txt": "old"})
    with pytest.raises(TypeError, match="'b.json' is a dict"):
        write_run(out, {"a.txt": "new", "b.json": {"not": "bytes"}})
    with pytest.raises(TypeError):
        write_run(tmp_path / "other", {"a.txt": "x", "n": 3})
    assert _read_all(out) == {"a.txt": b"old"}
    assert not (tmp_path / "other").exists()
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize(
    "name", ["../escape.txt", "/abs.txt", "a/../../b", "", "./a", "a\\b", "C:x", "dir/"]
)
def test_unsafe_names_are_rejected(tmp_path, name):
    with pytest.raises(ValueError, match="file name"):
        write_run(tmp_path / "run", {name: "x"})
    assert os.listdir(tmp_path) == []


def test_file_and_folder_clash_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="both a file and a folder"):
        write_run(tmp_path / "run", {"a": "x", "a/b": "y"})
    assert os.listdir(tmp_path) == []


def test_refuses_to_replace_the_current_folder(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    (work / "mine.txt").write_text("keep")
    monkeypatch.chdir(work)
    for target in (".", tmp_path):
        with pytest.raises(ValueError, match="current folder"):
            write_run(target, {"a.txt": "x"})
    assert _read_all(work) == {"mine.txt": b"keep"}
    assert _leftovers(tmp_path) == []


def test_out_dir_that_is_a_file_is_rejected(tmp_path):
    target = tmp_path / "run"
    target.write_text("a file")
    with pytest.raises(FileExistsError, match="not a folder"):
        write_run(target, {"a.txt": "x"})
    assert target.read_text() == "a file"


# ----------------------------------------------------------------------------- HTML, files


def test_markdown_shows_the_plots_when_written(result):
    from symkan.outputs.report import _FIGURES

    names = {name for name, _ in _FIGURES}
    md = report_markdown(result, files=names | {"diagram.svg"})
    assert "## Fit" in md and all(f"]({name})" in md for name in names)
    assert "## Fit" not in report_markdown(result, files={"diagram.svg"})


def test_html_report_is_self_contained(result):
    import re

    import sympy

    from symkan.outputs import plots
    from symkan.outputs.htmlreport import formula_mathml, report_html

    x = sympy.Symbol("x_1", real=True)
    page = report_html(
        result,
        mathml=formula_mathml(0.123456 * sympy.sin(x)),
        diagram_svg='<?xml version="1.0"?>\n<!DOCTYPE svg>\n<svg id="d"><text>x_1</text></svg>',
        figures={"pred": plots.predicted_vs_true_svg([1, 2, 3], [1, 2, 3.1]),
                 "loss": plots.training_curve_svg([1.0, 0.1])},
    )
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    # nothing is fetched: no scripts, stylesheets, fonts or remote URLs (XML namespaces only)
    assert "<script" not in page and "<link" not in page and "@import" not in page
    links = re.findall(r'(?:href|src)="([^"]*)"', page) + re.findall(r"url\(([^)]*)\)", page)
    assert all(link.startswith(("data:", "#")) for link in links), links
    urls = set(re.findall(r"https?://[^\s\"')<]+", page))
    assert urls <= {"http://www.w3.org/1998/Math/MathML", "http://www.w3.org/2000/svg",
                    "http://www.w3.org/1999/xlink"}, urls  # XML namespaces, never fetched
    assert "<mi>y</mi><mo>=</mo>" in page and "<mn>0.1235</mn>" in page  # MathML, rounded
    assert "y = 0.5*sin(3.14*x_1) + x_2**2" in page  # the plain text too
    assert '<svg id="d">' in page and "<?xml" not in page and "DOCTYPE svg" not in page
    assert page.count("<figure>") == 2
    assert "<td>x^2</td>" in page  # the edge table
    assert "12.35 s" in page  # timings
    assert "<td>steps</td>" in page  # settings


def test_html_escapes_text(result):
    from symkan.outputs.htmlreport import report_html

    page = report_html({**result, "target": "<b>y</b>", "formula": "a<b & c"})
    assert "<b>y</b>" not in page and "&lt;b&gt;y&lt;/b&gt;" in page
    assert "a&lt;b &amp; c" in page


def test_write_files_adds_without_removing(tmp_path):
    from symkan.outputs.runfolder import write_files

    (tmp_path / "keep.txt").write_text("k")
    write_files(tmp_path, {"sub/a.svg": "<svg/>", "b.bin": b"\x00"})
    write_files(tmp_path, {"b.bin": b"\x01"})
    assert (tmp_path / "keep.txt").read_text() == "k"
    assert (tmp_path / "sub" / "a.svg").read_text() == "<svg/>"
    assert (tmp_path / "b.bin").read_bytes() == b"\x01"
    assert not [p for p in tmp_path.rglob(".symkan-*")]
    with pytest.raises(ValueError, match="plain relative path"):
        write_files(tmp_path, {"../escape.txt": "x"})


def test_run_files_has_report_html_and_model(tmp_path):
    import sys

    sys.path.insert(0, os.path.dirname(__file__))
    from _fitted import hand_fitted

    from symkan.outputs.artifacts import run_files

    files, notes = run_files(hand_fitted((2, 2, 1), names=("a", "b"))[1])
    assert {"report.html", "report.md", "model.json", "model.safetensors", "result.json",
            "plots/predicted_vs_true.svg", "plots/residuals.svg",
            "plots/training_curve.svg", "diagram.dot"} <= set(files)
    html = files["report.html"]
    assert "<math" in html and "Predicted against true values" in html
    if "diagram.svg" in files:
        assert "data:image/svg+xml;base64," in html  # the diagram, inline, pictures embedded
    else:
        assert notes


# ------------------------------------------------- write_run never deletes the user's files


def test_replacing_a_run_keeps_files_the_user_added(tmp_path):
    out = tmp_path / "run"
    write_run(out, {"a.txt": "old", "stale.txt": "old", "plots/p.svg": "old"})
    (out / "notes.md").write_text("my notes")
    (out / "plots" / "mine.png").write_bytes(b"png")
    (out / "data").mkdir()
    (out / "data" / "raw.csv").write_text("x,y\n")
    (out / "empty").mkdir()
    (out / "link").symlink_to("notes.md")
    write_run(out, {"a.txt": "new", "plots/p.svg": "new"})
    assert _read_all(out) == {"a.txt": b"new", os.path.join("plots", "p.svg"): b"new",
                              "notes.md": b"my notes", os.path.join("plots", "mine.png"): b"png",
                              os.path.join("data", "raw.csv"): b"x,y\n", "link": b"my notes"}
    assert (out / "empty").is_dir() and (out / "link").is_symlink()
    assert json.loads((out / MANIFEST).read_text()) == ["a.txt", "plots/p.svg"]
    assert _leftovers(tmp_path) == []


def test_a_run_folder_from_before_the_manifest_keeps_the_users_files(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    for name in ("result.json", "report.md", "model.json"):
        (out / name).write_text("old run")
    (out / "notes.txt").write_text("mine")
    write_run(out, {"result.json": "{}", "report.md": "new"})
    assert _read_all(out) == {"result.json": b"{}", "report.md": b"new", "notes.txt": b"mine"}


def test_writing_into_a_folder_of_the_users_keeps_everything(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("keep me")
    write_run(out, {"report.md": "new"})
    assert _read_all(out) == {"thesis.tex": b"keep me", "report.md": b"new"}
    (out / MANIFEST).unlink()
    with pytest.raises(FileExistsError, match="'report.md', which symkan did not write"):
        write_run(out, {"report.md": "newer"})  # no list: report.md is the user's
    assert _read_all(out) == {"thesis.tex": b"keep me", "report.md": b"new"}
    assert _leftovers(tmp_path) == []
