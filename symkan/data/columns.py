"""Which columns are inputs: the user's choice (``inputs``, ``exclude``), and row indices
left out unless asked for.

A column whose values are the row numbers (0, 1, 2, … or any start, step 1, in the order
of the rows: an id, a sample number) says nothing about the law and would let the search
fit the row order. Unless ``inputs`` names it, such a column is not an input, and a note
says so. A real time column (measured times) is a number like any other and stays.

>>> import numpy as np
>>> from symkan.data import from_arrays
>>> ds = from_arrays(np.c_[np.arange(20.0), np.linspace(1, 2, 20)], np.linspace(1, 2, 20) ** 2,
...                  ["id", "x"])
>>> chosen, notes = choose_columns(ds)
>>> chosen.feature_names, notes[0].split(":")[0]
(('x',), "column 'id' holds the row numbers")
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import numpy as np

from symkan.data.dataset import Dataset
from symkan.errors import InputError

__all__ = ["choose_columns", "looks_like_row_index"]


def looks_like_row_index(values: np.ndarray) -> bool:
    """Integers that go up by exactly 1 from row to row (at least 10 rows)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size < 10 or not np.all(values == np.round(values)):
        return False
    return bool(np.all(np.diff(values) == 1.0))


def _names(given: Sequence[str] | None, dataset: Dataset, option: str) -> list[str]:
    names = list(given or ())
    columns = list(dataset.feature_names)
    unknown = [n for n in names if n not in columns]
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), columns, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        target = (f" ({unknown[0]!r} is the target)" if unknown[0] == dataset.target_name
                  else "")
        raise InputError(f"{option} names {unknown}, which are not input columns{target}; "
                         f"the input columns are {columns}.{hint}")
    if len(set(names)) != len(names):
        raise InputError(f"{option} names a column twice: {names}; name each once")
    return names


def choose_columns(
    dataset: Dataset, inputs: Sequence[str] | None = None, exclude: Sequence[str] = (),
) -> tuple[Dataset, list[str]]:
    """The dataset with only its input columns, and notes on what was left out.

    ``inputs`` (all columns when None) are the candidates; ``exclude`` removes some of
    them; a column that looks like the row numbers is removed too unless ``inputs``
    names it (or it is all that is left). An unknown name, or a choice that leaves no column, is an `InputError`.
    """
    keep = _names(inputs, dataset, "inputs") if inputs is not None else list(
        dataset.feature_names)
    dropped = set(_names(exclude, dataset, "exclude"))
    notes = []
    if inputs is None:
        index = [n for j, n in enumerate(dataset.feature_names)
                 if n not in dropped and looks_like_row_index(dataset.X[:, j])]
        if len(index) < len([n for n in keep if n not in dropped]):  # others remain
            for name in index:
                dropped.add(name)
                notes.append(f"column {name!r} holds the row numbers: it is not an input "
                             f"(name it in --inputs / inputs= to use it)")
    keep = [n for n in keep if n not in dropped]
    if not keep:
        raise InputError(f"no input column is left (inputs {inputs}, excluded "
                         f"{sorted(dropped)}); keep at least one of "
                         f"{list(dataset.feature_names)}")
    if keep == list(dataset.feature_names):
        return dataset, notes
    index = {n: j for j, n in enumerate(dataset.feature_names)}
    return dataset.with_features([index[n] for n in keep]), notes
