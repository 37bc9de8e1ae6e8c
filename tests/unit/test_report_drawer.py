"""A drawer started early: it draws the jobs sent to it, shares them with the command, and
a drawer that fails or cannot be sent a job costs nothing but the jobs being run here."""

from __future__ import annotations

import os
import sys
import threading
import time
from functools import partial
from pathlib import Path

import pandas as pd
import pytest
from processes import gone
from report_fixtures import tiny_run

from sim.report import drawer as drawer_module
from sim.report.drawer import Drawer, early_drawer
from sim.report.run_report import render_run_report

pytestmark = [pytest.mark.unit,
              pytest.mark.skipif(sys.platform != "linux", reason="the drawer runs on Linux only")]


def _square(k: int) -> tuple[int, int]:
    time.sleep(0.2)  # long enough for the drawer and its fork to take jobs
    return k * k, os.getpid()


@pytest.fixture
def idle(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a machine with a core idle, in a process running one thread."""
    monkeypatch.setattr(drawer_module, "other_core_idle", lambda: True)
    monkeypatch.setattr(threading, "active_count", lambda: 1)


def test_jobs_sent_are_answered_in_order_by_the_drawer_and_its_fork(idle: None) -> None:
    drawer = Drawer.start()
    assert drawer is not None
    pid = drawer.pid
    jobs = [partial(_square, k) for k in range(7)]
    assert drawer.send(jobs[:4]) and drawer.send(jobs[4:])  # two batches, answered in order
    answers = drawer.collect(jobs)
    assert [a for a, _ in answers] == [k * k for k in range(7)]
    pids = {p for _, p in answers}
    assert len(pids) >= 2 and os.getpid() not in pids  # the drawer and its forks
    assert gone(pid)  # reaped


def _span(seconds: float) -> tuple[float, float, int]:
    start = time.monotonic()
    time.sleep(seconds)
    return start, time.monotonic(), os.getpid()


def test_a_later_batch_is_done_while_the_fork_finishes_the_first(idle: None) -> None:
    # The drawer takes the short job, its fork the long one; the workbook-like job
    # sent next is done by the drawer meanwhile, not after the long job.
    drawer = Drawer.start()
    assert drawer is not None
    pid = drawer.pid
    jobs = [partial(_span, 0.2), partial(_span, 1.5), partial(_span, 0.2)]
    assert drawer.send(jobs[:2]) and drawer.send(jobs[2:])
    short, long, later = drawer.collect(jobs)
    assert short[2] == later[2] == pid and long[2] != pid
    assert later[0] < long[1]  # started before the first batch's last job ended


def test_a_drawer_that_dies_or_cannot_be_sent_a_job_leaves_the_jobs_here(idle: None) -> None:
    drawer = Drawer.start()
    assert drawer is not None
    jobs = [partial(_square, k) for k in range(3)]
    os.kill(drawer.pid, 9)
    drawer.send(jobs)
    answers = drawer.collect(jobs)
    assert [a for a, _ in answers] == [0, 1, 4]
    assert {p for _, p in answers} == {os.getpid()}
    with early_drawer() as other:
        assert other is not None
        assert not other.send([lambda: 1])  # a lambda does not pickle
        pid = other.pid
    assert gone(pid)  # ended with the block


def test_no_drawer_without_an_idle_core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(drawer_module, "other_core_idle", lambda: False)
    with early_drawer() as drawer:
        assert drawer is None


def test_a_report_drawn_by_the_drawer_has_the_same_files(idle: None, tmp_path: Path) -> None:
    run = tiny_run()
    render_run_report(run, tmp_path / "here", workers=1)
    with early_drawer() as drawer:
        assert drawer is not None
        render_run_report(run, tmp_path / "drawer", drawer=drawer)
    here = sorted((tmp_path / "here" / "figures").iterdir())
    assert len(here) >= 8
    for png in here:
        assert (tmp_path / "drawer" / "figures" / png.name).read_bytes() == png.read_bytes()
    assert ((tmp_path / "drawer" / "report.html").read_text(encoding="utf-8")
            == (tmp_path / "here" / "report.html").read_text(encoding="utf-8"))
    sheets = {where: pd.read_excel(tmp_path / where / "tables" / "tables.xlsx", sheet_name=None)
              for where in ("here", "drawer")}
    assert len(sheets["here"]) >= 5 and sheets["here"].keys() == sheets["drawer"].keys()
    for name, df in sheets["here"].items():
        pd.testing.assert_frame_equal(sheets["drawer"][name], df)
