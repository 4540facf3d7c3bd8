'''Formulas as code: a numpy function, a torch module, a plain-Python (``math``) function.

Each target is one plain function that returns source text a user can paste, printed by
a sympy code printer whose floats read back exactly (``repr``; or ``precision``
significant digits). `numpy_function` and `torch_module` give ready objects computing
the same formula.

Examples
--------
>>> import math, sympy
>>> x = sympy.Symbol("x", real=True)
>>> src = to_python(2.5 * sympy.sin(x), ["x"], target="y")
>>> print(src)
import math
<BLANKLINE>
<BLANKLINE>
def y(x):
    """y = 2.5*sin(x), found by symkan."""
    return 2.5*math.sin(x)
<BLANKLINE>
>>> ns = {}
>>> exec(src, ns)
>>> ns["y"](1.0) == 2.5 * math.sin(1.0)
True
'''

from __future__ import annotations

import keyword
from collections.abc import Callable, Sequence

import numpy as np
import sympy
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.pycode import PythonCodePrinter
from sympy.printing.pytorch import TorchPrinter

from symkan.export._names import check_names, check_precision, code_names, py_string
from symkan.export.sympy_code import exact_str
from symkan.formula.display import shown
from symkan.formula.numeric import rounded

__all__ = ["numpy_function", "to_numpy", "to_python", "to_torch", "torch_module"]


def _exact_float(self, expr) -> str:
    return repr(float(expr))


class _Python(PythonCodePrinter):
    _print_Float = _exact_float


class _NumPy(NumPyPrinter):
    _print_Float = _exact_float


class _Torch(TorchPrinter):
    _print_Float = _exact_float


def _prepare(expr, names, target, precision, reserved, numeric: bool = False):
    check_precision(precision, allow_none=True)
    expr = sympy.sympify(expr)
    check_names(expr, names)
    safe = code_names([*names, target], reserved=reserved, columns=names)
    # by name, whatever the symbol's assumptions: no name reaches the code unmapped
    subs = {s: sympy.Symbol(safe[str(s)], real=True) for s in expr.free_symbols}
    expr = rounded(expr, precision)
    if numeric:  # torch functions need tensors: sqrt(2), pi, 1/3 become floats
        expr = expr.xreplace({n: sympy.Float(n) for n in expr.atoms(sympy.Number)
                              if not isinstance(n, sympy.Integer)})
        expr = expr.xreplace({c: sympy.Float(c.evalf(17)) for c in expr.atoms(sympy.NumberSymbol)})
        expr = expr.replace(lambda e: e.is_number and not e.is_Atom and e.is_real,
                            lambda e: sympy.Float(e.evalf(17)))
    return expr.xreplace(subs), safe


def _docline(expr, target: str, names: Sequence[str]) -> str:
    """The docstring, escaped: names from a model file cannot end it and add code."""
    text = exact_str(shown(rounded(expr, 6), names))
    return f'""{py_string(f"{target} = {text}, found by symkan.")}""'


def to_python(expr, names: Sequence[str], *, target: str = "y",
              precision: int | None = None) -> str:
    """A standalone Python function of one row (floats in, float out), using only ``math``."""
    body, safe = _prepare(expr, names, target, precision, {"math"})
    code = _Python({"fully_qualified_modules": True}).doprint(body)
    args = ", ".join(safe[n] for n in names)
    doc = _docline(expr, target, names)
    return f"import math\n\n\ndef {safe[target]}({args}):\n    {doc}\n    return {code}\n"


def to_numpy(expr, names: Sequence[str], *, target: str = "y",
             precision: int | None = None) -> str:
    """A numpy function of one array per variable (broadcasting), as source text."""
    body, safe = _prepare(expr, names, target, precision, {"numpy"})
    code = _NumPy().doprint(body)
    args = ", ".join(safe[n] for n in names)
    first = safe[names[0]] if names else "0.0"
    doc = _docline(expr, target, names)
    return (f"import numpy\n\n\ndef {safe[target]}({args}):\n    {doc}\n"
            f"    return numpy.broadcast_to({code}, numpy.shape({first})).astype(float)\n")


def to_torch(expr, names: Sequence[str], *, target: str = "y",
             precision: int | None = None) -> str:
    """A ``torch.nn.Module`` whose ``forward(X)`` takes ``(batch, len(names))`` → ``(batch,)``."""
    body, safe = _prepare(expr, names, target, precision, {"torch", "X", "self"}, numeric=True)
    code = _Torch().doprint(body)
    unpack = ", ".join(safe[n] for n in names) + ("," if len(names) == 1 else "")
    cls = "".join(p[:1].upper() + p[1:] for p in safe[target].split("_")) or "Formula"
    if keyword.iskeyword(cls) or cls == "torch":  # a target "none" or "true"
        cls += "_"
    doc = _docline(expr, target, names)
    return (
        f"import torch\n\n\nclass {cls}(torch.nn.Module):\n    {doc}\n\n"
        f"    def forward(self, X):\n"
        f"        # X: (batch, {len(names)}), columns {', '.join(safe[n] for n in names)}\n"
        f"        {unpack} = X.unbind(-1)\n"
        f"        return torch.broadcast_to(torch.as_tensor({code}, dtype=X.dtype), "
        f"X.shape[:-1])\n"
    )


def numpy_function(expr, names: Sequence[str]) -> Callable[..., np.ndarray]:
    """The formula as a numpy callable, ``f(X)`` with ``X`` of shape ``(n, len(names))``."""
    body, safe = _prepare(expr, names, "y", None, {"numpy"})
    fn = sympy.lambdify([sympy.Symbol(safe[n], real=True) for n in names], body,
                        modules="numpy")

    def f(X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        with np.errstate(all="ignore"):
            out = fn(*(X[:, k] for k in range(X.shape[1])))
        return np.broadcast_to(np.asarray(out, dtype=np.float64), (X.shape[0],)).copy()

    return f


def torch_module(expr, names: Sequence[str]):
    """The formula as a ``torch.nn.Module``: ``forward(X)``, ``(batch, len(names))`` → ``(batch,)``.

    The same expression `to_torch` prints, made a callable by `sympy.lambdify`.
    """
    import torch

    body, safe = _prepare(expr, names, "y", None, set(), numeric=True)
    fn = sympy.lambdify([sympy.Symbol(safe[n], real=True) for n in names], body,
                        modules="torch")

    class Formula(torch.nn.Module):
        def forward(self, X: torch.Tensor) -> torch.Tensor:
            out = fn(*X.unbind(-1))  # X: (batch, len(names))
            return torch.broadcast_to(torch.as_tensor(out, dtype=X.dtype), X.shape[:-1])

    return Formula()
