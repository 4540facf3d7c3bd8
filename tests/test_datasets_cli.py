"""`symkan datasets list|make`: tables on stdout, CSV files that `symkan fit` reads."""

import numpy as np
import pytest

from symkan.bench.problems import get_problem
from symkan.cli import main
from symkan.data import load_csv


def test_list_one_suite(capsys):
    assert main(["datasets", "list", "special"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["name", "variables", "formula"]
    assert len(lines) == 16
    assert lines[4].split()[:3] == ["special:jv", "x", "y"]


def test_list_all_suites(capsys):
    assert main(["datasets", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 + 100 + 20 + 15 + 27
    assert any(line.startswith("kan-paper:I.16.6 ") for line in lines)


def test_unknown_suite_is_exit_2(capsys):
    assert main(["datasets", "list", "feynmann"]) == 2
    assert "Did you mean 'feynman'" in capsys.readouterr().err


def test_make_writes_a_csv_that_load_csv_reads(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["datasets", "make", "I.12.11", "--n", "300", "--seed", "4"]) == 0
    path = tmp_path / "I.12.11.csv"
    assert capsys.readouterr().out.strip() == "I.12.11.csv"
    ds = load_csv(path)
    assert ds.feature_names == ("q", "Ef", "B", "v", "theta") and ds.target_name == "F"
    assert ds.n_rows == 300
    # the file holds the problem's own rows, exactly (floats written with repr)
    ref = get_problem("I.12.11").sample(300, seed=4)
    assert np.array_equal(ds.X, ref.X) and np.array_equal(ds.y, ref.y)
    np.testing.assert_allclose(get_problem("I.12.11").evaluate(ds.X), ds.y, rtol=1e-12)


def test_make_noise_and_default_names(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["datasets", "make", "kan-paper:I.16.6", "--n", "4000", "--noise", "0.1"]) == 0
    ds = load_csv(tmp_path / "kan-paper_I.16.6.csv")
    clean = get_problem("kan-paper:I.16.6").evaluate(ds.X)
    assert np.std(ds.y - clean) == pytest.approx(0.1 * np.sqrt(np.mean(clean**2)), rel=0.05)
    assert main(["datasets", "make", "special:jv", "--n", "50"]) == 0
    assert load_csv(tmp_path / "special_jv.csv").feature_names == ("x", "y")


def test_make_refuses_to_overwrite_unless_forced(tmp_path, capsys):
    out = tmp_path / "a.csv"
    out.write_text("keep me\n")
    assert main(["datasets", "make", "I.6.2a", "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err and out.read_text() == "keep me\n"
    assert main(["datasets", "make", "I.6.2a", "--out", str(out), "--force"]) == 0
    assert load_csv(out).n_rows == 1000
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]  # no temporary file left


def test_make_to_stdout(capsys):
    assert main(["datasets", "make", "I.6.2a", "--n", "20", "--out", "-"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "theta,f" and len(lines) == 21


@pytest.mark.parametrize("argv, message", [
    (["datasets", "make", "I.6.2x"], "Did you mean"),
    (["datasets", "make", "I.6.2a", "--n", "3"], "too few"),
    (["datasets", "make", "I.6.2a", "--noise", "-0.1"], "noise"),
    (["datasets", "make", "I.6.2a", "--out", "no/such/folder/a.csv"], "does not exist"),
])
def test_make_bad_input_is_exit_2(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_fit_runs_on_a_made_csv(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["datasets", "make", "I.12.1", "--n", "300"]) == 0
    capsys.readouterr()
    assert main(["fit", "I.12.1.csv", "--quiet", "--device", "cpu"]) == 0
    assert capsys.readouterr().out.strip() == "F = Nn*mu"
