"""A process started early that loads the drawing libraries, then draws a report's figures.

A one-replication run spends a second importing its libraries and running,
on one core, before a report's figures exist; matplotlib's import and its
first drawing's font loading are a third of that. The ``run`` command
therefore forks this process first, while another core is idle: it imports
matplotlib (and the workbook's openpyxl) while the command loads the model
and runs, then forks a copy of itself, warm. The command sends each figure
as the report adds it (:meth:`sim.report.files.ReportFiles.figure`: its
building function and tables, pickled through a pipe), then the workbook's
tables, and waits. The drawer and its copy each take the next job from the
pipe as soon as they are free, so both draw from the first figure on and the
workbook goes to whichever is free first; the drawer sends back every PNG and
the workbook. The command itself never loads matplotlib. A figure is drawn the
same wherever it is drawn; a drawer (or its copy) that fails only costs its
jobs being run in the command's process.

Only the standard library is imported here: the point is to fork before the
heavy imports.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import pickle
import signal
import struct
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any, BinaryIO

_LENGTH = struct.Struct("<Q")  # each job: its length, then its index and itself, pickled
_PIPE_BYTES = 1 << 20  # room for every figure's tables: sending them never waits for the drawer
_LOCK_WAIT_SECONDS = 0.25  # how often a process waiting to read asks whether the other ended


def other_core_idle() -> bool:
    """Whether a core besides this process's is idle at this instant (Linux only).

    Read from ``/proc/loadavg`` (processes runnable now) and this process's
    cores; :func:`sim.experiments.executors.idle_cores` says the same, but
    importing it loads the model, which is what the drawer must not wait for.
    """
    try:
        cores = len(os.sched_getaffinity(0))
        with open("/proc/loadavg", encoding="ascii") as f:
            running = int(f.read().split()[3].split("/")[0])
    except (AttributeError, OSError, ValueError, IndexError):
        return False
    return cores - running >= 1  # ``running`` counts this process


class Drawer:
    """The drawing process and the pipes to it.

    Attributes:
        pid: the drawing process (0 once reaped).
    """

    def __init__(self, pid: int, jobs: BinaryIO, answers: BinaryIO) -> None:
        self.pid = pid
        self._jobs: BinaryIO | None = jobs
        self._answers = answers
        self._sent = 0  # jobs sent so far: the index of the next one

    @classmethod
    def start(cls) -> Drawer | None:
        """Fork the drawer, or ``None`` when no other core is idle or forking is not possible."""
        if (sys.platform != "linux" or not hasattr(os, "fork")
                or threading.active_count() > 1 or not other_core_idle()):
            return None
        try:
            job_read, job_write = os.pipe()
            answer_read, answer_write = os.pipe()
        except OSError:
            return None
        with contextlib.suppress(AttributeError, OSError):  # a bigger pipe where allowed
            import fcntl

            fcntl.fcntl(job_write, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
        try:
            pid = os.fork()
        except OSError:
            for fd in (job_read, job_write, answer_read, answer_write):
                os.close(fd)
            return None
        if pid == 0:  # the drawer: never returns into the command's code
            code = 1
            try:
                os.close(job_write)
                os.close(answer_read)
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the command's
                with os.fdopen(answer_write, "wb") as out:
                    _serve(job_read, out)
                code = 0
            finally:
                os._exit(code)
        os.close(job_read)
        os.close(answer_write)
        return cls(pid, os.fdopen(job_write, "wb"), os.fdopen(answer_read, "rb"))

    def send(self, jobs: Sequence[Callable[[], Any]]) -> bool:
        """Send jobs; ``False`` if the drawer is gone.

        Each job goes to the first of the drawer's two processes to be free.
        The answers come through :meth:`collect`, in the order sent.
        """
        if self._jobs is None:
            return False
        try:
            data = b"".join(_message(index, job)
                            for index, job in enumerate(jobs, start=self._sent))
            self._jobs.write(data)
            self._jobs.flush()
        except (OSError, pickle.PicklingError, AttributeError, TypeError):
            self._close_jobs()
            return False
        self._sent += len(jobs)
        return True

    def collect(self, jobs: Sequence[Callable[[], Any]]) -> list[Any]:
        """The answers of the jobs sent (``jobs``: every one sent, in order).

        Says that no more jobs come and waits for the drawer's answers; the
        jobs of a drawer that failed (or that could not be sent) are run here.
        """
        self._close_jobs()
        try:
            out = self._result() or {}
            return [out[i] if i in out else jobs[i]() for i in range(len(jobs))]
        except BaseException:
            self.stop()
            raise

    def _close_jobs(self) -> None:
        if self._jobs is not None:
            with contextlib.suppress(OSError):
                self._jobs.close()
            self._jobs = None

    def _result(self) -> dict[int, Any] | None:
        with self._answers:
            data = self._answers.read()  # before waiting: a full pipe would block the drawer
        _, status = os.waitpid(self.pid, 0)
        self.pid = 0
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0 or not data:
            return None
        answers: dict[int, Any] = pickle.loads(data)  # our own fork's bytes
        return answers

    def stop(self) -> None:
        """End the drawer (unused, or the command is stopping) and reap it."""
        self._close_jobs()
        with contextlib.suppress(OSError):
            self._answers.close()
        if self.pid:
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            self.pid = 0


@contextlib.contextmanager
def early_drawer() -> Iterator[Drawer | None]:
    """A :class:`Drawer` for the block (or ``None``), ended when the block ends."""
    drawer = Drawer.start()
    try:
        yield drawer
    finally:
        if drawer is not None:
            drawer.stop()


def _serve(jobs: int, out: BinaryIO) -> None:
    """The drawer's work: load the libraries, fork a copy, take jobs as they come, answer.

    Args:
        jobs: the pipe's reading end (a file descriptor, read unbuffered: two
            processes read it, one whole job at a time under a lock).
        out: where every answer goes, pickled by index, once no more jobs come.
    """
    from sim.report.drawing import warm_up
    from sim.report.forks import fork_call

    # What is loaded now lives as long as this process: no collection need look at
    # it, while it loads or after, nor touch (and so copy) its memory in the copy
    # that shares the work. Nor is the collector needed after: this process draws one
    # report's figures and ends; their reference cycles, left to the end, cost 8 MB
    # where collecting them cost 5-7 % of the drawing time (benchmarks/performance.md).
    gc.disable()
    warm_up()
    importlib.import_module("openpyxl")  # the report's workbook is written here too
    gc.freeze()
    lock = importlib.import_module("multiprocessing").get_context("fork").Lock()
    drawer = os.getpid()
    # The copy stops if the drawer ends (the command stopped it, say, while the drawer
    # held the lock waiting for a job); the drawer reads alone once the copy has ended.
    copy = fork_call(partial(_take, jobs, lock, lambda: os.getppid() != drawer,
                             go_on_alone=False))
    answers = _take(jobs, lock, lambda: copy is None or _ended(copy.pid), go_on_alone=True)
    if copy is not None:
        answers.update(copy.result() or {})  # a copy that failed: its jobs run in the command
    out.write(pickle.dumps(answers, protocol=pickle.HIGHEST_PROTOCOL))


def _message(index: int, job: Callable[[], Any]) -> bytes:
    """A job as it travels: its length, then its index and itself, pickled."""
    data = pickle.dumps((index, job), protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(data)) + data


def _take(jobs: int, lock: Any, other_gone: Callable[[], bool], *,
          go_on_alone: bool) -> dict[int, Any]:
    """Take jobs from the pipe until it closes and run them; their answers by index.

    Args:
        jobs: the pipe (a file descriptor).
        lock: held while a message is read, by one of the two processes at a time.
        other_gone: whether the other process has ended; it may have ended
            holding the lock, which is then never released.
        go_on_alone: once the other has ended, read without the lock (the
            drawer), or stop (its copy).
    """
    answers: dict[int, Any] = {}
    alone = False
    while True:
        while not alone and not lock.acquire(timeout=_LOCK_WAIT_SECONDS):
            alone = other_gone()
            if alone and not go_on_alone:
                return answers
        try:  # a whole message, or nothing: the other process waits meanwhile
            head = _read(jobs, _LENGTH.size)
            data = _read(jobs, _LENGTH.unpack(head)[0]) if len(head) == _LENGTH.size else b""
        finally:
            if not alone:
                lock.release()
        if not data:
            return answers
        index, job = pickle.loads(data)  # our own parent's bytes
        answers[index] = job()


def _ended(pid: int) -> bool:
    """Whether the child ``pid`` has ended (left waitable: it is reaped elsewhere)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _read(fd: int, size: int) -> bytes:
    """``size`` bytes from ``fd``, fewer only at the end of the pipe."""
    parts: list[bytes] = []
    while size > 0 and (part := os.read(fd, size)):
        parts.append(part)
        size -= len(part)
    return b"".join(parts)
