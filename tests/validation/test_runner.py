"""Replications, the tables they produce, and writing them."""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from sim import Scenario, run_replications
from sim.apps.run_folder import result_json, write_run
from sim.experiments.executors import Execution, ProcessExecutor, SerialExecutor
from sim.report.format import fmt
from sim.report.text import summary_table
from sim.results.metrics import METRIC_NAMES


@pytest.fixture(scope="module")
def run():
    scenario = Scenario().with_overrides({"name": "tiny", "horizon_days": 90.0,
                                          "replications": 3, "record_leads": True})
    calls: list[tuple[int, int]] = []
    result = run_replications(scenario, progress=lambda done, total: calls.append((done, total)))
    return result, calls


@pytest.mark.smoke
def test_tables_have_one_row_per_replication_and_metric(run) -> None:
    run, calls = run
    assert list(run.per_replication["replication"]) == [0, 1, 2]
    assert list(run.summary["metric"]) == list(METRIC_NAMES)
    assert set(run.timeseries["replication"]) == {0, 1, 2}
    assert set(run.leads["replication"]) == {0, 1, 2}
    assert calls == [(1, 3), (2, 3), (3, 3)]
    revenue = run.metric("revenue")
    assert revenue["ci_low"] <= revenue["mean"] <= revenue["ci_high"]
    assert revenue["mean"] == pytest.approx(run.per_replication["revenue"].mean())


@pytest.mark.smoke
def test_result_json_has_the_public_shape_and_no_nan(run) -> None:
    run, _ = run
    data = result_json(run)
    assert set(data) == {"scenario", "seed", "replications", "horizon_days", "metrics"}
    assert data["scenario"] == "tiny" and data["replications"] == 3
    text = json.dumps(data, allow_nan=False)  # NaN would make this raise
    assert "NaN" not in text


def test_write_run_writes_every_table_atomically(run, tmp_path: Path) -> None:
    run, _ = run
    out = write_run(run, tmp_path / "r", datetime.now(), datetime.now())
    names = {p.name for p in out.iterdir()}
    assert names == {"summary.csv", "replications.csv", "timeseries.csv", "leads.csv",
                     "scenario.yaml", "result.json", "manifest.json",
                     "report.html", "figures", "tables"}
    assert [p.name for p in tmp_path.iterdir()] == ["r"]  # no temporary folder left
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == run.seed and manifest["packages"]["simpy"]


def test_summary_table_formats_numbers_for_people(run) -> None:
    run, _ = run
    text = summary_table(run)
    assert "Bookings, whole horizon" in text and "95% CI" in text
    assert fmt(1_234_567.0, "money") == "1.23 M"
    assert fmt(0.256, "percent") == "25.6%"
    assert fmt(math.nan, "days") == "-"
    assert fmt(12_345.0, "count") == "12,345"


def test_an_executor_the_caller_keeps_gives_the_same_tables_and_stays_open() -> None:
    scenario = Scenario().with_overrides({"name": "tiny", "horizon_days": 30.0,
                                          "replications": 2})
    alone = run_replications(scenario, seed=5)
    with ProcessExecutor(2) as pool:
        first = run_replications(scenario, seed=5, executor=pool, label="yours")
        second = run_replications(scenario, seed=5, executor=pool)  # the pool is still open
    for name in ("per_replication", "summary", "timeseries", "won_deals"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(alone, name),
                                      check_exact=True, obj=name)
        pd.testing.assert_frame_equal(getattr(second, name), getattr(alone, name),
                                      check_exact=True, obj=name)
    with pytest.raises(ValueError, match="not both"):
        run_replications(scenario, execution=Execution(), executor=SerialExecutor())


def test_metric_of_an_unknown_name_is_a_key_error(run) -> None:
    run, _ = run
    with pytest.raises(KeyError):
        run.metric("no_such_metric")
