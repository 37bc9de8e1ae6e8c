"""Replications of a scenario: seeds, progress, and the tables they produce."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from sim.experiments.executors import Execution, Task, open_executor
from sim.experiments.statistics import summarise
from sim.results.metrics import METRIC_NAMES
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
        """``{"mean", "ci_low", "ci_high"}`` of one metric."""
        row = self.summary.set_index("metric").loc[name]
        return {"mean": row["mean"], "ci_low": row["ci_low"], "ci_high": row["ci_high"]}


def run_replications(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    execution: Execution | None = None,
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

    Raises:
        sim.experiments.executors.ExecutorError: a Dask cluster that cannot be started or reached.
    """
    n = scenario.replications if replications is None else replications
    seed = scenario.seed if seed is None else seed
    tasks = [Task(scenario.name, scenario, seed, r, keep_series=True) for r in range(n)]
    done = 0

    def count(_: object) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, n)

    with open_executor(execution) as executor:
        results = [res.detail for res in executor.run(tasks, count) if res.detail is not None]
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
        scenario, seed, per_rep, summarise(per_rep, METRIC_NAMES), series, leads,
        won_deals=pd.concat(won, ignore_index=True) if won else None,
        first_responses=pd.concat(responses, ignore_index=True) if responses else None,
    )
