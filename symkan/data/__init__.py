"""Data in: a CSV file or arrays become a validated `Dataset`; the train/test split.

``dataset`` (the `Dataset`, `train_test_split`) ← ``checks`` (the shared checks) ←
``csv_file`` (`load_csv`) and ``arrays`` (`from_arrays`).

The checks, in order: the file can be read as CSV; column names are unique, non-empty
Python identifiers (keywords such as ``lambda`` and sympy names such as ``I``, ``E``, ``S``,
``beta`` are fine: they become plain `sympy.Symbol` objects); there is at least one feature
besides the target; the target exists; every cell is a number; no cell is missing, NaN or
infinite; there are at least ``min_rows`` rows; no value is too large to square
(|value| > 1e154 overflows float64); the target is not constant. A constant
*feature* is not an error (pruning removes it later).
"""

from symkan.data.arrays import from_arrays
from symkan.data.csv_file import load_csv
from symkan.data.dataset import Dataset, train_test_split

__all__ = ["Dataset", "from_arrays", "load_csv", "train_test_split"]
