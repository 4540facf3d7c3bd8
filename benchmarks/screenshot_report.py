"""Render a run's report.html in headless Chromium: a full-page screenshot and a layout check.

Usage, from the repository root::

    pip install playwright           # the Python driver only; do NOT run `playwright install`
    python benchmarks/screenshot_report.py RUN_DIR OUT.png [--width 1280]

The browser is the system's Chromium (``chromium``, ``chromium-browser``, ``google-chrome``
on PATH, or the path in ``SYMKAN_CHROMIUM``), driven by Playwright through
``chromium.launch(executable_path=...)``; Playwright's own browser download is never used.

The page is opened from its ``file:`` URL. Every request the page makes is recorded and any
that is not ``file:``, ``data:``, ``about:`` or ``blob:`` is aborted (the report must load
nothing from the network). The script prints where the formula, the diagram and the plots
were laid out, and exits with status 1 when something is wrong (a blocked request, a JS
console error, an element missing, hidden, empty or outside the page width, a blank
screenshot). ``tests/test_browser.py`` imports `inspect_report` from this file.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
from pathlib import Path

__all__ = ["LOCAL_SCHEMES", "SELECTORS", "PageCheck", "find_chromium", "inspect_report", "is_blank_png"]

#: URL schemes a self-contained page may request.
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")

#: The parts of report.html checked, by CSS selector (see symkan/outputs/htmlreport.py).
#: Each selector may match several elements; ``diagram`` keeps the first (outermost) match,
#: ``plots`` the first picture of each ``<figure>``.
SELECTORS = {
    "formula": ".formula math",
    "diagram": ".diagram svg, .diagram img",
    "plots": ".plots figure",  # each figure's first `svg, img`
}

_MEASURE_JS = """
(selectors) => {
  const page = document.documentElement;
  const pageWidth = page.clientWidth;
  function box(el) {
    const r = el.getBoundingClientRect();
    // the part left visible by ancestors that clip (overflow other than visible)
    let [l, t, rt, b] = [r.left, r.top, r.right, r.bottom];
    for (let a = el.parentElement; a && a !== page && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      const ar = a.getBoundingClientRect();
      if (s.overflowX !== "visible") { l = Math.max(l, ar.left); rt = Math.min(rt, ar.right); }
      if (s.overflowY !== "visible") { t = Math.max(t, ar.top); b = Math.min(b, ar.bottom); }
    }
    const s = getComputedStyle(el);
    let scroller = null;  // the nearest ancestor that scrolls it horizontally
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (["auto", "scroll"].includes(getComputedStyle(a).overflowX)) { scroller = a; break; }
    }
    return {
      tag: el.tagName.toLowerCase(),
      x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height,
      visible_x: l + scrollX, visible_width: Math.max(0, rt - l),
      visible_height: Math.max(0, b - t),
      display: s.display, visibility: s.visibility, opacity: s.opacity,
      shown: el.checkVisibility({opacityProperty: true, visibilityProperty: true}),
      overflows_box: scroller ? scroller.scrollWidth > scroller.clientWidth + 1 : false,
    };
  }
  const out = {page_width: pageWidth, scroll_width: page.scrollWidth,
               page_height: page.scrollHeight, elements: {}};
  out.elements.formula = [...document.querySelectorAll(selectors.formula)].map(box);
  const d = document.querySelector(selectors.diagram);
  out.elements.diagram = d ? [box(d)] : [];
  out.elements.plots = [...document.querySelectorAll(selectors.plots)].map(f => {
    const p = f.querySelector("svg, img");
    return p ? box(p) : {tag: "figure without svg/img", width: 0, height: 0, shown: false};
  });
  return out;
}
"""


@dataclasses.dataclass
class PageCheck:
    """What the browser saw; `problems` lists what is wrong with it."""

    url: str
    requests: list[str]  # every URL requested (file:, and any other it tried)
    blocked: list[str]  # requests aborted: not file:/data:/about:/blob:
    failed: list[str]  # local requests that failed (e.g. a missing file)
    console_errors: list[str]  # console.error messages and uncaught exceptions
    page_width: int  # the viewport's layout width (px)
    scroll_width: int  # the document's width; > page_width means a horizontal scrollbar
    page_height: int
    elements: dict[str, list[dict]]  # name in SELECTORS -> the boxes measured
    screenshot: Path | None

    def problems(self, *, need_diagram: bool = True) -> list[str]:
        out = [f"network request: {u}" for u in self.blocked]
        out += [f"failed request: {u}" for u in self.failed]
        out += [f"console error: {m}" for m in self.console_errors]
        if self.scroll_width > self.page_width:
            out.append(f"the page is wider ({self.scroll_width}px) than the window "
                       f"({self.page_width}px)")
        for name, boxes in self.elements.items():
            if not boxes and (name != "diagram" or need_diagram):
                out.append(f"{name}: nothing matches {SELECTORS[name]!r}")
            out += [f"{name} #{k}: {p}" for k, b in enumerate(boxes)
                    for p in box_problems(b, self.page_width)]
        if self.screenshot is not None and is_blank_png(self.screenshot):
            out.append(f"{self.screenshot} is blank (one colour)")
        return out


def box_problems(box: dict, page_width: float) -> list[str]:
    """Why an element measured by the page script is not laid out and visible, if it is not."""
    out = []
    if box.get("display") == "none" or box.get("visibility") in ("hidden", "collapse"):
        out.append(f"hidden (display: {box.get('display')}, visibility: {box.get('visibility')})")
    elif not box.get("shown"):
        out.append("not visible (it or an ancestor is hidden or transparent)")
    if not (box.get("width", 0) > 0 and box.get("height", 0) > 0):
        out.append(f"empty box {box.get('width')}x{box.get('height')}")
    elif not (box["visible_width"] > 0 and box["visible_height"] > 0):
        out.append("clipped away by an ancestor")
    elif box["visible_x"] < 0 or box["visible_x"] + box["visible_width"] > page_width + 0.5:
        out.append(f"outside the page width: x {box['visible_x']:.0f}.."
                   f"{box['visible_x'] + box['visible_width']:.0f}, page {page_width}")
    return out


def find_chromium() -> str | None:
    """The system's Chromium: ``$SYMKAN_CHROMIUM``, else the first browser found on PATH."""
    env = os.environ.get("SYMKAN_CHROMIUM")
    if env:
        return env if os.path.exists(env) else shutil.which(env)
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def is_blank_png(path: str | os.PathLike) -> bool:
    """Whether the image at ``path`` is all one colour (or not an image)."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            lo, hi = zip(*im.convert("RGB").getextrema())
    except OSError:
        return True
    return lo == hi


def inspect_report(report: str | os.PathLike, screenshot: str | os.PathLike | None = None, *,
                   executable: str | None = None, width: int = 1280, height: int = 800,
                   timeout_s: float = 60) -> PageCheck:
    """Open ``report`` (an HTML file) in headless Chromium, measure it, and screenshot it.

    ``screenshot``, if given, is where the full-page PNG goes. ``executable`` defaults to
    `find_chromium`. Raises RuntimeError when there is no Chromium, ImportError without
    Playwright.
    """
    from playwright.sync_api import sync_playwright

    executable = executable or find_chromium()
    if not executable:
        raise RuntimeError("no Chromium found (install `chromium`, or set SYMKAN_CHROMIUM)")
    url = Path(report).resolve().as_uri()
    requests: list[str] = []
    blocked: list[str] = []
    failed: list[str] = []
    errors: list[str] = []

    def route(r):  # every request passes here: local ones go on, the others are aborted
        if r.request.url.startswith(LOCAL_SCHEMES):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort("blockedbyclient")

    def on_console(msg):
        if msg.type == "error":
            where = msg.location or {}
            errors.append(f"{msg.text} ({where.get('url')}:{where.get('lineNumber')})")

    def on_failed(req):
        if req.url.startswith(LOCAL_SCHEMES):
            failed.append(f"{req.url} ({req.failure})")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True,
                                     timeout=timeout_s * 1000)
        try:
            context = browser.new_context(viewport={"width": width, "height": height},
                                          service_workers="block")
            context.set_default_timeout(timeout_s * 1000)
            context.route("**/*", route)
            page = context.new_page()
            page.on("request", lambda req: requests.append(req.url))
            page.on("requestfailed", on_failed)
            page.on("websocket", lambda ws: blocked.append(ws.url))
            page.on("console", on_console)
            page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
            page.goto(url, wait_until="load")
            page.evaluate("document.fonts.ready.then(() => true)")
            measured = page.evaluate(_MEASURE_JS, SELECTORS)
            shot = None
            if screenshot is not None:
                shot = Path(screenshot)
                shot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    return PageCheck(url=url, requests=requests, blocked=blocked, failed=failed,
                     console_errors=errors, page_width=measured["page_width"],
                     scroll_width=measured["scroll_width"], page_height=measured["page_height"],
                     elements=measured["elements"], screenshot=shot)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", type=Path, help="a run folder (with report.html) or an HTML file")
    ap.add_argument("out", type=Path, help="the PNG to write")
    ap.add_argument("--width", type=int, default=1280, help="window width in px (1280)")
    ap.add_argument("--chromium", help="the browser to drive (default: found on PATH)")
    args = ap.parse_args(argv)
    report = args.run / "report.html" if args.run.is_dir() else args.run
    if not report.is_file():
        print(f"error: {report} not found", file=sys.stderr)
        return 2
    try:
        check = inspect_report(report, args.out, executable=args.chromium, width=args.width)
    except ImportError:
        print("error: the Python package `playwright` is needed (pip install playwright; its "
              "own browser download is not: the system's Chromium is used)", file=sys.stderr)
        return 2
    except RuntimeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{check.screenshot}: {check.page_width}x{check.page_height} px page")
    for name, boxes in check.elements.items():
        for k, b in enumerate(boxes):
            extra = " (wider than its box: scrolls)" if b.get("overflows_box") else ""
            print(f"  {name} #{k} <{b['tag']}>: {b['width']:.0f}x{b['height']:.0f} px at "
                  f"x={b.get('x', 0):.0f} y={b.get('y', 0):.0f}{extra}")
    print(f"  {len(check.requests)} request(s): " + ", ".join(
        sorted({u.split(':', 1)[0] + ':' for u in check.requests})))
    problems = check.problems()
    for p in problems:
        print(f"problem: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
