"""Benchmark problems as data: one formula string and one box per variable.

Problems are read from ``datasets/benchmarks/*.csv``; data generation derives from the
formula, so there is one source of truth per problem.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sympy

from symkan.data import Dataset, from_arrays
from symkan.errors import InputError
from symkan.formula import evaluate, parse_formula

DATASETS = Path(__file__).resolve().parents[2] / "datasets" / "benchmarks"
_SUITES = {"feynman": "FeynmanEquations.csv", "bonus": "BonusEquations.csv"}


@dataclass(frozen=True)
class Problem:
    name: str
    formula: str
    variables: tuple[str, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    output: str

    @property
    def expr(self) -> sympy.Expr:
        return parse_formula(self.formula, self.variables)

    def symbols(self) -> tuple[sympy.Symbol, ...]:
        return tuple(sympy.Symbol(v, real=True) for v in self.variables)

    def sample(self, n: int = 1000, *, seed: int = 0, noise: float = 0.0) -> Dataset:
        """``n`` rows uniform in the box; Gaussian noise of std ``noise`` × RMS(target)."""
        rng = np.random.default_rng(seed)
        X = rng.uniform(self.low, self.high, size=(n, len(self.variables)))
        y = evaluate(self.expr, self.symbols(), X)
        if noise:
            y = y + rng.normal(0.0, noise * float(np.sqrt(np.mean(y**2))), size=n)
        target = self.output if self.output not in self.variables else self.output + "_out"
        return from_arrays(X, y, list(self.variables), target_name=target, source=self.name)


def load_suite(suite: str, path: Path | None = None) -> list[Problem]:
    """The problems of ``suite`` ("feynman" or "bonus")."""
    if suite not in _SUITES:
        raise InputError(f"suite {suite!r} is not one of {sorted(_SUITES)}")
    path = path or DATASETS / _SUITES[suite]
    problems = []
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            n = int(row["n_vars_listed"])
            names = tuple(row[f"v{i}_name"] for i in range(1, n + 1))
            problems.append(
                Problem(
                    name=row["Filename"],
                    formula=row["Formula_sympy"],
                    variables=names,
                    low=tuple(float(row[f"v{i}_low"]) for i in range(1, n + 1)),
                    high=tuple(float(row[f"v{i}_high"]) for i in range(1, n + 1)),
                    output=row["Output"],
                )
            )
    return problems
