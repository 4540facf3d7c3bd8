"""report.html in a real browser: the system's headless Chromium, driven by Playwright.

The run folder is written as `symkan fit` writes it (`run_files` then `write_run`) from the
hand-built fitted model of ``_fitted.py``, so nothing is trained. The page is opened once
per module (`benchmarks/screenshot_report.py`'s `inspect_report`, shared with the
screenshot script) and each test checks one thing it saw. Skipped without Playwright or
without a Chromium on PATH (``apt-get install chromium``; ``SYMKAN_CHROMIUM`` names another).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api",
                    reason="the browser tests need the `playwright` package (pip install playwright)")


def _load_script():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "screenshot_report.py"
    spec = importlib.util.spec_from_file_location("screenshot_report", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


shot = _load_script()
CHROMIUM = shot.find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium on PATH (apt-get install chromium, or set SYMKAN_CHROMIUM)")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    from _fitted import hand_fitted

    from symkan.outputs.artifacts import run_files
    from symkan.outputs.runfolder import write_run

    files, _ = run_files(hand_fitted((2, 2, 1), names=("a", "b"))[1])
    out = tmp_path_factory.mktemp("browser") / "run"
    write_run(out, files)
    return out


@pytest.fixture(scope="module")
def seen(run_dir):
    """What Chromium saw of the run's report.html, with its full-page screenshot."""
    return shot.inspect_report(run_dir / "report.html", run_dir.parent / "report.png",
                               executable=CHROMIUM)


def _problems(boxes, page_width):
    return {k: p for k, b in enumerate(boxes) if (p := shot.box_problems(b, page_width))}


def test_formula_mathml_is_laid_out_and_visible(seen):
    boxes = seen.elements["formula"]
    assert len(boxes) == 1, f"{shot.SELECTORS['formula']!r} matched {len(boxes)} elements"
    assert boxes[0]["tag"] == "math"
    assert boxes[0]["display"] != "inline", boxes[0]  # display="block": laid out as MathML
    assert not _problems(boxes, seen.page_width)


def test_diagram_is_laid_out_and_visible(seen):
    boxes = seen.elements["diagram"]
    if not boxes and shutil.which("dot") is None:
        pytest.skip("no diagram in the report: Graphviz's `dot` is not installed")
    assert boxes, f"no diagram: nothing matches {shot.SELECTORS['diagram']!r}"
    assert not _problems(boxes, seen.page_width)
    assert boxes[0]["width"] >= 100 and boxes[0]["height"] >= 100, boxes[0]  # not a speck


def test_plots_are_laid_out_and_visible(seen):
    boxes = seen.elements["plots"]  # predicted vs true, residuals, training curve
    assert len(boxes) == 3, boxes
    assert not _problems(boxes, seen.page_width)
    assert all(b["width"] >= 100 and b["height"] >= 100 for b in boxes), boxes


def test_page_is_no_wider_than_the_window(seen):
    assert seen.scroll_width <= seen.page_width, (seen.scroll_width, seen.page_width)


def test_nothing_is_fetched_from_the_network(seen):
    assert seen.requests and seen.requests[0] == seen.url  # the recorder saw the page itself
    assert not seen.blocked, f"the page tried to fetch: {seen.blocked}"
    assert all(u.startswith(shot.LOCAL_SCHEMES) for u in seen.requests), seen.requests
    assert not seen.failed, seen.failed


def test_no_console_errors(seen):
    assert not seen.console_errors, seen.console_errors


def test_full_page_screenshot_is_not_blank(seen):
    import numpy as np
    from PIL import Image

    assert seen.screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not shot.is_blank_png(seen.screenshot)
    with Image.open(seen.screenshot) as im:
        assert im.width == seen.page_width and im.height >= seen.page_height - 1, im.size
        gray = np.asarray(im.convert("L"))
    assert (gray < 200).mean() > 0.005  # text, lines and curves, not a bare page
    assert len(np.unique(gray)) > 16  # many shades: antialiased text and pictures


def test_the_checks_catch_a_broken_page(tmp_path):
    """The same checks on a bad page find each fault: none of them passes vacuously."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html><head><link rel="stylesheet" href="https://example.invalid/a.css">'
        "</head><body><div class=\"formula\"><math style=\"display:none\"><mi>x</mi></math></div>"
        '<div class="diagram"><svg width="0" height="0"></svg></div><img src="http://example.invalid/d.png">'
        '<div class="plots"><figure><svg width="300" height="200" style="visibility:hidden">'
        "</svg></figure></div><div style=\"width:3000px\">wide</div>"
        '<script>console.error("boom")</script></body></html>')
    check = shot.inspect_report(page, tmp_path / "bad.png", executable=CHROMIUM)
    assert sorted(check.blocked) == ["http://example.invalid/d.png",
                                     "https://example.invalid/a.css"]
    assert any("boom" in e for e in check.console_errors)
    text = "\n".join(check.problems())
    for expected in ("network request: https://example.invalid/a.css", "console error: boom",
                     "formula #0: hidden", "diagram #0: empty box", "plots #0: hidden",
                     "the page is wider"):
        assert expected in text, text
