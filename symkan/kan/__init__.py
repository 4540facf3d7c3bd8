"""The network: B-spline maths, the KAN layer and network, training, pruning.

``spline`` → ``network`` (`KANLayer`, `KAN`) → ``train`` → ``prune``; each module imports
only those before it.
"""

from symkan.kan.network import KAN, KANLayer
from symkan.kan.prune import PruneConfig, Pruned
from symkan.kan.train import TrainConfig, TrainResult

__all__ = ["KAN", "KANLayer", "PruneConfig", "Pruned", "TrainConfig", "TrainResult"]
