"""Experiments over scenarios: compare, sweep and optimise, with common random numbers.

Every scenario or grid point of an experiment runs replications ``0 .. n-1`` of
one root seed. Replication ``r`` draws from ``SeedSequence(seed,
spawn_key=(r,))`` with one generator per source, and each lead draws its whole
row of random numbers when it is created, so two scenarios run with the same
seed and replication see the same leads with the same luck wherever they
agree: common random numbers (CRN). Differences between them are then due to
the policy, and paired differences (replication by replication) have a much
smaller variance than differences of independent runs.

``run_compare``, ``run_sweep`` and ``run_optimize`` run a design
(:mod:`sim.experiments.designs`) on an :class:`~sim.experiments.executors.Executor`, saving each
replication in an optional :class:`~sim.experiments.store.ExperimentStore` as it finishes
and skipping the ones the store holds already (resume); their results hold
tidy tables and a JSON summary.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.designs import (
    CompareSpec,
    Goal,
    OptimizeSpec,
    Point,
    Spec,
    Stopping,
    SweepSpec,
)
from sim.experiments.executors import Executor, Task, TaskResult
from sim.experiments.jsonable import finite, json_value
from sim.experiments.safe_output import safe_names
from sim.experiments.statistics import mean_ci, paired_difference, summarise
from sim.experiments.store import ExperimentStore
from sim.model.streams import bootstrap_stream
from sim.results.catalog import metric_json
from sim.results.catalog import names as metric_names
from sim.results.directions import verdict
from sim.scenario.dump import scenario_yaml
from sim.scenario.schema import Scenario

Progress = Callable[[int, int], None]

METHOD = (
    "CRN grid search with successive refinement: evaluate an evenly spaced grid over "
    "[low, high], then repeatedly a grid of the same size around the best point so far "
    "(spanning its neighbours), every point with the same replications and seed (common "
    "random numbers, so the noise is shared and comparisons between values are sharp). "
    "Each round is run in parallel. The best value is the evaluated value with the best "
    "mean; its 95% CI comes from a bootstrap over replications (the same resampled "
    "replications at every value, keeping the pairing); the near-optimal range holds "
    "every value whose paired difference to the best is not significant at 95%."
)


# --- running ---------------------------------------------------------------------------------


class _Engine:
    """Runs the replications an experiment asks for, once each.

    Replications already in the store (a resumed experiment) or run in an
    earlier round are not run again; every new one is saved as it finishes.
    """

    def __init__(self, executor: Executor, seed: int, store: ExperimentStore | None,
                 progress: Progress | None) -> None:
        self.executor = executor
        self.seed = seed
        self.store = store
        self.progress = progress
        self.results: dict[tuple[str, int], dict[str, float]] = (
            store.results if store is not None else {})
        self._wanted: set[tuple[str, int]] = set()
        self._done = 0

    def ensure(self, points: Sequence[Point], n: int) -> None:
        """Make sure every point has replications ``0 .. n-1``."""
        tasks = []
        for p in points:
            for r in range(n):
                key = (p.id, r)
                if key not in self._wanted:
                    self._wanted.add(key)
                    self._done += key in self.results
                if key not in self.results:
                    tasks.append(Task(p.id, p.scenario, self.seed, r))
        self._report()
        if tasks:
            self.executor.run(tasks, self._save)

    def _save(self, result: TaskResult) -> None:
        if self.store is not None:
            self.store.add(result.point, result.replication, result.metrics)
        else:
            self.results[result.key] = result.metrics
        self._done += 1
        self._report()

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(self._done, len(self._wanted))

    def values(self, point: Point, metric: str, n: int) -> np.ndarray:
        """One metric of a point over replications ``0 .. n-1``."""
        return np.array([self.results[(point.id, r)][metric] for r in range(n)], dtype=float)

    def replicate(self, points: Sequence[Point], stopping: Stopping,
                  start: int | None = None) -> tuple[int, bool | None]:
        """Run rounds until the objective is precise enough at every point.

        Every point always has the same replications (so pairs stay paired):
        a round that needs more adds them to all points.

        Returns:
            The replications per point, and whether the precision was met
            (``None`` without sequential stopping).
        """
        n = max(stopping.replications, start or 0)
        while True:
            self.ensure(points, n)
            if stopping.precision is None:
                return n, None
            more = next_replications(
                [self.values(p, stopping.objective, n) for p in points], n, stopping)
            if more is None:
                return n, True
            if more <= n:
                return n, False
            n = more

    def table(self, points: Sequence[Point], n: int,
              columns: Callable[[Point], Mapping[str, Any]]) -> pd.DataFrame:
        """One row per point and replication: ``columns(point)``, replication, metrics."""
        rows = [{**columns(p), "replication": r, **self.results[(p.id, r)]}
                for p in points for r in range(n)]
        return pd.DataFrame(rows)


def next_replications(objective: Sequence[np.ndarray], n: int, stopping: Stopping
                      ) -> int | None:
    """Replications the next round needs, ``None`` when every point is precise enough.

    The CI half-width shrinks like ``1 / sqrt(n)``, so a point whose half-width
    is ``k`` times the target needs about ``n k^2`` replications; the next
    round asks for the largest such need (at least one more, at most the cap).
    Returns ``n`` itself when the cap is reached without the precision.
    """
    if stopping.precision is None:
        raise ValueError("next_replications needs a precision (sequential stopping)")
    worst = 0.0
    for x in objective:
        mean, low, high = mean_ci(x)
        half = (high - low) / 2.0
        if math.isnan(half) or mean == 0 or math.isnan(mean):
            worst = math.inf
            break
        worst = max(worst, half / (stopping.precision * abs(mean)))
    if worst <= 1.0:
        return None
    need = 2 * n if math.isinf(worst) else math.ceil(n * worst * worst)
    return min(stopping.max_replications, max(need, n + 1))


def _summary(per_rep: pd.DataFrame, points: Sequence[Point], key: str,
             columns: Callable[[Point], Mapping[str, Any]]) -> pd.DataFrame:
    frames = []
    for p in points:
        rows = per_rep[per_rep[key] == columns(p)[key]]
        table = summarise(rows, metric_names())
        for i, (name, value) in enumerate(columns(p).items()):
            table.insert(i, name, [value] * len(table))
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


def _stats(row: Mapping[Any, Any]) -> dict[str, float | None]:
    return {k: finite(row[k]) for k in ("mean", "ci_low", "ci_high")}


def _metrics_json(summary: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Each metric's mean and CI, with its label and unit from the catalog."""
    return {row["metric"]: metric_json(row["metric"], _stats(row))
            for row in summary.to_dict("records")}


@dataclass(frozen=True)
class CompareResult:
    """A finished comparison.

    Attributes:
        spec: the comparison.
        replications: replications per scenario.
        precision_met: whether sequential stopping met its precision (``None``: not used).
        per_replication: one row per scenario and replication (``scenario``,
            ``replication``, one column per metric).
        summary: one row per scenario and metric (mean, CI, n).
        differences: one row per compared scenario and metric: the paired
            difference to the reference (mean, CI, n, relative to the
            reference's mean) and its verdict.
    """

    spec: CompareSpec
    replications: int
    precision_met: bool | None
    per_replication: pd.DataFrame
    summary: pd.DataFrame
    differences: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """File name -> table."""
        return {"replications.csv": self.per_replication, "summary.csv": self.summary,
                "differences.csv": self.differences}

    def scenario_files(self) -> dict[str, Scenario]:
        """File name -> scenario as run (named by its label, made a safe file name)."""
        return {f"scenarios/{name}.yaml": s
                for name, s in zip(safe_names(self.spec.labels), self.spec.scenarios,
                                   strict=True)}

    def to_json(self) -> dict[str, Any]:
        """The object printed by ``compare --json`` (NaN as null)."""
        spec = self.spec
        scenarios = []
        for label, scenario, file in itertools.zip_longest(spec.labels, spec.scenarios,
                                                           spec.files):
            rows = self.summary[self.summary["scenario"] == label]
            scenarios.append({"label": label, "name": scenario.name, "file": file,
                              "horizon_days": scenario.horizon_days,
                              "metrics": _metrics_json(rows)})
        differences = []
        for label in spec.labels[1:]:
            rows = self.differences[self.differences["scenario"] == label]
            differences.append({
                "scenario": label, "reference": spec.labels[0],
                "metrics": {r["metric"]: {**_stats(r), "n": int(r["n"]),
                                          "relative": finite(r["relative"]),
                                          "verdict": r["verdict"]}
                            for r in rows.to_dict("records")},
            })
        return {"command": "compare", "reference": spec.labels[0], "seed": spec.seed,
                "replications": self.replications, **_stopping_json(self),
                "scenarios": scenarios, "differences": differences}


def _stopping_json(result: CompareResult | SweepResult | OptimizeResult) -> dict[str, Any]:
    stopping = result.spec.stopping
    return {"precision": stopping.precision, "precision_met": result.precision_met,
            "objective": stopping.objective}


def run_compare(spec: CompareSpec, executor: Executor, store: ExperimentStore | None = None,
                progress: Progress | None = None) -> CompareResult:
    """Run a comparison: every scenario with the same seed and replications (CRN).

    Args:
        spec: the comparison.
        executor: where the replications run.
        store: where each finished replication is saved, and whose saved
            replications are not run again; ``None`` keeps them in memory.
        progress: called with (done, total) replications.
    """
    engine = _Engine(executor, spec.seed, store, progress)
    points = spec.points()
    n, met = engine.replicate(points, spec.stopping)

    def columns(p: Point) -> dict[str, Any]:
        return {"scenario": p.label}

    per_rep = engine.table(points, n, columns)
    summary = _summary(per_rep, points, "scenario", columns)
    reference = points[0]
    rows = []
    for p in points[1:]:
        for metric in metric_names():
            diff = paired_difference(engine.values(p, metric, n),
                                     engine.values(reference, metric, n))
            rows.append({
                "scenario": p.label, "reference": reference.label, "metric": metric,
                **diff.as_dict(), "verdict": verdict(metric, diff.ci_low, diff.ci_high),
            })
    return CompareResult(spec, n, met, per_rep, summary, pd.DataFrame(rows))


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep.

    Attributes:
        spec: the sweep.
        replications: replications per point.
        precision_met: whether sequential stopping met its precision (``None``: not used).
        points: one row per grid point (``point``, one column per swept key).
        per_replication: one row per point and replication.
        summary: one row per point and metric (mean, CI, n).
        best: index of the point with the best mean objective (``None`` without a goal).
    """

    spec: SweepSpec
    replications: int
    precision_met: bool | None
    points: pd.DataFrame
    per_replication: pd.DataFrame
    summary: pd.DataFrame
    best: int | None

    def tables(self) -> dict[str, pd.DataFrame]:
        """File name -> table."""
        return {"points.csv": self.points, "replications.csv": self.per_replication,
                "summary.csv": self.summary}

    def scenario_files(self) -> dict[str, Scenario]:
        """File name -> base scenario as run (the points differ by ``points.csv``)."""
        return {"scenario.yaml": self.spec.base}

    def to_json(self) -> dict[str, Any]:
        """The object printed by ``sweep --json`` (NaN as null)."""
        spec = self.spec
        points = []
        for row in self.points.to_dict("records"):
            rows = self.summary[self.summary["point"] == row["point"]]
            points.append({"point": int(row["point"]),
                           "values": {k: json_value(row[k]) for k in spec.keys},
                           "metrics": _metrics_json(rows)})
        best = None if self.best is None else {"point": self.best,
                                               "values": points[self.best]["values"]}
        return {"command": "sweep", "scenario": spec.base.name, "file": spec.file,
                "seed": spec.seed, "replications": self.replications, **_stopping_json(self),
                "goal": spec.goal, "horizon_days": spec.base.horizon_days,
                "parameters": spec.keys, "best": best, "points": points}


def _best_index(means: Sequence[float], goal: Goal) -> int:
    """The index of the best mean (the first on ties); undefined means never win."""
    sign = 1.0 if goal == "max" else -1.0
    scores = [sign * m if not math.isnan(m) else -math.inf for m in means]
    return int(np.argmax(scores))


def run_sweep(spec: SweepSpec, executor: Executor, store: ExperimentStore | None = None,
              progress: Progress | None = None) -> SweepResult:
    """Run every grid point with the same seed and replications (CRN across points).

    Args: as :func:`run_compare`.
    """
    engine = _Engine(executor, spec.seed, store, progress)
    points = spec.points()
    n, met = engine.replicate(points, spec.stopping)
    index = {p.id: i for i, p in enumerate(points)}

    def columns(p: Point) -> dict[str, Any]:
        return {"point": index[p.id], **p.values}

    per_rep = engine.table(points, n, columns)
    summary = _summary(per_rep, points, "point", columns)
    grid = pd.DataFrame([columns(p) for p in points])
    best = None
    if spec.goal is not None:
        objective = spec.stopping.objective
        best = _best_index([_mean(engine.values(p, objective, n)) for p in points], spec.goal)
    return SweepResult(spec, n, met, grid, per_rep, summary, best)


@dataclass(frozen=True)
class Optimum:
    """The best value found and how sure and how sharp it is.

    Attributes:
        value: the evaluated parameter value with the best mean objective.
        point: its index in the result's tables.
        objective: mean and 95% CI of the objective there.
        value_ci: 95% bootstrap interval of the best value (over replications).
        bootstrap_share: share of bootstrap resamples in which ``value`` is best.
        near_low, near_high: the range of evaluated values whose paired
            difference to the best is not significant (the optimum's flat top).
        resolution: distance from the best value to its nearest evaluated
            neighbour: the search cannot place the optimum more finely.
    """

    value: float
    point: int
    objective: dict[str, float]
    value_ci: tuple[float, float]
    bootstrap_share: float
    near_low: float
    near_high: float
    resolution: float


@dataclass(frozen=True)
class OptimizeResult:
    """A finished optimisation.

    Attributes:
        spec: the optimisation.
        replications: replications per evaluated value.
        precision_met: whether sequential stopping met its precision (``None``: not used).
        optimum: the best value and its uncertainty.
        points: one row per evaluated value, sorted by value: ``point``, the
            value, the round it was added in, the objective's mean and CI, the
            paired difference to the best (mean, CI), the loss relative to the
            best's mean, and whether it is in the near-optimal range.
        per_replication: one row per evaluated value and replication.
        summary: one row per evaluated value and metric.
    """

    spec: OptimizeSpec
    replications: int
    precision_met: bool | None
    optimum: Optimum
    points: pd.DataFrame
    per_replication: pd.DataFrame
    summary: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """File name -> table."""
        return {"points.csv": self.points, "replications.csv": self.per_replication,
                "summary.csv": self.summary}

    def scenario_files(self) -> dict[str, Scenario]:
        """File name -> base scenario as run."""
        return {"scenario.yaml": self.spec.base}

    def to_json(self) -> dict[str, Any]:
        """The object printed by ``optimize --json`` (NaN as null)."""
        spec, best = self.spec, self.optimum
        key = spec.parameter
        points = []
        for row in self.points.to_dict("records"):
            rows = self.summary[self.summary["point"] == row["point"]]
            points.append({
                "point": int(row["point"]), "value": json_value(row[key]),
                "round": int(row["round"]),
                "objective": {k: finite(row[k]) for k in ("mean", "ci_low", "ci_high")},
                "difference_to_best": {
                    "mean": finite(row["difference"]),
                    "ci_low": finite(row["difference_ci_low"]),
                    "ci_high": finite(row["difference_ci_high"]),
                },
                "relative_loss": finite(row["relative_loss"]),
                "near_optimal": bool(row["near_optimal"]),
                "metrics": _metrics_json(rows),
            })
        return {
            "command": "optimize", "scenario": spec.base.name, "file": spec.file,
            "seed": spec.seed, "replications": self.replications, **_stopping_json(self),
            "horizon_days": spec.base.horizon_days, "parameter": key, "low": spec.low,
            "high": spec.high, "goal": spec.goal,
            "method": {"name": "crn-refined-grid", "points_per_round": spec.points_per_round,
                       "refinements": spec.refinements, "bootstrap": spec.bootstrap,
                       "description": METHOD},
            "best": {"point": best.point, "value": json_value(best.value),
                     "objective": {k: finite(v) for k, v in best.objective.items()},
                     "value_ci": [json_value(v) for v in best.value_ci],
                     "bootstrap_share": best.bootstrap_share,
                     "resolution": json_value(best.resolution)},
            "near_optimal": {"low": json_value(best.near_low),
                             "high": json_value(best.near_high)},
            "points": points,
        }


@dataclass
class _Search:
    """The values evaluated so far, in the order they were added, and their rounds."""

    spec: OptimizeSpec
    points: dict[float, Point] = field(default_factory=dict)
    rounds: dict[float, int] = field(default_factory=dict)

    def add(self, values: Sequence[float], round_: int) -> bool:
        new = [v for v in values if v not in self.points]
        for v in new:
            self.points[v] = self.spec.point(v)
            self.rounds[v] = round_
        return bool(new)


def run_optimize(spec: OptimizeSpec, executor: Executor, store: ExperimentStore | None = None,
                 progress: Progress | None = None) -> OptimizeResult:
    """Find the best value of a parameter by a CRN grid refined around the best point.

    Round 0 evaluates ``points_per_round`` values over ``[low, high]``. Each
    refinement evaluates a grid of the same size over the best value so far
    plus and minus the previous spacing, so the spacing halves (with 5 points)
    around the best while the values already evaluated are reused. Every value
    has replications ``0 .. n-1`` of the same seed, so the curve of means is
    smooth (the noise is common) and paired differences are sharp; with
    ``--precision`` a round that needs more replications adds them to every
    value. See :data:`METHOD`.

    Args: as :func:`run_compare`.
    """
    engine = _Engine(executor, spec.seed, store, progress)
    search = _Search(spec)
    objective = spec.objective
    search.add(spec.grid(spec.low, spec.high), 0)
    n, met = engine.replicate(list(search.points.values()), spec.stopping)
    spacing = (spec.high - spec.low) / (spec.points_per_round - 1)
    for round_ in range(1, spec.refinements + 1):
        values = sorted(search.points)
        best = values[_best_index([_mean(engine.values(search.points[v], objective, n))
                                   for v in values], spec.goal)]
        low, high = max(spec.low, best - spacing), min(spec.high, best + spacing)
        if not search.add(spec.grid(low, high), round_):
            break  # a whole-number parameter at spacing 1: nothing new to try
        spacing = (high - low) / (spec.points_per_round - 1)
        n, met = engine.replicate(list(search.points.values()), spec.stopping, start=n)

    values = sorted(search.points)
    points = [search.points[v] for v in values]
    key = spec.parameter

    def columns(p: Point) -> dict[str, Any]:
        value = p.values[key]
        return {"point": values.index(value), key: value, "round": search.rounds[value]}

    per_rep = engine.table(points, n, columns)
    summary = _summary(per_rep, points, "point", columns)
    matrix = np.vstack([engine.values(p, objective, n) for p in points])
    means = [_mean(row) for row in matrix]
    best_i = _best_index(means, spec.goal)
    sign = 1.0 if spec.goal == "max" else -1.0
    rows = []
    for i, p in enumerate(points):
        mean, low, high = mean_ci(matrix[i])
        diff = paired_difference(matrix[i], matrix[best_i])
        near = i == best_i or not (diff.ci_low > 0 or diff.ci_high < 0)
        best_mean = means[best_i]
        loss = -sign * diff.mean / abs(best_mean) if best_mean else math.nan
        rows.append({**columns(p), "mean": mean, "ci_low": low, "ci_high": high,
                     "difference": diff.mean, "difference_ci_low": diff.ci_low,
                     "difference_ci_high": diff.ci_high, "relative_loss": loss,
                     "near_optimal": near})
    table = pd.DataFrame(rows)
    near_values = [v for v, near in zip(values, table["near_optimal"], strict=True) if near]
    value_ci, share = _bootstrap_best(matrix, values, spec, best_i)
    optimum = Optimum(
        value=values[best_i], point=best_i,
        objective={k: rows[best_i][k] for k in ("mean", "ci_low", "ci_high")},
        value_ci=value_ci, bootstrap_share=share,
        near_low=min(near_values), near_high=max(near_values),
        resolution=min(abs(v - values[best_i]) for v in values if v != values[best_i]),
    )
    return OptimizeResult(spec, n, met, optimum, table, per_rep, summary)


def _mean(x: np.ndarray) -> float:
    return float(np.nanmean(x)) if np.any(~np.isnan(x)) else math.nan


def _bootstrap_best(matrix: np.ndarray, values: Sequence[float], spec: OptimizeSpec,
                    best: int) -> tuple[tuple[float, float], float]:
    """95% percentile interval of the best value over bootstrap resamples of replications.

    Each resample draws replication indices with replacement and uses the same
    indices at every value, so the pairing (common random numbers) is kept. The
    generator has its own branch of the experiment's seed tree
    (:func:`sim.model.streams.bootstrap_stream`): the interval is reproducible
    and shares no numbers with any replication's streams.
    """
    n = matrix.shape[1]
    rng = bootstrap_stream(spec.seed)
    picks = rng.integers(0, n, size=(spec.bootstrap, n))
    resampled = matrix[:, picks]  # values x resamples x replications
    with warnings.catch_warnings():
        # A value undefined in every resampled replication has no mean: it never wins.
        warnings.simplefilter("ignore", RuntimeWarning)
        means = np.nanmean(resampled, axis=2)
    sign = 1.0 if spec.goal == "max" else -1.0
    scores = np.where(np.isnan(means), -np.inf, sign * means)
    winners = np.asarray(values)[np.argmax(scores, axis=0)]
    low, high = np.quantile(winners, [0.025, 0.975], method="inverted_cdf")
    share = float(np.mean(np.argmax(scores, axis=0) == best))
    cast = int if spec.integer else float
    return (cast(low), cast(high)), share


# --- results on disk ---------------------------------------------------------------------

Result = CompareResult | SweepResult | OptimizeResult


def write_results(store: ExperimentStore, result: Result, text: str | None = None) -> None:
    """Write a finished experiment's tables, scenarios and JSON into its folder.

    Each file is written atomically; ``summary.txt`` holds ``text`` if given.
    """
    for name, table in result.tables().items():
        store.write_csv(name, table)
    for name, scenario in result.scenario_files().items():
        store.write_text(name, scenario_yaml(scenario))
    store.write_json("result.json", result.to_json())
    if text is not None:
        store.write_text("summary.txt", text + "\n")


def run_experiment(spec: Spec, executor: Executor, store: ExperimentStore | None = None,
                   progress: Progress | None = None) -> Result:
    """Run any experiment spec."""
    if isinstance(spec, CompareSpec):
        return run_compare(spec, executor, store, progress)
    if isinstance(spec, SweepSpec):
        return run_sweep(spec, executor, store, progress)
    return run_optimize(spec, executor, store, progress)
