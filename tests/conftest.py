"""Test-session settings: one torch thread and one BLAS thread, as the CLI uses.

symkan's tensors are small; several threads gain nothing and make float reductions
depend on thread scheduling, so two identical runs could differ in the last bits.
"""

import torch
from threadpoolctl import threadpool_limits

torch.set_num_threads(1)
threadpool_limits(1)
