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


def test_a_job_goes_to_whichever_process_is_free(idle: None) -> None:
    # The drawer and its copy take jobs from the pipe as they come: a job sent after a
    # long one is done by the other process meanwhile, not after the long one ends.
    drawer = Drawer.start()
    assert drawer is not None
    jobs = [partial(_span, 1.5), partial(_span, 0.2), partial(_span, 0.2)]
    assert drawer.send(jobs[:1])
    time.sleep(0.5)  # the long job is taken (once the drawer is warm)
    assert drawer.send(jobs[1:2]) and drawer.send(jobs[2:])
    long, short, later = drawer.collect(jobs)
    assert long[2] != short[2] == later[2] and os.getpid() not in {long[2], short[2]}
    assert later[0] < long[1]  # started before the long job ended


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


def _copy_of(drawer: Drawer, within: float = 20.0) -> int:
    """The pid of the drawer's copy, once the drawer is warm and has forked it."""
    children = Path(f"/proc/{drawer.pid}/task/{drawer.pid}/children")
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        pids = children.read_text().split()
        if pids:
            return int(pids[0])
        time.sleep(0.05)
    raise AssertionError("the drawer forked no copy")


def _ended_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists() or " Z " in Path(f"/proc/{pid}/stat").read_text():
            return True
        time.sleep(0.05)
    return False


def test_a_copy_that_dies_leaves_its_jobs_to_the_drawer(idle: None) -> None:
    # Killed while one of the two waits for a job holding the lock: if it was the
    # copy, the lock is never released, and the drawer must go on alone.
    drawer = Drawer.start()
    assert drawer is not None
    pid, copy = drawer.pid, _copy_of(drawer)
    time.sleep(0.3)  # both wait for a job, one of them holding the lock
    os.kill(copy, 9)
    jobs = [partial(_span, 0.05) for _ in range(3)]
    assert drawer.send(jobs)
    answers = drawer.collect(jobs)
    assert {p for _, _, p in answers} == {pid}  # all done by the drawer


def test_the_copy_ends_with_the_drawer(idle: None) -> None:
    # Stopped while both wait for a job (the drawer perhaps holding the lock): the
    # copy must not wait for that lock forever.
    drawer = Drawer.start()
    assert drawer is not None
    copy = _copy_of(drawer)
    time.sleep(0.3)
    drawer.stop()
    assert _ended_within(copy, 5.0)


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
