"""Names of columns: unique Python identifiers, checked wherever names come in.

Every name that reaches a formula or exported code passes `check_variables` (CSV, arrays,
a `Dataset`, a saved model), so no name can carry code into an export.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from symkan.errors import InputError


def check_unique(names: Sequence[str], subject: str, fix: str) -> None:
    counts = Counter(names)
    dups = [n for n, c in counts.items() if c > 1 and n]
    if dups:
        where = "; ".join(
            f"{n!r} (columns {', '.join(str(j + 1) for j, m in enumerate(names) if m == n)})"
            for n in dups
        )
        raise InputError(
            f"column names must be unique, but {subject} has {where} more than "
            f"once; {fix} so that each is different"
        )


def check_names(
    names: Sequence[str], subject: str, fix: str, trailing: Sequence[int] = ()
) -> None:
    """Every name must be a Python identifier (keywords allowed); suggest cleaned names."""
    problems = []
    for j, n in enumerate(names):
        if not n:
            if j in trailing:
                problems.append(
                    f"column {j + 1} has no name and no values (a trailing comma at "
                    "the end of each line? remove it)"
                )
            else:
                problems.append(f"column {j + 1} has no name (call it e.g. {f'x{j}'!r})")
        elif not n.isidentifier():
            problems.append(f"{n!r} (try {clean_name(n, j)!r})")
    if problems:
        raise InputError(
            f"column names must be usable as variable names (letters, digits and '_', not "
            f"starting with a digit), but in {subject}: {'; '.join(problems)}; {fix}"
        )


def clean_name(name: str, j: int) -> str:
    cleaned = re.sub(r"\W+", "_", name.strip()).strip("_")
    if not cleaned:
        return f"x{j}"
    return f"x_{cleaned}" if cleaned[0].isdigit() else cleaned


def check_variables(names: Sequence[str], target_name: str, subject: str, fix: str) -> None:
    """Feature names: unique identifier strings; the target's: another identifier."""
    for n in names:
        if not isinstance(n, str):
            raise InputError(f"feature names must be strings; got {n!r} ({type(n).__name__})")
    check_unique(names, subject, fix)
    check_names(names, subject, fix)
    if not isinstance(target_name, str) or not target_name.isidentifier():
        try_ = clean_name(target_name, 0) if isinstance(target_name, str) else "y"
        raise InputError(
            f"target_name must be usable as a variable name (letters, digits and '_', not "
            f"starting with a digit); got {target_name!r}; try {try_!r}"
        )
    if target_name in names:
        raise InputError(
            f"target_name {target_name!r} is also a feature name; rename the target or the feature"
        )
