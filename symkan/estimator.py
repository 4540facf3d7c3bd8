"""`SymKANRegressor`: symkan as a scikit-learn estimator, for notebooks and pipelines.

A thin layer over `symkan.pipeline.fit`: ``fit(X, y)`` finds a Pareto front of formulas
(complexity vs held-out error) for each target, ``predict`` evaluates the formula that
``model_selection`` picks from it. ``__init__`` only stores its arguments; they are checked
in ``fit``. Fitted attributes end in ``_``.

Examples
--------
>>> import numpy as np
>>> from symkan import SymKANRegressor
>>> rng = np.random.default_rng(0)
>>> X = rng.uniform(1, 5, size=(300, 2))
>>> model = SymKANRegressor(methods=("additive",)).fit(X, X[:, 0] * X[:, 1] ** 2)
>>> model.sympy()
x0*x1**2
>>> model.predict(np.array([[2.0, 3.0]]))
array([18.])
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
import pandas as pd
import sympy
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from symkan.data import from_arrays
from symkan.errors import InputError
from symkan.export.latex import to_latex
from symkan.formula.display import shown
from symkan.formula.numeric import evaluate
from symkan.outputs.artifacts import diagram_dot
from symkan.pipeline import FitConfig, FitResult, fit
from symkan.search.pareto import scores, select
from symkan.search.types import LEVERS

__all__ = ["SymKANRegressor"]


def _names(value):
    """A sequence of strings as a tuple (None and a lone string kept as such)."""
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    return tuple(value)

# Fewest rows fit accepts: 3 become test rows, 2 validation rows, and snapping fits each
# edge on at least 8 fitting rows.
_MIN_ROWS = 15


class SymKANRegressor(RegressorMixin, BaseEstimator):
    """Symbolic regression with Kolmogorov–Arnold Networks, scikit-learn style.

    Parameters
    ----------
    model_selection : {"best", "accuracy", "simplest"}, default "best"
        Which formula of the Pareto front ``predict`` uses (see `symkan.search.pareto.select`):
        the simplest within 1.5× of the lowest held-out loss, the lowest held-out loss, or
        the simplest with held-out R² ≥ 0.99. May be changed after ``fit`` with
        ``set_params``; ``predict`` follows it (``formula_`` keeps the choice made in fit).
    time_budget : float, default 120.0
        Seconds per target. Once spent (and at least one formula exists) the search stops
        and keeps the front found so far.
    random_state : int, numpy Generator/RandomState or None, default None
        Seed of the training. None means seed 0: fits are reproducible by default.
    device : {"auto", "cpu", "cuda"}, default "auto"
    methods : tuple of str, default: every lever
        The levers the search may use (`symkan.search.types.LEVERS`: "additive",
        "composite", "units", "groups", "separable", "kan").
    hidden : int or None, default None
        Hidden width of the KAN; None means ``min(2d + 1, 9)``.
    grid_sizes : tuple of int, default (5, 10, 20)
        Spline grids trained on in turn (coarse → fine).
    steps : int, default 60
        L-BFGS steps per training phase.
    units : dict or None, default None
        Units of every variable and of the target (``{"v": "m/s", "c": "m/s",
        "m_0": "kg", "y": "kg"}``; ``"1"`` for dimensionless). With them the law is first
        reduced by dimensional analysis (`symkan.search.units`). Keys are the feature names
        (DataFrame columns, else ``x0, x1, …``) and the target's name (its Series/column
        name, else ``y``).
    lamb : float, default 1e-3
        Sparsity weight of the KAN's first training phase.
    restarts : int, default 0
        Extra KAN runs (another seed, a wider network, stronger pruning) made only when no
        formula reproduces the validation rows.
    max_rows : int, default 4000
        Rows used for training (a random subset when there are more).
    test_fraction, val_fraction : float, default 0.2
        Held-out rows for the reported score, and validation rows (of the rest) that rank
        the candidates and make the front.
    primitives : sequence of str or None, default None
        The library functions the search may use (``("exp", "log")``); no formula calls
        another. None: all. Powers and arithmetic are always allowed.
    custom_primitives : sequence of str, default ()
        New one-variable functions of ``x``: ``"sinc=sin(x)/x"`` (``"sinc:3=…"`` sets the
        complexity). Read as arithmetic, never executed.
    guesses : sequence of str, default ()
        Formulas the user suspects (``"a*x0**2 + b"``; names that are not features are
        constants fitted to the rows). Each is scored and always on ``equations_``.
    templates : sequence of str, default ()
        Formulas with one unknown function (``"f(x0) * exp(-x1)"``) that the search finds.
    inputs, exclude : sequence of str
        Feature names to use / to leave out. A column holding the row numbers is left out
        unless ``inputs`` names it.
    max_complexity : int or None, default None
        No formula of more expression-tree nodes is kept.
    parsimony : float or None, default None
        With "best": pick the lowest ``loss/std(y) + parsimony * complexity`` on the front.

    Attributes
    ----------
    formula_ : sympy.Expr, or a list of them (one per target) when y is 2-D
        The formula chosen in ``fit``.
    equations_ : pandas.DataFrame, or a list of them
        The Pareto front, simplest first: ``complexity``, ``loss`` (held-out RMSE),
        ``score`` (PySR's −Δlog(loss)/Δcomplexity), ``sympy``, ``latex``, ``method``.
    model_ : symkan.KAN, or a list of them
        The pruned, trained network of each target.
    results_ : list of symkan.FitResult
        Everything the pipeline returned, one per target.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when X is a DataFrame with string column names; they name the variables.
    n_outputs_ : int
    """

    def __init__(
        self,
        *,
        model_selection: str = "best",
        time_budget: float = 120.0,
        random_state=None,
        device: str = "auto",
        methods: tuple[str, ...] = LEVERS,
        hidden: int | None = None,
        grid_sizes: tuple[int, ...] = (5, 10, 20),
        steps: int = 60,
        lamb: float = 1e-3,
        restarts: int = 0,
        max_rows: int = 4000,
        test_fraction: float = 0.2,
        val_fraction: float = 0.2,
        units=None,
        primitives=None,
        custom_primitives=(),
        guesses=(),
        templates=(),
        inputs=None,
        exclude=(),
        max_complexity: int | None = None,
        parsimony: float | None = None,
    ):
        self.model_selection = model_selection
        self.time_budget = time_budget
        self.random_state = random_state
        self.device = device
        self.methods = methods
        self.hidden = hidden
        self.grid_sizes = grid_sizes
        self.steps = steps
        self.lamb = lamb
        self.restarts = restarts
        self.max_rows = max_rows
        self.test_fraction = test_fraction
        self.val_fraction = val_fraction
        self.units = units
        self.primitives = primitives
        self.custom_primitives = custom_primitives
        self.guesses = guesses
        self.templates = templates
        self.inputs = inputs
        self.exclude = exclude
        self.max_complexity = max_complexity
        self.parsimony = parsimony

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    # ------------------------------------------------------------------ fitting

    def _config(self) -> FitConfig:
        seed = self.random_state
        if seed is None:
            seed = 0
        elif not isinstance(seed, numbers.Integral):
            seed = int(check_random_state(seed).randint(2**31 - 1))
        methods = self.methods
        if isinstance(methods, str):
            methods = (methods,)
        grids = self.grid_sizes
        return FitConfig(
            seed=int(seed), device=self.device, test_fraction=self.test_fraction,
            val_fraction=self.val_fraction, hidden=self.hidden,
            grid_sizes=tuple(grids) if isinstance(grids, (list, tuple)) else grids,
            steps=self.steps, lamb=self.lamb,
            methods=tuple(methods) if isinstance(methods, (list, tuple)) else methods,
            max_rows=self.max_rows, time_budget=self.time_budget,
            model_selection=self.model_selection, restarts=self.restarts,
            units=None if self.units is None else dict(self.units),
            primitives=_names(self.primitives), custom_primitives=_names(self.custom_primitives),
            guesses=_names(self.guesses), templates=_names(self.templates),
            inputs=_names(self.inputs), exclude=_names(self.exclude),
            max_complexity=self.max_complexity, parsimony=self.parsimony,
        ).validate()  # the one place settings are checked

    def fit(self, X, y, sample_weight=None) -> SymKANRegressor:
        """Find a Pareto front of formulas for ``y`` (each column of a 2-D ``y``).

        Parameters
        ----------
        X : array-like or pandas.DataFrame, shape (n, d)
            A DataFrame's string column names become the formula's variables (they must be
            Python identifiers); otherwise the variables are ``x0, x1, ...``.
        y : array-like, pandas Series or DataFrame, shape (n,) or (n, k)
            One formula per column when 2-D.
        sample_weight : array-like, shape (n,), optional
            One weight >= 0 per row (e.g. ``1/σ²`` of its measurement error): every constant
            fit, snap and held-out error of the search is weighted.

        Returns
        -------
        self
        """
        config = self._config()
        target_names = _target_names(y)
        X_arr, y_arr = validate_data(self, X, y, multi_output=True, y_numeric=True,
                                     dtype=np.float64)
        names = list(getattr(self, "feature_names_in_", [])) or None
        if X_arr.shape[0] < _MIN_ROWS:
            raise InputError(
                f"X has {X_arr.shape[0]} rows (n_samples = {X_arr.shape[0]}); symkan needs at "
                f"least {_MIN_ROWS} to fit, validate and test a formula: add rows"
            )
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X_arr, dtype=np.float64,
                                                 ensure_non_negative=True)
            if not sample_weight.sum() > 0:
                raise InputError("sample_weight is zero on every row; the sample weights "
                                 "must contain at least one non-zero weight")
        Y = y_arr[:, None] if y_arr.ndim == 1 else y_arr
        if target_names is None or len(target_names) != Y.shape[1]:
            target_names = ["y"] if Y.shape[1] == 1 else [f"y{j}" for j in range(Y.shape[1])]
        results = []
        for j in range(Y.shape[1]):
            target = _free_name(target_names[j], names or [f"x{i}" for i in range(X_arr.shape[1])])
            ds = from_arrays(X_arr, Y[:, j], names, target_name=target, min_rows=_MIN_ROWS)
            results.append(fit(ds, config, sample_weight=sample_weight))
        self.results_ = results
        self.n_outputs_ = Y.shape[1]
        self._y_ndim = y_arr.ndim
        one = self._y_ndim == 1
        formulas = [r.expr for r in results]
        self.formula_ = formulas[0] if one else formulas
        tables = [_equations(r) for r in results]
        self.equations_ = tables[0] if one else tables
        self.model_ = results[0].model if one else [r.model for r in results]
        return self

    # ------------------------------------------------------------------ using it

    def _chosen(self, index) -> list[sympy.Expr]:
        """The formula of each target: the ``model_selection`` choice, or row ``index``."""
        check_is_fitted(self)
        fronts = [r.pareto for r in self.results_]
        if index is None:
            return [select(f, self.model_selection, scale=r.scale,
                           parsimony=r.settings.get("parsimony")).expr
                    for f, r in zip(fronts, self.results_)]
        rows = [index] if isinstance(index, numbers.Integral) else list(index)
        if len(rows) != len(fronts):
            raise InputError(
                f"index={index!r}: give one row of equations_ per target ({len(fronts)} "
                "targets), e.g. index=[2, 0]"
            )
        out = []
        for row, front in zip(rows, fronts):
            if not isinstance(row, numbers.Integral) or not -len(front) <= row < len(front):
                raise InputError(
                    f"index {row!r} is not a row of equations_, which has {len(front)} rows "
                    f"(0..{len(front) - 1})"
                )
            out.append(front[row].expr)
        return out

    def _used(self, result) -> list[int]:
        """Columns of X that are the result's inputs (some may have been left out)."""
        used = list(result.dataset.feature_names)
        if len(used) == self.n_features_in_:
            return list(range(self.n_features_in_))
        names = list(getattr(self, "feature_names_in_", [])) or [
            f"x{i}" for i in range(self.n_features_in_)]
        return [names.index(n) for n in used]

    def _one(self, values: list):
        return values[0] if self._y_ndim == 1 else values

    def predict(self, X, index=None) -> np.ndarray:
        """Evaluate the chosen formula (or row ``index`` of ``equations_``) at the rows of X.

        Returns shape (n,) for a 1-D ``y`` in fit, (n, k) for a 2-D one.
        """
        exprs = self._chosen(index)
        X_arr = validate_data(self, X, reset=False, dtype=np.float64)
        cols = [evaluate(e, r.symbols, X_arr[:, self._used(r)])
                for e, r in zip(exprs, self.results_)]
        return cols[0] if self._y_ndim == 1 else np.column_stack(cols)

    def sympy(self, index=None):
        """The chosen formula as a sympy expression (a list of them for a 2-D ``y``)."""
        return self._one(self._chosen(index))

    def latex(self, index=None, precision: int = 4):
        """The chosen formula in LaTeX, floats to ``precision`` significant digits."""
        chosen = self._chosen(index)  # checks that the estimator is fitted
        names = self.results_[0].dataset.feature_names
        return self._one([to_latex(shown(e, names), precision) for e in chosen])

    def diagram(self):
        """The chosen formula as its own network of sum and product nodes, as Graphviz DOT
        text (a list for a 2-D ``y``); the pruned KAN when the formula has no network.

        Render it with ``symkan.outputs.diagram.render(dot, "svg")`` or any Graphviz viewer.
        """
        check_is_fitted(self)
        return self._one([diagram_dot(r) for r in self.results_])


def _equations(result: FitResult) -> pd.DataFrame:
    front = result.pareto
    return pd.DataFrame({
        "complexity": [c.complexity for c in front],
        "loss": [c.val_rmse for c in front],
        "score": scores(front),
        "sympy": [c.expr for c in front],
        "latex": [to_latex(shown(c.expr, result.dataset.feature_names)) for c in front],
        "method": [c.method for c in front],
    })


def _target_names(y) -> list[str] | None:
    if isinstance(y, pd.DataFrame):
        names = [str(c) for c in y.columns]
    elif isinstance(y, pd.Series) and isinstance(y.name, str):
        names = [y.name]
    else:
        return None
    return names if all(n.isidentifier() for n in names) else None


def _free_name(name: str, taken: Sequence[str]) -> str:
    """`name`, or a variant of it that is not a feature name."""
    out, k = name, 0
    while out in taken:
        k += 1
        out = f"{name}_{k}"
    return out
