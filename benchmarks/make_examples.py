"""Write the Quickstart's example CSVs (datasets/examples/) from the benchmark formulas."""

from pathlib import Path

import numpy as np

from symkan.bench.problems import load_suite

OUT = Path(__file__).resolve().parents[1] / "datasets" / "examples"
EXAMPLES = {"I.12.11": "lorentz_force.csv", "I.6.2a": "gaussian.csv"}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for p in load_suite("feynman"):
        if p.name in EXAMPLES:
            ds = p.sample(1000, seed=0)
            header = ",".join([*ds.feature_names, ds.target_name])
            data = np.column_stack([ds.X, ds.y])
            np.savetxt(OUT / EXAMPLES[p.name], data, delimiter=",", header=header,
                       comments="", fmt="%.17g")
            print(OUT / EXAMPLES[p.name])


if __name__ == "__main__":
    main()
