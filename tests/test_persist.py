"""Save/load: load(save(model)) predicts identically; damaged files give clear errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from _fitted import hand_fitted

import symkan
from symkan.errors import InputError
from symkan.outputs.persist import META, TENSORS, from_result, load, save


@pytest.fixture(scope="module")
def pair():
    return hand_fitted((3, 2, 1))


@pytest.fixture
def saved(pair, tmp_path):
    save(pair[0], tmp_path)
    return tmp_path


def test_load_save_predicts_identically(pair, saved):
    fitted = pair[0]
    back = symkan.load(saved)
    X = np.random.default_rng(1).uniform(1, 5, (300, 3))
    assert back.expr == fitted.expr  # the same sympy tree, every float bit for bit
    assert np.array_equal(back.predict(X), fitted.predict(X))
    assert np.array_equal(back.predict_network(X), fitted.predict_network(X))
    with torch.no_grad():
        Xt = torch.as_tensor(X)
        assert torch.equal(back.trained(Xt), fitted.trained(Xt))
    assert back.snapped == fitted.snapped
    assert back.feature_names == fitted.feature_names and back.target_name == "F"
    assert np.array_equal(back.X_test, fitted.X_test)
    assert all(np.array_equal(a, b) for a, b in zip(back.edge_scores, fitted.edge_scores))


def test_fit_result_round_trip_and_run_folder_loads(pair, tmp_path):
    from symkan.outputs.artifacts import run_files
    from symkan.outputs.runfolder import write_run

    result = pair[1]
    files, _ = run_files(result)
    run = write_run(tmp_path / "run", files)
    back = load(run)
    X = result.dataset.X
    assert np.array_equal(back.predict(X), from_result(result).predict(X))
    assert back.record["formula"] == str(result.expr)
    # the held-out rows are the pipeline's own test split
    assert back.X_test.shape[0] == int(np.ceil(0.2 * result.dataset.n_rows))


def test_save_keeps_other_files(pair, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    symkan.save(pair[0], tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == [META, TENSORS, "notes.txt"]


def test_no_pickle_anywhere(saved):
    assert (saved / TENSORS).read_bytes()[8:9] == b"{"  # safetensors: u64 length + JSON header
    json.loads((saved / META).read_text())


def _damage(path, how):
    data = path.read_bytes()
    if how == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif how == "flip":
        i = len(data) - 10
        path.write_bytes(data[:i] + bytes([data[i] ^ 1]) + data[i + 1:])
    elif how == "delete":
        path.unlink()


@pytest.mark.parametrize(
    ("file", "how", "message"),
    [
        (TENSORS, "truncate", "does not match the sha256"),
        (TENSORS, "flip", "does not match the sha256"),
        (TENSORS, "delete", "model.safetensors: is missing"),
        (META, "truncate", "is not valid JSON"),
        (META, "delete", "no model.json in"),
    ],
)
def test_damaged_files_give_clear_errors(saved, file, how, message):
    _damage(saved / file, how)
    with pytest.raises(InputError, match=message) as err:
        load(saved)
    assert "symkan fit" in str(err.value)  # ... and says what to do


def _edit_meta(folder, **changes):
    meta = json.loads((folder / META).read_text())
    meta.update(changes)
    (folder / META).write_text(json.dumps(meta))


def test_wrong_version_and_format(saved):
    _edit_meta(saved, version=99)
    with pytest.raises(InputError, match="format version 99, but this symkan reads version 1 or 2"):
        load(saved)
    _edit_meta(saved, format="pickle")
    with pytest.raises(InputError, match="not a symkan model file"):
        load(saved)


def test_tampered_json_contents(saved):
    _edit_meta(saved, formula_template="__import__('os').system('true')")
    with pytest.raises(InputError, match="formula that cannot be read"):
        load(saved)


def test_json_that_does_not_fit_the_tensors(saved):
    meta = json.loads((saved / META).read_text())
    meta["networks"]["pruned"]["widths"] = [3, 4, 1]
    (saved / META).write_text(json.dumps(meta))
    with pytest.raises(InputError, match=r"does not fit model.json: it holds pruned\.layers\.0"
                                         r"\.base_weight of shape \(2, 3\).*describes shape \(4, 3\)"):
        load(saved)


def test_predict_checks_shape(pair):
    with pytest.raises(InputError, match="one column per feature"):
        pair[0].predict(np.zeros((4, 2)))


def _swap_tensors(dst, src):
    """``dst`` with ``src``'s tensor file, and the sha256 in model.json recomputed to match."""
    import hashlib

    blob = (src / TENSORS).read_bytes()
    (dst / TENSORS).write_bytes(blob)
    meta = json.loads((dst / META).read_text())
    meta["tensors"].update(sha256=hashlib.sha256(blob).hexdigest(), bytes=len(blob))
    (dst / META).write_text(json.dumps(meta))


@pytest.mark.parametrize(("other", "names", "words"), [
    ((3, 3, 1), ("q", "Ef", "B"), ["pruned.layers.0.base_weight of shape (3, 3)",
                                   "describes shape (2, 3)"]),
    ((2, 2, 1), ("q", "Ef"), ["pruned.in_shift of shape (2,)", "describes shape (3,)"]),
    ((3, 2, 1, 1), ("q", "Ef", "B"), ["holds pruned.layers.2.base_weight, which the pruned"]),
])
def test_tensors_of_another_run_are_refused_at_load(tmp_path, capsys, other, names, words):
    from symkan.cli import main

    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    save(hand_fitted((3, 2, 1))[0], mine)
    save(hand_fitted(other, seed=1, names=names)[0], theirs)
    _swap_tensors(mine, theirs)
    with pytest.raises(InputError) as info:
        load(mine)
    msg = str(info.value)
    assert all(w in msg for w in words) and "another run" in msg and TENSORS in msg
    for command in (["export", str(mine), "--to", "python"],
                    ["diagram", str(mine), "--format", "dot"]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert err.startswith("symkan: error:") and len(err.strip().splitlines()) == 1
        assert words[0] in err and "Traceback" not in err


def test_held_out_rows_and_scores_must_agree_with_model_json(saved, tmp_path):
    from safetensors.torch import load as st_load
    from safetensors.torch import save as st_save

    tensors = st_load((saved / TENSORS).read_bytes())
    for key, bad, words in [
        ("X_test", torch.zeros(5, 4, dtype=torch.float64), "X_test of shape (5, 4)"),
        ("scores.0", torch.zeros(2, 3, dtype=torch.float32),
         "scores.0 of shape (2, 3) (torch.float32)"),
        ("y_test", torch.zeros(3, dtype=torch.float64), "y_test of shape (3,)"),
    ]:
        folder = tmp_path / key
        folder.mkdir()
        (folder / META).write_bytes((saved / META).read_bytes())
        (folder / TENSORS).write_bytes(st_save({**tensors, key: bad}))
        _swap_tensors(folder, folder)
        with pytest.raises(InputError, match="another run") as info:
            load(folder)
        assert words in str(info.value)
