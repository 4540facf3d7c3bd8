"""What the network learned: dimensionless groups, the inputs it uses, redundant geometry.

`explain` reads a `FittedModel` and computes, on its held-out rows,

* the **log-gradient spectrum** (the neural feature matrix, AGOP, in log coordinates):
  per row ``g_i = ∂ log|f| / ∂ log|x_i| = x_i·(∂f/∂x_i)/f``, from the trained network by
  autograd and, as an oracle, from the formula by `sympy.diff`. The centred covariance
  ``C = E[(g − ḡ)(g − ḡ)ᵀ]`` varies only along the law's groups: ``m0/sqrt(1 − v²/c²)``
  has ``ḡ ≈ (1, ·, ·)`` (the prefactor ``m0``) and one direction ``(0, 1, −1)``, the group
  ``v/c``. A direction counts as a group when its eigenvalue is at least `REL_EIGEN` of
  the largest (`EXACT_EIGEN` in the formula's exact spectrum) and `ABS_EIGEN` of
  ``tr E[g gᵀ]`` (a pure power law has none). Columns that
  change sign or touch 0 are left out of this analysis, and the result says so;
* the **attribution** of each input: mean ``|∂f/∂x_i|·std(x_i)``, shares summing to 1;
* the **isometry gap** ``−log(det(G)^(1/d) / (tr(G)/d))`` of the standardized inputs'
  Gram matrix ``G`` (0: orthogonal columns, inf: collinear), and of the alive outputs of
  the network's first layer.

The groups are named from the formula's spectrum when the formula reproduces the
held-out rows (R² > `FORMULA_R2`), else from the network's; `Insight.groups_source` says
which. The network's spectrum is reported as it is, and it is rough: on Feynman I.10.7
(1000 rows, `symkan fit`) the briefly trained network (R² 0.995) gave relative eigenvalues
(1, 0.73, 0.33), with 37% of its variance along ``v/c``; the full KAN path (R² 0.9989)
(1, 0.37, 0.30), 55% along ``v/c``; the formula's are (1, 0, 0).

Examples
--------
>>> import numpy as np
>>> isometry_gap(np.eye(3))
0.0
>>> isometry_gap(np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.1]])) > 3
True
>>> monomial([0.0, 0.7071, -0.7071], ["m0", "v", "c"], scale=True)
('v/c', (0.0, 1.0, -1.0), True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
import sympy
import torch

from symkan.formula.numeric import as_column, lambdify_numpy, r2
from symkan.outputs import insight_plot
from symkan.outputs.insight_plot import monomial
from symkan.outputs.persist import FittedModel

__all__ = ["ABS_EIGEN", "CORR_WARN", "EXACT_EIGEN", "FORMULA_R2", "REL_EIGEN", "Gap", "Group", "Insight",
           "Spectrum", "explain", "formula_gradients", "isometry_gap", "log_gradients",
           "log_spectrum", "monomial", "network_gradients"]

REL_EIGEN = 0.05  # a group's eigenvalue: at least this share of the largest ...
# ... (the formula's gradients are exact: a direction it does not vary along has an
# eigenvalue at rounding level, so any larger one is a group)
EXACT_EIGEN = 1e-6
ABS_EIGEN = 1e-3  # ... and of tr E[g gᵀ] (so a pure power law has no group)
FORMULA_R2 = 0.999  # the formula names the groups when it fits the held-out rows this well
CORR_WARN = 0.95  # |correlation| above which two columns are called near-collinear
_SPREAD_WARN = 0.025  # smallest eigenvalue of the correlation matrix / mean: collinearity
_F_TINY = 1e-3  # rows with |f| below this × median |f| are left out (log f blows up)


@dataclass(frozen=True)
class Group:
    """One group: ``name`` (e.g. ``'v/c'``) and its exponents over `Spectrum.variables`."""

    name: str
    exponents: tuple[float, ...]
    clean: bool  # every exponent is a small rational


@dataclass(frozen=True)
class Spectrum:
    """Eigen-decomposition of the log-gradient covariance, from ``source``.

    ``eigenvalues`` (descending, absolute) and ``vectors`` (unit, one per eigenvalue,
    over ``variables``) are those of the centred covariance; ``agop`` the eigenvalues of
    the plain ``E[g gᵀ]``; ``mean`` is ``ḡ``; ``groups`` the count and names it gives.
    """

    source: str  # "network" or "formula"
    variables: tuple[str, ...]
    rows: int
    eigenvalues: tuple[float, ...]
    vectors: tuple[tuple[float, ...], ...]
    agop: tuple[float, ...]
    mean: tuple[float, ...]
    groups: tuple[Group, ...]
    prefactor: str  # ḡ without its part along the groups, as a monomial ("1": none)

    @property
    def relative(self) -> tuple[float, ...]:
        top = self.eigenvalues[0] if self.eigenvalues and self.eigenvalues[0] > 0 else 1.0
        return tuple(v / top for v in self.eigenvalues)


@dataclass(frozen=True)
class Gap:
    """The isometry gap of standardized columns ``names`` (inf when collinear)."""

    names: tuple[str, ...]
    gap: float
    pair: tuple[str, str, float] | None  # the pair of largest |correlation|, and it
    weakest: tuple[str, ...]  # columns carrying the smallest eigenvector
    warning: str | None


@dataclass(frozen=True)
class Insight:
    """What `explain` found; `to_record`, `text`, `markdown` and `figure_svg` show it."""

    target: str
    rows: int  # held-out rows measured on
    network: str | None  # "trained" or "pruned": whose gradients
    features: tuple[str, ...]
    network_spectrum: Spectrum | None
    formula_spectrum: Spectrum | None
    groups_source: str | None  # "formula" or "network"
    formula_r2: float | None
    network_r2: float | None
    agreement: float | None  # share of the network's log-gradient variance along the
    # formula's groups (1: it varies only along them); when the formula named them
    shares: tuple[float, ...]  # per feature, from the network
    formula_shares: tuple[float, ...] | None
    in_formula: tuple[bool, ...]
    input_gap: Gap | None
    hidden_gap: Gap | None
    notes: tuple[str, ...] = field(default=())

    @property
    def spectrum(self) -> Spectrum | None:
        """The spectrum that named the groups."""
        return self.formula_spectrum if self.groups_source == "formula" else self.network_spectrum

    @property
    def threshold(self) -> float:
        """The share of the largest eigenvalue a group's must reach (`REL_EIGEN` for the
        network's spectrum, `EXACT_EIGEN` for the formula's)."""
        return EXACT_EIGEN if self.groups_source == "formula" else REL_EIGEN

    @property
    def groups(self) -> tuple[Group, ...]:
        return self.spectrum.groups if self.spectrum is not None else ()

    def to_record(self) -> dict:
        """A JSON-safe dict (floats finite or None), for result.json's ``"insight"``."""
        thresholds = {"relative_eigenvalue": REL_EIGEN, "absolute_eigenvalue": ABS_EIGEN,
                      "formula_relative_eigenvalue": EXACT_EIGEN,
                      "formula_r2": FORMULA_R2, "collinear_corr": CORR_WARN}
        return insight_plot.record(self, thresholds)

    def text(self) -> str:
        """Terminal text for ``symkan explain RUN``."""
        return insight_plot.text(self)

    def markdown(self) -> str:
        """A report.md section, starting ``## What the network learned``."""
        return insight_plot.markdown(self)

    def html(self) -> str:
        """The same section for report.html, the figure inlined."""
        return insight_plot.html_section(self)

    def figure_svg(self) -> str:
        """A small SVG: the eigenvalue spectra and the per-input attribution."""
        return insight_plot.figure_svg(self)


# ----------------------------------------------------------------------------- log spectrum


def log_gradients(X: np.ndarray, f: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """``∂ log|f| / ∂ log|x_i| = x_i·(∂f/∂x_i)/f``, shape (n, d), from X, f (n,), grad (n, d).

    Examples
    --------
    >>> X = np.array([[2.0, 3.0]])  # f = x**2 / y
    >>> log_gradients(X, np.array([4 / 3]), np.array([[4 / 3, -4 / 9]]))
    array([[ 2., -1.]])
    """
    with np.errstate(all="ignore"):
        return X * grad / f[:, None]


def log_spectrum(X: np.ndarray, f: np.ndarray, grad: np.ndarray, names: Sequence[str],
                 source: str = "formula") -> Spectrum | None:
    """The spectrum of the log-gradients at the rows of ``X`` (n, d), columns ``names``.

    Rows where ``f`` is near 0 or a gradient is not finite are left out; ``None`` when
    fewer than 3 rows remain.
    """
    med = np.nanmedian(np.abs(f)) if f.size else 0.0
    g = log_gradients(X, f, grad)  # (n, d)
    ok = (np.abs(f) > _F_TINY * med) & np.all(np.isfinite(g), axis=1)
    g = g[ok]
    if g.shape[0] < 3:
        return None
    mean = g.mean(0)  # (d,)
    cov = (g - mean).T @ (g - mean) / g.shape[0]  # (d, d)
    vals, vecs = np.linalg.eigh(cov)
    order = np.argsort(vals)[::-1]
    vals, vecs = np.maximum(vals[order], 0.0), vecs[:, order]
    agop = np.sort(np.maximum(np.linalg.eigvalsh(g.T @ g / g.shape[0]), 0.0))[::-1]
    relative = EXACT_EIGEN if source == "formula" else REL_EIGEN
    count = int(np.sum((vals >= relative * vals[0]) & (vals >= ABS_EIGEN * agop.sum())
                       & (vals > 0)))
    groups = _groups(vecs[:, :count], names)
    pre = mean - vecs[:, :count] @ (vecs[:, :count].T @ mean)  # ḡ off the groups' span
    return Spectrum(source, tuple(names), int(g.shape[0]), tuple(map(float, vals)),
                    tuple(tuple(map(float, vecs[:, k])) for k in range(len(vals))),
                    tuple(map(float, agop)), tuple(map(float, mean)), groups,
                    monomial(pre, names, scale=False)[0])


def _groups(basis: np.ndarray, names: Sequence[str]) -> tuple[Group, ...]:
    """Sparse names for the span of ``basis`` (d, k): each group gets a pivot column (QR
    with column pivoting) where it is 1 and the others 0, so ``x/y`` and ``z/w`` come out
    as two groups rather than two mixtures of them."""
    k = basis.shape[1]
    if k == 0:
        return ()
    _, _, piv = scipy.linalg.qr(basis.T, pivoting=True)
    rows = np.linalg.solve(basis.T[:, piv[:k]], basis.T)  # (k, d), identity on the pivots
    return tuple(Group(*monomial(r, names, scale=True)) for r in rows)


def _agreement(net: Spectrum, named: Spectrum) -> float | None:
    """``tr(Uᵀ C U) / tr(C)``: ``C`` the network's covariance, ``U`` the named groups' span."""
    k = len(named.groups)
    lam, V = np.array(net.eigenvalues), np.array(net.vectors).T  # (d,), (d, d)
    if k == 0 or lam.sum() <= 0:
        return None
    U = np.array(named.vectors[:k]).T  # (d, k), orthonormal
    return float(np.sum(lam * np.sum((U.T @ V) ** 2, axis=0)) / lam.sum())


# ----------------------------------------------------------------------------- gradients


def formula_gradients(expr: sympy.Expr, symbols, X: np.ndarray):
    """The formula's values (n,) and exact gradients (n, d) at the rows of ``X``."""
    fn = lambdify_numpy(list(symbols), [expr, *(sympy.diff(expr, s) for s in symbols)])
    with np.errstate(all="ignore"):
        cols = [as_column(v, X.shape[0]) for v in fn(*X.T)]
    return cols[0], np.column_stack(cols[1:])


def _network(fm: FittedModel):
    """The network whose gradients are read, the columns it takes, and its name."""
    if fm.trained is not None:
        return fm.trained, list(range(len(fm.feature_names))), "trained"
    return fm.model, list(fm.inputs), "pruned"


def network_gradients(net, cols: list[int], X: np.ndarray):
    """The network's values (n,) and gradients over all of X's columns (n, d); the
    columns it does not take get 0."""
    Xt = torch.as_tensor(X[:, cols], dtype=torch.float64,
                         device=net.in_shift.device).requires_grad_(True)
    out = net(Xt)[:, 0]  # (n,)
    (g,) = torch.autograd.grad(out.sum(), Xt)
    grad = np.zeros_like(X)
    grad[:, cols] = g.detach().cpu().numpy()
    return out.detach().cpu().numpy(), grad


def _shares(X: np.ndarray, grad: np.ndarray) -> tuple[float, ...]:
    with np.errstate(all="ignore"):
        w = np.nan_to_num(np.nanmean(np.abs(grad), axis=0) * X.std(0), nan=0.0, posinf=0.0)
    total = w.sum()
    return tuple(float(v) for v in (w / total if total > 0 else w))


# ----------------------------------------------------------------------------- isometry


def isometry_gap(Z: np.ndarray) -> float:
    """``−log(det(ZᵀZ)^(1/d) / (tr(ZᵀZ)/d))`` for columns ``Z`` (n, d): 0 when they are
    orthogonal and of equal length, ``inf`` when collinear (from the eigenvalues)."""
    lam = np.linalg.eigvalsh(Z.T @ Z)  # ascending
    if lam.size == 0:
        return 0.0
    if lam[-1] <= 0 or lam[0] <= 1e-12 * lam[-1]:
        return math.inf
    return max(float(np.log(lam.mean()) - np.mean(np.log(lam))), 0.0)


def _gap(V: np.ndarray, names: Sequence[str], what: str) -> Gap:
    """The gap of the standardized columns of ``V`` (n, d), the most correlated pair, and a
    warning when some pair's |corr| > `CORR_WARN` or the correlation matrix's smallest
    eigenvalue is below `_SPREAD_WARN` of the mean (collinearity over several columns)."""
    Z = (V - V.mean(0)) / V.std(0)  # (n, d)
    gap = isometry_gap(Z / math.sqrt(len(Z)))
    corr = Z.T @ Z / len(Z)  # (d, d)
    d = len(names)
    pairs = sorted(((abs(corr[i, j]), i, j) for i in range(d) for j in range(i + 1, d)),
                   reverse=True)
    pair = (names[pairs[0][1]], names[pairs[0][2]], float(corr[pairs[0][1], pairs[0][2]])
            ) if pairs else None
    lam, vec = np.linalg.eigh(corr)
    weakest = tuple(names[i] for i in np.flatnonzero(np.abs(vec[:, 0]) >= 0.3)) if d > 1 else ()
    warning = None
    why = ("their separate effects are hard to tell apart" if what == "inputs" else
           "the layer has fewer independent features than nodes")
    if pair is not None and abs(pair[2]) > CORR_WARN:
        warning = f"{what} {pair[0]} and {pair[1]} are near-collinear (corr {pair[2]:.3f}): {why}"
    elif d > 1 and lam[0] < _SPREAD_WARN * lam.mean():
        warning = (f"{what} {', '.join(weakest)} are nearly linearly dependent (smallest "
                   f"correlation eigenvalue {lam[0]:.2g}): {why}")
    return Gap(tuple(names), gap, pair, weakest if warning else (), warning)


def _varying(V: np.ndarray) -> np.ndarray:
    """Columns of ``V`` that are finite and not constant."""
    with np.errstate(all="ignore"):
        s = V.std(0)
    return np.flatnonzero(np.all(np.isfinite(V), 0) & (s > 1e-12 * (np.abs(V).max(0) + 1e-300)))


def _hidden_gap(net, cols: list[int], X: np.ndarray) -> Gap | None:
    """The gap of the first layer's alive node outputs (edges in and out, not constant)."""
    if len(net.layers) < 2:
        return None
    with torch.no_grad():
        Xt = torch.as_tensor(X[:, cols], dtype=torch.float64, device=net.in_shift.device)
        H = net.trace(Xt)[1][0].cpu().numpy()  # (n, hidden)
    m_in, m_out = net.layers[0].mask.cpu().numpy(), net.layers[1].mask.cpu().numpy()
    wired = np.flatnonzero((m_in.sum(1) > 0) & (m_out.sum(0) > 0))
    alive = [int(j) for j in _varying(H) if j in set(wired.tolist())]
    if not alive:
        return None
    return _gap(H[:, alive], [f"h{j}" for j in alive], "hidden nodes")


# ----------------------------------------------------------------------------- explain


def explain(fitted: FittedModel) -> Insight:
    """What the network of ``fitted`` learned, measured on its held-out rows.

    Parameters
    ----------
    fitted : FittedModel
        From `symkan.outputs.persist.load` (a run folder) or `from_result`.

    Returns
    -------
    Insight
    """
    fm, notes = fitted, []
    X, names = np.asarray(fm.X_test, dtype=np.float64), list(fm.feature_names)
    net, cols, which = _network(fm)
    if which == "pruned":
        notes.append("no trained network was kept: gradients are the pruned network's")
    f_net, g_net = network_gradients(net, cols, X)
    has_formula = bool(fm.expr.free_symbols)
    f_for = g_for = formula_r2 = None
    if has_formula:
        formula_r2 = r2(fm.predict(X), np.asarray(fm.y_test, dtype=np.float64))
        try:
            f_for, g_for = formula_gradients(fm.expr, fm.symbols, X)
        except (TypeError, ValueError, NameError, ZeroDivisionError, OverflowError) as err:
            notes.append(f"the formula's gradients could not be computed ({err}): the "
                         "network's spectrum names the groups")
    logs = [i for i in range(len(names)) if np.all(X[:, i] > 0) or np.all(X[:, i] < 0)]
    if len(logs) < len(names):
        gone = [names[i] for i in range(len(names)) if i not in logs]
        notes.append(f"{', '.join(gone)} change sign or reach 0 on the held-out rows: left "
                     "out of the log-gradient analysis")
    spectra = {}
    for source, f, g in (("network", f_net, g_net), ("formula", f_for, g_for)):
        if f is not None and logs:
            if not (np.all(f > 0) or np.all(f < 0)):
                notes.append(f"the {source} changes sign: its log-gradients use |f| away "
                             "from its zeros")
            spectra[source] = log_spectrum(X[:, logs], f, g[:, logs],
                                           [names[i] for i in logs], source)
    use_formula = (spectra.get("formula") is not None and formula_r2 is not None
                   and formula_r2 > FORMULA_R2)
    source = "formula" if use_formula else ("network" if spectra.get("network") else None)
    agreement = None
    if source == "formula" and spectra.get("network") is not None:
        agreement = _agreement(spectra["network"], spectra["formula"])
    varying = _varying(X)
    if varying.size < len(names):
        notes.append(f"{', '.join(n for i, n in enumerate(names) if i not in varying)} are "
                     "constant on the held-out rows: left out of the isometry gap")
    return Insight(
        target=fm.target_name, rows=len(X), network=which, features=tuple(names),
        network_spectrum=spectra.get("network"), formula_spectrum=spectra.get("formula"),
        groups_source=source, formula_r2=formula_r2,
        network_r2=r2(f_net, np.asarray(fm.y_test, dtype=np.float64)), agreement=agreement,
        shares=_shares(X, g_net),
        formula_shares=_shares(X, g_for) if g_for is not None else None,
        in_formula=tuple(s in fm.expr.free_symbols for s in fm.symbols),
        input_gap=(_gap(X[:, varying], [names[i] for i in varying], "inputs")
                   if varying.size else None),
        hidden_gap=_hidden_gap(net, cols, X), notes=tuple(notes),
    )
