"""Tests of the primitive library and the batched affine fits (symkan.symbolic)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy
import torch

from symkan.errors import InputError
from symkan.symbolic import fit as fit_module
from symkan.symbolic.choice import choose, fit_edge_naive
from symkan.symbolic.fit import EdgeFits, fit_edges
from symkan.symbolic.library import DEFAULT_LIBRARY, Primitive, U, make_library, symmetries

N = 256

# name: (x range, a, b, c, d) with the image of the range well inside the domain
CASES = {
    "x": ((-2.0, 3.0), 1.0, 0.0, 2.0, -1.0),
    "x^2": ((-1.0, 1.0), 0.8, 0.3, 1.5, -0.5),
    "x^3": ((-1.0, 1.0), 1.2, -0.4, 0.7, 0.2),
    "x^4": ((-1.0, 1.0), 1.0, 0.2, 0.5, -1.0),
    "1/x": ((-1.0, 1.0), 1.5, 2.5, 2.0, 1.0),
    "1/x^2": ((-1.0, 1.0), -1.0, 2.0, 1.0, 0.0),
    "sqrt": ((0.0, 2.0), 3.0, 0.5, 2.0, -1.0),
    "1/sqrt": ((-1.0, 1.0), 2.0, 2.2, 1.0, 0.0),
    "exp": ((-1.0, 2.0), 1.5, -0.3, 0.5, 0.1),
    "log": ((-1.0, 1.0), -2.0, 2.5, 1.3, -0.4),
    "sin": ((-1.0, 1.0), 2.5, 0.4, 0.8, 0.3),
    "cos": ((-2.0, 1.0), 1.7, -0.6, 1.2, -0.2),
    "tan": ((-1.0, 1.0), 1.2, 0.1, 0.5, 0.0),
    "tanh": ((-1.0, 1.0), 3.0, -0.5, 2.0, 1.0),
    "asin": ((-1.0, 1.0), 0.9, 0.05, 1.0, 0.0),
    "acos": ((-1.0, 1.0), 0.8, -0.1, 0.7, 0.3),
    "atan": ((-1.0, 1.0), -2.5, 0.5, 1.5, -0.3),
    "atanh": ((0.0, 3.0), 0.3, -0.4, 0.6, 0.0),
    "abs": ((-1.0, 1.0), 1.0, -0.3, 1.5, 0.2),
    "gauss": ((-1.0, 1.0), 1.5, -0.3, 2.0, -0.5),
}
# primitives that are the same family up to the affine maps: c*f(a x + b) + d
EQUIVALENT = {
    "sin": {"sin", "cos"},
    "cos": {"sin", "cos"},
    "asin": {"asin", "acos"},
    "acos": {"asin", "acos"},
}


def _values(prim: Primitive, params: np.ndarray, x: np.ndarray) -> np.ndarray:
    a, b, c, d = params
    return c * prim.numpy(a * x + b) + d


def _image_inside(prim: Primitive, params: np.ndarray, x: np.ndarray) -> bool:
    a, b = params[:2]
    lo, hi = sorted((a * x.min() + b, a * x.max() + b))
    return any(
        (lo > l or (lc and lo >= l)) and (hi < h or (hc and hi <= h))
        for l, h, lc, hc in prim.intervals
    )


@pytest.fixture(scope="module")
def exact():
    """Every primitive's test edge as one column of a single (n, E) batch, fitted once."""
    cols_x, cols_y = [], []
    for name, ((lo, hi), a, b, c, d) in CASES.items():
        x = np.linspace(lo, hi, N)
        cols_x.append(x)
        cols_y.append(c * DEFAULT_LIBRARY[name].numpy(a * x + b) + d)
    x, y = np.stack(cols_x, 1), np.stack(cols_y, 1)  # (n, E)
    return x, y, fit_edges(torch.from_numpy(x), torch.from_numpy(y))


# ---------------------------------------------------------------------------------- library


def test_default_library_has_every_primitive_and_is_read_only():
    assert set(CASES) | {"0"} <= set(DEFAULT_LIBRARY)
    assert DEFAULT_LIBRARY["0"].complexity == 0 and DEFAULT_LIBRARY["x"].complexity == 1
    with pytest.raises(TypeError):
        DEFAULT_LIBRARY["new"] = DEFAULT_LIBRARY["x"]  # type: ignore[index]


@pytest.mark.parametrize("name", list(DEFAULT_LIBRARY))
def test_torch_and_numpy_versions_agree_with_sympy(name):
    prim = DEFAULT_LIBRARY[name]
    u = np.array([0.15, 0.4, 0.7])  # inside every default domain
    want = np.array([float(prim.sympy(sympy.Float(v))) for v in u])
    np.testing.assert_allclose(prim.numpy(u), want, rtol=1e-12)
    got = prim.torch(torch.tensor(u, dtype=torch.float64))
    assert got.shape == (3,)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)


def test_domains():
    lib = DEFAULT_LIBRARY
    assert lib["log"].domain == sympy.Interval.open(0, sympy.oo)
    assert lib["asin"].domain == sympy.Interval(-1, 1)
    assert lib["atanh"].domain == sympy.Interval.open(-1, 1)
    assert lib["tan"].domain == sympy.Interval.open(-sympy.pi / 2, sympy.pi / 2)
    assert lib["1/x"].domain == sympy.S.Reals - sympy.FiniteSet(0)
    assert lib["1/x"].intervals == ((-math.inf, 0.0, False, False), (0.0, math.inf, False, False))


def test_make_library_picks_extends_and_explains_errors():
    sinh = Primitive("sinh", "sinh(u)", 3)
    lib = make_library(["x", "sin"], extra={"sinh": sinh})
    assert list(lib) == ["x", "sin", "sinh"] and lib["sinh"].expr == sympy.sinh(U)
    assert "sinh" not in DEFAULT_LIBRARY
    with pytest.raises(InputError, match="Did you mean 'sin'"):
        make_library(["sn"])
    with pytest.raises(InputError, match="name"):
        make_library(extra={"other": sinh})
    with pytest.raises(InputError, match="uses"):
        Primitive("bad", sympy.Symbol("v") * U, 2)
    with pytest.raises(InputError, match="domain"):
        Primitive("bad", U, 2, sympy.FiniteSet(1, 2))


def test_symmetries_of_the_default_primitives():
    lib = DEFAULT_LIBRARY
    assert symmetries(lib["0"]).kind == "constant" and symmetries(lib["x"]).kind == "linear"
    x2, x3, log = symmetries(lib["x^2"]), symmetries(lib["x^3"]), symmetries(lib["log"])
    assert (x2.sign, x2.scale, x3.sign, x3.scale) == ((1.0, 0.0), "mult", (-1.0, 0.0), "mult")
    assert (log.sign, log.scale, log.shift) == (None, "add", False)
    assert symmetries(lib["exp"]).shift and symmetries(lib["exp"]).scale is None
    sin, tan = symmetries(lib["sin"]), symmetries(lib["tan"])
    assert sin.period == pytest.approx(2 * math.pi) and sin.antiperiodic
    assert tan.period is None  # restricted to one branch
    alpha, beta = symmetries(lib["acos"]).sign  # acos(-u) = pi - acos(u)
    assert alpha == -1.0 and beta == pytest.approx(math.pi)
    assert symmetries(lib["1/x"]).scale == "mult" and symmetries(lib["gauss"]).scale is None


# ------------------------------------------------------------------------- exact recovery


@pytest.mark.parametrize("name", list(CASES))
def test_every_primitive_is_recovered_from_exact_data(exact, name):
    x, y, fits = exact
    e = list(CASES).index(name)
    assert fits.names[e] in EQUIVALENT.get(name, {name})
    assert fits.r2[e] >= 1 - 1e-8
    got = _values(DEFAULT_LIBRARY[fits.names[e]], fits.params[e], x[:, e])
    np.testing.assert_allclose(got, y[:, e], rtol=0, atol=1e-6 * np.abs(y[:, e]).max())
    # the true primitive itself fits exactly too, with the true function values
    p = fits.primitive_names.index(name)
    assert fits.r2_all[e, p] >= 1 - 1e-8
    got = _values(DEFAULT_LIBRARY[name], fits.params_all[e, p], x[:, e])
    np.testing.assert_allclose(got, y[:, e], rtol=0, atol=1e-6 * np.abs(y[:, e]).max())


@pytest.mark.parametrize("name", ["sin", "tanh", "atan", "gauss", "exp", "log", "x^2", "tan"])
def test_constants_are_recovered_in_canonical_form(exact, name):
    """Where (a, b, c, d) is unique up to f's symmetries, the canonical form gives it back."""
    fits = exact[2]
    e = list(CASES).index(name)
    a, b, c, d = CASES[name][1:]
    if name in ("atan",) and a < 0:  # odd: a > 0 in canonical form
        a, b, c = -a, -b, -c
    if name == "exp":  # c e^(ax+b) = (c e^b) e^(ax)
        b, c = 0.0, c * math.exp(b)
    if name == "log":  # c log(k(x + b/k)) = c log(x + b/k) + c log(k)  (k = |a|)
        b, d, a = b / abs(a), d + c * math.log(abs(a)), math.copysign(1.0, a)
    if name == "x^2":
        b, c, a = b / a, c * a * a, 1.0
    p = fits.primitive_names.index(name)
    np.testing.assert_allclose(fits.params_all[e, p], [a, b, c, d], rtol=1e-6, atol=1e-9)


def test_result_layout_and_domain_of_every_fit(exact):
    x, _, fits = exact
    n_edges, n_prims = x.shape[1], len(DEFAULT_LIBRARY)
    assert isinstance(fits, EdgeFits)
    assert fits.primitive_names == tuple(DEFAULT_LIBRARY)
    assert fits.params.shape == (n_edges, 4) and fits.params.dtype == np.float64
    assert fits.r2.shape == (n_edges,) and len(fits.names) == n_edges
    assert fits.r2_all.shape == (n_edges, n_prims)
    assert fits.params_all.shape == (n_edges, n_prims, 4)
    for e in range(n_edges):
        for p, name in enumerate(fits.primitive_names):
            if np.isfinite(fits.r2_all[e, p]):
                assert _image_inside(DEFAULT_LIBRARY[name], fits.params_all[e, p], x[:, e]), (
                    e,
                    name,
                    fits.params_all[e, p],
                )


def test_log_fit_keeps_its_argument_positive():
    x = np.linspace(1.0, 5.0, 200)
    fits = fit_edges(x, np.log(x))
    assert fits.names == ("log",)
    a, b, c, d = fits.params[0]
    assert min(a * 1.0 + b, a * 5.0 + b) > 0
    np.testing.assert_allclose([a, b, c, d], [1.0, 0.0, 1.0, 0.0], atol=1e-7)


def test_data_reaching_the_domain_boundary():
    """Images that touch a closed end (sqrt at 0, asin at ±1) or come near an open one."""
    x = np.stack(
        [
            np.linspace(0, 4, 200),
            np.linspace(0.01, 1, 200),
            np.linspace(-1, 1, 200),
            np.linspace(-1, 1, 200),
        ],
        1,
    )
    y = np.stack(
        [np.sqrt(x[:, 0]), np.log(x[:, 1]), np.arcsin(x[:, 2]), np.arctanh(0.999 * x[:, 3])], 1
    )
    fits = fit_edges(x, y)
    assert fits.names == ("sqrt", "log", "asin", "atanh")
    assert np.all(fits.r2 >= 1 - 1e-8)
    for e, name in enumerate(fits.names):
        assert _image_inside(DEFAULT_LIBRARY[name], fits.params[e], x[:, e])


def test_chunked_edges_give_the_same_fits(exact, monkeypatch):
    x, y, fits = exact
    monkeypatch.setattr(fit_module, "_CHUNK_ELEMENTS", 60_000)  # a few edges at a time
    chunked = fit_edges(x, y)
    assert chunked.names == fits.names
    np.testing.assert_allclose(chunked.r2_all, fits.r2_all, rtol=1e-9)  # summation order only
    # (params_all may differ where they are not identifiable, e.g. exp(a x) as a -> 0)
    np.testing.assert_allclose(chunked.params, fits.params, rtol=1e-6, atol=1e-9)


# ------------------------------------------------------------------------ selection rule


def test_small_clear_sine_is_not_snapped_to_zero_and_constant_is():
    x = np.linspace(-1, 1, N)
    y = np.stack([0.05 * np.sin(3 * x) + 0.2, np.full(N, 0.7), np.zeros(N)], 1)
    fits = fit_edges(np.stack([x] * 3, 1), y)
    assert fits.names[0] in ("sin", "cos")
    assert fits.names[1:] == ("0", "0")
    np.testing.assert_allclose(fits.params[1], [1.0, 0.0, 0.0, 0.7])


def test_parsimony_on_exact_data():
    x = np.linspace(-1, 1, N)
    y = np.stack([(x + 0.3) ** 2, 3 * x - 2, 2 * x**4 - 1, x**3], 1)
    fits = fit_edges(np.stack([x] * 4, 1), y)
    assert fits.names == ("x^2", "x", "x^4", "x^3")


def test_noise_prefers_the_true_primitive_over_a_simpler_wrong_one():
    gen = np.random.default_rng(7)
    x = np.stack([gen.uniform(-1.5, 1.5, N) for _ in range(5)], 1)  # (n, 5)
    clean = np.stack(
        [
            np.sin(2 * x[:, 0]),
            np.tanh(2 * x[:, 1]),
            np.exp(1.5 * x[:, 2]),
            x[:, 3] ** 4,
            (x[:, 4] + 0.3) ** 2,  # a flat cos(εu) fits this as well: the tie goes to x^2
        ],
        1,
    )
    y = clean + 0.01 * clean.std(0) * gen.standard_normal(clean.shape)  # 1% noise
    fits = fit_edges(x, y)
    assert fits.names[0] in ("sin", "cos")
    assert fits.names[1:] == ("tanh", "exp", "x^4", "x^2")
    assert np.all(fits.r2 > 0.999)


def test_pure_noise_is_zero():
    gen = np.random.default_rng(3)
    fits = fit_edges(gen.uniform(-1, 1, (N, 2)), gen.standard_normal((N, 2)))
    assert fits.names == ("0", "0")


def test_choose_rule():
    comp = [0, 1, 2, 3]  # "0", "x", "x^2", "x^4"-like
    r2 = np.array(
        [
            [-0.01, 0.99, 0.995, 0.9999],  # 1% noise: the true complex one wins over simpler ones
            [-0.01, 0.9999, 0.99991, 0.99992],  # all at the noise floor: the simplest wins
            [-0.01, 0.05, 0.09, 0.08],  # nothing explains the edge: "0"
            [-0.01, 0.2, 0.3, 0.35],  # weak but real signal: never "0"
            [1.0, 1.0, 1.0, 1.0],  # constant edge: everything fits, "0" is simplest
            [0.0, 1 - 1e-12, 1.0, 1.0],  # exact fits tie below r2_tol: the simplest
            [0.0, -np.inf, np.nan, 0.5],  # invalid fits are never chosen
            [0.0, 0.5, 0.9, 0.9],  # x^2 is 5x better than x: worth one unit of complexity
        ]
    )
    assert choose(r2, comp).tolist() == [3, 1, 0, 1, 0, 1, 3, 2]
    # ties (both below r2_tol, or losses within ~12 %) go to the earlier primitive...
    assert choose([[0.0, 1 - 1e-12, 1.0]], [0, 2, 2]).tolist() == [1]
    assert choose([[0.0, 0.9990, 0.9991]], [0, 2, 2]).tolist() == [1]
    assert choose([[0.0, 0.9990, 0.9991]], [0, 2, 2], tie_margin=0.0).tolist() == [2]
    assert choose([[0.0, 0.990, 0.999]], [0, 2, 2]).tolist() == [2]
    # ...after the lower complexity
    assert choose([[0.0, 0.9990, 0.99905]], [0, 3, 2]).tolist() == [2]
    # constant primitives are those of complexity 0 unless marked explicitly
    assert choose([[0.05, 0.08]], [1, 1]).tolist() == [0]
    assert choose([[0.05, 0.5]], [1, 1]).tolist() == [1]
    assert choose([[0.05, 0.08]], [1, 1], constant=[True, False]).tolist() == [0]
    with pytest.raises(InputError):
        choose(r2, [0, 1])


# ------------------------------------------------------------------------------- oracle


def test_fast_path_matches_naive_scipy_fits():
    """The batched fit agrees with one-edge scipy fits where the optimum is interior.

    Pairs whose best fit lies at infinity (e.g. log fitted to a sine) converge slowly in
    both paths and are left out; the true primitives and polynomials always converge.
    """
    x = np.linspace(-1, 1, 96)
    edges = {
        "sin": 0.8 * np.sin(2.5 * x + 0.4),
        "tanh": np.tanh(2 * x - 0.3),
        "exp": np.exp(1.2 * x) + 0.5 * x,
    }
    pairs = {
        "sin": ("sin", "tanh", "gauss", "x^2"),
        "tanh": ("tanh", "sin", "log", "x^2"),
        "exp": ("exp", "1/x", "atan", "x^3"),
    }
    fits = fit_edges(np.stack([x] * 3, 1), np.stack(list(edges.values()), 1))
    for e, (data, y) in enumerate(edges.items()):
        for name in pairs[data]:
            params, r2 = fit_edge_naive(x, y, DEFAULT_LIBRARY[name], n_starts=3)
            fast = fits.r2_all[e, fits.primitive_names.index(name)]
            assert fast == pytest.approx(r2, abs=1e-6), (data, name, fast, r2)
    # the naive path alone recovers an exact fit
    params, r2 = fit_edge_naive(x, edges["tanh"], DEFAULT_LIBRARY["tanh"], n_starts=3)
    assert r2 > 1 - 1e-10
    np.testing.assert_allclose(params, [2, -0.3, 1, 0], atol=1e-6)


# -------------------------------------------------------------------------------- inputs


def test_inputs_float32_torch_one_dimensional_and_errors():
    x = torch.linspace(0.5, 3.0, 64, dtype=torch.float32)
    fits = fit_edges(x, 2.0 * torch.sqrt(x) + 1.0)
    assert fits.names == ("sqrt",) and fits.r2[0] > 1 - 1e-8
    with pytest.raises(InputError, match="shape"):
        fit_edges(np.zeros((10, 2)), np.zeros((10, 3)))
    with pytest.raises(InputError, match="NaN"):
        fit_edges(np.full(10, np.nan), np.zeros(10))
    with pytest.raises(InputError, match="samples"):
        fit_edges(np.zeros(5), np.zeros(5))


def test_user_library_with_a_new_primitive():
    lib = make_library(["0", "x", "sin"], extra={"sinh": Primitive("sinh", sympy.sinh(U), 3)})
    x = np.linspace(-1, 1, 128)
    fits = fit_edges(x, 0.5 * np.sinh(2 * x + 0.5) - 1, lib)
    assert fits.primitive_names == ("0", "x", "sin", "sinh")
    assert fits.names == ("sinh",)
    np.testing.assert_allclose(fits.params[0], [2, 0.5, 0.5, -1], rtol=1e-6)
