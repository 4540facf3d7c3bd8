"""Reading a CSV file into a `Dataset`: header, cells, line numbers for the messages.

The checks and their order are listed in `symkan.data`.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from symkan.data.checks import (
    Rows,
    check_min_rows,
    finish_dataset,
    fmt_names,
    to_float,
    unknown_target,
)
from symkan.data.dataset import Dataset
from symkan.data.names import check_names, check_unique
from symkan.errors import InputError

__all__ = ["load_csv"]


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
    check_min_rows(min_rows)
    path = Path(path)
    header = _read_header(path)
    _check_separator(path, header)
    frame = _read_frame(path)
    name = path.name
    names = [h.strip() for h in header]
    if len(names) != frame.shape[1]:  # pandas and csv disagree on the header: odd quoting
        raise InputError(
            f"{path} could not be parsed as CSV: its header line has {len(names)} fields but "
            f"{frame.shape[1]} columns were read; check the quoting of the header line"
        )
    if len(names) < 2:
        raise InputError(
            f"{name} has only one column ({names[0]!r}); symkan needs at least one feature "
            "column besides the target"
        )
    check_unique(names, name, "rename them in the header line")
    empty_cols = [j for j, n in enumerate(names) if not n]
    all_blank = [j for j in empty_cols if frame.iloc[:, j].fillna("").str.strip().eq("").all()]
    check_names(names, name, "rename them in the header line", trailing=all_blank)

    if target is None:
        t = len(names) - 1
    else:
        if not isinstance(target, str):
            raise InputError(f"target must be a column name (a string); got {target!r}")
        if target not in names:
            raise InputError(unknown_target(target, names, name))
        t = names.index(target)

    rows = _csv_rows(path, frame.shape[0])
    values = to_float(frame.to_numpy(dtype=object), names, name, rows)
    X = np.delete(values, t, axis=1)
    features = names[:t] + names[t + 1 :]
    return finish_dataset(
        X, values[:, t], features, names[t], min_rows=min_rows, source=name, subject=name, rows=rows
    )


def _csv_rows(path: Path, n_rows: int) -> Rows:
    """Rows named by their line in the file, scanned only when a message needs them."""
    cache: list[list[int]] = []

    def number(i: int) -> int:
        if not cache:
            cache.append(_scan_lines(path, n_rows))
        return cache[0][i]

    return Rows("line", "lines", number)


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


_SEPARATORS = {";": "';'", "\t": "tab", "|": "'|'"}
_CONVERT = ("pandas.read_csv({path!r}, sep={sep!r}{decimal}).to_csv('converted.csv', "
            "index=False)")


def _check_separator(path: Path, header: list[str]) -> None:
    """A header of one field holding ';', tab or '|': another separator, maybe with
    decimal commas (``1,5;2,0``), which would otherwise read as extra comma fields."""
    if len(header) != 1 or not (found := [c for c in _SEPARATORS if c in header[0]]):
        return
    sep = found[0]
    line = _first_data_line(path)
    decimal = bool(re.search(r"\d,\d", line))
    what = f"separated by {_SEPARATORS[sep]}" + (" with decimal commas" if decimal else "")
    fix = _CONVERT.format(path=str(path), sep=sep, decimal=", decimal=','" if decimal else "")
    raise InputError(
        f"{path.name} looks {what} (header {header[0]!r}, first row {line.strip()!r}); "
        "symkan reads comma-separated files with decimal points. Save it as CSV with ',' "
        "between fields and '.' in numbers (a spreadsheet's 'CSV, comma-separated' export, "
        f"or in Python: {fix})"
    )


def _first_data_line(path: Path) -> str:
    try:
        with path.open(encoding="utf-8-sig") as f:
            lines = [ln for ln in (f.readline() for _ in range(50)) if ln.strip()]
    except (OSError, UnicodeDecodeError):
        return ""
    return lines[1][:80] if len(lines) > 1 else ""


def _is_blank(record: list[str]) -> bool:
    return not record or (len(record) == 1 and not record[0].strip())


def _read_header(path: Path) -> list[str]:
    """The first non-blank record of the file; raises for missing, unreadable or empty files."""
    if not path.exists():
        where = "" if path.is_absolute() else f" (relative to the working directory {os.getcwd()})"
        raise InputError(f"no such file: {str(path)!r}{where}; check the path and file name")
    if path.is_dir():
        found = sorted(p.name for p in path.glob("*.csv"))
        there = f"; CSV files there: {fmt_names(found)}" if found else ""
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
