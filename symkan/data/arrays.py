"""In-memory data (numpy arrays, pandas frames) into a validated `Dataset`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from symkan.data.checks import (
    Rows,
    as_cells,
    check_min_rows,
    finish_dataset,
    to_float,
)
from symkan.data.dataset import Dataset
from symkan.data.names import check_variables
from symkan.errors import InputError

__all__ = ["from_arrays"]


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
    check_min_rows(min_rows)
    subject = source if source else "the data"
    frame_names: list[str] | None = None
    if isinstance(X, pd.DataFrame) and not all(isinstance(c, (int, np.integer)) for c in X.columns):
        frame_names = [str(c) for c in X.columns]
    cells = as_cells(X)
    if cells.ndim != 2:
        hint = " For a single feature use X.reshape(-1, 1)." if cells.ndim == 1 else ""
        raise InputError(f"X must be 2-D (rows, features); got shape {cells.shape}.{hint}")
    target = as_cells(y)
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
    check_variables(names, target_name, "the feature names", fix)

    rows = Rows("row index", "row indices", int)
    Xf = to_float(cells, names, subject, rows)
    yf = to_float(target[:, None], [target_name], subject, rows)[:, 0]
    return finish_dataset(
        np.array(Xf, dtype=np.float64, order="C"),
        yf.copy(),
        names,
        target_name,
        min_rows=min_rows,
        source=source,
        subject=subject,
        rows=rows,
    )
