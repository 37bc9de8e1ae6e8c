"""The workshop's logic: levers, presets, baseline vs yours, and the line a trainer reads out.

Nothing here knows about the browser; :mod:`sim.apps.workshop.app` draws what these
functions return. The flow of the comparison screen:

1. :func:`load_presets` reads the files of ``scenarios/`` a room compares
   (alignment stages, incentive plans, budget splits, hand-off, alignment
   levers); a preset is the company the levers start from.
2. :class:`Levers` holds the seven headline levers; :func:`scenario_for`
   applies them to a preset as a change of plan on day 0 (the company ran the
   preset's plan before, so a cut in brand shows its transient).
3. :func:`simulate_runs` runs replications ``0 .. n-1`` of one seed through
   the replication runner the command line uses
   (:func:`sim.experiments.runner.run_replications`; :func:`simulate_many` runs
   several scenarios side by side, and the app's simulation service,
   :mod:`sim.apps.workshop.engine`, hands it replications computed earlier
   through :class:`StoredResults`), and :func:`compare` pairs
   "yours" with the baseline replication by replication
   (:func:`sim.experiments.statistics.paired_difference`): common random
   numbers, so the 95% CI of each paired difference measures the levers, not
   the luck.
4. :func:`takeaway` turns the comparison into one sentence.
"""

from __future__ import annotations

import math
import re
import typing
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, TypeAlias

import pandas as pd

from sim.experiments.executors import (
    Executor,
    ResultCallback,
    Task,
    TaskResult,
    open_executor,
)
from sim.experiments.runner import RunResult, run_replications
from sim.experiments.statistics import mean_ci, paired_difference
from sim.report.format import fmt
from sim.report.tables import cumulative_bookings, funnel_table
from sim.results.catalog import describe
from sim.results.directions import verdict
from sim.scenario.library import packaged_folder
from sim.scenario.loading import load_scenario
from sim.scenario.schema import AlignmentStage, MarketingPlanName, SalesPlanName, Scenario

BASELINE_KEY = "baseline"

# A lever change shows its first replications at once, then refines to REFINED in the
# background; "More replications" doubles that, up to MAX. A game plays QUICK per team.
QUICK_REPLICATIONS = 3
REFINED_REPLICATIONS = 6
MORE_REPLICATIONS = 12
MAX_REPLICATIONS = 48

BASELINE_LABEL = "Baseline"
YOURS_LABEL = "Your plan"


# --- horizons ----------------------------------------------------------------------


@dataclass(frozen=True)
class Horizon:
    """A horizon of the toggle: how long to simulate and which revenue to read.

    Attributes:
        label: the toggle's text (``"90 days"``).
        days: simulated days from day 0.
        metric: the revenue metric of this window (``revenue_90d``, ``revenue_1y``,
            ``revenue``).
        words: the window inside a sentence (``"the first 90 days"``).
        title: the window in a label (``"first 90 days"``).
    """

    label: str
    days: float
    metric: str
    words: str
    title: str


HORIZONS: tuple[Horizon, ...] = (
    Horizon("90 days", 90.0, "revenue_90d", "the first 90 days", "first 90 days"),
    Horizon("1 year", 365.0, "revenue_1y", "the first year", "first year"),
    Horizon("3 years", 1095.0, "revenue", "three years", "three years"),
)
DEFAULT_HORIZON = "1 year"


def horizon(label: str) -> Horizon:
    """The horizon with this toggle label.

    Raises:
        KeyError: an unknown label (the message lists the known ones).
    """
    for h in HORIZONS:
        if h.label == label:
            return h
    raise KeyError(f"unknown horizon {label!r}; expected one of "
                   f"{', '.join(h.label for h in HORIZONS)}")


# --- numbers for a room ------------------------------------------------------------


def money(value: float) -> str:
    """Money with three significant digits, read from the back of a room: ``287 k``, ``1.52 M``."""
    return fmt(value, "money")


def signed_money(value: float) -> str:
    """A difference of money with its sign: ``+287 k``, ``-1.52 M``."""
    return fmt(value, "money", signed=True)


# --- levers ------------------------------------------------------------------------

SALES_PLANS: tuple[str, ...] = typing.get_args(SalesPlanName)
MARKETING_PLANS: tuple[str, ...] = typing.get_args(MarketingPlanName)
ALIGNMENT_STAGES: tuple[str, ...] = typing.get_args(AlignmentStage)

CHOICE_LABELS: dict[str, str] = {
    "revenue_commission": "Revenue commission",
    "quota_accelerator": "Quota with accelerators",
    "shared_revenue": "Shared revenue target",
    "mql_volume": "Paid per MQL",
    "pipeline": "Paid on pipeline",
    "revenue": "Paid on revenue",
    "undefined": "Undefined",
    "defined": "Defined",
    "aligned": "Aligned",
    "integrated": "Integrated",
}


@dataclass(frozen=True)
class LeverSpec:
    """How a lever is shown and bounded: the app builds its controls from these.

    Attributes:
        name: the field of :class:`Levers`.
        key: the scenario's dotted key path (as with ``--set``).
        label: the control's label, for people.
        short: its name inside a sentence (``brand share``).
        help: one sentence on what the lever does in the model.
        kind: ``money``, ``percent``, ``number``, ``count`` or ``choice``.
        low, high, step: the control's range (numbers); inside the schema's bounds.
        choices: the allowed values (``choice``).
        in_game: whether teams may change it from round to round (every lever may:
            ``sales.reps`` is the planned headcount on a timeline, so a team hires or
            lets reps go, with the hiring lag and ramp of ``sales.staffing``).
    """

    name: str
    key: str
    label: str
    short: str
    help: str
    kind: str
    low: float = 0.0
    high: float = 0.0
    step: float = 0.0
    choices: tuple[str, ...] = ()
    in_game: bool = True


LEVERS: tuple[LeverSpec, ...] = (
    LeverSpec("annual_budget", "marketing.annual_budget", "Marketing budget per year", "budget",
              "Brand plus promotion spend per year (currency units).", "money",
              250_000.0, 5_000_000.0, 50_000.0),
    LeverSpec("brand_share", "marketing.brand_share", "Brand share of the budget", "brand share",
              "The rest is promotion: promotion brings leads within weeks, brand builds "
              "equity over months (organic leads, win rates, prices).", "percent",
              0.0, 1.0, 0.01),
    LeverSpec("handoff_threshold", "nurture.handoff_threshold", "Hand-off threshold",
              "hand-off threshold",
              "Lead score at which marketing hands a lead to sales: low sends more, weaker "
              "leads; high sends fewer, stronger ones and lets some go cold.", "number",
              0.1, 0.9, 0.05),
    LeverSpec("reps", "sales.reps", "Sales reps", "reps",
              "Reps working MQLs; each holds a limited number of open deals. In a game, the "
              "headcount from this round on: hires join after the hiring lag, ramp up over "
              "months, and are paid from the day they join.", "count",
              2.0, 20.0, 1.0),
    LeverSpec("sales_plan", "incentives.sales_plan", "Sales incentive plan", "sales plan",
              "How reps are paid: it decides follow-up, cherry-picking and period-end "
              "pushes.", "choice", choices=SALES_PLANS),
    LeverSpec("marketing_plan", "incentives.marketing_plan", "Marketing incentive plan",
              "marketing plan",
              "What marketing is paid on: MQL volume loosens the hand-off and drifts budget "
              "to promotion.", "choice", choices=MARKETING_PLANS),
    LeverSpec("alignment_stage", "alignment.stage", "Alignment stage", "alignment",
              "Kotler et al.'s stages: SLA, shared lead definition, recycling, feedback, "
              "cross-training, and their overhead.", "choice", choices=ALIGNMENT_STAGES),
)
LEVER_SPECS: dict[str, LeverSpec] = {spec.name: spec for spec in LEVERS}
GAME_LEVERS: tuple[str, ...] = tuple(spec.name for spec in LEVERS if spec.in_game)


@dataclass(frozen=True)
class Levers:
    """The headline levers of a plan (hashable, so the app can cache by them)."""

    annual_budget: float
    brand_share: float
    handoff_threshold: float
    reps: int
    sales_plan: str
    marketing_plan: str
    alignment_stage: str

    @classmethod
    def of(cls, scenario: Scenario) -> Levers:
        """The levers a scenario sets (its top level, before any timeline)."""
        return cls(
            annual_budget=float(scenario.marketing.annual_budget),
            brand_share=float(scenario.marketing.brand_share),
            handoff_threshold=float(scenario.nurture.handoff_threshold),
            reps=int(scenario.sales.reps),
            sales_plan=scenario.incentives.sales_plan,
            marketing_plan=scenario.incentives.marketing_plan,
            alignment_stage=scenario.alignment.stage,
        )

    def overrides(self, names: Iterable[str] | None = None) -> dict[str, Any]:
        """Dotted key -> value for :meth:`Scenario.with_overrides` (all levers, or ``names``)."""
        chosen = [f.name for f in fields(self)] if names is None else list(names)
        return {LEVER_SPECS[name].key: getattr(self, name) for name in chosen}

    def with_changes(self, **changes: Any) -> Levers:
        """A copy with some levers changed."""
        return replace(self, **changes)


def likely_moves(levers: Levers, names: Iterable[str] | None = None) -> list[Levers]:
    """The moves a room makes first from a plan: one lever at a time, to an end or a choice.

    Each lever alone to either end of its range or to each other choice (brand
    share to 0%, another incentive plan, another stage...). The app runs them
    ahead, in the background, so those moves answer at once.
    """
    chosen = set(LEVER_SPECS) if names is None else set(names)
    out = []
    for spec in LEVERS:
        if spec.name not in chosen:
            continue
        current = getattr(levers, spec.name)
        if spec.kind == "choice":
            values: tuple[Any, ...] = tuple(c for c in spec.choices if c != current)
        else:
            ends = (int(spec.low), int(spec.high)) if spec.kind == "count" else (
                spec.low, spec.high)
            values = tuple(v for v in ends if v != current)
        out += [levers.with_changes(**{spec.name: v}) for v in values]
    return out


def lever_text(name: str, value: Any) -> str:
    """A lever's value for people: ``2 M``, ``46%``, ``0.50``, ``8``, ``Shared revenue target``."""
    kind = LEVER_SPECS[name].kind
    if kind == "money":
        return money(float(value))
    if kind == "percent":
        return f"{100 * float(value):.0f}%"
    if kind == "number":
        return f"{float(value):.2f}"
    if kind == "count":
        return f"{int(value)}"
    return CHOICE_LABELS.get(str(value), str(value))


def lever_changes(before: Levers, after: Levers, names: Iterable[str] | None = None
                  ) -> list[str]:
    """What changed, in words: ``["brand share 46% → 0%", ...]`` (in the order of LEVERS)."""
    chosen = set(LEVER_SPECS) if names is None else set(names)
    out = []
    for spec in LEVERS:
        if spec.name not in chosen:
            continue
        a, b = getattr(before, spec.name), getattr(after, spec.name)
        if a != b and lever_text(spec.name, a) != lever_text(spec.name, b):
            out.append(f"{spec.short} {lever_text(spec.name, a)} → {lever_text(spec.name, b)}")
    return out


def prior_plan(base: Scenario) -> dict[str, float]:
    """The plan before day 0 written out: the base's prior plan, or its own plan if it has none.

    Pinning it makes a lever change a *change of plan* on day 0: the brand and
    promotion stocks start where the base company's plan left them, so a brand
    cut shows its transient (good for a while, costly later) instead of a
    company that always had the new plan.
    """
    m = base.marketing
    return {
        "marketing.prior_annual_budget": float(
            m.annual_budget if m.prior_annual_budget is None else m.prior_annual_budget),
        "marketing.prior_brand_share": float(
            m.brand_share if m.prior_brand_share is None else m.prior_brand_share),
    }


def plan_overrides(base: Scenario, levers: Levers, names: Iterable[str] | None = None
                   ) -> dict[str, Any]:
    """The levers as overrides of ``base`` (all levers, or ``names``).

    A base that sets the alignment levers one by one (a diagnosed company, a
    preset of the *Alignment levers* group) keeps them while its stage is
    chosen; another stage brings that stage's own levers (the field-by-field
    values are dropped), so moving the stage lever means what it says instead
    of changing only the stage's overhead. Back on the base's stage, the base's
    values return (a timeline step sets them again).
    """
    chosen = [f.name for f in fields(levers)] if names is None else list(names)
    out = levers.overrides(chosen)
    own = base.alignment.levers.model_dump(exclude_none=True)
    if own and "alignment_stage" in chosen:
        out["alignment.levers"] = own if levers.alignment_stage == base.alignment.stage else {}
    return out


def scenario_for(base: Scenario, levers: Levers, horizon_days: float) -> Scenario:
    """The base scenario with the levers applied on day 0, run for ``horizon_days``.

    Raises:
        pydantic.ValidationError: a lever outside the schema's bounds.
    """
    return base.with_overrides({"horizon_days": float(horizon_days), **prior_plan(base),
                                **plan_overrides(base, levers)})


# --- presets -----------------------------------------------------------------------


@dataclass(frozen=True)
class Preset:
    """A scenario file a room can start from.

    Attributes:
        key: the file's stem (``alignment-integrated``).
        group: the list it is shown in (``Alignment stages``...).
        title: a short name for people.
        description: the file's ``description``.
        question: the question the file answers (its ``# Question:`` comment).
        scenario: the validated scenario.
    """

    key: str
    group: str
    title: str
    description: str
    question: str
    scenario: Scenario

    @property
    def levers(self) -> Levers:
        """The levers this preset sets."""
        return Levers.of(self.scenario)


# (group, file-stem pattern, title prefix); a file goes to the first group it matches.
PRESET_GROUPS: tuple[tuple[str, str], ...] = (
    ("Alignment stages", r"alignment-(undefined|defined|aligned|integrated)"),
    ("Incentive plans", r"(sales|marketing|incentives)-.+"),
    ("Budget splits", r"budget-.+"),
    ("Hand-off and response", r"handoff-.+"),
    ("Alignment levers", r"alignment-.+"),
)
_PREFIX_WORDS = {"alignment": "Alignment", "sales": "Sales plan", "marketing": "Marketing plan",
                 "incentives": "Incentives", "budget": "Budget", "handoff": "Hand-off"}
_WORDS = {"mql": "MQL", "sla": "SLA", "mqls": "MQLs"}


def preset_title(stem: str) -> str:
    """``sales-quota-accelerator`` -> ``Sales plan: quota accelerator``."""
    prefix, _, rest = stem.partition("-")
    words = " ".join(_WORDS.get(w, w) for w in rest.split("-"))
    return f"{_PREFIX_WORDS.get(prefix, prefix.capitalize())}: {words}" if rest else stem


def _question(path: Path) -> str:
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        text = line.lstrip("#").strip()
        if text.startswith("Look at:"):
            break
        lines.append(text.removeprefix("Question:").strip())
    return " ".join(t for t in lines if t)


def load_presets(folder: Path | None = None) -> dict[str, Preset]:
    """The presets of the comparison screen, baseline first, then by group.

    ``folder`` defaults to the scenario library shipped with the package
    (:func:`sim.scenario.library.packaged_folder`).

    Files with a timeline are left out (their plan changes during the run, so
    levers set on day 0 would not mean what they say; the game plays such
    stories), and so are files about another company (``small-company*``),
    which a comparison with the baseline would not make sense of.

    Raises:
        sim.scenario.loading.ScenarioError: a file that does not load.
    """
    if folder is None:
        with packaged_folder() as packaged:
            return load_presets(packaged)
    presets: dict[str, Preset] = {}
    base_path = folder / f"{BASELINE_KEY}.yaml"
    base = load_scenario(base_path)
    presets[BASELINE_KEY] = Preset(BASELINE_KEY, "Baseline", "Baseline", base.description,
                                   _question(base_path), base)
    paths = sorted(folder.glob("*.yaml"))
    for group, pattern in PRESET_GROUPS:
        matched = [p for p in paths if re.fullmatch(pattern, p.stem)
                   and p.stem not in presets and p.stem != BASELINE_KEY]
        if group == "Alignment stages":  # in Kotler et al.'s order, not alphabetical
            matched.sort(key=lambda p: ALIGNMENT_STAGES.index(p.stem.split("-", 1)[1]))
        for path in matched:
            scenario = load_scenario(path)
            if scenario.timeline:
                continue
            presets[path.stem] = Preset(path.stem, group, preset_title(path.stem),
                                        scenario.description, _question(path), scenario)
    return presets


# --- replications -----------------------------------------------------------------


@dataclass(frozen=True)
class Runs:
    """Replications ``0 .. n-1`` of one scenario and seed.

    Attributes:
        label: the name shown for it (``Baseline``, ``Your plan``, a team).
        scenario: the scenario as run.
        seed: the root seed.
        per_replication: one row per replication (``replication`` and every metric).
        timeseries: weekly rows of every replication (column ``replication``).
        won_deals: won deals of every replication (column ``replication``).
    """

    label: str
    scenario: Scenario
    seed: int
    per_replication: pd.DataFrame
    timeseries: pd.DataFrame
    won_deals: pd.DataFrame

    @property
    def replications(self) -> int:
        """How many replications."""
        return len(self.per_replication)

    def relabel(self, label: str) -> Runs:
        """The same runs under another name."""
        return replace(self, label=label)

    @classmethod
    def of(cls, label: str, run: RunResult) -> Runs:
        """The tables of a run of the replication runner, under a name.

        A run without a won deal gets an empty table of won deals (with its
        columns), so the charts need not test for ``None``.
        """
        won_deals = run.won_deals if run.won_deals is not None else pd.DataFrame(
            columns=["won_time", "value", "cycle_days", "replication"])
        return cls(label, run.scenario, run.seed, run.per_replication, run.timeseries,
                   won_deals)


def simulate_runs(scenario: Scenario, replications: int, seed: int, label: str,
                  executor: Executor | None = None) -> Runs:
    """Run replications ``0 .. replications-1`` of ``seed`` (common random numbers).

    The replications run through :func:`sim.experiments.runner.run_replications`,
    as ``run`` on the command line does: the same seed and replication give the
    same numbers here, there and in every other scenario of a comparison.

    Args:
        scenario: the scenario to run.
        replications: how many.
        seed: root seed; the same for every scenario of a comparison.
        label: the name the runs are shown under.
        executor: where to run them (a pool the app keeps, left open); serial by default.
    """
    run = run_replications(scenario, replications, seed, executor=executor, label=label)
    return Runs.of(label, run)


class StoredResults(Executor):
    """An executor that hands back replications already computed, in place of running them.

    The runner builds its tables from an executor's results; given this one,
    it builds them from replications computed earlier, elsewhere or all at once
    (:func:`simulate_many`, :mod:`sim.apps.workshop.engine`).

    Args:
        results: the computed results; each task is answered by the one with its
            ``point`` and ``replication`` (or, when no result has that point, its
            replication alone).
    """

    def __init__(self, results: Sequence[TaskResult]) -> None:
        self._by_key = {r.key: r for r in results}
        self._by_replication = {r.replication: r for r in results}

    def _run(self, tasks: list[Task], collect: ResultCallback) -> None:
        for task in tasks:
            found = self._by_key.get(task.key) or self._by_replication[task.replication]
            collect(TaskResult(task.point, task.replication, found.metrics, found.detail))


def simulate_many(jobs: Sequence[tuple[Scenario, str]], replications: int, seed: int,
                  executor: Executor | None = None) -> list[Runs]:
    """Run several scenarios' replications ``0 .. replications-1`` at once.

    Every replication of every scenario goes to the executor in one batch, so
    the teams of a game round (or the variants of a debrief's decomposition)
    run side by side on its workers; each scenario's tables are then built by
    the replication runner, as :func:`simulate_runs` would.

    Args:
        jobs: (scenario, label) pairs; the labels must differ.
        replications: how many of each.
        seed: root seed shared by all (common random numbers).
        executor: where to run them; serial by default.

    Raises:
        ValueError: two jobs with the same label.
    """
    labels = [label for _, label in jobs]
    if len(set(labels)) != len(labels):
        raise ValueError(f"simulate_many: labels must differ; got {labels}")
    tasks = [Task(label, scenario, seed, r, keep_series=True)
             for scenario, label in jobs for r in range(replications)]
    if executor is None:
        with open_executor() as serial:
            results = serial.run(tasks)
    else:
        results = executor.run(tasks)
    by_label: dict[str, list[TaskResult]] = {label: [] for label in labels}
    for result in results:
        by_label[result.point].append(result)
    return [simulate_runs(scenario, replications, seed, label, StoredResults(by_label[label]))
            for scenario, label in jobs]


# The comparison's rows after the horizon's revenue, in the order people read them.
COMPARE_METRICS: tuple[str, ...] = (
    "contribution", "deals_won", "cycle_days_median", "mqls", "lost_never_contacted",
    "first_response_hours_median", "win_rate", "mean_discount", "total_cost",
)


@dataclass(frozen=True)
class Comparison:
    """Baseline vs yours over one horizon, with common random numbers.

    Attributes:
        horizon: the horizon of both runs.
        baseline, yours: the runs (same seed, same replication indices).
        differences: one row per metric: ``metric``, ``label``, ``kind``,
            ``baseline``, ``yours``, ``difference``, ``ci_low``, ``ci_high``,
            ``relative``, ``verdict``, ``n``; the horizon's revenue first.
        by_horizon: revenue over each window up to the horizon (same columns,
            plus ``window`` and ``days``): where the winner can flip.
        identical: yours is the baseline (every replication the same).
        takeaway: one sentence to read out.
    """

    horizon: Horizon
    baseline: Runs
    yours: Runs
    differences: pd.DataFrame
    by_horizon: pd.DataFrame
    identical: bool
    takeaway: str

    @property
    def replications(self) -> int:
        """Paired replications."""
        return min(self.baseline.replications, self.yours.replications)

    def row(self, metric: str) -> pd.Series:
        """The differences row of one metric."""
        return self.differences.set_index("metric").loc[[metric]].iloc[0]


def difference_row(metric: str, label: str, baseline: Runs, yours: Runs,
                   pairs: pd.DataFrame | None = None) -> dict[str, Any]:
    """Yours minus the baseline on one metric, paired by replication, as a table row.

    Args:
        metric: the metric.
        label: the row's label.
        baseline: the baseline's runs.
        yours: the runs compared with it.
        pairs: :func:`paired_rows` of the two runs, if already made (a comparison
            pairs them once for all its rows).

    Returns:
        ``metric``, ``label``, ``kind``, ``baseline`` and ``yours`` (means),
        ``difference``, ``ci_low``, ``ci_high`` (its 95% CI), ``relative``
        (difference over the baseline's mean), ``verdict``
        (:func:`sim.results.directions.verdict`) and ``n`` (pairs used).
    """
    if pairs is None:
        pairs = paired_rows(baseline, yours, [metric])
    d = paired_difference(pairs[f"{metric}_yours"].to_numpy(dtype=float),
                          pairs[f"{metric}_base"].to_numpy(dtype=float))
    return {"metric": metric, "label": label, "kind": describe(metric).kind,
            "baseline": d.reference_mean, "yours": d.other_mean, "difference": d.mean,
            "ci_low": d.ci_low, "ci_high": d.ci_high, "relative": d.relative,
            "verdict": verdict(metric, d.ci_low, d.ci_high), "n": d.n}


def paired_rows(baseline: Runs, yours: Runs, metrics: Sequence[str]) -> pd.DataFrame:
    """The two runs' metrics side by side, one row per replication both have.

    Columns ``replication``, then ``<metric>_base`` and ``<metric>_yours`` for each
    metric: replication ``r`` of one beside replication ``r`` of the other
    (common random numbers), whatever the rows' order.
    """
    columns = ["replication", *dict.fromkeys(metrics)]
    return baseline.per_replication[columns].merge(
        yours.per_replication[columns], on="replication", suffixes=("_base", "_yours"))


def compare(baseline: Runs, yours: Runs, horizon: Horizon) -> Comparison:
    """Pair the runs replication by replication and say what it means.

    Both runs must come from the same seed and replication indices (common
    random numbers) and be run for ``horizon.days``.
    """
    windows_of = [h for h in HORIZONS if h.days <= horizon.days]
    pairs = paired_rows(baseline, yours, [horizon.metric, *COMPARE_METRICS,
                                          *(h.metric for h in windows_of)])
    rows = [difference_row(horizon.metric, f"Revenue, {horizon.title}", baseline, yours, pairs)]
    for metric in COMPARE_METRICS:
        label = describe(metric).label
        if metric in ("contribution", "total_cost"):
            label = f"{label}, {horizon.title}"
        rows.append(difference_row(metric, label, baseline, yours, pairs))
    differences = pd.DataFrame(rows)
    windows = [{"window": h.label, "days": h.days,
                **difference_row(h.metric, f"Revenue, {h.title}", baseline, yours, pairs)}
               for h in windows_of]
    by_horizon = pd.DataFrame(windows)
    metrics = [c for c in baseline.per_replication.columns if c != "replication"]
    identical = baseline.per_replication[metrics].equals(yours.per_replication[metrics])
    text = takeaway(differences, by_horizon, horizon, identical)
    return Comparison(horizon, baseline, yours, differences, by_horizon, identical, text)


# --- the takeaway ------------------------------------------------------------------


# A row of a differences table: a pandas row, or the same as a dict.
Row: TypeAlias = "pd.Series[Any] | Mapping[Hashable, Any]"


def _significant(row: Row) -> int:
    """+1 if the difference's CI is above 0, -1 if below, 0 otherwise."""
    low, high = row["ci_low"], row["ci_high"]
    if low is None or high is None or math.isnan(low) or math.isnan(high):
        return 0
    return 1 if low > 0 else -1 if high < 0 else 0


def _more_less(row: Row) -> str:
    return "more" if row["difference"] > 0 else "less"


def _relative(row: Row) -> str:
    rel = row["relative"]
    return "" if rel is None or math.isnan(rel) else f"{100 * rel:+.0f}%; "


def takeaway(differences: pd.DataFrame, by_horizon: pd.DataFrame, horizon: Horizon,
             identical: bool = False) -> str:
    """One sentence a trainer can read out: who wins on revenue, and the catch.

    The sentence names the horizon's revenue difference with its 95% CI (or, with
    a single replication, says it is a first look), then at most one catch, in
    this order: the winner flips at another horizon; the contribution goes the
    other way (extra revenue that costs more than it brings); or, when nothing
    goes the other way, what happens to the cycle.
    """
    if identical:
        return "Your plan is the baseline: move a lever and watch what changes."
    rows = {row["metric"]: row for row in differences.to_dict("records")}
    main = rows[horizon.metric]
    if main["n"] < 2:  # the first answer, before a second replication gives an interval
        return (f"First look, one replication of each plan: over {horizon.words} your plan "
                f"books {money(abs(main['difference']))} {_more_less(main)} revenue than the "
                f"baseline; more replications are on their way to say whether that is more "
                f"than luck.")
    sign = _significant(main)
    ci = (f"95% CI {signed_money(main['ci_low'])} to "
          f"{signed_money(main['ci_high'])}")
    amount = money(abs(main["difference"]))
    if sign:
        text = (f"Over {horizon.words} your plan books {amount} {_more_less(main)} revenue "
                f"than the baseline ({_relative(main)}{ci})")
    else:
        text = (f"Over {horizon.words} your plan's revenue is within noise of the baseline "
                f"({signed_money(main['difference'])}; {ci})")
    flips = [w for w in by_horizon.to_dict("records")
             if w["metric"] != horizon.metric and _significant(w) and _significant(w) != sign]
    contribution = rows["contribution"]
    cycle = rows["cycle_days_median"]
    if flips:
        w = flips[0]
        lead = "but" if sign else "yet"
        text += (f", {lead} over {horizon_words(w['window'])} it books "
                 f"{money(abs(w['difference']))} {_more_less(w)}")
        text += ": the winner flips with the horizon." if sign else "."
    elif sign and _significant(contribution) == -sign:
        change = "falls" if contribution["difference"] < 0 else "rises"
        why = ("the extra revenue costs more than it brings" if sign > 0
               else "it saves more than the revenue it loses")
        text += (f", but contribution {change} by {money(abs(contribution['difference']))}"
                 f": {why}.")
    elif _significant(cycle):
        pace = "faster" if cycle["difference"] < 0 else "slower"
        days = abs(float(cycle["difference"]))
        amount = f"{days:.0f}" if days >= 1 else f"{days:.1f}"  # never "0 days slower"
        text += f", and closes deals {amount} days {pace} (median lead to close)."
    elif not sign:
        text += ": more replications or a bigger move would tell."
    else:
        text += "."
    return text


def horizon_words(label: str) -> str:
    """``"90 days"`` -> ``"the first 90 days"``."""
    return horizon(label).words


# --- tables behind the charts -----------------------------------------------------


def _tagged(runs: Sequence[Runs], attribute: str) -> pd.DataFrame:
    frames: list[pd.DataFrame] = [getattr(r, attribute).assign(scenario=r.label) for r in runs]
    return pd.concat(frames, ignore_index=True)


def funnel_rows(runs: Sequence[Runs]) -> pd.DataFrame:
    """The funnel and its leaks of each run (:func:`sim.report.tables.funnel_table`)."""
    return funnel_table(_tagged(runs, "per_replication"))


def revenue_over_time(runs: Sequence[Runs]) -> pd.DataFrame:
    """Cumulative revenue booked by week, mean and 95% CI, one block per run."""
    horizon_days = float(runs[0].scenario.horizon_days)
    return cumulative_bookings(_tagged(runs, "timeseries"), horizon_days)


CYCLE_METRICS: tuple[tuple[str, str], ...] = (
    ("cycle_days_median", "Lead to close, median"),
    ("mql_to_won_days_median", "MQL to close, median"),
    ("cycle_days_p90", "Lead to close, slowest 10%"),
)


def cycle_rows(runs: Sequence[Runs]) -> pd.DataFrame:
    """Cycle times (days) of each run, mean and 95% CI.

    Columns: ``scenario``, ``metric``, ``measure``, ``mean``, ``ci_low``, ``ci_high``.
    """
    rows = []
    for r in runs:
        for metric, label in CYCLE_METRICS:
            mean, low, high = mean_ci(r.per_replication[metric].to_numpy(dtype=float))
            rows.append({"scenario": r.label, "metric": metric, "measure": label,
                         "mean": mean, "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows)


def verdict_word(row: Row) -> str:
    """A verdict for a table cell: ``better``, ``worse``, ``higher``, ``within noise``, ``same``."""
    word = str(row["verdict"])
    if word == "no detectable difference":
        return "same" if row["difference"] == 0 else "within noise"
    return "-" if word == "undefined" else word
