"""Constants of a found formula: canonical form, refitting, pruning and snapping.

A formula read off a snapped network carries float constants (``sympy.Float``
atoms) that are close to, but not exactly, the true ones. The stages here turn
``0.2499*(0.998*x + 1.001*y)**2 - 0.2501*(x - 1.0003*y)**2 + 0.0002`` into
``x*y``:

1. `canonicalize` expands the expression so each independent constant appears
   once;
2. `refit_constants` refits every float by nonlinear least squares;
3. `drop_negligible_terms` removes additive terms (and zeroes constants) that
   the data do not need;
4. `snap_constants` replaces floats by nice exact numbers (``1/2``, ``pi``,
   ``sqrt(2)/(2*sqrt(pi))``) when the fit on the data stays as good;
5. `round_floats` rounds whatever floats remain for display.

Every function returns a new expression; its input is unchanged. Integers,
rationals and named constants such as ``pi`` are fixed; only ``Float`` atoms
are fitted. Data ``X`` has shape ``(n, d)`` with columns in the order of
``symbols``; ``y`` has shape ``(n,)``.

Fits use at most ``_MAX_ROWS`` rows, taken evenly spaced (deterministically)
from the data, so the cost of the search does not grow with ``n``.

Example
-------
>>> import numpy as np, sympy
>>> x = sympy.Symbol("x", real=True)
>>> X = np.linspace(-1, 1, 50)[:, None]
>>> snap_constants(1.0001 * x**2 + 0.4999, [x], X, X[:, 0] ** 2 + 0.5)
x**2 + 1/2
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction

import numpy as np
import sympy
from scipy.optimize import least_squares

from symkan.errors import InputError

__all__ = [
    "canonicalize",
    "drop_negligible_terms",
    "linearize_functions",
    "refit_constants",
    "rmse",
    "round_floats",
    "snap_constants",
]

# Largest number of data rows used by a fit (evenly spaced subsample).
_MAX_ROWS = 4096
# Expressions with more operations than this are not expanded by `canonicalize`.
_MAX_EXPAND_OPS = 4000
# An expansion may produce at most this many additive terms.
_MAX_EXPAND_TERMS = 2000
# Above this many operations the Jacobian is taken by finite differences.
_MAX_SYMBOLIC_JAC_OPS = 3000
# Relative worsening of the RMSE that a removal or a snap may cost.
_RMSE_SLACK = 1e-3
# Candidates farther than this (relative) from the fitted value are not tried.
_SNAP_WINDOW = 0.05
# At most this many candidates are tried for each float.
_MAX_CANDIDATES = 12
# At most this many removals are tried by `drop_negligible_terms`.
_MAX_DROP_TRIES = 100


# --------------------------------------------------------------------------- data


def _check_data(
    expr: sympy.Expr, symbols: Sequence[sympy.Symbol], X, y
) -> tuple[sympy.Expr, list[sympy.Symbol], np.ndarray, np.ndarray]:
    """Validate the arguments shared by the data-driven functions."""
    expr = sympy.sympify(expr)
    symbols = list(symbols)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if X.ndim == 1 and len(symbols) == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[1] != len(symbols):
        raise InputError(
            f"X has shape {X.shape} but {len(symbols)} symbols {[str(s) for s in symbols]} "
            "were given; pass X of shape (n, len(symbols)) with one column per symbol."
        )
    if y.shape != (X.shape[0],):
        raise InputError(
            f"y has shape {y.shape} but X has {X.shape[0]} rows; pass y of shape ({X.shape[0]},)."
        )
    missing = expr.free_symbols - set(symbols)
    if missing:
        raise InputError(
            f"the expression uses {sorted(str(s) for s in missing)}, which are not among the "
            f"symbols {[str(s) for s in symbols]}; pass every symbol of the expression "
            "(with the same name and assumptions) in `symbols`."
        )
    return expr, symbols, X, y


def _subsample(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """At most `_MAX_ROWS` evenly spaced rows (no randomness)."""
    n = X.shape[0]
    if n <= _MAX_ROWS:
        return X, y
    idx = np.linspace(0, n - 1, _MAX_ROWS).round().astype(np.int64)
    return X[idx], y[idx]


def _lambdify(args: list, exprs) -> Callable:
    """Numpy function of `exprs`; falls back to scipy for functions numpy lacks."""
    try:
        f = sympy.lambdify(args, exprs, modules=["numpy"], cse=True)
        with np.errstate(all="ignore"):
            f(*np.ones(len(args)))
        return f
    except (NameError, TypeError, AttributeError):
        return sympy.lambdify(args, exprs, modules=["scipy", "numpy"], cse=True)


def _as_column(value, n: int) -> np.ndarray:
    """Broadcast a lambdified result (maybe a scalar) to a float array of shape (n,)."""
    arr = np.asarray(value)
    if np.iscomplexobj(arr):
        arr = np.where(np.abs(arr.imag) > 0, np.nan, arr.real)
    return np.broadcast_to(arr.astype(np.float64, copy=False), (n,))


def rmse_of(pred: np.ndarray, y: np.ndarray) -> float:
    """Root-mean-square error of predictions; ``inf`` when not finite."""
    with np.errstate(all="ignore"):
        value = float(np.sqrt(np.mean((pred - y) ** 2)))
    return value if math.isfinite(value) else math.inf


def rmse(expr: sympy.Expr, symbols: Sequence[sympy.Symbol], X, y) -> float:
    """Root-mean-square error of `expr` on ``(X, y)``; ``inf`` when not finite.

    Parameters
    ----------
    expr : sympy expression in `symbols`.
    symbols : the symbols, in the order of the columns of `X`.
    X : array of shape (n, len(symbols)).
    y : array of shape (n,).

    Examples
    --------
    >>> import numpy as np, sympy
    >>> x = sympy.Symbol("x", real=True)
    >>> rmse(x + 1, [x], np.zeros((4, 1)), np.zeros(4))
    1.0
    """
    expr, symbols, X, y = _check_data(expr, symbols, X, y)
    try:
        pred = _values(expr, symbols, X)
    except (ValueError, OverflowError, ZeroDivisionError):
        return math.inf
    return rmse_of(pred, y)


def _values(expr: sympy.Expr, symbols: list[sympy.Symbol], X: np.ndarray) -> np.ndarray:
    """``expr`` at the rows of ``X``, shape (n,); symbols swapped for dummies (names such
    as ``lambda`` or ``I`` cannot clash with the generated code)."""
    dummies = [sympy.Dummy(real=True) for _ in symbols]
    f = _lambdify(dummies, expr.xreplace(dict(zip(symbols, dummies))))
    with np.errstate(all="ignore"):
        return _as_column(f(*X.T), X.shape[0])


# ----------------------------------------------------------------- canonical form


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


# ---------------------------------------------------------------- fitting engine


def _parametrize(expr: sympy.Basic, params: list, values: list, gates: list | None):
    """Replace every Float occurrence by its own Dummy; optionally gate Add terms.

    With `gates` a list, each term ``t`` of each Add becomes ``g*t`` with a new
    Dummy ``g`` (1 keeps the term, 0 removes it).
    """
    if expr.is_Float:
        p = sympy.Dummy(f"p{len(params)}", real=True)
        params.append(p)
        values.append(float(expr))
        return p
    if expr.is_Atom or not expr.args:
        return expr
    args = [_parametrize(a, params, values, gates) for a in expr.args]
    if gates is not None and expr.is_Add:
        gated = []
        for a in args:
            g = sympy.Dummy(f"g{len(gates)}", real=True)
            gates.append(g)
            gated.append(sympy.Mul(g, a, evaluate=False))
        args = gated
    return expr.func(*args, evaluate=False) if expr.is_Add or expr.is_Mul else expr.func(*args)


class _Model:
    """A parametrized expression compiled to numpy, with its Jacobian.

    ``p`` holds the Float parameters, ``g`` optional term gates (held fixed).
    """

    def __init__(self, expr: sympy.Expr, symbols: list, *, gate_terms: bool = False):
        self.params: list = []
        self.p0: list[float] = []
        self.gates: list | None = [] if gate_terms else None
        dummies = [sympy.Dummy(f"x{i}", real=True) for i in range(len(symbols))]
        template = _parametrize(
            expr.xreplace(dict(zip(symbols, dummies))), self.params, self.p0, self.gates
        )
        self.symbols = symbols
        self.dummies = dummies
        self.template = template
        gates = self.gates or []
        wrt = self.params + gates
        self.symbolic_jac = sympy.count_ops(template) <= _MAX_SYMBOLIC_JAC_OPS
        outputs = [template]
        if self.symbolic_jac:
            outputs += [sympy.diff(template, v) for v in wrt]
        self._f = _lambdify(dummies + self.params + gates, outputs)
        self.n_params = len(self.params)
        self.n_gates = len(gates)

    def evaluate(self, cols, p, g, *, jac: bool = False):
        """Prediction (n,) and, if asked, the Jacobian (n, n_params + n_gates)."""
        n = cols[0].shape[0] if cols else 1
        with np.errstate(all="ignore"):
            out = self._f(*cols, *p, *g)
            pred = _as_column(out[0], n)
            if not jac:
                return pred, None
            if self.symbolic_jac:
                J = np.column_stack([_as_column(c, n) for c in out[1:]] or [np.zeros(n)])
                return pred, J[:, : len(out) - 1]
            return pred, self._numeric_jac(cols, np.asarray(p), np.asarray(g), pred)

    def _numeric_jac(self, cols, p, g, pred):
        n = pred.shape[0]
        both = np.concatenate([p, g]).astype(np.float64)
        J = np.zeros((n, both.size))
        for j in range(both.size):
            h = 1e-7 * max(1.0, abs(both[j]))
            shifted = both.copy()
            shifted[j] += h
            out = self._f(*cols, *shifted[: self.n_params], *shifted[self.n_params :])
            J[:, j] = (_as_column(out[0], n) - pred) / h
        return J

    def fit(self, cols, y, p, g, free: np.ndarray, max_nfev: int) -> tuple[np.ndarray, float]:
        """Refit the free parameters; returns (parameters, rmse), never worse than `p`."""
        p = np.asarray(p, dtype=np.float64).copy()
        g = np.asarray(g, dtype=np.float64)
        start = rmse_of(self.evaluate(cols, p, g)[0], y)
        idx = np.flatnonzero(free)
        if idx.size == 0 or not math.isfinite(start):
            return p, start

        def residual(q):
            full = p.copy()
            full[idx] = q
            return self.evaluate(cols, full, g)[0] - y

        def jacobian(q):
            full = p.copy()
            full[idx] = q
            J = self.evaluate(cols, full, g, jac=True)[1][:, idx]
            return np.where(np.isfinite(J), J, 0.0)

        # Levenberg-Marquardt (MINPACK, QR-based) is the fast choice for tall
        # problems; it cannot step around non-finite residuals, so when it ends
        # non-finite or no better, the trust-region method (which can) retries.
        methods = ["lm", "trf"] if idx.size <= y.size else ["trf"]
        best, best_error = p, start
        for method in methods:
            try:
                with np.errstate(all="ignore"):
                    result = least_squares(
                        residual,
                        p[idx],
                        jac=jacobian,
                        method=method,
                        x_scale="jac",
                        ftol=1e-12,
                        xtol=1e-12,
                        gtol=1e-12,
                        max_nfev=max_nfev,
                    )
            except (ValueError, np.linalg.LinAlgError, OverflowError, ZeroDivisionError):
                continue
            trial = p.copy()
            trial[idx] = result.x
            error = rmse_of(self.evaluate(cols, trial, g)[0], y)
            if np.all(np.isfinite(trial)) and error <= best_error:
                best, best_error = trial, error
            if best_error < start:
                break
        return best, best_error

    def influence(self, cols, p, g) -> np.ndarray:
        """RMS over the data of the first-order change of the output when each
        parameter is set to 0 (``p_j * df/dp_j``) or each gate is closed (``df/dg``)."""
        _, J = self.evaluate(cols, p, g, jac=True)
        scale = np.concatenate([np.asarray(p, dtype=np.float64), np.ones(self.n_gates)])
        with np.errstate(all="ignore"):
            values = np.sqrt(np.mean((J * scale) ** 2, axis=0))
        return np.where(np.isfinite(values), values, np.inf)

    def to_expr(self, p_values: Sequence, g_values: Sequence = ()) -> sympy.Expr:
        """Substitute parameter values (floats become Floats; sympy numbers stay
        exact) and gates (0/1) back; original symbols restored."""
        subs = {}
        for sym, v in zip(self.params, p_values):
            subs[sym] = v if isinstance(v, sympy.Basic) else sympy.Float(float(v), 15)
        for sym, v in zip(self.gates or [], g_values):
            subs[sym] = sympy.Integer(round(float(v)))
        subs.update(zip(self.dummies, self.symbols))
        # Rebuild with evaluation so that 1*t, 0*t and x**1 simplify away.
        return _rebuild(self.template.xreplace(subs))


def _rebuild(expr: sympy.Basic) -> sympy.Basic:
    """Re-evaluate an expression built with ``evaluate=False`` nodes."""
    if expr.is_Atom or not expr.args:
        return expr
    return expr.func(*[_rebuild(a) for a in expr.args])


def _floats_of(expr: sympy.Basic) -> bool:
    return bool(expr.atoms(sympy.Float))


def refit_constants(
    expr: sympy.Expr, symbols: Sequence[sympy.Symbol], X, y, *, max_nfev: int = 200
) -> sympy.Expr:
    """Refit every Float of `expr` to ``(X, y)`` by nonlinear least squares.

    Each occurrence of a Float is a free parameter; integers, rationals and
    constants such as ``pi`` stay fixed. The Jacobian comes from ``sympy.diff``
    (finite differences for very large expressions). When the fit fails, is
    not finite or is worse than the start, `expr` is returned unchanged.

    Parameters
    ----------
    expr : sympy expression in `symbols`.
    symbols : the symbols, in the order of the columns of `X`.
    X : array of shape (n, len(symbols)).
    y : array of shape (n,).
    max_nfev : most evaluations of the residual allowed to the optimiser.

    Examples
    --------
    >>> import numpy as np, sympy
    >>> x = sympy.Symbol("x", real=True)
    >>> X = np.linspace(0, 1, 20)[:, None]
    >>> refit_constants(1.5 * x + 0.2, [x], X, 2 * X[:, 0] + 1).evalf(6)
    2.0*x + 1.0
    """
    expr, symbols, X, y = _check_data(expr, symbols, X, y)
    if not isinstance(max_nfev, int) or max_nfev < 1:
        raise InputError(f"max_nfev={max_nfev!r} must be a positive integer, e.g. 200.")
    if not _floats_of(expr):
        return expr
    X, y = _subsample(X, y)
    model = _Model(expr, symbols)
    p, _ = model.fit(list(X.T), y, model.p0, [], np.ones(model.n_params, bool), max_nfev)
    if np.array_equal(p, np.asarray(model.p0)):
        return expr
    return model.to_expr(p)


# ----------------------------------------------------------------- term removal


def _tolerance(base: float, y: np.ndarray, rel_tol: float, n_fixed: int) -> float:
    """Largest RMSE accepted after fixing `n_fixed` more constants (or terms).

    The relative slack is ``1e-3``, or ``n_fixed / n`` when larger: fixing a
    constant fitted to noise raises the RMSE by about ``1/n`` relative (the
    AIC trade-off), which small data sets must be allowed.
    """
    spread = float(np.std(y)) if y.size else 0.0
    slack = max(_RMSE_SLACK, n_fixed / max(y.size, 1))
    return max(base * (1 + slack), rel_tol * spread)


def drop_negligible_terms(
    expr: sympy.Expr, symbols: Sequence[sympy.Symbol], X, y, *, rel_tol: float = 1e-6
) -> sympy.Expr:
    """Remove additive terms and zero constants that the data do not need.

    Candidates are every term of every sum (at the top level and inside
    function arguments, e.g. the ``0.0001`` in ``sin(3.14*x + 0.0001)``) and
    every Float (set to 0). They are tried in order of increasing influence on
    the output; a removal is kept when, after refitting the remaining floats,
    the RMSE on ``(X, y)`` stays at most
    ``max(rmse_before * (1 + max(1e-3, k / n)), rel_tol * std(y))``, where
    ``rmse_before`` is that of the refitted input, ``k`` the number of removals
    so far including this one and ``n`` the number of rows (an AIC-like
    allowance, so that terms fitted to noise go on small data sets too).

    Examples
    --------
    >>> import numpy as np, sympy
    >>> x = sympy.Symbol("x", real=True)
    >>> X = np.linspace(-1, 1, 30)[:, None]
    >>> drop_negligible_terms(1.0 * x + 1e-9 * x**3 + 1e-10, [x], X, X[:, 0])
    1.0*x
    """
    expr, symbols, X, y = _check_data(expr, symbols, X, y)
    _check_rel_tol(rel_tol)
    X, y = _subsample(X, y)
    has_sum = any(node.is_Add for node in sympy.preorder_traversal(expr))
    if not _floats_of(expr) and not has_sum:
        return expr
    cols = list(X.T)
    model = _Model(expr, symbols, gate_terms=True)
    free = np.ones(model.n_params, bool)
    p, base = model.fit(cols, y, model.p0, np.ones(model.n_gates), free, 200)
    if not math.isfinite(base):
        return expr
    g = np.ones(model.n_gates)
    influence = model.influence(cols, p, g)
    order = np.argsort(influence, kind="stable")[:_MAX_DROP_TRIES]
    n_removed = 0
    for j in order:
        trial_p, trial_g, trial_free = p.copy(), g.copy(), free.copy()
        if j < model.n_params:
            if p[j] == 0 or not free[j]:
                continue
            trial_p[j] = 0.0
            trial_free[j] = False
        else:
            trial_g[j - model.n_params] = 0.0
        trial_p, error = model.fit(cols, y, trial_p, trial_g, trial_free, 200)
        if error <= _tolerance(base, y, rel_tol, n_removed + 1):
            p, g, free = trial_p, trial_g, trial_free
            n_removed += 1
    if n_removed == 0:
        return model.to_expr(p, g) if not np.array_equal(p, model.p0) else expr
    values: list = [sympy.S.Zero if not f else v for f, v in zip(free, p)]
    return model.to_expr(values, g)


# --------------------------------------------------------------------- snapping


def _check_rel_tol(rel_tol: float) -> None:
    if not (isinstance(rel_tol, (int, float)) and 0 <= rel_tol < 1):
        raise InputError(f"rel_tol={rel_tol!r} must be a number in [0, 1), e.g. 1e-6.")


_MULTIPLIERS: list[tuple[sympy.Expr, int]] = [
    (sympy.S.One, 0),
    (sympy.pi, 1),
    (1 / sympy.pi, 1),
    (sympy.pi**2, 2),
    (sympy.pi**-2, 2),
    (sympy.E, 1),
]
_SQRT_MULTIPLIERS: list[tuple[sympy.Expr, int]] = [
    (sympy.S.One, 0),
    (sympy.sqrt(sympy.pi), 1),
    (1 / sympy.sqrt(sympy.pi), 1),
]


# a fitted 54426787872779 is not a nice number, whatever the data allow: numerators
# beyond this are left as Floats (fits whose constants drift, e.g. a ratio's common scale)
_MAX_NUMERATOR = 10_000


def _fraction_complexity(fr: Fraction) -> int:
    """0 for 0, 1 for small integers, more for bigger numerators/denominators."""
    if fr == 0:
        return 0
    cost = 1 if fr.denominator == 1 else 2
    return cost + (abs(fr.numerator) > 12) + (fr.denominator > 4)


def _candidates(value: float, max_denominator: int) -> list[tuple[int, float, sympy.Expr]]:
    """Nice exact numbers near `value`: (complexity, relative distance, number)."""
    found: dict[float, tuple[int, float, sympy.Expr]] = {}
    scale = max(abs(value), 1e-300)

    def add(exact: sympy.Expr, complexity: int) -> None:
        numeric = float(exact)
        distance = abs(numeric - value) / scale
        if distance > _SNAP_WINDOW and exact != 0:
            return
        key = round(numeric, 12)
        if key not in found or found[key][0] > complexity:
            found[key] = (complexity, distance, exact)

    add(sympy.S.Zero, 0)
    sign = 1 if value >= 0 else -1
    for q in range(1, max_denominator + 1):
        for mult, extra in _MULTIPLIERS:
            r = value / float(mult)
            for num in {math.floor(r * q), math.ceil(r * q)}:
                fr = Fraction(num, q)
                if fr == 0 or abs(num) > _MAX_NUMERATOR:
                    continue
                add(
                    sympy.Rational(fr.numerator, fr.denominator) * mult,
                    _fraction_complexity(fr) + extra,
                )
        for mult, extra in _SQRT_MULTIPLIERS:
            r2 = (value / float(mult)) ** 2
            for num in {math.floor(r2 * q), math.ceil(r2 * q)}:
                fr = Fraction(num, q)
                if fr <= 0 or num > _MAX_NUMERATOR:
                    continue
                root = sympy.sqrt(sympy.Rational(fr.numerator, fr.denominator))
                if root.is_Rational and extra == 0:
                    continue  # a perfect square: already a rational candidate
                add(sign * root * mult, _fraction_complexity(fr) + 1 + extra)
    ranked = sorted(found.values(), key=lambda c: (c[0], c[1]))
    return ranked[:_MAX_CANDIDATES]


def snap_constants(
    expr: sympy.Expr,
    symbols: Sequence[sympy.Symbol],
    X,
    y,
    *,
    rel_tol: float = 1e-6,
    max_denominator: int = 12,
) -> sympy.Expr:
    """Replace Floats by nice exact numbers where the data allow it.

    Floats are visited from the most to the least influential. For each, the
    candidates within 5 % (relative) of its fitted value are ``0``, ``p/q``
    (``q <= max_denominator``), ``p/q * pi**k`` (``k`` in -2..2), ``p/q * e``,
    ``sqrt(p/q)`` and ``sqrt(p/q) * pi**(+-1/2)`` (so ``1/sqrt(2*pi)`` is found).
    They are tried simplest first, then nearest first; the first one for which,
    after refitting the remaining Floats, the RMSE on ``(X, y)`` stays at most
    ``max(base_rmse * (1 + max(1e-3, k / n)), rel_tol * std(y))`` is kept,
    where ``base_rmse`` is the RMSE of the refitted input, ``k`` the number of
    snaps so far including this one and ``n`` the number of rows. A float with
    no such candidate keeps its (refitted) value. Pass held-out data to judge
    the snaps on data the constants were not trained on.

    Examples
    --------
    >>> import numpy as np, sympy
    >>> t = sympy.Symbol("theta", real=True)
    >>> X = np.linspace(-2, 2, 40)[:, None]
    >>> y = np.exp(-X[:, 0] ** 2 / 2) / np.sqrt(2 * np.pi)
    >>> snap_constants(0.39894 * sympy.exp(-0.49999 * t**2), [t], X, y)
    sqrt(2)*exp(-theta**2/2)/(2*sqrt(pi))
    """
    expr, symbols, X, y = _check_data(expr, symbols, X, y)
    _check_rel_tol(rel_tol)
    if not isinstance(max_denominator, int) or max_denominator < 1:
        raise InputError(
            f"max_denominator={max_denominator!r} must be a positive integer, e.g. 12."
        )
    if not _floats_of(expr):
        return expr
    X, y = _subsample(X, y)
    cols = list(X.T)
    model = _Model(expr, symbols)
    free = np.ones(model.n_params, bool)
    p, base = model.fit(cols, y, model.p0, [], free, 200)
    if not math.isfinite(base):
        return expr
    n_snapped = 0
    exact: list[sympy.Expr | None] = [None] * model.n_params
    order = np.argsort(-model.influence(cols, p, []), kind="stable")
    for j in order:
        for _, _, candidate in _candidates(float(p[j]), max_denominator):
            trial_p, trial_free = p.copy(), free.copy()
            trial_p[j] = float(candidate)
            trial_free[j] = False
            trial_p, error = model.fit(cols, y, trial_p, [], trial_free, 200)
            if error <= _tolerance(base, y, rel_tol, n_snapped + 1):
                p, free = trial_p, trial_free
                exact[j] = candidate
                n_snapped += 1
                break
    values = [e if e is not None else v for e, v in zip(exact, p)]
    return model.to_expr(values)


# --------------------------------------------------------------------- display


def round_floats(expr: sympy.Expr, digits: int = 4) -> sympy.Expr:
    """Round every Float of `expr` to `digits` significant digits.

    Examples
    --------
    >>> x = sympy.Symbol("x", real=True)
    >>> round_floats(1.234567 * x + 0.000123456, 3)
    1.23*x + 0.000123
    """
    if not isinstance(digits, int) or digits < 1:
        raise InputError(f"digits={digits!r} must be a positive integer, e.g. 4.")
    expr = sympy.sympify(expr)
    mapping = {
        f: sympy.Float(float(f"{float(f):.{digits}g}"), digits) for f in expr.atoms(sympy.Float)
    }
    return expr.xreplace(mapping)


def function_nodes(expr: sympy.Expr) -> list[sympy.Expr]:
    """One-argument function applications whose argument holds a variable, innermost first."""
    return [n for n in sympy.postorder_traversal(expr)
            if isinstance(n, sympy.Function) and len(n.args) == 1 and n.args[0].free_symbols]


def taylor_point(
    node: sympy.Expr, symbols, X: np.ndarray,
) -> tuple[float, float, float] | None:
    """``(m, f'(m), f(m))`` for ``node = f(arg)``, ``m`` the mean of ``arg`` on the rows
    ``X``: the point of its first-order Taylor form. None when ``f`` is flat or not finite
    there."""
    m = float(np.mean(_values(node.args[0], symbols, X)))
    u = sympy.Dummy()
    try:
        slope = float(sympy.diff(node.func(u), u).subs(u, m))
        at = float(node.func(sympy.Float(m)))
    except (TypeError, ValueError):
        return None
    if not (np.isfinite(slope) and np.isfinite(at)) or slope == 0.0:
        return None
    return m, slope, at


def linearize_functions(
    expr: sympy.Expr, symbols: Sequence[sympy.Symbol], X, y, *, rel_tol: float = 1e-6
) -> sympy.Expr:
    """Replace ``f(arg)`` by ``c1*arg + c0`` where the data cannot tell them apart.

    A refit can push a primitive into its linear regime (``sin(0.0019*v)`` standing in for
    ``v``). Each applied function is tried, innermost first, as its first-order Taylor form
    at the mean of its argument on the data; after refitting, the replacement is kept when
    the RMSE stays at most ``max(rmse_before * (1 + 1e-3), rel_tol * std(y))``.

    Examples
    --------
    >>> x = sympy.Symbol("x")
    >>> X = np.linspace(1, 5, 50)[:, None]
    >>> e = linearize_functions(500.0 * sympy.sin(0.002 * x), [x], X, X[:, 0])
    >>> e.has(sympy.sin), round(float(e.coeff(x)), 9)
    (False, 1.0)
    """
    expr, symbols, X, y = _check_data(expr, symbols, X, y)
    base = rmse(expr, symbols, X, y)
    if not np.isfinite(base):
        return expr
    limit = max(base * (1 + 1e-3), rel_tol * float(np.std(y)))
    for node in function_nodes(expr):
        if node not in expr.atoms(sympy.Function):
            continue
        point = taylor_point(node, symbols, X)
        if point is None:
            continue
        m, slope, at = point
        linear = sympy.Float(slope) * (node.args[0] - sympy.Float(m)) + sympy.Float(at)
        candidate = refit_constants(expr.xreplace({node: linear}), symbols, X, y)
        if rmse(candidate, symbols, X, y) <= limit:
            expr = candidate
    return expr
