"""The HTML report of a finished experiment: adapts its tables to :mod:`sim.report`.

Column names and shapes are adapted here, and what the reports' one-pagers
need is derived from the stored replications: paired differences of each
point to the best and to today's value (sweeps), the bootstrap share of the
best value (optimisations). The simulation is not run here; a comparison's
over-time views come from replications replayed beforehand
(:func:`sim.experiments.details.replay_details`), passed in as ``details``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiments.details import Details
from sim.experiments.experiment import CompareResult, OptimizeResult, Result, SweepResult
from sim.experiments.statistics import paired_difference
from sim.report.compare_report import write_compare_report
from sim.report.decision import Gain, differences_to_best, nearest
from sim.report.format import fmt_param
from sim.report.sweep_report import write_sweep_report
from sim.report.windows import same_as_whole
from sim.scenario.overrides import get_path
from sim.scenario.schema import Scenario

STATS = ["mean", "ci_low", "ci_high", "n"]
# Metrics drawn along a sweep or a search besides its objective ("Other metrics").
OTHER_METRICS: tuple[str, ...] = ("revenue", "revenue_90d", "revenue_1y", "contribution",
                                  "deals_won", "deals_booked", "cycle_days_median",
                                  "total_cost")


def write_experiment_report(result: Result, folder: Path,
                            manifest: dict[str, Any] | None = None,
                            details: Details | None = None, *, svg: bool = False) -> Path:
    """Write ``report.html`` (with ``figures/`` and ``tables/``) into ``folder``; return it.

    Args:
        result: the finished experiment.
        folder: its results folder.
        manifest: its manifest (versions, times, the ``--set`` options as ``overrides``).
        details: for a comparison, replayed replications with their weekly
            series and deals (over time, payback, quarterly P&L, segments);
            ``None`` leaves those views out.
        svg: also write every figure as SVG (PNG only by default).
    """
    overrides = [str(o) for o in (manifest or {}).get("overrides", [])]
    if isinstance(result, CompareResult):
        return _compare(result, folder, manifest, details, overrides, svg)
    if isinstance(result, SweepResult):
        return _sweep(result, folder, manifest, overrides, svg)
    return _optimize(result, folder, manifest, overrides, svg)


def _compare(result: CompareResult, folder: Path, manifest: dict[str, Any] | None,
             details: Details | None, overrides: Sequence[str], svg: bool) -> Path:
    spec = result.spec
    tables: dict[str, pd.DataFrame | None] = {"timeseries": None, "won_deals": None,
                                              "first_responses": None, "leads": None}
    note = None
    if details is not None and details.matches:
        for name in tables:
            frames = [getattr(run, name).assign(scenario=label)
                      for label, run in details.runs.items() if getattr(run, name) is not None]
            tables[name] = pd.concat(frames, ignore_index=True) if frames else None
        k = details.replications
        reps = "replication 0" if k == 1 else f"replications 0-{k - 1}"
        note = (f"{reps} of each scenario ({k} of {result.replications}), replayed with the "
                "same seeds for their weekly series and deals; their metrics equal the "
                "stored ones")
    elif details is not None:
        note = ("no replication: the replayed replications' metrics differ from the stored "
                "ones (the code changed since the run), so the over-time views are left out")
    return write_compare_report(
        result.per_replication, result.differences.rename(columns={"mean": "mean_diff"}),
        tables["timeseries"], folder, reference=spec.labels[0],
        scenarios=dict(zip(spec.labels, spec.scenarios, strict=True)),
        won_deals=tables["won_deals"], first_responses=tables["first_responses"],
        leads=tables["leads"], seed=spec.seed, manifest=manifest,
        objective=spec.stopping.objective, overrides=overrides, detail_note=note, svg=svg)


def _with_other_metrics(points: pd.DataFrame, summary: pd.DataFrame, objective: str,
                        horizon_days: float) -> pd.DataFrame:
    """The points with ``<metric>_mean``, ``_ci_low``, ``_ci_high`` of the other metrics.

    A window metric the horizon makes equal to the whole run is left out.
    """
    skip = same_as_whole(horizon_days) | {objective}
    out = points
    for metric in OTHER_METRICS:
        if metric in skip:
            continue
        rows = summary[summary["metric"] == metric][["point", "mean", "ci_low", "ci_high"]]
        if rows.empty:
            continue
        out = out.merge(rows.rename(columns={c: f"{metric}_{c}" for c in
                                             ("mean", "ci_low", "ci_high")}),
                        on="point", how="left")
    return out


def today(base: Scenario, keys: Sequence[str]) -> dict[str, float] | None:
    """Each key's value in the base scenario, presets resolved (``None`` if any is missing)."""
    data = base.resolve().model_dump(mode="python")
    out: dict[str, float] = {}
    for key in keys:
        try:
            value = get_path(data, key)
        except (KeyError, IndexError):
            return None
        if not isinstance(value, int | float) or isinstance(value, bool):
            return None
        out[key] = float(value)
    return out


def _gain(per_replication: pd.DataFrame, points: pd.DataFrame, keys: Sequence[str],
          objective: str, best: Any, current: Mapping[str, float] | None) -> Gain | None:
    """The best point minus today's point (or the one evaluated nearest it), paired."""
    if current is None:
        return None
    target = points
    for key in keys:
        value = nearest(target[key].to_numpy(dtype=float), current[key])
        target = target[target[key].astype(float) == value]
    other = target["point"].iloc[0]
    if other == best:  # today's value, or the one nearest it, is the best: no gain to state
        return None
    wide = per_replication.pivot_table(index="replication", columns="point", values=objective)
    diff = paired_difference(wide[best].to_numpy(dtype=float), wide[other].to_numpy(dtype=float))
    chosen = {k: float(target[k].iloc[0]) for k in keys}
    at = ", ".join(f"{k} = {fmt_param(v)}" for k, v in chosen.items())
    exact = all(math.isclose(chosen[k], current[k], rel_tol=1e-9, abs_tol=1e-12) for k in keys)
    today_text = ", ".join(fmt_param(current[k]) for k in keys)
    what = f"{at} (today's value)" if exact else (
        f"{at}, the value evaluated nearest today's {today_text}")
    return Gain(what, diff.mean, diff.ci_low, diff.ci_high, diff.relative)


def _sweep(result: SweepResult, folder: Path, manifest: dict[str, Any] | None,
           overrides: Sequence[str], svg: bool) -> Path:
    spec = result.spec
    objective = spec.stopping.objective
    maximize = spec.goal != "min"
    rows = result.summary[result.summary["metric"] == objective]
    points = result.points.merge(rows[["point", *STATS]], on="point", how="left")
    gain = None
    current = today(spec.base, spec.keys)
    if spec.goal is not None and result.best is not None:
        paired = differences_to_best(result.per_replication, "point", objective, maximize)
        points = points.merge(paired, on="point", how="left")
        gain = _gain(result.per_replication, points, spec.keys, objective, result.best,
                     current)
    points = _with_other_metrics(points, result.summary, objective, spec.base.horizon_days)
    return write_sweep_report(
        points, list(spec.keys), folder, objective=objective, maximize=maximize,
        kind="sweep", scenario=spec.base, replications=result.replications,
        seed=spec.seed, manifest=manifest, current=current, gain=gain,
        horizon_days=spec.base.horizon_days, overrides=overrides, svg=svg)


def _optimize(result: OptimizeResult, folder: Path, manifest: dict[str, Any] | None,
              overrides: Sequence[str], svg: bool) -> Path:
    spec = result.spec
    key = spec.parameter
    current = today(spec.base, [key])
    gain = _gain(result.per_replication, result.points, [key], spec.objective,
                 result.optimum.point, current)
    points = _with_other_metrics(result.points, result.summary, spec.objective,
                                 spec.base.horizon_days)
    return write_sweep_report(
        points, [key], folder, objective=spec.objective,
        maximize=spec.goal == "max", kind="optimize", scenario=spec.base,
        replications=result.replications, seed=spec.seed, manifest=manifest,
        current=current, gain=gain, probability=result.optimum.bootstrap_share,
        horizon_days=spec.base.horizon_days, overrides=overrides, svg=svg)
