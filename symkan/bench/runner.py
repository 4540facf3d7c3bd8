"""Run a benchmark suite: every problem × seed through one method, judged the same way.

``run(config, out_dir)`` fits every (problem, seed) task that ``out_dir/results.jsonl``
does not already hold, appends one JSON record per task as it finishes (so an
interrupted run resumes where it stopped), and rewrites ``out_dir/summary.md`` at the
end. Tasks go to local worker processes (one torch/BLAS thread each) or, with
``scheduler="tcp://host:port"``, to a Dask distributed cluster.

Every method sees the same rows: ``n`` training rows sampled in the problem's box (with
Gaussian noise of std ``noise`` × RMS(target) when asked), and ``n_test`` fresh noiseless
rows for the test R². The found formula is judged against the true one by
`symkan.bench.metrics.match_level`.
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

from symkan.bench import methods
from symkan.bench.methods import OPERON_SETTINGS
from symkan.bench.metrics import match_level
from symkan.bench.problems import Problem, load_suite
from symkan.bench.summary import summary_markdown
from symkan.errors import InputError
from symkan.formula.numeric import r2, rmse_of

METHODS = ("symkan", "symkan-units", "operon")


@dataclass(frozen=True)
class BenchConfig:
    """What to run; together with a problem and a seed it fixes a task's rows exactly."""

    suite: str
    methods: tuple[str, ...] = ("symkan",)
    limit: int | None = None
    names: tuple[str, ...] = ()
    noise: float = 0.0
    seeds: int = 1
    n: int = 1000
    n_test: int = 1000
    time_budget: float = 120.0
    fast: bool = False  # tiny training settings (tests and smoke runs only)
    protocol: str = "symkan"  # or "srbench" (see `PROTOCOLS`)


# ``--protocol``: training rows, test rows and seeds per problem. Noise is always added to
# the training target only; the test rows are fresh and noiseless. SRBench's ground-truth
# protocol (La Cava et al. 2021) trains on 10,000 rows and repeats with several seeds.
PROTOCOLS: dict[str, dict[str, int]] = {
    "symkan": {"n": 1000, "n_test": 1000, "seeds": 1},
    "srbench": {"n": 10_000, "n_test": 10_000, "seeds": 5},
}


@dataclass(frozen=True)
class Task:
    problem: Problem
    seed: int
    method: str

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.method, self.problem.name, self.seed)


def tasks(config: BenchConfig) -> list[Task]:
    """The (problem, seed, method) tasks of a run, in suite order."""
    unknown = set(config.methods) - set(METHODS)
    if unknown or not config.methods:
        raise InputError(f"method {sorted(unknown)} unknown; choose from {list(METHODS)}")
    if config.seeds < 1 or config.n < 10 or config.noise < 0:
        raise InputError("--seeds must be ≥ 1, --n ≥ 10 and --noise ≥ 0")
    problems = load_suite(config.suite)
    if config.names:
        known = {p.name for p in problems}
        missing = [n for n in config.names if n not in known]
        if missing:
            raise InputError(f"problems {missing} are not in suite {config.suite!r}; "
                             f"`symkan datasets list {config.suite}` shows its names")
        problems = [p for p in problems if p.name in config.names]
    problems = problems[: config.limit] if config.limit else problems
    return [Task(p, s, m) for m in config.methods for p in problems for s in range(config.seeds)]


def _key(record: dict) -> tuple[str, str, int]:
    return (record["method"], record["problem"], int(record["seed"]))


def load_records(path: Path) -> list[dict]:
    """Records of ``results.jsonl``; a torn last line (an interrupted write) is ignored."""
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def run_task(task: Task, config: BenchConfig) -> dict:
    """Fit one task and judge it; failures become records with level ``"error"``."""
    p = task.problem
    data = p.sample(config.n, seed=task.seed, noise=config.noise)
    test = p.sample(config.n_test, seed=10_000 + task.seed)
    record = {"suite": config.suite, "problem": p.name, "seed": task.seed,
              "method": task.method, "noise": config.noise, "n": config.n,
              "n_vars": len(p.variables), "true": p.formula}
    start = time.perf_counter()
    try:
        fitted = methods.fit(task.method, data, config, p)
        seconds = time.perf_counter() - start
        pred = fitted.predict(test.X)
        # special functions have no closed form to match: they are judged by test RMSE
        level = ("n/a" if p.kind == "scipy"
                 else match_level(fitted.expr, p.expr, p.symbols(), p.low, p.high))
        record.update(
            found=str(fitted.expr), level=level, r2=r2(pred, test.y),
            rmse=rmse_of(pred, test.y),
            complexity=fitted.complexity, seconds=round(seconds, 2), device=fitted.device,
            **({"lever": fitted.method, "timings": fitted.timings} if fitted.timings else {}),
            **_surrogate_fields(fitted.surrogate),
            **fitted.extra(p, data, test),
        )
    except Exception as err:  # noqa: BLE001 - a benchmark records any failure and goes on
        record.update(found=None, level="error", error=f"{type(err).__name__}: {err}",
                      r2=None, rmse=None, complexity=None,
                      seconds=round(time.perf_counter() - start, 2), device=None)
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in record.items()}


def _surrogate_fields(sur: dict | None) -> dict:
    """The record's surrogate fields: its network, held-out relative error, and whether
    the search trained it (False: trained after the fit, outside ``seconds``)."""
    if sur is None:
        return {}
    if callable(sur):
        sur = sur()
    return {"surrogate_error": sur["rel_error"], "surrogate_network": sur["network"],
            "surrogate_by_search": sur["by_search"]}


def _init_worker() -> None:
    import torch
    from threadpoolctl import threadpool_limits

    threads = int(os.environ.get("SYMKAN_THREADS", "1"))  # as the CLI: one unless asked
    torch.set_num_threads(threads)
    threadpool_limits(threads)


def run(
    config: BenchConfig,
    out_dir: Path,
    *,
    workers: int = 2,
    scheduler: str | None = None,
    on_record: Callable[[dict, int, int], None] | None = None,
) -> list[dict]:
    """Run every task not yet in ``out_dir/results.jsonl``; return the folder's records.

    The returned records, and ``summary.md``, cover every method and problem in the
    folder at this noise level. ``on_record(record, done, total)`` is called after each
    finished task.
    """
    todo_all = tasks(config)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = out_dir / "results.jsonl"
    previous = {_key(r): r for r in load_records(results) if r.get("noise") == config.noise}
    todo = [t for t in todo_all if t.key not in previous]
    total, done = len(todo_all), len(todo_all) - len(todo)
    _write_meta(out_dir, config, workers, scheduler)
    if results.exists() and not results.read_bytes().endswith(b"\n"):
        with open(results, "a", encoding="utf-8") as fh:
            fh.write("\n")  # an interrupted write left half a line: start a fresh one
    for record in _execute(todo, config, workers, scheduler):
        with open(results, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")
        done += 1
        if on_record is not None:
            on_record(record, done, total)
    # the summary covers every method run into this folder at this noise level, so runs
    # of different methods (`--method symkan`, then `--method operon`) share one table
    problems = {p.name: i for i, p in enumerate(load_suite(config.suite))}
    methods = {m: i for i, m in enumerate(METHODS)}
    folder = {_key(r): r for r in load_records(results) if r.get("noise") == config.noise}
    records = sorted(folder.values(), key=lambda r: (methods.get(r["method"], 99),
                                                     problems.get(r["problem"], 10**6),
                                                     int(r["seed"])))

    (out_dir / "summary.md").write_text(
        summary_markdown(records, config, read_meta(out_dir)), encoding="utf-8")
    return records


def _execute(todo: Sequence[Task], config: BenchConfig, workers: int, scheduler: str | None):
    if not todo:
        return
    if scheduler:
        yield from _execute_dask(todo, config, scheduler)
        return
    if workers <= 1:
        _init_worker()
        for task in todo:
            yield run_task(task, config)
        return
    with ProcessPoolExecutor(workers, initializer=_init_worker) as pool:
        futures = [pool.submit(run_task, t, config) for t in todo]
        try:
            for fut in as_completed(futures):
                yield fut.result()
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise


def _execute_dask(todo: Sequence[Task], config: BenchConfig, scheduler: str):
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:
        raise InputError("--scheduler needs Dask: pip install 'symkan[dask]' "
                         "(or pip install dask distributed)") from None
    try:
        client = Client(scheduler, timeout=30)
    except OSError as err:
        raise InputError(f"cannot reach the Dask scheduler at {scheduler!r} ({err}); start one "
                         "with `dask scheduler` and `dask worker ADDRESS`, or leave out "
                         "--scheduler to use local processes") from None
    try:
        client.run(_init_worker)
        futures = [client.submit(run_task, t, config, pure=False) for t in todo]
        try:
            for fut in dask_completed(futures):
                yield fut.result()
        except BaseException:
            client.cancel(futures)
            raise
    finally:
        client.close()


def _write_meta(out_dir: Path, config: BenchConfig, workers: int, scheduler: str | None) -> None:
    import torch

    meta = read_meta(out_dir)
    for method in config.methods:
        meta[method] = {
            "config": asdict(config) | {"methods": [method]},
            "machine": f"{platform.platform()}; {os.cpu_count()} cores; "
                       f"torch {torch.__version__}",
            "workers": scheduler or workers,
            "threads_per_task": _threads(method, config),
        }
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def _threads(method: str, config: BenchConfig) -> int:
    """Threads one task of ``method`` runs on (Operon's own; torch's for symkan)."""
    if method == "operon":
        return 1 if config.fast else int(OPERON_SETTINGS["n_threads"])
    return int(os.environ.get("SYMKAN_THREADS", "1"))


def read_meta(out_dir: Path) -> dict:
    path = out_dir / "meta.json"
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except json.JSONDecodeError:
        return {}
