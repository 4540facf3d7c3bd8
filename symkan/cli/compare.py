"""``symkan compare TRUE FOUND``: is the found equation the true one?

Prints the level (exact, symbolic, numeric, different; see `symkan.bench.metrics`),
the reason, the simplified difference ``found - true`` (and the ratio where it is what
makes the match) and the largest relative difference on the domain. Exit status 0 only
for a symbolic solution (exact or symbolic), 1 otherwise, 2 for unusable input.

Either formula may be a benchmark problem's name (``I.6.2a``, ``kan-paper:I.12.11``):
its formula, variables and box are used. The domain for the numeric checks is, in
order: the ranges of the ``--data`` CSV's columns; the true problem's box; the default
box [1, 5] for every variable (the AI Feynman box: positive, so square roots and logs
are real and variables get ``positive=True`` when simplifying; away from 0, so
``1/x`` is finite). Formulas are read by `symkan.formula.parse_formula`, which never
executes code, and written as symkan writes them: ``pi`` is the number, a variable called
``pi`` (or ``E``, ``sin``, ...) is written ``pi_`` (see `symkan.formula.display`).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from symkan.bench.metrics import judge
from symkan.bench.problems import get_problem
from symkan.data import load_csv
from symkan.errors import InputError
from symkan.formula.display import formula_text
from symkan.formula.parse import FUNCTIONS, parse_formula, shown_names

DEFAULT_BOX = (1.0, 5.0)


def add_parser(sub) -> None:
    cmp = sub.add_parser(
        "compare", help="is a found formula the true one? (exact/symbolic/numeric/different)",
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmp.add_argument("true", help="true formula (e.g. 'x*y/(2*pi)') or a problem name")
    cmp.add_argument("found", help="found formula (e.g. '0.159155*x*y') or a problem name")
    cmp.add_argument("--vars", help="comma-separated variables, e.g. 'x,y' "
                     "(default: the names in TRUE, then FOUND, in order of appearance)")
    cmp.add_argument("--data", type=Path,
                     help="CSV whose column ranges give the domain of the numeric checks")
    cmp.add_argument("--seed", type=int, default=0, help="seed of the random check points")
    cmp.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import sympy

    true_p, found_p = _problem(args.true), _problem(args.found)
    true_text = true_p.formula if true_p else args.true
    found_text = found_p.formula if found_p else args.found
    if args.vars is not None:
        names = [v.strip() for v in args.vars.split(",") if v.strip()]
        if not names:
            raise InputError(f"--vars {args.vars!r} names no variable; write e.g. --vars x,y")
    elif true_p is not None:
        names = list(true_p.variables)
    else:
        names = _names_in(true_text) + _names_in(found_text)
        if args.data is not None:  # pi_ in the formulas is the CSV's column pi
            ds = load_csv(args.data)
            written = {w: c for c, w in shown_names([*ds.feature_names, ds.target_name]).items()}
            names = [written.get(n, n) for n in names]
    names = list(dict.fromkeys(names))
    true = parse_formula(true_text, names)
    found = parse_formula(found_text, names)
    used = [n for n in names if sympy.Symbol(n, real=True) in (true.free_symbols
                                                              | found.free_symbols)]
    names = used or names[:1] or ["x"]
    symbols = [sympy.Symbol(n, real=True) for n in names]
    low, high, where = _domain(args.data, true_p, names)
    j = judge(found, true, symbols, low, high, seed=args.seed, explain=True)
    box = ", ".join(f"{n} in [{lo:g}, {hi:g}]" for n, lo, hi in zip(names, low, high))
    print(f"level: {j.level}")
    print(f"why: {j.reason}")
    print(f"true:  {formula_text(true, names)}")
    print(f"found: {formula_text(found, names)}")
    print(f"found - true = {_text(j.difference, names)}")
    if j.ratio is not None:
        print(f"found / true = {formula_text(j.ratio, names)}")
    print(f"max relative difference: {j.max_rel_error:.3g} ({where}: {box})")
    return 0 if j.match else 1


def _text(expr, names: list[str]) -> str:
    return "None" if expr is None else formula_text(expr, names)


def _problem(text: str):
    """The benchmark problem called ``text``, or None if ``text`` is not a problem name."""
    if not re.fullmatch(r"[\w-]+:[\w.\- ]+|[IV]+\.[\d.]+[a-z]*|test_\d+", text.strip()):
        return None
    try:
        p = get_problem(text.strip())
    except InputError:
        if _is_formula(text):  # a variable such as test_1
            return None
        raise  # 'I.99.99' names no problem: say so, not "invalid syntax"
    if p.kind != "sympy":
        raise InputError(
            f"{p.qualified_name} is a scipy.special function ({p.formula}); "
            "`symkan compare` judges sympy formulas only"
        )
    return p


def _is_formula(text: str) -> bool:

    try:
        parse_formula(text)
    except InputError:
        return False
    return True


def _names_in(text: str) -> list[str]:
    """Identifiers of ``text`` in order of appearance, without functions and ``pi``."""
    names = re.findall(r"[A-Za-z_]\w*", text)
    return [n for n in names if n not in FUNCTIONS and n != "pi"]


def _domain(data: Path | None, problem, names: list[str]):
    """(low, high, description) of the box for ``names``."""
    if data is not None:
        ds = load_csv(data)
        columns = {n: ds.X[:, i] for i, n in enumerate(ds.feature_names)}
        columns[ds.target_name] = ds.y
        missing = [n for n in names if n not in columns]
        if missing:
            raise InputError(
                f"--data {str(data)!r} has no column for {missing}; its columns are "
                f"{list(columns)}. Rename the columns or the variables (--vars)"
            )
        return ([float(columns[n].min()) for n in names],
                [float(columns[n].max()) for n in names], f"domain from {data.name}")
    if problem is not None and set(names) <= set(problem.variables):
        box = dict(zip(problem.variables, zip(problem.low, problem.high)))
        return ([box[n][0] for n in names], [box[n][1] for n in names],
                f"box of {problem.qualified_name}")
    return ([DEFAULT_BOX[0]] * len(names), [DEFAULT_BOX[1]] * len(names), "default box")
