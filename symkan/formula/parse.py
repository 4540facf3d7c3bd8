"""Reading a user's or a stored formula without ever evaluating code.

`parse_formula` walks Python's AST and builds sympy objects from a short allow-list:
numbers, names, ``+ - * / ** ^`` and the functions of `FUNCTIONS`.
"""

from __future__ import annotations

import ast
import io
import keyword
import math
import tokenize
from collections.abc import Sequence

import sympy

from symkan.errors import InputError

__all__ = ["FUNCTIONS", "RESERVED", "parse_formula", "shown_names"]

FUNCTIONS: dict[str, sympy.FunctionClass] = {
    "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "cot": sympy.cot,
    "asin": sympy.asin, "acos": sympy.acos, "atan": sympy.atan,
    "arcsin": sympy.asin, "arccos": sympy.acos, "arctan": sympy.atan,
    "sinh": sympy.sinh, "cosh": sympy.cosh, "tanh": sympy.tanh,
    "asinh": sympy.asinh, "acosh": sympy.acosh, "atanh": sympy.atanh,
    "arctanh": sympy.atanh, "exp": sympy.exp, "log": sympy.log, "ln": sympy.log,
    "sqrt": sympy.sqrt, "abs": sympy.Abs, "Abs": sympy.Abs, "sign": sympy.sign,
}
_CONSTANTS: dict[str, sympy.Expr] = {"pi": sympy.pi}
_KW_PREFIX = "_symkan_kw_"


def _rename_keywords(text: str) -> str:
    """``lambda*x`` → ``_symkan_kw_lambda*x`` (keywords become plain names); ``^`` → ``**``."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError) as err:
        raise InputError(f"cannot read formula {_short(text)}: {err}") from None
    out = []
    for tok in tokens:
        if tok.type == tokenize.NAME and keyword.iskeyword(tok.string):
            tok = tok._replace(string=_KW_PREFIX + tok.string)
        elif tok.type == tokenize.OP and tok.string == "^":  # power, with ** precedence
            tok = tok._replace(string="**")
        out.append(tok)
    return tokenize.untokenize(out)


def parse_formula(text: str, names: Sequence[str] | None = None, *,
                  unknown: Sequence[str] = ()) -> sympy.Expr:
    """Read a formula string into sympy without evaluating any code.

    Variables become plain ``Symbol(name, real=True)`` (so ``I``, ``E``, ``beta``,
    ``gamma`` and even ``lambda`` are variables, not sympy objects). ``names`` limits the
    variables allowed. ``pi`` is always the number π: a column called ``pi`` (or ``E``,
    ``sin``, any name that `symkan.formula.display` writes with a trailing underscore) is
    written ``pi_``, as symkan prints it; ``E`` and a function name that is not called
    also read as the column of that name. ``^`` means power. Anything that is not
    arithmetic on numbers, names and known functions is an `InputError`. A name in
    ``unknown`` may be called with one or more arguments: it becomes an undefined sympy
    function (``f(x, y)`` in a template, for the search to find).

    Examples
    --------
    >>> parse_formula("lambda*x + I", ["lambda", "x", "I"])
    I + lambda*x
    >>> parse_formula("pi_*x + pi", ["pi", "x"])  # the column pi, then the number
    pi*x + pi
    >>> parse_formula("__import__('os').system('true')")
    Traceback (most recent call last):
    ...
    symkan.errors.InputError: formula "__import__('os').system('true')" is not plain arithmetic: ...
    """
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"formula {text!r} is empty; write it like 'x*sin(y) + 2'")
    source = _rename_keywords(text.strip()).strip()
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, RecursionError, MemoryError, ValueError) as err:
        why = getattr(err, "msg", None) or f"{type(err).__name__} (too long or too deep)"
        raise InputError(f"cannot read formula {_short(text)}: {why}") from None
    allowed = _variables(names) if names is not None else None
    try:
        expr = _build(tree.body, allowed, tuple(unknown))
    except RecursionError:
        raise InputError(f"formula {_short(text)} is nested too deeply to read") from None
    except _Rejected as err:
        raise InputError(
            f"formula {text!r} is not plain arithmetic: {err}. Use numbers, variable names, "
            f"+ - * / ** and the functions {sorted(set(FUNCTIONS))}"
        ) from None
    if expr.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan):
        raise InputError(
            f"formula {_short(text)} divides by zero or is otherwise infinite or undefined "
            f"(sympy reads it as {_short(str(expr))}); write a formula that is finite"
        )
    return expr


class _Rejected(Exception):
    pass


def _variables(names: Sequence[str]) -> dict[str, str]:
    """Written name → column name: each name as itself, and a clashing one as written."""
    out = {str(n): str(n) for n in names}
    for name, written in shown_names(list(out)).items():
        if written != name:
            out[written] = name
    if out.get("pi") == "pi":
        del out["pi"]  # pi is the number; the column is written pi_
    return out


# names that mean something else in a formula: a column called so is written with a ``_``
_NAMED = {"pi", "E", "I", "oo", "zoo", "nan", "S", "N", "Q", "O"}
RESERVED: frozenset[str] = frozenset(
    _NAMED | set(FUNCTIONS)
    | {k for k, v in vars(sympy).items() if isinstance(v, sympy.FunctionClass)}
)


def shown_names(names: Sequence[str]) -> dict[str, str]:
    """Column name → the name written in formulas (``pi`` → ``pi_``; most names as they are).

    A name in `RESERVED` gets a trailing ``_``, more if that name is another column's.

    >>> shown_names(["pi", "pi_", "x", "sin"])
    {'pi': 'pi__', 'pi_': 'pi_', 'x': 'x', 'sin': 'sin_'}
    """
    names = [str(n) for n in names]
    taken = set(names)
    out: dict[str, str] = {}
    for name in names:
        if name not in RESERVED:
            out[name] = name
            continue
        written = name + "_"
        while written in taken or written in RESERVED:
            written += "_"
        taken.add(written)
        out[name] = written
    return out


_BINOPS = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: _power(a, b), ast.BitXor: lambda a, b: _power(a, b),
}


def _short(text: str, limit: int = 120) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _power(base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
    """``base**exponent``, refusing number powers too large to compute (``9**9**9``)."""
    if base.is_Number and exponent.is_Number and base not in (0, 1, -1):
        try:
            digits = abs(float(exponent)) * abs(math.log10(abs(float(base))))
        except (OverflowError, ValueError):
            digits = math.inf
        if digits > 1000:
            raise _Rejected("a power of numbers with more than 1000 digits is too large")
    return base**exponent


def _build(node: ast.AST, allowed: dict[str, str] | None, unknown: tuple = ()) -> sympy.Expr:
    if isinstance(node, ast.Name) and node.id in unknown:
        raise _Rejected(f"function {node.id!r} used without arguments")
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return _BINOPS[type(node.op)](_build(node.left, allowed, unknown),
                                      _build(node.right, allowed, unknown))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _build(node.operand, allowed, unknown)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(
        node.value, bool
    ):
        if isinstance(node.value, int):
            return sympy.Integer(node.value)
        if not math.isfinite(node.value):
            raise _Rejected(f"the number {node.value!r} is not finite")
        return sympy.Float(repr(node.value))
    if isinstance(node, ast.Name):
        name = node.id.removeprefix(_KW_PREFIX)
        if allowed is not None and name in allowed:
            return sympy.Symbol(allowed[name], real=True)
        if name in _CONSTANTS:
            return _CONSTANTS[name]
        if name in FUNCTIONS:
            raise _Rejected(f"function {name!r} used without arguments")
        if allowed is not None:
            raise _Rejected(f"unknown variable {name!r}; variables are {sorted(allowed)}")
        if name.startswith("_"):
            raise _Rejected(f"name {name!r} is not allowed")
        return sympy.Symbol(name, real=True)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in unknown:
        if node.keywords or not node.args:
            raise _Rejected(f"{node.func.id}() takes one or more plain arguments")
        args = [_build(a, allowed, unknown) for a in node.args]
        if any(a.atoms(sympy.core.function.AppliedUndef) for a in args):
            raise _Rejected(f"{node.func.id}() cannot take an unknown function as argument")
        return sympy.Function(node.func.id)(*args)
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            what = ast.unparse(node.func)
            raise _Rejected(f"call of {what!r} is not an allowed function")
        if node.keywords or len(node.args) != 1:
            raise _Rejected(f"{node.func.id}() takes exactly one argument")
        return FUNCTIONS[node.func.id](_build(node.args[0], allowed, unknown))
    raise _Rejected(f"{ast.unparse(node)!r} ({type(node).__name__}) is not allowed")
