"""The default number of workers: the idle cores, never more than the tasks, and one
process until the measured length of the tasks shows that a pool pays."""

from __future__ import annotations

import pandas as pd
import pytest
from experiment_fixtures import short_baseline

from sim.experiments import executors
from sim.experiments.executors import (
    AutoExecutor,
    Execution,
    ProcessExecutor,
    SerialExecutor,
    Task,
    TaskResult,
    available_cores,
    idle_cores,
    open_executor,
    runnable_now,
)

pytestmark = pytest.mark.unit


def test_idle_cores_are_the_cores_less_the_load() -> None:
    assert idle_cores(cores=2, load=0.3) == 2
    assert idle_cores(cores=2, load=0.6) == 1  # 1.4 idle: one core
    assert idle_cores(cores=2, load=5.0) == 1  # never fewer than one
    assert idle_cores(cores=8, load=2.4) == 6
    assert idle_cores(cores=4, load=0.0) == 4  # never more than the cores
    assert 1 <= idle_cores() <= available_cores()
    now = runnable_now()  # this instant's other runnable processes (Linux), this one not
    assert now is None or now >= 0
    assert 1 <= idle_cores(load=now) <= available_cores()


def test_the_default_execution_is_capped_at_one_task_and_left_to_the_executor() -> None:
    assert 1 <= Execution(workers=None).worker_count <= available_cores()
    assert Execution(workers=None).capped(1).worker_count == 1
    assert Execution(workers=None).capped(5).workers is None  # AutoExecutor caps itself
    assert Execution(workers=4).capped(2).worker_count == 2


def test_the_default_opens_a_pool_only_on_idle_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(executors, "idle_cores", lambda: 1)
    assert isinstance(open_executor(Execution(workers=None)), SerialExecutor)
    monkeypatch.setattr(executors, "idle_cores", lambda: 2)
    with open_executor(Execution(workers=None)) as auto:
        assert isinstance(auto, AutoExecutor) and auto.workers == 2
    with open_executor(Execution(workers=2)) as asked:  # asked for: a pool, whatever the load
        assert isinstance(asked, ProcessExecutor)


def _metrics(results: list[TaskResult]) -> pd.DataFrame:
    """The metrics as a table, compared exactly, an undefined (NaN) metric equal to itself."""
    return pd.DataFrame([r.metrics for r in results])


def _tasks(n: int) -> list[Task]:
    scenario = short_baseline(horizon_days=20.0)
    return [Task("p", scenario, 3, r) for r in range(n)]


def test_a_short_run_stays_in_this_process() -> None:
    tasks = _tasks(3)
    seen: list[int] = []
    with AutoExecutor(2, pool_start_seconds=60.0) as auto:
        results = auto.run(tasks, lambda r: seen.append(r.replication))
        assert auto._pool is None  # three short tasks would not repay a pool
    assert seen == [0, 1, 2]
    pd.testing.assert_frame_equal(_metrics(results), _metrics(SerialExecutor().run(tasks)),
                                  check_exact=True)


def test_a_run_long_enough_gets_a_pool_and_the_same_numbers() -> None:
    tasks = _tasks(4)
    with AutoExecutor(2, pool_start_seconds=0.0) as auto:
        results = auto.run(tasks)
        assert isinstance(auto._pool, ProcessExecutor) and auto._pool.workers == 2
        again = auto.run(tasks[:2])  # the next round reuses the pool
    assert auto._pool is None  # closed with the executor
    serial = SerialExecutor().run(tasks)
    assert [r.key for r in results] == [t.key for t in tasks]
    pd.testing.assert_frame_equal(_metrics(results), _metrics(serial), check_exact=True)
    pd.testing.assert_frame_equal(_metrics(again), _metrics(serial[:2]), check_exact=True)
