"""``symkan diagram RUN_DIR``: draw a saved run's network at one stage."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from symkan.cli._paths import check_new_file
from symkan.outputs.diagram import dot_available, draw, text_only, to_dot
from symkan.outputs.drawing import draw_svg
from symkan.outputs.persist import load
from symkan.outputs.runfolder import write_files
from symkan.outputs.views import diagram_title, network_view


def add_parser(sub) -> None:
    p = sub.add_parser("diagram", help="draw the network of a run folder")
    p.add_argument("run_dir", type=Path, help="a run folder written by `symkan fit`")
    p.add_argument("--format", default="svg", choices=["svg", "png", "pdf", "dot"],
                   help="output format (dot: the DOT text, no Graphviz needed)")
    p.add_argument("--stage", default="formula",
                   choices=["formula", "trained", "pruned", "snapped"],
                   help="formula: the formula's own network of sums and products (default); "
                        "trained: the KAN before pruning; pruned: its splines; snapped: with "
                        "symbolic fits")
    p.add_argument("--out", type=Path, help="output file (default: RUN_DIR/diagram_<stage>.<fmt>)")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    model = load(args.run_dir)
    out = args.out or args.run_dir / f"diagram_{args.stage}.{args.format}"
    check_new_file(out, args.force)
    view = network_view(model, args.stage)
    title = diagram_title(model, args.stage)
    if args.format == "dot":
        data: bytes = to_dot(text_only(view), title=title).encode("utf-8")
    elif args.format == "svg" and not dot_available():
        print("symkan: Graphviz's `dot` was not found; drawing with symkan's own layout "
              "(install Graphviz for the finer rendering)", file=sys.stderr)
        data = draw_svg(view, title=title).encode("utf-8")
    else:
        data = draw(view, args.format, title=title)  # SymkanError (exit 1) without `dot`
    write_files(out.parent, {out.name: data})
    print(f"symkan: wrote {out}", file=sys.stderr)
    print(out)
    return 0
