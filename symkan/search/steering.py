"""What the user brings to a search: a primitive library, guesses, templates.

Everything here is read from strings through `symkan.formula.parse` (an AST allow-list:
nothing is ever executed) and checked before any training, so a bad string is an
`InputError` that names it.

* **Primitives** (``primitives``, ``custom_primitives``): ``"sinc=sin(x)/x"`` or, with its
  complexity, ``"sinc:3=sin(x)/x"`` adds a one-variable function of ``x``; ``primitives``
  names the library's functions the search may use. With ``primitives`` given, a formula
  that calls any other function (``sin`` when only ``exp, log`` are allowed) is refused,
  whichever lever built it; powers and arithmetic are always allowed.
* **Guesses** (``"a*x**2 + b"``): names that are not columns are constants, fitted to the
  rows; the guess is scored beside what the search finds and always shown on the front.
* **Templates** (``"f(x) * exp(-y)"``): one unknown function, found by the search on the
  rows once the known part is solved for it (`symkan.search.levers.guesses`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sympy
from sympy.core.function import AppliedUndef

from symkan.errors import InputError
from symkan.formula import complexity as tree_size
from symkan.formula.parse import FUNCTIONS, parse_formula
from symkan.symbolic.library import DEFAULT_LIBRARY, Primitive, U, make_library

__all__ = ["Steering", "allowed_functions", "custom_primitive", "steering", "uses_only"]

_SPEC = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*(\d+))?\s*=(.+)$", re.DOTALL)


def custom_primitive(spec: str) -> Primitive:
    """``"sinc=sin(x)/x"`` (complexity = its tree size) or ``"sinc:3=sin(x)/x"``."""
    match = _SPEC.match(spec) if isinstance(spec, str) else None
    if match is None:
        raise InputError(f"primitive {spec!r} is not NAME=EXPRESSION; write e.g. "
                         "--primitive 'sinc=sin(x)/x' (or 'sinc:3=sin(x)/x' to set its "
                         "complexity)")
    name, cost, text = match.group(1), match.group(2), match.group(3)
    x = sympy.Symbol("x", real=True)
    try:
        expr = parse_formula(text, ["x"])
    except InputError as err:
        raise InputError(f"primitive {name!r}: {err}; write it as a function of x") from None
    if x not in expr.free_symbols:
        raise InputError(f"primitive {name!r} = {text.strip()} does not use x; write a "
                         "function of x, e.g. sin(x)/x")
    expr = expr.xreplace({x: U})
    return Primitive(name, expr, int(cost) if cost is not None else tree_size(expr))


def allowed_functions(library: Mapping[str, Primitive]) -> frozenset:
    """The sympy function classes the library's primitives are made of."""
    return frozenset(node.func for p in library.values()
                     for node in sympy.preorder_traversal(p.expr)
                     if isinstance(node, sympy.Function))


def uses_only(expr: sympy.Expr, allowed: frozenset) -> bool:
    """Every function ``expr`` applies to a variable is in ``allowed``."""
    return all(f.func in allowed for f in expr.atoms(sympy.Function) if f.free_symbols)


@dataclass(frozen=True)
class Steering:
    """The user's library, guesses and templates, read and checked."""

    library: Mapping[str, Primitive]
    allowed: frozenset | None  # None: any function may appear
    guesses: tuple[tuple[str, sympy.Expr], ...]  # (text, formula with Float constants)
    templates: tuple[tuple[str, sympy.Expr, AppliedUndef], ...]  # (text, formula, f(...))
    notes: tuple[str, ...] = ()


def _library(primitives, custom, base) -> tuple[Mapping[str, Primitive], frozenset | None]:
    extra = {}
    for spec in custom:
        prim = custom_primitive(spec)
        if prim.name in extra:
            raise InputError(f"primitive {prim.name!r} is defined twice; give it once")
        extra[prim.name] = prim
    if primitives is None:
        library = {**base, **extra} if extra else base
        return library, None
    names = [p for p in primitives if p not in extra]
    picked = make_library(["0", "x", *[n for n in names if n not in ("0", "x")]], extra)
    return picked, allowed_functions(picked)


def _guess(text: str, columns: Sequence[str]) -> tuple[sympy.Expr, list[str]]:
    """A guess with its non-column names as constants (each occurrence a Float to fit)."""
    expr = parse_formula(text)
    names = {str(s) for s in expr.free_symbols}
    known = parse_formula(text, [*columns, *sorted(names - set(columns))])
    columns_used = [s for s in known.free_symbols if str(s) in columns]
    constants = sorted((s for s in known.free_symbols if str(s) not in columns), key=str)
    if not columns_used:
        raise InputError(f"guess {text!r} uses none of the columns {list(columns)}; a guess "
                         "is a formula of the inputs, e.g. 'a*x**2 + b'")
    # each constant starts at 1 (0 would switch its term off) and is refitted
    return known.xreplace({c: sympy.Float(1.0) for c in constants}), [str(c) for c in constants]


def _template(text: str, columns: Sequence[str]) -> tuple[sympy.Expr, AppliedUndef]:
    calls = set(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(", text)) - set(FUNCTIONS)
    expr = parse_formula(text, columns, unknown=sorted(calls))
    unknown = expr.atoms(AppliedUndef)
    if len(unknown) != 1:
        raise InputError(
            f"template {text!r} has {len(unknown)} unknown function calls; give exactly one, "
            "e.g. 'f(x) * exp(-y)' (unknown constants go inside f, or use --guess)")
    (call,) = unknown
    if not all(a.free_symbols for a in call.args):
        raise InputError(f"template {text!r}: every argument of {call.func} must use a column")
    return expr, call


def steering(config, columns: Sequence[str],
             base: Mapping[str, Primitive] = DEFAULT_LIBRARY) -> Steering:
    """Read ``config``'s primitives, guesses and templates for a table with ``columns``."""
    library, allowed = _library(config.primitives, config.custom_primitives, base)
    guesses, notes = [], []
    for text in config.guesses:
        expr, constants = _guess(text, columns)
        if allowed is not None and not uses_only(expr, allowed):
            raise InputError(f"guess {text!r} calls a function outside --primitives "
                             f"{list(config.primitives)}; allow it or change the guess")
        guesses.append((text, expr))
        if constants:
            which = (f"{constants[0]} is not a column, so it is a constant" if len(constants) == 1
                     else f"{', '.join(constants)} are not columns, so they are constants")
            notes.append(f"guess {text!r}: {which} fitted to the rows")
    templates = tuple((text, *_template(text, columns)) for text in config.templates)
    return Steering(library, allowed, tuple(guesses), templates, tuple(notes))
