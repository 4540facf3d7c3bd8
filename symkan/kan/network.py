"""Kolmogorov–Arnold Network: learnable B-spline edges and summing nodes.

Each edge ``i → j`` of a layer carries ``phi_ji(x) = w_ji * silu(x) + sum_c coef_jic * B_c(x)``
and each node sums its incoming edges (Liu et al. 2024, arXiv 2404.19756).
Unlike pykan there is no per-edge ``scale_sp`` factor: the spline coefficients carry it.

Two forward paths compute the same thing:

* ``forward`` evaluates the basis once, shape ``(batch, in, coeff)``, then does one
  ``F.linear`` with the coefficients viewed as ``(out, in * coeff)`` (as efficient-kan does);
* ``activations`` returns every edge's value, shape ``(batch, out, in)``, for
  regularisation, pruning and snapping.

Grid update and extension return new layers (``with_grid``): the spline is refitted by
least squares on sample inputs, so the learned function is kept on a finer or moved grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import torch
import torch.nn.functional as F
from torch import nn

from symkan.kan import spline


class KANLayer(nn.Module):
    """One KAN layer with ``in_dim * out_dim`` learnable edges.

    Parameters
    ----------
    in_dim, out_dim : node counts
    grid_size : intervals of the spline grid over ``grid_range``
    k : spline order
    grid_range : initial input range ``(low, high)`` for every input
    generator : torch.Generator for the random initialisation

    Examples
    --------
    >>> layer = KANLayer(3, 2, generator=torch.Generator().manual_seed(0))
    >>> x = torch.rand(10, 3, dtype=torch.float64)
    >>> torch.allclose(layer(x), layer.activations(x).sum(-1))
    True
    """

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        grid_size: int = 5,
        k: int = 3,
        grid_range: tuple[float, float] = (-1.0, 1.0),
        *,
        noise_scale: float = 0.1,
        generator: torch.Generator | None = None,
        dtype: torch.dtype = torch.float64,
    ) -> None:
        super().__init__()
        self.in_dim, self.out_dim, self.grid_size, self.k = in_dim, out_dim, grid_size, k
        low = torch.full((in_dim,), float(grid_range[0]), dtype=dtype)
        high = torch.full((in_dim,), float(grid_range[1]), dtype=dtype)
        self.register_buffer("grid", spline.uniform_grid(low, high, grid_size, k))  # (in, G+2k+1)
        self.register_buffer("mask", torch.ones(out_dim, in_dim, dtype=dtype))  # (out, in)
        bound = 1.0 / in_dim**0.5
        base = (torch.rand(out_dim, in_dim, generator=generator, dtype=dtype) * 2 - 1) * bound
        coef = torch.randn(out_dim, in_dim, grid_size + k, generator=generator, dtype=dtype)
        self.base_weight = nn.Parameter(base)  # (out, in)
        self.coef = nn.Parameter(coef * noise_scale / grid_size)  # (out, in, coeff)

    def forward(self, x: torch.Tensor, bases: torch.Tensor | None = None) -> torch.Tensor:
        """(batch, in) → (batch, out): basis once, then one matmul.

        ``bases`` is ``spline.basis(x, self.grid, self.k)`` when the caller already has it
        (training reuses the first layer's: its inputs and grid do not change).
        """
        batch = x.shape[0]
        base = F.linear(F.silu(x), self.base_weight * self.mask)  # (batch, out)
        if bases is None:
            bases = spline.basis(x, self.grid, self.k)  # (batch, in, coeff)
        coef = (self.coef * self.mask[..., None]).reshape(self.out_dim, -1)  # (out, in*coeff)
        return base + F.linear(bases.reshape(batch, -1), coef)  # (batch, out)

    def spline_part(self, x: torch.Tensor, bases: torch.Tensor | None = None) -> torch.Tensor:
        """(batch, in) → (batch, out, in): the spline branch of every edge (unmasked)."""
        if bases is None:
            bases = spline.basis(x, self.grid, self.k)  # (batch, in, coeff)
        return torch.einsum("bic,oic->boi", bases, self.coef)

    def activations(self, x: torch.Tensor, bases: torch.Tensor | None = None) -> torch.Tensor:
        """(batch, in) → (batch, out, in): the value of every edge, masked edges zero."""
        base = F.silu(x)[:, None, :] * self.base_weight[None]  # (batch, out, in)
        return (base + self.spline_part(x, bases)) * self.mask[None]

    def with_grid(
        self, x: torch.Tensor, grid_size: int | None = None, *, grid_eps: float = 0.5,
        margin: float = 0.01,
    ) -> KANLayer:
        """A new layer whose grid covers the samples ``x``, spline refitted to keep the function.

        ``grid_size`` larger than the current one is grid extension (coarse → fine);
        equal is a grid update. ``grid_eps`` blends uniform (1) and quantile (0) knots.
        """
        grid_size = grid_size or self.grid_size
        with torch.no_grad():
            xs = torch.sort(x, dim=0).values  # (batch, in)
            low, high = _covering(xs, margin)  # (in,)
            uniform = spline.uniform_grid(low, high, grid_size, self.k)  # (in, G+2k+1)
            q = torch.linspace(0, x.shape[0] - 1, grid_size + 1, device=x.device).round().long()
            adaptive_inner = xs[q].T.clone()  # (in, G+1)
            adaptive_inner[:, 0], adaptive_inner[:, -1] = low, high
            inner = grid_eps * uniform[:, self.k : self.k + grid_size + 1] + (
                1 - grid_eps
            ) * adaptive_inner  # (in, G+1)
            grid = _pad_knots(inner, (high - low) / grid_size, (high - low) / grid_size, self.k)
        return self._refitted(grid, x)

    def with_curvature_grid(
        self, x: torch.Tensor, grid_size: int | None = None, *, power: float = 0.4,
        floor: float = 0.5, samples: int = 4001, margin: float = 0.01,
    ) -> KANLayer:
        """Like `with_grid`, but the knots follow where the edges bend, not the samples.

        Over the samples' range, each input's knot density is ``b**power + floor *
        mean(b**power)``, with ``b(x)`` the summed ``|φ''|`` of its outgoing edges (second
        differences on ``samples`` points): many knots where an edge bends sharply,
        ``floor`` keeping some everywhere. ``power = 0.4`` equidistributes the error of a
        piecewise-linear fit (``h² |f''|``, in L2); for cubic splines it is a heuristic.
        The spline is refitted on the dense points, so the function is kept. Uniform
        inputs make quantile knots uniform; these are not, which is what a corner such as
        ``y**x`` near ``y = 0`` needs.
        """
        grid_size = grid_size or self.grid_size
        with torch.no_grad():
            low, high = _covering(x, margin)  # (in,)
            t = torch.linspace(0, 1, samples, dtype=x.dtype, device=x.device)
            dense = low + t[:, None] * (high - low)  # (samples, in)
            acts = self.activations(dense)  # (samples, out, in)
            bend = (acts[2:] - 2 * acts[1:-1] + acts[:-2]).abs().sum(1) ** power  # (s-2, in)
            density = bend + floor * bend.mean(0, keepdim=True) + 1e-300
            mass = torch.cat([torch.zeros_like(density[:1]), density.cumsum(0)])  # (s-1, in)
            mass = mass / mass[-1:]
            at = (dense[:-1] + dense[1:]) / 2  # (s-1, in): the mass is known between points
            at[0], at[-1] = low, high
            levels = torch.linspace(0, 1, grid_size + 1, dtype=x.dtype, device=x.device)
            inner = torch.stack([_interp(levels, mass[:, i].contiguous(), at[:, i])
                                 for i in range(self.in_dim)])  # (in, G+1)
            inner[:, 0], inner[:, -1] = low, high
            grid = _pad_knots(inner, inner[:, 1] - inner[:, 0], inner[:, -1] - inner[:, -2],
                              self.k)
        return self._refitted(grid, dense)

    def _refitted(self, grid: torch.Tensor, x: torch.Tensor) -> KANLayer:
        """A new layer on knots ``grid`` whose splines are fitted by least squares to this
        layer's on the points ``x`` (base weights and mask copied)."""
        with torch.no_grad():
            new = KANLayer(self.in_dim, self.out_dim, grid.shape[1] - 2 * self.k - 1, self.k,
                           dtype=x.dtype).to(x.device)
            new.grid.copy_(grid)
            new.mask.copy_(self.mask)
            new.base_weight.copy_(self.base_weight)
            target = self.spline_part(x)  # (batch, out, in)
            new.coef.copy_(spline.fit_coefficients(x, target.transpose(1, 2), grid, self.k))
        return new

    def select(self, inputs: torch.Tensor, outputs: torch.Tensor) -> KANLayer:
        """A new layer keeping only the given input and output node indices."""
        new = KANLayer(len(inputs), len(outputs), self.grid_size, self.k, dtype=self.grid.dtype)
        new = new.to(self.grid.device)
        with torch.no_grad():
            new.grid.copy_(self.grid[inputs])
            new.mask.copy_(self.mask[outputs][:, inputs])
            new.base_weight.copy_(self.base_weight[outputs][:, inputs])
            new.coef.copy_(self.coef[outputs][:, inputs])
        return new


class KAN(nn.Module):
    """A stack of `KANLayer` with input/output scaling held as buffers.

    ``forward(X)`` takes raw inputs ``(batch, d)`` and returns raw predictions
    ``(batch, out)``: inputs are mapped by ``(X - in_shift) / in_scale`` and the output
    by ``out * out_scale + out_shift``; the formula stage undoes both exactly.

    Examples
    --------
    >>> net = KAN([2, 3, 1], generator=torch.Generator().manual_seed(0))
    >>> net.widths
    (2, 3, 1)
    >>> net(torch.zeros(4, 2, dtype=torch.float64)).shape
    torch.Size([4, 1])
    """

    def __init__(
        self,
        widths: Sequence[int],
        grid_size: int = 5,
        k: int = 3,
        *,
        generator: torch.Generator | None = None,
        dtype: torch.dtype = torch.float64,
        layers: Sequence[KANLayer] | None = None,
    ) -> None:
        super().__init__()
        if layers is None:
            layers = [
                KANLayer(a, b, grid_size, k, generator=generator, dtype=dtype)
                for a, b in pairwise(widths)
            ]
        self.layers = nn.ModuleList(layers)
        d, out = self.layers[0].in_dim, self.layers[-1].out_dim
        dtype = self.layers[0].grid.dtype
        self.register_buffer("in_shift", torch.zeros(d, dtype=dtype))
        self.register_buffer("in_scale", torch.ones(d, dtype=dtype))
        self.register_buffer("out_shift", torch.zeros(out, dtype=dtype))
        self.register_buffer("out_scale", torch.ones(out, dtype=dtype))

    @property
    def widths(self) -> tuple[int, ...]:
        return (self.layers[0].in_dim, *(layer.out_dim for layer in self.layers))

    @property
    def grid_size(self) -> int:
        return self.layers[0].grid_size

    def normalize(self, X: torch.Tensor) -> torch.Tensor:
        return (X - self.in_shift) / self.in_scale

    def forward(self, X: torch.Tensor, first_bases: torch.Tensor | None = None) -> torch.Tensor:
        """Raw ``(batch, d)`` → raw ``(batch, out)``; ``first_bases`` from `KAN.first_bases`."""
        h = self.normalize(X)  # (batch, d)
        for n, layer in enumerate(self.layers):
            h = layer(h, first_bases if n == 0 else None)
        return h * self.out_scale + self.out_shift  # (batch, out)

    def first_bases(self, X: torch.Tensor) -> torch.Tensor:
        """The first layer's spline basis on raw inputs ``X``: fixed while only the
        parameters change, so training computes it once per phase, not once per step."""
        with torch.no_grad():
            first = self.layers[0]
            return spline.basis(self.normalize(X), first.grid, first.k)

    def trace(
        self, X: torch.Tensor, first_bases: torch.Tensor | None = None,
    ) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Per layer: its input ``(batch, in)`` and edge activations ``(batch, out, in)``."""
        h = self.normalize(X)
        out = []
        for n, layer in enumerate(self.layers):
            acts = layer.activations(h, first_bases if n == 0 else None)  # (batch, out, in)
            out.append((h, acts))
            h = acts.sum(-1)
        return out

    def _with_layers(self, layers: Sequence[KANLayer]) -> KAN:
        new = KAN(self.widths, layers=list(layers))
        for name in ("in_shift", "in_scale", "out_shift", "out_scale"):
            getattr(new, name).copy_(getattr(self, name))
        return new.to(self.in_shift.device)

    def with_grid(
        self, X: torch.Tensor, grid_size: int | None = None, *, first: str = "samples",
    ) -> KAN:
        """A new network with every layer's grid fitted to the samples (extension if larger).

        ``first="curvature"`` places the first layer's knots where its edges bend
        (`KANLayer.with_curvature_grid`) instead of by the samples.
        """
        if first not in ("samples", "curvature"):
            raise ValueError(f"first={first!r} is not 'samples' or 'curvature'")
        with torch.no_grad():
            inputs = [h for h, _ in self.trace(X)]
        layers = [layer.with_curvature_grid(h, grid_size) if n == 0 and first == "curvature"
                  else layer.with_grid(h, grid_size)
                  for n, (layer, h) in enumerate(zip(self.layers, inputs))]
        return self._with_layers(layers)

    def select(self, keep: Sequence[torch.Tensor]) -> KAN:
        """A new network keeping node indices ``keep[l]`` of each layer (input … output)."""
        layers = [
            layer.select(keep[i], keep[i + 1]) for i, layer in enumerate(self.layers)
        ]
        new = KAN([len(k) for k in keep], layers=layers)
        with torch.no_grad():
            new.in_shift.copy_(self.in_shift[keep[0]])
            new.in_scale.copy_(self.in_scale[keep[0]])
            new.out_shift.copy_(self.out_shift[keep[-1]])
            new.out_scale.copy_(self.out_scale[keep[-1]])
        return new.to(self.in_shift.device)


def _covering(x: torch.Tensor, margin: float) -> tuple[torch.Tensor, torch.Tensor]:
    """``(low, high)`` per column of the samples ``x``, widened by ``margin`` of the span."""
    lo, hi = x.min(0).values, x.max(0).values
    span = (hi - lo).clamp_min(1e-6)
    return lo - margin * span, hi + margin * span


def _pad_knots(inner: torch.Tensor, h_low: torch.Tensor, h_high: torch.Tensor,
               k: int) -> torch.Tensor:
    """``(in, G+1)`` inner knots → ``(in, G+2k+1)``: ``k`` more each side, spaced like
    the end intervals (``h_low``, ``h_high``: ``(in,)``)."""
    steps = torch.arange(1, k + 1, dtype=inner.dtype, device=inner.device)
    return torch.cat([inner[:, :1] - steps.flip(0)[None] * h_low[:, None], inner,
                      inner[:, -1:] + steps[None] * h_high[:, None]], dim=1)


def _interp(x: torch.Tensor, xp: torch.Tensor, fp: torch.Tensor) -> torch.Tensor:
    """`numpy.interp` for increasing ``xp``, in torch."""
    i = torch.searchsorted(xp, x).clamp(1, len(xp) - 1)
    w = (x - xp[i - 1]) / (xp[i] - xp[i - 1]).clamp_min(1e-300)
    return fp[i - 1] + w.clamp(0, 1) * (fp[i] - fp[i - 1])
