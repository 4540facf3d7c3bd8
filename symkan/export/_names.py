"""Helpers shared by the export targets: safe code names and checks.

Floats are rounded by `symkan.formula.numeric.rounded`.
"""

from __future__ import annotations

import keyword
from collections.abc import Iterable, Sequence

import sympy

from symkan.errors import InputError


def check_precision(precision: int | None, *, allow_none: bool = False) -> None:
    if precision is None and allow_none:
        return
    if isinstance(precision, bool) or not isinstance(precision, int) or precision < 1:
        raise InputError(
            f"precision={precision!r} must be a positive integer number of significant "
            "digits, e.g. 4" + (" (or None for every digit)" if allow_none else "")
        )


def code_names(names: Sequence[str], reserved: Iterable[str] = ()) -> dict[str, str]:
    """Name → a Python identifier for it: keywords and reserved names get a ``_`` suffix."""
    taken = set(reserved)
    out: dict[str, str] = {}
    for name in names:
        safe = name if name.isidentifier() else "_" + "".join(
            c if c.isalnum() or c == "_" else "_" for c in name
        )
        while keyword.iskeyword(safe) or safe in taken or safe in out.values():
            safe += "_"
        out[name] = safe
    return out


def check_names(expr: sympy.Expr, names: Sequence[str]) -> None:
    """Every variable of ``expr`` must be one of ``names``."""
    free = sorted(str(s) for s in expr.free_symbols if str(s) not in set(names))
    if free:
        raise InputError(
            f"the formula uses {free}, which are not among the variables {list(names)}; "
            "pass all the formula's variables"
        )
