"""Backtest: fit on the months before a cut, forecast the held-out months, score coverage.

The export is cut ``K`` calendar months before its end and seen as it was on
the cut day (later closes unknown), and a scenario is fitted to that view.
The forecast rolls the company forward from the cut: each simulation starts on
the cut day (its day 0) from the pipeline open in the export then
(:func:`opening_pipeline`: each open opportunity at its current stage, with
its days there, its amount, segment, source and owner;
:mod:`sim.model.opening` runs it), with the spend plan from the cut on and the
model's warm-up for the arrival of new leads, and runs to the export's end.
Each simulation has its own random numbers and its own parameter draw, so the
spread carries both luck and parameter uncertainty. Each held-out month's
figures are compared with what happened: the error of the predicted mean, and
whether the observed value lies inside the 80 % and 95 % predictive intervals
(Student-t intervals for one more value from the simulations, see
:func:`predictive_interval`).

An export with no opportunities table shows no open pipeline: its forecast
replays the company from the export's first day instead (the earlier method,
which tests the fitted rates and times rather than a roll-forward;
``Backtest.method`` says which ran). The replay is not run beside the
roll-forward: it would double the backtest's time.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
from scipy import stats

from sim.calibration.errors import CrmError
from sim.calibration.estimation import Fit
from sim.calibration.marketing import SpendPeriod, history_scenario
from sim.calibration.parsing import snake
from sim.calibration.scenario_file import scenario_for_draw
from sim.calibration.simulation import SimulationTask, simulate_all
from sim.calibration.tables import CLOSING_STAGES, CrmTables, censor, month_windows
from sim.model.funnel import FunnelModel
from sim.model.opening import OpenDeal, OpeningFunnelModel, OpeningPipeline
from sim.model.records import Source
from sim.model.streams import make_streams
from sim.results.metrics import lead_records
from sim.scenario.schema import Scenario

ROLL_FORWARD = "roll-forward from the pipeline open at the cut"
REPLAY = "replay from the export's first day"

FIGURES = {
    "new_leads": "new leads",
    "mqls": "MQLs",
    "deals_won": "deals won",
    "bookings": "bookings",
}


@dataclass(frozen=True)
class Backtest:
    """The result of a backtest.

    Attributes:
        cut: the first held-out day (days from the export's origin) and its date.
        table: one row per (figure, month): ``figure``, ``month``, ``observed``,
            ``predicted`` (mean), ``p2_5``, ``p10``, ``p90``, ``p97_5``,
            ``error`` (predicted - observed), ``inside_80``, ``inside_95``.
        replications: simulations behind each prediction.
        fit: the fit on the months before the cut.
        method: how the held-out months were forecast (:data:`ROLL_FORWARD`
            or, with no opportunities in the export, :data:`REPLAY`).
        open_deals: deals open at the cut the roll-forward started from.
    """

    cut: float
    cut_date: pd.Timestamp
    table: pd.DataFrame
    replications: int
    fit: Fit
    method: str = ROLL_FORWARD
    open_deals: int = 0

    def coverage(self) -> dict[str, float]:
        """Share of held-out (figure, month) values inside the 80 % and 95 % intervals."""
        return {"80%": float(self.table["inside_80"].mean()),
                "95%": float(self.table["inside_95"].mean())}


def monthly_figures(tables: CrmTables, windows: list[tuple[str, float, float]],
                    figures: list[str]) -> dict[tuple[str, str], float]:
    """Each figure in each window: new leads, MQLs, deals won, bookings (won amounts)."""
    leads = tables.leads
    opps = tables.opportunities
    use_opps = opps is not None and opps["amount"].notna().any() and (
        opps["status"] == "won").any()
    won = (opps[opps["status"] == "won"] if use_opps and opps is not None
           else leads[leads["status"] == "won"])
    out: dict[tuple[str, str], float] = {}
    for label, lo, hi in windows:
        for figure in figures:
            if figure == "new_leads":
                value = float(((leads["created"] >= lo) & (leads["created"] < hi)).sum())
            elif figure == "mqls":
                value = float(((leads["mql"] >= lo) & (leads["mql"] < hi)).sum())
            else:
                inside = (won["closed"] >= lo) & (won["closed"] < hi)
                value = float(inside.sum() if figure == "deals_won"
                              else won.loc[inside, "amount"].fillna(0.0).sum())
            out[(figure, label)] = value
    return out


def predictive_interval(values: np.ndarray) -> np.ndarray:
    """The 95 % and 80 % predictive interval of one more value: ``[p2.5, p10, p90, p97.5]``.

    With ``R`` simulated values of mean ``m`` and spread ``s``, a new value lies
    within ``m +- t(R-1) s sqrt(1 + 1/R)`` (Student's t): unlike the sample
    quantiles of a few simulations, this does not shrink the interval when
    ``R`` is small. Bounds are kept at zero or more (counts and bookings).
    """
    r = values.size
    if r < 2:
        return np.repeat(float(values.mean()), 4)
    m, s = float(values.mean()), float(values.std(ddof=1))
    scale = s * np.sqrt(1.0 + 1.0 / r)
    t95, t80 = stats.t.ppf(0.975, r - 1), stats.t.ppf(0.90, r - 1)
    return np.maximum([m - t95 * scale, m - t80 * scale, m + t80 * scale, m + t95 * scale],
                      0.0)


def run_backtest(
    tables: CrmTables,
    base: Scenario,
    holdout_months: int,
    fit_function: Callable[[CrmTables], Fit],
    *,
    replications: int = 20,
    seed: int | None = None,
    workers: int = 1,
) -> Backtest:
    """Fit on the months before the last ``holdout_months`` and forecast those months.

    Args:
        tables: the whole export.
        base: the base scenario.
        holdout_months: calendar months held out at the end (the last may be partial).
        fit_function: fits a base to an export (the same as the full calibration's).
        replications: simulations of the held-out months (one parameter draw each).
        seed: root seed (default: the base's).
        workers: processes for the simulations.

    Raises:
        CrmError: fewer than three months would be left to fit on.
    """
    windows = month_windows(tables)
    if holdout_months < 1 or holdout_months >= len(windows):
        raise CrmError("--holdout-months", None, None, f"expected 1 to {len(windows) - 1} "
                       f"(the export spans {len(windows)} months), got {holdout_months}")
    held = windows[-holdout_months:]
    cut = held[0][1]
    if cut < 90.0:
        raise CrmError("--holdout-months", None, None, f"{holdout_months} months leave only "
                       f"{cut:.0f} days to fit on; keep at least 90")
    seed = base.seed if seed is None else seed
    seen = censor(tables, cut)
    fitted = fit_function(seen)
    point = fitted.scenario(base)
    draws = fitted.draws or [{}]
    figures = ["new_leads", "deals_won", "bookings"]
    if tables.has("leads", "mql"):
        figures.insert(1, "mqls")
    opening = opening_pipeline(seen, point)
    scenarios = [scenario_for_draw(point, draws[r % len(draws)]) for r in range(replications)]
    if opening is not None:
        schedule = schedule_from(fitted.schedule, cut)
        shifted = [(label, lo - cut, hi - cut) for label, lo, hi in held]
        rolls = [RollForward(history_scenario(sc, schedule, tables.as_of - cut), seed, r,
                             opening, shifted, figures)
                 for r, sc in enumerate(scenarios)]
        simulated = _roll_all(rolls, workers)
    else:
        tasks = [SimulationTask(history_scenario(sc, fitted.schedule, tables.as_of), seed, r,
                                tables.as_of, tables.origin, tables.date_only)
                 for r, sc in enumerate(scenarios)]
        simulated = simulate_all(
            tasks, partial(monthly_figures, windows=held, figures=figures), workers)
    observed = monthly_figures(tables, held, figures)
    rows = []
    for figure in figures:
        for label, _, _ in held:
            values = np.array([s[(figure, label)] for s in simulated])
            q = predictive_interval(values)
            obs = observed[(figure, label)]
            rows.append({
                "figure": FIGURES[figure], "month": label, "observed": obs,
                "predicted": float(values.mean()), "p2_5": q[0], "p10": q[1], "p90": q[2],
                "p97_5": q[3], "error": float(values.mean() - obs),
                "inside_80": bool(q[1] <= obs <= q[2]), "inside_95": bool(q[0] <= obs <= q[3]),
            })
    return Backtest(cut, tables.date(cut), pd.DataFrame(rows), replications, fitted,
                    ROLL_FORWARD if opening is not None else REPLAY,
                    len(opening) if opening is not None else 0)


# -- the roll-forward from the cut ------------------------------------------------------


def opening_pipeline(seen: CrmTables, scenario: Scenario) -> OpeningPipeline | None:
    """The deals open in an export on its day (``seen.as_of``), as the scenario's deals.

    Each open opportunity becomes an :class:`~sim.model.opening.OpenDeal` with
    days counted from the export's day (its day 0): its current stage (the
    last one entered, by name; the first stage if the export has no stage
    history or names a stage the scenario does not have) and the days since it
    entered it; its amount as the deal size (the segment's mean deal size
    when missing); its segment by name (the scenario's largest when unknown);
    its lead's source and creation; and its owner, numbered in name order.

    Returns:
        The opening pipeline; ``None`` if the export has no opportunities table.
    """
    opps = seen.opportunities
    if opps is None:
        return None
    day = seen.as_of
    open_ = opps[opps["status"] == "open"]
    stages = {snake(s.name): j for j, s in enumerate(scenario.sales.stages)}
    segments = {snake(g.name): k for k, g in enumerate(scenario.leads.segments)}
    largest = int(np.argmax([g.share for g in scenario.leads.segments]))
    sizes = [g.deal_size_mean for g in scenario.leads.segments]
    entered: dict[str, float] = {}
    history = seen.stage_history
    if history is not None:
        steps = history[~history["stage"].isin(CLOSING_STAGES)].sort_values("entered")
        last = steps.groupby("opportunity_id", sort=False)["entered"].last()
        entered = dict(zip(last.index.astype(str), last.to_numpy(dtype=float), strict=True))
    n = len(open_)

    def column(frame: pd.DataFrame, name: str, rows: int) -> list[object]:
        return frame[name].tolist() if name in frame else [None] * rows

    owners = sorted({o for o in column(open_, "owner", n) if isinstance(o, str)})
    owner_index = {name: k for k, name in enumerate(owners)}
    sources = {s.name.lower(): s for s in Source}
    leads = seen.leads
    ids = [str(x) for x in column(leads, "lead_id", len(leads))]
    lead_source = {i: sources.get(snake(x) if isinstance(x, str) else "", Source.ORGANIC)
                   for i, x in zip(ids, column(leads, "source", len(leads)), strict=True)}
    lead_day = dict(zip(ids, leads["created"].to_numpy(dtype=float), strict=True))
    amounts = pd.to_numeric(open_["amount"], errors="coerce").to_numpy(dtype=float) if (
        "amount" in open_) else np.full(n, np.nan)
    deals = []
    for created, opp_id, lead_id, stage_name, segment_name, amount, owner in zip(
            open_["created"].to_numpy(dtype=float), column(open_, "opportunity_id", n),
            column(open_, "lead_id", n), column(open_, "stage", n),
            column(open_, "segment", n), amounts.tolist(), column(open_, "owner", n),
            strict=True):
        stage = stages.get(snake(stage_name), -1) if isinstance(stage_name, str) else -1
        since = entered.get(str(opp_id), created) if stage >= 0 else created
        segment = (segments.get(snake(segment_name), largest) if isinstance(segment_name, str)
                   else largest)
        lead_created = lead_day.get(str(lead_id), created)
        if not lead_created <= created:  # unknown (NaN), or after its opportunity
            lead_created = created
        deals.append(OpenDeal(
            segment=segment, stage=max(stage, 0), days_in_stage=max(day - since, 0.0),
            deal_size=amount if amount > 0 else sizes[segment],
            owner=owner_index.get(owner, -1) if isinstance(owner, str) else -1,
            source=lead_source.get(str(lead_id), Source.ORGANIC),
            qualified=min(created - day, 0.0), created=min(lead_created - day, 0.0)))
    return OpeningPipeline(tuple(deals))


def schedule_from(schedule: list[SpendPeriod] | None, cut: float) -> list[SpendPeriod] | None:
    """A spend history seen from day ``cut`` on: the period in force then starts on day 0."""
    if not schedule:
        return schedule
    current = [p for p in schedule if p.start <= cut] or schedule[:1]
    now = current[-1]
    return [SpendPeriod(0.0, now.annual_budget, now.brand_share),
            *(SpendPeriod(p.start - cut, p.annual_budget, p.brand_share)
              for p in schedule if p.start > cut)]


@dataclass(frozen=True)
class RollForward:
    """One simulation of the held-out months from the pipeline open at the cut.

    Attributes:
        scenario: the scenario from the cut (its day 0) to the export's end.
        seed, replication: what fixes its random numbers.
        opening: the deals open at the cut.
        windows: the held-out months, in days from the cut.
        figures: the figures to measure (:data:`FIGURES`).
    """

    scenario: Scenario
    seed: int
    replication: int
    opening: OpeningPipeline
    windows: list[tuple[str, float, float]]
    figures: list[str]


def roll_forward(task: RollForward) -> dict[tuple[str, str], float]:
    """Simulate one roll-forward and measure each figure in each held-out month.

    Every lead of the run counts where its event falls, whatever its creation:
    leads created in the month, hand-offs (warm-up leads handed off after the
    cut included), and deals closed won (the open deals' included) with their
    bookings.
    """
    model: FunnelModel = OpeningFunnelModel(
        task.scenario, make_streams(task.seed, task.replication), task.opening,
        keep_leads=True)
    model.run()
    leads = lead_records(model, include_warm_up=True)
    created = leads["created"].to_numpy(dtype=float)
    mql = leads["mql_time"].to_numpy(dtype=float)
    won = (leads["outcome"] == "won").to_numpy()
    closed = leads["outcome_time"].to_numpy(dtype=float)
    value = leads["value"].to_numpy(dtype=float)
    out: dict[tuple[str, str], float] = {}
    for label, lo, hi in task.windows:
        won_here = won & (closed >= lo) & (closed < hi)
        values = {"new_leads": float(np.count_nonzero((created >= lo) & (created < hi))),
                  "mqls": float(np.count_nonzero((mql >= lo) & (mql < hi))),
                  "deals_won": float(np.count_nonzero(won_here)),
                  "bookings": float(value[won_here].sum())}
        for figure in task.figures:
            out[(figure, label)] = values[figure]
    return out


def _roll_all(tasks: list[RollForward], workers: int) -> list[dict[tuple[str, str], float]]:
    """:func:`roll_forward` of every task, in order, here or in ``workers`` processes."""
    if workers <= 1 or len(tasks) <= 1:
        return [roll_forward(task) for task in tasks]
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
        return list(pool.map(roll_forward, tasks))
