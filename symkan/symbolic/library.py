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
from sympy.functions.elementary.trigonometric import TrigonometricFunction

from symkan.errors import InputError

__all__ = ["DEFAULT_LIBRARY", "Primitive", "Symmetries", "U", "make_library", "symmetries"]

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

    def numpy(self, u: np.ndarray) -> np.ndarray:
        """``f(u)`` elementwise on an array."""
        return _lambdify(self.expr, "numpy")(u)

    def numpy_derivative(self, u: np.ndarray) -> np.ndarray:
        """``f'(u)`` elementwise on an array, derived from :attr:`expr` with sympy."""
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
        out.append(
            (
                lo,
                hi,
                not part.left_open and math.isfinite(lo),
                not part.right_open and math.isfinite(hi),
            )
        )
    return tuple(sorted(out))


@dataclass(frozen=True)
class Symmetries:
    """Identities of a primitive ``f`` that make parameters of ``c·f(a·u + b) + d`` redundant.

    Found numerically (to 1e-9) at a few points of the domain; see :func:`symmetries`.
    """

    kind: str  # "constant", "linear" or "nonlinear"
    sign: tuple[float, float] | None  # (α, β) with f(-u) = α f(u) + β on a symmetric domain
    scale: str | None  # "mult": f(ku) = g(k) f(u); "add": f(ku) = f(u) + h(k)  (k > 0)
    shift: bool  # f(u + k) = g(k) f(u) on the reals
    period: float | None  # smallest period, for f periodic on the reals
    antiperiodic: bool  # f(u + period/2) = -f(u)
    u0: float  # a point of the domain with f(u0) != 0 (to evaluate g, h above)


def _probe_points(intervals) -> np.ndarray:
    pts = []
    for lo, hi, _, _ in intervals:
        if math.isfinite(lo) and math.isfinite(hi):
            pts += [lo + w * (hi - lo) for w in (0.13, 0.31, 0.57, 0.83)]
        elif math.isfinite(lo):
            pts += [lo + w for w in (0.37, 0.8, 1.3, 2.9)]
        elif math.isfinite(hi):
            pts += [hi - w for w in (0.37, 0.8, 1.3, 2.9)]
        else:
            pts += [-1.7, -0.6, 0.45, 1.1, 2.3]
    return np.array(pts)


def _same(v: np.ndarray) -> bool:
    """All entries finite and equal up to rounding."""
    return bool(np.all(np.isfinite(v)) and np.ptp(v) <= 1e-9 * (1.0 + np.abs(v).max()))


@functools.cache
def symmetries(prim: Primitive) -> Symmetries:
    """The :class:`Symmetries` of ``prim`` (cached).

    >>> symmetries(DEFAULT_LIBRARY["cos"]).sign, symmetries(DEFAULT_LIBRARY["log"]).scale
    ((1.0, 0.0), 'add')
    """
    expr, ivs = prim.expr, prim.intervals
    if U not in expr.free_symbols:
        return Symmetries("constant", None, None, False, None, False, 1.0)
    if expr.is_polynomial(U) and sympy.degree(expr, U) <= 1:
        return Symmetries("linear", None, None, False, None, False, 1.0)
    f = prim.numpy
    u = _probe_points(ivs)
    with np.errstate(all="ignore"):
        fu = f(u)
        u0 = float(u[np.argmax(np.where(np.isfinite(fu), np.abs(fu), -1.0))])
        sign = None
        if ivs == tuple(sorted((-hi, -lo, hc, lc) for lo, hi, lc, hc in ivs)):
            for alpha in (1.0, -1.0):
                if _same(f(-u) - alpha * fu):
                    sign = (alpha, float(f(-u0) - alpha * f(u0)))
                    break
        scale = None
        if all(e in (0.0, -math.inf, math.inf) for lo, hi, _, _ in ivs for e in (lo, hi)):
            nz = np.abs(fu) > 1e-8
            if all(_same(f(k * u[nz]) / fu[nz]) for k in (0.6, 1.7)):
                scale = "mult"
            elif all(_same(f(k * u) - fu) for k in (0.6, 1.7)):
                scale = "add"
        reals = ivs == ((-math.inf, math.inf, False, False),)
        shift = reals and all(_same(f(u + k) / fu) for k in (0.4, -0.9))
        period, anti = None, False
        if reals and expr.has(TrigonometricFunction):
            try:
                p = sympy.periodicity(expr, U)
            except (NotImplementedError, ValueError, TypeError):
                p = None
            if p is not None and p.is_positive:
                period = float(p)
                anti = bool(_same(f(u + period / 2) + fu) and np.abs(fu).max() > 0)
    return Symmetries("nonlinear", sign, scale, shift, period, anti, u0)


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
            raise InputError(f"extra[{key!r}] = {prim!r}; give a Primitive whose name is {key!r}")
        library[key] = prim
    return library
