"""``symkan datasets list|make``: the benchmark problems, and CSV files made from them.

* ``symkan datasets list [SUITE]``: a table (suite:name, variables, formula) on stdout.
* ``symkan datasets make NAME [--n 1000] [--noise 0.01] [--seed S] [--out FILE]``: a CSV
  of ``n`` rows drawn uniformly from the problem's box, columns = its variables then the
  target, with SRBench noise (Gaussian, std = level × RMS of the target). By default the
  file is ``NAME.csv`` in the current folder (``kan-paper_I.6.2.csv`` for ``kan-paper:I.6.2``); ``--out -`` writes to
  stdout. An existing file is kept unless ``--force``. ``symkan fit FILE`` reads it.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

from symkan.bench.problems import SUITES, get_problem, load_suite
from symkan.errors import InputError


def add_parser(sub) -> None:
    ds = sub.add_parser(
        "datasets", help="list benchmark problems, or write one as a CSV file",
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = ds.add_subparsers(dest="verb", required=True)
    ls = verbs.add_parser("list", help="list the problems of every suite, or of SUITE")
    ls.add_argument("suite", nargs="?", help="feynman, bonus, kan-paper or special")
    ls.set_defaults(run=run_list)
    mk = verbs.add_parser("make", help="write a problem's data as CSV")
    mk.add_argument("name", help="problem name, e.g. I.6.2a or kan-paper:I.12.11 or special:jv")
    mk.add_argument("--n", type=int, default=1000, help="rows (default 1000)")
    mk.add_argument("--noise", type=float, default=0.0,
                    help="noise level: std = NOISE × RMS of the target (default 0; e.g. 0.01)")
    mk.add_argument("--seed", type=int, default=0, help="seed of the sampling (default 0)")
    mk.add_argument("--out", help="output file (default NAME.csv here; '-' for stdout)")
    mk.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    mk.set_defaults(run=run_make)


def run_list(args: argparse.Namespace) -> int:
    suites = [args.suite] if args.suite else list(SUITES)
    rows = [(p.qualified_name, " ".join(p.variables), p.formula)
            for s in suites for p in load_suite(s)]
    print(format_table(("name", "variables", "formula"), rows))
    return 0


def format_table(header, rows) -> str:
    """Left-aligned columns separated by two spaces (the last column is not padded).

    >>> print(format_table(("a", "b"), [("xx", "1"), ("y", "22")]))
    a   b
    xx  1
    y   22
    """
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for r in [header, *rows]:
        cells = [str(c).ljust(w) for c, w in zip(r, widths)] + [str(r[-1])]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def to_csv(dataset) -> str:
    """The dataset as CSV text: features then target, floats written exactly (repr)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*dataset.feature_names, dataset.target_name])
    for x, y in zip(dataset.X.tolist(), dataset.y.tolist()):
        writer.writerow([repr(v) for v in (*x, y)])
    return buf.getvalue()


def default_out(problem) -> str:
    """``I.6.2a.csv`` and ``test_1.csv`` (AI Feynman names are unique);
    ``kan-paper_I.6.2.csv`` and ``special_jv.csv`` for the KAN paper's suites."""
    if problem.suite in ("feynman", "bonus"):
        return f"{problem.name}.csv"
    return f"{problem.suite}_{problem.name}.csv"


def run_make(args: argparse.Namespace) -> int:
    problem = get_problem(args.name)
    out = args.out if args.out is not None else default_out(problem)
    if out != "-":
        path = Path(out)
        if path.exists() and not args.force:
            raise InputError(f"{str(path)!r} exists; pass --force to overwrite it, or "
                             "choose another --out")
        if path.is_dir():
            raise InputError(f"--out {str(path)!r} is a folder; give a file name")
        if not path.parent.is_dir():
            raise InputError(f"folder {str(path.parent)!r} of --out does not exist; create it")
    text = to_csv(problem.sample(args.n, seed=args.seed, noise=args.noise))
    if out == "-":
        sys.stdout.write(text)
        return 0
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)  # atomic: never a half-written CSV
    noise = f", noise {args.noise:g} × RMS" if args.noise else ""
    print(f"{problem.qualified_name}: {args.n} rows{noise} → {path}", file=sys.stderr)
    print(path)
    return 0
