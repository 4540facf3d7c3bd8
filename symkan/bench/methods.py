"""The regressors a benchmark can run, behind one small interface.

``fit(method, dataset, config)`` returns a `Fitted`: the found formula as sympy (in the
dataset's variable names), its predictions, complexity and the device it ran on.

* ``symkan``: `symkan.pipeline.fit` with default settings (and the run's time budget);
* ``symkan-units``: the same, also given every column's units from the problem table,
  so it first reduces the law by dimensional analysis (`symkan.search.units`);
* ``operon``: Operon (``pyoperon``, the optional ``operon`` extra) with the settings of
  `OPERON_SETTINGS`, on the same rows; its model string is read back with
  `symkan.formula.parse_formula`, so both are judged by the same code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import sympy

from symkan.bench.special import special_record
from symkan.data import Dataset
from symkan.errors import InputError
from symkan.formula.expression import complexity
from symkan.formula.numeric import evaluate
from symkan.formula.parse import parse_formula
from symkan.pipeline import FitConfig, surrogate_report
from symkan.pipeline import fit as pipeline_fit

# Operon as configured for the side-by-side table: 500k evaluations, two threads (the
# machine's cores), the usual arithmetic plus the unary functions Feynman laws use.
OPERON_SETTINGS = {
    "allowed_symbols": "add,sub,mul,div,constant,variable,sin,cos,exp,log,sqrt",
    "max_evaluations": 500_000,
    "n_threads": 2,
    "max_length": 50,
}


@dataclass(frozen=True)
class Fitted:
    expr: sympy.Expr
    symbols: tuple[sympy.Symbol, ...]
    device: str
    extra_fn: Callable[..., dict] | None = field(default=None, repr=False)
    timings: dict = field(default_factory=dict)  # seconds per lever path (symkan)
    method: str = ""  # the lever path that built the formula (symkan)
    # the top problem's surrogate (symkan): network, held-out relative error, and whether
    # the search trained it; a callable when the search did not (the runner calls it after
    # timing the fit, so its training is not in the record's seconds)
    surrogate: dict | Callable[[], dict] | None = None

    @property
    def complexity(self) -> int:
        return complexity(self.expr)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return evaluate(self.expr, self.symbols, X)

    def extra(self, problem, data: Dataset, test: Dataset) -> dict:
        """Method- or suite-specific fields of the record (e.g. the MLP baseline)."""
        return self.extra_fn(problem, data, test) if self.extra_fn else {}


def fit(method: str, data: Dataset, config, problem=None) -> Fitted:
    if method == "symkan":
        return _fit_symkan(data, config)
    if method == "symkan-units":
        units = dict(problem.units) if problem is not None else {}
        if not units:
            raise InputError(f"problem {getattr(problem, 'name', '?')!r} has no units; "
                             "use --method symkan")
        if problem.output in units:
            units[data.target_name] = units[problem.output]
        return _fit_symkan(data, config, units)
    if method == "operon":
        return _fit_operon(data, config)
    raise InputError(f"method {method!r} unknown; choose 'symkan', 'symkan-units' or 'operon'")


def _fit_symkan(data: Dataset, config, units: dict | None = None) -> Fitted:
    settings = FitConfig(seed=0, time_budget=config.time_budget, device="auto", units=units)
    if config.fast:
        settings = replace(settings, grid_sizes=(3, 5), steps=15, methods=("additive", "kan"))
    result = pipeline_fit(data, settings)
    sur = result.structure.get("surrogate")
    if sur is not None:
        sur = {**sur, "by_search": True}
    elif not config.fast:  # a smoke run reports none
        def sur(data=data, settings=settings):
            return {**surrogate_report(data, settings), "by_search": False}
    extra = None
    if config.suite == "special":
        def extra(problem, data, test, result=result):
            return special_record(problem, result, data, test)

    return Fitted(result.expr, result.symbols, result.device, extra, dict(result.timings),
                  result.method, sur)


def _fit_operon(data: Dataset, config) -> Fitted:
    try:
        from pyoperon.sklearn import SymbolicRegressor
    except ImportError:
        raise InputError("--method operon needs pyoperon: pip install 'symkan[operon]'") from None
    settings = dict(OPERON_SETTINGS, random_state=0, max_time=int(max(config.time_budget, 1)))
    if config.fast:
        settings.update(max_evaluations=20_000, n_threads=1)
    model = SymbolicRegressor(**settings)
    names = [f"x{i}" for i in range(data.X.shape[1])]
    model.fit(data.X, data.y)
    text = model.get_model_string(model.model_, 12, names)
    expr = parse_formula(text, names)
    symbols = data.symbols()
    expr = expr.subs({sympy.Symbol(n, real=True): s for n, s in zip(names, symbols)})
    return Fitted(expr, symbols, "cpu")
