"""Run Graphviz's ``dot`` on DOT text: the optional rendering step of `symkan.outputs.diagram`.

`render` pipes DOT text (and the edge pictures it refers to) through ``dot`` and returns
the bytes; for SVG the pictures are embedded as data URIs, so the file stands alone.
Nothing is written except a temporary folder for ``dot`` to read the pictures from.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping

from symkan.errors import SymkanError

__all__ = ["DOT_MISSING", "dot_available", "render"]

DOT_MISSING = (
    "Graphviz's `dot` was not found; install it with `apt-get install graphviz` / "
    "`brew install graphviz` / `conda install graphviz`; the DOT text is still written"
)
_RENDER_TIMEOUT_S = 120


def dot_available() -> bool:
    """Return True when Graphviz's ``dot`` binary is on ``PATH``."""
    return shutil.which("dot") is not None


def render(
    dot_text: str, fmt: str = "svg", *, images: Mapping[str, bytes] | None = None
) -> bytes:
    """Render DOT text with Graphviz's ``dot`` and return the output bytes.

    Parameters
    ----------
    dot_text : str
        DOT text, e.g. from `to_dot`.
    fmt : str
        Any ``dot -T`` output format: ``"svg"``, ``"png"``, ``"pdf"``, ...
    images : mapping of str to bytes, optional
        Pictures the DOT text refers to by file name (`edge_images`). They are put in
        a temporary folder for ``dot`` to read, removed afterwards, and, for ``svg``,
        embedded in the output as data URIs.

    Returns
    -------
    bytes
        The rendered image (UTF-8 text for ``svg``).

    Raises
    ------
    SymkanError
        If ``dot`` is not installed (the message says how to install it), or if
        ``dot`` fails (the message includes its stderr).
    ValueError
        If ``fmt`` is not a plain format name.
    """
    if not re.fullmatch(r"[A-Za-z0-9_]+(:[A-Za-z0-9_]+)*", fmt):
        raise ValueError(f"fmt {fmt!r} is not a Graphviz output format; use e.g. 'svg' or 'png'")
    exe = shutil.which("dot")
    if exe is None:
        raise SymkanError(DOT_MISSING)
    for name in images or {}:
        if not re.fullmatch(r"[A-Za-z0-9_]+\.(svg|png)", name):
            raise ValueError(f"image name {name!r} must look like 'e0_1_2.svg'")
    try:
        with tempfile.TemporaryDirectory(prefix="symkan-dot-") as tmp:
            for name, data in (images or {}).items():
                with open(os.path.join(tmp, name), "wb") as fh:
                    fh.write(data)
            proc = subprocess.run(
                [exe, f"-T{fmt}"],
                input=dot_text.encode("utf-8"),
                capture_output=True,
                check=False,
                timeout=_RENDER_TIMEOUT_S,
                cwd=tmp,
            )
    except FileNotFoundError as exc:  # removed between `which` and `run`
        raise SymkanError(DOT_MISSING) from exc
    except subprocess.TimeoutExpired as exc:
        raise SymkanError(
            f"Graphviz's `dot -T{fmt}` did not finish within {_RENDER_TIMEOUT_S} s; "
            "the DOT text is still written and can be rendered by hand"
        ) from exc
    if proc.returncode != 0:
        stderr = proc.stderr.decode("utf-8", errors="replace").strip()
        raise SymkanError(
            f"Graphviz's `dot -T{fmt}` failed with exit status {proc.returncode}: "
            f"{stderr or '(no message)'}"
        )
    if fmt == "svg" and images:
        return _embed_images(proc.stdout, images)
    return proc.stdout


def _embed_images(svg: bytes, images: Mapping[str, bytes]) -> bytes:
    """Replace ``xlink:href="name"`` by a data URI so the SVG stands alone."""
    def uri(match: re.Match) -> bytes:
        name = match.group(2).decode("utf-8")
        if name not in images:
            return match.group(0)
        mime = "image/svg+xml" if name.endswith(".svg") else "image/png"
        data = base64.b64encode(images[name]).decode("ascii")
        return match.group(1) + f'"data:{mime};base64,{data}"'.encode("ascii")

    return re.sub(rb'(xlink:href=|href=)"([^"]+)"', uri, svg)
