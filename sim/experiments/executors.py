"""Running replications serially, on local processes, or on a Dask cluster.

A :class:`Task` is one replication of one scenario: the validated scenario, the
root seed and the replication index. That is all a worker needs, because
replication ``r`` of seed ``s`` always draws from ``SeedSequence(s,
spawn_key=(r,))`` (see :mod:`sim.model.streams`): the numbers do not depend on which
process, machine or order runs it. Executors hand each :class:`TaskResult` to
a callback in the calling process as soon as it finishes (so it can be saved
and counted), and return the results in the order of the tasks, so tables
built from them are identical whatever the executor and the number of workers.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import signal
import sys
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from types import ModuleType, TracebackType
from typing import Any, Literal

from sim.results.replication import SimulationResult, simulate
from sim.scenario.schema import Scenario

ExecutorKind = Literal["local", "dask"]
ResultCallback = Callable[["TaskResult"], None]


class ExecutorError(Exception):
    """An executor that cannot be started or reached; the message is one line."""


@dataclass(frozen=True)
class Task:
    """One replication of one scenario, small enough to send to a worker.

    Attributes:
        point: which scenario of the experiment this is (a label or a key).
        scenario: the validated scenario.
        seed: root seed.
        replication: replication index; with ``seed`` it fixes every random number.
        keep_series: return the whole :class:`~sim.results.replication.SimulationResult`
            (weekly time series, won deals, per-lead records if the scenario
            records them); experiments need only the metrics, which keeps what
            travels back from a worker small.
    """

    point: str
    scenario: Scenario
    seed: int
    replication: int
    keep_series: bool = False

    @property
    def key(self) -> tuple[str, int]:
        """``(point, replication)``: what identifies the result."""
        return self.point, self.replication


@dataclass(frozen=True)
class TaskResult:
    """What a worker sends back for one task.

    Attributes:
        point, replication: the task's key.
        metrics: metric name -> value.
        detail: the whole result of the replication if the task asked for it.
    """

    point: str
    replication: int
    metrics: dict[str, float]
    detail: SimulationResult | None = None

    @property
    def key(self) -> tuple[str, int]:
        """``(point, replication)``."""
        return self.point, self.replication


def run_task(task: Task) -> TaskResult:
    """Simulate one task; the function every executor runs on its workers."""
    result = simulate(task.scenario, seed=task.seed, replication=task.replication,
                      record_leads=task.scenario.record_leads and task.keep_series)
    return TaskResult(task.point, task.replication, result.metrics,
                      result if task.keep_series else None)


def available_cores() -> int:
    """Cores this process may use (its CPU affinity where the system reports it)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


def max_workers(cores: int | None = None) -> int:
    """The most local worker processes worth starting: four per core, at least eight.

    The simulation is CPU-bound, so more workers than cores only cost memory
    (each process holds the model and a replication, a few hundred MB): past
    this it is a typing mistake, refused with one line rather than started.
    """
    return max(8, 4 * (available_cores() if cores is None else cores))


@dataclass(frozen=True)
class Execution:
    """How to run tasks: where, and on how many workers.

    Attributes:
        kind: ``"local"`` (this machine: in this process with one worker, else a
            pool of processes) or ``"dask"`` (a Dask distributed cluster).
        workers: local processes, or workers of the local Dask cluster; ``None``
            means every available core. Ignored with a scheduler address (the
            cluster has the workers it has).
        scheduler: address of a running Dask scheduler (``tcp://host:8786``);
            ``None`` with ``kind="dask"`` starts a local cluster for the run.
    """

    kind: ExecutorKind = "local"
    workers: int | None = 1
    scheduler: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("local", "dask"):
            raise ValueError(f"kind: expected 'local' or 'dask', got {self.kind!r}")
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"workers: expected a whole number >= 1, got {self.workers}")
        if self.scheduler is not None and self.kind != "dask":
            raise ValueError("scheduler: only a Dask execution has a scheduler address")

    @property
    def worker_count(self) -> int:
        """The number of workers asked for, with ``None`` resolved to the cores."""
        return available_cores() if self.workers is None else self.workers

    def capped(self, tasks: int) -> Execution:
        """This execution with no more local workers than ``tasks``.

        A worker with no task would only cost a process; a scheduler's cluster
        is left as it is.
        """
        if self.scheduler is not None or self.worker_count <= max(tasks, 1):
            return self
        return Execution(self.kind, max(tasks, 1), self.scheduler)

    def describe(self) -> dict[str, Any]:
        """A JSON-friendly record of the execution, for manifests."""
        return {"executor": self.kind, "workers": None if self.scheduler else self.worker_count,
                "scheduler": self.scheduler}


class Executor(ABC):
    """Runs tasks and returns their results in task order.

    Executors are context managers: a pool or a cluster lives from ``__enter__``
    (or the first :meth:`run`) to :meth:`close`, so the rounds of a sequential
    or optimising experiment reuse it.
    """

    def run(self, tasks: Sequence[Task], on_result: ResultCallback | None = None,
            ) -> list[TaskResult]:
        """Run ``tasks``; call ``on_result`` here as each finishes, in any order.

        Returns:
            The results in the order of ``tasks``.
        """
        results: dict[tuple[str, int], TaskResult] = {}

        def collect(result: TaskResult) -> None:
            results[result.key] = result
            if on_result is not None:
                on_result(result)

        self._run(list(tasks), collect)
        return [results[task.key] for task in tasks]

    @abstractmethod
    def _run(self, tasks: list[Task], collect: ResultCallback) -> None:
        """Run every task and pass each result to ``collect`` as it finishes."""

    def close(self) -> None:  # noqa: B027 - most executors hold nothing to release
        """Release workers; the executor cannot run tasks afterwards."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class SerialExecutor(Executor):
    """Runs every task in this process, one after the other."""

    def _run(self, tasks: list[Task], collect: ResultCallback) -> None:
        for task in tasks:
            collect(run_task(task))


# Signals that stop a run: the parent reacts to them, its workers do not.
_STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


def _ignore_sigint() -> None:
    # Ctrl-C (and a SIGTERM sent to the process group) reaches every process of
    # the group; only the parent should react (save what finished, stop the
    # pool), not print a traceback from each worker. A worker starts with these
    # signals blocked (see ProcessExecutor), so none arrives before this runs.
    for number in _STOP_SIGNALS:
        signal.signal(number, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


def _ready() -> bool:
    return True


def _process_context() -> multiprocessing.context.BaseContext:
    """The cheapest safe way to start worker processes here.

    A plain fork copies this process with the simulation already imported, so
    workers start in milliseconds; it is safe on Linux while this process runs
    a single thread (a fork copies no other thread, and so no lock another
    thread might hold). Otherwise "forkserver" forks workers from a clean
    single-threaded server that imports the simulation once (about a second),
    and "spawn" is the portable fallback.
    """
    methods = multiprocessing.get_all_start_methods()
    if sys.platform == "linux" and "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["sim.experiments.executors"])
        return context
    return multiprocessing.get_context("spawn")


class ProcessExecutor(Executor):
    """Runs tasks on a pool of local processes (one task per process at a time).

    The simulation is pure Python and holds the GIL, so processes, not threads,
    give the speed-up. The workers start with the executor (before a progress
    bar or anything else starts a thread, see :func:`_process_context`); a
    batch of one task runs in this process.
    """

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError(f"workers: expected a whole number >= 1, got {workers}")
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        if workers > 1:
            # Workers inherit the signal mask: blocked, a Ctrl-C during their start
            # waits until they ignore it (_ignore_sigint), and reaches this process
            # once the pool is up.
            blocked = hasattr(signal, "pthread_sigmask") and (
                threading.current_thread() is threading.main_thread())
            if blocked:
                previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
            try:
                self._pool = ProcessPoolExecutor(max_workers=workers,
                                                 mp_context=_process_context(),
                                                 initializer=_ignore_sigint)
                # The first task starts every worker at once: do it now.
                ready = self._pool.submit(_ready)
            finally:
                if blocked:
                    signal.pthread_sigmask(signal.SIG_SETMASK, previous)
            ready.result()  # unblocked: a start that never ends can still be interrupted

    def _run(self, tasks: list[Task], collect: ResultCallback) -> None:
        if self._pool is None or len(tasks) <= 1:
            SerialExecutor()._run(tasks, collect)
            return
        # Submit no more than a few tasks per worker ahead, so an interruption
        # leaves little queued work and results stream back in a steady order.
        pending: set[Future[TaskResult]] = set()
        queue = iter(tasks)
        try:
            for task in queue:
                pending.add(self._pool.submit(run_task, task))
                if len(pending) >= 2 * self.workers:
                    break
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    collect(future.result())
                    following = next(queue, None)
                    if following is not None:
                        pending.add(self._pool.submit(run_task, following))
        except BaseException:
            for future in pending:
                future.cancel()
            raise

    def close(self, wait: bool = True) -> None:
        """Stop the pool; workers finish the task they are running, if any.

        Args:
            wait: wait for the workers to exit; an interrupted run does not.
        """
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=True)
            self._pool = None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close(wait=exc_type is None)


def _distributed(where: str) -> Any:
    """The ``distributed`` package, imported on first use (it is heavy, and an extra).

    Returned untyped: Dask's own annotations are partial, and this module uses
    four of its names.

    Raises:
        ExecutorError: Dask is not installed.
    """
    try:
        module: ModuleType = importlib.import_module("distributed")
    except ImportError:
        raise ExecutorError(f"{where}: Dask is not installed; install the dask extra "
                            "(pip install 'leadflow-sim[dask]')") from None
    return module


@dataclass
class DaskExecutor(Executor):
    """Runs tasks on a Dask distributed cluster.

    With no scheduler address, a local cluster of ``workers`` single-threaded
    worker processes is started and closed with the executor.

    Attributes:
        scheduler: address of a running scheduler, or ``None``.
        workers: worker processes of the local cluster (ignored with an address).
        connect_timeout: seconds to wait for the scheduler.
    """

    scheduler: str | None = None
    workers: int = 1
    connect_timeout: float = 10.0
    _client: Any = field(default=None, init=False, repr=False)
    _cluster: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        where = f"--scheduler {self.scheduler}" if self.scheduler else "--executor dask"
        distributed = _distributed(where)
        try:
            if self.scheduler is None:
                # On this machine only, with no dashboard: its HTTP server takes a free
                # port instead of 8787, so nothing is shown or warned when that is taken.
                self._cluster = distributed.LocalCluster(
                    n_workers=self.workers, threads_per_worker=1, processes=True,
                    host="127.0.0.1", dashboard_address=None, silence_logs=logging.ERROR,
                    scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                )
                self._client = distributed.Client(self._cluster, set_as_default=False)
            else:
                # A Client of something that is not a scheduler can wait forever (and a
                # failed one blocks the exit for 20 s): ask first, within the timeout.
                _probe_scheduler(self.scheduler, self.connect_timeout)
                self._client = distributed.Client(self.scheduler, timeout=self.connect_timeout,
                                                  set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            self.close()
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise ExecutorError(f"{where}: cannot start or reach a Dask cluster ({reason})"
                                ) from None

    def _run(self, tasks: list[Task], collect: ResultCallback) -> None:
        distributed = _distributed("--executor dask")
        futures = self._client.map(run_task, tasks, pure=False)
        try:
            for future in distributed.as_completed(futures, loop=self._client.loop):
                collect(future.result())
        except BaseException:
            self._client.cancel(futures)
            raise

    def close(self) -> None:
        """Disconnect, and stop the local cluster if this executor started it."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def _probe_scheduler(address: str, timeout: float) -> None:
    """Make sure ``address`` is a Dask scheduler that answers within ``timeout`` seconds.

    Raises:
        ValueError: a malformed address.
        OSError: nothing answers, or what answers is not a Dask scheduler.
    """
    import asyncio

    comm_module: Any = importlib.import_module("distributed.comm")  # typed loosely, as above

    async def identity() -> Any:
        comm = await asyncio.wait_for(comm_module.connect(address, timeout=timeout), timeout)
        try:
            await asyncio.wait_for(comm.write({"op": "identity"}), timeout)
            return await asyncio.wait_for(comm.read(), timeout)
        finally:
            comm.abort()

    try:
        answer = asyncio.run(identity())
    except (ValueError, TypeError) as exc:
        raise ValueError(" ".join(str(exc).split())) from None
    except TimeoutError:
        raise OSError(f"no answer within {timeout:g} s") from None
    except OSError as exc:  # refused, unreachable: Dask's own words
        raise OSError(" ".join(str(exc).split()) or type(exc).__name__) from None
    except Exception:  # whatever a foreign service's bytes make the reader do
        raise OSError("what answers is not a Dask scheduler") from None
    if not isinstance(answer, dict) or answer.get("type") != "Scheduler":
        raise OSError("what answers is not a Dask scheduler")


def open_executor(execution: Execution | None = None) -> Executor:
    """The executor for an execution plan (serial in this process by default).

    Use it as a context manager so processes and clusters are released::

        with open_executor(Execution(workers=4)) as executor:
            results = executor.run(tasks)

    Raises:
        ExecutorError: a Dask cluster that cannot be started or reached.
    """
    execution = execution or Execution()
    if execution.kind == "dask":
        return DaskExecutor(scheduler=execution.scheduler, workers=execution.worker_count)
    if execution.worker_count == 1:
        return SerialExecutor()
    return ProcessExecutor(execution.worker_count)
