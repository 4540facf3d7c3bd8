"""Helpers shared by the export targets: safe code names and checks.

Floats are rounded by `symkan.formula.numeric.rounded`.
"""

from __future__ import annotations

import keyword
import unicodedata
from collections.abc import Iterable, Sequence

import sympy

from symkan.errors import InputError
from symkan.formula.parse import shown_names


def check_precision(precision: int | None, *, allow_none: bool = False) -> None:
    if precision is None and allow_none:
        return
    if isinstance(precision, bool) or not isinstance(precision, int) or precision < 1:
        raise InputError(
            f"precision={precision!r} must be a positive integer number of significant "
            "digits, e.g. 4" + (" (or None for every digit)" if allow_none else "")
        )


def py_string(text: str) -> str:
    """``text`` as a double-quoted, one-line Python string literal that reads back as ``text``.

    Backslashes and quotes are escaped and every unprintable character (a newline, any
    other line break) becomes an escape, so nothing inside can end the literal, or a
    docstring or comment it is put in. Identifiers come out as they are: ``"x"``.
    """
    out = []
    for c in str(text):
        if c in '\\"':
            out.append("\\" + c)
        elif c.isprintable():
            out.append(c)
        else:
            n = ord(c)
            out.append(f"\\x{n:02x}" if n <= 0xFF else f"\\u{n:04x}" if n <= 0xFFFF
                       else f"\\U{n:08x}")
    return '"' + "".join(out) + '"'


def code_names(names: Sequence[str], reserved: Iterable[str] = (),
               columns: Sequence[str] = ()) -> dict[str, str]:
    """Name → a Python identifier for it: keywords and reserved names get a ``_`` suffix.

    A name of ``columns`` starts as formulas write it (`symkan.formula.parse.shown_names`:
    a column ``pi``, ``E`` or ``sin`` is ``pi_``, ``E_``, ``sin_``). Names are NFKC-normalized
    first, as Python reads identifiers (so ``𝐦ath`` is ``math`` and gets the suffix
    too); anything that is not an identifier has its other characters replaced by ``_``.
    """
    taken = set(reserved)
    out: dict[str, str] = {}
    names = list(names)
    written = shown_names([str(n) for n in columns])
    for name in names:
        safe = unicodedata.normalize("NFKC", written.get(str(name), str(name)))
        if not safe.isidentifier():
            safe = "_" + "".join(c if c.isalnum() or c == "_" else "_" for c in safe)
            if not safe.isidentifier():  # letters that are alnum but not identifier chars
                safe = "_" + "".join(c if c.isascii() and c.isalnum() else "_" for c in safe)
        while keyword.iskeyword(safe) or safe in taken or safe in out.values():
            safe += "_"
        out[name] = safe
    return out


def check_names(expr: sympy.Expr, names: Sequence[str]) -> None:
    """Every variable of ``expr`` must be one of ``names``, every function a known one."""
    undefined = sorted({str(type(f)) for f in expr.atoms(sympy.core.function.AppliedUndef)})
    if undefined:
        raise InputError(
            f"the formula calls {undefined}, which are not functions symkan knows; "
            "export formulas made of arithmetic and sympy's elementary functions"
        )
    free = sorted(str(s) for s in expr.free_symbols if str(s) not in set(names))
    if free:
        raise InputError(
            f"the formula uses {free}, which are not among the variables {list(names)}; "
            "pass all the formula's variables"
        )
