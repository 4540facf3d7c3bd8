"""Time drawing a [5, 5, 1] KAN's diagram: symkan vs pykan 0.2.8's ``model.plot()``.

Both tools draw a network of the same shape with every edge's learned function on it,
from 1,000 uniform rows in [-1, 1]^5 (nothing is trained: drawing does not depend on it):

* symkan: snap the 30 edges (``symkan.symbolic.snap.snap``, not timed: ``symkan fit``
  has done it already), then build the view (edge curves sampled on the held-out rows),
  make the 30 edge pictures and lay out and render the diagram with Graphviz ``dot``, as
  ``symkan diagram RUN --format svg`` and ``--format png`` do;
* pykan: ``model(x)`` (caches the activations) then ``model.plot(folder=...)``, which saves
  one matplotlib figure per edge at dpi 400 and assembles them with matplotlib. The
  figure is then saved as PNG (``savefig``, dpi 100), as a user would.

Each is timed ``--repeats`` times and the median and the first call are printed.
pykan writes files (checkpoints, edge images), so it runs inside a temporary directory.

Run from the repository root::

    pip install -e ".[bench]" && python benchmarks/diagram_speed.py
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import statistics
import sys
import tempfile
import time

import numpy as np
import torch


def _symkan(repeats: int) -> dict[str, list[float]]:
    import sympy

    from symkan.formula import network_expression
    from symkan.kan import KAN
    from symkan.kan.prune import edge_scores
    from symkan.outputs.diagram import draw
    from symkan.outputs.persist import FittedModel
    from symkan.outputs.views import diagram_title, network_view
    from symkan.symbolic.snap import snap

    net = KAN([5, 5, 1], generator=torch.Generator().manual_seed(0))
    X = np.random.default_rng(0).uniform(-1, 1, (1000, 5))
    Xt = torch.as_tensor(X)
    snapped = snap(net, Xt)
    names = ("x1", "x2", "x3", "x4", "x5")
    expr = network_expression(snapped, [sympy.Symbol(n, real=True) for n in names])
    with torch.no_grad():
        y = net(Xt)[:, 0].numpy()
    fitted = FittedModel(expr, names, "y", tuple(range(5)), net, net, snapped,
                         tuple(s.numpy() for s in edge_scores(net, Xt)), (), {}, {}, X, y)
    times: dict[str, list[float]] = {"svg": [], "png": []}
    for _ in range(repeats):
        for fmt, spent in times.items():
            start = time.perf_counter()
            view = network_view(fitted, "snapped")
            out = draw(view, fmt, title=diagram_title(fitted))
            spent.append(time.perf_counter() - start)
            assert len(out) > 1000
    return times


def _pykan(repeats: int) -> list[float]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from kan import KAN as PyKAN

    times = []
    with tempfile.TemporaryDirectory() as tmp:
        old = os.getcwd()
        os.chdir(tmp)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                model = PyKAN(width=[5, 5, 1], grid=5, k=3, seed=0, auto_save=False,
                              ckpt_path=os.path.join(tmp, "model"))
            x = torch.rand(1000, 5) * 2 - 1
            for r in range(repeats):
                start = time.perf_counter()
                model(x)
                model.plot(folder=os.path.join(tmp, f"figures{r}"))
                plt.savefig(os.path.join(tmp, f"plot{r}.png"), dpi=100)
                plt.close("all")
                times.append(time.perf_counter() - start)
        finally:
            os.chdir(old)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-pykan", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)

    rows = []
    sym = _symkan(args.repeats)
    for fmt, t in sym.items():
        rows.append((f"symkan view + `dot -T{fmt}`", t))
    if not args.skip_pykan:
        try:
            rows.append(("pykan `model.plot()` + savefig PNG", _pykan(args.repeats)))
        except ImportError as err:
            print(f"pykan not installed ({err}); pip install -e '.[bench]'", file=sys.stderr)
    print(f"command: python benchmarks/diagram_speed.py --repeats {args.repeats}")
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
          "1 torch thread")
    print("network: [5, 5, 1], 30 edges, 1,000 rows\n")
    print("| tool | median s | first call s |")
    print("| --- | ---: | ---: |")
    for name, t in rows:
        print(f"| {name} | {statistics.median(t):.3f} | {t[0]:.3f} |")
    if len(rows) == 3:
        ratio = statistics.median(rows[2][1]) / statistics.median(rows[0][1])
        print(f"\npykan / symkan (SVG): {ratio:.0f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
