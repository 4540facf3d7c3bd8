"""How a formula is written: column names that clash with mathematics get a trailing ``_``.

Inside symkan a column is always a plain ``Symbol(name, real=True)``, created directly and
never by parsing its name, so a column called ``pi``, ``E`` or ``sin`` is a variable to
every computation. Only the written formula could be ambiguous, so one rule holds in
everything symkan writes (result.json, the report, LaTeX, code exports, model.json,
``symkan compare``):

* a column whose name means something else in a formula — a constant (``pi``, ``E``,
  ``I``, ``oo``, ``nan``, ``zoo``), one of sympy's one-letter objects (``S``, ``N``,
  ``Q``, ``O``) or a function (``sin``, ``exp``, ``ln``, ``Abs``, ``gamma``, ``beta``,
  ``zeta``, any function sympy or `symkan.formula.parse_formula` knows) — is written
  with a trailing underscore: ``pi_``, ``E_``, ``sin_`` (more underscores if that name
  is taken by another column);
* ``pi`` is always the number π; Euler's number is written ``exp(1)``.

`parse_formula` reads the rule back: given the column names, ``pi_`` is the column
``pi`` and ``pi`` the number.

Examples
--------
>>> import sympy
>>> col = sympy.Symbol("pi", real=True)
>>> formula_text(col * sympy.pi + sympy.E)
'pi*pi_ + exp(1)'
>>> shown_names(["E", "x"])
{'E': 'E_', 'x': 'x'}
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy
from sympy.printing.str import StrPrinter

from symkan.formula.parse import RESERVED, shown_names

__all__ = ["RESERVED", "formula_text", "is_reserved", "shown", "shown_names"]


def is_reserved(name: str) -> bool:
    """Whether a column called ``name`` is written with a trailing underscore."""
    return name in RESERVED


def shown(expr: sympy.Expr, names: Sequence[str] | None = None) -> sympy.Expr:
    """``expr`` with every clashing column symbol renamed as it is written (``pi`` → ``pi_``).

    ``names``: all the columns (so that a column ``pi_`` pushes ``pi`` to ``pi__``);
    by default the names of ``expr``'s symbols.
    """
    expr = sympy.sympify(expr)
    symbols = {s.name: s for s in expr.free_symbols if isinstance(s, sympy.Symbol)}
    names = [*(names or ()), *sorted(set(symbols) - set(names or ()))]
    written = shown_names(names)
    return expr.xreplace({
        s: sympy.Symbol(written[n], **s.assumptions0)
        for n, s in symbols.items() if written.get(n, n) != n
    })


class _TextPrinter(StrPrinter):
    """sympy's ``str`` with Euler's number written ``exp(1)`` (``E`` may be a column)."""

    def _print_Exp1(self, expr) -> str:
        return "exp(1)"


def formula_text(expr: sympy.Expr, names: Sequence[str] | None = None) -> str:
    """The formula as text, by the rule of this module (``names``: all the columns)."""
    return _TextPrinter().doprint(shown(expr, names))
