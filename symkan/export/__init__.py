"""Export a formula: LaTeX, sympy, numpy, torch or plain Python, one function per target.

Every ``to_*`` function returns text; `export` picks one by name (as the CLI does).
`numpy_function` and `torch_module` return ready objects computing the same formula.

Examples
--------
>>> import sympy
>>> x = sympy.Symbol("x", real=True)
>>> export(0.123456 * x**2, ["x"], "latex", precision=3)
'0.123 x^{2}'
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy

from symkan.errors import InputError
from symkan.export.code import numpy_function, to_numpy, to_python, to_torch, torch_module
from symkan.export.latex import SymkanLatexPrinter, to_latex
from symkan.export.sympy_code import exact_str, to_sympy
from symkan.formula.display import shown

__all__ = [
    "TARGETS",
    "SymkanLatexPrinter",
    "exact_str",
    "export",
    "numpy_function",
    "to_latex",
    "to_numpy",
    "to_python",
    "to_sympy",
    "to_torch",
    "torch_module",
]

TARGETS = ("latex", "sympy", "numpy", "torch", "python")


def export(expr: sympy.Expr, names: Sequence[str], to: str, *, target: str = "y",
           precision: int | None = None) -> str:
    """``expr`` as text for ``to`` (one of `TARGETS`); ``names`` are the variables in order.

    ``precision`` is the number of significant digits of each float: LaTeX defaults to
    4, code to every digit (so the code computes exactly what the formula does).
    """
    if to == "latex":
        return to_latex(shown(expr, names), 4 if precision is None else precision)
    makers = {"sympy": to_sympy, "numpy": to_numpy, "torch": to_torch, "python": to_python}
    if to not in makers:
        raise InputError(f"export target {to!r} is unknown; choose one of {list(TARGETS)}")
    return makers[to](expr, names, target=target, precision=precision)
