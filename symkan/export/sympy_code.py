"""Formulas as Python text that sympy reads back exactly.

`exact_str` prints every float with the shortest text that reads back as the same
double (``repr``), so ``parse_formula(exact_str(e), names) == e`` for symkan's formulas.
`to_sympy` gives a snippet that rebuilds the formula with sympy.

Examples
--------
>>> import sympy
>>> x = sympy.Symbol("x", real=True)
>>> exact_str(0.1 * sympy.sin(x) + sympy.E)
'0.1*sin(x) + exp(1)'
>>> print(to_sympy(0.5 * x**2, ["x"], target="y"))
import sympy
from sympy import Float, Integer, Rational, Symbol, exp, pi, sqrt
<BLANKLINE>
x = Symbol("x", real=True)
y = 0.5*x**2
<BLANKLINE>
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy
from sympy.printing.str import StrPrinter

from symkan.export._names import check_names, check_precision, code_names, py_string
from symkan.formula.numeric import rounded

__all__ = ["exact_str", "to_sympy"]


class _ExactStrPrinter(StrPrinter):
    """`StrPrinter` whose floats read back bit for bit."""

    _float_format = None  # None: repr; "%.17g": 17 digits, which survive any parser

    def _print_Float(self, expr: sympy.Float) -> str:
        value = float(expr)
        return repr(value) if self._float_format is None else self._float_format % value

    def _print_Exp1(self, expr) -> str:
        return "exp(1)"


def exact_str(expr: sympy.Expr, *, digits17: bool = False) -> str:
    """``str(expr)`` with every float printed so it reads back as the same double.

    ``repr`` (shortest) by default; ``digits17=True`` prints 17 significant digits, which
    read back as the same double even through sympy's digit-count precision.
    """
    printer = _ExactStrPrinter({"order": None})
    if digits17:
        printer._float_format = "%.17g"
    return printer.doprint(sympy.sympify(expr))


def to_sympy(
    expr: sympy.Expr, names: Sequence[str], *, target: str = "y", precision: int | None = None
) -> str:
    """Python source that rebuilds ``expr`` in sympy, one real ``Symbol`` per name.

    Parameters
    ----------
    expr : sympy.Expr
    names : sequence of str
        The variables, in the data's column order (keywords such as ``lambda`` get a
        trailing underscore in the code; the symbol keeps its name).
    target : str
        Name the snippet assigns the formula to.
    precision : int, optional
        Significant digits of each float; None keeps every digit.
    """
    check_precision(precision, allow_none=True)
    expr = sympy.sympify(expr)
    check_names(expr, names)
    safe = code_names([*names, target], reserved={"sympy", "Float", "Integer", "Rational",
                                                  "Symbol", "pi", "E", "exp", "sqrt"} | _FUNCS,
                      columns=names)
    subs = {s: sympy.Symbol(safe[str(s)], real=True) for s in expr.free_symbols}
    body = exact_str(rounded(expr, precision).xreplace(subs))
    used = {type(f).__name__ for f in expr.atoms(sympy.Function)}
    used = sorted(used | {"Float", "Integer", "Rational", "Symbol", "pi", "exp", "sqrt"})
    lines = ["import sympy", f"from sympy import {', '.join(used)}", ""]
    for n in names:
        lines.append(f"{safe[n]} = Symbol({py_string(n)}, real=True)")
    lines.append(f"{safe[target]} = {body}")
    return "\n".join(lines) + "\n"


_FUNCS = {
    "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh",
    "acosh", "atanh", "log", "sqrt", "Abs", "sign",
}
