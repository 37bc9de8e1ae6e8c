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

import dataclasses
import hashlib
import importlib
import logging
import math
import multiprocessing
import os
import signal
import sys
import threading
import time
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


def idle_cores(cores: int | None = None, load: float | None = None) -> int:
    """Cores of this process not busy with other work: at least 1.

    The cores this process may use (:func:`available_cores`) less the
    system's one-minute load average (runnable processes, this one's
    included), rounded to the nearest whole core. Where the system reports no
    load average, every available core counts as idle.

    Args:
        cores: the cores to count from (default: :func:`available_cores`).
        load: the load to subtract (default: ``os.getloadavg()[0]``).
    """
    cores = available_cores() if cores is None else cores
    if load is None:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):  # not reported here
            return max(cores, 1)
    return max(1, min(cores, math.floor(cores - load + 0.5)))


def runnable_now() -> float | None:
    """Other processes runnable at this instant (Linux's ``/proc/loadavg``), or ``None``.

    The load of this very moment, for a decision about the next second (drawing
    a report's figures), which the one-minute average follows a minute late;
    this process, running as it reads, is not counted.
    """
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            running = int(f.read().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        return None
    return float(max(running - 1, 0))


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
            chooses: the idle cores (:func:`idle_cores`), and locally one
            process until the tasks' measured length shows that a pool pays
            (:class:`AutoExecutor`). Ignored with a scheduler address (the
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
        """The number of workers asked for, with ``None`` resolved to the idle cores."""
        return idle_cores() if self.workers is None else self.workers

    def capped(self, tasks: int) -> Execution:
        """This execution with no more local workers than ``tasks``.

        A worker with no task would only cost a process; a scheduler's cluster
        is left as it is, and so is a local default (its :class:`AutoExecutor`
        never starts more workers than tasks).
        """
        if self.scheduler is not None:
            return self
        if self.kind == "local" and self.workers is None and tasks > 1:
            return self
        if self.worker_count <= max(tasks, 1):
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


class AutoExecutor(Executor):
    """The default local executor: this process, until a pool of processes pays.

    A pool costs its start and, in each new worker, a first task slower than
    here (cold caches), and it sends every task and result through a pipe; for
    a short run that is more than the pool saves. So the first task of a batch
    runs here, timed; the rest go to a pool only if it would save more than
    ``pool_start_seconds`` of wall time at that pace. The pool, once started,
    serves the following batches (the rounds of an experiment). The results
    are the same either way: a task's numbers depend on its seed only.

    Attributes:
        workers: the most worker processes (the idle cores when it was opened).
        pool_start_seconds: wall time a pool must save to be started
            (measured: ``benchmarks/default_workers.py``).
    """

    def __init__(self, workers: int, pool_start_seconds: float = 0.5) -> None:
        self.workers = max(workers, 1)
        self.pool_start_seconds = pool_start_seconds
        self._pool: ProcessExecutor | None = None

    def _run(self, tasks: list[Task], collect: ResultCallback) -> None:
        if self._pool is not None:
            self._pool._run(tasks, collect)
            return
        if len(tasks) <= 1 or self.workers <= 1:
            SerialExecutor()._run(tasks, collect)
            return
        start = time.perf_counter()
        first = run_task(tasks[0])
        seconds = time.perf_counter() - start
        rest = tasks[1:]
        workers = min(self.workers, len(rest))
        saved = seconds * len(rest) * (1 - 1 / workers)  # wall time a pool would save
        if workers > 1 and saved > self.pool_start_seconds:
            # Started before the first result is handed on: a progress bar it
            # shows starts a thread, and a fork is only safe without one.
            self._pool = ProcessExecutor(workers)
        collect(first)
        (self._pool or SerialExecutor())._run(rest, collect)

    def close(self) -> None:
        """Stop the pool, if one was started."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._pool is not None:
            self._pool.close(wait=exc_type is None)
            self._pool = None


class ReusingExecutor(Executor):
    """Runs each (scenario, seed, replication) once, however many tasks ask for it.

    Wraps another executor. Tasks are keyed by the scenario's fingerprint (a
    hash of its JSON), the seed, the replication index and whether the whole
    result is kept; a task whose key ran before, in this call or an earlier
    one, is answered from that result under its own point label. Two labels
    for the same scenario (a plan proposed again, the reference under another
    name, a world an assumption draw leaves unchanged) thus cost one run: the
    numbers are the same, as a task's numbers depend on its key only.

    Attributes:
        inner: the executor that runs what is new.
    """

    def __init__(self, inner: Executor) -> None:
        self.inner = inner
        self._done: dict[tuple[str, int, int, bool], TaskResult] = {}

    @staticmethod
    def fingerprint(task: Task) -> tuple[str, int, int, bool]:
        """What fixes a task's result: scenario hash, seed, replication, ``keep_series``."""
        digest = hashlib.sha256(task.scenario.model_dump_json().encode()).hexdigest()
        return digest, task.seed, task.replication, task.keep_series

    def _run(self, tasks: list[Task], collect: ResultCallback) -> None:
        keys = [self.fingerprint(task) for task in tasks]
        first: dict[tuple[str, int, int, bool], Task] = {}
        later: dict[tuple[str, int, int, bool], list[Task]] = {}
        for task, key in zip(tasks, keys, strict=True):
            if key in self._done:
                collect(_relabelled(self._done[key], task))
            elif key in first:
                later.setdefault(key, []).append(task)
            else:
                first[key] = task
        key_of = {task.key: key for key, task in first.items()}

        def done(result: TaskResult) -> None:
            key = key_of[result.key]
            self._done[key] = result
            collect(result)
            for task in later.pop(key, []):
                collect(_relabelled(result, task))

        if first:
            self.inner.run(list(first.values()), done)

    def close(self) -> None:
        """Close the wrapped executor."""
        self.inner.close()


def _relabelled(result: TaskResult, task: Task) -> TaskResult:
    """``result`` under ``task``'s point label and replication."""
    return dataclasses.replace(result, point=task.point, replication=task.replication)


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


# Dask settings of the workers of a local cluster (see DaskExecutor).
LOCAL_WORKER_CONFIG: dict[str, Any] = {"distributed.worker.profile.enabled": False}


def _dask_config() -> Any:
    """``dask.config``, imported with the ``distributed`` package it belongs to."""
    return importlib.import_module("dask.config")


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
                # Nor the workers' profiler, which only the dashboard shows: sampling
                # the running replication's stack every 10 ms made each one 5-7 %
                # slower (benchmarks/performance.md). The workers take the setting
                # from this process as they start.
                with _dask_config().set(LOCAL_WORKER_CONFIG):
                    self._cluster = distributed.LocalCluster(
                        n_workers=self.workers, threads_per_worker=1, processes=True,
                        host="127.0.0.1", dashboard_address=None,
                        silence_logs=logging.ERROR,
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
    workers = execution.worker_count
    if workers == 1:
        return SerialExecutor()
    if execution.workers is None:  # not asked for: a pool only where it pays
        return AutoExecutor(workers)
    return ProcessExecutor(workers)
