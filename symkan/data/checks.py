"""The checks shared by `load_csv` and `from_arrays`: names, cells, values, row counts.

Every check raises `InputError` with a message that names the problem, the offending value
and the fix. `Rows` says how a message names rows (CSV line numbers or array indices).
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from symkan.data.dataset import Dataset
from symkan.errors import InputError

# Cells that mean "missing" (pandas' default NA strings, compared case-insensitively).
# fmt: off
_NA_TOKENS = frozenset({
    "", "#n/a", "#n/a n/a", "#na", "-1.#ind", "-1.#qnan", "-nan", "1.#ind", "1.#qnan", "<na>",
    "n/a", "na", "null", "nan", "none",
})
# fmt: on
TINY = 1e-150  # a column whose values are all smaller than this cannot be squared
SHOWN = 5  # how many row numbers / names an error message lists before "and N more"


@dataclass(frozen=True)
class Rows:
    """How messages name rows: CSV line numbers, or 0-based array indices."""

    singular: str
    plural: str
    number: Callable[[int], int]  # row index -> number shown to the user

    def __call__(self, idx: Sequence[int], total: int | None = None) -> str:
        idx = [int(i) for i in idx]
        total = len(idx) if total is None else total
        text = ", ".join(str(self.number(i)) for i in idx[:SHOWN])
        more = f" and {total - min(len(idx), SHOWN)} more" if total > SHOWN else ""
        return f"{self.singular if total == 1 else self.plural} {text}{more}"


def check_min_rows(min_rows: int) -> None:
    if isinstance(min_rows, bool) or not isinstance(min_rows, (int, np.integer)) or min_rows < 1:
        raise InputError(f"min_rows must be a positive integer; got {min_rows!r}")


def unknown_target(target: str, names: Sequence[str], subject: str) -> str:
    same_case = [n for n in names if n.lower() == target.lower()]
    lowered = {n.lower(): n for n in names}
    close = [lowered[m] for m in difflib.get_close_matches(target.lower(), list(lowered), n=5)]
    # best first: ratio, then shared prefix ('Fx' prefers 'F' to 'x')
    close.sort(
        key=lambda n: (
            -difflib.SequenceMatcher(None, target.lower(), n.lower()).ratio(),
            -len(os.path.commonprefix([target.lower(), n.lower()])),
        )
    )
    suggest = list(dict.fromkeys(same_case + close))[:3]
    msg = f"target {target!r} is not a column of {subject}; columns are {fmt_names(names)}."
    if suggest:
        return msg + f" Did you mean {' or '.join(repr(s) for s in suggest)}?"
    return msg + " Pass one of them as target (or none: the last column is the default)."


def fmt_names(names: Sequence[str]) -> str:
    names = list(names)
    if len(names) <= 20:
        return repr(names)
    return f"{names[:20]!r} and {len(names) - 20} more"


def as_cells(obj: Any) -> np.ndarray:
    """Array of float64 when possible without loss, else of objects (diagnosed later)."""
    if isinstance(obj, (pd.DataFrame, pd.Series)):
        try:
            return obj.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            return obj.to_numpy(dtype=object)
    arr = np.asarray(obj)
    if arr.dtype.kind == "c":
        raise InputError(
            "the data hold complex numbers; symkan fits real-valued data: pass the "
            "real and imaginary parts as separate columns"
        )
    return arr


def to_float(cells: np.ndarray, names: Sequence[str], subject: str, rows: Rows) -> np.ndarray:
    """(n, k) cells → (n, k) float64. Missing cells become NaN; text raises InputError."""
    try:
        return np.asarray(cells, dtype=np.float64)
    except (TypeError, ValueError):
        pass
    out = np.empty(cells.shape, dtype=np.float64)
    problems: list[tuple[int, list[int], int]] = []  # (column, bad rows, non-missing cells)
    for j in range(cells.shape[1]):
        column = cells[:, j]
        try:
            out[:, j] = np.asarray(column, dtype=np.float64)
            continue
        except (TypeError, ValueError):
            pass
        bad, missing = [], 0
        for i, cell in enumerate(column):
            value = _cell_to_float(cell)
            if value is None:
                bad.append(i)
                value = math.nan
            else:
                missing += math.isnan(value)
            out[i, j] = value
        if bad:
            problems.append((j, bad, len(column) - missing))
    if not problems:
        return out
    j, bad, filled = problems[0]
    first = cells[bad[0], j]
    shown = repr(first if len(str(first)) <= 40 else str(first)[:37] + "...")
    if len(bad) == filled:
        msg = (
            f"column {names[j]!r} of {subject} holds text, not numbers ({rows(bad[:1])}: "
            f"{shown}); remove the column or encode it as numbers"
        )
    else:
        cells_word = "cell" if len(bad) == 1 else "cells"
        msg = (
            f"column {names[j]!r} of {subject} has {len(bad)} non-numeric {cells_word}; the "
            f"first is {shown} on {rows(bad[:1])}. Replace them with numbers or drop those rows"
        )
    if isinstance(first, str) and re.fullmatch(r"\s*[+-]?\d+,\d+\s*", first):
        msg += " (use '.' as the decimal point, not ',')"
    if len(problems) > 1:
        msg += f". Also non-numeric: columns {fmt_names([names[p[0]] for p in problems[1:]])}"
    raise InputError(msg)


def _cell_to_float(cell: Any) -> float | None:
    """A number, NaN for a missing cell, or None for text."""
    if cell is None or cell is pd.NA or cell is pd.NaT:
        return math.nan
    if isinstance(cell, str):
        text = cell.strip()
        if text.lower() in _NA_TOKENS:
            return math.nan
        try:
            return float(text)
        except ValueError:
            return None
    try:
        return float(cell)
    except (TypeError, ValueError):
        return None


def finish_dataset(
    X: np.ndarray,
    y: np.ndarray,
    feature_names: Sequence[str],
    target_name: str,
    *,
    min_rows: int,
    source: str | None,
    subject: str,
    rows: Rows,
) -> Dataset:
    """Checks shared by load_csv and from_arrays, on float arrays: finite, neither too
    large nor too small to square, enough rows, varying target (relative to its size)."""
    finite = np.isfinite(X).all(axis=1) & np.isfinite(y)
    if not finite.all():
        bad = np.flatnonzero(~finite)
        cols = [n for n, ok in zip(feature_names, np.isfinite(X).all(axis=0)) if not ok]
        if not np.isfinite(y).all():
            cols.append(target_name)
        rows_word = "row has" if len(bad) == 1 else "rows have"
        raise InputError(
            f"{len(bad)} {rows_word} missing (empty or NaN) or infinite values in {subject}: "
            f"{rows(bad[:SHOWN], len(bad))} (columns {fmt_names(cols)}); drop or fill these rows"
        )
    n = X.shape[0]
    if n < min_rows:
        rows_word = "data row" if n == 1 else "data rows"
        raise InputError(
            f"{subject} has {n} {rows_word}; at least {min_rows} are needed. Add "
            "rows, or pass a smaller min_rows"
        )
    with np.errstate(over="ignore"):
        huge = [name for name, col in zip((*feature_names, target_name), (*X.T, y))
                if not np.isfinite(np.mean(col**2))]
    if huge:
        raise InputError(
            f"columns {fmt_names(huge)} of {subject} hold values too large to compute with "
            "(their squares overflow float64, |value| > 1e154); rescale them, e.g. to "
            "other units, or fit their logarithm"
        )
    tiny = {name: float(np.max(np.abs(col)))
            for name, col in zip((*feature_names, target_name), (*X.T, y))
            if 0 < np.max(np.abs(col)) < TINY and not np.all(col == col[0])}
    if tiny:
        name, top = next(iter(tiny.items()))
        factor = f"1e{-math.floor(math.log10(top)):d}"
        raise InputError(
            f"columns {fmt_names(list(tiny))} of {subject} hold only values below {TINY:g} "
            f"in size (largest |{name}| = {top:.3g}), too small to compute with (their "
            "squares underflow float64 to 0); this is not a constant column: rescale it to "
            f"values near 1, e.g. {name} * {factor} (other units), or fit its logarithm"
        )
    size = float(np.max(np.abs(y)))
    spread = float(np.std(y / size)) if size > 0 else 0.0  # relative: 1e-20 * x varies
    if spread <= 1e-12:
        value = float(y[0]) if np.all(y == y[0]) else float(y.mean())
        raise InputError(
            f"target {target_name!r} is constant (= {value!r}) in {subject}; there "
            "is no law to find. Choose a target column whose values vary"
        )
    return Dataset(X, y, tuple(feature_names), target_name, source)
