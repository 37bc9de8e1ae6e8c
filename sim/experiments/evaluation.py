"""Evaluating scenarios over assumption draws and replications, resumably, on any executor.

A decision under uncertainty evaluates each scenario (a compared plan, a
candidate of the optimiser, a point of a sensitivity design) over a
:class:`SampleDesign`: ``N`` assumption draws, each with ``R`` replications.
Sample ``(d, r)`` runs replication index ``d * stride + r`` of the root seed,
in the world of draw ``d``. So:

- within a draw, every scenario runs the same replication indices: common
  random numbers, and paired differences within a draw are sharp;
- different draws run different indices: the luck of one draw is independent
  of the luck of another, which is what lets the spread of the draw means be
  split into luck and assumptions (:mod:`sim.experiments.uncertainty`);
- with no assumptions (one draw with no values) sample ``(0, r)`` is plain
  replication ``r``: the numbers of a plain ``compare`` or ``sweep``.

:class:`Evaluator` runs what is missing as :class:`~sim.experiments.executors.Task`
objects on an executor, saves each result in the experiment's store as it
finishes (a resumed experiment skips them) and reports progress; results are
keyed, never ordered by completion, so serial and parallel runs give the same
tables.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim.experiments.assumptions import applied
from sim.experiments.executors import Executor, Task, TaskResult
from sim.experiments.store import ExperimentStore
from sim.scenario.schema import Scenario

Progress = Callable[[int, int], None]
Values = Mapping[str, Any]
# metric name -> samples, one row per draw and one column per replication
Samples = dict[str, NDArray[np.float64]]


@dataclass(frozen=True)
class SampleDesign:
    """Which worlds and which luck every scenario of an experiment is evaluated in.

    Attributes:
        draws: one mapping of dotted-key values per assumption draw (a single
            empty mapping: no assumptions, luck only).
        replications: replications per draw.
        stride: replication indices reserved per draw (at least the most
            replications any scenario gets), so draw ``d`` uses indices
            ``d * stride .. d * stride + replications - 1``.
    """

    draws: tuple[Values, ...]
    replications: int
    stride: int

    def __post_init__(self) -> None:
        if not self.draws:
            raise ValueError("a sample design needs at least one draw (an empty one: luck only)")
        if self.replications < 1:
            raise ValueError(f"replications: expected >= 1, got {self.replications}")
        if self.stride < self.replications:
            raise ValueError(f"stride ({self.stride}) must be >= replications "
                             f"({self.replications})")

    @classmethod
    def luck_only(cls, replications: int, stride: int | None = None) -> SampleDesign:
        """Replications ``0 .. R-1`` of the scenario as given."""
        return cls(({},), replications, stride or replications)

    @property
    def n_draws(self) -> int:
        """The number of assumption draws."""
        return len(self.draws)

    @property
    def uncertain(self) -> bool:
        """Whether any draw sets a value (assumptions are uncertain)."""
        return any(self.draws)

    def index(self, draw: int, replication: int) -> int:
        """The replication index of sample ``(draw, replication)``."""
        return draw * self.stride + replication

    def with_replications(self, replications: int) -> SampleDesign:
        """The same draws with another number of replications (within the stride)."""
        return SampleDesign(self.draws, replications, self.stride)

    @property
    def size(self) -> int:
        """Samples per scenario."""
        return self.n_draws * self.replications


def point_id(label: str, values: Values | None = None) -> str:
    """A stable id for a scenario of an experiment: its label, and its values if any."""
    if not values:
        return label
    return f"{label}|{json.dumps(dict(values), sort_keys=True, separators=(',', ':'))}"


def _draw_point(point: str, draw: int, design: SampleDesign) -> str:
    return f"{point}#draw{draw}" if design.uncertain else point


class Evaluator:
    """Runs the samples an experiment asks for, once each, and hands back their metrics.

    Args:
        executor: where replications run.
        seed: the experiment's root seed.
        store: the results folder (finished samples are skipped and new ones
            saved as they finish); ``None`` keeps them in memory.
        progress: called with (done, total) samples; the total grows when a
            round asks for more, or is announced up front with :meth:`expect`.
        build: makes the scenario of one point in one draw (default: the
            point's scenario with the draw's values set; see
            :func:`sim.experiments.assumptions.applied`).
    """

    def __init__(self, executor: Executor, seed: int, store: ExperimentStore | None = None,
                 progress: Progress | None = None,
                 build: Callable[[Scenario, Values], Scenario] | None = None) -> None:
        self.executor = executor
        self.seed = seed
        self.store = store
        self.progress = progress
        self.build = build or applied
        self.results: dict[tuple[str, int], dict[str, float]] = (
            store.results if store is not None else {})
        self._wanted: set[tuple[str, int]] = set()
        self._done = 0
        self._expected = 0

    def expect(self, samples: int) -> None:
        """Announce samples still to come (for the progress bar's ETA)."""
        self._expected += samples
        self._report()

    def evaluate(self, points: Sequence[tuple[str, Scenario]], design: SampleDesign
                 ) -> dict[str, Samples]:
        """Every metric of every point over the design's samples.

        Args:
            points: ``(id, scenario)`` pairs; the id keys the store, so the
                same id must always mean the same scenario.
            design: the draws and replications.

        Returns:
            point id -> metric -> array of shape (draws, replications).
        """
        tasks = []
        new = 0
        for pid, scenario in points:
            for d, draw in enumerate(design.draws):
                key_point = _draw_point(pid, d, design)
                world: Scenario | None = None
                for r in range(design.replications):
                    key = (key_point, design.index(d, r))
                    if key in self._wanted:
                        continue
                    self._wanted.add(key)
                    new += 1
                    if key in self.results:
                        self._done += 1
                        continue
                    if world is None:
                        world = self.build(scenario, draw)
                    tasks.append(Task(key_point, world, self.seed, key[1]))
        self._expected = max(self._expected - new, 0)
        self._report()
        if tasks:
            self.executor.run(tasks, self._save)
        return {pid: self._samples(pid, design) for pid, _ in points}

    def _samples(self, pid: str, design: SampleDesign) -> Samples:
        rows = [[self.results[(_draw_point(pid, d, design), design.index(d, r))]
                 for r in range(design.replications)] for d in range(design.n_draws)]
        names = list(rows[0][0])
        return {m: np.array([[cell[m] for cell in row] for row in rows], dtype=float)
                for m in names}

    def _save(self, result: TaskResult) -> None:
        if self.store is not None:
            self.store.add(result.point, result.replication, result.metrics)
        else:
            self.results[result.key] = result.metrics
        self._done += 1
        self._report()

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(self._done, len(self._wanted) + self._expected)


def long_table(samples: Mapping[str, Samples], design: SampleDesign,
               label: str = "scenario") -> list[dict[str, Any]]:
    """Rows ``label, draw, replication, metrics...`` of evaluated points (for CSV tables)."""
    rows = []
    for pid, metrics in samples.items():
        names = list(metrics)
        for d in range(design.n_draws):
            for r in range(design.replications):
                rows.append({label: pid, "draw": d, "replication": design.index(d, r),
                             **{m: float(metrics[m][d, r]) for m in names}})
    return rows
