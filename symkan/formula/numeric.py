"""The numeric jobs every stage repeats: a formula's values on rows, RMSE, R², rounding.

* `evaluate` computes a formula on data, always returning an ``(n,)`` array (plain numpy);
* `values_at` is the robust variant the constant fits use (dummy symbols, scipy fallback for
  functions numpy lacks, complex results become NaN), built on `lambdify_numpy`;
* `rmse_of`, `rmse` and `r2` measure a fit; `check_data` validates ``(expr, symbols, X, y)``;
* `round_floats` (display: Floats of ``digits`` precision) and `rounded` (export: values
  rounded, full-precision Floats) round the constants of a formula.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence

import numpy as np
import sympy

from symkan.errors import InputError

__all__ = [
    "as_column",
    "check_data",
    "evaluate",
    "evenly_spaced",
    "lambdify_numpy",
    "plain_arguments",
    "r2",
    "rmse",
    "rmse_of",
    "round_floats",
    "rounded",
    "values_at",
]


def check_data(
    expr: sympy.Expr, symbols: Sequence[sympy.Symbol], X, y
) -> tuple[sympy.Expr, list[sympy.Symbol], np.ndarray, np.ndarray]:
    """Validate the arguments shared by the data-driven functions."""
    expr = sympy.sympify(expr)
    symbols = list(symbols)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if X.ndim == 1 and len(symbols) == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[1] != len(symbols):
        raise InputError(
            f"X has shape {X.shape} but {len(symbols)} symbols {[str(s) for s in symbols]} "
            "were given; pass X of shape (n, len(symbols)) with one column per symbol."
        )
    if y.shape != (X.shape[0],):
        raise InputError(
            f"y has shape {y.shape} but X has {X.shape[0]} rows; pass y of shape ({X.shape[0]},)."
        )
    missing = expr.free_symbols - set(symbols)
    if missing:
        raise InputError(
            f"the expression uses {sorted(str(s) for s in missing)}, which are not among the "
            f"symbols {[str(s) for s in symbols]}; pass every symbol of the expression "
            "(with the same name and assumptions) in `symbols`."
        )
    return expr, symbols, X, y


def plain_arguments(args: Sequence, exprs):
    """``args`` and ``exprs`` with every argument swapped for a plain symbol ``_a0, _a1, …``.

    Generated code must not depend on how many Dummies the process made before: sympy
    orders a sum's terms by their symbols' names, a Dummy's name holds a global counter
    (``_Dummy_987`` sorts after ``_Dummy_1234``), and the order of a float sum moves its
    last bits; a refit on a flat optimum can turn those into different constants. Fixed
    names make the same formula the same code in every run.
    """
    plain = [sympy.Symbol(f"_a{i}", real=True) for i in range(len(args))]
    swap = dict(zip(args, plain))
    if isinstance(exprs, (list, tuple)):
        return plain, [sympy.sympify(e).xreplace(swap) for e in exprs]
    return plain, sympy.sympify(exprs).xreplace(swap)


def lambdify_numpy(args: list, exprs) -> Callable:
    """Numpy function of `exprs`; falls back to scipy for functions numpy lacks. The same
    formula always becomes the same code (`plain_arguments`), made once (cached: a refit
    evaluates the same model many times, and sympy's code printing is slow)."""
    args, exprs = plain_arguments(args, exprs)
    return _compiled(tuple(args), tuple(exprs) if isinstance(exprs, list) else exprs,
                     isinstance(exprs, list))


@functools.lru_cache(maxsize=512)
def _compiled(args: tuple, exprs, as_list: bool) -> Callable:
    args, exprs = list(args), list(exprs) if as_list else exprs
    try:
        f = sympy.lambdify(args, exprs, modules=["numpy"], cse=True)
        with np.errstate(all="ignore"):
            f(*np.ones(len(args)))
        return f
    except (NameError, TypeError, AttributeError):
        return sympy.lambdify(args, exprs, modules=["scipy", "numpy"], cse=True)


def as_column(value, n: int) -> np.ndarray:
    """Broadcast a lambdified result (maybe a scalar) to a float array of shape (n,)."""
    arr = np.asarray(value)
    if np.iscomplexobj(arr):
        arr = np.where(np.abs(arr.imag) > 0, np.nan, arr.real)
    return np.broadcast_to(arr.astype(np.float64, copy=False), (n,))


def values_at(expr: sympy.Expr, symbols: list[sympy.Symbol], X: np.ndarray) -> np.ndarray:
    """``expr`` at the rows of ``X``, shape (n,); symbols swapped for dummies (names such
    as ``lambda`` or ``I`` cannot clash with the generated code)."""
    f = lambdify_numpy(list(symbols), expr)
    with np.errstate(all="ignore"):
        return as_column(f(*X.T), X.shape[0])


def evaluate(expr: sympy.Expr, symbols: Sequence[sympy.Symbol], X: np.ndarray) -> np.ndarray:
    """``expr`` at the rows of ``X`` ((n, d), columns in the order of ``symbols``) → (n,).

    The symbols are swapped for plain ``_a0, _a1, …`` first (`plain_arguments`), so a
    column called ``sin``, ``pi`` or ``E`` is a variable in the generated code, never
    numpy's function or constant, and the code does not depend on the run.
    """
    args, expr = plain_arguments(list(symbols), expr)
    fn = _plain_numpy(tuple(args), expr)
    with np.errstate(all="ignore"):
        out = fn(*[X[:, i] for i in range(X.shape[1])])
    out = np.asarray(out, dtype=np.complex128 if np.iscomplexobj(out) else np.float64)
    if np.iscomplexobj(out):
        out = np.where(np.abs(out.imag) < 1e-12, out.real, np.nan)
    return np.broadcast_to(out, (X.shape[0],)).astype(np.float64)


@functools.lru_cache(maxsize=512)
def _plain_numpy(args: tuple, expr: sympy.Expr) -> Callable:
    return sympy.lambdify(list(args), expr, modules="numpy")


def evenly_spaced(n: int, rows: int) -> np.ndarray:
    """Indices of at most ``rows`` of ``n`` rows, evenly spaced (no randomness)."""
    return np.linspace(0, n - 1, min(rows, n)).astype(int)


def rmse_of(pred: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Root-mean-square error of predictions (``sqrt(Σ w·r² / Σ w)`` with ``weights``);
    ``inf`` when not finite."""
    with np.errstate(all="ignore"):
        if weights is None:
            value = float(np.sqrt(np.mean((pred - y) ** 2)))
        else:
            value = float(np.sqrt(np.sum(weights * (pred - y) ** 2) / np.sum(weights)))
    return value if math.isfinite(value) else math.inf


def r2(pred: np.ndarray, y: np.ndarray) -> float:
    """Coefficient of determination of predictions; NaN when ``y`` is constant."""
    ss = float(np.sum((y - y.mean()) ** 2))
    return float(1 - np.sum((pred - y) ** 2) / ss) if ss > 0 else math.nan


def rmse(expr: sympy.Expr, symbols: Sequence[sympy.Symbol], X, y, *,
         weights: np.ndarray | None = None) -> float:
    """Root-mean-square error of `expr` on ``(X, y)``; ``inf`` when not finite.

    Parameters
    ----------
    expr : sympy expression in `symbols`.
    symbols : the symbols, in the order of the columns of `X`.
    X : array of shape (n, len(symbols)).
    y : array of shape (n,).
    weights : optional array of shape (n,), >= 0: ``sqrt(Σ w·r² / Σ w)``.

    Examples
    --------
    >>> import numpy as np, sympy
    >>> x = sympy.Symbol("x", real=True)
    >>> rmse(x + 1, [x], np.zeros((4, 1)), np.zeros(4))
    1.0
    """
    expr, symbols, X, y = check_data(expr, symbols, X, y)
    try:
        pred = values_at(expr, symbols, X)
    except (ValueError, OverflowError, ZeroDivisionError):
        return math.inf
    return rmse_of(pred, y, None if weights is None else np.asarray(weights, dtype=np.float64))


def round_floats(expr: sympy.Expr, digits: int = 4) -> sympy.Expr:
    """Round every Float of `expr` to `digits` significant digits.

    Examples
    --------
    >>> x = sympy.Symbol("x", real=True)
    >>> round_floats(1.234567 * x + 0.000123456, 3)
    1.23*x + 0.000123
    """
    if not isinstance(digits, int) or digits < 1:
        raise InputError(f"digits={digits!r} must be a positive integer, e.g. 4.")
    expr = sympy.sympify(expr)
    mapping = {
        f: sympy.Float(float(f"{float(f):.{digits}g}"), digits) for f in expr.atoms(sympy.Float)
    }
    return expr.xreplace(mapping)


def rounded(expr: sympy.Expr, precision: int | None) -> sympy.Expr:
    """``expr`` with every Float rounded to ``precision`` significant digits (None: as is)."""
    if precision is None:
        return expr
    return expr.xreplace(
        {f: sympy.Float(float(f"{float(f):.{precision}g}")) for f in expr.atoms(sympy.Float)}
    )


def resolve_abs(expr: sympy.Expr, symbols: Sequence[sympy.Symbol], X: np.ndarray) -> sympy.Expr:
    """``Abs(a)`` written as ``a`` (or ``-a``) where ``a`` keeps one sign on the rows of X.

    Factoring ``sqrt((x - t*u)**2)`` over real symbols gives ``Abs(t*u - x)``; on data
    where ``x > t*u`` everywhere the law is ``x - t*u``, which is what a reader expects.
    """
    mapping = {}
    for node in expr.atoms(sympy.Abs):
        values = values_at(node.args[0], list(symbols), X)
        if np.all(values > 0):
            mapping[node] = node.args[0]
        elif np.all(values < 0):
            mapping[node] = -node.args[0]
    return expr.xreplace(mapping) if mapping else expr
