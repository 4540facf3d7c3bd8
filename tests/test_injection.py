"""Names and formulas from a model file never become code: load refuses them, or the
export writes them where they cannot run (issue 15).

Every string field of model.json gets each payload; each payload would create the
sentinel file if any generated code ran it.
"""

from __future__ import annotations

import ast
import json

import numpy as np
import pytest
import sympy
import torch
from _fitted import hand_fitted

from symkan.cli import main
from symkan.data import Dataset
from symkan.errors import InputError
from symkan.export import TARGETS, export
from symkan.outputs.persist import load, save


def _payloads(sentinel) -> list[str]:
    run = f"open({str(sentinel)!r}, 'w').close()"
    return [
        f'y"""\n    {run}\n    """',  # closes the docstring (issue 15's report)
        f"y'''\n    {run}\n    '''",
        f"x\n{run}\n#",  # a new line in a comment or argument list
        f'x", real=True); {run}; ("',  # ends a string literal
        f"x'); {run} #",
        f"__import__('os').system('touch {sentinel}')",
        f"x + {run}",  # as a formula
        "x\\",  # a backslash before the closing quotes
        "x\u2028y\r\x0c\x00",  # other line breaks
    ]


def _strings(obj, path=()):
    """(path, value) of every string in a JSON document, keys not included."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _strings(v, (*path, k))
    elif isinstance(obj, list):
        for k, v in enumerate(obj):
            yield from _strings(v, (*path, k))
    elif isinstance(obj, str):
        yield path, obj


def _set(obj, path, value):
    for key in path[:-1]:
        obj = obj[key]
    obj[path[-1]] = value


_ALLOWED_CALLS = {"math", "numpy", "torch", "X", "super", "Symbol", "Float", "Integer",
                  "Rational", "exp", "sqrt", "sin", "cos", "tan", "log", "Abs", "atan",
                  "tanh", "asin", "acos", "atanh", "sign", "pi"}


def _run_export(text: str, to: str, n_features: int) -> None:
    """Import the exported code as a user would, and call what it defines."""
    if to == "latex":
        assert "\n" not in text.strip()
        return
    tree = ast.parse(text)
    for node in ast.walk(tree):  # only arithmetic on identifiers and known functions
        if isinstance(node, ast.Call):
            f = node.func
            while isinstance(f, (ast.Attribute, ast.Call)):  # numpy.x(...).astype
                f = f.value if isinstance(f, ast.Attribute) else f.func
            assert isinstance(f, ast.Name) and f.id in _ALLOWED_CALLS, ast.unparse(node)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            assert (node.module if isinstance(node, ast.ImportFrom) else node.names[0].name) in (
                "math", "numpy", "torch", "sympy")
    ns: dict = {}
    exec(compile(text, "<export>", "exec"), ns)  # noqa: S102 - what `import` would do
    X = np.full((3, n_features), 1.5)
    for obj in ns.values():
        if isinstance(obj, type) and issubclass(obj, torch.nn.Module):
            obj()(torch.as_tensor(X))
        elif callable(obj) and getattr(obj, "__code__", None) is not None:
            obj(*X.T) if to == "numpy" else obj(*X[0])


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    fitted = hand_fitted((2, 2, 1), names=("a", "b"), target="F")[0]
    folder = tmp_path_factory.mktemp("run")
    save(fitted, folder)
    meta = json.loads((folder / "model.json").read_text())
    meta["record"].update(units={"a": "m", "F": "N"}, source="law.csv", note="user text")
    meta["settings"].update(method="kan", device="cpu")
    return folder, meta


def test_every_string_of_model_json_with_every_payload(saved, tmp_path):
    folder, meta = saved
    sentinel = tmp_path / "PWNED"
    fields = list(_strings(meta))
    assert len(fields) >= 12
    outcomes = {"refused at load": 0, "refused at export": 0, "safe export": 0}
    for path, _ in fields:
        for payload in _payloads(sentinel):
            changed = json.loads(json.dumps(meta))
            _set(changed, path, payload)
            (folder / "model.json").write_text(json.dumps(changed))
            try:
                model = load(folder)
            except InputError as err:
                assert "model.json" in str(err)
                outcomes["refused at load"] += 1
                continue
            for to in TARGETS:
                try:
                    text = export(model.expr, model.feature_names, to, target=model.target_name)
                except InputError:
                    outcomes["refused at export"] += 1
                    continue
                _run_export(text, to, len(model.feature_names))
                outcomes["safe export"] += 1
                assert not sentinel.exists(), (path, payload, to, text)
    assert outcomes["refused at load"] and outcomes["safe export"]


@pytest.mark.parametrize("field", ["target_name", "feature_names"])
def test_cli_export_of_a_bad_name_exits_2(saved, tmp_path, capsys, field):
    folder, meta = saved
    changed = json.loads(json.dumps(meta))
    bad = 'y"""\n    import os; os.system("touch x")\n    """'
    if field == "target_name":
        changed["target_name"] = bad
    else:
        changed["feature_names"][0] = bad
    (folder / "model.json").write_text(json.dumps(changed))
    assert main(["export", str(folder), "--to", "torch"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("symkan: error:") and "model.json" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_non_finite_constants_are_refused(saved):
    folder, meta = saved
    changed = json.loads(json.dumps(meta))
    changed["constants"][0] = float("nan")
    (folder / "model.json").write_text(json.dumps(changed))
    with pytest.raises(InputError, match="finite numbers"):
        load(folder)


@pytest.mark.parametrize("to", [t for t in TARGETS if t != "latex"])
def test_export_api_writes_any_name_safely(tmp_path, to):
    """The export functions themselves: names from anywhere, symbols of any assumptions."""
    sentinel = tmp_path / "PWNED"
    for payload in _payloads(sentinel):
        names = [payload, "b"]
        for sym in (sympy.Symbol(payload, real=True), sympy.Symbol(payload)):
            expr = 2.5 * sympy.sin(sym) + sympy.Symbol("b", real=True)
            text = export(expr, names, to, target=payload)
            _run_export(text, to, 2)
            assert not sentinel.exists(), (payload, to, text)


def test_undefined_functions_are_not_exported():
    f = sympy.Function("__import__")
    with pytest.raises(InputError, match="not functions symkan knows"):
        export(f(sympy.Symbol("x", real=True)), ["x"], "python")


def test_a_dataset_built_directly_checks_its_names():
    with pytest.raises(InputError, match="variable names"):
        Dataset(np.ones((3, 1)), np.arange(3.0), ("a b",), "y")
    with pytest.raises(InputError, match="target_name"):
        Dataset(np.ones((3, 1)), np.arange(3.0), ("a",), 'y"""')


def test_unicode_names_that_python_reads_as_a_module_name():
    expr = 2 * sympy.Symbol("𝐦ath", real=True)
    ns: dict = {}
    exec(export(expr, ["𝐦ath"], "python"), ns)  # noqa: S102
    assert ns["y"](1.5) == 3.0
