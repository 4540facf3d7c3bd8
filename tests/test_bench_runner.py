"""`symkan bench`: records, resume after an interruption, Dask, the summary's arithmetic."""

import json

import pytest

from symkan.bench.runner import BenchConfig, load_records, run, tasks
from symkan.bench.summary import headline_table, method_stats
from symkan.cli import main

pytest.importorskip("pyoperon")  # the runner's mechanics are tested on Operon: it is fast

FAST = BenchConfig(suite="feynman", methods=("operon",), names=("I.12.1", "I.14.4"),
                   fast=True, n=200, n_test=200)


def test_records_have_every_field_and_resume_skips_finished_tasks(tmp_path):
    seen = []
    records = run(FAST, tmp_path, workers=1, on_record=lambda r, d, t: seen.append((d, t)))
    assert seen == [(1, 2), (2, 2)]
    assert [r["problem"] for r in records] == ["I.12.1", "I.14.4"]
    for r in records:
        for key in ("found", "level", "r2", "complexity", "seconds", "device", "method",
                    "seed", "noise", "true"):
            assert key in r
        assert r["level"] in ("exact", "symbolic", "numeric", "different")
        assert r["r2"] > 0.99  # Operon fits these two laws closely even on tiny settings
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    # simulate an interruption: the second record never made it, the first one did,
    # and a torn half-line was left behind
    (tmp_path / "results.jsonl").write_text(lines[0] + "\n" + lines[1][:20])
    seen.clear()
    again = run(FAST, tmp_path, workers=1, on_record=lambda r, d, t: seen.append((d, t)))
    assert seen == [(2, 2)]  # only the missing task ran
    assert [r["problem"] for r in again] == ["I.12.1", "I.14.4"]
    assert json.loads(lines[0]) == again[0]
    assert (tmp_path / "summary.md").read_text().count("| I.1") == 2


def test_dask_local_cluster_runs_the_same_tasks(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        records = run(FAST, tmp_path, scheduler=cluster.scheduler_address)
    assert [r["problem"] for r in records] == ["I.12.1", "I.14.4"]
    assert all(r["level"] != "error" for r in records)
    local = run(FAST, tmp_path / "local", workers=1)
    # same rows, same seeds: Operon finds the same formulas wherever it runs
    assert [r["found"] for r in records] == [r["found"] for r in local]


def test_tasks_cover_problems_times_seeds_and_reject_unknown_names():
    cfg = BenchConfig(suite="bonus", seeds=3, limit=2)
    ts = tasks(cfg)
    assert len(ts) == 6 and {t.seed for t in ts} == {0, 1, 2}
    with pytest.raises(Exception, match="not in suite"):
        tasks(BenchConfig(suite="feynman", names=("I.99.99",)))
    with pytest.raises(Exception, match="method"):
        tasks(BenchConfig(suite="feynman", methods=("pysr",)))


def test_summary_counts_levels_per_method():
    recs = [
        {"method": "a", "problem": "p1", "seed": 0, "level": "exact", "r2": 1.0, "seconds": 2.0},
        {"method": "a", "problem": "p2", "seed": 0, "level": "symbolic", "r2": 0.9999,
         "seconds": 4.0},
        {"method": "a", "problem": "p3", "seed": 0, "level": "different", "r2": 0.99,
         "seconds": 9.0},
        {"method": "b", "problem": "p1", "seed": 0, "level": "error", "r2": None,
         "seconds": 1.0},
    ]
    s = method_stats([r for r in recs if r["method"] == "a"])
    assert (s["symbolic"], s["exact"], s["r2"], s["median_s"]) == (2, 1, 2, 4.0)
    table = headline_table(recs)
    assert "2/3 (66.7 %)" in table and "0/1 (0.0 %)" in table
    assert "surrogate" not in table  # no record has one


def test_summary_reports_the_surrogates_median_error():
    """Over every record with a surrogate, and over those whose search trained it."""
    errors = [(1e-7, False), (2e-3, True), (5e-2, True), (1e-6, False), (3e-3, False)]
    recs = [{"method": "a", "problem": f"p{i}", "seed": 0, "level": "exact", "r2": 1.0,
             "seconds": 1.0, "surrogate_error": e, "surrogate_by_search": b}
            for i, (e, b) in enumerate(errors)]
    assert method_stats(recs)["surrogate"] == (2e-3, pytest.approx(2.6e-2), 5, 2)
    assert ("| surrogate's held-out relative error, median (laws) | 2.0e-03 (5); searches "
            "that trained one: 2.6e-02 (2) |") in headline_table(recs)


def test_cli_bench_writes_results_and_summary(tmp_path, capsys):
    out = tmp_path / "bench"
    code = main(["bench", "feynman", "--names", "I.12.1", "--method", "operon", "--fast",
                 "--n", "200", "--workers", "1", "--out", str(out), "--quiet"])
    assert code == 0
    assert len(load_records(out / "results.jsonl")) == 1
    assert "symbolic solution" in capsys.readouterr().out
    assert "| I.12.1 |" in (out / "summary.md").read_text()


def test_cli_bench_bad_input_exits_2_without_writing(tmp_path, capsys):
    assert main(["bench", "nosuch", "--out", str(tmp_path / "x")]) == 2
    assert "nosuch" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("keep")
    assert main(["bench", "feynman", "--limit", "1", "--out", str(other)]) == 2
    assert sorted(p.name for p in other.iterdir()) == ["mine.txt"]


def test_srbench_protocol_trains_on_noisy_rows_and_tests_on_fresh_noiseless_ones(tmp_path):
    out = tmp_path / "bench"
    code = main(["bench", "feynman", "--names", "I.12.1", "--method", "operon", "--fast",
                 "--protocol", "srbench", "--seeds", "2", "--noise", "0.1", "--workers", "1",
                 "--out", str(out), "--quiet"])
    assert code == 0
    records = load_records(out / "results.jsonl")
    assert sorted(r["seed"] for r in records) == [0, 1]
    assert {r["n"] for r in records} == {10_000} and {r["noise"] for r in records} == {0.1}
    meta = json.loads((out / "meta.json").read_text())
    assert meta["operon"]["config"]["protocol"] == "srbench"
    assert meta["operon"]["config"]["n_test"] == 10_000
