"""The multi-lever optimiser: the best go-to-market plan under a budget, with risk.

``optimize`` with several ``--param`` (a budget, a brand share, a number of
reps...), an optional linear budget across them (:mod:`sim.experiments.budget`),
an objective with a risk measure and, for the reverse planner, a target to
reach with a given probability. The search is Optuna's TPE sampler (seeded,
asked for a fixed batch of candidates at a time with the constant liar, so
the sequence of candidates does not depend on the number of workers), told
which candidates break the budget or miss the target through its
constraint-aware mode; a candidate that breaks the budget is never simulated.

Every candidate runs the same samples (:class:`~sim.experiments.evaluation.SampleDesign`:
the same replications and, with uncertain assumptions, the same worlds), so
candidates are compared under common random numbers. The best few are then
evaluated again with more replications, together with today's plan; the best
plan is the best of those, with its CI, the plans not detectably worse than it
(paired), the trade-off between first-year and whole-horizon results among
every candidate (a Pareto view) and, with uncertain assumptions, how sure it is
to beat today's plan (:func:`sim.experiments.uncertainty.decide`).

The search itself (:func:`optimize_levers`) takes the evaluation as a
function, so it is tested on analytic objectives with known optima; the
simulator is plugged in by :func:`run_levers`.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sim.experiments.assumptions import (
    AssumptionError,
    AssumptionSet,
    applied,
    field_facts,
)
from sim.experiments.budget import BudgetError, LinearConstraint, number_text, read_number
from sim.experiments.designs import (
    ExperimentError,
    Goal,
    check_metric,
    parse_param,
    resolve_goal,
    with_values,
)
from sim.experiments.evaluation import (
    Evaluator,
    Progress,
    SampleDesign,
    Samples,
    long_table,
    point_id,
)
from sim.experiments.executors import Executor, ReusingExecutor
from sim.experiments.jsonable import finite, json_value
from sim.experiments.statistics import mean_ci
from sim.experiments.store import ExperimentStore
from sim.experiments.uncertainty import Decision, check_worlds, decide
from sim.model.streams import EXPERIMENT_KEY
from sim.scenario.schema import Scenario

DESIGN = "levers"
# Spawn keys under the experiments' branch of the seed tree (sim.model.streams):
# 0 bootstrap of the one-lever optimiser, 1 assumption draws, 2 the sampler, 3 bootstraps here.
SAMPLER_STREAM = 2
BOOTSTRAP_STREAM = 3
# Aliases of objective names people use for the reverse planner.
OBJECTIVE_ALIASES = {"cost": "total_cost"}
FIRST_YEAR = "revenue_1y"

RiskKind = Literal["mean", "quantile", "cvar", "prob"]
Plan = dict[str, float]
Evaluate = Callable[[Sequence[Mapping[str, float]], int], list[Samples | None]]

METHOD = (
    "Optuna TPE (seeded; a fixed batch of candidates per round with the constant liar; "
    "constraint-aware: plans over the budget are never simulated and rank below every plan "
    "within it) over the levers' ranges, every candidate with the same replications and "
    "assumption draws (common random numbers). The best candidates are evaluated again "
    "with more replications, with today's plan; the best plan's CI and the plans not "
    "detectably worse than it come from a paired bootstrap over the samples."
)


# --- what is optimised ---------------------------------------------------------------------


@dataclass(frozen=True)
class Lever:
    """One decision: a dotted key and its range.

    Attributes:
        key: the dotted scenario key.
        low, high: the range searched.
        integer: whether it takes whole numbers (``sales.reps``).
    """

    key: str
    low: float
    high: float
    integer: bool = False

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict."""
        return {"key": self.key, "low": self.low, "high": self.high, "integer": self.integer}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Lever:
        """The inverse of :meth:`to_json`."""
        return cls(str(data["key"]), float(data["low"]), float(data["high"]),
                   bool(data["integer"]))


@dataclass(frozen=True)
class Risk:
    """How a plan's spread of outcomes is scored.

    ``mean``: the expected value. ``quantile:q``: the value the plan beats
    with probability ``1 - q`` (its bad tail: the lower ``q`` quantile when
    higher is better). ``cvar:q``: the mean of its worst ``q`` share of
    outcomes. ``prob:T``: the probability of reaching ``T`` (at least ``T``
    when higher is better, at most when lower is).

    Attributes:
        kind: mean, quantile, cvar or prob.
        level: ``q`` for quantile and cvar, the target ``T`` for prob.
    """

    kind: RiskKind = "mean"
    level: float = math.nan

    @classmethod
    def parse(cls, text: str, option: str = "--risk") -> Risk:
        """``mean``, ``quantile:0.1``, ``cvar:0.1`` or ``prob:5e7``.

        Raises:
            ExperimentError: anything else, or a share outside (0, 1).
        """
        kind, _, raw = text.strip().partition(":")
        if kind == "mean" and not raw:
            return cls("mean")
        if kind not in ("quantile", "cvar", "prob") or not raw:
            raise ExperimentError(f"{option} {text}: expected mean, quantile:Q, cvar:Q or "
                                  "prob:TARGET (e.g. quantile:0.1)")
        try:
            level = float(raw.replace("_", ""))
        except ValueError:
            raise ExperimentError(f"{option} {text}: expected a number after "
                                  f"'{kind}:'") from None
        if not math.isfinite(level):
            raise ExperimentError(f"{option} {text}: expected a finite number")
        if kind in ("quantile", "cvar") and not 0 < level < 1:
            raise ExperimentError(f"{option} {text}: expected a share between 0 and 1")
        return cls(kind, level)  # type: ignore[arg-type]

    def value(self, x: NDArray[np.float64], goal: Goal) -> float:
        """The risk measure of the outcomes ``x`` (in the metric's unit, or a probability)."""
        x = np.asarray(x, dtype=float).ravel()
        x = x[~np.isnan(x)]
        if x.size == 0:
            return math.nan
        if self.kind == "mean":
            return float(x.mean())
        if self.kind == "prob":
            return float(np.mean(x >= self.level) if goal == "max" else np.mean(x <= self.level))
        q = self.level if goal == "max" else 1.0 - self.level
        if self.kind == "quantile":
            return float(np.quantile(x, q))
        worst = np.sort(x) if goal == "max" else np.sort(x)[::-1]
        return float(worst[: max(1, math.ceil(self.level * x.size))].mean())

    def score(self, x: NDArray[np.float64], goal: Goal) -> float:
        """The value turned so that higher is always better (NaN: never best)."""
        v = self.value(x, goal)
        if self.kind == "prob" or goal == "max":
            return v
        return -v

    def describe(self, objective: str, goal: Goal) -> str:
        """The measure in words: ``the 10% quantile of contribution``."""
        if self.kind == "mean":
            return f"expected {objective}"
        if self.kind == "quantile":
            return (f"{objective} with {100 * (1 - self.level):g}% chance of doing better "
                    f"(the {100 * self.level:g}% {'lower' if goal == 'max' else 'upper'} "
                    "quantile)")
        if self.kind == "cvar":
            return f"mean {objective} in the worst {100 * self.level:g}% of outcomes (CVaR)"
        return (f"probability that {objective} is {'at least' if goal == 'max' else 'at most'} "
                f"{self.level:,.6g}")

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict."""
        return {"kind": self.kind, "level": finite(self.level)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Risk:
        """The inverse of :meth:`to_json`."""
        level = data.get("level")
        return cls(data["kind"], math.nan if level is None else float(level))


_TARGET = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=)\s*(.+?)\s*$")


@dataclass(frozen=True)
class Target:
    """A result to reach with a given probability (the reverse planner's constraint).

    Attributes:
        metric: the metric (``revenue``).
        comparison: ``">="`` or ``"<="``.
        value: the threshold.
        probability: the least acceptable chance of reaching it.
    """

    metric: str
    comparison: Literal[">=", "<="]
    value: float
    probability: float

    @classmethod
    def parse(cls, text: str, probability: float) -> Target:
        """``revenue>=5e7`` (also ``50M``) and the probability.

        Raises:
            ExperimentError: a malformed target, unknown metric or probability.
        """
        found = _TARGET.match(text)
        where = f"--target {text}"
        if not found:
            raise ExperimentError(f"{where}: expected METRIC>=VALUE or METRIC<=VALUE, e.g. "
                                  "revenue>=60M")
        metric, comparison, raw = found.groups()
        check_metric(metric, "--target")
        try:
            value = read_number(raw.strip(), where)
        except BudgetError as exc:
            raise ExperimentError(str(exc)) from None
        if not 0 < probability < 1:
            raise ExperimentError(f"--probability {probability:g}: expected a probability "
                                  "between 0 and 1")
        return cls(metric, ">=" if comparison == ">=" else "<=", value, probability)

    def reached(self, x: NDArray[np.float64]) -> float:
        """The share of outcomes that reach the threshold."""
        x = np.asarray(x, dtype=float).ravel()
        x = x[~np.isnan(x)]
        if x.size == 0:
            return 0.0
        return float(np.mean(x >= self.value) if self.comparison == ">=" else
                     np.mean(x <= self.value))

    def describe(self) -> str:
        """``revenue >= 60,000,000 with probability 0.8``."""
        return f"{self.metric} {self.comparison} {self.value:,.6g} with probability " \
               f"{self.probability:g}"

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict."""
        return {"metric": self.metric, "comparison": self.comparison, "value": self.value,
                "probability": self.probability}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Target:
        """The inverse of :meth:`to_json`."""
        return cls(data["metric"], data["comparison"], float(data["value"]),
                   float(data["probability"]))


@dataclass(frozen=True)
class LeverProblem:
    """What the search looks for, independent of how a plan is evaluated.

    Attributes:
        levers: the decisions.
        objective: the metric scored.
        goal: whether higher (``max``) or lower (``min``) is better.
        risk: how a plan's spread of outcomes is scored.
        budget: a linear constraint on the levers, or ``None``.
        target: a result to reach with a probability (reverse planner), or ``None``.
        trials: candidates the search evaluates (plans over the budget included).
        batch: candidates asked for at a time (evaluated in parallel).
        top: the best candidates evaluated again with more replications.
        seed: the root seed (the sampler and the bootstraps have their own streams).
        reference: today's plan (the levers' current values), evaluated with the
            finalists; ``None`` leaves it out.
        bootstrap: resamples for the CIs and the paired comparisons.
    """

    levers: tuple[Lever, ...]
    objective: str
    goal: Goal
    risk: Risk = field(default_factory=Risk)
    budget: LinearConstraint | None = None
    target: Target | None = None
    trials: int = 48
    batch: int = 4
    top: int = 5
    seed: int = 0
    reference: Mapping[str, float] | None = None
    bootstrap: int = 1000

    def metrics(self) -> list[str]:
        """The metrics the search reads."""
        names = [self.objective, FIRST_YEAR]
        if self.target is not None:
            names.append(self.target.metric)
        return list(dict.fromkeys(names))

    def sampler_seed(self) -> int:
        """The sampler's seed, from its own branch of the seed tree."""
        seq = np.random.SeedSequence(self.seed, spawn_key=(EXPERIMENT_KEY, SAMPLER_STREAM))
        return int(seq.generate_state(1)[0])

    def bootstrap_rng(self) -> np.random.Generator:
        """The generator of the bootstraps, from its own branch of the seed tree."""
        return np.random.Generator(np.random.PCG64(
            np.random.SeedSequence(self.seed, spawn_key=(EXPERIMENT_KEY, BOOTSTRAP_STREAM))))


# --- the search ------------------------------------------------------------------------------


@dataclass
class Candidate:
    """One plan the search proposed, and what it gave.

    Attributes:
        trial: the trial number (in the order the sampler proposed it).
        plan: lever -> value.
        feasible_budget: whether it meets the budget (otherwise never simulated).
        samples: its evaluated metrics (``None``: not simulated).
        score: its risk score (higher is better; NaN when not simulated).
        reached: the share of its outcomes reaching the target (NaN without one).
    """

    trial: int
    plan: Plan
    feasible_budget: bool
    samples: Samples | None = None
    score: float = math.nan
    reached: float = math.nan

    @property
    def feasible(self) -> bool:
        """Within the budget, simulated, and reaching the target often enough."""
        return self.feasible_budget and self.samples is not None and not math.isnan(
            self.score)

    def metric_mean(self, name: str) -> float:
        """A metric's mean over the samples (NaN if not simulated or absent)."""
        if self.samples is None or name not in self.samples:
            return math.nan
        x = self.samples[name]
        return float(np.nanmean(x)) if np.any(~np.isnan(x)) else math.nan


@dataclass(frozen=True)
class Finalist:
    """A plan evaluated again with more replications.

    Attributes:
        plan: lever -> value (``reference`` marks today's plan).
        samples: its metrics over the final samples.
        score: risk score (higher is better).
        value: the risk measure in the metric's unit (or a probability).
        ci_low, ci_high: 95% CI of the risk measure.
        reached: the share of outcomes reaching the target (NaN without one).
        reached_low, reached_high: 95% CI of that share.
        difference: risk measure minus the best plan's (paired).
        difference_low, difference_high: its 95% CI.
        not_worse: whether the difference to the best is not detectable at 95%.
        is_reference: whether this is today's plan.
    """

    plan: Plan
    samples: Samples
    score: float
    value: float
    ci_low: float
    ci_high: float
    reached: float
    reached_low: float
    reached_high: float
    difference: float = math.nan
    difference_low: float = math.nan
    difference_high: float = math.nan
    not_worse: bool = False
    is_reference: bool = False


@dataclass(frozen=True)
class LeverOutcome:
    """What the search found.

    Attributes:
        problem: the problem.
        candidates: every candidate, in trial order.
        finalists: the best candidates (and today's plan) evaluated again,
            best first; today's plan last if it is not among the best.
        best: the index of the best finalist (``None``: no plan met the
            budget and the target).
        replications, final_replications: the samples' replications per draw.
        vs_reference: the best plan against today's plan on the objective
            (:func:`~sim.experiments.uncertainty.decide`), if today's plan was given.
    """

    problem: LeverProblem
    candidates: list[Candidate]
    finalists: list[Finalist]
    best: int | None
    replications: int
    final_replications: int
    vs_reference: Decision | None = None

    @property
    def best_plan(self) -> Finalist | None:
        """The best finalist, if any."""
        return None if self.best is None else self.finalists[self.best]

    def pareto(self) -> list[int]:
        """Candidates no other beats on both first-year bookings and the objective.

        Indices into :attr:`candidates` (simulated, within the budget), by
        first-year bookings.
        """
        sign = 1.0 if self.problem.goal == "max" else -1.0
        points = [(i, c.metric_mean(FIRST_YEAR), sign * c.metric_mean(self.problem.objective))
                  for i, c in enumerate(self.candidates) if c.feasible_budget and c.samples]
        points = [p for p in points if not (math.isnan(p[1]) or math.isnan(p[2]))]
        front = []
        for i, x, y in points:
            dominated = any((x2 >= x and y2 >= y) and (x2 > x or y2 > y)
                            for _, x2, y2 in points)
            if not dominated:
                front.append((x, i))
        return [i for _, i in sorted(front)]


def plan_key(plan: Mapping[str, float]) -> str:
    """A stable text key of a plan."""
    return json.dumps({k: json_value(v) for k, v in sorted(plan.items())},
                      separators=(",", ":"))


def _suggest(trial: Any, levers: Sequence[Lever]) -> Plan:
    plan: Plan = {}
    for lever in levers:
        if lever.integer:
            plan[lever.key] = int(trial.suggest_int(lever.key, int(lever.low), int(lever.high)))
        else:
            plan[lever.key] = float(trial.suggest_float(lever.key, lever.low, lever.high))
    return plan


# The names of the constraints the sampler is told, in the order of _violations.
_CONSTRAINTS = ("budget", "target")


def _violations(problem: LeverProblem, plan: Mapping[str, float], reached: float
                ) -> list[float]:
    """Constraint values for the sampler (> 0 breaks a constraint)."""
    out = [0.0, 0.0]
    if problem.budget is not None:
        out[0] = -problem.budget.slack(plan) / max(abs(problem.budget.bound), 1.0)
    if problem.target is not None:
        out[1] = problem.target.probability - (0.0 if math.isnan(reached) else reached)
    return out


def _quiet_optuna() -> Callable[[], None]:
    """Silence Optuna's per-trial log lines; return what restores the previous level."""
    import optuna

    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return lambda: optuna.logging.set_verbosity(before)


def _measure(problem: LeverProblem, samples: Samples) -> tuple[float, float]:
    """(score, share reaching the target) of a plan's samples."""
    objective = samples[problem.objective]
    score = problem.risk.score(objective, problem.goal)
    reached = math.nan
    if problem.target is not None:
        reached = problem.target.reached(samples[problem.target.metric])
    return score, reached


def search(problem: LeverProblem, evaluate: Evaluate, replications: int,
           on_round: Callable[[int], None] | None = None) -> list[Candidate]:
    """Run the TPE search; return every candidate in trial order.

    Args:
        problem: what to look for.
        evaluate: evaluates plans with a number of replications per draw;
            ``None`` for a plan that cannot be evaluated (an invalid scenario).
        replications: replications per draw of every candidate.
        on_round: called with the number of trials done after each batch.
    """
    import optuna

    restore = _quiet_optuna()
    try:
        sampler = optuna.samplers.TPESampler(
            seed=problem.sampler_seed(), multivariate=True, constant_liar=True,
            n_startup_trials=max(4, min(10, problem.trials // 4)),
        )
        with warnings.catch_warnings():
            # Multivariate TPE and constraints are flagged experimental; their results are
            # what the validation tests check.
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study = optuna.create_study(direction="maximize", sampler=sampler)
            candidates: list[Candidate] = []
            seen: dict[str, Candidate] = {}
            while len(candidates) < problem.trials:
                size = min(problem.batch, problem.trials - len(candidates))
                trials = [study.ask() for _ in range(size)]
                batch = []
                for t in trials:
                    plan = _suggest(t, problem.levers)
                    within = problem.budget is None or problem.budget.met(plan)
                    batch.append(Candidate(t.number, plan, within))
                # Each distinct new plan within the budget is evaluated once.
                fresh: dict[str, Candidate] = {}
                for c in batch:
                    if c.feasible_budget and plan_key(c.plan) not in seen:
                        fresh.setdefault(plan_key(c.plan), c)
                results = evaluate([c.plan for c in fresh.values()], replications) \
                    if fresh else []
                for c, samples in zip(fresh.values(), results, strict=True):
                    c.samples = samples
                    if samples is not None:
                        c.score, c.reached = _measure(problem, samples)
                    seen[plan_key(c.plan)] = c
                scored = [c.score for c in candidates + batch if not math.isnan(c.score)]
                # Plans over the budget are not simulated: they are told the worst score
                # so far, and the constraints rank them below every plan within it.
                worst = min(scored, default=0.0)
                for t, c in zip(trials, batch, strict=True):
                    twin = seen.get(plan_key(c.plan))
                    if c.feasible_budget and twin is not None and twin is not c:
                        c.samples, c.score, c.reached = twin.samples, twin.score, twin.reached
                    constraints = _violations(problem, c.plan, c.reached)
                    if c.feasible_budget and c.samples is None:  # an invalid scenario
                        constraints = [max(v, 1.0) for v in constraints]
                    for name, value in zip(_CONSTRAINTS, constraints, strict=False):
                        t.set_constraint(name, value)
                    study.tell(t, c.score if not math.isnan(c.score) else worst)
                candidates.extend(batch)
                if on_round is not None:
                    on_round(len(candidates))
        return candidates
    finally:
        restore()


def _bootstrap_indices(samples: NDArray[np.float64], rng: np.random.Generator, n: int
                       ) -> list[NDArray[np.intp]]:
    """Resampled sample indices: whole draws when there are several, else replications."""
    draws, reps = samples.shape
    if draws > 1:
        picks = rng.integers(0, draws, size=(n, draws))
        return [np.concatenate([np.arange(d * reps, (d + 1) * reps) for d in row])
                for row in picks]
    return list(rng.integers(0, reps, size=(n, reps)))


def _finalise(problem: LeverProblem, plans: Sequence[Plan], samples: Sequence[Samples],
              references: Sequence[bool]) -> tuple[list[Finalist], int | None]:
    """Scores, CIs and paired differences to the best of the final evaluations."""
    rng = problem.bootstrap_rng()
    first = samples[0][problem.objective]
    picks = _bootstrap_indices(first, rng, problem.bootstrap)
    flat = [s[problem.objective].ravel() for s in samples]
    values = [problem.risk.value(x, problem.goal) for x in flat]
    scores = [problem.risk.score(x, problem.goal) for x in flat]
    boot = np.array([[problem.risk.value(x[idx], problem.goal) for idx in picks] for x in flat])
    reached = []
    for s in samples:
        if problem.target is None:
            reached.append((math.nan, math.nan, math.nan))
            continue
        hits = s[problem.target.metric].ravel()
        shares = [problem.target.reached(hits[idx]) for idx in picks]
        reached.append((problem.target.reached(hits), *np.quantile(shares, [0.025, 0.975])))
    # Today's plan is evaluated for comparison; it cannot be the answer if it breaks the budget.
    eligible = [i for i, (s, r) in enumerate(zip(scores, reached, strict=True))
                if not math.isnan(s)
                and (problem.target is None or r[0] >= problem.target.probability)
                and (problem.budget is None or problem.budget.met(plans[i]))]
    best = max(eligible, key=lambda i: (scores[i], -i)) if eligible else None
    out = []
    for i, plan in enumerate(plans):
        low, high = _interval(problem, flat[i], boot[i], samples[i][problem.objective])
        diff = lo_d = hi_d = math.nan
        not_worse = False
        if best is not None:
            diff = values[i] - values[best]
            if i == best:
                lo_d = hi_d = 0.0
                not_worse = True
            elif problem.risk.kind == "mean":
                _, lo_d, hi_d = mean_ci(_units(samples[i][problem.objective]
                                               - samples[best][problem.objective]))
            else:
                paired = boot[i] - boot[best]
                lo_d, hi_d = (float(v) for v in np.nanquantile(paired, [0.025, 0.975]))
            if i != best:
                # Not detectably worse: the paired interval holds 0 (or is undefined, with
                # too few samples to tell), and the plan is itself an acceptable answer.
                inside = not (lo_d > 0 or hi_d < 0)
                not_worse = inside and i in eligible
        out.append(Finalist(dict(plan), samples[i], scores[i], values[i], low, high,
                            reached[i][0], float(reached[i][1]), float(reached[i][2]),
                            diff, lo_d, hi_d, not_worse, references[i]))
    return out, best


def _units(grid: NDArray[np.float64]) -> NDArray[np.float64]:
    """The independent units of a (draws, replications) grid: draw means, or replications.

    Replications within a draw share its world; across draws everything is
    independent. With one draw, the replications are the independent units.
    """
    rows = grid if grid.shape[0] > 1 else grid.reshape(-1, 1)
    with np.errstate(invalid="ignore"):
        return np.array([np.nanmean(r) if np.any(~np.isnan(r)) else math.nan for r in rows])


def _interval(problem: LeverProblem, x: NDArray[np.float64], boot: NDArray[np.float64],
              grid: NDArray[np.float64]) -> tuple[float, float]:
    """95% CI of a plan's risk measure: t over independent units for a mean, else bootstrap."""
    if problem.risk.kind == "mean":
        _, low, high = mean_ci(_units(grid))
        return low, high
    low, high = np.nanquantile(boot, [0.025, 0.975])
    return float(low), float(high)


def optimize_levers(problem: LeverProblem, evaluate: Evaluate, replications: int,
                    final_replications: int,
                    on_round: Callable[[int], None] | None = None) -> LeverOutcome:
    """Search, then evaluate the best candidates again and pick the best plan.

    Args:
        problem: what to look for.
        evaluate: the evaluation of plans (see :func:`search`); the same
            sample indices for every plan give common random numbers.
        replications: replications per draw during the search.
        final_replications: replications per draw of the finalists (at least
            ``replications``; the first ones are the search's, reused).
        on_round: called with the trials done after each batch of the search.

    Raises:
        ValueError: ``final_replications < replications``.
    """
    if final_replications < replications:
        raise ValueError(f"final_replications ({final_replications}) must be >= "
                         f"replications ({replications})")
    candidates = search(problem, evaluate, replications, on_round)
    ranked = _ranked(problem, candidates)
    plans = [dict(c.plan) for c in ranked[: problem.top]]
    references = [False] * len(plans)
    if problem.reference is not None:
        today: Plan = {lever.key: (round(problem.reference[lever.key]) if lever.integer
                                   else float(problem.reference[lever.key]))
                       for lever in problem.levers}
        match = [i for i, p in enumerate(plans) if plan_key(p) == plan_key(today)]
        if match:
            references[match[0]] = True
        else:
            plans.append(today)
            references.append(True)
    evaluated = evaluate(plans, final_replications) if plans else []
    kept = [(p, s, r) for p, s, r in zip(plans, evaluated, references, strict=True)
            if s is not None]
    if not kept:
        return LeverOutcome(problem, candidates, [], None, replications, final_replications)
    finalists, best = _finalise(problem, [k[0] for k in kept], [k[1] for k in kept],
                                [k[2] for k in kept])
    order = sorted(range(len(finalists)), key=lambda i: (
        finalists[i].is_reference and i != best,
        -(finalists[i].score if not math.isnan(finalists[i].score) else -math.inf)))
    finalists = [finalists[i] for i in order]
    best = order.index(best) if best is not None else None
    versus = None
    if best is not None:
        today_i = [i for i, f in enumerate(finalists) if f.is_reference]
        if today_i and today_i[0] != best:
            way = 1 if problem.goal == "max" else -1
            mine = finalists[best].samples[problem.objective]
            theirs = finalists[today_i[0]].samples[problem.objective]
            if mine.shape[0] == 1:  # luck only: each replication is an independent pair
                mine, theirs = mine.T, theirs.T
            versus = decide(mine, theirs, problem.objective, way)
    return LeverOutcome(problem, candidates, finalists, best, replications,
                        final_replications, versus)


def _ranked(problem: LeverProblem, candidates: Sequence[Candidate]) -> list[Candidate]:
    """Distinct simulated candidates within the budget, best first.

    With a target, those reaching it often enough come first (by score), then
    the rest by how often they reach it: the finalists are the plans most
    likely to meet the target cheaply.
    """
    unique: dict[str, Candidate] = {}
    for c in candidates:
        if c.feasible:
            unique.setdefault(plan_key(c.plan), c)
    items = list(unique.values())
    if problem.target is None:
        return sorted(items, key=lambda c: -c.score)
    p = problem.target.probability
    return sorted(items, key=lambda c: (c.reached < p, -c.score if c.reached >= p else
                                        -c.reached))


# --- the design of a run on the simulator ------------------------------------------------------


def parse_levers(base: Scenario, options: Sequence[str], integer: Sequence[str] = ()
                 ) -> tuple[Lever, ...]:
    """Levers from ``--param KEY=LOW:HIGH`` options, checked against the scenario.

    Raises:
        ExperimentError: a malformed option, a key given twice, an unknown or
            non-numeric key, whole-number bounds missing, a range outside the
            field's valid values, ``--integer`` naming a key that is not a lever.
    """
    levers = []
    keys: list[str] = []
    for option in options:
        key, low, high = parse_param(option)
        if key in keys:
            raise ExperimentError(f"--param {key}: given twice")
        keys.append(key)
        try:
            facts = field_facts(base, key, "--param")
        except AssumptionError as exc:
            raise ExperimentError(str(exc)) from None
        whole = facts.integer or key in integer
        if whole and (low != int(low) or high != int(high)):
            raise ExperimentError(f"--param {option}: a whole-number parameter needs "
                                  f"whole-number bounds, got {low:g}:{high:g}")
        if not facts.admits(low, high):
            raise ExperimentError(f"--param {option}: the range goes outside the field's valid "
                                  f"values ({facts.bounds_text()})")
        for value in (low, high):
            with_values(base, {key: int(value) if whole else value}, "--param")
        levers.append(Lever(key, low, high, whole))
    for key in integer:
        if key not in keys:
            raise ExperimentError(f"--integer {key}: not a --param of this optimisation")
    return tuple(levers)


def check_budget(budget: LinearConstraint, levers: Sequence[Lever], base: Scenario
                 ) -> LinearConstraint:
    """The budget with the keys that are not levers folded in as constants; checked.

    Raises:
        BudgetError: a key that is not a number of the scenario, or a budget no
            plan within the levers' ranges can meet.
    """
    lever_keys = {lever.key for lever in levers}
    constants = {}
    for key in budget.keys:
        if key in lever_keys:
            continue
        try:
            constants[key] = field_facts(base, key, "--budget").value
        except AssumptionError as exc:
            raise BudgetError(str(exc)) from None
    folded = budget.with_constants(constants)
    if not folded.terms:
        raise BudgetError(f"--budget {budget.text!r}: names none of the --param keys, so it "
                          "constrains nothing")
    low, high = folded.extremes({lever.key: (lever.low, lever.high) for lever in levers})
    best = low if folded.comparison == "<=" else high
    if (folded.comparison == "<=" and best > folded.bound * (1 + 1e-12) + 1e-9) or (
            folded.comparison == ">=" and best < folded.bound * (1 - 1e-12) - 1e-9):
        raise BudgetError(f"--budget {budget.text!r}: no plan within the --param ranges meets "
                          f"it: the {'least' if folded.comparison == '<=' else 'most'} the "
                          f"left side can be is {number_text(best)}")
    return folded


@dataclass(frozen=True)
class LeverSpec:
    """A multi-lever optimisation on the simulator.

    Attributes:
        base: the base scenario (with the common seed).
        file: where it came from.
        problem: the levers, objective, risk, budget, target and search settings.
        replications: replications per draw during the search.
        final_replications: replications per draw of the finalists.
        assumptions: uncertain assumptions (empty: luck only).
        draws: their drawn values, one mapping per draw (``({},)``: none).
    """

    base: Scenario
    file: str
    problem: LeverProblem
    replications: int
    final_replications: int
    assumptions: AssumptionSet
    draws: tuple[Mapping[str, Any], ...]

    command = "optimize"
    design_name = DESIGN
    default_replications = 4
    default_trials = LeverProblem.trials
    default_batch = LeverProblem.batch
    default_top = LeverProblem.top

    @property
    def seed(self) -> int:
        """The root seed."""
        return self.problem.seed

    @classmethod
    def build(cls, base: Scenario, levers: Sequence[Lever], objective: str, *,
              goal: Goal | None = None, risk: Risk | None = None,
              budget: LinearConstraint | None = None, target: Target | None = None,
              file: str = "", seed: int | None = None, replications: int | None = None,
              final_replications: int | None = None, trials: int | None = None,
              batch: int | None = None, top: int | None = None,
              assumptions: AssumptionSet | None = None, draws: int = 0) -> LeverSpec:
        """A validated multi-lever optimisation (nothing runs).

        Raises:
            ExperimentError: a bad objective, goal, risk, count, budget or target.
            AssumptionError: a draw that makes the scenario invalid.
        """
        if not levers:
            raise ExperimentError("optimize: expected at least one --param KEY=LOW:HIGH")
        objective = OBJECTIVE_ALIASES.get(objective, objective)
        check_metric(objective)
        goal = resolve_goal(objective, goal)
        risk = risk or Risk()
        trials = trials or cls.default_trials
        batch = batch or cls.default_batch
        top = top or cls.default_top
        if trials < 2:
            raise ExperimentError(f"--trials: expected at least 2, got {trials}")
        if batch > trials:
            raise ExperimentError(f"--batch {batch}: expected at most --trials ({trials})")
        folded = check_budget(budget, levers, base) if budget is not None else None
        n = replications or cls.default_replications
        final = final_replications or 4 * n
        if final < n:
            raise ExperimentError(f"--final-replications {final}: expected at least the "
                                  f"replications ({n})")
        seed = base.seed if seed is None else seed
        base = base if base.seed == seed else base.with_overrides({"seed": seed})
        assumptions = assumptions or AssumptionSet()
        values: tuple[Mapping[str, Any], ...] = ({},)
        if draws:
            if draws < 2:
                raise ExperimentError(f"--uncertainty: expected at least 2 draws, got {draws}")
            values = tuple(assumptions.draw(draws, seed))
            check_worlds([base], [base.name], values)
        today = {lever.key: field_facts(base, lever.key, "--param").value for lever in levers}
        problem = LeverProblem(tuple(levers), objective, goal, risk, folded, target, trials,
                               batch, top, seed, today)
        return cls(base, str(file), problem, n, final, assumptions, values)

    @property
    def design(self) -> SampleDesign:
        """The search's samples (the finalists' have more replications)."""
        return SampleDesign(self.draws, self.replications, self.final_replications)

    def to_json(self) -> dict[str, Any]:
        """The definition stored in ``experiment.json``."""
        p = self.problem
        return {
            "command": self.command, "design": self.design_name, "seed": p.seed,
            "file": self.file, "objective": p.objective, "goal": p.goal,
            "risk": p.risk.to_json(), "levers": [lever.to_json() for lever in p.levers],
            "budget": None if p.budget is None else p.budget.to_json(),
            "target": None if p.target is None else p.target.to_json(),
            "trials": p.trials, "batch": p.batch, "top": p.top, "bootstrap": p.bootstrap,
            "reference": None if p.reference is None else dict(p.reference),
            "replications": self.replications, "final_replications": self.final_replications,
            "assumptions": self.assumptions.to_json(), "draws": [dict(d) for d in self.draws],
            "base": self.base.model_dump(mode="json"),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LeverSpec:
        """The inverse of :meth:`to_json`."""
        problem = LeverProblem(
            tuple(Lever.from_json(x) for x in data["levers"]), data["objective"], data["goal"],
            Risk.from_json(data["risk"]),
            None if data["budget"] is None else LinearConstraint.from_json(data["budget"]),
            None if data["target"] is None else Target.from_json(data["target"]),
            int(data["trials"]), int(data["batch"]), int(data["top"]), int(data["seed"]),
            data.get("reference"), int(data["bootstrap"]))
        return cls(Scenario.model_validate(data["base"]), str(data["file"]), problem,
                   int(data["replications"]), int(data["final_replications"]),
                   AssumptionSet.from_json(data["assumptions"]),
                   tuple(dict(d) for d in data["draws"]))


def simulator(spec: LeverSpec, evaluator: Evaluator) -> Evaluate:
    """The evaluation of plans on the simulator, for :func:`optimize_levers`.

    A plan that makes an invalid scenario (a rule across fields) is not run
    and counts as infeasible.
    """
    levers = {lever.key for lever in spec.problem.levers}

    def evaluate(plans: Sequence[Mapping[str, float]], replications: int
                 ) -> list[Samples | None]:
        design = spec.design.with_replications(replications)
        points = []
        valid: list[str | None] = []
        for plan in plans:
            values = {k: (int(v) if k in levers and _whole(spec, k) else float(v))
                      for k, v in plan.items()}
            try:
                scenario = with_values(spec.base, values, "--param")
            except ExperimentError:
                valid.append(None)
                continue
            pid = point_id("plan", values)
            points.append((pid, scenario))
            valid.append(pid)
        results = evaluator.evaluate(points, design) if points else {}
        return [None if pid is None else results[pid] for pid in valid]

    return evaluate


def _whole(spec: LeverSpec, key: str) -> bool:
    return any(lever.integer for lever in spec.problem.levers if lever.key == key)


@dataclass(frozen=True)
class LeverResult:
    """A finished multi-lever optimisation on the simulator.

    Attributes:
        spec: the optimisation.
        outcome: what the search found (:class:`LeverOutcome`).
    """

    spec: LeverSpec
    outcome: LeverOutcome

    @property
    def replications(self) -> int:
        """Replications per draw of the finalists."""
        return self.spec.final_replications

    def trials_table(self) -> pd.DataFrame:
        """One row per candidate: the plan, budget, score, objective, target, Pareto mark."""
        p = self.spec.problem
        front = set(self.outcome.pareto())
        rows = []
        for i, c in enumerate(self.outcome.candidates):
            row: dict[str, Any] = {"trial": c.trial, **c.plan}
            if p.budget is not None:
                row["budget_total"] = p.budget.total(c.plan)
            row["within_budget"] = c.feasible_budget
            row["simulated"] = c.samples is not None
            row["score"] = c.score
            row[p.objective] = c.metric_mean(p.objective)
            row[FIRST_YEAR] = c.metric_mean(FIRST_YEAR)
            if p.target is not None:
                row["target_reached"] = c.reached
            row["pareto"] = i in front
            rows.append(row)
        return pd.DataFrame(rows)

    def finalists_table(self) -> pd.DataFrame:
        """One row per finalist, best first."""
        p = self.spec.problem
        rows = []
        for i, f in enumerate(self.outcome.finalists):
            row: dict[str, Any] = {"rank": i, **f.plan, "today": f.is_reference,
                                   "best": i == self.outcome.best}
            if p.budget is not None:
                row["budget_total"] = p.budget.total(f.plan)
                row["within_budget"] = p.budget.met(f.plan)
            row.update({"value": f.value, "ci_low": f.ci_low, "ci_high": f.ci_high,
                        "difference": f.difference, "difference_ci_low": f.difference_low,
                        "difference_ci_high": f.difference_high, "not_worse": f.not_worse,
                        f"{p.objective}_mean": _mean(f.samples[p.objective]),
                        f"{FIRST_YEAR}_mean": _mean(f.samples.get(FIRST_YEAR))})
            if p.target is not None:
                row.update({"target_reached": f.reached, "target_ci_low": f.reached_low,
                            "target_ci_high": f.reached_high})
            rows.append(row)
        return pd.DataFrame(rows)

    def tables(self) -> dict[str, pd.DataFrame]:
        """File name -> table."""
        design = self.spec.design.with_replications(self.spec.final_replications)
        finals = {plan_key(f.plan): f.samples for f in self.outcome.finalists}
        return {"trials.csv": self.trials_table(), "finalists.csv": self.finalists_table(),
                "replications.csv": pd.DataFrame(long_table(finals, design, "plan"))}

    def scenario_files(self) -> dict[str, Scenario]:
        """File name -> scenario as run (the base, and the best plan)."""
        files = {"scenario.yaml": self.spec.base}
        best = self.outcome.best_plan
        if best is not None:
            values = {k: (int(v) if _whole(self.spec, k) else v) for k, v in best.plan.items()}
            plan = with_values(self.spec.base, values, "--param")
            # Named for what it is, so a comparison with the base tells the two apart.
            files["best-plan.yaml"] = plan.model_copy(update={
                "name": f"{self.spec.base.name}-best-plan",
                "description": f"The best plan optimize found for '{self.spec.base.name}': "
                + ", ".join(f"{k}={v:.0f}" if abs(v) >= 100 else f"{k}={v:.3g}"
                            for k, v in values.items()) + "."})
        return files

    def to_json(self) -> dict[str, Any]:
        """The object printed by ``optimize --json`` with several levers (NaN as null)."""
        spec, out, p = self.spec, self.outcome, self.spec.problem
        best = out.best_plan

        def finalist(f: Finalist) -> dict[str, Any]:
            return {"plan": {k: json_value(v) for k, v in f.plan.items()},
                    "today": f.is_reference, "value": finite(f.value),
                    "ci": [finite(f.ci_low), finite(f.ci_high)],
                    "difference_to_best": {"mean": finite(f.difference),
                                           "ci": [finite(f.difference_low),
                                                  finite(f.difference_high)]},
                    "not_detectably_worse": f.not_worse,
                    "target_reached": finite(f.reached),
                    "target_ci": [finite(f.reached_low), finite(f.reached_high)],
                    "budget_total": None if p.budget is None else p.budget.total(f.plan),
                    "means": {m: finite(_mean(f.samples.get(m))) for m in p.metrics()}}

        region = [f for f in out.finalists if f.not_worse]
        return {
            "command": "optimize", "design": DESIGN, "scenario": spec.base.name,
            "file": spec.file, "seed": p.seed, "horizon_days": spec.base.horizon_days,
            "objective": p.objective, "goal": p.goal, "risk": p.risk.to_json(),
            "risk_description": p.risk.describe(p.objective, p.goal),
            "levers": [lever.to_json() for lever in p.levers],
            "budget": None if p.budget is None else {**p.budget.to_json(),
                                                     "described": p.budget.describe()},
            "target": None if p.target is None else p.target.to_json(),
            "replications": spec.replications, "final_replications": spec.final_replications,
            "draws": len(spec.draws) if any(spec.draws) else 0,
            "assumptions": spec.assumptions.table(),
            "method": {"name": "optuna-tpe", "trials": p.trials, "batch": p.batch,
                       "top": p.top, "description": METHOD},
            "best": None if best is None else finalist(best),
            "not_detectably_worse": [finalist(f) for f in region],
            "region": {lever.key: [json_value(min(f.plan[lever.key] for f in region)),
                                   json_value(max(f.plan[lever.key] for f in region))]
                       for lever in p.levers} if region else None,
            "finalists": [finalist(f) for f in out.finalists],
            "versus_today": None if out.vs_reference is None else out.vs_reference.to_json(),
            "pareto": [{"trial": out.candidates[i].trial,
                        "plan": {k: json_value(v) for k, v in out.candidates[i].plan.items()},
                        FIRST_YEAR: finite(out.candidates[i].metric_mean(FIRST_YEAR)),
                        p.objective: finite(out.candidates[i].metric_mean(p.objective))}
                       for i in out.pareto()],
            "trials_simulated": sum(c.samples is not None for c in out.candidates),
            "trials_over_budget": sum(not c.feasible_budget for c in out.candidates),
        }


def _mean(x: NDArray[np.float64] | None) -> float:
    if x is None:
        return math.nan
    return float(np.nanmean(x)) if np.any(~np.isnan(x)) else math.nan


def run_levers(spec: LeverSpec, executor: Executor, store: ExperimentStore | None = None,
               progress: Progress | None = None) -> LeverResult:
    """Run a multi-lever optimisation on the simulator (resumable; any executor).

    The candidates are proposed in a fixed order (seeded sampler, fixed
    batches), and every evaluation is keyed by plan and sample, so a resumed
    run proposes the same candidates and runs only what the store lacks.
    """
    p = spec.problem
    # Keyed by scenario, not plan label: two plans making one scenario run it once.
    evaluator = Evaluator(ReusingExecutor(executor), spec.seed, store, progress,
                          build=_world_builder(spec))
    draws = len(spec.draws)
    evaluator.expect(p.trials * draws * spec.replications
                     + (p.top + 1) * draws * (spec.final_replications - spec.replications))
    outcome = optimize_levers(p, simulator(spec, evaluator), spec.replications,
                              spec.final_replications)
    return LeverResult(spec, outcome)


def _world_builder(spec: LeverSpec) -> Callable[[Scenario, Mapping[str, Any]], Scenario]:
    """A draw's values on a plan's scenario; the plan's own levers are not redrawn."""
    levers = {lever.key for lever in spec.problem.levers}

    def build(scenario: Scenario, draw: Mapping[str, Any]) -> Scenario:
        return applied(scenario, {k: v for k, v in draw.items() if k not in levers})

    return build
