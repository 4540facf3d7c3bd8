"""From a snapped network to a sympy formula, and formulas to and from text.

* `network_expression` composes the edges of a `SnappedKAN` layer by layer, undoing the
  input and output scaling, so the result is in the data's own variables.
* `complexity` counts nodes of the expression tree (as PySR does).
* `parse_formula` reads a user's or a stored formula without ever evaluating code: it walks
  Python's AST and builds sympy objects from a short allow-list.
* `evaluate` computes a formula on data, always returning an ``(n,)`` array.
"""

from __future__ import annotations

import ast
import io
import keyword
import math
import tokenize
from collections.abc import Mapping, Sequence

import numpy as np
import sympy

from symkan.errors import InputError
from symkan.symbolic.library import DEFAULT_LIBRARY, Primitive
from symkan.symbolic.snap import SnappedKAN


def network_expression(
    snapped: SnappedKAN,
    symbols: Sequence[sympy.Symbol],
    library: Mapping[str, Primitive] = DEFAULT_LIBRARY,
) -> sympy.Expr:
    """The formula a snapped network computes, in the raw input variables.

    ``symbols[i]`` stands for input ``i`` of the network (after pruning).
    """
    nodes: list[sympy.Expr] = [
        (s - sympy.Float(shift)) / sympy.Float(scale)
        for s, shift, scale in zip(symbols, snapped.in_shift, snapped.in_scale)
    ]
    for layer, width in enumerate(snapped.widths[1:]):
        nxt: list[sympy.Expr] = [sympy.Integer(0)] * width
        for e in snapped.edges:
            if e.layer != layer:
                continue
            prim = library[e.name]
            arg = sympy.Float(e.a) * nodes[e.i] + sympy.Float(e.b)
            term = sympy.Float(e.c) * prim.sympy(arg) + sympy.Float(e.d)
            nxt[e.j] = nxt[e.j] + term
        nodes = nxt
    return nodes[0] * sympy.Float(snapped.out_scale) + sympy.Float(snapped.out_shift)


def complexity(expr: sympy.Expr) -> int:
    """Number of nodes in the expression tree (symbols, numbers and operators)."""
    return sum(1 for _ in sympy.preorder_traversal(expr))


def tidy(expr: sympy.Expr, max_complexity: int = 40) -> sympy.Expr:
    """The least complex of a few equal rewritings (`cancel`, `factor_terms`, `together`).

    Cheap, exact algebra only: ``-2*d2/(-2*n - 2*d2/d1)`` becomes ``d1*d2/(d1*n + d2)``
    and ``G*m1*m2/r2 - G*m1*m2/r1`` becomes ``G*m1*m2*(1/r2 - 1/r1)``. Larger formulas are
    returned as they are.

    >>> a, b = sympy.symbols("a b", positive=True)
    >>> tidy(-2 * b / (-2 * a - 2 * b / a))
    a*b/(a**2 + b)
    """
    if complexity(expr) > max_complexity:
        return expr
    options = [expr]
    for rewrite in (sympy.cancel, sympy.factor_terms, sympy.together):
        try:
            options.append(rewrite(expr))
        except (TypeError, ValueError, NotImplementedError, sympy.PolynomialError):
            continue
    return min(options, key=lambda e: (complexity(e), len(str(e))))


def evaluate(expr: sympy.Expr, symbols: Sequence[sympy.Symbol], X: np.ndarray) -> np.ndarray:
    """``expr`` at the rows of ``X`` ((n, d), columns in the order of ``symbols``) → (n,)."""
    fn = sympy.lambdify(list(symbols), expr, modules="numpy")
    with np.errstate(all="ignore"):
        out = fn(*[X[:, i] for i in range(X.shape[1])])
    out = np.asarray(out, dtype=np.complex128 if np.iscomplexobj(out) else np.float64)
    if np.iscomplexobj(out):
        out = np.where(np.abs(out.imag) < 1e-12, out.real, np.nan)
    return np.broadcast_to(out, (X.shape[0],)).astype(np.float64)


# --- reading formulas safely -------------------------------------------------------------

_FUNCTIONS: dict[str, sympy.FunctionClass] = {
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


def parse_formula(text: str, names: Sequence[str] | None = None) -> sympy.Expr:
    """Read a formula string into sympy without evaluating any code.

    Variables become plain ``Symbol(name, real=True)`` (so ``I``, ``E``, ``beta``,
    ``gamma`` and even ``lambda`` are variables, not sympy objects). ``names`` limits the
    variables allowed; ``pi`` is the constant unless it is one of ``names``. ``^`` means
    power. Anything that is not arithmetic on numbers, names and known functions is an
    `InputError`.

    Examples
    --------
    >>> parse_formula("lambda*x + I", ["lambda", "x", "I"])
    I + lambda*x
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
    allowed = set(names) if names is not None else None
    try:
        expr = _build(tree.body, allowed)
    except RecursionError:
        raise InputError(f"formula {_short(text)} is nested too deeply to read") from None
    except _Rejected as err:
        raise InputError(
            f"formula {text!r} is not plain arithmetic: {err}. Use numbers, variable names, "
            f"+ - * / ** and the functions {sorted(set(_FUNCTIONS))}"
        ) from None
    if expr.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan):
        raise InputError(
            f"formula {_short(text)} divides by zero or is otherwise infinite or undefined "
            f"(sympy reads it as {_short(str(expr))}); write a formula that is finite"
        )
    return expr


class _Rejected(Exception):
    pass


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


def _build(node: ast.AST, allowed: set[str] | None) -> sympy.Expr:
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return _BINOPS[type(node.op)](_build(node.left, allowed), _build(node.right, allowed))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _build(node.operand, allowed)
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
            return sympy.Symbol(name, real=True)
        if name in _CONSTANTS:
            return _CONSTANTS[name]
        if name in _FUNCTIONS:
            raise _Rejected(f"function {name!r} used without arguments")
        if allowed is not None:
            raise _Rejected(f"unknown variable {name!r}; variables are {sorted(allowed)}")
        if name.startswith("_"):
            raise _Rejected(f"name {name!r} is not allowed")
        return sympy.Symbol(name, real=True)
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
            what = ast.unparse(node.func)
            raise _Rejected(f"call of {what!r} is not an allowed function")
        if node.keywords or len(node.args) != 1:
            raise _Rejected(f"{node.func.id}() takes exactly one argument")
        return _FUNCTIONS[node.func.id](_build(node.args[0], allowed))
    raise _Rejected(f"{ast.unparse(node)!r} ({type(node).__name__}) is not allowed")
