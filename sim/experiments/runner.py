"""Replications of a scenario: seeds, progress, and the tables they produce.

:func:`run_replications` is the one way to run replications ``0 .. n-1`` of a
scenario and keep everything they measured: the command line's ``run``, the
report fixtures and the workshop (its comparison, game rounds and debrief) all
call it. Two calls with the same seed give every scenario the same leads and
the same luck (common random numbers), which is what makes their paired
differences (:func:`sim.experiments.statistics.paired_difference`) sharp.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from sim.experiments.executors import Execution, Executor, Task, TaskResult, open_executor
from sim.experiments.statistics import summarise
from sim.results.catalog import names as metric_names
from sim.results.replication import SimulationResult
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class RunResult:
    """All replications of one scenario.

    Attributes:
        scenario: the scenario as run.
        seed: the root seed.
        per_replication: one row per replication, one column per metric.
        summary: one row per metric with mean and 95% CI.
        timeseries: weekly series of every replication (column ``replication``).
        leads: per-lead records of every replication, if requested.
        won_deals: one compact row per won deal of every replication (column
            ``replication``; see :func:`sim.results.metrics.won_deals`), always kept.
        first_responses: first-response delay of every lead a rep responded to
            (columns ``replication``, ``hours``), always kept.
    """

    scenario: Scenario
    seed: int
    per_replication: pd.DataFrame
    summary: pd.DataFrame
    timeseries: pd.DataFrame
    leads: pd.DataFrame | None
    won_deals: pd.DataFrame | None = None
    first_responses: pd.DataFrame | None = None

    def metric(self, name: str) -> dict[str, float]:
        """``{"mean", "ci_low", "ci_high"}`` of one metric.

        Raises:
            KeyError: a name that is not a metric.
        """
        columns = ["mean", "ci_low", "ci_high"]
        row = self.summary.loc[self.summary["metric"] == name, columns].to_numpy(dtype=float)
        if len(row) == 0:
            raise KeyError(name)
        return {k: float(v) for k, v in zip(columns, row[0], strict=True)}


def run_replications(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    execution: Execution | None = None,
    executor: Executor | None = None,
    label: str | None = None,
) -> RunResult:
    """Run independent replications ``0 .. n-1`` of a scenario.

    Args:
        scenario: a validated scenario.
        replications: how many; defaults to ``scenario.replications``.
        seed: root seed; defaults to ``scenario.seed``.
        progress: called with (done, total) after each replication.
        execution: where to run them (:class:`sim.experiments.executors.Execution`); by
            default one after the other in this process. The results are the
            same on any executor and any number of workers.
        executor: an executor the caller keeps open (e.g. the workshop's pool),
            used instead of opening one from ``execution``; it is not closed.
        label: the tasks' point label (default: the scenario's name); it names
            the work, the numbers do not depend on it.

    Raises:
        ValueError: both ``execution`` and ``executor`` given.
        sim.experiments.executors.ExecutorError: a Dask cluster that cannot be started or reached.
    """
    if execution is not None and executor is not None:
        raise ValueError("run_replications: give an execution or an executor, not both")
    n = scenario.replications if replications is None else replications
    seed = scenario.seed if seed is None else seed
    point = scenario.name if label is None else label
    tasks = [Task(point, scenario, seed, r, keep_series=True) for r in range(n)]
    done = 0

    def count(_: TaskResult) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, n)

    if executor is not None:
        finished = executor.run(tasks, count)
    else:
        with open_executor(execution) as opened:
            finished = opened.run(tasks, count)
    results = [res.detail for res in finished if res.detail is not None]
    return _tables(scenario, seed, results)


def _tables(scenario: Scenario, seed: int, results: list[SimulationResult]) -> RunResult:
    """Stack the replications' results into the tables of a :class:`RunResult`."""
    per_rep = pd.DataFrame([{"replication": res.replication, **res.metrics} for res in results])
    series = pd.concat(
        [res.timeseries.assign(replication=res.replication) for res in results],
        ignore_index=True,
    )
    leads = None
    if scenario.record_leads:
        leads = pd.concat(
            [res.leads.assign(replication=res.replication) for res in results if res.leads
             is not None], ignore_index=True,
        )
    won = [res.won_deals.assign(replication=res.replication)
           for res in results if res.won_deals is not None]
    responses = [pd.DataFrame({"replication": res.replication, "hours": res.first_response_hours})
                 for res in results if res.first_response_hours is not None]
    return RunResult(
        scenario, seed, per_rep, summarise(per_rep, metric_names()), series, leads,
        won_deals=pd.concat(won, ignore_index=True) if won else None,
        first_responses=pd.concat(responses, ignore_index=True) if responses else None,
    )
