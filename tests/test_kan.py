"""KAN core against oracles: fast vs per-edge forward, refinement keeps the function."""

import numpy as np
import pytest
import torch

from symkan.errors import InputError
from symkan.kan import KAN, KANLayer, spline
from symkan.kan.prune import edge_scores, prune
from symkan.kan.train import TrainConfig, resolve_device, train


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_basis_is_partition_of_unity_inside_grid():
    grid = spline.uniform_grid(torch.tensor([-1.0, 0.0]), torch.tensor([1.0, 3.0]), 7, 3)
    x = torch.stack([torch.linspace(-1, 0.999, 50), torch.linspace(0, 2.999, 50)], 1)
    b = spline.basis(x.double(), grid.double(), 3)  # (50, 2, 10)
    assert b.shape == (50, 2, 10)
    assert torch.allclose(b.sum(-1), torch.ones(50, 2, dtype=torch.float64))


def test_fit_coefficients_recovers_a_spline():
    grid = spline.uniform_grid(torch.tensor([-1.0]), torch.tensor([1.0]), 6, 3).double()
    coef = torch.randn(2, 1, 9, generator=_gen(), dtype=torch.float64)  # (out, in, coeff)
    x = torch.linspace(-1, 1, 200, dtype=torch.float64)[:, None]
    y = torch.einsum("bic,oic->bio", spline.basis(x, grid, 3), coef)  # (batch, in, out)
    assert torch.allclose(spline.fit_coefficients(x, y, grid, 3), coef, atol=1e-6)


def test_fast_forward_equals_per_edge_sum():
    layer = KANLayer(4, 3, grid_size=6, generator=_gen())
    with torch.no_grad():
        layer.mask[1, 2] = 0.0
    x = torch.rand(64, 4, generator=_gen(1), dtype=torch.float64) * 2 - 1
    fast = layer(x)  # (64, 3)
    naive = torch.stack(
        [sum(layer.activations(x[:, :])[:, j, i] for i in range(4)) for j in range(3)], 1
    )
    assert torch.allclose(fast, naive, atol=1e-12)
    assert torch.all(layer.activations(x)[:, 1, 2] == 0)


def test_network_trace_reproduces_forward():
    net = KAN([3, 4, 2, 1], generator=_gen())
    X = torch.rand(32, 3, generator=_gen(2), dtype=torch.float64)
    h = net.trace(X)[-1][1].sum(-1)
    assert torch.allclose(h * net.out_scale + net.out_shift, net(X))


def _tailed_naive(x: torch.Tensor, grid: torch.Tensor, k: int = 3) -> torch.Tensor:
    """The recursion inside the grid; outside, the end value plus the end slope (autograd
    through the recursion at the end) times the distance: linear tails, built naively."""
    low, high = grid[:, k], grid[:, -k - 1]
    end = torch.minimum(torch.maximum(x, low), high).detach().requires_grad_()
    at_end = spline.cox_de_boor(end, grid, k)[-1]  # (batch, in, coeff)
    slope = torch.stack([torch.autograd.grad(at_end[..., c].sum(), end, retain_graph=True)[0]
                         for c in range(at_end.shape[-1])], -1)
    tail = at_end.detach() + (x - end.detach())[..., None] * slope
    inside = ((x >= low) & (x <= high))[..., None]
    return torch.where(inside, spline.cox_de_boor(x, grid, k)[-1], tail)


def test_basis_derivative_matches_autograd_through_the_recursion():
    grid = spline.uniform_grid(torch.tensor([-1.0, 0.0]), torch.tensor([1.0, 3.0]), 7, 3)
    grid = (grid + torch.rand(grid.shape, generator=_gen(5)) * 0.05).double()  # uneven knots
    x = (torch.rand(200, 2, generator=_gen(6), dtype=torch.float64) * 5 - 1.5).requires_grad_()
    w = torch.randn(200, 2, 10, generator=_gen(7), dtype=torch.float64)
    fast, = torch.autograd.grad((spline.basis(x, grid, 3) * w).sum(), x)
    naive, = torch.autograd.grad((_tailed_naive(x, grid) * w).sum(), x)
    assert torch.allclose(fast, naive, atol=1e-12)
    assert torch.allclose(spline.basis(x, grid, 3), _tailed_naive(x, grid), atol=1e-12)
    inside = ((x >= grid[:, 3]) & (x <= grid[:, -4])).all(1)
    assert 0 < inside.sum() < len(x)  # both inside the grid and on its tails
    assert torch.equal(spline.basis(x, grid, 3)[inside], spline.cox_de_boor(x, grid, 3)[-1][inside])


def test_splines_continue_linearly_beyond_the_grid():
    """An edge keeps its end value and slope past the grid, where the recursion alone
    would fall to zero over the padding intervals (a row past the fit rows' range)."""
    layer = KANLayer(1, 1, grid_size=5, generator=_gen(8))
    ends = torch.tensor([[-1.0], [1.0]], dtype=torch.float64, requires_grad=True)
    at_ends = layer.spline_part(ends)[:, 0, 0]
    slope, = torch.autograd.grad(at_ends.sum(), ends)  # (2, 1)
    out = torch.tensor([[1.5], [3.0], [-1.2], [-2.5]], dtype=torch.float64)
    side = (out[:, 0] > 0).long()  # the nearer end
    line = at_ends.detach()[side] + slope[side, 0] * (out[:, 0] - ends.detach()[side, 0])
    with torch.no_grad():
        assert torch.allclose(layer.spline_part(out)[:, 0, 0], line, atol=1e-12)
        assert slope.abs().min() > 1e-3  # a real slope, not a flat tail
    assert spline.basis(out, layer.grid, 3).sum(-1).allclose(torch.ones(4, 1, dtype=out.dtype))


def test_cached_first_layer_basis_gives_the_same_network():
    net = KAN([3, 4, 1], generator=_gen())
    X = torch.rand(32, 3, generator=_gen(3), dtype=torch.float64) * 4 - 2
    bases = net.first_bases(X)
    assert torch.equal(net(X, bases), net(X))
    cached, fresh = net.trace(X, bases), net.trace(X)
    assert all(torch.equal(a[1], b[1]) for a, b in zip(cached, fresh))


def test_log_space_network_through_exp_computes_the_product():
    from symkan.search.networks import through_exp

    X = torch.rand(400, 2, generator=_gen(4), dtype=torch.float64) * 4 + 1
    y = -(X[:, 0] * X[:, 1] ** 2)  # negative throughout: the sign is carried
    log_net = KAN([2, 1], generator=_gen())
    log_net.out_shift.fill_(float(torch.log(-y).mean()))
    log_net = train(log_net, X, torch.log(-y)[:, None], TrainConfig(steps=30)).model
    net = through_exp(log_net, X, y.numpy(), -1.0)
    assert net.widths == (2, 1, 1)
    with torch.no_grad():
        expected = -torch.exp(log_net(X))[:, 0]
        rel = ((net(X)[:, 0] - expected).abs() / expected.abs()).max()
    assert rel < 1e-3  # only the spline's approximation of exp separates the two


def test_grid_refinement_keeps_the_function():
    layer = KANLayer(2, 3, grid_size=5, generator=_gen())
    with torch.no_grad():  # a non-trivial spline
        layer.coef.normal_(generator=_gen(3))
    X = torch.rand(2000, 2, generator=_gen(4), dtype=torch.float64) * 2 - 1
    with torch.no_grad():
        ref = layer(X)
        errs = [float((layer.with_grid(X, n)(X) - ref).abs().max() / ref.std()) for n in (5, 10, 20, 40)]
    assert errs[0] < 1e-2  # moving the knots to the samples keeps the function
    assert errs == sorted(errs, reverse=True) and errs[-1] < 5e-4  # finer grids: closer


def test_network_grid_extension_returns_new_finer_network():
    net = KAN([2, 3, 1], grid_size=5, generator=_gen())
    X = torch.rand(500, 2, generator=_gen(4), dtype=torch.float64) * 2 - 1
    finer = net.with_grid(X, 20)
    assert finer is not net and finer.grid_size == 20 and net.grid_size == 5
    with torch.no_grad():
        assert float((finer(X) - net(X)).abs().max() / net(X).std()) < 1e-2


def test_training_is_deterministic_and_learns():
    X = torch.rand(300, 2, generator=_gen(5), dtype=torch.float64) * 2 - 1
    y = (torch.sin(3 * X[:, :1]) + X[:, 1:] ** 2)
    losses = []
    for _ in range(2):
        net = KAN([2, 3, 1], generator=_gen(7))
        net.out_shift.fill_(float(y.mean()))
        net.out_scale.fill_(float(y.std()))
        res = train(net, X, y, TrainConfig(steps=40))
        losses.append(res.losses)
        assert res.model is not net
    assert losses[0] == losses[1]
    assert losses[0][-1] < 1e-2 * losses[0][0]


def test_pruning_drops_an_unused_input():
    X = torch.rand(400, 3, generator=_gen(6), dtype=torch.float64) * 2 - 1
    y = torch.sin(2 * X[:, :1]) + X[:, 2:] ** 2  # column 1 is noise-free but unused
    net = KAN([3, 5, 1], generator=_gen(8))
    net.out_shift.fill_(float(y.mean()))
    net.out_scale.fill_(float(y.std()))
    res = train(net, X, y, TrainConfig(steps=60, lamb=1e-3))
    scores = edge_scores(res.model, X)
    assert abs(float(scores[-1].sum()) - 1.0) < 1e-9  # attribution sums to the output's
    pruned = prune(res.model, X)
    assert pruned.inputs == (0, 2)
    assert pruned.model is not res.model
    assert pruned.model.widths[0] == 2


def test_device_resolution():
    assert resolve_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        assert resolve_device("auto").type == "cpu"
        with pytest.raises(InputError, match="no CUDA GPU"):
            resolve_device("cuda")


def test_greedy_pruning_finds_the_minimal_graph():
    from symkan.pipeline import FitConfig
    from symkan.search.networks import train_network

    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (800, 2))
    y = np.exp(np.sin(np.pi * X[:, 0]) + X[:, 1] ** 2)  # a [2, 1, 1] law
    pruned = train_network(X, y, FitConfig(), torch.device("cpu")).pruned
    assert pruned.model.widths == (2, 1, 1)  # the [2, 5, 1] start lost 4 hidden nodes
    assert int(sum(float(layer.mask.sum()) for layer in pruned.model.layers)) == 3


def test_curvature_knots_gather_where_the_edge_bends_and_fit_a_corner_better():
    """``log(x + 1.02)`` on [-1, 1] bends sharply at the left end. Knots placed by the
    edge's curvature crowd there (uniform samples would put quantile knots uniformly),
    the refit keeps the function, and a least-squares spline on those knots fits the
    function far better (9x in max error) than one on as many uniform knots."""
    from symkan.kan import spline

    X = torch.linspace(-1, 1, 2001, dtype=torch.float64)[:, None]  # (n, 1)
    f = torch.log(X + 1.02)
    layer = KANLayer(1, 1, grid_size=40, generator=_gen())
    with torch.no_grad():
        layer.base_weight.zero_()
        layer.coef.copy_(spline.fit_coefficients(X, f[:, :, None], layer.grid, layer.k))
        ref = layer(X)
        curved = layer.with_curvature_grid(X, 10)
        uniform = layer.with_grid(X, 10, grid_eps=1.0)
        inner = curved.grid[0, 3:-3]
        assert int((inner < -0.8).sum()) >= 4  # uniform: 1 of the 11 inner knots
        assert float((curved(X) - ref).abs().max()) < 0.25 * float((uniform(X) - ref).abs().max())  # 0.11
    with pytest.raises(ValueError, match="curvature"):
        KAN([1, 1], generator=_gen()).with_grid(X, 5, first="knots")
