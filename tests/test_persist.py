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
    with pytest.raises(InputError, match="does not fit model.safetensors"):
        load(saved)


def test_predict_checks_shape(pair):
    with pytest.raises(InputError, match="one column per feature"):
        pair[0].predict(np.zeros((4, 2)))
