"""Executors: serial, local processes and a Dask cluster give identical numbers."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator

import pandas as pd
import pytest
from distributed import LocalCluster
from experiment_fixtures import short_baseline

from sim import run_replications
from sim.experiments.designs import SweepSpec, parse_vary
from sim.experiments.executors import (
    DaskExecutor,
    Execution,
    ExecutorError,
    ProcessExecutor,
    SerialExecutor,
    Task,
    TaskResult,
    available_cores,
    open_executor,
)
from sim.experiments.experiment import run_sweep


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    """A local Dask cluster of two single-threaded worker processes."""
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.ERROR) as local:
        yield local


def tasks() -> list[Task]:
    a = short_baseline("a", horizon_days=60.0)
    b = a.with_overrides({"name": "b", "sales.reps": 3, "alignment.stage": "aligned"})
    return [Task(s.name, s, 7, r) for s in (a, b) for r in range(3)]


def table(results: list[TaskResult]) -> pd.DataFrame:
    return pd.DataFrame([{"point": res.point, "replication": res.replication, **res.metrics}
                         for res in results])


def test_serial_processes_and_dask_give_identical_results(cluster: LocalCluster) -> None:
    work = tasks()
    seen: list[tuple[str, int]] = []
    serial = SerialExecutor().run(work)
    with ProcessExecutor(2) as pool:
        parallel = pool.run(work, lambda res: seen.append(res.key))
    with DaskExecutor(scheduler=cluster.scheduler_address) as dask:
        distributed = dask.run(work)
    assert sorted(seen) == sorted(t.key for t in work)  # each result reported once, here
    assert [r.key for r in parallel] == [t.key for t in work]  # task order, whatever finished
    assert [r.key for r in distributed] == [t.key for t in work]
    pd.testing.assert_frame_equal(table(parallel), table(serial), check_exact=True)
    pd.testing.assert_frame_equal(table(distributed), table(serial), check_exact=True)
    assert all(r.detail is None for r in serial)  # experiments get metrics only


def test_a_sweep_is_identical_serial_parallel_and_on_dask(cluster: LocalCluster) -> None:
    spec = SweepSpec.build(short_baseline(horizon_days=60.0, replications=2),
                           [parse_vary("sales.reps=3,8")])
    serial = run_sweep(spec, SerialExecutor())
    with ProcessExecutor(2) as pool:
        parallel = run_sweep(spec, pool)
    with DaskExecutor(scheduler=cluster.scheduler_address) as dask:
        distributed = run_sweep(spec, dask)
    for other in (parallel, distributed):
        for name, frame in serial.tables().items():
            pd.testing.assert_frame_equal(other.tables()[name], frame, check_exact=True,
                                          obj=name)
        assert other.to_json() == serial.to_json()


@pytest.mark.smoke
def test_run_replications_is_identical_on_two_workers() -> None:
    scenario = short_baseline(horizon_days=60.0, replications=3).with_overrides(
        {"record_leads": True})
    calls: list[tuple[int, int]] = []
    serial = run_replications(scenario)
    parallel = run_replications(scenario, execution=Execution(workers=2),
                                progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3)]
    for name in ("per_replication", "summary", "timeseries", "leads"):
        pd.testing.assert_frame_equal(getattr(parallel, name), getattr(serial, name),
                                      check_exact=True, obj=name)


def test_keep_series_returns_the_whole_replication() -> None:
    scenario = short_baseline(horizon_days=30.0)
    result = SerialExecutor().run([Task("x", scenario, 1, 0, keep_series=True)])[0]
    assert result.detail is not None
    assert result.detail.metrics == result.metrics
    assert len(result.detail.timeseries) > 0


@pytest.mark.smoke
def test_execution_plans() -> None:
    assert Execution().worker_count == 1
    assert 1 <= Execution(workers=None).worker_count <= available_cores()  # the idle ones
    assert Execution(kind="dask", scheduler="tcp://h:1").describe() == {
        "executor": "dask", "workers": None, "scheduler": "tcp://h:1"}
    assert isinstance(open_executor(), SerialExecutor)
    with open_executor(Execution(workers=2)) as pool:
        assert isinstance(pool, ProcessExecutor)
    for bad in ({"workers": 0}, {"kind": "threads"}, {"scheduler": "tcp://h:1"}):
        with pytest.raises(ValueError):
            Execution(**bad)  # type: ignore[arg-type]


def test_an_unreachable_scheduler_is_one_line() -> None:
    with pytest.raises(ExecutorError) as info:
        DaskExecutor(scheduler="tcp://127.0.0.1:9", connect_timeout=2.0)
    message = str(info.value)
    assert message.startswith("--scheduler tcp://127.0.0.1:9: cannot start or reach")
    assert "\n" not in message


def test_dask_not_installed_is_one_line_naming_the_extra(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    # A None entry in sys.modules makes the import fail as if Dask were not installed.
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ExecutorError) as info:
        open_executor(Execution(kind="dask", workers=1))
    assert str(info.value) == ("--executor dask: Dask is not installed; install the dask "
                               "extra (pip install 'leadflow-sim[dask]')")


def _profiler_enabled() -> bool:
    import dask.config

    return bool(dask.config.get("distributed.worker.profile.enabled"))


def test_a_local_cluster_s_workers_do_not_sample_their_stacks() -> None:
    # The profiler only feeds the dashboard, which a local cluster does not show;
    # its sampling slowed every replication (benchmarks/performance.md).
    before = _profiler_enabled()
    with DaskExecutor(workers=2) as dask:
        answers = dask._client.run(_profiler_enabled)
        profiles = dask._client.run(lambda dask_worker: dask_worker.profile_recent)
    assert len(answers) == 2 and not any(answers.values())
    assert all(not recent.get("count") for recent in profiles.values())
    assert _profiler_enabled() == before  # this process's setting is untouched
