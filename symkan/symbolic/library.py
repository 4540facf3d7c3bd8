"""Primitive functions for snapping, each defined once in sympy.

A primitive is a 1-D function ``f(u)`` written as a sympy expression in the module-level
symbol :data:`U`, with a complexity score and the set of arguments where it is valid.
Torch and numpy versions are derived with :func:`sympy.lambdify` and cached.

Users extend or restrict the library by passing a new mapping (see :func:`make_library`);
:data:`DEFAULT_LIBRARY` itself is read-only.

>>> lib = make_library(["x", "sin"], extra={"sinh": Primitive("sinh", sympy.sinh(U), 3)})
>>> sorted(lib)
['sin', 'sinh', 'x']
>>> lib["sin"].sympy(2 * sympy.Symbol("x"))
sin(2*x)
"""

from __future__ import annotations

import difflib
import functools
import math
import types
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import sympy
import torch

from symkan.errors import InputError

__all__ = ["DEFAULT_LIBRARY", "Primitive", "U", "make_library"]

U = sympy.Symbol("u", real=True)
"""The argument of every primitive's expression."""


@functools.cache
def _lambdify(expr: sympy.Expr, module: str) -> Callable:
    """``expr`` (in ``U``) as a function of one array, broadcast to the argument's shape."""
    f = sympy.lambdify(U, expr, modules=module)
    if U in expr.free_symbols:
        return f
    value = float(expr)
    if module == "torch":
        return lambda u: torch.full_like(u, value)
    return lambda u: np.full_like(np.asarray(u, dtype=float), value)


@functools.cache
def _derivative(expr: sympy.Expr) -> sympy.Expr:
    return sympy.diff(expr, U)


@dataclass(frozen=True)
class Primitive:
    """A candidate edge function ``f(u)``.

    Parameters
    ----------
    name : str
        Key of the primitive in a library, e.g. ``"sin"``.
    expr : sympy.Expr
        ``f`` as an expression in :data:`U`. A string (``"sin(u)"``) or a one-argument
        sympy function (``sympy.sin``) is converted.
    complexity : int
        Cost of using the primitive in a formula; the selection rule prefers lower values.
    domain : sympy.Set
        Arguments where ``f`` is valid and finite: a ``sympy.Interval`` or a union of them.
        A fit is only accepted when the whole affine image of the data range lies inside
        one of its intervals.
    """

    name: str
    expr: sympy.Expr
    complexity: int
    domain: sympy.Set = sympy.S.Reals

    def __post_init__(self) -> None:
        expr = self.expr
        if isinstance(expr, str):
            expr = sympy.sympify(expr, locals={"u": U})
        elif not isinstance(expr, sympy.Basic) and callable(expr):
            expr = expr(U)
        expr = sympy.sympify(expr)
        extra = expr.free_symbols - {U}
        if extra:
            raise InputError(
                f"primitive {self.name!r}: expression {expr} uses {sorted(map(str, extra))}; "
                f"write it in symkan.symbolic.library.U (the real symbol 'u') only"
            )
        if not isinstance(self.complexity, (int, np.integer)) or self.complexity < 0:
            raise InputError(
                f"primitive {self.name!r}: complexity={self.complexity!r}; "
                f"give a non-negative integer"
            )
        object.__setattr__(self, "expr", expr)
        object.__setattr__(self, "domain", sympy.sympify(self.domain))
        self.intervals  # validates the domain  # noqa: B018

    @property
    def intervals(self) -> tuple[tuple[float, float, bool, bool], ...]:
        """The domain as ``(lo, hi, lo_closed, hi_closed)`` float intervals."""
        return _intervals(self.name, self.domain)

    def torch(self, u: torch.Tensor) -> torch.Tensor:
        """``f(u)`` elementwise on a tensor (any shape, same shape out)."""
        return _lambdify(self.expr, "torch")(u)

    def torch_derivative(self, u: torch.Tensor) -> torch.Tensor:
        """``f'(u)`` elementwise on a tensor, derived from :attr:`expr` with sympy."""
        return _lambdify(_derivative(self.expr), "torch")(u)

    def numpy(self, u: np.ndarray) -> np.ndarray:
        """``f(u)`` elementwise on an array."""
        return _lambdify(self.expr, "numpy")(u)

    def numpy_derivative(self, u: np.ndarray) -> np.ndarray:
        """``f'(u)`` elementwise on an array."""
        return _lambdify(_derivative(self.expr), "numpy")(u)

    def sympy(self, arg: sympy.Expr) -> sympy.Expr:
        """``f(arg)`` as a sympy expression."""
        return self.expr.subs(U, arg)


@functools.cache
def _intervals(name: str, domain: sympy.Set) -> tuple[tuple[float, float, bool, bool], ...]:
    parts = domain.args if isinstance(domain, sympy.Union) else (domain,)
    out = []
    for part in parts:
        if not isinstance(part, sympy.Interval) or not part.is_subset(sympy.S.Reals):
            raise InputError(
                f"primitive {name!r}: domain {domain} is not an interval of the reals or a "
                f"union of them; write it as e.g. sympy.Interval.open(0, sympy.oo) or "
                f"sympy.S.Reals - sympy.FiniteSet(0)"
            )
        lo, hi = float(part.start), float(part.end)
        out.append((lo, hi, not part.left_open and math.isfinite(lo),
                    not part.right_open and math.isfinite(hi)))
    return tuple(sorted(out))


def _default_primitives() -> list[Primitive]:
    oo = sympy.oo
    positive = sympy.Interval.open(0, oo)
    nonzero = sympy.S.Reals - sympy.FiniteSet(0)
    return [
        Primitive("0", sympy.Integer(0), 0),
        Primitive("x", U, 1),
        Primitive("x^2", U**2, 2),
        Primitive("x^3", U**3, 3),
        Primitive("x^4", U**4, 3),
        Primitive("1/x", 1 / U, 2, nonzero),
        Primitive("1/x^2", U**-2, 3, nonzero),
        Primitive("sqrt", sympy.sqrt(U), 2, sympy.Interval(0, oo)),
        Primitive("1/sqrt", 1 / sympy.sqrt(U), 3, positive),
        Primitive("exp", sympy.exp(U), 2),
        Primitive("log", sympy.log(U), 2, positive),
        Primitive("sin", sympy.sin(U), 2),
        Primitive("cos", sympy.cos(U), 2),
        Primitive("tan", sympy.tan(U), 3, sympy.Interval.open(-sympy.pi / 2, sympy.pi / 2)),
        Primitive("tanh", sympy.tanh(U), 3),
        Primitive("asin", sympy.asin(U), 4, sympy.Interval(-1, 1)),
        Primitive("acos", sympy.acos(U), 4, sympy.Interval(-1, 1)),
        Primitive("atan", sympy.atan(U), 4),
        Primitive("atanh", sympy.atanh(U), 4, sympy.Interval.open(-1, 1)),
        Primitive("abs", sympy.Abs(U), 3),
        Primitive("gauss", sympy.exp(-(U**2)), 3),
    ]


DEFAULT_LIBRARY: Mapping[str, Primitive] = types.MappingProxyType(
    {p.name: p for p in _default_primitives()}
)
"""The built-in primitives by name (read-only; build your own with :func:`make_library`)."""


def make_library(
    names: Iterable[str] | None = None, extra: Mapping[str, Primitive] | None = None
) -> dict[str, Primitive]:
    """A new library: ``names`` picked from :data:`DEFAULT_LIBRARY` (all if None), plus ``extra``.

    Entries of ``extra`` are added after the picked ones and replace a default of the same
    name. Raises :class:`~symkan.errors.InputError` for an unknown name or a key of ``extra``
    that differs from its primitive's ``name``.

    >>> list(make_library(["0", "x", "sin"]))
    ['0', 'x', 'sin']
    """
    picked = list(DEFAULT_LIBRARY) if names is None else list(names)
    library: dict[str, Primitive] = {}
    for name in picked:
        if name not in DEFAULT_LIBRARY:
            close = difflib.get_close_matches(str(name), list(DEFAULT_LIBRARY), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise InputError(
                f"primitive {name!r} is not in the default library; known names are "
                f"{list(DEFAULT_LIBRARY)}.{hint} Add new ones through `extra`."
            )
        library[name] = DEFAULT_LIBRARY[name]
    for key, prim in (extra or {}).items():
        if not isinstance(prim, Primitive) or prim.name != key:
            raise InputError(
                f"extra[{key!r}] = {prim!r}; give a Primitive whose name is {key!r}"
            )
        library[key] = prim
    return library
