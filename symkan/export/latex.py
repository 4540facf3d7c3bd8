"""LaTeX export of a formula, with floats shown to a chosen number of digits.

Like PySR's ``export_latex``: a subclass of sympy's `LatexPrinter` whose only
change is how ``Float`` atoms print. Symbol names follow sympy's defaults
(``theta -> \\theta``, ``x_1 -> x_{1}``); exact numbers stay exact.

Example
-------
>>> import sympy
>>> x = sympy.Symbol("x", real=True)
>>> to_latex(1.234567 * x**2)
'1.235 x^{2}'
"""

from __future__ import annotations

import sympy
from sympy.printing.latex import LatexPrinter, greek_letters_set, other_symbols

from symkan.errors import InputError

__all__ = ["SymkanLatexPrinter", "to_latex"]


def _check_precision(precision: int) -> None:
    if isinstance(precision, bool) or not isinstance(precision, int) or precision < 1:
        raise InputError(
            f"precision={precision!r} must be a positive integer number of significant "
            "digits, e.g. 4."
        )


class SymkanLatexPrinter(LatexPrinter):
    """`LatexPrinter` that prints Floats with `precision` significant digits.

    Parameters
    ----------
    settings : sympy LaTeX printer settings (as for `sympy.latex`).
    precision : significant digits of each Float.

    Examples
    --------
    >>> SymkanLatexPrinter(precision=2).doprint(sympy.Float(3.14159))
    '3.1'
    """

    def __init__(self, settings: dict | None = None, precision: int = 4):
        _check_precision(precision)
        super().__init__(settings)
        self.precision = precision

    def _print_Float(self, expr: sympy.Float) -> str:
        return super()._print_Float(sympy.Float(expr, self.precision))

    def _print_Symbol(self, expr: sympy.Symbol, style: str = "plain") -> str:
        """Column names of several letters are one italic word: ``Ef`` → ``\\mathit{Ef}``
        (``E f`` would read as a product); Greek names and subscripts print as sympy's.
        A name that ends in ``_`` (a column called ``pi`` is written ``pi_``, see
        `symkan.formula.display`) is the word itself: ``\\mathit{pi\\_}``, never ``\\pi``."""
        if expr.name.endswith("_") and expr.name.strip("_").isidentifier():
            return "\\mathit{" + expr.name.replace("_", "\\_") + "}"
        text = super()._print_Symbol(expr, style)
        base = expr.name.split("_")[0]
        if (len(base) > 1 and base.isalpha() and base.lower() not in greek_letters_set
                and base not in other_symbols and text.startswith(base)):
            return "\\mathit{" + base + "}" + text[len(base):]
        return text


def to_latex(expr: sympy.Expr, precision: int = 4) -> str:
    """LaTeX of `expr` with Floats rounded to `precision` significant digits.

    Examples
    --------
    >>> x, y = sympy.symbols("x y", real=True)
    >>> to_latex(x / y)
    '\\\\frac{x}{y}'
    >>> to_latex(sympy.Symbol("theta") + 0.5, precision=2)
    '\\\\theta + 0.5'
    """
    _check_precision(precision)
    return SymkanLatexPrinter(precision=precision).doprint(sympy.sympify(expr))
