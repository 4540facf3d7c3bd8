"""``symkan export RUN_DIR --to TARGET``: the run's formula as LaTeX, sympy, numpy, torch
or plain-Python code, on stdout or into a file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from symkan.cli._paths import check_new_file
from symkan.export import export
from symkan.outputs.persist import load
from symkan.outputs.runfolder import write_files


def add_parser(sub) -> None:
    p = sub.add_parser("export", help="print a run's formula as LaTeX or code")
    p.add_argument("run_dir", type=Path, help="a run folder written by `symkan fit`")
    p.add_argument("--to", required=True, choices=["latex", "sympy", "numpy", "torch", "python"])
    p.add_argument("--precision", type=int, default=None,
                   help="significant digits of each constant (default: LaTeX 4, code all)")
    p.add_argument("--out", type=Path, help="write to this file instead of stdout")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    model = load(args.run_dir)
    if args.out is not None:
        check_new_file(args.out, args.force)
    text = export(model.expr, model.feature_names, args.to, target=model.target_name,
                  precision=args.precision)
    if not text.endswith("\n"):
        text += "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        write_files(args.out.parent, {args.out.name: text})
        print(f"symkan: wrote {args.out}", file=sys.stderr)
    return 0
