"""The `symkan fit` command: outputs on success, exit 2 and no run folder on bad input."""

import json

import numpy as np
import pytest
import sympy

from symkan.cli import main
from symkan.formula import parse_formula


def _write(path, header, rows):
    lines = [",".join(header)] + [",".join(str(v) for v in r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def _good_rows(n=200):
    rng = np.random.default_rng(0)
    x = rng.uniform(1, 5, n)
    return [(xi, 3 * xi**2) for xi in x]


def test_fit_writes_a_complete_run_folder(tmp_path, capsys):
    csv = _write(tmp_path / "law.csv", ["lambda", "E"], _good_rows())
    out = tmp_path / "run"
    assert main(["fit", str(csv), "--out", str(out), "--quiet"]) == 0
    stdout = capsys.readouterr().out.strip()
    assert stdout.startswith("E = ")
    record = json.loads((out / "result.json").read_text())
    for key in ("formula", "latex", "r2", "rmse", "complexity", "seconds", "device", "width"):
        assert key in record
    found = parse_formula(record["formula"], ["lambda"])  # a keyword name still works
    lam = sympy.Symbol("lambda", real=True)
    assert sympy.simplify(found - 3 * lam**2) == 0
    assert record["r2"] > 0.999999
    assert record["device"] == "cpu"
    assert (out / "formula.tex").read_text().strip() == record["latex"]
    assert (out / "diagram.dot").read_text().startswith("digraph")
    assert "symkan report" in (out / "report.md").read_text()
    assert "<svg" in (out / "diagram.svg").read_text()  # drawn by dot or by our own layout
    assert record["formula_network"]["r2"] > 1 - 1e-12  # the drawn network is the formula


@pytest.mark.parametrize(
    "header, rows, args, message",
    [
        (["x", "y"], _good_rows(), ["--target", "Y2"], "Did you mean 'y'"),
        (["x", "y"], [(1, 2)] * 5, [], "rows"),
        (["x", "y"], [(float(i), 2.0) for i in range(50)], [], "constant"),
        (["x", "y"], [(i, "abc" if i == 7 else i) for i in range(50)], [], "abc"),
        (["x", "y"], [(i, "nan" if i in (3, 9) else i) for i in range(50)], [], "2 rows"),
        (["x", "x", "y"], [(i, i, i) for i in range(50)], [], "more than once"),
    ],
)
def test_bad_input_exits_2_without_a_run_folder(tmp_path, capsys, header, rows, args, message):
    csv = _write(tmp_path / "bad.csv", header, rows)
    out = tmp_path / "run"
    assert main(["fit", str(csv), "--out", str(out), "--quiet", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("symkan: error:") and message in err
    assert "Traceback" not in err
    assert not out.exists()


def test_missing_file(tmp_path, capsys):
    assert main(["fit", str(tmp_path / "nope.csv"), "--quiet"]) == 2
    assert "nope.csv" in capsys.readouterr().err


def test_cuda_without_gpu_is_a_clear_error(tmp_path, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    csv = _write(tmp_path / "law.csv", ["x", "y"], _good_rows())
    assert main(["fit", str(csv), "--device", "cuda", "--quiet",
                 "--out", str(tmp_path / "r")]) == 2
    assert "no CUDA GPU" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_refuses_to_replace_a_folder_symkan_did_not_write(tmp_path, capsys):
    csv = _write(tmp_path / "law.csv", ["x", "y"], _good_rows())
    other = tmp_path / "precious"
    other.mkdir()
    (other / "thesis.tex").write_text("keep me")
    assert main(["fit", str(csv), "--out", str(other), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "not a symkan run folder" in err and "--force" in err
    assert len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in other.iterdir()) == ["thesis.tex"]
    # --force writes the run into it and keeps the user's file
    assert main(["fit", str(csv), "--out", str(other), "--quiet", "--force"]) == 0
    assert (other / "thesis.tex").read_text() == "keep me"
    assert (other / "result.json").exists()
    capsys.readouterr()


def test_a_new_run_keeps_the_notes_added_to_the_old_one(tmp_path, capsys):
    csv = _write(tmp_path / "law.csv", ["x", "y"], _good_rows())
    out = tmp_path / "run"
    assert main(["fit", str(csv), "--out", str(out), "--quiet"]) == 0
    (out / "notes.md").write_text("what I saw")
    (out / "plots" / "mine.png").write_bytes(b"png")
    assert main(["fit", str(csv), "--out", str(out), "--quiet", "--seed", "1"]) == 0
    assert (out / "notes.md").read_text() == "what I saw"
    assert (out / "plots" / "mine.png").read_bytes() == b"png"
    assert json.loads((out / "result.json").read_text())["settings"]["seed"] == 1
    capsys.readouterr()


@pytest.mark.parametrize("command", [
    ["diagram", "{run}", "--format", "dot", "--out", "{file}"],
    ["diagram", "{run}", "--format", "dot"],  # the default file in the run folder
    ["export", "{run}", "--to", "python", "--out", "{file}"],
])
def test_commands_do_not_overwrite_a_file_without_force(tmp_path, capsys, command):
    from _fitted import hand_fitted

    import symkan

    run = tmp_path / "run"
    symkan.save(hand_fitted((2, 1), names=("a", "b"))[0], run)
    file = tmp_path / "mine.txt"
    default = run / "diagram_formula.dot"
    for existing in (file, default):
        existing.write_text("the user's")
    args = [a.format(run=run, file=file) for a in command]
    target = file if "{file}" in command else default
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert "exists; pass --force" in err and len(err.strip().splitlines()) == 1 and out == ""
    assert target.read_text() == "the user's"
    assert main([*args, "--force"]) == 0
    assert target.read_text() != "the user's"


def test_pareto_front_in_result_json_and_on_stderr(tmp_path, capsys):
    csv = _write(tmp_path / "law.csv", ["x", "E"], _good_rows())
    out = tmp_path / "run"
    assert main(["fit", str(csv), "--out", str(out), "--time-budget", "60"]) == 0
    captured = capsys.readouterr()
    assert "Pareto front for E" in captured.err
    front = json.loads((out / "result.json").read_text())["pareto"]
    assert front and {"complexity", "loss", "formula", "latex"} <= set(front[0])
    assert [r["complexity"] for r in front] == sorted(r["complexity"] for r in front)
    assert front[-1]["formula"] == json.loads((out / "result.json").read_text())["formula"]


def test_several_targets_give_one_run_folder_and_line_each(tmp_path, capsys):
    rows = [(x, 3 * x**2, x + 1) for x, _ in _good_rows()]
    csv = _write(tmp_path / "law.csv", ["x", "a", "b"], rows)
    out = tmp_path / "run"
    assert main(["fit", str(csv), "--target", "a,b", "--out", str(out), "--quiet"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(" = ")[0] for line in lines] == ["a", "b"]
    x = sympy.Symbol("x", real=True)
    for name, true in (("a", 3 * x**2), ("b", x + 1)):
        record = json.loads((out / name / "result.json").read_text())
        assert record["features"] == ["x"]  # the other target is not a feature
        assert sympy.simplify(parse_formula(record["formula"], ["x"]) - true) == 0


def test_first_ctrl_c_keeps_the_formulas_found_so_far(tmp_path, capsys, monkeypatch):
    import signal

    from symkan.cli.progress import Progress

    original = Progress.__call__

    def press_ctrl_c_after_first_candidate(self, stage, info):
        original(self, stage, info)
        if stage == "candidate":
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(Progress, "__call__", press_ctrl_c_after_first_candidate)
    csv = _write(tmp_path / "law.csv", ["x", "E"], _good_rows())
    out = tmp_path / "run"
    assert main(["fit", str(csv), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "Ctrl-C again to abort" in captured.err and "search stopped" in captured.err
    assert captured.out.startswith("E = ")
    record = json.loads((out / "result.json").read_text())
    names = [c["name"] for c in record["candidates"] if c["name"] != "constant"]
    assert names == ["additive log|y|"]  # the first stage's formula (the law is positive)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored


def _no_training(monkeypatch):
    import symkan.cli.fit as cli_fit

    def fit(*args, **kwargs):
        raise AssertionError("trained although the output place was refused")

    monkeypatch.setattr(cli_fit, "fit", fit)


@pytest.mark.parametrize("where", ["cwd", "home", "symlink", "under_a_file", "read_only"])
def test_an_unusable_out_is_refused_before_training(tmp_path, capsys, monkeypatch, where):
    import os

    csv = _write(tmp_path / "law.csv", ["x", "y"], _good_rows())
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    if where == "cwd":
        out, message = ".", "current folder"
    elif where == "home":
        (tmp_path / "home").mkdir()
        monkeypatch.setenv("HOME", str(tmp_path / "home"))
        out, message = str(tmp_path / "home"), "home folder"
    elif where == "symlink":
        (tmp_path / "real").mkdir()
        (work / "link").symlink_to(tmp_path / "real")
        out, message = "link", "symbolic link"
    elif where == "under_a_file":
        (work / "afile").write_text("")
        out, message = "afile/run", "which is a file"
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        if os.geteuid() == 0:  # root writes anyway: act as a read-only file system
            import errno

            import symkan.cli._paths as paths

            def mkstemp(*args, **kwargs):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS))

            monkeypatch.setattr(paths.tempfile, "mkstemp", mkstemp)
        out, message = str(ro / "run"), "cannot be written (" + repr(str(ro))
    _no_training(monkeypatch)
    assert main(["fit", str(csv), "--out", out, "--quiet"]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("symkan: error:") and message in captured.err
    assert len(captured.err.strip().splitlines()) == 1 and captured.out == ""
    assert sorted(p.name for p in work.iterdir()) in ([], ["link"], ["afile"])


def test_a_run_folder_that_cannot_be_written_after_the_search_keeps_the_formula(
        tmp_path, capsys, monkeypatch):
    import symkan.cli.fit as cli_fit

    csv = _write(tmp_path / "law.csv", ["x", "E"], _good_rows())
    out = tmp_path / "gone" / "run"
    real_fit = cli_fit.fit

    def fit_then_the_folder_is_taken(*args, **kwargs):
        result = real_fit(*args, **kwargs)
        (tmp_path / "gone").write_text("a file appeared where the run's folder goes")
        return result

    monkeypatch.setattr(cli_fit, "fit", fit_then_the_folder_is_taken)
    assert main(["fit", str(csv), "--out", str(out), "--quiet"]) == 2
    captured = capsys.readouterr()
    assert captured.out.startswith("E = ")
    err = captured.err.strip()
    assert err.startswith("symkan: error: could not write the run folder") and "stdout" in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()


def _without_clock(record: dict) -> dict:
    """result.json less what legitimately differs between two runs: the seconds taken."""
    return {k: v for k, v in record.items() if k not in ("seconds", "timings")}


def test_same_data_seed_and_settings_give_the_same_run(tmp_path, capsys):
    rng = np.random.default_rng(7)
    X = rng.uniform(1, 3, (150, 3))
    y = X[:, 0] * X[:, 1] + np.sin(X[:, 2])
    csv = _write(tmp_path / "law.csv", ["x0", "x1", "x2", "y"],
                 [tuple(map(float, r)) for r in np.c_[X, y]])
    runs = []
    for name in ("a", "b"):
        out = tmp_path / name
        assert main(["fit", str(csv), "--out", str(out), "--quiet", "--time-budget", "120",
                     "--methods", "additive,separable"]) == 0
        runs.append(out)
    a, b = (json.loads((r / "result.json").read_text()) for r in runs)
    assert a["formula"] == b["formula"] and a["latex"] == b["latex"]
    assert (runs[0] / "model.safetensors").read_bytes() == (runs[1] / "model.safetensors").read_bytes()
    assert (runs[0] / "formula.tex").read_bytes() == (runs[1] / "formula.tex").read_bytes()
    assert (runs[0] / "diagram.dot").read_bytes() == (runs[1] / "diagram.dot").read_bytes()
    # everything but the clock is the same, to the last bit: the front, every candidate,
    # the constants (refits use scipy's 'trf', whose results do not vary between calls)
    assert _without_clock(a) == _without_clock(b)
    assert (runs[0] / "model.json").read_bytes() == (runs[1] / "model.json").read_bytes()
