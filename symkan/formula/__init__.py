"""Formulas: composing one from a snapped network, its constants, its canonical form.

A formula read off a snapped network carries float constants (``sympy.Float`` atoms) that
are close to, but not exactly, the true ones. The stages here turn
``0.2499*(0.998*x + 1.001*y)**2 - 0.2501*(x - 1.0003*y)**2 + 0.0002`` into ``x*y``:

1. `canonicalize` (``canonical``) expands the expression so each independent constant
   appears once;
2. `refit_constants` (``refit``) refits every float by nonlinear least squares;
3. `drop_negligible_terms` (``refit``) removes additive terms (and zeroes constants) that
   the data do not need;
4. `snap_constants` (``nice``) replaces floats by nice exact numbers (``1/2``, ``pi``,
   ``sqrt(2)/(2*sqrt(pi))``) when the fit on the data stays as good;
5. `round_floats` (``numeric``) rounds whatever floats remain for display.

Every function returns a new expression; its input is unchanged. Integers, rationals and
named constants such as ``pi`` are fixed; only ``Float`` atoms are fitted. Data ``X`` has
shape ``(n, d)`` with columns in the order of ``symbols``; ``y`` has shape ``(n,)``.

The modules import one way: ``numeric`` ← ``refit`` ← ``nice``; ``canonical``,
``expression`` (`network_expression`, `complexity`, `tidy`) and ``parse`` (`parse_formula`)
stand alone.

Example
-------
>>> import numpy as np, sympy
>>> x = sympy.Symbol("x", real=True)
>>> X = np.linspace(-1, 1, 50)[:, None]
>>> snap_constants(1.0001 * x**2 + 0.4999, [x], X, X[:, 0] ** 2 + 0.5)
x**2 + 1/2
"""

from symkan.formula.canonical import canonicalize
from symkan.formula.expression import complexity, network_expression, tidy
from symkan.formula.nice import snap_constants
from symkan.formula.numeric import evaluate, r2, resolve_abs, rmse, rmse_of, round_floats
from symkan.formula.parse import FUNCTIONS, parse_formula
from symkan.formula.refit import (
    drop_negligible_terms,
    function_nodes,
    linearize_functions,
    refit_constants,
    taylor_point,
)

__all__ = [
    "FUNCTIONS",
    "canonicalize",
    "complexity",
    "drop_negligible_terms",
    "evaluate",
    "function_nodes",
    "linearize_functions",
    "network_expression",
    "parse_formula",
    "r2",
    "refit_constants",
    "resolve_abs",
    "rmse",
    "rmse_of",
    "round_floats",
    "snap_constants",
    "taylor_point",
    "tidy",
]
