"""``symkan fit DATA.csv``: a formula for one column of a CSV file."""

from __future__ import annotations

import argparse
from pathlib import Path

from symkan.cli.progress import Progress
from symkan.errors import InputError


def add_parser(sub) -> None:
    fit = sub.add_parser("fit", help="find a closed-form formula for a column of a CSV file")
    fit.add_argument("data", type=Path, help="CSV file with a header row")
    fit.add_argument("--target", help="column to explain (default: the last column)")
    fit.add_argument("--out", type=Path, help="run folder (default: reports/<csv name>/)")
    fit.add_argument("--seed", type=int, default=0)
    fit.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    fit.add_argument("--quiet", action="store_true", help="no progress on stderr")
    fit.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from symkan.artifacts import run_files
    from symkan.data import load_csv
    from symkan.pipeline import FitConfig, fit
    from symkan.report import write_run

    progress = Progress(args.quiet)
    dataset = load_csv(args.data, args.target)
    out = args.out or Path("reports") / Path(args.data).stem
    if out.exists() and (not out.is_dir() or (any(out.iterdir())
                                              and not (out / "result.json").exists())):
        raise InputError(
            f"--out {str(out)!r} exists and is not a symkan run folder (no result.json); "
            "choose another --out, or remove it first"
        )
    progress.line(
        f"{dataset.source}: {dataset.n_rows} rows, target {dataset.target_name!r}, "
        f"features {list(dataset.feature_names)}", final=True,
    )
    result = fit(dataset, FitConfig(seed=args.seed, device=args.device), on_progress=progress)
    files, notes = run_files(result)
    folder = write_run(out, files)
    for note in notes:
        progress.line(note, final=True)
    progress.line(
        f"held-out R² {result.r2:.6g}, RMSE {result.rmse:.3g}, complexity {result.complexity}, "
        f"{result.seconds:.1f}s on {result.device}; run folder {folder}", final=True,
    )
    print(f"{dataset.target_name} = {result.expr}")
    return 0
