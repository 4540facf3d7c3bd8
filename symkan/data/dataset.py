"""The `Dataset`: a validated table of features and one target, and the train/test split.

Datasets are built by `symkan.data.csv_file.load_csv` and `symkan.data.arrays.from_arrays`,
which run the checks of `symkan.data.checks`; nothing here prints, writes files or touches
global random state.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sympy

from symkan.data.names import check_variables
from symkan.errors import InputError

__all__ = ["Dataset", "train_test_split"]


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
        check_variables(names, self.target_name, "the Dataset's feature names",
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
