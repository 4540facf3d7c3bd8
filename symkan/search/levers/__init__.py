"""The levers of the search, one module each, in the order the solver tries them.

Terminal solvers propose formulas directly; reducers make smaller problems and solve
them with the same solver. Every lever is a `symkan.search.types.Lever`. The user's own
guesses and templates (`guesses`) come first.
"""

from symkan.search.levers import (
    composite,
    dimensional,
    enumeration,
    groups,
    guesses,
    kanpath,
    offset,
    onelayer,
    rational,
    residual,
    separable,
    symmetries,
    terms,
    transforms,
)

ALL = (guesses.GUESS, guesses.TEMPLATE,
       onelayer.LEVER, composite.LEVER, rational.LEVER, terms.LEVER, offset.LEVER,
       enumeration.LEVER,
       dimensional.LEVER,
       groups.LEVER, symmetries.LEVER, separable.LEVER, residual.LEVER, transforms.LEVER,
       kanpath.LEVER)

__all__ = ["ALL"]
