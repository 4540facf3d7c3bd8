"""``symkan fit DATA.csv``: a formula for one column (or several) of a CSV file.

The Pareto front (complexity vs held-out error) goes to stderr as a table, the chosen
formula to stdout. The first Ctrl-C ends the search and keeps the formulas found so far;
a second one aborts with nothing written.
"""

from __future__ import annotations

import argparse
import difflib
import signal
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from symkan.cli._paths import check_run_folder
from symkan.cli.progress import Progress
from symkan.cli.settings import config_from_args, recorded_settings
from symkan.data import load_csv
from symkan.errors import InputError
from symkan.formula.display import formula_text
from symkan.outputs.artifacts import run_files
from symkan.outputs.runfolder import write_run
from symkan.pipeline import fit
from symkan.search.types import LEVERS
from symkan.symbolic.library import DEFAULT_LIBRARY


def add_parser(sub) -> None:
    fit = sub.add_parser("fit", help="find a closed-form formula for a column of a CSV file")
    fit.add_argument("data", type=Path, help="CSV file with a header row")
    fit.add_argument("--target", help="column to explain (default: the last column); "
                     "several, comma-separated (a,b), give one formula each")
    fit.add_argument("--out", type=Path, help="run folder (default: reports/<csv name>/); "
                     "with several targets, one subfolder per target")
    fit.add_argument("--seed", type=int, default=None, help="default 0")
    fit.add_argument("--device", default=None, choices=["auto", "cpu", "cuda"],
                     help="default auto")
    fit.add_argument("--time-budget", type=float, default=None, metavar="S",
                     help="seconds per target; the search then keeps the front found so far "
                     "(default 120)")
    fit.add_argument("--model-selection", default=None,
                     choices=["best", "accuracy", "simplest"],
                     help="which formula of the Pareto front is reported (default best)")
    fit.add_argument("--units", metavar="COL=UNITS,...",
                     help="units of every column, e.g. 'm_0=kg,v=m/s,c=m/s,m=kg' ('1' for "
                          "dimensionless): the law is first reduced by dimensional analysis")
    fit.add_argument("--methods", metavar="LEVER,...",
                     help="the levers the search may use, comma-separated (default: all of "
                          + ", ".join(LEVERS) + ")")
    steer = fit.add_argument_group("steering the search (see README, 'Steering the search')")
    steer.add_argument("--primitives", metavar="NAME,...",
                       help="the only functions a formula may call, e.g. exp,log (default: "
                            "all of " + ", ".join(n for n in DEFAULT_LIBRARY if n not in
                                                   ("0", "x")) + "); powers always allowed")
    steer.add_argument("--primitive", action="append", metavar="NAME[:C]=EXPR",
                       help="add a function of x, e.g. 'sinc=sin(x)/x' (C: its complexity); "
                            "repeatable")
    steer.add_argument("--inputs", metavar="COL,...", help="the input columns (default all; "
                       "a column holding the row numbers only when named here)")
    steer.add_argument("--exclude", metavar="COL,...", help="columns that are not inputs")
    steer.add_argument("--guess", action="append", metavar="FORMULA",
                       help="a formula you suspect, e.g. 'a*x**2 + b' (non-column names are "
                            "fitted constants): scored and shown on the front; repeatable")
    steer.add_argument("--template", action="append", metavar="FORMULA",
                       help="a formula with one unknown function, e.g. 'f(x)*exp(-y)': the "
                            "search finds f; repeatable")
    steer.add_argument("--max-complexity", type=int, metavar="N",
                       help="keep no formula of more than N expression-tree nodes")
    steer.add_argument("--parsimony", type=float, metavar="W",
                       help="choose the formula with the lowest held-out RMSE/std(y) + W × "
                            "complexity (e.g. 0.01: a node more must cut the error by 1 %% of "
                            "the target's spread)")
    steer.add_argument("--from", dest="from_run", type=Path, metavar="RUN",
                       help="repeat the settings of the run folder RUN (its result.json) on "
                            "this CSV; options given here override them")
    fit.add_argument("--weights", metavar="COL",
                     help="a column of row weights >= 0 (e.g. 1/σ² of each measurement): "
                          "every constant fit, snap and held-out error is weighted; the "
                          "column is not an input")
    fit.add_argument("--quiet", action="store_true", help="no progress on stderr")
    fit.add_argument("--force", action="store_true",
                     help="write the run into an existing folder that is not a run folder "
                          "(its files are kept)")
    fit.set_defaults(run=run)


@contextmanager
def _first_interrupt_stops(progress: Progress):
    """The first Ctrl-C sets the event the pipeline polls; the second one aborts."""
    event = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield event
        return

    def handler(signum, frame):
        if event.is_set():
            raise KeyboardInterrupt
        event.set()
        progress.line("interrupted: finishing with the formulas found so far "
                      "(Ctrl-C again to abort)", final=True)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield event
    finally:
        signal.signal(signal.SIGINT, previous)


def _targets(text: str | None) -> list[str | None]:
    if text is None:
        return [None]
    names = [t.strip() for t in text.split(",")]
    if not all(names) or len(set(names)) != len(names):
        raise InputError(f"--target {text!r}: give column names separated by commas, each "
                         "once, e.g. --target F,E")
    return names


def _front_table(result) -> list[str]:
    rows = [f"Pareto front for {result.dataset.target_name} (* = chosen; loss = held-out RMSE):",
            f"  {'':1} {'complexity':>10}  {'loss':>10}  formula"]
    names = result.dataset.feature_names
    for c in result.pareto:
        mark = "*" if c.expr == result.expr else " "
        rows.append(f"  {mark} {c.complexity:>10}  {c.val_rmse:>10.3g}  {formula_text(c.expr, names)}")
    return rows


def _weights(dataset, column: str | None, targets) -> tuple:
    """The dataset without the weights column, and that column's values (None: none)."""
    if column is None:
        return dataset, None
    names = list(dataset.feature_names)
    if column in targets:
        raise InputError(f"--weights {column!r} is the target; give a column of row weights")
    if column not in names:
        hint = difflib.get_close_matches(column, names, n=1)
        raise InputError(f"--weights {column!r} is not a column of {dataset.source}; its "
                         f"columns are {names}" + (f". Did you mean {hint[0]!r}?" if hint else ""))
    k = names.index(column)
    w = dataset.X[:, k]
    if np.any(w < 0) or not np.sum(w) > 0:
        raise InputError(f"--weights {column!r} has negative values or only zeros; weights "
                         "are numbers >= 0, e.g. 1/σ² of each row's measurement error")
    return dataset.with_features([i for i in range(len(names)) if i != k]), w


def run(args: argparse.Namespace) -> int:
    progress = Progress(args.quiet)
    if args.time_budget is not None and not args.time_budget > 0:
        raise InputError(f"--time-budget {args.time_budget:g}: give a positive number of "
                         "seconds, e.g. --time-budget 60")
    base = recorded_settings(args.from_run) if args.from_run is not None else {}
    targets = _targets(args.target or base.get("target"))
    datasets, weights = [], None
    for target in targets:
        dataset = load_csv(args.data, target)
        dataset, weights = _weights(dataset, args.weights, targets)
        others = [i for i, n in enumerate(dataset.feature_names) if n not in targets]
        datasets.append(dataset.with_features(others) if len(targets) > 1 else dataset)
    out = args.out or Path("reports") / Path(args.data).stem
    outs = [out] if len(targets) == 1 else [out / d.target_name for d in datasets]
    if len(targets) > 1 and out.exists() and not out.is_dir():
        raise InputError(f"--out {str(out)!r} is a file; choose a folder")
    for folder in outs:
        check_run_folder(folder, args.force)
    columns = [*datasets[0].feature_names, datasets[0].target_name]
    if len(targets) > 1:
        columns += [d.target_name for d in datasets[1:]]
    config = config_from_args(args, columns, base)
    results = []
    with _first_interrupt_stops(progress) as stop:
        for dataset in datasets:
            if stop.is_set() and results:
                break
            progress.line(
                f"{dataset.source}: {dataset.n_rows} rows, target {dataset.target_name!r}, "
                f"features {list(dataset.feature_names)}", final=True,
            )
            results.append(fit(dataset, config, on_progress=progress, stop=stop.is_set,
                               sample_weight=weights))
    if len(results) < len(datasets):
        skipped = [d.target_name for d in datasets[len(results):]]
        progress.line(f"interrupted: no formula for {skipped}", final=True)
    failed = []
    for result, folder in zip(results, outs):
        for row in _front_table(result):
            progress.line(row, final=True)
        files, notes = run_files(result)
        try:
            written = write_run(folder, files)
        except (OSError, ValueError) as err:  # checked before training; the disk changed since
            failed.append(f"could not write the run folder {str(folder)!r} ({_why(err)})")
            continue
        for note in notes:
            progress.line(note, final=True)
        progress.line(
            f"held-out R² {result.r2:.6g}, RMSE {result.rmse:.3g}, complexity "
            f"{result.complexity}, {result.seconds:.1f}s on {result.device}; run folder "
            f"{written}", final=True,
        )
    for result in results:  # the formulas, even when a run folder could not be written
        text = formula_text(result.expr, result.dataset.feature_names)
        print(f"{result.dataset.target_name} = {text}")
    sys.stdout.flush()
    if failed:
        raise InputError("; ".join(failed) + "; the formula is on stdout. Choose another "
                         "--out to keep the run's files")
    return 0


def _why(err: Exception) -> str:
    if isinstance(err, OSError) and err.strerror:
        where = f": {err.filename!r}" if err.filename else ""
        return f"{err.strerror}{where}"
    return str(err)
