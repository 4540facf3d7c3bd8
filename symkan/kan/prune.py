"""Pruning a trained KAN to a minimal graph by attribution scores.

Attribution flows back from the output (score 1): an edge ``i → j`` receives the share of
node ``j``'s score equal to its share of the variation (standard deviation) that reaches
``j``; a node's score is the sum of its outgoing edge scores. Scores of one layer sum to the
output's score, so a threshold reads as "carries less than this fraction of the output".
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from symkan.kan.network import KAN
from symkan.kan.train import TrainConfig, train


@dataclass(frozen=True)
class PruneConfig:
    edge_threshold: float = 0.02
    node_threshold: float = 0.02


@dataclass(frozen=True)
class Pruned:
    model: KAN
    inputs: tuple[int, ...]  # indices of the original inputs that survive
    edge_scores: tuple[torch.Tensor, ...]  # of the pruned model, one (out, in) per layer


def edge_scores(model: KAN, X: torch.Tensor) -> list[torch.Tensor]:
    """Attribution of every edge, one ``(out, in)`` tensor per layer."""
    with torch.no_grad():
        spreads = [acts.std(0) for _, acts in model.trace(X)]  # (out, in) per layer
        node = torch.ones(model.widths[-1], dtype=X.dtype, device=X.device)  # (out,)
        scores: list[torch.Tensor] = []
        for spread in reversed(spreads):
            share = spread / spread.sum(1, keepdim=True).clamp_min(1e-30)  # (out, in)
            score = share * node[:, None]
            scores.append(score)
            node = score.sum(0)  # (in,)
    return scores[::-1]


def node_scores(model: KAN, X: torch.Tensor) -> list[torch.Tensor]:
    """Attribution of every node, inputs first, one ``(width,)`` tensor per layer."""
    scores = edge_scores(model, X)
    return [s.sum(0) for s in scores] + [
        torch.ones(model.widths[-1], dtype=X.dtype, device=X.device)
    ]


def prune(model: KAN, X: torch.Tensor, config: PruneConfig = PruneConfig()) -> Pruned:
    """A new, smaller KAN without weak edges, dead hidden nodes and unused inputs."""
    scores = edge_scores(model, X)
    masks = [(s >= config.edge_threshold).to(X.dtype) for s in scores]
    keep: list[torch.Tensor] = []
    widths = model.widths
    def everything(width: int) -> torch.Tensor:
        return torch.ones(width, dtype=torch.bool, device=X.device)

    for layer in range(len(widths)):
        incoming = masks[layer - 1].sum(1) > 0 if layer > 0 else everything(widths[0])
        outgoing = masks[layer].sum(0) > 0 if layer < len(masks) else everything(widths[-1])
        node_ok = scores[layer].sum(0) >= config.node_threshold if layer < len(masks) else outgoing
        alive = incoming & outgoing & node_ok
        if layer == len(widths) - 1:
            alive = everything(widths[-1])
        if not alive.any():  # keep the strongest node so the network stays connected
            alive[scores[layer].sum(0).argmax() if layer < len(masks) else 0] = True
        keep.append(torch.nonzero(alive).flatten().to(X.device))
    new = model.select(keep)
    with torch.no_grad():
        for idx, layer in enumerate(new.layers):
            layer.mask.mul_(masks[idx][keep[idx + 1]][:, keep[idx]])
    return Pruned(new, tuple(int(i) for i in keep[0]), tuple(edge_scores(new, X[:, keep[0]])))


def prune_greedy(
    model: KAN, X: torch.Tensor, y: torch.Tensor, config: PruneConfig = PruneConfig(),
    *, steps: int = 40, slack: float = 10.0, floor: float = 1e-4,
) -> Pruned:
    """Prune by attribution, then remove the weakest hidden node while the fit allows.

    After each removal the network is fine-tuned for ``steps`` L-BFGS steps; the removal
    is kept when the normalised MSE stays below ``max(min(slack * mse_0, mse_0 + 1e-3),
    floor)``, with ``mse_0`` that of the attribution-pruned network: a network that
    already fits well may lose nodes freely, a poor one only those it truly does not
    use. The result is the smallest graph found that still fits, not merely the one a
    fixed threshold gives.
    """

    def mse(m: KAN, inputs: tuple[int, ...]) -> float:
        with torch.no_grad():
            return float((((m(X[:, list(inputs)]) - y) / m.out_scale) ** 2).mean())

    best = prune(model, X, config)
    mse0 = mse(best.model, best.inputs)
    limit = max(min(slack * mse0, mse0 + 1e-3), floor)
    while any(w > 1 for w in best.model.widths[1:-1]):
        Xp = X[:, list(best.inputs)]
        nodes = node_scores(best.model, Xp)
        # the weakest hidden node over all hidden layers
        layer, idx = min(
            ((layer, int(torch.argmin(nodes[layer]))) for layer in range(1, len(nodes) - 1)
             if best.model.widths[layer] > 1),
            key=lambda li: float(nodes[li[0]][li[1]]),
        )
        keep = [torch.arange(w, device=X.device) for w in best.model.widths]
        keep[layer] = keep[layer][keep[layer] != idx]
        smaller = train(best.model.select(keep), Xp, y, TrainConfig(steps=steps)).model
        if mse(smaller, best.inputs) > limit:
            break
        best = Pruned(smaller, best.inputs, tuple(edge_scores(smaller, Xp)))
    return best
