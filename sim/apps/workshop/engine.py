"""The workshop's simulation service: each replication computed once, first answers first.

Replication ``r`` of seed ``s`` of a scenario always gives the same numbers,
whatever process runs it (:mod:`sim.experiments.executors`). So the app keeps
every replication it computed, for every person, screen and game of the
server, keyed by the scenario's :func:`fingerprint`, the seed and the index,
and assembles the tables of a comparison, a round or a debrief from them with
the replication runner (:func:`sim.experiments.runner.run_replications`), as
the command line would: the same numbers.

Work is queued one replication at a time, in this order:

1. interactive work (a lever change, a game round, a debrief) before
   background work (the baseline warmed at start-up, the other horizons of the
   levers on screen);
2. within a tier, lower replication indices first: every person's first
   replication before anybody's second, so with several people at once each
   gets a first answer, then every answer is refined;
3. then first come, first served.

Someone who moves a lever again withdraws what they asked for before (what
is already running finishes and is kept). Background work never takes the
last free worker, so a lever change always finds one. A worker takes one
replication at a time, so new work waits at most for the replications that
are running to finish, never for a whole batch.

The workers are a pool of processes (the simulation is pure Python and holds
the GIL), started from a clean server process (``forkserver``: the app's
server runs threads, which a plain fork must not copy) that has imported the
simulation once. :class:`Engine` with ``processes=False`` runs them on one
thread of this process instead, for tests.
"""

from __future__ import annotations

import hashlib
import itertools
import multiprocessing
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor as FuturesExecutor
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import NamedTuple

from sim.apps.workshop.logic import Runs, StoredResults, simulate_runs
from sim.experiments.executors import Executor, ResultCallback, Task, TaskResult, run_task
from sim.scenario.schema import Scenario

INTERACTIVE = 0
BACKGROUND = 1

# Fields that label a scenario or say how to run it; the numbers of replication r of
# seed s do not depend on them.
_LABELS = {"name", "description", "seed", "replications"}


class SimulationError(RuntimeError):
    """A replication raised an error on its worker; the message names it."""


def fingerprint(scenario: Scenario) -> str:
    """What identifies a scenario's numbers: a hash of its fields, labels left out.

    Two scenarios with the same fingerprint give the same replication ``r`` of
    seed ``s``: a team's replay named "Team A" and the same choices named
    "Team B" share their replications.
    """
    text = scenario.model_dump_json(exclude=_LABELS)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class Job(NamedTuple):
    """One replication: the scenario's fingerprint, the seed and the index."""

    fingerprint: str
    seed: int
    replication: int


@dataclass(frozen=True)
class Want:
    """Replications ``0 .. n-1`` of a scenario and seed that somebody waits for."""

    scenario: Scenario
    seed: int
    replications: int


def compact_task(task: Task) -> TaskResult:
    """Run one replication on a worker and drop what the workshop never shows.

    Per-lead records and first-response delays are the bulk of a replication's
    result; the comparison, the game and the debrief read the metrics, the
    weekly series and the won deals.
    """
    result = run_task(task)
    if result.detail is None:
        return result
    return replace(result, detail=replace(result.detail, leads=None,
                                          first_response_hours=None))


def _ready() -> bool:
    return True


@dataclass(frozen=True)
class EngineStats:
    """What the engine did so far (for the latency benchmark and the tests).

    Attributes:
        computed: replications computed (cache hits are not counted).
        stored: replications kept.
        queued: replications wanted and not yet started.
        running: replications running now.
        workers: worker processes (or threads).
    """

    computed: int
    stored: int
    queued: int
    running: int
    workers: int


class Engine:
    """Replications on a pool of workers, cached, queued by priority.

    Args:
        workers: worker processes (1 or more).
        processes: run on processes; ``False`` runs them on ``workers`` threads
            of this process instead (tests: the order of the work is the same,
            the simulation does not run faster on threads).
        capacity: replications kept; the least recently used scenario's are
            dropped beyond it (a three-year replication takes about 0.1 MB).
        history: how many of the latest replications started :attr:`started` keeps.
    """

    def __init__(self, workers: int, processes: bool = True, capacity: int = 1000,
                 history: int = 1000) -> None:
        if workers < 1:
            raise ValueError(f"workers: expected a whole number >= 1, got {workers}")
        self.workers = workers
        self.processes = processes
        self.capacity = capacity
        self._cond = threading.Condition()
        self._results: OrderedDict[tuple[str, int], dict[int, TaskResult]] = OrderedDict()
        self._stored = 0
        self._scenarios: dict[str, Scenario] = {}
        self._wants: dict[str, dict[Job, tuple[int, int, int]]] = {}
        self._running: set[Job] = set()
        self._failed: dict[Job, str] = {}
        self._retried: set[Job] = set()
        self._seq = itertools.count()
        self._computed = 0
        self.started: deque[Job] = deque(maxlen=history)  # the latest work started, in order
        self._closed = False
        self._broken = False
        self._pool: FuturesExecutor | None = None  # started by the dispatcher: no wait here
        self._thread = threading.Thread(target=self._dispatch, name="workshop-engine",
                                        daemon=True)
        self._thread.start()

    # -- the pool ------------------------------------------------------------------

    def _new_pool(self) -> FuturesExecutor:
        if not self.processes:
            return ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="workshop-sim")
        context: multiprocessing.context.BaseContext
        if "forkserver" in multiprocessing.get_all_start_methods():
            server = multiprocessing.get_context("forkserver")
            server.set_forkserver_preload([__name__])
            context = server
        else:  # Windows: every worker imports the simulation once
            context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        for _ in range(self.workers):  # start the workers now, not on the first lever change
            pool.submit(_ready)
        return pool

    def close(self) -> None:
        """Stop the workers; queued work is dropped, running work is not waited for."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            pool = self._pool
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    # -- asking for replications ----------------------------------------------------

    def want(self, client: str, wants: Iterable[Want], tier: int = INTERACTIVE) -> None:
        """Replace what ``client`` waits for with ``wants``.

        Replications the client asked for before and no longer wants leave the
        queue, unless somebody else wants them; the ones it still wants keep
        their place.
        """
        with self._cond:
            previous = self._wants.get(client, {})
            current: dict[Job, tuple[int, int, int]] = {}
            seq = next(self._seq)
            for want in wants:
                fp = self._remember(want.scenario)
                for r in range(want.replications):
                    job = Job(fp, want.seed, r)
                    kept = previous.get(job)
                    current[job] = kept if kept is not None and kept[0] == tier else (tier, r, seq)
            if current:
                self._wants[client] = current
            else:
                self._wants.pop(client, None)
            self._cond.notify_all()

    @contextmanager
    def together(self) -> Iterator[Engine]:
        """Hold the queue while several clients ask: their work is ordered as one batch."""
        with self._cond:
            yield self

    def withdraw(self, client: str) -> None:
        """Forget what ``client`` waits for."""
        self.want(client, ())

    def done(self, scenario: Scenario | str, seed: int) -> int:
        """How many replications ``0, 1, ...`` of a scenario and seed are ready, in a row.

        Raises:
            SimulationError: the first replication not ready failed.
        """
        fp = scenario if isinstance(scenario, str) else fingerprint(scenario)
        with self._cond:
            stored = self._results.get((fp, seed), {})
            n = 0
            while n in stored:
                n += 1
            failure = self._failed.get(Job(fp, seed, n))
        if failure is not None:
            raise SimulationError(failure)
        return n

    def wait(self, wants: Sequence[Want], at_least: int | None = None,
             timeout: float | None = None) -> bool:
        """Wait until each want has its replications ready (or ``at_least`` of them).

        Returns:
            Whether they are ready (``False`` after ``timeout`` seconds).

        Raises:
            SimulationError: a replication failed.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        needed = [(fingerprint(w.scenario), w.seed,
                   w.replications if at_least is None else min(at_least, w.replications))
                  for w in wants]
        while True:
            if all(self.done(fp, seed) >= n for fp, seed, n in needed):
                return True
            with self._cond:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(0.5 if left is None else min(left, 0.5))

    def results(self, scenario: Scenario | str, seed: int, replications: int
                ) -> list[TaskResult]:
        """Replications ``0 .. replications-1`` as computed.

        Raises:
            KeyError: a replication that is not ready.
        """
        fp = scenario if isinstance(scenario, str) else fingerprint(scenario)
        with self._cond:
            stored = self._results.get((fp, seed), {})
            results = [stored[r] for r in range(replications)]
            self._results.move_to_end((fp, seed))
        return results

    def runs(self, scenario: Scenario, seed: int, replications: int, label: str) -> Runs:
        """Replications ``0 .. replications-1`` as the runner's tables, from the store.

        Raises:
            KeyError: a replication that is not ready.
        """
        results = self.results(scenario, seed, replications)
        return simulate_runs(scenario, replications, seed, label, StoredResults(results))

    def executor(self, client: str, tier: int = INTERACTIVE) -> Executor:
        """An executor for the replication runner that runs its tasks here (cached)."""
        return EngineExecutor(self, client, tier)

    def stats(self) -> EngineStats:
        """Counts of the work done, kept, queued and running."""
        with self._cond:
            queued = len({job for jobs in self._wants.values() for job in jobs
                          if self._waiting(job)})
            return EngineStats(self._computed, self._stored, queued, len(self._running),
                               self.workers)

    # -- inside (the lock is held) -------------------------------------------------------

    def _remember(self, scenario: Scenario) -> str:
        fp = fingerprint(scenario)
        self._scenarios.setdefault(fp, scenario)
        return fp

    def _waiting(self, job: Job) -> bool:
        """Not computed, not running, not failed."""
        return (job.replication not in self._results.get((job.fingerprint, job.seed), {})
                and job not in self._running and job not in self._failed)

    def _next(self) -> Job | None:
        """The job to start now: the best priority anybody gives one still waiting.

        A scan of everything wanted (a few hundred replications at most in a
        room) each time a worker frees up: simpler than keeping a heap in step
        with withdrawals, and far cheaper than a replication.
        """
        best: tuple[tuple[int, int, int], Job] | None = None
        for jobs in self._wants.values():
            for job, priority in jobs.items():
                if (best is None or priority < best[0]) and self._waiting(job):
                    best = (priority, job)
        if best is None:
            return None
        free = self.workers - len(self._running)
        if best[0][0] != INTERACTIVE and self.workers > 1 and free <= 1:
            return None  # keep the last worker for the next lever change
        return best[1]

    def _dispatch(self) -> None:
        pool = self._new_pool()  # a few seconds with processes: outside the lock
        with self._cond:
            self._pool = pool
            if self._closed:  # closed while the pool started
                pool.shutdown(wait=False, cancel_futures=True)
            while not self._closed:
                if self._broken:
                    self._restart_pool()
                job = self._next() if len(self._running) < self.workers else None
                if job is None:
                    self._cond.wait()
                else:
                    self._start(job)

    def _start(self, job: Job) -> None:
        scenario = self._scenarios[job.fingerprint]
        task = Task(job.fingerprint[:12], scenario, job.seed, job.replication, keep_series=True)
        self._running.add(job)
        self.started.append(job)
        assert self._pool is not None  # the dispatcher started it
        try:
            future = self._pool.submit(compact_task, task)
        except (BrokenProcessPool, RuntimeError):  # the pool broke since the last task
            self._running.discard(job)
            self._broken = True
            return
        future.add_done_callback(lambda f: self._finished(job, f))

    def _finished(self, job: Job, future: Future[TaskResult]) -> None:
        with self._cond:
            self._running.discard(job)
            try:
                result = future.result()
            except BrokenProcessPool:
                # A worker died (killed, out of memory): a new pool, and one more try.
                self._broken = True
                if job in self._retried:
                    self._failed[job] = "a worker process died twice running this replication"
                self._retried.add(job)
            except Exception as exc:  # the simulation's own error: say which, do not retry
                self._failed[job] = (f"replication {job.replication} failed: "
                                     f"{type(exc).__name__}: {exc}")
            else:
                self._store(job, result)
            self._cond.notify_all()

    def _restart_pool(self) -> None:
        self._broken = False
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()

    def _store(self, job: Job, result: TaskResult) -> None:
        key = (job.fingerprint, job.seed)
        self._results.setdefault(key, {})[job.replication] = result
        self._results.move_to_end(key)
        self._stored += 1
        self._computed += 1
        if self._stored <= self.capacity:
            return
        wanted = {(j.fingerprint, j.seed) for jobs in self._wants.values() for j in jobs}
        for old in list(self._results):
            if self._stored <= self.capacity:
                break
            if old not in wanted:
                self._stored -= len(self._results.pop(old))
                if not any(fp == old[0] for fp, _ in [*self._results, *wanted]):
                    self._scenarios.pop(old[0], None)


class EngineExecutor(Executor):
    """Runs the replication runner's tasks on an :class:`Engine`: cached, by priority.

    The game's rounds and debrief call the runner with an executor; this one
    asks the engine for every task at once (a round's teams run side by side),
    waits for them, and takes replications already computed from the store.
    """

    def __init__(self, engine: Engine, client: str, tier: int = INTERACTIVE) -> None:
        self.engine = engine
        self.client = client
        self.tier = tier
        self._calls = itertools.count()

    def _run(self, tasks: list[Task], collect: ResultCallback) -> None:
        engine = self.engine
        client = f"{self.client}#{next(self._calls)}"
        by_scenario: dict[tuple[str, int], Want] = {}
        for task in tasks:
            key = (fingerprint(task.scenario), task.seed)
            known = by_scenario.get(key)
            n = max(task.replication + 1, known.replications if known else 0)
            by_scenario[key] = Want(task.scenario, task.seed, n)
        engine.want(client, by_scenario.values(), self.tier)
        try:
            engine.wait(list(by_scenario.values()))
            # Read while still wanted: what somebody wants is never dropped from the store.
            stored = {key: engine.results(key[0], key[1], want.replications)
                      for key, want in by_scenario.items()}
        finally:
            engine.withdraw(client)
        for task in tasks:
            result = stored[(fingerprint(task.scenario), task.seed)][task.replication]
            collect(TaskResult(task.point, task.replication, result.metrics, result.detail))
