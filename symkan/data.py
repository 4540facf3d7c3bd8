"""Load and validate data: a CSV file or arrays become a `Dataset`; train/test split.

Every check raises `InputError` with a message that names the problem, the offending value
and the fix. Nothing here prints, writes files or touches global random state.

The checks, in order: the file can be read as CSV; column names are unique, non-empty
Python identifiers (keywords such as ``lambda`` and sympy names such as ``I``, ``E``, ``S``,
``beta`` are fine: they become plain `sympy.Symbol` objects); there is at least one feature
besides the target; the target exists; every cell is a number; no cell is missing, NaN or
infinite; there are at least ``min_rows`` rows; no value is too large to square
(|value| > 1e154 overflows float64); the target is not constant. A constant
*feature* is not an error (pruning removes it later).
"""

from __future__ import annotations

import csv
import difflib
import math
import numbers
import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sympy

from symkan.errors import InputError

__all__ = ["Dataset", "from_arrays", "load_csv", "train_test_split"]

# Cells that mean "missing" (pandas' default NA strings, compared case-insensitively).
# fmt: off
_NA_TOKENS = frozenset({
    "", "#n/a", "#n/a n/a", "#na", "-1.#ind", "-1.#qnan", "-nan", "1.#ind", "1.#qnan", "<na>",
    "n/a", "na", "null", "nan", "none",
})
# fmt: on
_SHOWN = 5  # how many row numbers / names an error message lists before "and N more"


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """A validated table: features ``X``, one target ``y``, and their names.

    Build one with `load_csv` or `from_arrays`, which run every check; the constructor only
    coerces ``X`` and ``y`` to C-contiguous float64 and checks that the shapes agree.

    Attributes
    ----------
    X : np.ndarray
        Features, shape ``(n_rows, n_features)``, float64, C-contiguous.
    y : np.ndarray
        Target, shape ``(n_rows,)``, float64.
    feature_names : tuple of str
        One name per column of ``X``; each is a Python identifier.
    target_name : str
        Name of the target.
    source : str or None
        File name the data came from, for messages and reports.
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    target_name: str
    source: str | None = None

    def __post_init__(self) -> None:
        X = np.ascontiguousarray(self.X, dtype=np.float64)
        y = np.ascontiguousarray(self.y, dtype=np.float64)
        names = tuple(self.feature_names)
        if X.ndim != 2:
            raise InputError(f"Dataset.X must be 2-D (rows, features); got shape {X.shape}")
        if y.shape != (X.shape[0],):
            raise InputError(
                f"Dataset.y must have shape ({X.shape[0]},), one value per row of X; "
                f"got shape {y.shape}"
            )
        if len(names) != X.shape[1]:
            raise InputError(
                f"Dataset has {X.shape[1]} feature columns but {len(names)} feature_names "
                f"{list(names)}; give one name per column"
            )
        check_names(names, self.target_name, "the Dataset's feature names",
                    "build the Dataset with load_csv or from_arrays, which suggest names")
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)
        object.__setattr__(self, "feature_names", names)

    @property
    def n_rows(self) -> int:
        """Number of rows (samples)."""
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        """Number of feature columns."""
        return self.X.shape[1]

    def __repr__(self) -> str:
        return (
            f"Dataset(n_rows={self.n_rows}, n_features={self.n_features}, "
            f"feature_names={self.feature_names!r}, target_name={self.target_name!r}, "
            f"source={self.source!r})"
        )

    def symbols(self) -> tuple[sympy.Symbol, ...]:
        """One real `sympy.Symbol` per feature, named exactly like the column.

        Symbols are created directly, never through ``sympify``, so ``I``, ``E``, ``S``,
        ``beta`` or ``lambda`` are plain symbols, not sympy's constants or functions.
        """
        return tuple(sympy.Symbol(name, real=True) for name in self.feature_names)

    def select(self, rows: np.ndarray | Sequence[int]) -> Dataset:
        """A new dataset with the given rows: integer indices or a boolean mask of length n_rows."""
        idx = np.asarray(rows)
        if idx.dtype == bool:
            if idx.shape != (self.n_rows,):
                raise InputError(
                    f"a boolean row mask needs shape ({self.n_rows},), one entry per row; "
                    f"got shape {idx.shape}"
                )
        else:
            if idx.size == 0:
                idx = idx.astype(np.intp)
            if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer):
                raise InputError(
                    f"rows must be a 1-D array of integer indices or a boolean mask; "
                    f"got dtype {idx.dtype} with shape {idx.shape}"
                )
            if idx.size and (idx.min() < -self.n_rows or idx.max() >= self.n_rows):
                raise InputError(
                    f"row index out of range: indices span {idx.min()}..{idx.max()} but the "
                    f"dataset has {self.n_rows} rows (valid: 0..{self.n_rows - 1})"
                )
        return Dataset(self.X[idx], self.y[idx], self.feature_names, self.target_name, self.source)

    def with_features(self, idx: Sequence[int]) -> Dataset:
        """A new dataset keeping only the feature columns ``idx`` (in that order)."""
        cols = list(idx)
        for i in cols:
            if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
                raise InputError(f"feature indices must be integers; got {i!r} in {cols}")
            if not 0 <= i < self.n_features:
                raise InputError(
                    f"feature index {i} is out of range; this dataset has {self.n_features} "
                    f"features {list(self.feature_names)} (valid: 0..{self.n_features - 1})"
                )
        repeated = sorted({int(i) for i in cols if cols.count(i) > 1})
        if repeated:
            raise InputError(f"feature indices {repeated} are repeated in {cols}; give each once")
        names = tuple(self.feature_names[i] for i in cols)
        X = self.X[:, np.asarray(cols, dtype=np.intp)]
        return Dataset(X, self.y.copy(), names, self.target_name, self.source)


def load_csv(
    path: str | os.PathLike[str], target: str | None = None, *, min_rows: int = 20
) -> Dataset:
    """Read a comma-separated file with a header line and validate it.

    Parameters
    ----------
    path : str or path-like
        A UTF-8 CSV file (a byte-order mark is fine): one header line of column names, then
        one line of numbers per row.
    target : str, optional
        Name of the target column; by default the last column. Every other column is a feature.
    min_rows : int, default 20
        Fewest data rows accepted.

    Returns
    -------
    Dataset
        With ``source`` set to the file name.

    Raises
    ------
    InputError
        If the file is missing, empty or not CSV, or the data fail a check listed in the
        module docstring; the message says which line, column or value, and how to fix it.
    """
    _check_min_rows(min_rows)
    path = Path(path)
    header = _read_header(path)
    frame = _read_frame(path)
    name = path.name
    names = [h.strip() for h in header]
    if len(names) != frame.shape[1]:  # pandas and csv disagree on the header: odd quoting
        raise InputError(
            f"{path} could not be parsed as CSV: its header line has {len(names)} fields but "
            f"{frame.shape[1]} columns were read; check the quoting of the header line"
        )
    if len(names) < 2:
        hint = ""
        if any(sep in header[0] for sep in ";\t|"):
            hint = " It looks separated by ';', tab or '|': symkan reads comma-separated files."
        raise InputError(
            f"{name} has only one column ({names[0]!r}); symkan needs at least one feature "
            f"column besides the target.{hint}"
        )
    _check_unique(names, name, "rename them in the header line")
    empty_cols = [j for j, n in enumerate(names) if not n]
    all_blank = [j for j in empty_cols if frame.iloc[:, j].fillna("").str.strip().eq("").all()]
    _check_names(names, name, "rename them in the header line", trailing=all_blank)

    if target is None:
        t = len(names) - 1
    else:
        if not isinstance(target, str):
            raise InputError(f"target must be a column name (a string); got {target!r}")
        if target not in names:
            raise InputError(_unknown_target(target, names, name))
        t = names.index(target)

    rows = _csv_rows(path, frame.shape[0])
    values = _to_float(frame.to_numpy(dtype=object), names, name, rows)
    X = np.delete(values, t, axis=1)
    features = names[:t] + names[t + 1 :]
    return _finish(
        X, values[:, t], features, names[t], min_rows=min_rows, source=name, subject=name, rows=rows
    )


def from_arrays(
    X: Any,
    y: Any,
    feature_names: Sequence[str] | None = None,
    target_name: str = "y",
    *,
    min_rows: int = 20,
    source: str | None = None,
) -> Dataset:
    """Validate in-memory data and wrap it in a `Dataset` (the data are copied).

    Parameters
    ----------
    X : array-like or pandas.DataFrame, shape (n, d)
        Features. A DataFrame's column names become the feature names, unless they are the
        default integer labels ``0, 1, ...``.
    y : array-like or pandas.Series, shape (n,)
        Target. Shape ``(n, 1)`` is accepted and flattened.
    feature_names : sequence of str, optional
        One Python identifier per column of ``X``; overrides DataFrame column names.
        Default ``x0, x1, ...``.
    target_name : str, default "y"
        Name of the target.
    min_rows : int, default 20
        Fewest rows accepted.
    source : str, optional
        Where the data came from; used in messages and kept on the dataset.

    Returns
    -------
    Dataset

    Raises
    ------
    InputError
        On mismatched shapes, bad names, non-numeric, missing or infinite values, too few
        rows, or a constant target.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(1.0, 2.0, size=(50, 2))
    >>> ds = from_arrays(X, X[:, 0] * X[:, 1], feature_names=["m", "a"], target_name="F")
    >>> ds.n_rows, ds.n_features, ds.feature_names
    (50, 2, ('m', 'a'))
    >>> ds.symbols()
    (m, a)
    """
    _check_min_rows(min_rows)
    subject = source if source else "the data"
    frame_names: list[str] | None = None
    if isinstance(X, pd.DataFrame) and not all(isinstance(c, (int, np.integer)) for c in X.columns):
        frame_names = [str(c) for c in X.columns]
    cells = _as_cells(X)
    if cells.ndim != 2:
        hint = " For a single feature use X.reshape(-1, 1)." if cells.ndim == 1 else ""
        raise InputError(f"X must be 2-D (rows, features); got shape {cells.shape}.{hint}")
    target = _as_cells(y)
    if target.ndim == 2 and target.shape[1] == 1:
        target = target[:, 0]
    if target.ndim != 1:
        raise InputError(
            f"y must be 1-D, one value per row; got shape {target.shape}. "
            "symkan fits one target at a time: pass one column."
        )
    if target.shape[0] != cells.shape[0]:
        raise InputError(
            f"X has {cells.shape[0]} rows but y has {target.shape[0]} values; "
            "give one target value per row of X"
        )
    n_features = cells.shape[1]
    if n_features == 0:
        raise InputError(f"X has no feature columns (shape {cells.shape}); pass at least one")

    if isinstance(feature_names, str):
        raise InputError(
            f"feature_names must be a sequence of names, one per column; got the single string "
            f"{feature_names!r} (write [{feature_names!r}] for one feature)"
        )
    if feature_names is not None:
        names = list(feature_names)
        fix = "pass other feature_names"
        if len(names) != n_features:
            raise InputError(
                f"feature_names has {len(names)} names {names} but X has {n_features} "
                "columns; give one name per column"
            )
    elif frame_names is not None:
        names, fix = frame_names, "rename the DataFrame columns or pass feature_names"
    else:
        names, fix = [f"x{j}" for j in range(n_features)], "pass other feature_names"
    check_names(names, target_name, "the feature names", fix)

    rows = _Rows("row index", "row indices", int)
    Xf = _to_float(cells, names, subject, rows)
    yf = _to_float(target[:, None], [target_name], subject, rows)[:, 0]
    return _finish(
        np.array(Xf, dtype=np.float64, order="C"),
        yf.copy(),
        names,
        target_name,
        min_rows=min_rows,
        source=source,
        subject=subject,
        rows=rows,
    )


def train_test_split(
    ds: Dataset, test_fraction: float = 0.2, *, seed: int = 0
) -> tuple[Dataset, Dataset]:
    """Split rows at random into a training and a test set.

    Parameters
    ----------
    ds : Dataset
    test_fraction : float, default 0.2
        Share of rows in the test set, strictly between 0 and 1; the test set gets
        ``ceil(test_fraction * n_rows)`` rows (at least 1, leaving at least 1 for training).
    seed : int, default 0
        Seed for ``np.random.default_rng``; the same seed gives the same split.

    Returns
    -------
    (train, test) : tuple of Dataset
        Disjoint and together covering every row; each keeps the original row order.
    """
    if (
        isinstance(test_fraction, bool)
        or not isinstance(test_fraction, numbers.Real)
        or not 0.0 < test_fraction < 1.0
    ):
        raise InputError(
            f"test_fraction must be a number strictly between 0 and 1; got {test_fraction!r} "
            "(e.g. 0.2 keeps 20% of rows for testing)"
        )
    n = ds.n_rows
    if n < 2:
        raise InputError(f"cannot split {n} row(s) into a training and a test set; need at least 2")
    n_test = min(max(math.ceil(test_fraction * n), 1), n - 1)
    perm = np.random.default_rng(seed).permutation(n)
    test_idx = np.sort(perm[:n_test])
    train_idx = np.sort(perm[n_test:])
    return ds.select(train_idx), ds.select(test_idx)


# ---------------------------------------------------------------- helpers


@dataclass(frozen=True)
class _Rows:
    """How messages name rows: CSV line numbers, or 0-based array indices."""

    singular: str
    plural: str
    number: Callable[[int], int]  # row index -> number shown to the user

    def __call__(self, idx: Sequence[int], total: int | None = None) -> str:
        idx = [int(i) for i in idx]
        total = len(idx) if total is None else total
        text = ", ".join(str(self.number(i)) for i in idx[:_SHOWN])
        more = f" and {total - min(len(idx), _SHOWN)} more" if total > _SHOWN else ""
        return f"{self.singular if total == 1 else self.plural} {text}{more}"


def _csv_rows(path: Path, n_rows: int) -> _Rows:
    """Rows named by their line in the file, scanned only when a message needs them."""
    cache: list[list[int]] = []

    def number(i: int) -> int:
        if not cache:
            cache.append(_scan_lines(path, n_rows))
        return cache[0][i]

    return _Rows("line", "lines", number)


def _scan_lines(path: Path, n_rows: int) -> list[int]:
    """Line in the file (header = line 1) where each data row starts; blank lines skipped
    as pandas skips them. Falls back to ``row + 2`` if the file cannot be re-read alike."""
    lines: list[int] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f, skipinitialspace=True)
            prev, header_seen = 0, False
            for record in reader:
                start, prev = prev + 1, reader.line_num
                if _is_blank(record):
                    continue
                if header_seen:
                    lines.append(start)
                header_seen = True
    except (OSError, UnicodeDecodeError, csv.Error):
        lines = []
    return lines if len(lines) == n_rows else [i + 2 for i in range(n_rows)]


def _is_blank(record: list[str]) -> bool:
    return not record or (len(record) == 1 and not record[0].strip())


def _read_header(path: Path) -> list[str]:
    """The first non-blank record of the file; raises for missing, unreadable or empty files."""
    if not path.exists():
        where = "" if path.is_absolute() else f" (relative to the working directory {os.getcwd()})"
        raise InputError(f"no such file: {str(path)!r}{where}; check the path and file name")
    if path.is_dir():
        found = sorted(p.name for p in path.glob("*.csv"))
        there = f"; CSV files there: {_fmt_names(found)}" if found else ""
        raise InputError(
            f"{str(path)!r} is a directory, not a CSV file; pass the path of a .csv file{there}"
        )
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            for record in csv.reader(f, skipinitialspace=True):
                if not _is_blank(record):
                    return record
    except UnicodeDecodeError:
        raise InputError(_not_text(path)) from None
    except csv.Error as exc:
        raise InputError(
            f"{str(path)!r} could not be parsed as CSV ({exc}); "
            "save it as a plain comma-separated text file"
        ) from None
    except OSError as exc:
        raise InputError(
            f"{str(path)!r} could not be opened ({exc.strerror}); check that it is readable"
        ) from None
    raise InputError(
        f"{str(path)!r} is empty; a CSV file needs a header line of column names "
        "followed by one line of numbers per row"
    )


def _not_text(path: Path) -> str:
    return (
        f"{str(path)!r} is not UTF-8 text; if it is a spreadsheet (.xlsx, .ods) export it "
        "as CSV, otherwise re-save it with UTF-8 encoding"
    )


def _read_frame(path: Path) -> pd.DataFrame:
    """All cells as strings (no NA conversion: we classify cells ourselves)."""
    try:
        frame = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skipinitialspace=True,
            encoding="utf-8-sig",
        )
    except pd.errors.EmptyDataError:
        raise InputError(
            f"{str(path)!r} is empty; a CSV file needs a header line of column "
            "names followed by one line of numbers per row"
        ) from None
    except UnicodeDecodeError:
        raise InputError(_not_text(path)) from None
    except ValueError as exc:  # pandas' ParserError and kin
        detail = str(exc).strip().splitlines()[0].replace("Error tokenizing data. C error: ", "")
        raise InputError(
            f"{str(path)!r} could not be parsed as CSV: {detail}. Every line needs as many "
            "comma-separated fields as the header line; quote fields that contain commas"
        ) from None
    if not isinstance(frame.index, pd.RangeIndex):  # pandas took column 1 as the row index
        raise InputError(
            f"the data lines of {path.name} have more fields than its header line (often a "
            "trailing comma at the end of each line); give every line as many fields as the header"
        )
    return frame


def _check_min_rows(min_rows: int) -> None:
    if isinstance(min_rows, bool) or not isinstance(min_rows, (int, np.integer)) or min_rows < 1:
        raise InputError(f"min_rows must be a positive integer; got {min_rows!r}")


def check_names(names: Sequence[str], target_name: str, subject: str, fix: str) -> None:
    """Feature names: unique identifier strings; the target's: another identifier.

    Every name that reaches a formula or exported code passes here (CSV, arrays, a
    `Dataset`, a saved model), so no name can carry code into an export.
    """
    for n in names:
        if not isinstance(n, str):
            raise InputError(f"feature names must be strings; got {n!r} ({type(n).__name__})")
    _check_unique(names, subject, fix)
    _check_names(names, subject, fix)
    if not isinstance(target_name, str) or not target_name.isidentifier():
        try_ = _clean_name(target_name, 0) if isinstance(target_name, str) else "y"
        raise InputError(
            f"target_name must be usable as a variable name (letters, digits and '_', not "
            f"starting with a digit); got {target_name!r}; try {try_!r}"
        )
    if target_name in names:
        raise InputError(
            f"target_name {target_name!r} is also a feature name; rename the target or the feature"
        )


def _check_unique(names: Sequence[str], subject: str, fix: str) -> None:
    counts = Counter(names)
    dups = [n for n, c in counts.items() if c > 1 and n]
    if dups:
        where = "; ".join(
            f"{n!r} (columns {', '.join(str(j + 1) for j, m in enumerate(names) if m == n)})"
            for n in dups
        )
        raise InputError(
            f"column names must be unique, but {subject} has {where} more than "
            f"once; {fix} so that each is different"
        )


def _check_names(
    names: Sequence[str], subject: str, fix: str, trailing: Sequence[int] = ()
) -> None:
    """Every name must be a Python identifier (keywords allowed); suggest cleaned names."""
    problems = []
    for j, n in enumerate(names):
        if not n:
            if j in trailing:
                problems.append(
                    f"column {j + 1} has no name and no values (a trailing comma at "
                    "the end of each line? remove it)"
                )
            else:
                problems.append(f"column {j + 1} has no name (call it e.g. {f'x{j}'!r})")
        elif not n.isidentifier():
            problems.append(f"{n!r} (try {_clean_name(n, j)!r})")
    if problems:
        raise InputError(
            f"column names must be usable as variable names (letters, digits and '_', not "
            f"starting with a digit), but in {subject}: {'; '.join(problems)}; {fix}"
        )


def _clean_name(name: str, j: int) -> str:
    cleaned = re.sub(r"\W+", "_", name.strip()).strip("_")
    if not cleaned:
        return f"x{j}"
    return f"x_{cleaned}" if cleaned[0].isdigit() else cleaned


def _unknown_target(target: str, names: Sequence[str], subject: str) -> str:
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
    msg = f"target {target!r} is not a column of {subject}; columns are {_fmt_names(names)}."
    if suggest:
        return msg + f" Did you mean {' or '.join(repr(s) for s in suggest)}?"
    return msg + " Pass one of them as target (or none: the last column is the default)."


def _fmt_names(names: Sequence[str]) -> str:
    names = list(names)
    if len(names) <= 20:
        return repr(names)
    return f"{names[:20]!r} and {len(names) - 20} more"


def _as_cells(obj: Any) -> np.ndarray:
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


def _to_float(cells: np.ndarray, names: Sequence[str], subject: str, rows: _Rows) -> np.ndarray:
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
        msg += f". Also non-numeric: columns {_fmt_names([names[p[0]] for p in problems[1:]])}"
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


def _finish(
    X: np.ndarray,
    y: np.ndarray,
    feature_names: Sequence[str],
    target_name: str,
    *,
    min_rows: int,
    source: str | None,
    subject: str,
    rows: _Rows,
) -> Dataset:
    """Checks shared by load_csv and from_arrays, on float arrays: finite and not too
    large to square, enough rows, varying target."""
    finite = np.isfinite(X).all(axis=1) & np.isfinite(y)
    if not finite.all():
        bad = np.flatnonzero(~finite)
        cols = [n for n, ok in zip(feature_names, np.isfinite(X).all(axis=0)) if not ok]
        if not np.isfinite(y).all():
            cols.append(target_name)
        rows_word = "row has" if len(bad) == 1 else "rows have"
        raise InputError(
            f"{len(bad)} {rows_word} missing (empty or NaN) or infinite values in {subject}: "
            f"{rows(bad[:_SHOWN], len(bad))} (columns {_fmt_names(cols)}); drop or fill these rows"
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
            f"columns {_fmt_names(huge)} of {subject} hold values too large to compute with "
            "(their squares overflow float64, |value| > 1e154); rescale them, e.g. to "
            "other units, or fit their logarithm"
        )
    mean, std = float(y.mean()), float(y.std())
    if std <= 1e-12 * max(1.0, abs(mean)):
        value = float(y[0]) if np.all(y == y[0]) else mean
        raise InputError(
            f"target {target_name!r} is constant (= {value!r}) in {subject}; there "
            "is no law to find. Choose a target column whose values vary"
        )
    return Dataset(X, y, tuple(feature_names), target_name, source)
