"""Tests for symkan.data: loading, validation messages, Dataset surgery, splitting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sympy

from symkan.data import Dataset, from_arrays, load_csv, train_test_split
from symkan.errors import InputError


def _rows(n: int = 25) -> list[list[float]]:
    """n rows of (a, b, F) with F = a * b + 1; F varies, so it is a valid target."""
    return [[i, 0.5 * i + 1, i * (0.5 * i + 1) + 1] for i in range(n)]


def _write(tmp_path, text: str, name: str = "data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _csv(header: str = "a,b,F", rows: list[list[float]] | None = None) -> str:
    rows = _rows() if rows is None else rows
    return header + "\n" + "\n".join(",".join(repr(float(v)) for v in r) for r in rows) + "\n"


def _error(path, **kwargs) -> str:
    with pytest.raises(InputError) as info:
        load_csv(path, **kwargs)
    return str(info.value)


# ---------------------------------------------------------------- happy paths


def test_load_csv_default_target_is_last_column(tmp_path):
    ds = load_csv(_write(tmp_path, _csv()))
    expected = np.array(_rows())
    assert ds.feature_names == ("a", "b")
    assert ds.target_name == "F"
    assert ds.source == "data.csv"
    assert (ds.n_rows, ds.n_features) == (25, 2)
    assert ds.X.dtype == np.float64 and ds.X.flags.c_contiguous
    assert ds.y.dtype == np.float64 and ds.y.shape == (25,)
    np.testing.assert_array_equal(ds.X, expected[:, :2])
    np.testing.assert_array_equal(ds.y, expected[:, 2])


def test_load_csv_explicit_target_in_the_middle(tmp_path):
    ds = load_csv(_write(tmp_path, _csv()), target="b")
    expected = np.array(_rows())
    assert ds.feature_names == ("a", "F")
    assert ds.target_name == "b"
    np.testing.assert_array_equal(ds.X, expected[:, [0, 2]])
    np.testing.assert_array_equal(ds.y, expected[:, 1])
    assert ds.X.flags.c_contiguous and ds.y.flags.c_contiguous


def test_load_csv_parses_numbers_exactly_and_tolerates_bom_spaces_blank_lines(tmp_path):
    text = "\ufeff a , b ,F\n\n0.1, 1e-3, 3\n\n" + _csv("", [[i, i + 2, i * i] for i in range(20)])
    ds = load_csv(_write(tmp_path, text))
    assert ds.feature_names == ("a", "b")
    assert ds.X[0, 0] == 0.1 and ds.X[0, 1] == 1e-3 and ds.y[0] == 3.0
    assert ds.n_rows == 21


def test_constant_feature_is_kept(tmp_path):
    rows = [[i, 7.0, 2.0 * i] for i in range(25)]
    ds = load_csv(_write(tmp_path, _csv("a,c,F", rows)))
    assert ds.feature_names == ("a", "c")
    assert np.all(ds.X[:, 1] == 7.0)


def test_min_rows_can_be_lowered(tmp_path):
    ds = load_csv(_write(tmp_path, _csv(rows=_rows(5))), min_rows=5)
    assert ds.n_rows == 5


def test_sympy_clashing_names_stay_plain_symbols(tmp_path):
    names = ["I", "E", "S", "beta", "gamma", "lambda", "N", "Q", "O", "pi", "zeta"]
    rng = np.random.default_rng(0)
    data = rng.uniform(1, 2, size=(25, len(names)))
    rows = np.column_stack([data, data.sum(axis=1)])
    ds = load_csv(_write(tmp_path, _csv(",".join(names) + ",F", rows.tolist())))
    symbols = ds.symbols()
    assert [s.name for s in symbols] == names
    assert all(type(s) is sympy.Symbol and s.is_real for s in symbols)
    assert symbols[0] == sympy.Symbol("I", real=True)
    assert sympy.Symbol("I") != sympy.I and symbols[0] != sympy.I
    assert symbols[1] != sympy.E and symbols[9] != sympy.pi
    assert not symbols[5].is_Function


def test_from_arrays_defaults_and_copies():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 3))
    y = X[:, 0] - X[:, 2]
    ds = from_arrays(X, y)
    assert ds.feature_names == ("x0", "x1", "x2")
    assert ds.target_name == "y" and ds.source is None
    np.testing.assert_array_equal(ds.X, X)
    X[0, 0] = 99.0
    y[0] = 99.0
    assert ds.X[0, 0] != 99.0 and ds.y[0] != 99.0


def test_from_arrays_dataframe_and_series():
    frame = pd.DataFrame({"m": np.arange(1.0, 31.0), "lambda": np.linspace(0, 1, 30)})
    target = pd.Series(frame["m"] * frame["lambda"], name="F")
    ds = from_arrays(frame, target, target_name="F", source="frame")
    assert ds.feature_names == ("m", "lambda")
    assert ds.target_name == "F" and ds.source == "frame"
    np.testing.assert_array_equal(ds.X, frame.to_numpy())
    np.testing.assert_array_equal(ds.y, target.to_numpy())
    # default integer column labels fall back to x0, x1; explicit names override columns
    assert from_arrays(pd.DataFrame(frame.to_numpy()), target).feature_names == ("x0", "x1")
    assert from_arrays(frame, target, ["u", "v"]).feature_names == ("u", "v")


def test_from_arrays_accepts_column_vector_target_and_numeric_strings():
    X = np.arange(40.0).reshape(20, 2)
    ds = from_arrays(X, X[:, :1] ** 2)
    assert ds.y.shape == (20,)
    ds = from_arrays(X.astype(str).astype(object), np.arange(20.0))
    np.testing.assert_array_equal(ds.X, X)


# ---------------------------------------------------------------- file errors


def test_missing_file(tmp_path):
    msg = _error(tmp_path / "nope.csv")
    assert "no such file" in msg and "nope.csv" in msg and "check the path" in msg


def test_directory(tmp_path):
    _write(tmp_path, _csv(), "inside.csv")
    msg = _error(tmp_path)
    assert "is a directory" in msg and str(tmp_path) in msg and "inside.csv" in msg


@pytest.mark.parametrize("text", ["", "\n\n   \n"])
def test_empty_file(tmp_path, text):
    msg = _error(_write(tmp_path, text, "empty.csv"))
    assert "empty.csv" in msg and "is empty" in msg and "header line" in msg


def test_unparseable_csv_names_path_and_line(tmp_path):
    msg = _error(_write(tmp_path, "a,b,F\n1,2,3\n1,2,3,4\n", "bad.csv"))
    assert "bad.csv" in msg and "could not be parsed as CSV" in msg
    assert "line 3" in msg and "as many" in msg


def test_trailing_comma_on_data_lines(tmp_path):
    text = "a,b,F\n" + "\n".join(f"{i},{i + 1},{i * 2}," for i in range(25))
    msg = _error(_write(tmp_path, text))
    assert "more fields than its header" in msg and "trailing comma" in msg


def test_not_utf8(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("\u00e9,b,F\n1,2,3\n".encode("latin-1"))
    msg = _error(path)
    assert "latin.csv" in msg and "UTF-8" in msg and "export it as CSV" in msg


def test_single_column_hints_at_separator(tmp_path):
    msg = _error(_write(tmp_path, "a;b;F\n1;2;3\n"))
    assert "looks separated by ';'" in msg and "'a;b;F'" in msg
    assert "decimal commas" not in msg and "comma-separated" in msg
    assert "sep=';')" in msg
    msg = _error(_write(tmp_path, "a\tb\tF\n1\t2\t3\n"))
    assert "looks separated by tab" in msg


def test_semicolons_with_decimal_commas_are_named(tmp_path):
    rows = "\n".join(f"{i},5;{i + 1},25;{2 * i},0" for i in range(30))
    msg = _error(_write(tmp_path, f"a;b;y\n{rows}\n"))
    assert "looks separated by ';' with decimal commas" in msg
    assert "trailing comma" not in msg and "first row '0,5;1,25;0,0'" in msg
    assert "sep=';', decimal=',')" in msg  # the conversion, runnable as written
    path = tmp_path / "data.csv"
    pd.read_csv(path, sep=";", decimal=",").to_csv(tmp_path / "fixed.csv", index=False)
    ds = load_csv(tmp_path / "fixed.csv")
    assert ds.feature_names == ("a", "b") and ds.X[3].tolist() == [3.5, 4.25]


# ---------------------------------------------------------------- header errors


def test_unknown_target_suggests_close_name(tmp_path):
    msg = _error(_write(tmp_path, _csv("x,y,F")), target="Fx")
    assert msg.startswith("target 'Fx' is not a column of data.csv; columns are ['x', 'y', 'F'].")
    assert "Did you mean 'F'" in msg


def test_unknown_target_case_insensitive_suggestion(tmp_path):
    msg = _error(_write(tmp_path, _csv("mass,acc,Force")), target="force")
    assert "Did you mean 'Force'?" in msg


def test_unknown_target_without_close_name(tmp_path):
    msg = _error(_write(tmp_path, _csv()), target="zzz")
    assert "['a', 'b', 'F']" in msg and "Did you mean" not in msg


def test_duplicate_columns_named(tmp_path):
    msg = _error(_write(tmp_path, _csv("x,y,x")))
    assert "unique" in msg and "'x'" in msg and "columns 1, 3" in msg and "rename" in msg


@pytest.mark.parametrize(
    ("bad", "suggestion"), [("x 1", "x_1"), ("3x", "x_3x"), ("a-b", "a_b"), ("x.1", "x_1")]
)
def test_non_identifier_names_get_cleaned_suggestion(tmp_path, bad, suggestion):
    msg = _error(_write(tmp_path, _csv(f"{bad},b,F")))
    assert f"'{bad}'" in msg and f"try '{suggestion}'" in msg and "rename" in msg


def test_empty_header_cell(tmp_path):
    msg = _error(_write(tmp_path, _csv("a,,F")))
    assert "column 2 has no name" in msg and "header line" in msg


def test_trailing_comma_everywhere_is_explained(tmp_path):
    text = "a,b,F,\n" + "\n".join(f"{i},{i + 1},{i * 2}," for i in range(25))
    msg = _error(_write(tmp_path, text))
    assert "column 4 has no name and no values" in msg and "trailing comma" in msg


# ---------------------------------------------------------------- cell errors


def test_non_numeric_cells_named_with_line_value_and_count(tmp_path):
    lines = _csv().splitlines()
    lines[6] = "5.0,abc,31.0"  # data row 5 -> line 7 in a spreadsheet
    lines[9] = "8.0,?,41.0"
    msg = _error(_write(tmp_path, "\n".join(lines)))
    assert "column 'b' of data.csv" in msg
    assert "2 non-numeric cells" in msg and "'abc'" in msg and "line 7" in msg
    assert "Replace them with numbers" in msg


def test_text_column_and_decimal_comma_hints(tmp_path):
    rows = "\n".join(f"n{i},{i},{i * 3}" for i in range(25))
    msg = _error(_write(tmp_path, "name,b,F\n" + rows))
    assert "column 'name'" in msg and "holds text" in msg and "line 2" in msg and "'n0'" in msg
    msg = _error(_write(tmp_path, 'a,b,F\n"1,5",2,3\n' + _csv("").lstrip("\n")))
    assert "'1,5'" in msg and "decimal point" in msg


def test_missing_and_infinite_cells_listed_by_line(tmp_path):
    lines = _csv().splitlines()
    lines[3] = "2.0,,5.0"  # line 4: empty
    lines[5] = "4.0,inf,13.0"  # line 6: infinite
    lines[8] = "7.0,4.5,NA"  # line 9: NA token
    msg = _error(_write(tmp_path, "\n".join(lines)))
    assert "3 rows" in msg and "lines 4, 6, 9" in msg
    assert "'b'" in msg and "'F'" in msg and "drop or fill these rows" in msg


def test_many_missing_rows_are_truncated(tmp_path):
    lines = _csv().splitlines()
    for k in range(1, 11):
        lines[k] = f"{k},nan,1.0"
    msg = _error(_write(tmp_path, "\n".join(lines)))
    assert "10 rows" in msg and "lines 2, 3, 4, 5, 6 and 5 more" in msg


def test_line_numbers_count_blank_lines(tmp_path):
    lines = _csv().splitlines()
    lines[4] = "3.0,,1.0"
    text = "\n".join(lines[:2]) + "\n\n\n" + "\n".join(lines[2:])  # two blank lines after line 2
    msg = _error(_write(tmp_path, text))
    assert "line 7" in msg


def test_too_few_rows(tmp_path):
    msg = _error(_write(tmp_path, _csv(rows=_rows(7))))
    assert "7 data rows" in msg and "at least 20" in msg and "min_rows" in msg
    msg = _error(_write(tmp_path, "a,b,F\n"))
    assert "0 data rows" in msg


def test_constant_target(tmp_path):
    rows = [[i, i + 1, 3.0] for i in range(25)]
    msg = _error(_write(tmp_path, _csv("a,b,y", rows)))
    assert "target 'y' is constant (= 3.0)" in msg and "there is no law to find" in msg


def test_values_too_large_to_square(tmp_path):
    rows = [[i, i + 1, 10.0 ** (150 + i)] for i in range(25)]  # y up to 1e174
    msg = _error(_write(tmp_path, _csv("a,b,y", rows)))
    assert "columns ['y']" in msg and "too large" in msg and "rescale" in msg
    fine = [[i, i + 1, 1e150 * (i + 1)] for i in range(25)]  # 1e150 still squares
    assert load_csv(_write(tmp_path, _csv("a,b,y", fine))).n_rows == 25


def test_nearly_constant_target():
    X = np.arange(40.0).reshape(20, 2)
    y = 1e6 + 1e-9 * np.sin(np.arange(20.0))
    with pytest.raises(InputError, match="is constant"):
        from_arrays(X, y)


# ---------------------------------------------------------------- from_arrays errors


@pytest.mark.parametrize(
    ("X", "y", "kwargs", "needles"),
    [
        (np.ones(30), np.arange(30.0), {}, ["2-D", "(30,)", "reshape(-1, 1)"]),
        (np.ones((30, 2)), np.arange(29.0), {}, ["30 rows", "29 values"]),
        (np.ones((30, 0)), np.arange(30.0), {}, ["no feature columns"]),
        (np.ones((30, 2)), np.ones((30, 2)), {}, ["one target at a time"]),
        (np.ones((30, 2)), np.arange(30.0), {"feature_names": ["a"]}, ["1 names", "2 columns"]),
        (np.ones((30, 2)), np.arange(30.0), {"feature_names": "ab"}, ["single string"]),
        (np.ones((30, 2)), np.arange(30.0), {"feature_names": ["a", "a"]}, ["unique", "'a'"]),
        (np.ones((30, 2)), np.arange(30.0), {"feature_names": ["a", "b c"]}, ["try 'b_c'"]),
        (np.ones((30, 2)), np.arange(30.0), {"target_name": "my y"}, ["target_name", "'my_y'"]),
        (np.ones((30, 2)), np.arange(30.0), {"target_name": "x0"}, ["also a feature name"]),
        (np.ones((30, 2)) + 1j, np.arange(30.0), {}, ["complex"]),
        (np.ones((30, 2)), np.arange(30.0), {"min_rows": 0}, ["min_rows", "positive"]),
    ],
)
def test_from_arrays_rejects_bad_input(X, y, kwargs, needles):
    with pytest.raises(InputError) as info:
        from_arrays(X, y, **kwargs)
    for needle in needles:
        assert needle in str(info.value)


def test_from_arrays_non_numeric_and_missing_use_row_indices():
    frame = pd.DataFrame({"a": np.arange(30.0), "b": ["1.5"] * 29 + ["oops"]})
    with pytest.raises(InputError) as info:
        from_arrays(frame, np.arange(30.0), source="frame")
    msg = str(info.value)
    assert "column 'b' of frame" in msg and "'oops'" in msg and "row index 29" in msg

    X = np.ones((30, 2))
    X[[3, 17], 1] = np.nan
    with pytest.raises(InputError) as info:
        from_arrays(X, np.arange(30.0))
    msg = str(info.value)
    assert "2 rows" in msg and "row indices 3, 17" in msg and "'x1'" in msg
    assert "drop or fill these rows" in msg


def test_errors_are_value_errors_and_nothing_is_printed(tmp_path, capsys):
    with pytest.raises(ValueError):
        load_csv(_write(tmp_path, _csv("x,y,x")))
    load_csv(_write(tmp_path, _csv()))
    assert capsys.readouterr() == ("", "")


# ---------------------------------------------------------------- Dataset surgery


@pytest.fixture
def ds() -> Dataset:
    X = np.arange(60.0).reshape(20, 3)
    return from_arrays(X, X[:, 0] * 2, ["p", "q", "r"], "F", source="s.csv")


def test_select_rows(ds):
    sub = ds.select(np.array([4, 0, 7]))
    np.testing.assert_array_equal(sub.X, ds.X[[4, 0, 7]])
    np.testing.assert_array_equal(sub.y, ds.y[[4, 0, 7]])
    assert sub.feature_names == ds.feature_names and sub.source == "s.csv"
    mask = ds.y > 50
    assert ds.select(mask).n_rows == int(mask.sum())
    sub.X[0, 0] = -1.0
    assert ds.X[4, 0] != -1.0  # a new dataset, not a view
    with pytest.raises(InputError, match="out of range"):
        ds.select([0, 20])
    with pytest.raises(InputError, match=r"shape \(20,\)"):
        ds.select(np.array([True, False]))


def test_with_features(ds):
    sub = ds.with_features([2, 0])
    assert sub.feature_names == ("r", "p")
    np.testing.assert_array_equal(sub.X, ds.X[:, [2, 0]])
    assert sub.X.flags.c_contiguous
    np.testing.assert_array_equal(sub.y, ds.y)
    with pytest.raises(InputError, match="out of range"):
        ds.with_features([3])
    with pytest.raises(InputError, match="repeated"):
        ds.with_features([1, 1])


def test_dataset_repr_is_short(ds):
    assert repr(ds) == (
        "Dataset(n_rows=20, n_features=3, feature_names=('p', 'q', 'r'), "
        "target_name='F', source='s.csv')"
    )


# ---------------------------------------------------------------- train_test_split


def test_train_test_split_deterministic_disjoint_covering(ds):
    before = np.random.get_state()[1].copy()
    train, test = train_test_split(ds, 0.25, seed=3)
    again_train, again_test = train_test_split(ds, 0.25, seed=3)
    np.testing.assert_array_equal(train.X, again_train.X)
    np.testing.assert_array_equal(test.X, again_test.X)
    assert (train.n_rows, test.n_rows) == (15, 5)
    ids_train, ids_test = set(train.X[:, 0]), set(test.X[:, 0])  # column 0 is a row id
    assert not ids_train & ids_test
    assert ids_train | ids_test == set(ds.X[:, 0])
    assert list(test.X[:, 0]) == sorted(test.X[:, 0])  # original order kept
    other = {tuple(train_test_split(ds, 0.25, seed=s)[1].X[:, 0]) for s in range(5)}
    assert len(other) > 1
    np.testing.assert_array_equal(np.random.get_state()[1], before)  # global RNG untouched


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 2, True])
def test_train_test_split_rejects_bad_fraction(ds, fraction):
    with pytest.raises(InputError, match="strictly between 0 and 1"):
        train_test_split(ds, fraction)


def test_tiny_values_are_not_called_constant(tmp_path):
    rows = [[i, i + 1, v] for i, v in enumerate(np.linspace(2e-300, 1.8e-299, 25))]
    msg = _error(_write(tmp_path, _csv("a,b,y", rows)))
    assert "is constant" not in msg and "columns ['y']" in msg and "below 1e-150" in msg
    assert "not a constant column" in msg and "y * 1e299" in msg
    rows = [[i * 1e-300, i + 1, i] for i in range(1, 26)]  # a tiny feature column
    msg = _error(_write(tmp_path, _csv("a,b,y", rows)))
    assert "columns ['a']" in msg and "a * 1e299" in msg
    flat = [[i, i + 1, 3e-300] for i in range(25)]  # tiny and truly constant
    assert "target 'y' is constant" in _error(_write(tmp_path, _csv("a,b,y", flat)))
    # small, but far from underflow, with real relative variation: a dataset
    X = np.random.default_rng(0).uniform(1, 2, (30, 2))
    ds = from_arrays(X * [1e-20, 1], 1e-20 * X[:, 0] * X[:, 1])
    assert ds.n_rows == 30
