"""The special-function suite: our KAN beside an MLP of equal size and the KAN paper.

The KAN paper (Liu et al. 2024, Sec. 3.2) fits 15 scipy.special functions of two
variables and reports, for each, its smallest and its most accurate pruned KAN shapes
with their test RMSEs, and the best MLP's test RMSE. For a fitted run this module adds:

* `kan_param_count`: the trainable parameters of a KAN (``G + k + 1`` per edge:
  ``G + k`` spline coefficients and one base weight, as in `symkan.kan.KANLayer`);
* `mlp_baseline`: a tanh MLP ``[d, h, h, 1]`` whose width ``h`` makes its parameter
  count as close as possible to a given one, trained full-batch with L-BFGS (float64,
  CPU, seeded through a `torch.Generator`; global RNGs are never touched);
* `accurate_kan`: KANs of the paper's best shape and two more (`candidate_shapes`)
  trained to the data's limit (grid extension 3 → 5 → … → 100, float64 L-BFGS to
  convergence on each grid: `symkan.kan.schedule`), shape, recipe and grid chosen on
  validation rows, with its test RMSE on every grid beside an
  MLP of the same parameter count (the paper's Figure 3: RMSE against parameters);
* `special_record`: the extra fields of a benchmark record (our shape, formula and KAN
  test RMSEs, the MLP's, the paper's columns);
* `special_table`: a markdown table of records, ours beside the paper's.

Examples
--------
>>> kan_param_count([2, 2, 1], grid_size=5)  # 6 edges × (5 + 3 + 1)
54
>>> parse_shape("[2,3,1,1]")
(2, 3, 1, 1)
>>> mlp_widths(2, 54), mlp_param_count(mlp_widths(2, 54))
((2, 5, 5, 1), 51)
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import torch
from torch import nn

from symkan.data import Dataset, train_test_split
from symkan.formula.numeric import evaluate, rmse_of
from symkan.kan.schedule import Schedule, extend_grids
from symkan.search.networks import new_kan, to_tensor

#: Paper columns copied from ``special_functions.csv`` into every record.
PAPER_COLUMNS: tuple[str, ...] = (
    "paper_minimal_kan_shape", "paper_minimal_kan_test_rmse", "paper_best_kan_shape",
    "paper_best_kan_test_rmse", "paper_mlp_test_rmse",
)


def kan_param_count(widths: Sequence[int], grid_size: int, k: int = 3) -> int:
    """Trainable parameters of a KAN of shape ``widths``: ``(G + k + 1)`` per edge."""
    return sum(a * b for a, b in pairwise(widths)) * (grid_size + k + 1)


def mlp_param_count(widths: Sequence[int]) -> int:
    """Weights and biases of a fully connected network of shape ``widths``."""
    return sum(a * b + b for a, b in pairwise(widths))


def mlp_widths(n_in: int, n_params: int, depth: int = 2) -> tuple[int, ...]:
    """``(n_in, h, ..., h, 1)`` with ``depth`` hidden layers whose parameter count is
    closest to ``n_params`` (ties go to the smaller ``h``; ``h >= 1``)."""
    best = min(range(1, 4097), key=lambda h: (
        abs(mlp_param_count((n_in, *[h] * depth, 1)) - n_params), h))
    return (n_in, *[best] * depth, 1)


class _MLP(nn.Module):
    """tanh MLP on standardised inputs and outputs; initialised from a Generator."""

    def __init__(self, widths: Sequence[int], generator: torch.Generator) -> None:
        super().__init__()
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for a, b in pairwise(widths):
            bound = 1.0 / math.sqrt(a)  # PyTorch's default nn.Linear range
            w = (torch.rand(b, a, generator=generator, dtype=torch.float64) * 2 - 1) * bound
            c = (torch.rand(b, generator=generator, dtype=torch.float64) * 2 - 1) * bound
            self.weights.append(nn.Parameter(w))  # (out, in)
            self.biases.append(nn.Parameter(c))  # (out,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = torch.nn.functional.linear(x, w, b)  # (batch, out)
            if i < len(self.weights) - 1:
                x = torch.tanh(x)
        return x[:, 0]  # (batch,)


@dataclass(frozen=True)
class MLPResult:
    rmse: float  # on the test rows, in the target's units
    params: int
    widths: tuple[int, ...]
    seconds: float


def mlp_baseline(
    train: Dataset, test: Dataset, n_params: int, *, seed: int = 0, steps: int = 300,
    depth: int = 2,
) -> MLPResult:
    """Train an MLP with about ``n_params`` parameters on ``train``; RMSE on ``test``.

    Inputs and target are standardised with the training rows' mean and spread; the
    network is trained by full-batch L-BFGS (``steps`` iterations, strong-Wolfe line
    search) on the mean squared error.

    Examples
    --------
    >>> from symkan.bench.problems import get_problem
    >>> p = get_problem("special:jv")
    >>> r = mlp_baseline(p.sample(200, seed=0), p.sample(200, seed=1), 50, steps=50)
    >>> r.widths, r.params, r.rmse < 0.05
    ((2, 5, 5, 1), 51, True)
    """
    widths = mlp_widths(train.n_features, n_params, depth)
    start = time.perf_counter()
    mx, sx = train.X.mean(0), np.where(train.X.std(0) > 0, train.X.std(0), 1.0)
    my, sy = float(train.y.mean()), float(train.y.std()) or 1.0
    X = torch.as_tensor((train.X - mx) / sx, dtype=torch.float64)  # (n, d)
    y = torch.as_tensor((train.y - my) / sy, dtype=torch.float64)  # (n,)
    model = _MLP(widths, torch.Generator().manual_seed(seed))
    opt = torch.optim.LBFGS(model.parameters(), lr=1.0, max_iter=steps,
                            history_size=50, line_search_fn="strong_wolfe",
                            tolerance_grad=1e-12, tolerance_change=1e-15)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.mean((model(X) - y) ** 2)
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        Xt = torch.as_tensor((test.X - mx) / sx, dtype=torch.float64)
        pred = model(Xt).numpy() * sy + my
    rmse = rmse_of(pred, test.y)
    return MLPResult(rmse, mlp_param_count(widths), widths, time.perf_counter() - start)


#: the grids an accurate KAN extends through (every one is trained: the scaling curve)
ACCURATE_GRIDS: tuple[int, ...] = (3, 5, 10, 20, 50, 100)
#: the recipes tried, as grid updates per grid (0: extension only; 3: three rounds of 10
#: steps and a grid update before each grid's training, as the paper's update_grid)
RECIPES: tuple[int, ...] = (0, 3)
#: hidden layers tried beside the paper's best shape: one of 5 nodes, two of 5
EXTRA_HIDDEN: tuple[tuple[int, ...], ...] = ((5,), (5, 5))


@dataclass(frozen=True)
class Candidate:
    """One trained shape, recipe and grid, scored on the validation and test rows."""

    shape: tuple[int, ...]
    updates: int  # grid updates per grid of its recipe
    seed: int
    grid: int
    params: int
    val_rmse: float
    val_se: float  # standard error of ``val_rmse`` (from the rows' squared errors)
    rmse: float  # on the test rows


def rmse_with_error(pred: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """RMSE and its standard error: ``se(mean e²) / (2 RMSE)`` (the delta method).

    >>> rmse_with_error(np.array([1.0, -1.0, 1.0, -1.0]), np.zeros(4))
    (1.0, 0.0)
    """
    e2 = (np.asarray(pred, dtype=float) - y) ** 2
    rmse = float(np.sqrt(e2.mean()))
    if not 0 < rmse < math.inf:  # exact, or diverged: no error to speak of
        return rmse, 0.0
    return rmse, float(e2.std() / math.sqrt(len(e2)) / (2 * rmse))


def one_se_pick(candidates: Sequence[Candidate]) -> Candidate:
    """The smallest candidate whose validation RMSE is within one standard error of the
    lowest (the one-standard-error rule: Breiman et al. 1984; Hastie et al., *Elements of
    Statistical Learning*, Sec. 7.10). Ties in size go to the lower validation RMSE.

    200 validation rows cannot see every region where a fine grid wiggles between the
    fit rows; among networks they cannot tell apart, the smaller one is the safer bet.
    """
    best = min(candidates, key=lambda c: c.val_rmse)
    margin = best.val_se if math.isfinite(best.val_se) else 0.0
    near = [c for c in candidates if c is best or c.val_rmse <= best.val_rmse + margin]
    return min(near, key=lambda c: (c.params, c.val_rmse))


@dataclass(frozen=True)
class AccurateKAN:
    shape: tuple[int, ...]  # the candidate `one_se_pick` chose: its shape,
    grid: int  # its grid,
    params: int
    rmse: float  # and its test RMSE
    mlp: MLPResult  # an MLP of the same parameter count, trained on the same rows
    # per grid: (grid, KAN params, KAN test RMSE, MLP params, MLP test RMSE)
    scaling: tuple[tuple[int, int, float, int, float], ...]
    updates: int  # grid updates per grid of the chosen candidate's recipe
    seconds: float
    candidates: tuple[Candidate, ...] = ()  # every shape, recipe, seed and grid trained


def parse_shape(text: str) -> tuple[int, ...]:
    """``"[2,3,1]"`` → ``(2, 3, 1)``; `ValueError` for anything else."""
    inner = text.strip().removeprefix("[").removesuffix("]")
    shape = tuple(int(w) for w in inner.split(","))
    if len(shape) < 2 or min(shape) < 1:
        raise ValueError(f"not a network shape: {text!r}")
    return shape


def candidate_shapes(best: Sequence[int]) -> tuple[tuple[int, ...], ...]:
    """The paper's best shape, then `EXTRA_HIDDEN` on the same inputs and outputs
    (duplicates dropped).

    >>> candidate_shapes((2, 2, 1))
    ((2, 2, 1), (2, 5, 1), (2, 5, 5, 1))
    >>> candidate_shapes((2, 5, 1))
    ((2, 5, 1), (2, 5, 5, 1))
    """
    shapes = [tuple(best)] + [(best[0], *hidden, best[-1]) for hidden in EXTRA_HIDDEN]
    return tuple(dict.fromkeys(shapes))


def accurate_kan(
    shapes: Sequence[Sequence[int]], train: Dataset, test: Dataset, *, seed: int = 0,
    grids: Sequence[int] = ACCURATE_GRIDS, steps: int = 200, mlp_steps: int = 1000,
    recipes: Sequence[int] = RECIPES, seeds: Sequence[int] | None = None,
    first: str = "curvature",
) -> AccurateKAN:
    """KANs of ``shapes`` trained to the data's limit; the validation rows pick one.

    ``train`` is split 80/20 into fit and validation rows; each shape is trained on the
    fit rows through every grid of ``grids`` (float64 L-BFGS until the loss stops falling,
    at most ``steps`` per grid, the next grid initialised from the last), from each of
    ``seeds`` (default: ``seed``) once for each of ``recipes`` (grid updates per grid:
    `RECIPES`), the first layer's knots on each new grid placed by ``first`` (default:
    where its edges bend; `symkan.kan.schedule.Schedule`).
    Every grid of every run is a candidate; the validation rows pick "the"
    KAN by the one-standard-error rule (`one_se_pick`). At each grid of its run an MLP
    with as many parameters is trained on the same fit rows (L-BFGS, at most
    ``mlp_steps`` iterations) and both are scored on ``test``.
    """
    start = time.perf_counter()
    seeds = (seed,) if seeds is None else tuple(seeds)
    fit, val = train_test_split(train, 0.2, seed=seed)
    device = torch.device("cpu")
    X, y = to_tensor(fit.X, device), to_tensor(fit.y[:, None], device)
    Xv, yv = to_tensor(val.X, device), to_tensor(val.y[:, None], device)
    Xt = to_tensor(test.X, device)
    candidates: list[Candidate] = []
    for shape in map(tuple, shapes):
        for start_seed in seeds:
            model = new_kan(shape, fit.X, fit.y, grids[0], start_seed, device)
            for updates in recipes:

                def score(grid: int, net, shape=shape, s=start_seed, u=updates) -> None:
                    with torch.no_grad():
                        val_rmse, val_se = rmse_with_error(net(Xv)[:, 0].numpy(), val.y)
                        test_rmse = rmse_of(net(Xt)[:, 0].numpy(), test.y)
                    candidates.append(Candidate(shape, u, s, grid, kan_param_count(shape, grid),
                                                val_rmse, val_se, test_rmse))

                extend_grids(model, X, y, Xv, yv,
                             Schedule(grids=tuple(grids), steps=steps, rtol=1e-6,
                                      patience=len(grids), updates=updates, first=first),
                             on_grid=score)
    pick = one_se_pick(candidates)  # on the validation rows
    curve = [c for c in candidates
             if (c.shape, c.updates, c.seed) == (pick.shape, pick.updates, pick.seed)]
    scaling, mlp = [], None
    for c in curve:
        m = mlp_baseline(fit, test, c.params, seed=seed, steps=mlp_steps)
        scaling.append((c.grid, c.params, c.rmse, m.params, m.rmse))
        mlp = m if c is pick else mlp
    return AccurateKAN(pick.shape, pick.grid, pick.params, pick.rmse, mlp, tuple(scaling),
                       pick.updates, time.perf_counter() - start, tuple(candidates))


def special_record(problem, result, dataset: Dataset, test, *, seed: int = 0,
                   steps: int = 200, grids: Sequence[int] = ACCURATE_GRIDS) -> dict:
    """Extra record fields for one special-function run.

    Parameters
    ----------
    problem : `symkan.bench.problems.Problem` of the ``special`` suite
    result : `symkan.pipeline.FitResult` of the run on ``dataset``
    dataset : the training rows (the accurate KAN and the MLPs train on them too)
    test : a `Dataset` of test rows, or the indices of ``dataset``'s test rows
        (those are then left out of the training rows)
    seed, steps, grids : the accurate KAN's seed, L-BFGS steps per grid and grids

    Returns
    -------
    dict
        ``kan_shape`` (pruned, e.g. ``"[2,2,1]"``), ``kan_params``, ``kan_rmse`` (the
        pipeline's pruned KAN), ``formula_rmse`` (our formula); the accurate KAN the
        validation rows pick among the paper's best shape and `candidate_shapes`
        (`accurate_kan`): ``accurate_shape``, ``accurate_grid``, ``accurate_params``,
        ``accurate_rmse``, and every candidate as ``accurate_candidates`` (shape, grid
        updates, seed, grid, validation RMSE and its standard error, test RMSE); the MLP of its size: ``mlp_rmse``,
        ``mlp_params``, ``mlp_shape``, ``mlp_seconds``; ``scaling`` (per grid: grid, KAN
        params, KAN RMSE, MLP params, MLP RMSE); all RMSEs on the test rows; and the
        paper's columns (`PAPER_COLUMNS`, as printed, on the paper's own ranges).
    """
    if not isinstance(test, Dataset):
        rows = np.asarray(test, dtype=int)
        keep = np.setdiff1d(np.arange(dataset.n_rows), rows)
        dataset, test = dataset.select(keep), dataset.select(rows)
    model = result.model
    kan_params = int(sum(p.numel() for p in model.parameters()))
    with torch.no_grad():
        Xk = torch.as_tensor(np.ascontiguousarray(test.X[:, list(result.inputs)]),
                             dtype=torch.float64, device=next(model.parameters()).device)
        kan_pred = model(Xk)[:, 0].cpu().numpy()
    formula_pred = evaluate(result.expr, result.symbols, test.X)
    info = dict(problem.info)
    best = parse_shape(info.get("paper_best_kan_shape") or f"[{dataset.n_features},5,1]")
    acc = accurate_kan(candidate_shapes(best), dataset, test, seed=seed, steps=steps,
                       grids=grids)
    return {
        "kan_shape": _shape(result.widths),
        "kan_params": kan_params,
        "kan_rmse": rmse_of(kan_pred, test.y),
        "formula_rmse": rmse_of(formula_pred, test.y),
        "accurate_shape": _shape(acc.shape),
        "accurate_grid": acc.grid,
        "accurate_params": acc.params,
        "accurate_rmse": acc.rmse,
        "accurate_grid_updates": acc.updates,
        "accurate_seconds": round(acc.seconds, 2),
        "mlp_rmse": acc.mlp.rmse,
        "mlp_params": acc.mlp.params,
        "mlp_shape": _shape(acc.mlp.widths),
        "mlp_seconds": round(acc.mlp.seconds, 2),
        "scaling": [list(row) for row in acc.scaling],
        "accurate_candidates": [
            [_shape(c.shape), c.updates, c.seed, c.grid, c.val_rmse, c.val_se, c.rmse]
            for c in acc.candidates],
        **{c: _number(info.get(c, "")) for c in PAPER_COLUMNS},
    }


def special_table(records: Sequence[dict]) -> str:
    """A markdown table: one row per function (medians over seeds), ours beside the paper's.

    Records are those of `symkan.bench.runner` with the `special_record` fields
    (``problem`` names the function); error records show as ``error``. The last lines
    count the functions where our KAN beats the MLP of its size and the paper's best KAN.
    """
    header = (
        "| function | ours: pruned shape | ours: formula RMSE | ours: pruned KAN RMSE "
        "| ours: accurate KAN, grid: RMSE (params) "
        "| MLP, equal params: RMSE (shape) | paper: minimal KAN | paper: RMSE "
        "| paper: best KAN | paper: RMSE | paper: MLP RMSE |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    )
    note = (
        "Test RMSEs. Ours are on the boxes of `datasets/benchmarks/special_functions.csv` "
        "(x, y in [0, 1]; y in [0.1, 1] for yv and kv); the paper's are as printed, on its "
        "own ranges, which it does not state. Compare shapes and orders of magnitude, not "
        "digits. *Accurate KAN*: the paper's best shape, `[2,5,1]` and `[2,5,5,1]`, each "
        "through grid extension 3 → 5 → 10 → 20 → 50 → 100 (first-layer knots placed "
        "where its edges bend) with float64 L-BFGS to convergence on each grid, without "
        "and with grid updates; shape, recipe and grid "
        "chosen on 20 % validation rows by the one-standard-error rule (the smallest "
        "network within one standard error of the lowest validation RMSE; "
        "`symkan.bench.special.accurate_kan`); the MLP has as many parameters as the "
        "chosen KAN and the same fit rows."
    )
    by_problem: dict[str, list[dict]] = {}
    for r in records:
        by_problem.setdefault(r["problem"], []).append(r)
    seeds = max(len({r.get("seed", 0) for r in rs}) for rs in by_problem.values())
    if seeds > 1:
        note += (f" Our RMSEs are medians over the {seeds} seeds run (each a fresh draw of "
                 "training and test rows); shapes and grids are the first seed's.")
    lines = [note, "", header]
    beats_mlp = beats_paper = counted = 0
    for name, rs in by_problem.items():
        ok = [r for r in rs if r.get("level") != "error" and r.get("kan_rmse") is not None]
        paper = rs[0]
        if not ok:
            ours = ["error"] * 5
        else:
            acc = _median(r.get("accurate_rmse") for r in ok)
            mlp = _median(r["mlp_rmse"] for r in ok)
            best = _number(str(paper.get("paper_best_kan_test_rmse", "")))
            if acc is not None and mlp is not None:
                counted += 1
                beats_mlp += acc < mlp
                beats_paper += isinstance(best, float) and acc <= best
            ours = [
                ok[0]["kan_shape"],
                _fmt(_median(r.get("formula_rmse", r.get("rmse")) for r in ok)),
                f"{_fmt(_median(r['kan_rmse'] for r in ok))} ({ok[0]['kan_params']})",
                (f"{ok[0].get('accurate_shape', '?')}, {ok[0].get('accurate_grid', '?')}: "
                 f"{_fmt(acc)} ({ok[0].get('accurate_params', '?')})"),
                f"{_fmt(mlp)} ({ok[0]['mlp_shape']})",
            ]
        theirs = [paper.get("paper_minimal_kan_shape", ""),
                  _fmt(paper.get("paper_minimal_kan_test_rmse")),
                  paper.get("paper_best_kan_shape", ""),
                  _fmt(paper.get("paper_best_kan_test_rmse")),
                  _fmt(paper.get("paper_mlp_test_rmse"))]
        lines.append("| " + " | ".join([name, *ours, *map(str, theirs)]) + " |")
    over = f" (medians over {seeds} seeds)" if seeds > 1 else ""
    lines += ["", (f"Our accurate KAN below the MLP of its size: {beats_mlp}/"
                   f"{counted}; at or below the paper's best KAN: {beats_paper}/{counted}"
                   f"{over}.")]
    return "\n".join(lines) + "\n"


def _shape(widths: Sequence[int]) -> str:
    return "[" + ",".join(str(int(w)) for w in widths) + "]"


def _number(text: str):
    try:
        return float(text)
    except ValueError:
        return text or None


def _median(values) -> float | None:
    vals = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    return statistics.median(vals) if vals else None


def _fmt(value) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        return value
    return f"{value:.2e}"
