"""Pure B-spline mathematics: grids, basis functions and least-squares coefficients.

Everything here is a function of tensors; nothing holds state. Shapes use
``batch`` for samples, ``in`` for input nodes and ``coeff`` for basis
functions per edge (``grid_size + k``).
"""

from __future__ import annotations

import torch


def uniform_grid(
    low: torch.Tensor, high: torch.Tensor, grid_size: int, k: int
) -> torch.Tensor:
    """Knots of a uniform grid over ``[low, high]`` per input, extended by ``k`` each side.

    Parameters
    ----------
    low, high : (in,) tensors
    grid_size : number of intervals inside ``[low, high]``
    k : spline order (3 = cubic)

    Returns
    -------
    (in, grid_size + 2k + 1) tensor of increasing knots.

    Examples
    --------
    >>> uniform_grid(torch.tensor([-1.0]), torch.tensor([1.0]), 2, 1)
    tensor([[-2., -1.,  0.,  1.,  2.]])
    """
    h = (high - low) / grid_size  # (in,)
    steps = torch.arange(-k, grid_size + k + 1, dtype=low.dtype, device=low.device)
    return low[:, None] + steps[None, :] * h[:, None]  # (in, G + 2k + 1)


def basis(x: torch.Tensor, grid: torch.Tensor, k: int) -> torch.Tensor:
    """B-spline basis of order ``k`` at ``x`` by the Cox-de Boor recursion, with linear tails.

    Inside the grid's inner range ``[t_k, t_{G+k}]`` these are the usual B-splines.
    Beyond it each basis function goes on along its tangent at the nearer end, so every
    spline ``sum_c coef_c B_c`` continues as a straight line with its end value and slope
    (as a natural spline does) instead of falling to zero over the ``k`` padding
    intervals. A row a little outside the training rows' range, or a hidden node driven
    past the range its grid was fitted on, then gets the edge's trend, not its base
    branch alone.

    Differentiable in ``x`` through the closed-form derivative of a B-spline (one
    backward node instead of the recursion's dozens; the grid gets no gradient).

    Parameters
    ----------
    x : (batch, in)
    grid : (in, G + 2k + 1) knots, increasing along the last axis

    Returns
    -------
    (batch, in, G + k) basis values; they sum to 1 everywhere (inside the grid and on
    its tails).

    Examples
    --------
    >>> grid = uniform_grid(torch.tensor([0.0]), torch.tensor([1.0]), 4, 3)
    >>> coef = torch.arange(7.0)  # these coefficients make the line 4x + 1 on [0, 1]
    >>> x = torch.tensor([[0.5], [1.0], [2.0], [-1.0]])  # and the tails go on along it
    >>> (basis(x, grid, 3)[:, 0] @ coef).tolist()
    [3.0, 5.0, 9.0, -3.0]
    """
    if x.requires_grad and k > 0:
        return _Basis.apply(x, grid, k)
    with torch.no_grad():
        return _tailed(x, grid, k)[0]


def _tailed(x: torch.Tensor, grid: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The basis at ``x`` with linear tails and its derivative in ``x``, both
    ``(batch, in, G + k)``: the recursion at ``x`` clamped to the inner range, plus the
    distance past the end times the basis' slope there."""
    low, high = grid[:, k], grid[:, -k - 1]  # (in,)
    inner = torch.minimum(torch.maximum(x, low), high)  # (batch, in)
    orders = cox_de_boor(inner, grid, k)
    if k == 0:  # piecewise constant: flat tails
        return orders[-1], torch.zeros_like(orders[-1])
    g = grid.unsqueeze(0)
    left = k / (g[..., k:-1] - g[..., : -(k + 1)])  # (1, in, G + k)
    right = k / (g[..., k + 1 :] - g[..., 1:-k])
    slope = orders[-2][..., :-1] * left - orders[-2][..., 1:] * right  # (batch, in, G + k)
    return orders[-1] + (x - inner).unsqueeze(-1) * slope, slope


def cox_de_boor(x: torch.Tensor, grid: torch.Tensor, k: int) -> list[torch.Tensor]:
    """The bases of orders ``0 … k`` at ``x``, each ``(batch, in, G + 2k - p)``.

    Plain tensor algebra: differentiating through it (autograd) is the naive path
    `basis`'s closed-form derivative is tested against.
    """
    x = x.unsqueeze(-1)  # (batch, in, 1)
    g = grid.unsqueeze(0)  # (1, in, knots)
    bases = ((x >= g[..., :-1]) & (x < g[..., 1:])).to(x.dtype)  # (batch, in, knots-1)
    orders = [bases]
    for p in range(1, k + 1):
        left = (x - g[..., : -(p + 1)]) / (g[..., p:-1] - g[..., : -(p + 1)])
        right = (g[..., p + 1 :] - x) / (g[..., p + 1 :] - g[..., 1:-p])
        bases = left * bases[..., :-1] + right * bases[..., 1:]
        orders.append(bases)
    return orders


class _Basis(torch.autograd.Function):
    """``d B_{i,k} / dx = k (B_{i,k-1} / (t_{i+k} - t_i) - B_{i+1,k-1} / (t_{i+k+1} - t_{i+1}))``
    inside the grid; on the linear tails, that slope at the nearer end."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, grid: torch.Tensor, k: int) -> torch.Tensor:
        values, slope = _tailed(x, grid, k)
        ctx.save_for_backward(slope)
        return values

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (slope,) = ctx.saved_tensors  # (batch, in, G + k)
        return (grad * slope).sum(-1), None, None


def fit_coefficients(
    x: torch.Tensor, y: torch.Tensor, grid: torch.Tensor, k: int, ridge: float = 1e-8
) -> torch.Tensor:
    """Least-squares spline coefficients so that ``sum_c coef * basis ≈ y`` per edge.

    Parameters
    ----------
    x : (batch, in) sample inputs
    y : (batch, in, out) target value of edge (in → out) at each sample
    grid : (in, G + 2k + 1)

    Returns
    -------
    (out, in, G + k) coefficients (the layout `KANLayer` stores).
    """
    A = basis(x, grid, k).permute(1, 0, 2)  # (in, batch, coeff)
    B = y.permute(1, 0, 2)  # (in, batch, out)
    AtA = A.transpose(1, 2) @ A  # (in, coeff, coeff)
    eye = torch.eye(AtA.shape[-1], dtype=AtA.dtype, device=AtA.device)
    AtA = AtA + ridge * eye * AtA.diagonal(dim1=1, dim2=2).mean(-1, keepdim=True)[..., None]
    coef = torch.linalg.solve(AtA, A.transpose(1, 2) @ B)  # (in, coeff, out)
    return coef.permute(2, 0, 1).contiguous()  # (out, in, coeff)
