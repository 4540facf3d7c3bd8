"""Diagram tests: golden DOT text from a hand-built view; rendering when `dot` exists."""

from __future__ import annotations

import dataclasses
import shutil

import pytest

from symkan.errors import SymkanError
from symkan.outputs.diagram import EdgeView, NetworkView, dot_available, render, to_dot

HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz's `dot` is not on PATH")


@pytest.fixture
def tiny() -> NetworkView:
    """[2, 1, 1]: two snapped edges and one spline edge."""
    return NetworkView(
        widths=(2, 1, 1),
        edges=(
            EdgeView(1, 0, 0, "x^2", "x^2", 0.25, True),  # out of order on purpose
            EdgeView(0, 0, 0, "sin", "0.5*sin(3.14*x + 0.1)", 1.0, True),
            EdgeView(0, 1, 0, "spline", None, 0.5, False),
        ),
        input_names=("x", "y"),
        output_name="f",
    )


GOLDEN = """\
digraph symkan {
  graph [rankdir=BT, nodesep=0.5, ranksep=0.9, fontname="Helvetica,Arial,sans-serif"];
  node [fontname="Helvetica,Arial,sans-serif", fontsize=12];
  edge [fontname="Helvetica,Arial,sans-serif", fontsize=10, arrowsize=0.5];
  label="f(x, y)";
  labelloc=t;
  subgraph layer0 {  // inputs
    rank=same;
    n0_0 [label="x", shape=box, style=rounded];
    n0_1 [label="y", shape=box, style=rounded];
    n0_0 -> n0_1 [style=invis];
  }
  subgraph layer1 {  // hidden
    rank=same;
    n1_0 [label="+", shape=circle, width=0.3, fixedsize=true, fontsize=10];
  }
  subgraph layer2 {  // output
    rank=same;
    n2_0 [label="f", shape=box, style="rounded,bold"];
  }
  n0_0 -> n1_0 [label="sin", tooltip="0.5*sin(3.14*x + 0.1)", penwidth=3.50, \
color="#000000", fontcolor="#000000"];
  n0_1 -> n1_0 [label="spline", tooltip="spline (not snapped)", style=dashed, penwidth=2.00, \
color="#d62728a6", fontcolor="#d62728a6"];
  n1_0 -> n2_0 [label="x^2", tooltip="x^2", penwidth=1.25, color="#8f8f8f", fontcolor="#8f8f8f"];
}
"""


def _edge_lines(dot: str) -> list[str]:
    return [ln.strip() for ln in dot.splitlines() if "->" in ln and "invis" not in ln]


def test_golden_dot(tiny):
    assert to_dot(tiny, title="f(x, y)") == GOLDEN


def test_deterministic_and_order_independent(tiny):
    shuffled = dataclasses.replace(tiny, edges=tuple(reversed(tiny.edges)))
    assert to_dot(tiny) == to_dot(shuffled) == to_dot(tiny)
    assert "label=" not in to_dot(tiny).split("subgraph")[0]  # no title → no graph label


def test_every_edge_appears_and_unsnapped_are_dashed():
    edges = tuple(
        EdgeView(0, i, j, "sin", f"sin({i}*x)", (i + j) / 5, snapped=(i, j) != (2, 1))
        for i in range(3)
        for j in range(2)
    ) + (EdgeView(1, 0, 0, "exp", "exp(x)", 1.0, True), EdgeView(1, 1, 0, "x", "x", 0.1, True))
    view = NetworkView(
        (3, 2, 1), edges, ("a", "b", "c"), "y", node_kinds=(("sum", "mult"), ("sum",))
    )
    lines = _edge_lines(to_dot(view))
    assert len(lines) == len(edges)
    for e in edges:
        (line,) = [
            ln for ln in lines if ln.startswith(f"n{e.layer}_{e.i} -> n{e.layer + 1}_{e.j} ")
        ]
        assert ("style=dashed" in line) is (not e.snapped)
    assert 'label="×"' in to_dot(view)  # the mult node
    assert 'label="+"' in to_dot(view)


def test_labels_are_escaped():
    view = NetworkView(
        widths=(3, 1),
        edges=(EdgeView(0, 0, 0, 'say "hi"', None, 1.0, False),),
        input_names=("theta_1", 'a"b', "back\\slash"),
        output_name="E_kin\nnew",
    )
    dot = to_dot(view, title='"quoted" title')
    assert 'label="theta_1"' in dot  # underscores are fine inside a quoted DOT string
    assert 'label="a\\"b"' in dot
    assert 'label="back\\\\slash"' in dot
    assert 'label="E_kin\\nnew"' in dot
    assert 'label="say \\"hi\\""' in dot
    assert 'label="\\"quoted\\" title"' in dot


def test_strength_is_clipped_and_nan_is_weakest():
    def line(strength: float) -> str:
        view = NetworkView((1, 1), (EdgeView(0, 0, 0, "x", "x", strength, True),), ("x",), "y")
        return _edge_lines(to_dot(view))[0]

    assert line(7.0) == line(1.0)
    assert line(-1.0) == line(0.0) == line(float("nan"))
    assert "penwidth=0.50" in line(0.0) and "penwidth=3.50" in line(1.0)


def test_several_outputs_are_indexed():
    view = NetworkView((1, 2), (), ("x",), "y")
    dot = to_dot(view)
    assert 'label="y[0]"' in dot and 'label="y[1]"' in dot


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"widths": (2,)}, "at least two layers"),
        ({"input_names": ("x",)}, "one name per input"),
        ({"node_kinds": (("sum",),)}, "one kind per node"),
        ({"node_kinds": (("max",), ("sum",))}, "'sum' or 'mult'"),
        ({"edges": (EdgeView(0, 2, 0, "x", "x", 1.0, True),)}, "does not fit widths"),
        ({"edges": (EdgeView(0, 0, 0, "x", "x", 1, True),) * 2}, "appears twice"),
    ],
)
def test_inconsistent_view_raises(tiny, change, message):
    with pytest.raises(ValueError, match=message):
        to_dot(dataclasses.replace(tiny, **change))


@needs_dot
def test_render_svg_contains_names(tiny):
    view = dataclasses.replace(tiny, input_names=("theta_1", "omega"))
    svg = render(to_dot(view), "svg").decode("utf-8")
    assert "<svg" in svg
    assert "theta_1" in svg and "omega" in svg


@needs_dot
def test_render_reports_dot_errors():
    with pytest.raises(SymkanError, match="failed with exit status"):
        render("digraph { this is not DOT")


def test_render_rejects_odd_format():
    with pytest.raises(ValueError, match="not a Graphviz output format"):
        render("digraph {}", "svg -o /tmp/x")


def test_render_without_dot_says_how_to_install(monkeypatch, tmp_path, tiny):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no `dot` anywhere
    assert not dot_available()
    with pytest.raises(SymkanError, match="apt-get install graphviz") as err:
        render(to_dot(tiny))
    assert "brew install graphviz" in str(err.value)
    assert "conda install graphviz" in str(err.value)


def test_dot_available_follows_which(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert dot_available() is False
    with pytest.raises(SymkanError, match="`dot` was not found"):
        render("digraph {}")
    monkeypatch.setattr(shutil, "which", lambda name: "/opt/bin/dot")
    assert dot_available() is True


# ----------------------------------------------------------------------------- edge pictures


@pytest.fixture
def plotted() -> NetworkView:
    """[2, 1] with curves: one snapped edge (fit drawn over it), one numeric edge."""
    return NetworkView(
        (2, 1),
        (
            EdgeView(0, 0, 0, "sin", "0.5*sin(3.1*x)", 1.0, True, (0.0, 1.0), (0.0, 0.5),
                     (0.0, 0.49)),
            EdgeView(0, 1, 0, "spline", None, 0.25, False, (0.0, 1.0), (1.0, 0.0), None),
        ),
        ("x", "y"),
        "f",
    )


_TABLE = (
    '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1"><TR><TD FIXEDSIZE="TRUE" '
    'WIDTH="96" HEIGHT="56"><IMG SRC="{name}" SCALE="TRUE"/></TD></TR><TR><TD CELLPADDING="3">'
    '<FONT POINT-SIZE="9" COLOR="{color}">{text}</FONT></TD></TR></TABLE>>'
)
GOLDEN_PLOT_TAIL = f"""\
  subgraph edges0 {{  // the functions of layer 0
    rank=same;
    e0_0_0 [shape=box, style=rounded, margin=0.03, penwidth=3.50, color="#000000", \
tooltip="0.5*sin(3.1*x)", label={_TABLE.format(name="e0_0_0.svg", color="#222222",
                                              text="0.5*sin(3.1*x)")}];
    e0_1_0 [shape=box, style="rounded,dashed", margin=0.03, penwidth=1.25, color="#d6272879", \
tooltip="spline (not snapped)", label={_TABLE.format(name="e0_1_0.svg", color="#d62728",
                                                    text="spline (numeric)")}];
    e0_0_0 -> e0_1_0 [style=invis];
  }}
  n0_0 -> e0_0_0 [penwidth=3.50, color="#000000", arrowhead=none];
  e0_0_0 -> n1_0 [penwidth=3.50, color="#000000"];
  n0_1 -> e0_1_0 [style=dashed, penwidth=1.25, color="#d6272879", arrowhead=none];
  e0_1_0 -> n1_0 [style=dashed, penwidth=1.25, color="#d6272879"];
}}
"""


def test_golden_dot_with_edge_pictures(plotted):
    dot = to_dot(plotted, title="f = sin(x)")
    assert dot.endswith(GOLDEN_PLOT_TAIL)
    assert 'n1_0 [label="f", shape=box, style="rounded,bold"];' in dot
    assert to_dot(plotted, image_format="png").count('.png" SCALE') == 2


def test_edge_images_match_the_references(plotted):
    from symkan.outputs.diagram import edge_images

    images = edge_images(plotted)
    dot = to_dot(plotted)
    assert sorted(images) == ["e0_0_0.svg", "e0_1_0.svg"]
    assert all(f'SRC="{name}"' in dot for name in images)
    assert images["e0_0_0.svg"].count(b"<polyline") == 2  # learned + fit
    assert images["e0_1_0.svg"].count(b"<polyline") == 1  # numeric: learned only


def test_edge_svg_stays_inside_its_box():
    import re

    from symkan.outputs.plots import EDGE_SIZE, edge_svg

    svg = edge_svg([0, 1, 2, 3], [0.0, 5.0, -5.0, 1.0], [0.0, 1e9, float("nan"), 1.0])
    for x, y in re.findall(r"(-?[\d.]+),(-?[\d.]+)", svg):
        assert 0 <= float(x) <= EDGE_SIZE[0] and 0 <= float(y) <= EDGE_SIZE[1]


def _boxes(svg: str) -> list[tuple[str, float, float, float, float]]:
    """(title, x0, y0, x1, y1) of every node drawn by dot (from its outline's points)."""
    import re

    out = []
    for block in re.findall(r'<g id="node\d+" class="node">(.*?)</g>', svg, re.DOTALL):
        title = re.search(r"<title>(.*?)</title>", block).group(1)
        pts = [tuple(map(float, p.split(","))) for p in
               re.findall(r"-?[\d.]+,-?[\d.]+", " ".join(re.findall(r'points="([^"]+)"', block)
                                                        + re.findall(r'd="([^"]+)"', block)))]
        for cx, cy, rx, ry in re.findall(
            r'<ellipse[^>]*cx="([-\d.]+)" cy="([-\d.]+)" rx="([-\d.]+)" ry="([-\d.]+)"', block
        ):
            (cx, cy, rx, ry) = map(float, (cx, cy, rx, ry))
            pts += [(cx - rx, cy - ry), (cx + rx, cy + ry)]
        if pts:
            xs, ys = zip(*pts)
            out.append((title, min(xs), min(ys), max(xs), max(ys)))
    return out


@needs_dot
def test_five_input_network_draws_without_overlap():
    import sys

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    from _fitted import hand_fitted

    from symkan.outputs.diagram import draw
    from symkan.outputs.views import diagram_title, network_view

    fitted = hand_fitted((5, 5, 1))[0]
    view = network_view(fitted, "snapped")
    assert len(view.edges) == 30 and view.input_names == ("q", "Ef", "B", "v", "theta")
    svg = draw(view, "svg", title=diagram_title(fitted)).decode("utf-8")
    assert 'xlink:href="data:image/svg+xml;base64,' in svg
    assert 'href="e0' not in svg  # every picture is embedded: the SVG stands alone
    boxes = _boxes(svg)
    assert len(boxes) == 5 + 5 + 1 + 30
    for k, a in enumerate(boxes):
        for b in boxes[k + 1:]:
            apart = a[3] <= b[1] or b[3] <= a[1] or a[4] <= b[2] or b[4] <= a[2]
            assert apart, f"{a[0]} overlaps {b[0]}"
    for stage in ("trained", "pruned"):
        view = network_view(fitted, stage)
        assert not any(e.snapped for e in view.edges)
    assert draw(view, "png")[:8] == b"\x89PNG\r\n\x1a\n"
    assert draw(view, "pdf")[:5] == b"%PDF-"


def test_draw_without_dot_says_how_to_install(monkeypatch, plotted):
    from symkan.outputs.diagram import draw

    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(SymkanError, match="apt-get install graphviz"):
        draw(plotted)


def test_cli_diagram(tmp_path, capsys, monkeypatch):
    import sys

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    from _fitted import hand_fitted

    from symkan.cli import main
    from symkan.outputs.persist import save

    save(hand_fitted((2, 2, 1), names=("a", "b"))[0], tmp_path)
    assert main(["diagram", str(tmp_path), "--format", "dot", "--stage", "pruned"]) == 0
    assert (tmp_path / "diagram_pruned.dot").read_text().startswith("digraph")
    assert capsys.readouterr().out.strip() == str(tmp_path / "diagram_pruned.dot")
    if HAS_DOT:
        assert main(["diagram", str(tmp_path), "--stage", "snapped",
                     "--out", str(tmp_path / "x" / "d.svg")]) == 0
        assert (tmp_path / "x" / "d.svg").read_text().count("data:image/svg+xml") == 6
    monkeypatch.setattr(shutil, "which", lambda name: None)
    capsys.readouterr()
    assert main(["diagram", str(tmp_path)]) == 0  # SVG: symkan's own layout
    assert "own layout" in capsys.readouterr().err
    assert (tmp_path / "diagram_formula.svg").read_text().startswith("<svg")
    assert main(["diagram", str(tmp_path), "--format", "png"]) == 1
    assert "apt-get install graphviz" in capsys.readouterr().err
    assert main(["diagram", str(tmp_path), "--stage", "trained", "--format", "dot"]) == 0
