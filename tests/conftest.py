"""Test-session settings: one torch thread, as the CLI uses (small tensors; see cli.py)."""

import torch

torch.set_num_threads(1)
