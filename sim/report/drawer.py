"""A process started early that loads the drawing libraries, then draws a report's figures.

A one-replication run spends a second importing its libraries and running,
on one core, before a report's figures exist; matplotlib's import and its
first drawing's font loading are a third of that. The ``run`` command
therefore forks this process first, while another core is idle: it imports
matplotlib (and the workbook's openpyxl) while the command loads the model
and runs. Once a report has every figure
(:meth:`sim.report.files.ReportFiles.start`) the command sends them (their
building functions and tables, pickled through a pipe) and writes the rest of
the page; then it sends the workbook's tables and waits. The drawer, warm,
shares each batch with a fork of itself (:func:`sim.report.forks.fork_map`)
and sends back the PNGs and the workbook. The command itself never loads
matplotlib. A figure is drawn the same wherever it is drawn; a drawer that
fails only costs its figures being drawn in the command's process.

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
from typing import Any, BinaryIO

_LENGTH = struct.Struct("<Q")  # each batch: its length, then its pickled jobs
_PIPE_BYTES = 1 << 20  # room for every figure's tables: sending them never waits for the drawer


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
                with os.fdopen(job_read, "rb") as jobs, os.fdopen(answer_write, "wb") as out:
                    _serve(jobs, out)
                code = 0
            finally:
                os._exit(code)
        os.close(job_read)
        os.close(answer_write)
        return cls(pid, os.fdopen(job_write, "wb"), os.fdopen(answer_read, "rb"))

    def send(self, jobs: Sequence[Callable[[], Any]]) -> bool:
        """Send a batch of jobs, drawn at once; ``False`` if the drawer is gone.

        Their answers come through :meth:`collect`, after every batch's, in
        the order sent.
        """
        if self._jobs is None:
            return False
        try:
            data = pickle.dumps(list(jobs), protocol=pickle.HIGHEST_PROTOCOL)
            self._jobs.write(_LENGTH.pack(len(data)) + data)
            self._jobs.flush()
        except (OSError, pickle.PicklingError, AttributeError, TypeError):
            self._close_jobs()
            return False
        return True

    def collect(self, jobs: Sequence[Callable[[], Any]]) -> list[Any]:
        """The answers of the jobs sent (``jobs``: every batch's, as sent).

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


def _serve(jobs: BinaryIO, out: BinaryIO) -> None:
    """The drawer's work: load the libraries, wait for the jobs, run them, answer."""
    from sim.report.drawing import warm_up
    from sim.report.forks import fork_map

    # What is loaded now lives as long as this process: no collection need look at
    # it, while it loads or after, nor touch (and so copy) its memory in the fork
    # that shares the work.
    gc.disable()
    warm_up()
    importlib.import_module("openpyxl")  # the report's workbook is written here too
    gc.freeze()
    gc.enable()
    later: list[Any] = []

    def take_later() -> None:
        # This process has taken the first batch's last job; its fork may still be
        # drawing one. What the command sent since (the workbook, written once the
        # page's tables are all there) is done here meanwhile, not after.
        while (more := _batch(jobs)) is not None:
            later.extend(fork_map(more, workers=2))

    first = _batch(jobs)
    # Two processes: the command only waits meanwhile, or writes its page.
    answers = [] if first is None else fork_map(first, workers=2, meanwhile=take_later)
    out.write(pickle.dumps(dict(enumerate(answers + later)),
                           protocol=pickle.HIGHEST_PROTOCOL))


def _batch(jobs: BinaryIO) -> list[Callable[[], Any]] | None:
    """The next batch of jobs, when the command sends it; ``None`` once no more come."""
    head = jobs.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    batch: list[Callable[[], Any]] = pickle.loads(jobs.read(_LENGTH.unpack(head)[0]))
    return batch  # our own parent's bytes
