"""From KAN edges to formulas: the primitive library, batched edge fits, the choice of one
primitive per edge, snapping a network, and univariate fits.

``library`` ← ``choice`` ← ``fit`` ← ``snap``, ``univariate``.
"""
