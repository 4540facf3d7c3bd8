"""The levers of the search, one module each, in the order the solver tries them.

Terminal solvers propose formulas directly; reducers make smaller problems and solve
them with the same solver. Every lever is a `symkan.search.types.Lever`.
"""

from symkan.search.levers import (
    composite,
    dimensional,
    groups,
    kanpath,
    onelayer,
    rational,
    residual,
    separable,
    symmetries,
    transforms,
)

ALL = (onelayer.LEVER, composite.LEVER, rational.LEVER, dimensional.LEVER, groups.LEVER,
       symmetries.LEVER, separable.LEVER, residual.LEVER, transforms.LEVER, kanpath.LEVER)

__all__ = ["ALL"]
