"""Training a KAN: Adam or L-BFGS, sparsity regularisation, grid extension.

``train`` returns a new model (the input is left as it was), the loss history and the
time taken. Progress is reported through ``on_step(step, loss)``; nothing is printed.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from symkan.errors import InputError
from symkan.kan.network import KAN


@dataclass(frozen=True)
class TrainConfig:
    """Settings of one training phase.

    ``lamb`` weighs the sparsity penalty of the KAN paper:
    ``lamb * (lamb_l1 * sum|phi| + lamb_entropy * entropy(|phi| / sum|phi|))`` per layer,
    with ``|phi|`` the mean absolute value of each edge over the batch.
    """

    steps: int = 100
    optimizer: str = "lbfgs"  # "lbfgs" | "adam"
    lr: float | None = None  # default: 1.0 for L-BFGS, 1e-2 for Adam
    lamb: float = 0.0
    lamb_l1: float = 1.0
    lamb_entropy: float = 2.0
    tol: float = 1e-14  # stop when the normalised loss falls below this
    # converged: the loss fell by less than ``rtol`` of itself over the last ``window``
    # steps (0: run every step)
    rtol: float = 0.0
    window: int = 10


@dataclass(frozen=True)
class TrainResult:
    model: KAN
    losses: tuple[float, ...] = field(repr=False)
    seconds: float


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` → CUDA when available, else CPU; ``cuda`` without a GPU is an `InputError`."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise InputError(
            "--device cuda was asked for, but torch sees no CUDA GPU on this machine; "
            "use --device auto (falls back to the CPU) or --device cpu"
        )
    if name not in ("cpu", "cuda"):
        raise InputError(f"device {name!r} is not one of auto, cpu, cuda")
    return torch.device(name)


def regularization(
    model: KAN, X: torch.Tensor, config: TrainConfig, first_bases: torch.Tensor | None = None,
) -> torch.Tensor:
    """The sparsity penalty (L1 + entropy over edge magnitudes), summed over layers."""
    total = X.new_zeros(())
    for _, acts in model.trace(X, first_bases):
        scale = acts.abs().mean(0)  # (out, in)
        l1 = scale.sum()
        p = scale / (l1 + 1e-12)
        entropy = -(p * torch.log(p + 1e-12)).sum()
        total = total + config.lamb_l1 * l1 + config.lamb_entropy * entropy
    return total


def train(
    model: KAN,
    X: torch.Tensor,
    y: torch.Tensor,
    config: TrainConfig = TrainConfig(),
    *,
    on_step: Callable[[int, float], None] | None = None,
) -> TrainResult:
    """Fit ``model`` to ``(X, y)``; returns a trained copy.

    Parameters
    ----------
    X : (n, d) raw inputs on the model's device and dtype
    y : (n, out) raw targets
    """
    start = time.perf_counter()
    model = copy.deepcopy(model)
    params = [p for p in model.parameters() if p.requires_grad]
    if config.optimizer == "lbfgs":
        opt = torch.optim.LBFGS(
            params, lr=config.lr or 1.0, max_iter=1, max_eval=25, history_size=20,
            line_search_fn="strong_wolfe", tolerance_grad=1e-14, tolerance_change=1e-16,
        )
    elif config.optimizer == "adam":
        opt = torch.optim.Adam(params, lr=config.lr or 1e-2)
    else:
        raise InputError(f"optimizer {config.optimizer!r} is not one of 'lbfgs', 'adam'")

    bases = model.first_bases(X)  # the inputs and the first grid stay fixed while training

    def objective() -> tuple[torch.Tensor, torch.Tensor]:
        pred = model(X, bases)
        mse = (((pred - y) / model.out_scale) ** 2).mean()
        if config.lamb > 0:
            return mse + config.lamb * regularization(model, X, config, bases), mse
        return mse, mse

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss, _ = objective()
        loss.backward()
        return loss

    losses: list[float] = []
    best_state, best = copy.deepcopy(model.state_dict()), float("inf")
    for step in range(config.steps):
        opt.step(closure)
        with torch.no_grad():
            loss, mse = objective()
        value = float(loss)
        if not torch.isfinite(loss):
            break
        losses.append(float(mse))
        if value < best:
            best, best_state = value, copy.deepcopy(model.state_dict())
        if on_step is not None:
            on_step(step, float(mse))
        if float(mse) < config.tol:
            break
        if config.rtol > 0 and len(losses) > config.window and (
                losses[-config.window - 1] - losses[-1]
                <= config.rtol * losses[-config.window - 1]):
            break
    model.load_state_dict(best_state)
    return TrainResult(model, tuple(losses), time.perf_counter() - start)
