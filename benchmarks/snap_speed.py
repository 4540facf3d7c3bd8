"""Time snapping a small pruned KAN to symbolic edges: pykan's ``auto_symbolic`` vs ``symkan.snap``.

Both tools get the same task (same rows, same seed): a ``[2, 5, 1]`` KAN is trained on
``f(x, y) = exp(sin(pi*x) + y**2)`` over ``[-1, 1]^2``, pruned, and then every live edge is
fitted to a library of primitives ``c*f(a*x+b)+d``. Only that last step is timed:

* pykan: ``model.auto_symbolic(lib=...)`` on the pruned ``MultKAN`` (one call; it
  changes the model, so a second call would time a different thing);
* symkan: ``symkan.symbolic.snap.snap(model, X)`` on the pruned ``symkan.kan.KAN``,
  ``--repeats`` times; the median and the first call are both reported.

Networks pruned by two different tools need not keep the same number of edges. The table
therefore also gives the time per live edge, and times symkan's ``snap`` once more on a
copy of its network that keeps only its strongest edges, as many as pykan kept: the ratio
on that row compares networks of the same size. ``snap`` fits all edges in one batched
call, so its time grows far less than linearly with the edge count and the per-edge ratio
flatters symkan when its network is the larger one.

The result table goes to stdout; pykan's own progress output goes to stderr.

Run from the repository root::

    python benchmarks/snap_speed.py               # both tools, f = exp(sin(pi x) + y^2)
    python benchmarks/snap_speed.py --task all    # also f = x*y
    python benchmarks/snap_speed.py --skip-pykan  # symkan only

pykan is an optional benchmark dependency (``pip install -e '.[bench]'``, pykan 0.2.8).
It writes checkpoints on every fit and prune, so its calls run inside a temporary
directory (also its ``ckpt_path``) that is deleted afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import math
import os
import platform
import re
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata

import numpy as np
import sympy
import torch

from symkan.formula import network_expression
from symkan.kan import KAN
from symkan.pipeline import FitConfig
from symkan.search.networks import train_network
from symkan.symbolic.library import DEFAULT_LIBRARY
from symkan.symbolic.snap import snap

torch.set_num_threads(2)  # the target machine has 2 cores; set before any torch work

TASKS: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]] = {
    "expsin": ("exp(sin(pi*x) + y**2)", lambda X: np.exp(np.sin(np.pi * X[:, 0]) + X[:, 1] ** 2)),
    "xy": ("x*y", lambda X: X[:, 0] * X[:, 1]),
}

# symkan primitive name -> pykan SYMBOLIC_LIB name, for the primitives both libraries have
_PYKAN_NAME = {
    "0": "0", "x": "x", "x^2": "x^2", "x^3": "x^3", "x^4": "x^4", "1/x": "1/x",
    "1/x^2": "1/x^2", "sqrt": "sqrt", "1/sqrt": "1/sqrt(x)", "exp": "exp", "log": "log",
    "sin": "sin", "cos": "cos", "tan": "tan", "tanh": "tanh", "asin": "arcsin",
    "acos": "arccos", "atan": "arctan", "atanh": "arctanh", "abs": "abs", "gauss": "gaussian",
}

_FIXING = re.compile(r"fixing \((\d+),(\d+),(\d+)\) with (\S+), r2=([^,]+), c=")


@dataclass
class Timing:
    tool: str  # row label
    edges: int  # live edges that were snapped
    seconds: float  # the figure compared: pykan's single call, symkan's median
    first: float  # the first call
    library_size: int
    choices: list[str] = field(default_factory=list)  # "layer l (i->j): name  r2=..."
    formula: str = ""


def make_data(task: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` rows uniform on ``[-1, 1]^2`` and the task's target, from ``seed``."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(n, 2))  # (n, 2)
    return X, TASKS[task][1](X)  # (n,)


@contextlib.contextmanager
def _inside(path: str) -> Iterator[None]:
    """Run the block with ``path`` as working directory, then go back."""
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def time_pykan(X: np.ndarray, y: np.ndarray, lib: str, seed: int) -> Timing:
    """Train, prune and ``auto_symbolic`` a pykan ``[2, 5, 1]`` KAN; time the last step only."""
    from kan import KAN  # optional dependency; ImportError is handled by the caller
    from kan.utils import SYMBOLIC_LIB

    names = list(SYMBOLIC_LIB) if lib == "default" else [_PYKAN_NAME[n] for n in DEFAULT_LIBRARY]
    n_train = int(0.8 * len(X))

    def t(a: np.ndarray) -> torch.Tensor:
        return torch.tensor(a, dtype=torch.float32)  # pykan works in float32

    dataset = {
        "train_input": t(X[:n_train]), "train_label": t(y[:n_train, None]),
        "test_input": t(X[n_train:]), "test_label": t(y[n_train:, None]),
    }
    log = io.StringIO()
    with tempfile.TemporaryDirectory(prefix="pykan-") as tmp, _inside(tmp), \
            contextlib.redirect_stdout(log):
        # auto_save=False is not enough: prune() builds its result with auto_save=True and
        # then fails on the missing ./model/history.txt (pykan 0.2.8). So let it save, here.
        model = KAN(width=[2, 5, 1], grid=5, k=3, seed=seed,
                    ckpt_path=os.path.join(tmp, "model"))
        model.fit(dataset, opt="LBFGS", steps=50, lamb=0.001)
        model = model.prune()
        model(dataset["train_input"])  # fresh activations for the pruned model
        edges = int(sum(int((layer.mask > 0).sum()) for layer in model.act_fun))
        mark = log.tell()
        start = time.perf_counter()
        model.auto_symbolic(lib=names)
        seconds = time.perf_counter() - start
        choices = [
            f"layer {m[1]} ({m[2]}->{m[3]}): {m[4]:<9} r2={float(m[5]):.6f}"
            for m in _FIXING.finditer(log.getvalue()[mark:])
        ]
        try:
            formula = _rounded(model.symbolic_formula()[0][0])
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, RuntimeError) as err:
            # pykan's formula is only shown, never timed or compared
            formula = f"(pykan symbolic_formula failed: {type(err).__name__}: {err})"
    sys.stderr.write(log.getvalue())
    return Timing("pykan", edges, seconds, seconds, len(names), choices, formula)


def _time_snap(model: KAN, X: torch.Tensor, repeats: int, max_samples: int):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        snapped = snap(model, X, max_samples=max_samples)
        times.append(time.perf_counter() - start)
    return snapped, statistics.median(times), times[0]


def _strongest(model: KAN, scores: tuple[torch.Tensor, ...], k: int) -> KAN:
    """A copy of ``model`` with only its ``k`` highest-scoring live edges left live."""
    live = torch.cat([(s * layer.mask).flatten() for s, layer in zip(scores, model.layers)])
    keep = torch.zeros_like(live)
    keep[torch.topk(live, k).indices] = 1.0
    smaller = copy.deepcopy(model)
    with torch.no_grad():
        for layer in smaller.layers:
            n = layer.mask.numel()
            layer.mask.copy_(keep[:n].reshape(layer.mask.shape))
            keep = keep[n:]
    return smaller


def time_symkan(X: np.ndarray, y: np.ndarray, repeats: int, max_samples: int, seed: int,
                match_edges: int | None = None) -> list[Timing]:
    """Train and prune with symkan's pipeline, then time ``snap`` ``repeats`` times.

    With ``match_edges`` (pykan's count of live edges) and a pruned network larger than
    that, ``snap`` is also timed on a copy keeping only that many strongest edges, so the
    two tools are compared on networks of the same size (fits on those edges are not shown).
    """
    pruned = train_network(X, y, FitConfig(seed=seed), torch.device("cpu")).pruned
    model = pruned.model
    Xp = torch.as_tensor(X, dtype=torch.float64)[:, list(pruned.inputs)]  # (n, d_kept)
    edges = int(sum(layer.mask.sum() for layer in model.layers))
    snapped, median, first = _time_snap(model, Xp, repeats, max_samples)
    choices = [
        f"layer {e.layer} ({e.i}->{e.j}): {e.name:<9} r2={e.r2:.6f}" for e in snapped.edges
    ]
    symbols = [sympy.Symbol("xy"[i]) for i in pruned.inputs]
    formula = _rounded(network_expression(snapped, symbols))
    rows = [Timing("symkan", edges, median, first, len(DEFAULT_LIBRARY), choices, formula)]
    if match_edges is not None and 0 < match_edges < edges:
        smaller = _strongest(model, pruned.edge_scores, match_edges)
        _, median, first = _time_snap(smaller, Xp, repeats, max_samples)
        rows.append(Timing(f"symkan, {match_edges} strongest edges", match_edges, median, first,
                           len(DEFAULT_LIBRARY)))
    return rows


def _rounded(expr: sympy.Expr, digits: int = 4) -> str:
    """``expr`` as text with every constant, nested ones too, to ``digits`` significant digits."""
    expr = sympy.sympify(expr)
    return str(expr.xreplace({f: sympy.Float(f, digits) for f in expr.atoms(sympy.Float)}))


def _versions() -> str:
    out = []
    for dist in ("torch", "numpy", "sympy", "pykan", "symkan"):
        try:
            out.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            out.append(f"{dist} (not installed)")
    return ", ".join(out)


def _ratio(a: float, b: float) -> str:
    return f"{a / b:,.0f}x" if b > 0 and math.isfinite(a) else "n/a"


def report(task: str, rows: list[Timing], note: str | None, repeats: int) -> str:
    lines = [f"## task {task}: f = {TASKS[task][0]}", ""]
    width = max(len(r.tool) for r in rows)
    head = (f"{'tool':<{width}} {'edges':>5} {'lib':>4} {'seconds':>9} {'ms/edge':>9} "
            f"{'first s':>8} {'pykan/this':>10} {'per edge':>9}")
    lines += [head, "-" * len(head)]
    pykan = next((r for r in rows if r.tool == "pykan"), None)
    for r in rows:
        per = r.seconds / max(r.edges, 1)
        total_ratio = per_edge_ratio = ""
        if pykan is not None and r is not pykan:
            total_ratio = _ratio(pykan.seconds, r.seconds)
            per_edge_ratio = _ratio(pykan.seconds / max(pykan.edges, 1), per)
        lines.append(f"{r.tool:<{width}} {r.edges:>5} {r.library_size:>4} {r.seconds:>9.4f} "
                     f"{1e3 * per:>9.2f} {r.first:>8.4f} {total_ratio:>10} {per_edge_ratio:>9}")
    if pykan is not None:
        first = rows[1].first  # symkan's first snap call (of the process, for the first task)
        per_edge = _ratio(pykan.seconds / max(pykan.edges, 1), first / max(rows[1].edges, 1))
        lines += ["", (f"pykan/symkan on symkan's first snap call: "
                       f"{_ratio(pykan.seconds, first)} total, {per_edge} per edge")]
    if note:
        lines += ["", note]
    lines += [
        "",
        (f"seconds: pykan = one auto_symbolic call; symkan = median of {repeats} snap calls "
         f"('first s' = the first of them)."),
        "lib: primitives tried per edge. pykan/this: pykan seconds / this row's seconds;",
        "per edge: the same with each divided by its own edge count.",
    ]
    for r in rows:
        if r.choices:
            lines += ["", f"{r.tool} chose:"] + [f"  {c}" for c in r.choices]
            lines.append(f"  formula: {r.formula}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5,
                        help="symkan snap calls to time; the median is reported (default 5)")
    parser.add_argument("--skip-pykan", action="store_true", help="time symkan only")
    parser.add_argument("--task", choices=[*TASKS, "all"], default="expsin",
                        help="target function (default expsin; 'all' runs every task)")
    parser.add_argument("--pykan-lib", choices=["default", "shared"], default="default",
                        help="pykan's own default library (29 names) or the 21 primitives "
                             "symkan's default library has too (default: default)")
    parser.add_argument("--max-samples", type=int, default=512,
                        help="rows symkan's snap fits each edge on (its default 512; pykan "
                             "uses all 800 training rows)")
    parser.add_argument("--samples", type=int, default=1000, help="rows generated (default 1000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats {args.repeats}: give at least 1")

    print("# snap speed: pykan auto_symbolic vs symkan snap")
    print(f"command: {shlex.join([sys.executable.rsplit('/', 1)[-1], *sys.argv])}")
    print(f"machine: {platform.processor() or platform.machine()}, os.cpu_count()="
          f"{os.cpu_count()}, torch threads={torch.get_num_threads()} "
          f"(set to 2 by this script), {platform.system()} {platform.release()}")
    print(f"python {platform.python_version()}; {_versions()}")
    print(f"data: {args.samples} rows uniform on [-1,1]^2, seed {args.seed}; pykan trains on "
          f"the first 80%")
    print()

    tasks = list(TASKS) if args.task == "all" else [args.task]
    for task in tasks:
        X, y = make_data(task, args.samples, args.seed)
        rows: list[Timing] = []
        note = None
        pykan_edges = None
        if args.skip_pykan:
            note = "pykan skipped (--skip-pykan)"
        else:
            print(f"[{task}] pykan: train, prune, auto_symbolic (minutes) ...", file=sys.stderr)
            try:
                rows.append(time_pykan(X, y, args.pykan_lib, args.seed))
                pykan_edges = rows[0].edges
            except ImportError as err:
                note = (f"pykan not timed: cannot import it ({err}). Install it with "
                        f"`pip install --no-deps pykan==0.2.8 && pip install matplotlib tqdm "
                        f"pyyaml` (or `pip install -e '.[bench]'`), or run with --skip-pykan.")
        print(f"[{task}] symkan: train, prune, snap x{args.repeats} ...", file=sys.stderr)
        rows += time_symkan(X, y, args.repeats, args.max_samples, args.seed, pykan_edges)
        print(report(task, rows, note, args.repeats))
        print(flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
