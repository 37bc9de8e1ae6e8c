"""Compare under uncertainty: how sure we are that one plan beats another.

A plain comparison's interval covers the luck of the draw only. Here the
assumptions are uncertain too (:mod:`sim.experiments.assumptions`): the
comparison runs ``N`` assumption draws, each with ``R`` replications
(:class:`~sim.experiments.evaluation.SampleDesign`), every scenario in the
same worlds with the same luck within a draw (common random numbers). For the
paired difference ``D = other - reference`` of the objective it reports
(:func:`decide`):

- the expected difference ``E[D]`` and its 95% CI (a t interval over the draw
  means, which are independent);
- its interval over the assumptions: where the expected difference lies in
  the middle ``level`` share of plausible worlds;
- the probability that the other plan beats the reference, the share of
  worlds whose expected difference favours it, and the probability that it
  does in one roll of the dice (a single draw and replication);
- the expected loss of each choice: ``E[max(0, -D)]`` for choosing the other
  plan, ``E[max(0, D)]`` for keeping the reference; the smaller one is the
  expected value of knowing the assumptions exactly;
- how much of the spread is luck and how much assumptions, by the law of
  total variance: ``Var D = E[Var(D | world)] + Var(E[D | world])``.

The draw means carry some luck (``Var(D | world) / R``): the between-draw
variance is estimated as their variance minus that share, and each draw mean
is pulled towards the overall mean by the matching factor before its
quantiles, the probability and the losses are read off (the luck-adjusted
conditional means; with one replication per draw no adjustment is possible
and the draw means are used as they are).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from sim.experiments.assumptions import AssumptionError, AssumptionSet, applied, default_assumptions
from sim.experiments.designs import ExperimentError, Goal, check_metric, resolve_goal, unique_labels
from sim.experiments.evaluation import Evaluator, Progress, SampleDesign, Samples, long_table
from sim.experiments.executors import Executor, ReusingExecutor
from sim.experiments.jsonable import finite
from sim.experiments.statistics import mean_ci
from sim.experiments.store import ExperimentStore
from sim.results.catalog import direction, metric_json
from sim.results.catalog import names as metric_names
from sim.results.directions import verdict
from sim.scenario.overrides import get_path
from sim.scenario.schema import Scenario

DESIGN = "uncertainty"

METHOD = (
    "Nested design: N assumption draws (each assumption from its distribution, independent "
    "draws from the experiment's own random stream) x R replications per draw. Within a draw "
    "every scenario runs the same replications (common random numbers); different draws run "
    "different replications, so luck and assumptions can be told apart. The expected "
    "difference has a t interval over the draw means; the spread over assumptions, the "
    "probability of winning and the expected losses are read off the draw means pulled "
    "towards their mean by the share of their variance that is luck (law of total variance)."
)


# --- the statistics of a decision --------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """How sure we are that ``other`` beats ``reference`` on one metric.

    Differences are ``other - reference`` in the metric's unit; "beats" follows
    the direction (higher revenue, lower cost).

    Attributes:
        metric: the metric.
        direction: ``+1`` higher is better, ``-1`` lower is better.
        draws, replications: the design.
        expected: the expected difference over worlds and luck.
        ci_low, ci_high: its 95% CI (t interval over the draw means).
        level: the share of worlds the interval over assumptions holds.
        interval_low, interval_high: the expected difference in the middle
            ``level`` of worlds (luck-adjusted draw means).
        probability_better: the share of worlds in which ``other`` is better in
            expectation (ties count half).
        probability_se: its standard error over the draws.
        probability_single: the chance ``other`` is better in one draw and
            one replication (one roll of the dice; ties count half).
        loss_other: expected loss of choosing ``other`` (what ``reference``
            would have given more, where it is better), ``E[max(0, -sD)]``.
        loss_reference: expected loss of keeping ``reference``, ``E[max(0, sD)]``.
        variance_luck: ``E[Var(D | world)]``, NaN with one replication per draw.
        variance_assumptions: ``Var(E[D | world])``.
        reference_mean, other_mean: the two expected values.
    """

    metric: str
    direction: int
    draws: int
    replications: int
    expected: float
    ci_low: float
    ci_high: float
    level: float
    interval_low: float
    interval_high: float
    probability_better: float
    probability_se: float
    probability_single: float
    loss_other: float
    loss_reference: float
    variance_luck: float
    variance_assumptions: float
    reference_mean: float
    other_mean: float

    @property
    def share_assumptions(self) -> float:
        """The share of the variance of ``D`` due to the assumptions (NaN if unknown)."""
        total = self.variance_luck + self.variance_assumptions
        return self.variance_assumptions / total if total > 0 else math.nan

    @property
    def choose_other(self) -> bool:
        """Whether the other plan has the better expected value."""
        return self.expected * self.direction > 0

    @property
    def expected_loss(self) -> float:
        """The expected loss of the better-in-expectation choice (of choosing wrong)."""
        return self.loss_other if self.choose_other else self.loss_reference

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict (NaN as null)."""
        numbers = {k: finite(getattr(self, k)) for k in (
            "expected", "ci_low", "ci_high", "level", "interval_low", "interval_high",
            "probability_better", "probability_se", "probability_single", "loss_other",
            "loss_reference", "variance_luck", "variance_assumptions", "reference_mean",
            "other_mean")}
        return {"metric": self.metric, "direction": self.direction, "draws": self.draws,
                "replications": self.replications, **numbers,
                "share_assumptions": finite(self.share_assumptions),
                "choose": "other" if self.choose_other else "reference",
                "expected_loss": finite(self.expected_loss)}


def _nan_var(x: NDArray[np.float64]) -> float:
    x = x[~np.isnan(x)]
    return float(np.var(x, ddof=1)) if x.size >= 2 else math.nan


def _ties_half(x: NDArray[np.float64]) -> float:
    x = x[~np.isnan(x)]
    if x.size == 0:
        return math.nan
    return float(np.mean(x > 0) + 0.5 * np.mean(x == 0))


def luck_adjusted(differences: ArrayLike) -> tuple[NDArray[np.float64], float, float]:
    """Draw means pulled towards their mean by the luck share of their variance.

    Args:
        differences: shape (draws, replications).

    Returns:
        ``(conditional means, variance from luck, variance from assumptions)``;
        the luck variance is NaN (and nothing is adjusted) with one replication.
    """
    d = np.atleast_2d(np.asarray(differences, dtype=float))
    r = d.shape[1]
    with np.errstate(invalid="ignore"):
        means = np.array([np.nanmean(row) if np.any(~np.isnan(row)) else math.nan for row in d])
    defined = means[~np.isnan(means)]
    if defined.size == 0:
        return means, math.nan, math.nan
    between_raw = float(np.var(defined, ddof=1)) if defined.size >= 2 else 0.0
    within = math.nan
    if r >= 2:
        variances = [_nan_var(row) for row in d]
        known = [v for v in variances if not math.isnan(v)]
        within = float(np.mean(known)) if known else math.nan
    if math.isnan(within):
        return means, math.nan, between_raw
    between = max(between_raw - within / r, 0.0)
    factor = math.sqrt(between / between_raw) if between_raw > 0 else 1.0
    centre = float(defined.mean())
    return centre + factor * (means - centre), within, between


def decide(other: ArrayLike, reference: ArrayLike, metric: str, way: int,
           level: float = 0.9) -> Decision:
    """The statistics of choosing between two plans on one metric (see the module docstring).

    Args:
        other: the other plan's values, shape (draws, replications); element
            ``[d, r]`` shares its world and luck with ``reference[d, r]``.
        reference: the reference plan's values, the same shape.
        metric: the metric's name (for the record).
        way: ``+1`` if higher is better, ``-1`` if lower is better.
        level: the share of worlds the interval over assumptions holds.

    Raises:
        ValueError: arrays of different shapes, or a direction other than +-1.
    """
    x = np.atleast_2d(np.asarray(other, dtype=float))
    ref = np.atleast_2d(np.asarray(reference, dtype=float))
    if x.shape != ref.shape:
        raise ValueError(f"expected arrays of the same shape, got {x.shape} and {ref.shape}")
    if way not in (1, -1):
        raise ValueError(f"way: expected +1 or -1, got {way}")
    d = x - ref
    conditional, luck, assumptions = luck_adjusted(d)
    means = conditional[~np.isnan(conditional)]
    with np.errstate(invalid="ignore"):
        raw_means = np.array([np.nanmean(row) if np.any(~np.isnan(row)) else math.nan
                              for row in d])
    expected, low, high = mean_ci(raw_means)
    tail = (1.0 - level) / 2.0
    if means.size:
        lo_q, hi_q = (float(v) for v in np.quantile(means, [tail, 1.0 - tail]))
    else:
        lo_q = hi_q = math.nan
    signed = way * means
    p = _ties_half(signed)
    se = math.sqrt(p * (1 - p) / means.size) if means.size and not math.isnan(p) else math.nan
    return Decision(
        metric=metric, direction=way, draws=x.shape[0], replications=x.shape[1],
        expected=expected, ci_low=low, ci_high=high, level=level,
        interval_low=lo_q, interval_high=hi_q,
        probability_better=p, probability_se=se,
        probability_single=_ties_half(way * d.ravel()),
        loss_other=float(np.mean(np.maximum(-signed, 0.0))) if means.size else math.nan,
        loss_reference=float(np.mean(np.maximum(signed, 0.0))) if means.size else math.nan,
        variance_luck=luck, variance_assumptions=assumptions,
        reference_mean=_mean(ref), other_mean=_mean(x),
    )


def _mean(x: NDArray[np.float64]) -> float:
    return float(np.nanmean(x)) if np.any(~np.isnan(x)) else math.nan


# --- the design ----------------------------------------------------------------------------


def differing_keys(scenarios: Sequence[Scenario], keys: Sequence[str]) -> list[str]:
    """The keys whose (resolved) values differ between the scenarios: plan choices."""
    data = [s.resolve().model_dump(mode="python") for s in scenarios]
    out = []
    for key in keys:
        values = []
        for d in data:
            try:
                values.append(get_path(d, key))
            except (KeyError, IndexError):
                values.append(None)
        if any(v != values[0] for v in values[1:]):
            out.append(key)
    return out


def shared_defaults(scenarios: Sequence[Scenario]) -> tuple[AssumptionSet, tuple[str, ...]]:
    """The schema's default assumptions, less those on which the scenarios differ.

    A key the compared plans set differently (an incentive plan's effort
    response, a stage's SLA compliance) is what the plans choose, not a fact
    of the world they share: drawing one value for all would erase the
    difference being compared. Those keys are left out, and named.
    """
    every = default_assumptions(scenarios[0])
    left_out = tuple(differing_keys(scenarios, [a.key for a in every.assumptions]))
    kept = tuple(a for a in every.assumptions if a.key not in left_out)
    return AssumptionSet(kept, None, every.source), left_out


def check_worlds(scenarios: Sequence[Scenario], labels: Sequence[str],
                 draws: Sequence[Mapping[str, Any]]) -> None:
    """Every scenario in every drawn world must be valid, before anything runs.

    Raises:
        AssumptionError: one line naming the scenario and the draw.
    """
    for label, scenario in zip(labels, scenarios, strict=True):
        for d, values in enumerate(draws):
            try:
                applied(scenario, values)
            except AssumptionError as exc:
                raise AssumptionError(f"--uncertainty: draw {d} makes '{label}' invalid: "
                                      f"{exc}") from None


@dataclass(frozen=True)
class UncertainCompareSpec:
    """Scenarios compared with the first over assumption draws and replications.

    Attributes:
        scenarios: the scenarios (the reference first), with the common seed.
        labels: unique names.
        files: where each scenario came from.
        seed: the root seed (replications and assumption draws).
        replications: replications per draw.
        assumptions: the uncertain assumptions.
        draws: the drawn values, one mapping per draw.
        objective: the metric the decision is about.
        goal: whether higher (``max``) or lower (``min``) is better.
        level: the share of worlds the interval over assumptions holds.
        left_out: default assumptions left out because the scenarios differ on them.
    """

    scenarios: tuple[Scenario, ...]
    labels: tuple[str, ...]
    files: tuple[str, ...]
    seed: int
    replications: int
    assumptions: AssumptionSet
    draws: tuple[Mapping[str, Any], ...]
    objective: str
    goal: Goal
    level: float = 0.9
    left_out: tuple[str, ...] = field(default=())

    command = "compare"
    design_name = DESIGN
    default_replications = 4

    @classmethod
    def build(cls, scenarios: Sequence[Scenario], files: Sequence[str] = (), *,
              draws: int, assumptions: AssumptionSet | None = None,
              replications: int | None = None, seed: int | None = None,
              objective: str = "contribution", goal: Goal | None = None,
              level: float = 0.9) -> UncertainCompareSpec:
        """A comparison under uncertainty, every (scenario, draw) validated here.

        Args:
            scenarios: the scenarios, the reference first.
            files: where they came from.
            draws: the number of assumption draws.
            assumptions: the assumptions (``None``: the schema's defaults, less
                the keys the scenarios set differently).
            replications: per draw (default :attr:`default_replications`).
            seed: the root seed (default the reference's).
            objective: the metric the decision is about.
            goal: the better direction (default the metric's).
            level: the share of worlds the interval over assumptions holds.

        Raises:
            ExperimentError: fewer than two scenarios, a bad count or level.
            AssumptionError: a draw that makes a scenario invalid.
        """
        if len(scenarios) < 2:
            raise ExperimentError("compare: expected at least two scenarios")
        if draws < 2:
            raise ExperimentError(f"--uncertainty: expected at least 2 draws, got {draws}")
        if not 0 < level < 1:
            raise ExperimentError(f"--level: expected a share between 0 and 1, got {level}")
        check_metric(objective)
        goal = resolve_goal(objective, goal)
        left_out: tuple[str, ...] = ()
        if assumptions is None:
            assumptions, left_out = shared_defaults(scenarios)
        if not assumptions:
            raise AssumptionError("--uncertainty: no assumption is uncertain")
        seed = scenarios[0].seed if seed is None else seed
        n = replications or cls.default_replications
        common = tuple(s if s.seed == seed else s.with_overrides({"seed": seed})
                       for s in scenarios)
        labels = tuple(unique_labels([s.name for s in scenarios]))
        values = tuple(assumptions.draw(draws, seed))
        check_worlds(common, labels, values)
        return cls(common, labels, tuple(str(f) for f in files), seed, n, assumptions, values,
                   objective, goal, level, left_out)

    @property
    def design(self) -> SampleDesign:
        """The draws and replications every scenario runs."""
        return SampleDesign(self.draws, self.replications, self.replications)

    def to_json(self) -> dict[str, Any]:
        """The definition stored in ``experiment.json`` (the draws included)."""
        return {"command": self.command, "design": self.design_name, "seed": self.seed,
                "replications": self.replications, "objective": self.objective,
                "goal": self.goal, "level": self.level, "labels": list(self.labels),
                "files": list(self.files), "left_out": list(self.left_out),
                "assumptions": self.assumptions.to_json(),
                "draws": [dict(d) for d in self.draws],
                "scenarios": [s.model_dump(mode="json") for s in self.scenarios]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> UncertainCompareSpec:
        """The inverse of :meth:`to_json`."""
        return cls(tuple(Scenario.model_validate(s) for s in data["scenarios"]),
                   tuple(data["labels"]), tuple(data["files"]), int(data["seed"]),
                   int(data["replications"]), AssumptionSet.from_json(data["assumptions"]),
                   tuple(dict(d) for d in data["draws"]), str(data["objective"]),
                   data["goal"], float(data["level"]), tuple(data.get("left_out", ())))


# --- running -------------------------------------------------------------------------------


@dataclass(frozen=True)
class UncertainCompareResult:
    """A finished comparison under uncertainty.

    Attributes:
        spec: the comparison.
        per_replication: one row per scenario, draw and replication (the
            replication index is ``draw * R + r``).
        draw_values: one row per draw: the assumptions' values.
        summary: one row per scenario and metric: expected value, its 95% CI
            over draws, and its interval over assumptions.
        differences: one row per compared scenario and metric: the expected
            paired difference, its CI and verdict, its interval over
            assumptions, the probability of being better and the share of
            variance from the assumptions.
        decisions: compared scenario -> the decision on the objective.
    """

    spec: UncertainCompareSpec
    per_replication: pd.DataFrame
    draw_values: pd.DataFrame
    summary: pd.DataFrame
    differences: pd.DataFrame
    decisions: dict[str, Decision]

    @property
    def replications(self) -> int:
        """Replications per draw."""
        return self.spec.replications

    def draw_means(self) -> pd.DataFrame:
        """One row per scenario and draw: every metric's mean over its replications."""
        numeric = [m for m in metric_names() if m in self.per_replication.columns]
        means = self.per_replication.groupby(["scenario", "draw"], sort=False)[numeric].mean()
        return means.reset_index()

    def tables(self) -> dict[str, pd.DataFrame]:
        """File name -> table."""
        return {"replications.csv": self.per_replication, "draws.csv": self.draw_values,
                "summary.csv": self.summary, "differences.csv": self.differences}

    def scenario_files(self) -> dict[str, Scenario]:
        """File name -> scenario as run (before the draws' values)."""
        return {f"scenarios/{label}.yaml": s
                for label, s in zip(self.spec.labels, self.spec.scenarios, strict=True)}

    def to_json(self) -> dict[str, Any]:
        """The object printed by ``compare --uncertainty --json`` (NaN as null)."""
        spec = self.spec
        scenarios = []
        for label in spec.labels:
            rows = self.summary[self.summary["scenario"] == label]
            scenarios.append({"label": label, "metrics": {
                r["metric"]: metric_json(r["metric"], {
                    k: finite(r[k]) for k in ("mean", "ci_low", "ci_high", "interval_low",
                                              "interval_high")})
                for r in rows.to_dict("records")}})
        differences = []
        for label in spec.labels[1:]:
            rows = self.differences[self.differences["scenario"] == label]
            differences.append({"scenario": label, "reference": spec.labels[0], "metrics": {
                r["metric"]: {k: (finite(r[k]) if isinstance(r[k], float) else r[k])
                              for k in ("mean", "ci_low", "ci_high", "interval_low",
                                        "interval_high", "probability_better",
                                        "share_assumptions", "verdict")}
                for r in rows.to_dict("records")}})
        return {
            "command": "compare", "design": DESIGN, "reference": spec.labels[0],
            "seed": spec.seed, "draws": len(spec.draws), "replications": spec.replications,
            "objective": spec.objective, "goal": spec.goal, "level": spec.level,
            "horizon_days": spec.scenarios[0].horizon_days,
            "assumptions": spec.assumptions.table(), "left_out": list(spec.left_out),
            "method": METHOD,
            "decisions": [{"scenario": label, "reference": spec.labels[0],
                           **self.decisions[label].to_json()} for label in spec.labels[1:]],
            "scenarios": scenarios, "differences": differences,
        }

    def how_sure(self) -> dict[str, Any]:
        """What the report's "How sure are we?" section needs (plain data)."""
        data = self.to_json()
        return {key: data[key] for key in ("reference", "draws", "replications", "objective",
                                           "goal", "level", "assumptions", "left_out",
                                           "decisions", "method")} | {
            "draw_differences": {label: self._draw_differences(label)
                                 for label in self.spec.labels[1:]}}

    def _draw_differences(self, label: str) -> list[float]:
        """The luck-adjusted expected difference of the objective in each draw."""
        spec = self.spec
        objective = spec.objective
        table = self.per_replication
        n, r = len(spec.draws), spec.replications

        def grid(name: str) -> NDArray[np.float64]:
            rows = table[table["scenario"] == name].sort_values(["draw", "replication"])
            return rows[objective].to_numpy(dtype=float).reshape(n, r)

        conditional, _, _ = luck_adjusted(grid(label) - grid(spec.labels[0]))
        return [float(v) for v in conditional]


def run_uncertain_compare(spec: UncertainCompareSpec, executor: Executor,
                          store: ExperimentStore | None = None,
                          progress: Progress | None = None) -> UncertainCompareResult:
    """Run every scenario in every draw with the same replications, and decide.

    Args:
        spec: the comparison.
        executor: where the replications run (any executor: the same numbers).
        store: the results folder (resumable); ``None`` keeps results in memory.
        progress: called with (done, total) replications.
    """
    design = spec.design
    # Keyed by scenario, not label: two labels for one scenario run it once.
    evaluator = Evaluator(ReusingExecutor(executor), spec.seed, store, progress)
    points = list(zip(spec.labels, spec.scenarios, strict=True))
    samples = evaluator.evaluate(points, design)
    return summarise_uncertain(spec, samples)


def summarise_uncertain(spec: UncertainCompareSpec, samples: Mapping[str, Samples]
                        ) -> UncertainCompareResult:
    """The tables and decisions of a comparison from its samples (no simulation)."""
    design = spec.design
    per_rep = pd.DataFrame(long_table({k: samples[k] for k in spec.labels}, design))
    draw_values = pd.DataFrame([{"draw": d, **dict(v)} for d, v in enumerate(spec.draws)])
    metrics = [m for m in metric_names() if m in samples[spec.labels[0]]]
    tail = (1.0 - spec.level) / 2.0
    summary = []
    for label in spec.labels:
        for m in metrics:
            x = samples[label][m]
            conditional, _, _ = luck_adjusted(x)
            defined = conditional[~np.isnan(conditional)]
            with np.errstate(invalid="ignore"):
                raw = np.array([np.nanmean(row) if np.any(~np.isnan(row)) else math.nan
                                for row in x])
            mean, low, high = mean_ci(raw)
            lo_q, hi_q = (np.quantile(defined, [tail, 1 - tail]) if defined.size
                          else (math.nan, math.nan))
            summary.append({"scenario": label, "metric": m, "mean": mean, "ci_low": low,
                            "ci_high": high, "interval_low": float(lo_q),
                            "interval_high": float(hi_q), "n": int(defined.size)})
    reference = spec.labels[0]
    rows = []
    decisions: dict[str, Decision] = {}
    for label in spec.labels[1:]:
        for m in metrics:
            way = direction(m) or 1  # no preferred direction: the chance of being higher
            if m == spec.objective:
                way = 1 if spec.goal == "max" else -1
            dec = decide(samples[label][m], samples[reference][m], m, way, spec.level)
            if m == spec.objective:
                decisions[label] = dec
            ref_mean = dec.reference_mean
            rows.append({
                "scenario": label, "reference": reference, "metric": m,
                "mean": dec.expected, "ci_low": dec.ci_low, "ci_high": dec.ci_high,
                "n": dec.draws,
                "relative": dec.expected / abs(ref_mean) if ref_mean and not math.isnan(
                    ref_mean) else math.nan,
                "verdict": verdict(m, dec.ci_low, dec.ci_high),
                "interval_low": dec.interval_low, "interval_high": dec.interval_high,
                "probability_better": dec.probability_better,
                "share_assumptions": dec.share_assumptions,
            })
    return UncertainCompareResult(spec, per_rep, draw_values, pd.DataFrame(summary),
                                  pd.DataFrame(rows), decisions)
