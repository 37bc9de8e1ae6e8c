"""The HTML report of a finished experiment: adapts its tables to :mod:`sim.report`.

Only column names and shapes are adapted here; the simulation is not run again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.experiments.experiment import CompareResult, Result, SweepResult
from sim.report import write_compare_report, write_sweep_report

STATS = ["mean", "ci_low", "ci_high", "n"]


def write_experiment_report(result: Result, folder: Path,
                            manifest: dict[str, Any] | None = None) -> Path:
    """Write ``report.html`` (with ``figures/`` and ``tables/``) into ``folder``; return it."""
    if isinstance(result, CompareResult):
        spec = result.spec
        return write_compare_report(
            result.per_replication, result.differences.rename(columns={"mean": "mean_diff"}),
            None, folder, reference=spec.labels[0],
            scenarios=dict(zip(spec.labels, spec.scenarios, strict=True)), seed=spec.seed,
            manifest=manifest)
    if isinstance(result, SweepResult):
        spec = result.spec
        objective = spec.stopping.objective
        rows = result.summary[result.summary["metric"] == objective]
        points = result.points.merge(rows[["point", *STATS]], on="point", how="left")
        return write_sweep_report(
            points, list(spec.keys), folder, objective=objective, maximize=spec.goal != "min",
            kind="sweep", scenario=spec.base, replications=result.replications,
            seed=spec.seed, manifest=manifest)
    spec = result.spec
    return write_sweep_report(
        result.points, [spec.parameter], folder, objective=spec.objective,
        maximize=spec.goal == "max", kind="optimize", scenario=spec.base,
        replications=result.replications, seed=spec.seed, manifest=manifest)
