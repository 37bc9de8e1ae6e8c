"""Replications of a scenario: seeds, progress, and the tables they produce."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from sim.metrics import METRIC_NAMES
from sim.scenario import Scenario
from sim.simulation import SimulationResult, simulate
from sim.stats import summarise


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
    """

    scenario: Scenario
    seed: int
    per_replication: pd.DataFrame
    summary: pd.DataFrame
    timeseries: pd.DataFrame
    leads: pd.DataFrame | None

    def metric(self, name: str) -> dict[str, float]:
        """``{"mean", "ci_low", "ci_high"}`` of one metric."""
        row = self.summary.set_index("metric").loc[name]
        return {"mean": row["mean"], "ci_low": row["ci_low"], "ci_high": row["ci_high"]}


def run_replications(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RunResult:
    """Run independent replications ``0 .. n-1`` of a scenario.

    Args:
        scenario: a validated scenario.
        replications: how many; defaults to ``scenario.replications``.
        seed: root seed; defaults to ``scenario.seed``.
        progress: called with (done, total) after each replication.
    """
    n = scenario.replications if replications is None else replications
    seed = scenario.seed if seed is None else seed
    results: list[SimulationResult] = []
    for r in range(n):
        results.append(simulate(scenario, seed=seed, replication=r))
        if progress is not None:
            progress(r + 1, n)
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
    return RunResult(scenario, seed, per_rep, summarise(per_rep, METRIC_NAMES), series, leads)
