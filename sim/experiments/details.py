"""Over-time detail of a comparison: a few replications replayed with everything they measure.

An experiment's store keeps each replication's metrics only (a few hundred
bytes), which is what the comparison's numbers need and what makes a
resumable log cheap. Its report also draws what happens over time (weekly
series, cumulative bookings, the payback of a change, the quarterly P&L) and
by segment, which need each replication's weekly series and deals booked.

Rather than make every replication send those back and store them (tens of
kilobytes each, for every replication of every scenario, and lost for the
replications of an interrupted session), the report replays the first few
replications of each scenario with the same seed: replication ``r`` of seed
``s`` draws the same numbers on any machine and executor, so the replay *is*
that replication. :func:`replay_details` checks it: the replayed metrics must
equal the stored ones, or the report says so and draws no detail.
The cost is those few replications (at most ``replications`` per scenario,
run on the experiment's executor), paid once when the report is written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from sim.experiments.executors import Executor
from sim.experiments.experiment import CompareResult, Progress
from sim.experiments.runner import RunResult, run_replications


@dataclass(frozen=True)
class Details:
    """The replayed replications of each scenario of a comparison.

    Attributes:
        runs: scenario label -> its replayed replications ``0 .. replications-1``
            (weekly series, deals booked, first responses, metrics).
        replications: replications replayed per scenario.
        matches: whether every replayed replication's metrics equal the stored
            ones (they do unless the code changed between the run and the replay).
    """

    runs: dict[str, RunResult]
    replications: int
    matches: bool


def replay_details(result: CompareResult, executor: Executor, replications: int = 10,
                   progress: Progress | None = None) -> Details:
    """Replay replications ``0 .. k-1`` of every scenario of a comparison, k = min(n, replications).

    Args:
        result: the finished comparison.
        executor: where to run them (the experiment's own executor).
        replications: the most replications to replay per scenario.
        progress: called with (done, total) replications of each scenario.

    Raises:
        ValueError: ``replications`` below 1.
    """
    if replications < 1:
        raise ValueError(f"replications: expected a whole number >= 1, got {replications}")
    spec = result.spec
    k = min(result.replications, replications)
    runs: dict[str, RunResult] = {}
    matches = True
    for label, scenario in zip(spec.labels, spec.scenarios, strict=True):
        run = run_replications(scenario, replications=k, seed=spec.seed, progress=progress,
                               executor=executor, label=label)
        runs[label] = run
        stored = result.per_replication[result.per_replication["scenario"] == label]
        matches = matches and _same_metrics(run.per_replication, stored)
    return Details(runs, k, matches)


def _same_metrics(replayed: pd.DataFrame, stored: pd.DataFrame) -> bool:
    """Whether each replayed replication's metrics equal the stored replication's."""
    by_replication = stored.set_index("replication").to_dict("index")
    for row in replayed.to_dict("records"):
        rep = int(row["replication"])
        if rep not in by_replication:
            return False
        for name, value in row.items():
            if name == "replication" or name not in by_replication[rep]:
                continue
            other = float(by_replication[rep][name])
            if not (value == other or (math.isnan(value) and math.isnan(other))):
                return False
    return True
