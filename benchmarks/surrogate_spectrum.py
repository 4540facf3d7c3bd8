"""The search's surrogate on I.10.7: its held-out error and its log-gradient spectrum.

    python benchmarks/surrogate_spectrum.py [--law I.10.7] [--seeds 3]

``m0/sqrt(1 - v**2/c**2)`` has one dimensionless group (v/c) besides its prefactor, so
the centred feature matrix of ``log|f|`` in log coordinates has rank 1: its second and
third eigenvalues are zero for the true law, and how far from zero the surrogate's are
says how well its gradients can be trusted. For each seed: 1,000 rows of the law, the
fit's own split (test 20 %, validation 20 % of the rest), the surrogate `symkan.fit`
trains (`symkan.search.networks.train_surrogate`), its relative error on the validation
rows and the relative eigenvalues on the fit rows. Takes ~10 s per seed on one core.
"""

from __future__ import annotations

import argparse

import torch

from symkan.bench.problems import get_problem
from symkan.data import train_test_split
from symkan.search.levers.symmetries import log_feature_matrix
from symkan.search.networks import gradients, train_surrogate
from symkan.search.types import FitConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--law", default="I.10.7")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    cpu, config = torch.device("cpu"), FitConfig()
    for seed in range(args.seeds):
        ds = get_problem(args.law).sample(1000, seed=seed)
        train, _ = train_test_split(ds, config.test_fraction, seed=config.seed)
        fit, val = train_test_split(train, config.val_fraction, seed=config.seed + 1)
        sur = train_surrogate(fit.X, fit.y, val.X, val.y, config, cpu)
        f, g = gradients(sur.model, fit.X, cpu)
        spectrum = log_feature_matrix(fit.X, f, g)
        eig = "n/a (f changes sign)" if spectrum is None else ", ".join(
            f"{v:.3g}" for v in spectrum["eigenvalues"])
        print(f"{args.law} rows seed {seed}: {sur.kind}; held-out relative error "
              f"{sur.rel_error:.2e}; relative eigenvalues {eig}")


if __name__ == "__main__":
    main()
