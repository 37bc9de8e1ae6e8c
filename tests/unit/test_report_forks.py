"""A report's jobs on forked processes: the same answers in the same order as here, a
failed fork's jobs run here, and no fork where it would not be safe or would not pay."""

from __future__ import annotations

import os
import sys
import time
from functools import partial

import pytest

from sim.experiments import executors
from sim.report import forks
from sim.report.forks import fork_map, fork_workers

pytestmark = [pytest.mark.unit,
              pytest.mark.skipif(sys.platform != "linux", reason="forks are used on Linux only")]


def _square(k: int) -> tuple[int, int]:
    time.sleep(0.05)  # long enough for every process to take a job
    return k * k, os.getpid()


def test_forked_jobs_answer_in_order_and_run_elsewhere() -> None:
    jobs = [partial(_square, k) for k in range(9)]
    answers = fork_map(jobs, workers=3)
    assert [a for a, _ in answers] == [k * k for k in range(9)]
    pids = {pid for _, pid in answers}
    assert len(pids) >= 2 and pids != {os.getpid()}  # forks took some of the jobs


def test_a_job_that_fails_in_a_fork_runs_here_and_raises_here() -> None:
    here = os.getpid()

    def only_here() -> int:
        time.sleep(0.05)  # so that the fork takes some of them
        if os.getpid() != here:
            os._exit(3)  # the fork dies without answering
        return 1

    assert fork_map([only_here] * 6, workers=2) == [1] * 6  # run again here

    def always() -> int:
        raise ValueError("drawing failed")

    with pytest.raises(ValueError, match="drawing failed"):
        fork_map([lambda: 0, always], workers=2)


def test_no_fork_without_idle_cores_enough_jobs_or_with_threads(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # As in a process running one thread (other tests may leave threads behind).
    monkeypatch.setattr(forks.threading, "active_count", lambda: 1)
    monkeypatch.setattr(executors, "idle_cores", lambda **_: 2)
    assert fork_workers(jobs=10, min_jobs_per_worker=2) == 2
    assert fork_workers(jobs=3, min_jobs_per_worker=2) == 1  # two jobs each do not fit
    monkeypatch.setattr(executors, "idle_cores", lambda **_: 1)
    assert fork_workers(jobs=10, min_jobs_per_worker=2) == 1
    monkeypatch.setattr(executors, "idle_cores", lambda **_: 4)
    assert fork_workers(jobs=10, min_jobs_per_worker=2) == 4
    # A fork copies no other thread, nor a lock it holds.
    monkeypatch.setattr(forks.threading, "active_count", lambda: 2)
    assert fork_workers(jobs=10, min_jobs_per_worker=2) == 1
    monkeypatch.setattr(forks.sys, "platform", "darwin")
    assert fork_workers(jobs=10, min_jobs_per_worker=2) == 1
