"""``symkan fit``'s options as a `FitConfig`, and ``--from RUN``: a run's settings again.

Every setting a user can give on the command line is recorded in ``result.json``
(``settings``); ``--from RUN`` reads them back, and an option given on the command line
overrides the recorded one.
"""

from __future__ import annotations

import argparse
import difflib
import json
from pathlib import Path

from symkan.errors import InputError
from symkan.search.types import FitConfig

__all__ = ["config_from_args", "recorded_settings"]

# FitConfig fields that ``--from`` repeats (the rest are internal and keep their defaults)
_REPEATED = ("seed", "device", "time_budget", "model_selection", "methods", "units",
             "primitives", "custom_primitives", "guesses", "templates", "inputs", "exclude",
             "max_complexity", "parsimony")
_TUPLES = ("methods", "primitives", "custom_primitives", "guesses", "templates", "inputs",
           "exclude")


def recorded_settings(run: Path) -> dict:
    """The repeatable settings of the run folder ``run`` (and its target, as ``target``)."""
    path = Path(run) / "result.json"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        settings = record["settings"]
        target = record.get("target")
    except FileNotFoundError:
        raise InputError(f"--from {str(run)!r}: no result.json there; give the folder of a "
                         "finished `symkan fit` run") from None
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise InputError(f"--from {str(run)!r}: its result.json cannot be read ({err}); "
                         "give the folder of a finished `symkan fit` run") from None
    if not isinstance(settings, dict):
        raise InputError(f"--from {str(run)!r}: result.json has no settings")
    out = {k: settings[k] for k in _REPEATED if k in settings}
    for key in _TUPLES:
        if isinstance(out.get(key), list):
            out[key] = tuple(out[key])
    if isinstance(target, str):
        out["target"] = target
    return out


def _list(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    return tuple(t.strip() for t in text.split(",") if t.strip())


def config_from_args(args: argparse.Namespace, columns: list[str], base: dict) -> FitConfig:
    """The run's settings: the command line's, else ``base`` (``--from``), else defaults."""
    given = {
        "seed": args.seed, "device": args.device, "time_budget": args.time_budget,
        "model_selection": args.model_selection,
        "methods": _list(args.methods),
        "units": _units(args.units, columns, args.data),
        "primitives": _list(args.primitives),
        "custom_primitives": tuple(args.primitive) if args.primitive else None,
        "guesses": tuple(args.guess) if args.guess else None,
        "templates": tuple(args.template) if args.template else None,
        "inputs": _list(args.inputs), "exclude": _list(args.exclude),
        "max_complexity": args.max_complexity, "parsimony": args.parsimony,
    }
    settings = {k: v for k, v in base.items() if k in _REPEATED}
    settings.update({k: v for k, v in given.items() if v is not None})
    return FitConfig(**settings).validate()


def _units(text: str | None, columns: list[str], data: Path) -> dict[str, str] | None:
    """``"v=m/s, c=m/s"`` → ``{"v": "m/s", "c": "m/s"}``; None when not given.

    Every name must be a column of ``data``: a misspelt one would silently go unused.
    """
    if text is None:
        return None
    units = {}
    for part in text.split(","):
        name, sep, unit = part.partition("=")
        if not sep or not name.strip():
            raise InputError(f"--units entry {part.strip()!r} is not COLUMN=UNITS; write e.g. "
                             "--units 'm_0=kg,v=m/s,c=m/s,m=kg'")
        units[name.strip()] = unit.strip() or "1"
    unknown = [n for n in units if n not in columns]
    if unknown:
        close = [m for n in unknown for m in difflib.get_close_matches(n, columns, n=1)]
        hint = f" Did you mean {close[0]!r}?" if len(unknown) == 1 and close else ""
        raise InputError(f"--units names {unknown}, which are not columns of "
                         f"{Path(data).name}; its columns are {columns}.{hint}")
    return units
