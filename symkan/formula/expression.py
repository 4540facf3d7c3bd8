"""From a snapped network to a sympy formula; its size; a tidier equal form.

* `network_expression` composes the edges of a `SnappedKAN` layer by layer, undoing the
  input and output scaling, so the result is in the data's own variables.
* `complexity` counts nodes of the expression tree (as PySR does).
* `tidy` picks the least complex of a few exact rewritings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sympy

from symkan.symbolic.library import DEFAULT_LIBRARY, Primitive
from symkan.symbolic.snap import SnappedKAN

__all__ = ["complexity", "network_expression", "tidy"]


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
    if _function_of_log(expr):  # tanh(log(u)/2) = (u - 1)/(u + 1): exp and log cancel
        try:
            plain = sympy.powsimp(expr.rewrite(sympy.log).rewrite(sympy.exp), force=True)
            plain = min((plain, sympy.cancel(plain)), key=complexity)
            if not _function_of_log(plain) and complexity(plain) <= complexity(expr) + 15:
                return tidy(plain, max_complexity)  # algebra beats exp(atanh(u)), a bit longer
        except (TypeError, ValueError, NotImplementedError, sympy.PolynomialError):
            pass
    # a multivariate gcd over floats can run for minutes (sympy's RR domain): polynomial
    # rewrites only for exact formulas or few variables
    slow = expr.has(sympy.Float) and len(expr.free_symbols) > 2
    rewrites = (sympy.factor_terms,) if slow else (sympy.cancel, sympy.factor_terms,
                                                  sympy.together)
    for rewrite in rewrites:
        for e in list(options):
            try:
                options.append(rewrite(e))
            except (TypeError, ValueError, NotImplementedError, sympy.PolynomialError):
                continue
    return min(options, key=lambda e: (complexity(e), len(str(e))))


def _function_of_log(expr: sympy.Expr) -> bool:
    """A hyperbolic or exponential function whose argument holds a log."""
    return any(isinstance(f, (sympy.exp, sympy.tanh, sympy.cosh, sympy.sinh, sympy.coth))
               and f.args[0].has(sympy.log, sympy.atanh, sympy.asinh, sympy.acosh)
               for f in expr.atoms(sympy.Function))
