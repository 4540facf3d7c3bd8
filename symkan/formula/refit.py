"""Refitting the constants of a formula, dropping the terms the data do not need, and
trading applied functions for their linear form where the data cannot tell them apart.

`Model` compiles a formula with its Floats as parameters (and optional term gates) to numpy,
with its Jacobian; `refit_constants`, `drop_negligible_terms`, `linearize_functions` and
`symkan.formula.nice.snap_constants` are built on it.

Fits use at most ``_MAX_ROWS`` rows, taken evenly spaced (deterministically) from the data,
so the cost of the search does not grow with ``n``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import sympy
from scipy.optimize import least_squares

from symkan.errors import InputError
from symkan.formula.numeric import as_column, check_data, lambdify_numpy, rmse, rmse_of, values_at

__all__ = [
    "Model",
    "check_rel_tol",
    "drop_negligible_terms",
    "function_nodes",
    "has_floats",
    "linearize_functions",
    "refit_constants",
    "subsample",
    "taylor_point",
    "tolerance",
    "weighted_rows",
]

# Largest number of data rows used by a fit (evenly spaced subsample).
_MAX_ROWS = 4096
# Above this many operations the Jacobian is taken by finite differences.
_MAX_SYMBOLIC_JAC_OPS = 3000
# Relative worsening of the RMSE that a removal or a snap may cost.
_RMSE_SLACK = 1e-3
# At most this many removals are tried by `drop_negligible_terms`.
_MAX_DROP_TRIES = 100


def subsample(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """At most `_MAX_ROWS` evenly spaced rows (no randomness)."""
    n = X.shape[0]
    if n <= _MAX_ROWS:
        return X, y
    idx = np.linspace(0, n - 1, _MAX_ROWS).round().astype(np.int64)
    return X[idx], y[idx]


def weighted_rows(X: np.ndarray, y: np.ndarray, weights: np.ndarray | None):
    """`subsample`'s rows with their weights, checked: ``(X, y, w)``, ``w`` None when
    unweighted."""
    if weights is None:
        return (*subsample(X, y), None)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != y.shape or not np.all(np.isfinite(w)) or np.any(w < 0) or not w.sum() > 0:
        raise InputError(f"weights must be {y.shape[0]} finite numbers >= 0, not all 0")
    X, yw = subsample(X, np.column_stack([y, w]))  # the same rows for y and w
    return X, yw[:, 0], yw[:, 1]


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


class Model:
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
        self._f = lambdify_numpy(dummies + self.params + gates, outputs)
        self.n_params = len(self.params)
        self.n_gates = len(gates)

    def evaluate(self, cols, p, g, *, jac: bool = False):
        """Prediction (n,) and, if asked, the Jacobian (n, n_params + n_gates)."""
        n = cols[0].shape[0] if cols else 1
        with np.errstate(all="ignore"):
            out = self._f(*cols, *p, *g)
            pred = as_column(out[0], n)
            if not jac:
                return pred, None
            if self.symbolic_jac:
                J = np.column_stack([as_column(c, n) for c in out[1:]] or [np.zeros(n)])
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
            J[:, j] = (as_column(out[0], n) - pred) / h
        return J

    def fit(self, cols, y, p, g, free: np.ndarray, max_nfev: int,
            weights: np.ndarray | None = None) -> tuple[np.ndarray, float]:
        """Refit the free parameters (weighted least squares when ``weights`` are given);
        returns (parameters, rmse), never worse than `p`."""
        p = np.asarray(p, dtype=np.float64).copy()
        g = np.asarray(g, dtype=np.float64)
        start = rmse_of(self.evaluate(cols, p, g)[0], y, weights)
        idx = np.flatnonzero(free)
        if idx.size == 0 or not math.isfinite(start):
            return p, start

        # residuals in units of the target's size: 'trf' stops on absolute tolerances
        # (a target of size 1e-20 would stop at once), MINPACK's were relative
        unit = float(np.sqrt(np.mean(y**2)))
        unit = unit if math.isfinite(unit) and unit > 0 else 1.0
        root = 1.0 if weights is None else np.sqrt(weights / np.mean(weights))  # (n,)

        def residual(q):
            full = p.copy()
            full[idx] = q
            return root * (self.evaluate(cols, full, g)[0] - y) / unit

        def jacobian(q):
            full = p.copy()
            full[idx] = q
            J = self.evaluate(cols, full, g, jac=True)[1][:, idx] / unit
            if weights is not None:
                J = root[:, None] * J
            return np.where(np.isfinite(J), J, 0.0)

        # The trust-region method, not Levenberg-Marquardt: scipy's MINPACK ('lm', scipy
        # 1.17) returns results that vary from call to call on the same input and rows
        # (measured, single-threaded), and a refit on a flat optimum turns those last bits
        # into different constants. 'trf' gives the same result every run and can step
        # around non-finite residuals.
        try:
            with np.errstate(all="ignore"):
                result = least_squares(residual, p[idx], jac=jacobian, method="trf",
                                       x_scale="jac", ftol=1e-12, xtol=1e-12, gtol=1e-12,
                                       max_nfev=max_nfev)
        except (ValueError, np.linalg.LinAlgError, OverflowError, ZeroDivisionError):
            return p, start
        trial = p.copy()
        trial[idx] = result.x
        error = rmse_of(self.evaluate(cols, trial, g)[0], y, weights)
        if np.all(np.isfinite(trial)) and error <= start:
            return trial, error
        return p, start

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


def has_floats(expr: sympy.Basic) -> bool:
    return bool(expr.atoms(sympy.Float))


def refit_constants(
    expr: sympy.Expr, symbols: Sequence[sympy.Symbol], X, y, *, max_nfev: int = 200,
    weights: np.ndarray | None = None,
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
    weights : optional array of shape (n,), >= 0: weighted least squares.

    Examples
    --------
    >>> import numpy as np, sympy
    >>> x = sympy.Symbol("x", real=True)
    >>> X = np.linspace(0, 1, 20)[:, None]
    >>> refit_constants(1.5 * x + 0.2, [x], X, 2 * X[:, 0] + 1).evalf(6)
    2.0*x + 1.0
    """
    expr, symbols, X, y = check_data(expr, symbols, X, y)
    if not isinstance(max_nfev, int) or max_nfev < 1:
        raise InputError(f"max_nfev={max_nfev!r} must be a positive integer, e.g. 200.")
    if not has_floats(expr):
        return expr
    X, y, w = weighted_rows(X, y, weights)
    model = Model(expr, symbols)
    p, _ = model.fit(list(X.T), y, model.p0, [], np.ones(model.n_params, bool), max_nfev, w)
    if np.array_equal(p, np.asarray(model.p0)):
        return expr
    return model.to_expr(p)


def tolerance(base: float, y: np.ndarray, rel_tol: float, n_fixed: int, *,
              bic: bool = False) -> float:
    """Largest RMSE accepted after fixing `n_fixed` more constants (or terms).

    The relative slack is ``1e-3``, or ``n_fixed / n`` when larger: fixing a constant
    fitted to noise raises the RMSE by about ``1/n`` relative (the AIC trade-off), which
    small data sets must be allowed. With ``bic``, BIC's trade-off: the RSS may grow by
    ``log(n)/n`` per constant, so the RMSE by ``n_fixed·log(n)/(2n)``; on noisy rows,
    fixing a constant at its true value raises the RSS by ``χ²₁·σ²`` (the noise's chance
    effect on the fitted value), so a right snap is kept with probability
    ``P(χ²₁ ≤ log n)`` (99 % at n = 800), where AIC's rejects one in six. BIC is for one
    decision (every constant at once to its simplest value): trying many candidates for
    each constant with that slack would keep wrong ones that fit the noise.
    """
    spread = float(np.std(y)) if y.size else 0.0
    n = max(y.size, 2)
    allowance = n_fixed * math.log(n) / (2 * n) if bic else n_fixed / n
    slack = max(_RMSE_SLACK, allowance)
    return max(base * (1 + slack), rel_tol * spread)


def drop_negligible_terms(
    expr: sympy.Expr, symbols: Sequence[sympy.Symbol], X, y, *, rel_tol: float = 1e-6,
    weights: np.ndarray | None = None,
) -> sympy.Expr:
    """Remove additive terms and zero constants that the data do not need.

    Candidates are every term of every sum (at the top level and inside
    function arguments, e.g. the ``0.0001`` in ``sin(3.14*x + 0.0001)``) and
    every Float (set to 0). They are tried in order of increasing influence on
    the output; a removal is kept when, after refitting the remaining floats,
    the RMSE on ``(X, y)`` stays at most
    ``max(rmse_before * (1 + max(1e-3, k·log(n) / (2n))), rel_tol * std(y))``, where
    ``rmse_before`` is that of the refitted input, ``k`` the number of removals
    so far including this one and ``n`` the number of rows (BIC's allowance: a term
    the law does not have, fitted to the noise, goes with probability
    ``P(χ²₁ ≤ log n)``).

    Examples
    --------
    >>> import numpy as np, sympy
    >>> x = sympy.Symbol("x", real=True)
    >>> X = np.linspace(-1, 1, 30)[:, None]
    >>> drop_negligible_terms(1.0 * x + 1e-9 * x**3 + 1e-10, [x], X, X[:, 0])
    1.0*x
    """
    expr, symbols, X, y = check_data(expr, symbols, X, y)
    check_rel_tol(rel_tol)
    X, y, w = weighted_rows(X, y, weights)
    has_sum = any(node.is_Add for node in sympy.preorder_traversal(expr))
    if not has_floats(expr) and not has_sum:
        return expr
    cols = list(X.T)
    model = Model(expr, symbols, gate_terms=True)
    free = np.ones(model.n_params, bool)
    p, base = model.fit(cols, y, model.p0, np.ones(model.n_gates), free, 200, w)
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
        trial_p, error = model.fit(cols, y, trial_p, trial_g, trial_free, 200, w)
        if error <= tolerance(base, y, rel_tol, n_removed + 1, bic=True):
            p, g, free = trial_p, trial_g, trial_free
            n_removed += 1
    if n_removed == 0:
        return model.to_expr(p, g) if not np.array_equal(p, model.p0) else expr
    values: list = [sympy.S.Zero if not f else v for f, v in zip(free, p)]
    return model.to_expr(values, g)


def check_rel_tol(rel_tol: float) -> None:
    if not (isinstance(rel_tol, (int, float)) and 0 <= rel_tol < 1):
        raise InputError(f"rel_tol={rel_tol!r} must be a number in [0, 1), e.g. 1e-6.")


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
    m = float(np.mean(values_at(node.args[0], symbols, X)))
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
    expr: sympy.Expr, symbols: Sequence[sympy.Symbol], X, y, *, rel_tol: float = 1e-6,
    weights: np.ndarray | None = None,
) -> sympy.Expr:
    """Replace ``f(arg)`` by ``c1*arg + c0`` where the data cannot tell them apart.

    A refit can push a primitive into its linear regime (``sin(0.0019*v)`` standing in for
    ``v``). Every applied function is first replaced at once (several near-linear factors
    of one product are only exact together), then each in turn, innermost first, by its
    first-order Taylor form at the mean of its argument on the data; after refitting, a
    replacement is kept when the RMSE stays at most
    ``max(rmse_before * (1 + 1e-3), rel_tol * std(y))``.

    Examples
    --------
    >>> x = sympy.Symbol("x")
    >>> X = np.linspace(1, 5, 50)[:, None]
    >>> e = linearize_functions(500.0 * sympy.sin(0.002 * x), [x], X, X[:, 0])
    >>> e.has(sympy.sin), round(float(e.coeff(x)), 9)
    (False, 1.0)
    """
    expr, symbols, X, y = check_data(expr, symbols, X, y)
    w = weights
    base = rmse(expr, symbols, X, y, weights=w)
    if not np.isfinite(base):
        return expr
    limit = max(base * (1 + 1e-3), rel_tol * float(np.std(y)))
    together = {}
    for node in function_nodes(expr):
        point = taylor_point(node, symbols, X)
        if point is not None and not node.args[0].has(sympy.Function):
            m, slope, at = point
            together[node] = sympy.Float(slope) * (node.args[0] - sympy.Float(m)) + sympy.Float(at)
    if len(together) > 1:
        try:
            candidate = refit_constants(expr.xreplace(together), symbols, X, y, weights=w)
            if rmse(candidate, symbols, X, y, weights=w) <= limit:
                expr = candidate
        except (ValueError, TypeError, ZeroDivisionError, OverflowError):
            pass
    for node in function_nodes(expr):
        if node not in expr.atoms(sympy.Function):
            continue
        point = taylor_point(node, symbols, X)
        if point is None:
            continue
        m, slope, at = point
        linear = sympy.Float(slope) * (node.args[0] - sympy.Float(m)) + sympy.Float(at)
        candidate = refit_constants(expr.xreplace({node: linear}), symbols, X, y, weights=w)
        if rmse(candidate, symbols, X, y, weights=w) <= limit:
            expr = candidate
    return expr
