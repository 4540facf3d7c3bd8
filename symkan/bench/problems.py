"""Benchmark problems as data: one formula string and one box per variable.

Problems are read from ``datasets/benchmarks/*.csv``; data generation derives from the
formula, so there is one source of truth per problem. Four suites:

=============  ====  ==============================================================
suite          size  what
=============  ====  ==============================================================
``feynman``    100   AI Feynman equations, AI Feynman ranges, units (m, s, kg, T, V)
``bonus``      20    AI Feynman 2.0 bonus equations, with units
``kan-paper``  27    the KAN paper's dimensionless Feynman forms (``paper_eq`` names);
                     boxes from ``kan_paper_ranges.csv`` (pykan's ranges, or proposed)
``special``    15    the KAN paper's special functions, scipy.special expressions
                     (``kind == "scipy"``: evaluated by `symkan.bench.evaluators`)
=============  ====  ==============================================================

A name may be qualified with its suite (``kan-paper:I.6.2``); an unqualified name is
looked up in the order of `SUITES`, so ``I.6.2`` is the AI Feynman equation.

Examples
--------
>>> p = get_problem("I.12.11")
>>> p.formula, p.variables
('q*(Ef+B*v*sin(theta))', ('q', 'Ef', 'B', 'v', 'theta'))
>>> dict(p.units)["F"]
(1, -2, 1, 0, 0)
>>> get_problem("special:jv").sample(100, seed=0).feature_names
('x', 'y')
"""

from __future__ import annotations

import csv
import difflib
import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sympy

from symkan.bench.evaluators import scipy_function
from symkan.data import Dataset, from_arrays
from symkan.errors import InputError
from symkan.formula.numeric import evaluate
from symkan.formula.parse import parse_formula

#: The suites, in the order an unqualified problem name is looked up.
SUITES: tuple[str, ...] = ("feynman", "bonus", "special", "kan-paper")
#: Base units of ``Problem.units`` exponents.
BASE_UNITS: tuple[str, ...] = ("m", "s", "kg", "T", "V")
#: Where the CSV files live (``$SYMKAN_DATASETS`` overrides, for a non-editable install).
DATASETS = Path(__file__).resolve().parents[2] / "datasets" / "benchmarks"


@dataclass(frozen=True)
class Problem:
    """One benchmark problem: a formula over named variables, each with a box.

    Attributes
    ----------
    name : problem name (``I.6.2a``, ``jv``, ...); unique within its suite
    formula : the formula text; sympy syntax, or scipy.special when ``kind == "scipy"``
    variables, low, high : the inputs and their sampling box (uniform)
    output : name of the target
    suite : the suite the problem belongs to
    kind : ``"sympy"`` or ``"scipy"``
    units : ``(name, (m, s, kg, T, V))`` exponents for the variables and the output,
        where known (AI Feynman suites)
    info : extra columns of the source table (paper shapes and RMSEs, notes)
    """

    name: str
    formula: str
    variables: tuple[str, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    output: str
    suite: str = ""
    kind: str = "sympy"
    units: tuple[tuple[str, tuple[int, ...]], ...] = ()
    info: tuple[tuple[str, str], ...] = ()

    @property
    def qualified_name(self) -> str:
        """``suite:name``, unique across suites."""
        return f"{self.suite}:{self.name}" if self.suite else self.name

    @property
    def expr(self) -> sympy.Expr:
        """The formula as sympy (`InputError` for a scipy.special problem)."""
        if self.kind != "sympy":
            raise InputError(
                f"problem {self.qualified_name!r} is a scipy.special formula "
                f"({self.formula}); sympy cannot hold it. Use Problem.evaluate(X) instead."
            )
        return parse_formula(self.formula, self.variables)

    def symbols(self) -> tuple[sympy.Symbol, ...]:
        return tuple(sympy.Symbol(v, real=True) for v in self.variables)

    @property
    def target_name(self) -> str:
        """The output's column name (``<output>_out`` if the output is also an input)."""
        return self.output if self.output not in self.variables else self.output + "_out"

    def evaluate(self, X: np.ndarray) -> np.ndarray:
        """The formula at the rows of ``X`` (n, len(variables)) → (n,)."""
        X = np.asarray(X, dtype=np.float64)
        if self.kind == "scipy":
            return scipy_function(self.formula, self.variables)(X)
        return evaluate(self.expr, self.symbols(), X)

    def sample(self, n: int = 1000, *, seed: int = 0, noise: float = 0.0) -> Dataset:
        """``n`` rows uniform in the box; Gaussian noise of std ``noise`` × RMS(target).

        The noise model is SRBench's: ``y + N(0, (noise · sqrt(mean(y²)))²)``.
        """
        if not isinstance(n, (int, np.integer)) or n < 20:
            raise InputError(f"n={n!r} rows is too few; ask for at least 20, e.g. n=1000")
        if not np.isfinite(noise) or noise < 0:
            raise InputError(f"noise={noise!r} must be a level >= 0, e.g. 0.01 (1 % of RMS)")
        rng = np.random.default_rng(seed)
        X = rng.uniform(self.low, self.high, size=(n, len(self.variables)))
        y = self.evaluate(X)
        if not np.all(np.isfinite(y)):
            raise InputError(
                f"problem {self.qualified_name!r} gives {int((~np.isfinite(y)).sum())} "
                "non-finite values on its box; its ranges need fixing in datasets/benchmarks"
            )
        if noise:
            y = y + rng.normal(0.0, noise * float(np.sqrt(np.mean(y**2))), size=n)
        return from_arrays(
            X, y, list(self.variables), target_name=self.target_name,
            source=self.qualified_name,
        )


def load_suite(suite: str, path: Path | None = None) -> list[Problem]:
    """The problems of ``suite`` (one of `SUITES`), read from ``datasets/benchmarks``.

    ``path`` replaces the suite's main CSV (for the AI Feynman suites, a table in the
    same format).
    """
    if suite not in SUITES:
        close = difflib.get_close_matches(suite, SUITES, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise InputError(f"suite {suite!r} is not one of {list(SUITES)}.{hint}")
    return list(_load(suite, None if path is None else str(path)))


def all_problems() -> list[Problem]:
    """Every problem of every suite, in the order of `SUITES`."""
    return [p for suite in SUITES for p in load_suite(suite)]


def get_problem(name: str) -> Problem:
    """The problem called ``name`` (``I.6.2a``) or ``suite:name`` (``kan-paper:I.6.2``).

    Raises `InputError` with a "did you mean" suggestion when there is no such problem.
    """
    suite, sep, short = name.partition(":")
    suites = (suite,) if sep else SUITES
    if sep and suite not in SUITES:
        load_suite(suite)  # raises the suite error
    for s in suites:
        for p in load_suite(s):
            if p.name == (short if sep else name):
                return p
    problems = all_problems()
    names = list(dict.fromkeys([p.name for p in problems] + [p.qualified_name for p in problems]))
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    raise InputError(
        f"no benchmark problem is called {name!r}.{hint} "
        "List them with `symkan datasets list [SUITE]`."
    )


# --- reading the tables --------------------------------------------------------------------


def _folder() -> Path:
    folder = Path(os.environ.get("SYMKAN_DATASETS", DATASETS))
    if not (folder / "FeynmanEquations.csv").is_file():
        raise InputError(
            f"benchmark tables not found in {str(folder)!r}: symkan reads them from the "
            "source tree's datasets/benchmarks. Install symkan from a checkout "
            "(pip install -e .) or set SYMKAN_DATASETS to that folder."
        )
    return folder


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@functools.cache
def _load(suite: str, path: str | None) -> tuple[Problem, ...]:
    folder = _folder()
    if suite in ("feynman", "bonus"):
        main = Path(path) if path else folder / {"feynman": "FeynmanEquations.csv",
                                                 "bonus": "BonusEquations.csv"}[suite]
        return tuple(_feynman(row, suite, _units(folder)) for row in _rows(main))
    if suite == "kan-paper":
        return _kan_paper(Path(path) if path else folder / "kan_paper_feynman.csv", folder)
    return tuple(_special(row) for row in _rows(Path(path) if path else
                                                folder / "special_functions.csv"))


def _units(folder: Path) -> dict[str, tuple[int, ...]]:
    return {
        row["Variable"]: tuple(int(float(row[u])) for u in BASE_UNITS)
        for row in _rows(folder / "units.csv")
    }


def _feynman(row: dict[str, str], suite: str, units: dict) -> Problem:
    n = int(row["n_vars_listed"])
    names = tuple(row[f"v{i}_name"] for i in range(1, n + 1))
    output = row["Output"]
    return Problem(
        name=row["Filename"],
        formula=row["Formula_sympy"],
        variables=names,
        low=tuple(float(row[f"v{i}_low"]) for i in range(1, n + 1)),
        high=tuple(float(row[f"v{i}_high"]) for i in range(1, n + 1)),
        output=output,
        suite=suite,
        units=tuple((v, units[v]) for v in (*names, output) if v in units),
        info=tuple((k, row[k]) for k in ("Formula", "pmlb_name", "notes") if row.get(k)),
    )


def _kan_paper(path: Path, folder: Path) -> tuple[Problem, ...]:
    boxes: dict[tuple[str, str], tuple[float, float]] = {
        (r["paper_eq"], r["variable"]): (float(r["low"]), float(r["high"]))
        for r in _rows(folder / "kan_paper_ranges.csv")
    }
    problems = []
    for row in _rows(path):
        name, names = row["paper_eq"], tuple(row["dimensionless_variables"].split())
        missing = [v for v in names if (name, v) not in boxes]
        if missing:
            raise InputError(
                f"kan_paper_ranges.csv has no range for {missing} of {name}; add a row "
                "'paper_eq,variable,low,high,source' for each"
            )
        keep = ("aifeynman_filename", "original_formula", "human_kan_shape",
                "pruned_kan_shape_min", "pruned_kan_shape_best", "human_kan_test_rmse",
                "pruned_kan_test_rmse", "unpruned_kan_test_rmse", "mlp_test_rmse", "notes")
        problems.append(Problem(
            name=name,
            formula=row["dimensionless_formula"],
            variables=names,
            low=tuple(boxes[name, v][0] for v in names),
            high=tuple(boxes[name, v][1] for v in names),
            output="y",
            suite="kan-paper",
            info=tuple((k, row[k]) for k in keep if row.get(k)),
        ))
    return tuple(problems)


def _special_name(api: str) -> str:
    """``ellipj(x,y)`` → ``ellipj``; ``lpmv(1,x,y)`` → ``lpmv_m1``;
    ``sph_harm(0,1,x,y)`` → ``sph_harm_m0_n1``."""
    func, args = re.fullmatch(r"\s*(\w+)\((.*)\)\s*", api).groups()
    ints = [a.strip() for a in args.split(",") if a.strip().isdigit()]
    if func == "lpmv":
        return f"lpmv_m{ints[0]}"
    if func == "sph_harm":
        return f"sph_harm_m{ints[0]}_n{ints[1]}"
    return func


def _special(row: dict[str, str]) -> Problem:
    keep = ("name", "scipy_api_paper", "paper_minimal_kan_shape",
            "paper_minimal_kan_test_rmse", "paper_best_kan_shape", "paper_best_kan_test_rmse",
            "paper_mlp_test_rmse", "range_source", "notes")
    return Problem(
        name=_special_name(row["scipy_api_paper"]),
        formula=row["expr_scipy"],
        variables=("x", "y"),
        low=(float(row["x_low"]), float(row["y_low"])),
        high=(float(row["x_high"]), float(row["y_high"])),
        output="f",
        suite="special",
        kind="scipy",
        info=tuple((k, row[k]) for k in keep if row.get(k)),
    )
