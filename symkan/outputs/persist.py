"""Save and load a fitted model: tensors in safetensors, everything else in JSON. No pickle.

A saved model is two files in a folder (a ``symkan fit`` run folder has them too):

* ``model.safetensors``: both networks' parameters and buffers (``pruned.*`` and
  ``trained.*``), the edge attribution scores, the training losses and the held-out
  rows (``X_test``, ``y_test``) that the report and the edge plots use;
* ``model.json``: format name and version, the sha256 of the tensor file, the networks'
  shapes, feature and target names, the formula (its floats stored exactly, next to
  it), the snapped edges, the settings and the run's record (``result.json``).

`load` checks all of it and raises `InputError` naming the file and the fix when a
file is missing, truncated, changed after saving or of another version.

Examples
--------
>>> import tempfile, numpy as np, symkan
>>> rng = np.random.default_rng(0)
>>> X = rng.uniform(1, 2, (200, 1))
>>> result = symkan.fit(symkan.from_arrays(X, 2 * X[:, 0], ["x"]),
...                     symkan.FitConfig(methods=("additive",), steps=5, grid_sizes=(3,)))
>>> with tempfile.TemporaryDirectory() as tmp:
...     _ = save(result, tmp)
...     model = load(tmp)
>>> model.expr == result.expr
True
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import pathlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import sympy
import torch

from symkan.data import train_test_split
from symkan.data.names import check_variables
from symkan.errors import InputError
from symkan.export.sympy_code import exact_str
from symkan.formula.display import shown, shown_names
from symkan.formula.numeric import evaluate
from symkan.formula.parse import parse_formula
from symkan.kan.network import KAN, KANLayer
from symkan.outputs.record import result_record
from symkan.outputs.runfolder import write_files
from symkan.symbolic.snap import SnappedEdge, SnappedKAN

__all__ = ["FORMAT", "VERSION", "FittedModel", "from_result", "load", "model_files", "save"]

FORMAT = "symkan-model"
VERSION = 2  # 2: formulas written by symkan.formula.display (a column pi is pi_)
_READS = (1, 2)
TENSORS, META = "model.safetensors", "model.json"
_CLOCK = ("seconds", "timings")  # record fields that differ between identical runs
_MAX_ROWS = 2000  # held-out rows kept for the report and the edge plots
_CONST = "symkan_const_"


@dataclass(frozen=True, eq=False)
class FittedModel:
    """What a fit leaves behind, enough to predict, draw, report and export.

    Built from a `symkan.pipeline.FitResult` by `from_result`, or read back by `load`.
    ``predict`` evaluates the formula; ``predict_network`` the pruned KAN.
    """

    expr: sympy.Expr
    feature_names: tuple[str, ...]
    target_name: str
    inputs: tuple[int, ...]  # feature indices the pruned network uses
    model: KAN = field(repr=False)  # pruned
    trained: KAN | None = field(repr=False)  # before pruning, all inputs
    snapped: SnappedKAN | None = field(repr=False)
    edge_scores: tuple[np.ndarray, ...] = field(repr=False)  # of the pruned net, (out, in)
    losses: tuple[float, ...] = field(repr=False)
    settings: dict = field(repr=False)
    record: dict = field(repr=False)  # the run's result.json
    X_test: np.ndarray = field(repr=False)  # (n, n_features), held-out rows
    y_test: np.ndarray = field(repr=False)  # (n,)

    @property
    def symbols(self) -> tuple[sympy.Symbol, ...]:
        return tuple(sympy.Symbol(n, real=True) for n in self.feature_names)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The formula at the rows of ``X`` ((n, n_features), columns as in the data) → (n,)."""
        return evaluate(self.expr, self.symbols, self._rows(X))

    def predict_network(self, X: np.ndarray) -> np.ndarray:
        """The pruned KAN at the rows of ``X`` ((n, n_features)) → (n,)."""
        X = self._rows(X)[:, list(self.inputs)]
        dev = self.model.in_shift.device
        with torch.no_grad():
            out = self.model(torch.as_tensor(X, dtype=torch.float64, device=dev))
        return out[:, 0].cpu().numpy()

    def _rows(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.feature_names):
            raise InputError(
                f"X has shape {X.shape}; give a 2-D array with one column per feature "
                f"{list(self.feature_names)}"
            )
        return X


def from_result(result, record: Mapping | None = None) -> FittedModel:
    """A `FittedModel` from a `symkan.pipeline.FitResult` (``record``: its result.json)."""
    if record is None:
        record = result_record(result)
    ds = result.dataset
    _, test = train_test_split(ds, float(result.settings.get("test_fraction", 0.2)),
                               seed=int(result.settings.get("seed", 0)))
    rows = np.linspace(0, test.n_rows - 1, min(test.n_rows, _MAX_ROWS)).round().astype(int)
    return FittedModel(
        expr=result.expr, feature_names=tuple(ds.feature_names), target_name=ds.target_name,
        inputs=tuple(int(i) for i in result.inputs), model=result.model,
        trained=result.trained, snapped=result.snapped,
        edge_scores=tuple(np.asarray(s, dtype=np.float64) for s in result.edge_scores),
        losses=tuple(float(v) for v in result.losses),
        settings=json.loads(json.dumps(result.settings, default=str)),
        record=json.loads(json.dumps(dict(record), default=str)),
        X_test=test.X[rows], y_test=test.y[rows],
    )


def _as_fitted(model) -> FittedModel:
    return model if isinstance(model, FittedModel) else from_result(model)


# ----------------------------------------------------------------------------- save


def _net_meta(net: KAN) -> dict:
    return {"widths": list(net.widths), "grid_size": [m.grid_size for m in net.layers],
            "k": [m.k for m in net.layers]}


def _formula_fields(expr: sympy.Expr, names) -> dict:
    """The formula with its floats as named constants, and their exact values (JSON floats).

    Written as everywhere (`symkan.formula.display`): a column ``pi`` is ``pi_``.
    """
    floats = sorted(expr.atoms(sympy.Float), key=float)
    subs = {f: sympy.Symbol(f"{_CONST}{k}", real=True) for k, f in enumerate(floats)}
    return {"formula": exact_str(shown(expr, names)),
            "formula_template": exact_str(shown(expr.xreplace(subs), names)),
            "constants": [float(f) for f in floats]}


def model_files(model) -> dict[str, bytes]:
    """``{"model.safetensors": ..., "model.json": ...}`` for a FitResult or FittedModel."""
    from safetensors.torch import save as st_save

    fm = _as_fitted(model)
    tensors: dict[str, torch.Tensor] = {}
    nets = {"pruned": fm.model, "trained": fm.trained}
    for prefix, net in nets.items():
        if net is not None:
            for key, value in net.state_dict().items():
                tensors[f"{prefix}.{key}"] = value.detach().cpu().contiguous().clone()
    for k, s in enumerate(fm.edge_scores):
        tensors[f"scores.{k}"] = torch.as_tensor(np.ascontiguousarray(s, dtype=np.float64))
    tensors["losses"] = torch.tensor(fm.losses, dtype=torch.float64)
    tensors["X_test"] = torch.as_tensor(np.ascontiguousarray(fm.X_test, dtype=np.float64))
    tensors["y_test"] = torch.as_tensor(np.ascontiguousarray(fm.y_test, dtype=np.float64))
    blob = st_save(tensors)
    snapped = None
    if fm.snapped is not None:
        s = fm.snapped
        snapped = {
            "widths": list(s.widths), "in_shift": list(s.in_shift), "in_scale": list(s.in_scale),
            "out_shift": s.out_shift, "out_scale": s.out_scale,
            "edges": [[e.layer, e.i, e.j, e.name, e.a, e.b, e.c, e.d,
                       e.r2 if math.isfinite(e.r2) else None] for e in s.edges],
        }
    meta = {
        "format": FORMAT, "version": VERSION,
        "tensors": {"file": TENSORS, "sha256": hashlib.sha256(blob).hexdigest(),
                    "bytes": len(blob)},
        "feature_names": list(fm.feature_names), "target_name": fm.target_name,
        "inputs": list(fm.inputs), **_formula_fields(fm.expr, fm.feature_names),
        "networks": {k: (_net_meta(v) if v is not None else None) for k, v in nets.items()},
        "n_scores": len(fm.edge_scores), "snapped": snapped,
        "settings": fm.settings,
        # the clock stays in result.json: the same run writes the same model files
        "record": {k: v for k, v in fm.record.items() if k not in _CLOCK},
    }
    text = json.dumps(meta, indent=1, allow_nan=False, default=str)
    return {TENSORS: blob, META: (text + "\n").encode("utf-8")}


def save(model, path: str | os.PathLike[str]) -> pathlib.Path:
    """Write ``model.safetensors`` and ``model.json`` into the folder ``path``.

    ``model`` is a `FitResult` or a `FittedModel`. The folder is created if needed;
    other files in it are left alone; each file is replaced atomically.
    Returns the folder.
    """
    return write_files(path, model_files(model))


# ----------------------------------------------------------------------------- load


def _bad(file: pathlib.Path, problem: str) -> InputError:
    return InputError(
        f"{file}: {problem}; the saved model cannot be used. Restore the file from the run "
        "that wrote it, or fit again (`symkan fit DATA.csv`)"
    )


def _read_meta(folder: pathlib.Path) -> dict:
    meta_path = folder / META
    if not meta_path.is_file():
        raise InputError(
            f"no {META} in {folder}; give a folder written by `symkan fit` or `symkan.save` "
            "(it holds model.json and model.safetensors)"
        )
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise _bad(meta_path, f"is not valid JSON (truncated or edited?): {err}") from None
    except RecursionError:
        raise _bad(meta_path, "is nested too deeply to be a model file (edited?)") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise _bad(meta_path, f"is not a symkan model file (no \"format\": \"{FORMAT}\")")
    if meta.get("version") not in _READS:
        raise InputError(
            f"{meta_path}: format version {meta.get('version')!r}, but this symkan reads "
            f"version {' or '.join(map(str, _READS))}; load it with the symkan version that "
            "saved it, or fit again"
        )
    return meta


class _Mismatch(Exception):
    """A tensor of model.safetensors is not the one model.json describes."""


def _kan(meta: dict, prefix: str, tensors: Mapping[str, torch.Tensor]) -> KAN:
    """The network ``meta`` describes, with the values of ``prefix.*``: every tensor must be
    there with the shape and dtype the description gives, and no other."""
    g = torch.Generator().manual_seed(0)  # construction only; every value is then loaded
    w, grids, ks = meta["widths"], meta["grid_size"], meta["k"]
    if not (len(w) >= 2 and len(grids) == len(ks) == len(w) - 1):
        raise _Mismatch(f"cannot be read with the {prefix} network description {meta}")
    layers = [KANLayer(a, b, gs, k, generator=g) for a, b, gs, k in zip(w, w[1:], grids, ks)]
    net = KAN(w, layers=layers)
    state = {k[len(prefix) + 1:]: v for k, v in tensors.items() if k.startswith(prefix + ".")}
    for key, want in net.state_dict().items():
        _expect(tensors, f"{prefix}.{key}", tuple(want.shape), want.dtype)
    extra = sorted(set(state) - set(net.state_dict()))
    if extra:
        raise _Mismatch(f"holds {prefix}.{extra[0]}, which the {prefix} network of "
                        f"widths {list(w)} does not have")
    net.load_state_dict(state, strict=True)
    return net


def _expect(tensors: Mapping[str, torch.Tensor], key: str, shape: tuple, dtype) -> None:
    """``tensors[key]`` exists with ``shape`` (``None`` entries: any size) and ``dtype``."""
    if key not in tensors:
        raise _Mismatch(f"has no tensor {key!r}")
    got = tensors[key]
    if got.dtype != dtype or len(got.shape) != len(shape) or any(
            s is not None and s != g for s, g in zip(shape, got.shape)):
        want = tuple("n" if s is None else s for s in shape)
        raise _Mismatch(f"holds {key} of shape {tuple(got.shape)} ({got.dtype}), but "
                        f"{META} describes shape {want} ({dtype})")


def _check_tensors(meta: dict, tensors: Mapping[str, torch.Tensor], n_features: int,
                   pruned: KAN) -> None:
    """The rest of the tensor file agrees with model.json: scores, losses, held-out rows."""
    inputs = meta["inputs"]
    if (len(inputs) != pruned.widths[0] or len(set(inputs)) != len(inputs)
            or not all(isinstance(i, int) and 0 <= i < n_features for i in inputs)):
        raise _Mismatch(f"has a pruned network of {pruned.widths[0]} inputs, but {META} "
                        f"gives inputs {inputs} of {n_features} features")
    trained = meta["networks"].get("trained")
    if trained and trained["widths"][0] != n_features:
        raise _Mismatch(f"has a trained network of {trained['widths'][0]} inputs for "
                        f"{n_features} features")
    w = pruned.widths
    if meta["n_scores"] != len(w) - 1:
        raise _Mismatch(f"has a network of {len(w) - 1} layers, but {META} gives "
                        f"{meta['n_scores']} layers of edge scores")
    for k in range(len(w) - 1):
        _expect(tensors, f"scores.{k}", (w[k + 1], w[k]), torch.float64)
    _expect(tensors, "losses", (None,), torch.float64)
    _expect(tensors, "X_test", (None, n_features), torch.float64)
    _expect(tensors, "y_test", (tensors["X_test"].shape[0],), torch.float64)
    s = meta["snapped"]
    if s is not None and (tuple(s["widths"]) != tuple(w) or not all(
            0 <= e[0] < len(w) - 1 and 0 <= e[1] < w[e[0]] and 0 <= e[2] < w[e[0] + 1]
            for e in s["edges"])):
        raise _Mismatch(f"has a pruned network of widths {list(w)}, but the snapped edges "
                        f"in {META} are of widths {s['widths']}")


def _checked_names(meta: dict, meta_path: pathlib.Path) -> tuple[tuple[str, ...], str]:
    """The feature and target names, checked as data's are: they reach formulas and code."""
    names, target = meta.get("feature_names"), meta.get("target_name")
    if not isinstance(names, list):
        raise _bad(meta_path, f"has feature_names {_short(names)}, not a list of names")
    try:
        check_variables(names, target, "its feature_names", "fit again")
    except InputError as err:
        raise _bad(meta_path, f"holds names that cannot be used ({err})") from None
    constants = meta.get("constants")
    if not isinstance(constants, list) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        for v in constants
    ):
        raise _bad(meta_path, f"has constants {_short(constants)}, not a list of finite numbers")
    snapped = meta.get("snapped")
    edges = snapped.get("edges", []) if isinstance(snapped, dict) else []
    if not isinstance(edges, list) or not all(
        isinstance(e, list) and len(e) == 9 and isinstance(e[3], str) and e[3].isprintable()
        and len(e[3]) <= 40 for e in edges
    ):
        raise _bad(meta_path, "has snapped edges that are not [layer, i, j, primitive name, "
                              "a, b, c, d, r2] lists")
    return tuple(names), target


def _template(meta: dict) -> str:
    """The stored formula; version 1 wrote a column ``pi`` as ``pi``, now ``pi_``."""
    text = meta["formula_template"]
    if meta.get("version") == 1 and isinstance(text, str) and "pi" in meta["feature_names"]:
        text = re.sub(r"\bpi\b", shown_names(meta["feature_names"])["pi"], text)
    return text


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def load(path: str | os.PathLike[str]) -> FittedModel:
    """Read a model saved by `save` (or a ``symkan fit`` run folder) → `FittedModel`.

    Raises
    ------
    InputError
        A file is missing, truncated, changed after saving (checksum), or of another
        format version; the message names the file and what to do.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load as st_load

    folder = pathlib.Path(path)
    if folder.is_file() and folder.name in (META, TENSORS):
        folder = folder.parent
    meta = _read_meta(folder)
    tpath = folder / TENSORS
    if not tpath.is_file():
        raise _bad(tpath, "is missing")
    blob = tpath.read_bytes()
    expected = (meta.get("tensors") or {}).get("sha256")
    if hashlib.sha256(blob).hexdigest() != expected:
        raise _bad(tpath, f"does not match the sha256 recorded in {META} ({len(blob)} bytes; "
                          "truncated or changed after saving)")
    names, target = _checked_names(meta, folder / META)
    try:
        tensors = st_load(blob)
        consts = [sympy.Symbol(f"{_CONST}{k}", real=True) for k in range(len(meta["constants"]))]
        expr = parse_formula(_template(meta), [*names, *map(str, consts)])
        expr = expr.xreplace({c: sympy.Float(float(v)) for c, v in zip(consts, meta["constants"])})
        nets = meta["networks"]
        pruned = _kan(nets["pruned"], "pruned", tensors)
        trained = _kan(nets["trained"], "trained", tensors) if nets.get("trained") else None
        _check_tensors(meta, tensors, len(names), pruned)
        s = meta["snapped"]
        snapped = None if s is None else SnappedKAN(
            tuple(s["widths"]),
            tuple(SnappedEdge(*e[:8], float("nan") if e[8] is None else e[8]) for e in s["edges"]),
            tuple(s["in_shift"]), tuple(s["in_scale"]), s["out_shift"], s["out_scale"],
        )
        return FittedModel(
            expr=expr, feature_names=names, target_name=target,
            inputs=tuple(int(i) for i in meta["inputs"]), model=pruned, trained=trained,
            snapped=snapped,
            edge_scores=tuple(tensors[f"scores.{k}"].numpy() for k in range(meta["n_scores"])),
            losses=tuple(tensors["losses"].tolist()), settings=dict(meta["settings"]),
            record=dict(meta["record"]), X_test=tensors["X_test"].numpy(),
            y_test=tensors["y_test"].numpy(),
        )
    except InputError as err:
        raise _bad(folder / META, f"holds a formula that cannot be read ({err})") from None
    except _Mismatch as err:
        raise _bad(tpath, f"does not fit {META}: it {err} (a tensor file from another "
                          "run, or model.json edited?)") from None
    except (SafetensorError, KeyError, TypeError, ValueError, IndexError, RuntimeError) as err:
        why = " ".join(str(err).split())  # one line
        raise _bad(folder / META, f"does not fit {TENSORS} ({type(err).__name__}: {why})") from None
