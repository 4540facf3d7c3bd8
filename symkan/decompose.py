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

    def leaves(self) -> list[Node]:
        if self.kind in ("leaf", "block"):
            return [self]
        return [leaf for child in self.children for leaf in child.leaves()]


@dataclass(frozen=True)
class SeparabilityConfig:
    samples: int = 256
    tol_add: float = 3e-3  # rms mixed difference / std(f), below which: no interaction
    tol_mul: float = 3e-3  # rms mixed product difference / mean(f²)


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
) -> tuple[np.ndarray, np.ndarray]:
    """Additive and multiplicative interaction scores of every pair of ``vars``.

    Returns two ``(len(vars), len(vars))`` arrays of normalised rms mixed differences.
    """
    g = restricted(f, fixed)
    base = _random_points(vars, fixed, low, high, samples, rng)  # (m, D)
    moved = _random_points(vars, fixed, low, high, samples, rng)  # (m, D)
    f00 = g(base)
    scale_add = float(np.std(f00)) + 1e-300
    scale_mul = float(np.mean(f00**2)) + 1e-300
    k = len(vars)
    add, mul = np.zeros((k, k)), np.zeros((k, k))
    pairs = [(a, b) for a in range(k) for b in range(a + 1, k)]
    if not pairs:
        return add, mul
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
    for p, (a, b) in enumerate(pairs):
        d_add = f00 + f2[p] - f1[a] - f1[b]
        d_mul = f00 * f2[p] - f1[a] * f1[b]
        add[a, b] = add[b, a] = np.sqrt(np.mean(d_add**2)) / scale_add
        mul[a, b] = mul[b, a] = np.sqrt(np.mean(d_mul**2)) / scale_mul
    return add, mul


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
    anchor = candidates[int(np.argmax(np.abs(fc)))]
    value = float(np.max(np.abs(fc))) * float(np.sign(fc[int(np.argmax(np.abs(fc)))]))
    add, mul = interactions(f, vars, fixed, low, high, rng, config.samples)
    for kind, scores, tol in (("sum", add, config.tol_add), ("prod", mul, config.tol_mul)):
        groups = _groups(vars, scores, tol)
        if len(groups) < 2:
            continue
        children = []
        for group in groups:
            child_fixed = dict(fixed)
            child_fixed.update({v: float(anchor[v]) for v in vars if v not in group})
            children.append(
                separate(f, low, high, rng=rng, config=config, vars=group, fixed=child_fixed)
            )
        return Node(kind, vars, fixed, tuple(children), value)
    return Node("block", vars, fixed, (), value)
