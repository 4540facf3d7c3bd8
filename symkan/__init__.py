"""symkan: symbolic regression with Kolmogorov-Arnold Networks.

CSV → Dataset → KAN → trained → pruned → snapped → formula. The stages live in their own
packages (`data`, `kan`, `symbolic`, `formula`; `outputs` and `export` after the fit);
`symkan.pipeline.fit` chains them and the CLI calls it.
"""

from symkan.data import Dataset, from_arrays, load_csv
from symkan.errors import InputError, SymkanError
from symkan.estimator import SymKANRegressor
from symkan.formula import parse_formula
from symkan.kan import KAN, KANLayer
from symkan.outputs.persist import FittedModel, load, save
from symkan.pipeline import FitConfig, FitResult, fit

__all__ = [
    "KAN",
    "Dataset",
    "FitConfig",
    "FitResult",
    "FittedModel",
    "InputError",
    "KANLayer",
    "SymKANRegressor",
    "SymkanError",
    "fit",
    "from_arrays",
    "load",
    "load_csv",
    "parse_formula",
    "save",
]
__version__ = "0.1.0"
