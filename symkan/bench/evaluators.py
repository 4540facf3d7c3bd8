"""Formulas that sympy cannot hold: scipy.special expressions, read without ``eval``.

The KAN paper's special-function suite is defined by expressions such as
``ellipj(x, y)[0]`` or ``real(sph_harm_y(1, 0, y, x))``. `scipy_function` parses such a
string with Python's `ast` and allows only: numbers, the listed variables, ``+ - * / **``,
calls of the functions in `SCIPY_FUNCTIONS` with positional arguments, and an integer
subscript of a call's result (to pick one output of a function that returns a tuple).
Nothing else (attributes, keywords, lambdas, names outside the allow-list) is accepted,
so a string can never run code.

Examples
--------
>>> import numpy as np
>>> f = scipy_function("jv(x, y) + 1", ["x", "y"])
>>> X = np.array([[0.0, 0.0], [1.0, 2.0]])
>>> np.round(f(X), 6)
array([2.      , 1.576725])
>>> scipy_function("__import__('os').system('true')", ["x"])
Traceback (most recent call last):
...
symkan.errors.InputError: scipy formula "__import__('os').system('true')" is not allowed: ...
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Sequence

import numpy as np
import scipy.special as sc

from symkan.errors import InputError

#: The functions a special-function formula may call (name → callable).
SCIPY_FUNCTIONS: dict[str, Callable] = {
    name: getattr(sc, name)
    for name in (
        "ellipj", "ellipkinc", "ellipeinc", "ellipk", "ellipe", "jv", "yv", "kv", "iv",
        "lpmv", "sph_harm_y", "gamma", "gammaln", "erf", "erfc", "expit", "zeta", "beta",
        "hyp2f1", "airy", "struve", "spherical_jn", "spherical_yn",
    )
    if hasattr(sc, name)
} | {"real": np.real, "imag": np.imag, "abs": np.abs, "sqrt": np.sqrt, "exp": np.exp,
     "log": np.log, "sin": np.sin, "cos": np.cos}

_BINOPS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.Pow: operator.pow,
}


class _Rejected(Exception):
    pass


def scipy_function(text: str, names: Sequence[str]) -> Callable[[np.ndarray], np.ndarray]:
    """Compile a scipy.special expression into ``f(X) -> y``, never evaluating the text.

    Parameters
    ----------
    text : str
        The expression, e.g. ``"lpmv(1, x, y)"``.
    names : sequence of str
        The variables; column ``i`` of ``X`` is ``names[i]``.

    Returns
    -------
    callable
        ``f(X)`` with ``X`` of shape (n, len(names)) returns a float array of shape (n,)
        (the real part; non-finite values are kept as they are).

    Raises
    ------
    InputError
        If the text is not a call/arithmetic expression over the allow-list.
    """
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, RecursionError, MemoryError) as err:
        raise InputError(f"cannot read scipy formula {text!r}: {err}") from None
    index = {name: i for i, name in enumerate(names)}
    try:
        _check(tree.body, index)
    except _Rejected as err:
        raise InputError(
            f"scipy formula {text!r} is not allowed: {err}. Use numbers, the variables "
            f"{list(names)}, + - * / ** and the functions {sorted(SCIPY_FUNCTIONS)}"
        ) from None
    body = tree.body

    def f(X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        with np.errstate(all="ignore"):
            out = _run(body, X, index)
        out = np.real(np.asarray(out, dtype=np.complex128 if np.iscomplexobj(out) else None))
        return np.broadcast_to(out, (X.shape[0],)).astype(np.float64)

    return f


def _check(node: ast.AST, index: dict[str, int]) -> None:
    """Raise `_Rejected` unless ``node`` is in the allowed subset."""
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        _check(node.left, index)
        _check(node.right, index)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        _check(node.operand, index)
    elif isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise _Rejected(f"constant {node.value!r} is not a number")
    elif isinstance(node, ast.Name):
        if node.id not in index:
            raise _Rejected(f"unknown name {node.id!r}")
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in SCIPY_FUNCTIONS:
            raise _Rejected(f"call of {ast.unparse(node.func)!r} is not an allowed function")
        if node.keywords:
            raise _Rejected(f"{node.func.id}() takes positional arguments only")
        for arg in node.args:
            _check(arg, index)
    elif isinstance(node, ast.Subscript):
        if not isinstance(node.value, ast.Call):
            raise _Rejected("only the result of a call may be subscripted")
        if not (isinstance(node.slice, ast.Constant) and type(node.slice.value) is int):
            raise _Rejected("a subscript must be a single integer, as in ellipj(x, y)[0]")
        _check(node.value, index)
    else:
        raise _Rejected(f"{ast.unparse(node)!r} ({type(node).__name__}) is not allowed")


def _run(node: ast.AST, X: np.ndarray, index: dict[str, int]):
    """Evaluate an already-checked node on the columns of ``X``."""
    if isinstance(node, ast.BinOp):
        return _BINOPS[type(node.op)](_run(node.left, X, index), _run(node.right, X, index))
    if isinstance(node, ast.UnaryOp):
        value = _run(node.operand, X, index)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return X[:, index[node.id]]
    if isinstance(node, ast.Call):
        return SCIPY_FUNCTIONS[node.func.id](*[_run(a, X, index) for a in node.args])
    if isinstance(node, ast.Subscript):
        return _run(node.value, X, index)[node.slice.value]
    raise AssertionError(f"unchecked node {type(node).__name__}")  # _check ran first
