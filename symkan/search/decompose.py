"""Split a function into sums and products of functions of fewer variables.

The trained KAN serves as a surrogate ``f`` that can be evaluated anywhere in the data's
box. Two variables ``i`` and ``j`` *interact additively* unless the mixed difference

    f(x) + f(x with x_i, x_j moved) - f(x with x_i moved) - f(x with x_j moved)

vanishes (then ``∂²f/∂x_i∂x_j = 0``); they *interact multiplicatively* unless
``f(x)·f(x_ij) - f(x_i)·f(x_j)`` vanishes. The connected components of the interaction
graph are the groups of a sum (``f = Σ f_g - (k-1)·f(x0)``) or a product
(``f = Π f_g / f(x0)^(k-1)``), where ``f_g`` is ``f`` with the other groups held at an
anchor point ``x0`` (AI Feynman, Udrescu & Tegmark 2020; KAN 2.0, Liu et al. 2024).
The split recurses until single variables (leaves) or non-separable blocks remain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

Surrogate = Callable[[np.ndarray], np.ndarray]  # (n, D) raw inputs → (n,)


@dataclass(frozen=True)
class Node:
    """A node of the separability tree.

    ``kind`` is ``"leaf"`` (one variable), ``"sum"``, ``"prod"`` or ``"block"`` (several
    variables that do not separate). ``fixed`` holds the values at which every variable
    outside ``vars`` is held when this node's function is evaluated; ``value`` is the
    node's function at its anchor (the constant in the sum/product identities).
    """

    kind: str
    vars: tuple[int, ...]
    fixed: dict[int, float] = field(default_factory=dict)
    children: tuple[Node, ...] = ()
    value: float = 0.0
    offset: float = 0.0  # products: f = offset + Π (f_g - offset) / (value - offset)^(k-1)

    def leaves(self) -> list[Node]:
        if self.kind in ("leaf", "block"):
            return [self]
        return [leaf for child in self.children for leaf in child.leaves()]


@dataclass(frozen=True)
class SeparabilityConfig:
    """How small a normalised mixed difference must be to count as "no interaction".

    ``rule="fixed"``: below ``tol``. ``rule="gap"``: the scores of a node are sorted and
    cut at the first ratio gap (at least ``min_gap``) above the bottom cluster, whose
    top must stay below ``cap`` (the noise floor of the test); scores all below ``tol``
    mean no interaction at all. ``tol`` and ``cap`` scale with the surrogate's error.
    """

    samples: int = 1024
    rule: str = "gap"
    tol: float = 3e-3
    cap: float = 0.2
    min_gap: float = 2.0


def threshold(scores: np.ndarray, config: SeparabilityConfig) -> float:
    """The interaction threshold for one node's pair scores (upper triangle used)."""
    vals = np.sort(scores[np.triu_indices_from(scores, 1)])
    if vals.size == 0 or config.rule == "fixed" or vals[-1] <= config.tol:
        return config.tol
    lower, upper = vals[:-1], vals[1:]
    ratio = upper / np.maximum(lower, 1e-300)
    ok = (lower <= config.cap) & (ratio >= config.min_gap)
    if not ok.any():
        return config.tol
    k = int(np.argmax(ok))  # the first qualifying gap: above it every pair interacts
    return float(np.sqrt(lower[k] * upper[k]))


def restricted(f: Surrogate, fixed: dict[int, float]) -> Surrogate:
    """``f`` with the columns in ``fixed`` overwritten by their values."""

    def g(X: np.ndarray) -> np.ndarray:
        X = X.copy()
        for col, value in fixed.items():
            X[:, col] = value
        return f(X)

    return g


def _random_points(
    vars: tuple[int, ...], fixed: dict[int, float], low: np.ndarray, high: np.ndarray,
    n: int, rng: np.random.Generator,
) -> np.ndarray:
    X = rng.uniform(low, high, size=(n, len(low)))  # (n, D)
    for col, value in fixed.items():
        X[:, col] = value
    return X


def interactions(
    f: Surrogate, vars: tuple[int, ...], fixed: dict[int, float], low: np.ndarray,
    high: np.ndarray, rng: np.random.Generator, samples: int = 256,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Interaction scores of every pair of ``vars``: additive, multiplicative, and
    multiplicative after removing the best constant offset ``c`` (``f - c`` a product).

    Returns three ``(len(vars), len(vars))`` arrays of normalised rms mixed differences
    and the offset. With ``A`` the additive and ``P`` the product mixed difference of
    ``f``, those of ``f - c`` are ``A`` and ``P - c·A``; ``c`` is their least-squares zero.
    """
    g = restricted(f, fixed)
    base = _random_points(vars, fixed, low, high, samples, rng)  # (m, D)
    moved = _random_points(vars, fixed, low, high, samples, rng)  # (m, D)
    f00 = g(base)
    scale_add = float(np.std(f00)) + 1e-300
    scale_mul = float(np.mean(f00**2)) + 1e-300
    k = len(vars)
    add, mul, mul_c = np.zeros((k, k)), np.zeros((k, k)), np.zeros((k, k))
    pairs = [(a, b) for a in range(k) for b in range(a + 1, k)]
    if not pairs:
        return add, mul, mul_c, 0.0
    singles = []
    for a in range(k):
        X = base.copy()
        X[:, vars[a]] = moved[:, vars[a]]
        singles.append(X)
    doubles = []
    for a, b in pairs:
        X = base.copy()
        X[:, [vars[a], vars[b]]] = moved[:, [vars[a], vars[b]]]
        doubles.append(X)
    values = g(np.concatenate(singles + doubles))  # one surrogate call for all pairs
    f1 = values[: k * samples].reshape(k, samples)
    f2 = values[k * samples :].reshape(len(pairs), samples)
    d_add = np.stack([f00 + f2[p] - f1[a] - f1[b] for p, (a, b) in enumerate(pairs)])
    d_mul = np.stack([f00 * f2[p] - f1[a] * f1[b] for p, (a, b) in enumerate(pairs)])
    offset = float(np.sum(d_mul * d_add) / (np.sum(d_add**2) + 1e-300))
    scale_c = float(np.mean((f00 - offset) ** 2)) + 1e-300
    for p, (a, b) in enumerate(pairs):
        add[a, b] = add[b, a] = np.sqrt(np.mean(d_add[p] ** 2)) / scale_add
        mul[a, b] = mul[b, a] = np.sqrt(np.mean(d_mul[p] ** 2)) / scale_mul
        shifted = d_mul[p] - offset * d_add[p]
        mul_c[a, b] = mul_c[b, a] = np.sqrt(np.mean(shifted**2)) / scale_c
    return add, mul, mul_c, offset


def _groups(vars: tuple[int, ...], scores: np.ndarray, tol: float) -> list[tuple[int, ...]]:
    graph = nx.Graph()
    graph.add_nodes_from(range(len(vars)))
    graph.add_edges_from(
        (a, b) for a in range(len(vars)) for b in range(a + 1, len(vars)) if scores[a, b] > tol
    )
    comps = sorted(sorted(c) for c in nx.connected_components(graph))
    return [tuple(vars[i] for i in comp) for comp in comps]


def separate(
    f: Surrogate,
    low: np.ndarray,
    high: np.ndarray,
    *,
    rng: np.random.Generator,
    config: SeparabilityConfig = SeparabilityConfig(),
    vars: tuple[int, ...] | None = None,
    fixed: dict[int, float] | None = None,
) -> Node:
    """The separability tree of ``f`` on the box ``[low, high]`` (arrays of shape (D,))."""
    vars = tuple(range(len(low))) if vars is None else vars
    fixed = dict(fixed or {})
    if len(vars) == 1:
        return Node("leaf", vars, fixed)
    # anchor: the candidate point where |f| is largest keeps product identities well-conditioned
    candidates = _random_points(vars, fixed, low, high, 64, rng)
    fc = restricted(f, fixed)(candidates)
    top = int(np.argmax(np.abs(fc)))
    anchor, value = candidates[top], float(fc[top])
    add, mul, mul_c, offset = interactions(f, vars, fixed, low, high, rng, config.samples)
    tests = (("sum", add, 0.0), ("prod", mul, 0.0), ("prod", mul_c, offset))
    for kind, scores, c in tests:
        groups = _groups(vars, scores, threshold(scores, config))
        if len(groups) < 2 or (c != 0.0 and abs(value - c) < 1e-9 * (abs(value) + abs(c))):
            continue
        children = []
        for group in groups:
            child_fixed = dict(fixed)
            child_fixed.update({v: float(anchor[v]) for v in vars if v not in group})
            children.append(
                separate(f, low, high, rng=rng, config=config, vars=group, fixed=child_fixed)
            )
        return Node(kind, vars, fixed, tuple(children), value, c)
    return Node("block", vars, fixed, (), value)
