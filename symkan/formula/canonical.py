"""The canonical form of a formula: each independent constant appears once.

`canonicalize` expands products and powers of sums, pulls float terms out of ``exp`` and
``log``, merges like terms and folds numeric factors into one Float, so that the refit of
`symkan.formula.refit` sees one free parameter per independent constant.
"""

from __future__ import annotations

import math

import sympy

__all__ = ["canonicalize"]

# Expressions with more operations than this are not expanded by `canonicalize`.
_MAX_EXPAND_OPS = 4000
# An expansion may produce at most this many additive terms.
_MAX_EXPAND_TERMS = 2000


def _estimated_terms(expr: sympy.Basic) -> int:
    """Upper estimate of the number of additive terms of ``expand(expr)``."""
    if expr.is_Add:
        return sum(_estimated_terms(a) for a in expr.args)
    if expr.is_Mul:
        total = 1
        for a in expr.args:
            total *= _estimated_terms(a)
            if total > 10 * _MAX_EXPAND_TERMS:
                break
        return total
    if expr.is_Pow and expr.exp.is_Integer and expr.exp > 0:
        k = _estimated_terms(expr.base)
        n = int(min(expr.exp, 10**6))
        if k == 1:
            return 1
        return math.comb(n + k - 1, k - 1) if n < 200 else 10 * _MAX_EXPAND_TERMS
    worst = max((_estimated_terms(a) for a in expr.args), default=1)
    return 1 if worst <= _MAX_EXPAND_TERMS else worst


def _to_float(value: sympy.Basic) -> sympy.Basic | None:
    """`value` as one real Float, or None when it is not a finite real number."""
    v = sympy.sympify(value).evalf(15)
    if v.is_Float or (v.is_Number and v.is_real):
        f = sympy.Float(v, 15)
        return f if math.isfinite(float(f)) else None
    return None


def _merge_like_terms(expr: sympy.Add) -> sympy.Expr:
    """``-8500.6*u**2 + 83898*u**2/pi**2 -> 0.02*u**2``: terms that differ only in a
    numeric factor, one of them a Float, become one term with one Float coefficient.

    sympy merges ``2.0*u + 3.0*u`` itself, but not when one coefficient is an exact
    number (a constant snapped earlier); left apart, the two would be refitted as two
    constants of one term and snapped into a large cancelling pair.
    """
    symbols = expr.free_symbols
    groups: dict[sympy.Expr, list[sympy.Expr]] = {}
    for term in expr.args:
        coeff, rest = term.as_independent(*symbols, as_Add=False)
        groups.setdefault(rest, []).append(coeff)
    if not any(len(cs) > 1 and any(c.has(sympy.Float) for c in cs) for cs in groups.values()):
        return expr
    terms = []
    for rest, cs in groups.items():
        if len(cs) > 1 and any(c.has(sympy.Float) for c in cs):
            merged = _to_float(sympy.Add(*cs))
            terms.append((sympy.Add(*cs) if merged is None else merged) * rest)
        else:
            terms += [c * rest for c in cs]
    return sympy.Add(*terms)


def _merge_numbers(expr: sympy.Basic) -> sympy.Basic:
    """Bottom-up: fold numeric parts that contain a Float into one Float.

    ``0.7*sqrt(2)*x -> 0.98995*x``; ``exp(0.3 + a) -> 1.34986*exp(a)``;
    ``log(2.0*a) -> 0.69315 + log(a)``; exact numbers without a Float stay exact.
    """
    if expr.is_Atom:
        return sympy.S.Zero if expr.is_Float and expr == 0 else expr
    args = tuple(_merge_numbers(a) for a in expr.args)
    if args != expr.args:
        expr = expr.func(*args)
    if expr.is_Atom:
        return expr
    if not expr.free_symbols and expr.has(sympy.Float):
        merged = _to_float(expr)
        if merged is not None:
            return sympy.S.Zero if merged == 0 else merged
    if expr.is_Add:
        expr = _merge_like_terms(expr)
        if not expr.is_Add:
            return expr
    if expr.is_Add or expr.is_Mul:
        numeric = [a for a in expr.args if not a.free_symbols]
        if len(numeric) > 1 and any(a.has(sympy.Float) for a in numeric):
            merged = _to_float(expr.func(*numeric))
            if merged is not None:
                rest = [a for a in expr.args if a.free_symbols]
                return expr.func(merged, *rest)
    if isinstance(expr, sympy.exp) and expr.args[0].is_Add:
        inner = expr.args[0]
        floats = [a for a in inner.args if a.is_Float]
        if floats:
            rest = sympy.Add(*[a for a in inner.args if not a.is_Float])
            return sympy.exp(sympy.Add(*floats)) * sympy.exp(rest)
    if isinstance(expr, sympy.log) and expr.args[0].is_Mul:
        coeff, rest = expr.args[0].as_coeff_Mul()
        if coeff.is_Float and coeff > 0:
            return sympy.log(coeff) + sympy.log(rest)
    return expr


def canonicalize(expr: sympy.Expr) -> sympy.Expr:
    """Put `expr` in a form where each independent constant appears once.

    Expands products and integer powers of sums (``0.5*(x + 2.0*y)**2`` becomes
    three monomials), pulls float terms out of ``exp`` (``exp(a + 0.3) ->
    1.3499*exp(a)``) and positive float factors out of ``log``, folds numeric
    factors and terms into one Float (``0.7*sqrt(2) -> 0.98995``) and drops
    exact zeros. Expressions too big to expand cheaply (more than
    ``_MAX_EXPAND_OPS`` operations, or an expansion of more than
    ``_MAX_EXPAND_TERMS`` terms) are only folded, not expanded.

    Examples
    --------
    >>> x, y = sympy.symbols("x y", real=True)
    >>> canonicalize(0.5 * (x + 2.0 * y) ** 2 + 0.0 * x)
    0.5*x**2 + 2.0*x*y + 2.0*y**2
    >>> canonicalize(sympy.exp(x + 0.5) * 2.0)
    3.29744254140026*exp(x)
    """
    expr = sympy.sympify(expr)
    for _ in range(4):
        before = expr
        expr = _merge_numbers(expr)
        if sympy.count_ops(expr) <= _MAX_EXPAND_OPS and _estimated_terms(expr) <= _MAX_EXPAND_TERMS:
            expr = sympy.expand(expr, deep=True, power_exp=False, log=False, power_base=False)
            expr = _merge_numbers(expr)
        if expr == before:
            break
    return expr
