"""Dimensional analysis: use the columns' units to shrink the problem (Buckingham π).

A physical law ``y = f(x_1, …, x_d)`` with consistent units can always be written as

    y = x_1^{p_1} ⋯ x_d^{p_d} · g(π_1, …, π_k)

where the monomial carries the units of ``y`` and the ``π_j`` are the dimensionless
monomials of the inputs (a basis of the null space of the dimension matrix). ``g`` has
``k < d`` arguments, often one or none, so it is far easier to find (AI Feynman,
Udrescu & Tegmark 2020, does the same first step). `reduce` finds ``p`` and the
``π_j`` with small integer exponents; `Reduction` maps rows forward and formulas back.

Units are given either as exponent vectors over any fixed basis (AI Feynman's tables use
m, s, kg, K, V) or as strings read by `pint` (``"m/s"``, ``"kg*m^2/s^2"``, ``"V"``,
``"1"`` for dimensionless), which become SI base dimensions.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import numpy as np
import sympy

from symkan.errors import InputError

__all__ = ["Reduction", "dimension_vector", "reduce"]

_SI = ("[length]", "[mass]", "[time]", "[current]", "[temperature]", "[substance]",
       "[luminosity]")


@lru_cache(maxsize=1)
def _registry():
    import pint

    return pint.UnitRegistry()


def dimension_vector(units: str | Sequence[float]) -> tuple[Fraction, ...]:
    """SI base-dimension exponents of a unit string, or an exponent vector as given.

    >>> dimension_vector("kg*m^2/s^2")
    (Fraction(2, 1), Fraction(1, 1), Fraction(-2, 1), Fraction(0, 1), Fraction(0, 1), Fraction(0, 1), Fraction(0, 1))
    """
    if not isinstance(units, str):
        return tuple(Fraction(v).limit_denominator(12) for v in units)
    text = units.strip() or "1"
    try:
        dims = _registry().parse_expression(text)
        dims = getattr(dims, "dimensionality", {})
    except Exception as err:  # noqa: BLE001 - pint raises many kinds; all mean "cannot read"
        raise InputError(f"cannot read units {units!r} ({err}); write them like 'm/s', "
                         "'kg*m^2/s^2', 'V' or '1' for a dimensionless column") from None
    unknown = set(dims) - set(_SI)
    if unknown:
        raise InputError(f"units {units!r} have dimensions {sorted(unknown)} that are not SI")
    return tuple(Fraction(dims.get(k, 0)).limit_denominator(12) for k in _SI)


@dataclass(frozen=True)
class Reduction:
    """``y = ∏ x_i^{scale_i} · g(π)``, each ``π_j = ∏ x_i^{groups[j][i]}``."""

    scale: tuple[Fraction, ...]  # (d,) exponents of the monomial that carries y's units
    groups: tuple[tuple[Fraction, ...], ...]  # (k, d) exponents of the dimensionless groups

    @property
    def n_groups(self) -> int:
        return len(self.groups)

    def scale_expr(self, symbols: Sequence[sympy.Symbol]) -> sympy.Expr:
        return sympy.Mul(*[s ** sympy.Rational(p.numerator, p.denominator)
                           for s, p in zip(symbols, self.scale) if p])

    def group_exprs(self, symbols: Sequence[sympy.Symbol]) -> list[sympy.Expr]:
        return [sympy.Mul(*[s ** sympy.Rational(p.numerator, p.denominator)
                            for s, p in zip(symbols, g) if p]) for g in self.groups]

    def transform(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows → ``(π, y / monomial)``: ``(n, k)`` and ``(n,)``."""
        def mono(exps):
            out = np.ones(X.shape[0])
            for i, p in enumerate(exps):
                if p:
                    out = out * X[:, i] ** float(p)
            return out

        Z = np.stack([mono(g) for g in self.groups], axis=1) if self.groups else \
            np.zeros((X.shape[0], 0))
        return Z, y / mono(self.scale)

    def weights(self, X: np.ndarray, Xv: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Row weights of the reduced problem ``y / monomial``: the monomial squared, so
        that its errors count as the errors they make in ``y`` (None where it is not
        finite and positive, or varies by more than 1e6)."""
        out = []
        for rows in (X, Xv):
            w = 1.0 / self.transform(rows, np.ones(rows.shape[0]))[1] ** 2
            if not (np.all(np.isfinite(w)) and np.all(w > 0)) or w.max() > 1e6 * w.min():
                return None
            out.append(w)
        return out[0], out[1]


def _integer(vec) -> tuple[Fraction, ...]:
    """A rational vector scaled to coprime integers, first non-zero entry positive."""
    fr = [Fraction(int(v.p), int(v.q)) for v in vec]
    lcm = int(np.lcm.reduce([f.denominator for f in fr])) if fr else 1
    ints = [int(f * lcm) for f in fr]
    g = int(np.gcd.reduce([abs(i) for i in ints if i])) if any(ints) else 1
    ints = [i // g for i in ints]
    sign = next((1 if i > 0 else -1 for i in ints if i), 1)
    return tuple(Fraction(sign * i) for i in ints)


def _cost(vec: Sequence[Fraction]) -> tuple:
    return (sum(1 for v in vec if v), float(sum(abs(v) for v in vec)),
            sum(1 for v in vec if v.denominator != 1))


def reduce(
    input_units: Sequence[Sequence[Fraction]], target_units: Sequence[Fraction],
    X: np.ndarray | None = None,
) -> Reduction | None:
    """The dimensional reduction of a problem, or None when it would not shrink it.

    ``input_units``: one dimension vector per input (all over the same basis);
    ``target_units``: the target's. With ``X`` given, exponents that are not integers
    are only used on columns that are positive. Raises `InputError` when the target's
    units cannot be built from the inputs' units.
    """
    d = len(input_units)
    D = sympy.Matrix([[sympy.Rational(v.numerator, v.denominator) for v in u]
                      for u in input_units]).T  # (dims, d)
    b = sympy.Matrix([sympy.Rational(v.numerator, v.denominator) for v in target_units])
    try:
        sol, params = D.gauss_jordan_solve(b)
    except ValueError:
        raise InputError("the target's units cannot be made from the inputs' units; check "
                         "the units (or leave them out to fit without dimensional analysis)"
                         ) from None
    p0 = sol.subs({t: 0 for t in params})
    null = [_integer(v) for v in D.nullspace()]
    if len(null) >= d:
        return None  # everything is dimensionless: nothing to gain
    positive = (np.ones(d, bool) if X is None else np.all(X > 0, axis=0))
    # simplest monomial: p0 plus small integer combinations of the null space
    best = None
    span = range(-2, 3) if len(null) <= 5 else range(-1, 2)
    for coeffs in itertools.islice(itertools.product(span, repeat=len(null)), 20000):
        vec = [Fraction(int(v.p), int(v.q)) for v in p0]
        for c, n in zip(coeffs, null):
            vec = [a + c * m for a, m in zip(vec, n)]
        if any(v.denominator != 1 and not positive[i] for i, v in enumerate(vec)):
            continue
        if best is None or _cost(vec) < _cost(best):
            best = vec
    if best is None:
        return None
    groups = tuple(sorted(null, key=_cost))
    if any(v.denominator != 1 and not positive[i] for g in groups for i, v in enumerate(g)):
        return None
    if any(v < 0 and not positive[i] for g in groups for i, v in enumerate(g)):
        return None  # a zero in a denominator would break the rows
    return Reduction(tuple(best), groups)


def units_for(
    units: Mapping[str, str | Sequence[float]], features: Sequence[str], target: str,
) -> tuple[list[tuple[Fraction, ...]], tuple[Fraction, ...]]:
    """Dimension vectors of the features and the target from a name → units mapping."""
    missing = [n for n in [*features, target] if n not in units]
    if missing:
        raise InputError(f"units are missing for {missing}; give every column's units "
                         "(use '1' for a dimensionless column)")
    vecs = [dimension_vector(units[n]) for n in features]
    tvec = dimension_vector(units[target])
    if len({len(v) for v in [*vecs, tvec]}) != 1:
        raise InputError("all units must use the same basis (all strings, or all vectors "
                         "of the same length)")
    return vecs, tvec
