"""The network: B-spline maths, the KAN layer and network, training, pruning.

``spline`` → ``network`` (`KANLayer`, `KAN`) → ``train`` → ``schedule`` (grid extension
stopped on validation rows) → ``lstsq`` (a one-layer KAN in closed form) → ``prune``; each
module imports only those before it.
"""

from symkan.kan.network import KAN, KANLayer
from symkan.kan.prune import PruneConfig, Pruned
from symkan.kan.train import TrainConfig, TrainResult

__all__ = ["KAN", "KANLayer", "PruneConfig", "Pruned", "TrainConfig", "TrainResult"]
