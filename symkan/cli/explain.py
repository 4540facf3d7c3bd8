"""``symkan explain RUN_DIR``: what a saved run's network learned (groups, inputs, geometry)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from symkan.outputs.insight import explain
from symkan.outputs.persist import load


def add_parser(sub) -> None:
    p = sub.add_parser("explain", help="what the network of a run folder learned: dimensionless "
                                       "groups, the inputs it uses, collinear columns")
    p.add_argument("run_dir", type=Path, help="a run folder written by `symkan fit`")
    p.add_argument("--json", action="store_true", help="print the record as JSON instead")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    insight = explain(load(args.run_dir))
    if args.json:
        print(json.dumps(insight.to_record(), indent=1, allow_nan=False))
    else:
        print(insight.text(), end="")
    return 0
