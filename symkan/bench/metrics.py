"""Is a found formula the true one? Four levels, strictest first.

* ``exact``: ``found - true`` simplifies to 0 once the found formula's constants are
  rounded: either every float rounded to 4 significant digits, or a float written with
  at least 4 significant digits replaced by the closed-form constant it rounds (``3.14159``
  → ``pi``, ``0.3333`` → ``1/3``; the constant must appear in the true formula, or be
  what `sympy.nsimplify` finds from rationals, π and e within the written precision;
  `_zero_proof` also tries the difference written in exponentials or with ``asin``, and,
  for roots, the squares with the signs checked on the sample points);
* ``symbolic``: SRBench's *symbolic solution*: ``found - true`` or ``found / true``
  simplifies to a constant (not 0 for the ratio), i.e. the law is right up to an offset
  or a scale; as in SRBench, this is also tried with the found formula's floats rounded
  to 3 decimals and those below 1e-4 in size set to 0;
* ``numeric``: equal to a relative 1e-6 at random points of the domain, but sympy cannot
  show it (``atan(x) + atan(1/x)`` vs ``pi/2``, ``Abs(x - 3)`` vs ``x - 3`` on x > 3);
* ``different``: anything else.

Variables whose box is strictly positive (negative) are given that sign before
simplifying, so ``sqrt(x**2)`` equals ``x`` on ``[1, 5]``. A numeric check on random
points of the box runs first, so clearly different formulas never reach
``sympy.simplify``.

Examples
--------
>>> x, y = sympy.symbols("x y", real=True)
>>> match_level(sympy.sqrt(x**2) * y, x * y, [x, y], [1, 1], [5, 5])
'exact'
>>> j = judge(3 * x * y + 2, x * y, [x, y], [1, 1], [5, 5], explain=True)
>>> j.level, j.difference
('different', 2*x*y + 2)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sympy

from symkan.formula.numeric import evaluate, round_floats

LEVELS: tuple[str, ...] = ("exact", "symbolic", "numeric", "different")


@dataclass(frozen=True)
class Judgement:
    """The verdict on one found-vs-true pair.

    Attributes
    ----------
    level : one of `LEVELS`
    difference : ``found - true`` simplified (after constant snapping when exact);
        ``None`` unless asked for (``explain=True``) or already computed
    ratio : ``found / true`` simplified when the ratio is what makes it symbolic
    max_rel_error : largest relative difference at the sample points (nan if none)
    reason : one sentence saying why this level
    """

    level: str
    difference: sympy.Expr | None
    ratio: sympy.Expr | None
    max_rel_error: float
    reason: str

    @property
    def match(self) -> bool:
        """``True`` for ``exact`` and ``symbolic`` (a symbolic solution)."""
        return self.level in ("exact", "symbolic")


def match_level(
    found: sympy.Expr, true: sympy.Expr, symbols: Sequence[sympy.Symbol],
    low: Sequence[float], high: Sequence[float], *, seed: int = 0,
) -> str:
    """``"exact"``, ``"symbolic"``, ``"numeric"`` or ``"different"`` (see `judge`)."""
    return judge(found, true, symbols, low, high, seed=seed).level


def _infinite(expr: sympy.Expr) -> bool:
    """Whether ``expr`` holds an infinity or NaN (numpy code cannot be made of it)."""
    return expr.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan)


def judge(
    found: sympy.Expr, true: sympy.Expr, symbols: Sequence[sympy.Symbol],
    low: Sequence[float], high: Sequence[float], *, seed: int = 0, n_points: int = 256,
    explain: bool = False,
) -> Judgement:
    """Compare ``found`` with ``true`` on the box ``[low, high]`` of ``symbols``.

    Parameters
    ----------
    found, true : sympy expressions in ``symbols``
    symbols : the variables, one per entry of ``low``/``high``
    low, high : the domain, used for the numeric checks and the signs of variables
    seed : seed of the random points (numpy Generator; no global state)
    n_points : number of random points
    explain : also simplify ``found - true`` when it is not a match (slower)

    Returns
    -------
    Judgement
    """
    found, true, symbols = _with_signs(found, true, symbols, low, high)
    rng = np.random.default_rng(seed)
    X = rng.uniform(low, high, size=(n_points, len(symbols)))
    vf, vt = evaluate(found, symbols, X), evaluate(true, symbols, X)
    err = _max_rel_error(vf, vt)

    for candidate, how in _rounded(found, true, symbols):
        if _infinite(candidate):
            continue
        vc = evaluate(candidate, symbols, X)
        if not _close(vc, vt, 1e-3):
            continue
        proof = _zero_proof(candidate, true, vc, vt)
        if proof is not None:
            why = proof + (f" once {how}" if how else "")
            return Judgement("exact", sympy.Integer(0), None, err, why)

    difference = None
    for cand, how in _srbench_forms(found):
        if _infinite(cand):  # rounding made cot(1e-6*d) into cot(0): zoo
            continue
        vc = vf if cand is found else evaluate(cand, symbols, X)
        with np.errstate(all="ignore"):
            d, r = vc - vt, vc / np.where(vt == 0, np.nan, vt)
        if _flat(d, np.nanstd(vt)):
            diff = _simplify(cand - true)
            if cand is found:
                difference = diff
            if _is_constant(diff, symbols):
                return Judgement("symbolic", diff, None, err,
                                 f"found - true simplifies to the constant {diff}{how}")
        if _flat(r, abs(np.nanmean(r))) and np.nanmean(np.abs(r)) > 1e-12:
            ratio = _simplify(cand / true)
            if _is_constant(ratio, symbols) and ratio != 0:
                return Judgement("symbolic", difference if difference is not None else
                                 _maybe(found - true, explain), ratio, err,
                                 f"found / true simplifies to the constant {ratio}{how}")
    if difference is None:
        difference = _maybe(found - true, explain)
    if _close(vf, vt, 1e-6):
        return Judgement("numeric", difference, None, err,
                         f"equal to a relative {max(err, 0):.1e} at {n_points} random points "
                         "of the domain, but sympy cannot show found - true == 0")
    return Judgement("different", difference, None, err,
                     f"the formulas differ by up to a relative {err:.3g} on the domain")


# --- helpers -------------------------------------------------------------------------------


def _srbench_forms(found: sympy.Expr) -> list[tuple[sympy.Expr, str]]:
    """``found`` and, if it differs, SRBench's rounding of it: floats below 1e-4 in size
    become 0, the others are rounded to 3 decimals (La Cava et al. 2021)."""
    subs = {}
    for a in sympy.preorder_traversal(found):
        if isinstance(a, sympy.Float):
            subs[a] = sympy.Integer(0) if abs(a) < 1e-4 else sympy.Float(round(float(a), 3))
    rounded = found.xreplace(subs) if subs else found
    if rounded == found:
        return [(found, "")]
    return [(found, ""), (rounded, " once constants are rounded as SRBench does")]


def _with_signs(found, true, symbols, low, high):
    """Give a variable ``positive=True`` (``negative=True``) when its box is > 0 (< 0)."""
    mapping, new = {}, []
    for s, lo, hi in zip(symbols, low, high):
        if lo > 0:
            mapping[s] = sympy.Symbol(s.name, positive=True)
        elif hi < 0:
            mapping[s] = sympy.Symbol(s.name, negative=True)
        new.append(mapping.get(s, s))
    return found.xreplace(mapping), true.xreplace(mapping), tuple(new)


def _maybe(expr: sympy.Expr, explain: bool) -> sympy.Expr | None:
    return _simplify(expr) if explain else None


SIMPLIFY_TIMEOUT_S = 20.0


def _simplify_child(expr: sympy.Expr, conn) -> None:
    try:
        conn.send(sympy.simplify(expr))
    except Exception:  # noqa: BLE001 - reported to the parent as "could not simplify"
        conn.send(None)
    finally:
        conn.close()


def _simplify(expr: sympy.Expr, timeout: float | None = None) -> sympy.Expr:
    """``sympy.simplify`` that gives up after ``timeout`` seconds (returns ``expr`` as is).

    Some near-miss formulas send sympy's trig rules into an expansion that does not end
    (``TR11`` on ``sin(4096*x)``-like terms); a benchmark must not hang on one of them.
    The work runs in a forked child process that is killed on time-out; where that is
    not possible (no ``fork``, or inside a daemonic worker) it runs in-process.
    """
    import multiprocessing as mp

    timeout = SIMPLIFY_TIMEOUT_S if timeout is None else timeout
    if expr.is_number or len(expr.free_symbols) == 0 or "fork" not in mp.get_all_start_methods():
        return sympy.simplify(expr)
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_simplify_child, args=(expr, child), daemon=True)
    try:
        proc.start()
    except (AssertionError, OSError):  # e.g. inside a daemonic worker: no children allowed
        parent.close()
        child.close()
        return sympy.simplify(expr)
    child.close()
    try:
        if parent.poll(timeout):
            out = parent.recv()  # our own child's result, over a private pipe
            return expr if out is None else out
        return expr
    except EOFError:
        return expr
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        parent.close()


def _zero_proof(found, true, vf: np.ndarray, vt: np.ndarray) -> str | None:
    """How ``found == true`` is shown, or ``None`` when sympy cannot show it.

    In turn: ``found - true`` simplifies to 0; or it does once rewritten in exponentials
    (trigonometric identities such as ``(1 - cos θ)² = 4 sin⁴(θ/2)``, which
    ``sympy.simplify`` misses), or with ``acos(u) = π/2 - asin(u)``; or, for formulas
    with roots, ``found² - true²`` simplifies to 0 and the two have the same sign at every
    sample point while ``true`` is nowhere 0 there (``sqrt(a)·sqrt(b) = sqrt(a·b)`` holds where ``a, b > 0``, which
    variable signs alone cannot tell sympy). On a box, two continuous functions with
    equal squares and no zero differ by a constant sign, which the samples fix.
    """
    diff = found - true
    if _simplify(diff) == 0:
        return "found - true simplifies to 0"
    if diff.has(sympy.sin, sympy.cos, sympy.tan) and _simplify(diff.rewrite(sympy.exp)) == 0:
        return "found - true simplifies to 0 once written in exponentials"
    if diff.has(sympy.acos, sympy.asin) and _simplify(diff.rewrite(sympy.asin)) == 0:
        return "found - true simplifies to 0 once acos is written with asin"
    roots = any(p.exp.is_Rational and not p.exp.is_integer
                for p in (found + true).atoms(sympy.Pow))
    ok = np.isfinite(vf) & np.isfinite(vt)
    if (roots and ok.sum() >= 10 and np.all(vt[ok] != 0)
            and np.all(np.sign(vf[ok]) == np.sign(vt[ok]))
            and _simplify(sympy.expand(found**2 - true**2)) == 0):
        return ("found² - true² simplifies to 0 and found, true have the same sign "
                "(never 0) on the domain's sample points")
    return None


def _max_rel_error(vf: np.ndarray, vt: np.ndarray) -> float:
    ok = np.isfinite(vf) & np.isfinite(vt)
    if not ok.any():
        return math.nan
    return float(np.max(np.abs(vf[ok] - vt[ok]) / (np.abs(vt[ok]) + 1e-12)))


def _close(vf: np.ndarray, vt: np.ndarray, rtol: float) -> bool:
    """Equal to ``rtol`` where both are finite, finite at the same points (≥ 99 %),
    and finite at 10 points or more (a default box may leave the formulas' domain)."""
    fin_f, fin_t = np.isfinite(vf), np.isfinite(vt)
    ok = fin_f & fin_t
    if ok.sum() < 10 or (fin_f == fin_t).mean() < 0.99:
        return False
    scale = np.abs(vt[ok]) + 1e-12 * (np.max(np.abs(vt[ok])) + 1e-300)
    return bool(np.all(np.abs(vf[ok] - vt[ok]) <= rtol * scale))


def _flat(v: np.ndarray, scale: float) -> bool:
    """``v`` is constant up to 1e-6 of ``scale`` over the finite points (10 or more)."""
    ok = np.isfinite(v)
    return ok.sum() >= 10 and float(np.std(v[ok])) <= 1e-6 * (scale + 1e-12)


def _is_constant(expr: sympy.Expr, symbols) -> bool:
    return expr.is_finite is not False and not (expr.free_symbols & set(symbols))


def _rounded(found, true, symbols) -> list[tuple[sympy.Expr, str]]:
    """``found`` with its floats rounded to 4 digits, and with floats snapped to the
    closed-form constants they round; each with a note of what was done."""
    if not found.atoms(sympy.Float):
        return [(found, "")]
    snapped, mapping = _snap_constants(found, true, symbols)
    out = [(round_floats(found, 4), "its floats are rounded to 4 significant digits")]
    if mapping:
        note = ", ".join(f"{float(f)!r} → {c}" for f, c in mapping.items())
        out.append((snapped, f"its constants are rounded ({note})"))
    return out


def _written_digits(value: float) -> int:
    """Significant digits of the shortest repr: 3.14159 → 6, 0.5 → 1, 300.0 → 1."""
    mantissa = repr(abs(value)).split("e")[0].replace(".", "")
    return max(len(mantissa.strip("0")), 1)


def _true_constants(true: sympy.Expr, symbols) -> list[sympy.Expr]:
    """Closed-form numbers of ``true``: its numeric nodes and term coefficients,
    with their negatives and reciprocals."""
    found: set[sympy.Expr] = set()
    for node in sympy.preorder_traversal(true):
        if node.is_number and not node.atoms(sympy.Float):
            found.add(node)
    for term in sympy.Add.make_args(sympy.expand(true)):
        coeff = term.as_independent(*symbols, as_Add=False)[0]
        if coeff.is_number and not coeff.atoms(sympy.Float):
            found.add(coeff)
    out = set()
    for c in found:
        if c != 0 and c.is_finite:
            out.update((c, -c, 1 / c))
    return sorted(out, key=sympy.count_ops)


def _snap_constants(found, true, symbols) -> tuple[sympy.Expr, dict]:
    """Replace each float written with ≥ 4 significant digits by a closed-form constant
    that rounds to it at that precision (``3.14159`` → ``pi``)."""
    candidates = _true_constants(true, symbols)
    mapping = {}
    for f in found.atoms(sympy.Float):
        value = float(f)
        if value == 0 or not math.isfinite(value):
            continue
        # x/6.28319 is parsed as x*0.159154824...: judge such a float by its reciprocal
        forms = [(value, False), (float(f"{1 / value:.15g}"), True)]
        for written, inverted in forms:
            digits = _written_digits(written)
            if digits < 4:
                continue
            tol = 0.5 * 10 ** (math.floor(math.log10(abs(written))) - digits + 1)
            options = [1 / c for c in candidates] if inverted else list(candidates)
            try:
                guess = sympy.nsimplify(written, [sympy.pi, sympy.E], tolerance=tol)
                options.append(1 / guess if inverted else guess)
            except (ValueError, TypeError, RecursionError, ZeroDivisionError):
                pass
            match = next((c for c in options if c != 0 and not c.atoms(sympy.Float)
                          and abs(float(1 / c if inverted else c) - written) <= tol * 1.000001),
                         None)
            if match is not None:
                mapping[f] = match
                break
    return found.xreplace(mapping), mapping
