"""Input that ended in a traceback now ends in one line that says what to fix (issue 15)."""

from __future__ import annotations

import numpy as np
import pytest
from _fitted import hand_fitted

import symkan
from symkan.cli import main
from symkan.errors import InputError
from symkan.formula import parse_formula


def _one_line_error(capsys, *words: str) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("symkan: error:") and "Traceback" not in err, err
    assert len(err.splitlines()) == 1, err
    for word in words:
        assert word in err, err
    return err


def _csv(path, header, rows):
    path.write_text("\n".join([",".join(header), *(",".join(map(str, r)) for r in rows)]) + "\n")
    return path


def test_every_feature_constant(tmp_path, capsys):
    csv = _csv(tmp_path / "c.csv", ["a", "b", "y"], [(1, 2, i * i) for i in range(40)])
    assert main(["fit", str(csv), "--out", str(tmp_path / "run"), "--quiet"]) == 2
    _one_line_error(capsys, "every feature column of c.csv is constant", "a=1, b=2")
    assert not (tmp_path / "run").exists()


def test_fit_of_a_file_name_says_to_load_it():
    with pytest.raises(InputError, match=r"symkan\.load_csv\('data\.csv'\)"):
        symkan.fit("data.csv")
    with pytest.raises(InputError, match="not a ndarray; build one with"):
        symkan.fit(np.ones((3, 2)))


def test_units_of_a_column_that_does_not_exist(tmp_path, capsys):
    csv = _csv(tmp_path / "d.csv", ["x", "y"], [(i, 2 * i + 1) for i in range(1, 40)])
    args = ["fit", str(csv), "--out", str(tmp_path / "run"), "--quiet"]
    assert main([*args, "--units", "x=m,y=m,yy=s"]) == 2
    _one_line_error(capsys, "--units names ['yy']", "Did you mean 'y'?")


@pytest.mark.parametrize(("formulas", "words"), [
    (["x", "x/0"], ["divides by zero"]),
    (["x", "log(0)*x"], ["infinite or undefined"]),
    (["I.99.99", "x"], ["no benchmark problem is called 'I.99.99'"]),
])
def test_compare_messages(capsys, formulas, words):
    assert main(["compare", *formulas]) == 2
    _one_line_error(capsys, *words)


def test_a_formula_that_is_infinite_is_refused():
    with pytest.raises(InputError, match="divides by zero"):
        parse_formula("1/(x - x)", ["x"])


@pytest.mark.parametrize("command", [
    ["export", "{run}", "--to", "python"], ["diagram", "{run}", "--format", "dot"],
])
def test_a_model_file_nested_too_deeply(tmp_path, capsys, command):
    run = tmp_path / "run"
    symkan.save(hand_fitted((2, 1), names=("a", "b"))[0], run)
    deep = "[" * 100_000 + "]" * 100_000
    (run / "model.json").write_text('{"format": "symkan-model", "version": 1, "x": ' + deep + "}")
    with pytest.raises(InputError, match="nested too deeply"):
        symkan.load(run)
    assert main([a.format(run=run) for a in command]) == 2
    _one_line_error(capsys, "nested too deeply")


def test_semicolon_csv_with_decimal_commas(tmp_path, capsys):
    csv = tmp_path / "eu.csv"
    csv.write_text("a;b;y\n" + "\n".join(f"{i},5;2,{i};3,5" for i in range(30)) + "\n")
    assert main(["fit", str(csv), "--out", str(tmp_path / "run"), "--quiet"]) == 2
    err = _one_line_error(capsys, "eu.csv looks separated by ';' with decimal commas",
                          "decimal=','")
    assert "trailing comma" not in err
    assert not (tmp_path / "run").exists()
