"""Running a report's independent jobs (drawing figures, writing the workbook) on idle cores.

On Linux, when another core is idle, the jobs are split between this process
and forked copies of it: a fork inherits the jobs (functions and the tables
they read) and every imported library, so it starts in milliseconds and only
its answers travel back, pickled through a pipe. Anywhere else, in a process
running other threads (a fork copies no other thread, nor the locks they
hold), or when no other core is idle, the jobs run here, one after the other.
The answers are the same either way.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, BinaryIO, TypeVar

T = TypeVar("T")


def fork_workers(jobs: int, min_jobs_per_worker: int) -> int:
    """How many processes should run ``jobs`` jobs: 1 unless forking pays.

    As many as cores are idle right now (and at least ``min_jobs_per_worker``
    jobs each); one on a system without ``fork``, or in a process running other
    threads.

    Args:
        jobs: the number of jobs.
        min_jobs_per_worker: with fewer jobs than this per process, forking
            (and splitting the jobs) does not pay.
    """
    if sys.platform != "linux" or not hasattr(os, "fork") or threading.active_count() > 1:
        return 1
    # Here, not at the top: the executors load the model, which a report needs not.
    from sim.experiments.executors import idle_cores, runnable_now

    # The load of this moment: the one-minute average would still count, for a
    # minute, the work this run has just finished.
    idle = idle_cores(load=runnable_now())
    return max(1, min(idle, jobs // max(min_jobs_per_worker, 1)))


def fork_map(jobs: Sequence[Callable[[], T]], workers: int) -> list[T]:
    """Run every job, on ``workers`` processes (this one and forks of it).

    Each process takes the next job not yet taken (a counter in memory the
    forks share), so a process that drew short figures takes more of them. A
    fork that fails in any way is not fatal: the jobs it did not answer are
    run here.

    Args:
        jobs: the jobs.
        workers: processes, this one included.

    Returns:
        The jobs' answers, in the order of ``jobs``.
    """
    workers = max(1, min(workers, len(jobs)))
    if workers == 1:
        return [job() for job in jobs]
    queue = _Queue(len(jobs))
    children = [fork_call(partial(_work, jobs, queue)) for _ in range(workers - 1)]
    out: dict[int, T] = {}
    try:
        out.update(_work(jobs, queue))
        for child in children:
            answers = child.result() if child is not None else None
            out.update(answers or {})
        for i in range(len(jobs)):  # those of a fork that failed
            if i not in out:
                out[i] = jobs[i]()
    except BaseException:
        for child in children:
            if child is not None:
                child.stop()
        raise
    return [out[i] for i in range(len(jobs))]


class _Queue:
    """The index of the next job to take, in memory shared with the forks."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._next = multiprocessing.get_context("fork").Value("i", 0)

    def take(self) -> int | None:
        """The next job's index, or ``None`` when every job is taken."""
        with self._next.get_lock():
            i = int(self._next.value)
            if i >= self.size:
                return None
            self._next.value = i + 1
            return i


def _work(jobs: Sequence[Callable[[], T]], queue: _Queue) -> dict[int, T]:
    """Take jobs until none is left; their answers by index."""
    answers: dict[int, T] = {}
    while (i := queue.take()) is not None:
        answers[i] = jobs[i]()
    return answers


@dataclass
class Forked:
    """A forked process running a function; its answer comes through a pipe."""

    pid: int
    pipe: BinaryIO

    def result(self) -> dict[int, Any] | None:
        """Its answer (answers by job index), or ``None`` if it failed."""
        with self.pipe:
            data = self.pipe.read()  # before waiting: a full pipe would block the child
        _, status = os.waitpid(self.pid, 0)
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0 or not data:
            return None
        answers: dict[int, Any] = pickle.loads(data)  # our own fork's bytes
        return answers

    def stop(self) -> None:
        """End it (this process is being interrupted) and reap it."""
        self.pipe.close()
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)


def fork_call(work: Callable[[], dict[int, Any]]) -> Forked | None:
    """Run ``work`` in a fork of this process; ``None`` if the fork fails.

    The fork inherits this process's memory (every library loaded); it sends
    back ``work``'s answer, pickled, and ends. Read it with :meth:`Forked.result`.
    """
    try:
        read_fd, write_fd = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        return None
    if pid == 0:  # the child: run, answer, and leave without running the parent's code
        code = 1
        try:
            os.close(read_fd)
            # Ctrl-C is for the parent, which stops its children itself.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            # What the fork inherits outlives its work: collections need not look at it,
            # nor touch (and so copy) the pages it shares with the parent.
            gc.freeze()
            data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_fd, "wb") as pipe:
                pipe.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    return Forked(pid, os.fdopen(read_fd, "rb"))
