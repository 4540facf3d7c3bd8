"""A formula compiled into the KAN that computes it (KAN 2.0's "kanpiler").

Liu et al. 2024 (arXiv 2408.10205, §2.3) compile a symbolic formula into a KAN whose
edges are the formula's one-variable pieces and whose nodes are sums and products
(multiplication nodes, as in MultKAN). `compile_formula` does that for any sympy formula
built from sums, products, powers and one-argument functions:

* every part of the formula that depends on one node only is folded into one edge
  (``sin(theta)``, ``x**-0.5``, ``1 - x``), constants included;
* a sum or product of parts that depend on different nodes becomes a sum or product node;
* a part used twice is computed once (the node is shared);
* nodes sit at their depth; an edge that skips layers passes through identity nodes, so
  the result is a plain layered KAN (every edge goes from layer ``l`` to ``l + 1``).

For ``q*(B*v*sin(theta) + Ef)``: a product node for ``B·v·sin θ`` (edges ``x``, ``x``,
``sin(x)``), a sum node with ``Ef``, a product node with ``q``. `FormulaKAN.predict`
evaluates that network edge by edge (numpy, float64), so the drawn network can be checked
against the formula it came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy

from symkan.errors import InputError
from symkan.formula.numeric import as_column, lambdify_numpy

__all__ = ["FormulaEdge", "FormulaKAN", "NotCompilable", "X", "compile_formula"]

X = sympy.Symbol("x", real=True)  # the input of every edge function


class NotCompilable(InputError):
    """The formula has a part that is not a sum, product, power or one-argument function
    (``Max(x, y)``, ``atan2(y, x)``), or no variable at all."""


@dataclass(frozen=True)
class FormulaEdge:
    """Edge from node ``i`` of layer ``layer`` to node ``j`` of layer ``layer + 1``.

    ``fn`` is the edge's function of `X` (constants folded in); ``x`` itself for an
    identity edge that only carries a value up a layer.
    """

    layer: int
    i: int
    j: int
    fn: sympy.Expr

    @property
    def identity(self) -> bool:
        return self.fn == X

    def values(self, x: np.ndarray) -> np.ndarray:
        """The edge's function at the points ``x`` (1-D) → same shape, float64."""
        return _edge_values(self.fn, np.asarray(x, dtype=np.float64))


@dataclass(frozen=True)
class FormulaKAN:
    """A layered network of sum and product nodes whose edges are one-variable functions.

    Attributes
    ----------
    widths : tuple of int
        Nodes per layer, inputs first; the last layer has one node, the output.
    node_kinds : tuple of tuple of str
        ``"sum"`` or ``"mult"`` for each node of every layer after the inputs.
    edges : tuple of FormulaEdge
        Sorted by ``(layer, i, j)``.
    inputs : tuple of int
        The feature (column) index of each input node.
    """

    widths: tuple[int, ...]
    node_kinds: tuple[tuple[str, ...], ...]
    edges: tuple[FormulaEdge, ...]
    inputs: tuple[int, ...]

    def node_values(self, X_all: np.ndarray) -> list[np.ndarray]:
        """Every node's value at the rows of ``X_all`` ((n, n_features)) → one (n, width)
        array per layer."""
        X_all = np.asarray(X_all, dtype=np.float64)
        n = X_all.shape[0]
        values = [X_all[:, list(self.inputs)]]
        for layer, kinds in enumerate(self.node_kinds):
            out = np.array([[0.0 if k == "sum" else 1.0 for k in kinds]] * n)  # (n, width)
            for e in (e for e in self.edges if e.layer == layer):
                v = e.values(values[layer][:, e.i])
                if kinds[e.j] == "sum":
                    out[:, e.j] += v
                else:
                    out[:, e.j] *= v
            values.append(out)
        return values

    def predict(self, X_all: np.ndarray) -> np.ndarray:
        """The network's output at the rows of ``X_all`` ((n, n_features)) → (n,)."""
        return self.node_values(X_all)[-1][:, 0]


@lru_cache(maxsize=512)
def _edge_function(fn: sympy.Expr):
    """numpy code of an edge function, made once per function (a diagram evaluates each
    edge several times: node values, strengths, curves)."""
    return lambdify_numpy([X], fn)


def _edge_values(fn: sympy.Expr, x: np.ndarray) -> np.ndarray:
    if fn == X:
        return x
    f = _edge_function(fn)
    with np.errstate(all="ignore"):
        out = as_column(f(x), x.shape[0])
    return np.asarray(out, dtype=np.float64)


# ----------------------------------------------------------------------------- compiling


@dataclass(frozen=True)
class _Node:
    kind: str  # "input", "sum" or "mult"
    feature: int = -1  # for inputs
    parts: tuple[tuple[int, sympy.Expr], ...] = ()  # (child node id, edge function)


@dataclass(frozen=True)
class _Ref:
    """``fn(value of node)``: a value not yet on an edge."""

    node: int
    fn: sympy.Expr


class _Builder:
    def __init__(self, symbols: Sequence[sympy.Symbol]):
        self.index = {s: k for k, s in enumerate(symbols)}
        self.nodes: list[_Node] = []
        self.memo: dict[sympy.Expr, _Ref] = {}
        self.inputs: dict[int, int] = {}  # feature → node id

    def ref(self, expr: sympy.Expr) -> _Ref:
        if expr not in self.memo:
            self.memo[expr] = self._ref(expr)
        return self.memo[expr]

    def _ref(self, expr: sympy.Expr) -> _Ref:
        if expr.is_Symbol:
            if expr not in self.index:
                raise NotCompilable(f"{expr} is not one of the formula's variables")
            k = self.index[expr]
            if k not in self.inputs:
                self.inputs[k] = self._add(_Node("input", feature=k))
            return _Ref(self.inputs[k], X)
        if expr.is_Add or expr.is_Mul:
            return self._combine(expr)
        if expr.is_Pow:
            base, exp = expr.args
            if exp.is_number:
                r = self.ref(base)
                return _Ref(r.node, r.fn**exp)
            if base.is_number:
                r = self.ref(exp)
                return _Ref(r.node, base**r.fn)
            return self.ref(sympy.exp(exp * sympy.log(base)))
        if isinstance(expr, sympy.Function) and len(expr.args) == 1:
            r = self.ref(expr.args[0])
            return _Ref(r.node, expr.func(r.fn))
        raise NotCompilable(
            f"{sympy.sstr(expr)} is not a sum, product, power or one-argument function")

    def _combine(self, expr: sympy.Expr) -> _Ref:
        """A sum or product: one edge when every part hangs on one node, else a new node."""
        const = sympy.S.Zero if expr.is_Add else sympy.S.One
        by_node: dict[int, sympy.Expr] = {}
        for arg in expr.args:
            if arg.is_number:
                const = const + arg if expr.is_Add else const * arg
                continue
            r = self.ref(arg)
            prev = by_node.get(r.node)
            by_node[r.node] = r.fn if prev is None else (
                prev + r.fn if expr.is_Add else prev * r.fn)
        nodes = list(by_node)
        first = nodes[0]
        by_node[first] = by_node[first] + const if expr.is_Add else by_node[first] * const
        if len(nodes) == 1:
            return _Ref(first, by_node[first])
        kind = "sum" if expr.is_Add else "mult"
        return _Ref(self._add(_Node(kind, parts=tuple(by_node.items()))), X)

    def _add(self, node: _Node) -> int:
        self.nodes.append(node)
        return len(self.nodes) - 1


def compile_formula(expr: sympy.Expr, symbols: Sequence[sympy.Symbol]) -> FormulaKAN:
    """The layered KAN of sum and product nodes that computes ``expr``.

    Parameters
    ----------
    expr : sympy.Expr
        The formula, over (some of) ``symbols``.
    symbols : sequence of sympy.Symbol
        One per feature column, in column order; `FormulaKAN.inputs` indexes them.

    Raises
    ------
    NotCompilable
        ``expr`` has no variable, or a part with several arguments that is not a sum,
        product or power.

    Examples
    --------
    >>> q, B, v, t, E = sympy.symbols("q B v theta Ef", real=True)
    >>> net = compile_formula(q * (B * v * sympy.sin(t) + E), [q, B, v, t, E])
    >>> net.widths, net.node_kinds[-1]
    ((5, 3, 2, 1), ('mult',))
    >>> sorted(sympy.sstr(e.fn) for e in net.edges if not e.identity)
    ['sin(x)']
    """
    expr = sympy.sympify(expr)
    if not expr.free_symbols:
        raise NotCompilable(f"{expr} has no variable; a constant has no network")
    b = _Builder(symbols)
    top = b.ref(expr)
    root = top.node
    if b.nodes[root].kind == "input" or top.fn != X:
        root = b._add(_Node("sum", parts=((top.node, top.fn),)))
    return _layered(b, root)


def _layered(b: _Builder, root: int) -> FormulaKAN:
    """Place nodes at their depth, pass skipping edges through identity nodes, order each
    layer by where its nodes' inputs sit (fewer crossings)."""
    depth: dict[int, int] = {}
    for k, node in enumerate(b.nodes):  # children are always made before their parents
        depth[k] = 0 if node.kind == "input" else 1 + max(depth[c] for c, _ in node.parts)
    top = depth[root]
    kinds: dict[int, str] = {k: n.kind for k, n in enumerate(b.nodes)}
    layer_of = dict(depth)
    edges: list[tuple[int, int, sympy.Expr]] = []  # (src id, dst id, fn)
    relay: dict[tuple[int, int, sympy.Expr], int] = {}  # (src, layer, fn) → identity node
    live = _ancestors(b, root)
    for k in sorted(live):
        for child, fn in b.nodes[k].parts:
            src, fn_here = child, fn
            for layer in range(depth[child] + 1, depth[k]):  # skipped layers
                key = (child, layer, fn)
                if key not in relay:
                    relay[key] = len(kinds)
                    kinds[relay[key]] = "sum"
                    layer_of[relay[key]] = layer
                    edges.append((src, relay[key], fn_here))
                src, fn_here = relay[key], X
            edges.append((src, k, fn_here))
    edges = list(dict.fromkeys(edges))  # a relay's first hop is shared
    members: list[list[int]] = [[] for _ in range(top + 1)]
    for k in sorted(set(live) | set(relay.values())):
        members[layer_of[k]].append(k)
    members[0].sort(key=lambda k: b.nodes[k].feature)
    pos = {k: i for i, k in enumerate(members[0])}
    for layer in range(1, top + 1):
        sources = {k: [pos[s] for s, d, _ in edges if d == k] for k in members[layer]}
        members[layer].sort(key=lambda k: (sum(sources[k]) / len(sources[k]), k))
        pos.update({k: i for i, k in enumerate(members[layer])})
    out = sorted(
        (FormulaEdge(layer_of[s], pos[s], pos[d], fn) for s, d, fn in edges),
        key=lambda e: (e.layer, e.i, e.j),
    )
    return FormulaKAN(
        widths=tuple(len(m) for m in members),
        node_kinds=tuple(tuple(kinds[k] for k in m) for m in members[1:]),
        edges=tuple(out),
        inputs=tuple(b.nodes[k].feature for k in members[0]),
    )


def _ancestors(b: _Builder, root: int) -> set[int]:
    """The nodes ``root`` is computed from (itself included)."""
    seen, todo = set(), [root]
    while todo:
        k = todo.pop()
        if k not in seen:
            seen.add(k)
            todo += [c for c, _ in b.nodes[k].parts]
    return seen
