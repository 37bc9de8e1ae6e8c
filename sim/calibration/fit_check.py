"""Observed against simulated: what the export shows beside what the calibrated scenario gives.

The calibrated scenario replays the export's period (its spend history, from
the export's first day to the day it was taken, see
:func:`sim.calibration.marketing.history_scenario`) several times, each
replication with its own random numbers and its own parameter draw, so the
spread carries both luck and parameter uncertainty. Each simulated history is
seen through a CRM export taken on the same day as the company's
(:mod:`sim.calibration.simulation`) and summarised exactly as the company's
export is (:func:`summarise`): what the export cannot show yet (a deal too
young to have closed) is missing from both sides alike.

Five views, each a table of observed value, simulated mean and the 80 %
and 95 % predictive intervals of one more simulated history
(:func:`sim.calibration.backtest.predictive_interval`):

* conversion by source: lead -> MQL -> opportunity -> won;
* time to win: quantiles of the days from lead creation to a win (closed
  deals only: a long deal still open on the export day is not counted, on
  either side);
* monthly bookings: won amounts by calendar month;
* the pipeline open on the export day: deals and value, by stage;
* the period-end share: wins in the last days of a sales period as the
  model counts periods (multiples of ``sales.period_days`` from day 0) and
  of calendar quarters.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.backtest import monthly_figures, predictive_interval
from sim.calibration.estimation import Fit
from sim.calibration.knobs import resolved
from sim.calibration.marketing import history_scenario
from sim.calibration.parsing import snake
from sim.calibration.scenario_file import scenario_for_draw
from sim.calibration.simulation import SimulationTask, simulate_all
from sim.calibration.tables import CrmTables, month_windows
from sim.scenario.schema import Scenario

# The steps of the funnel by source, in order: (name, numerator, denominator).
STEPS: tuple[tuple[str, str, str], ...] = (
    ("lead -> MQL", "mqls", "leads"),
    ("MQL -> opportunity", "opportunities", "mqls"),
    ("opportunity -> won", "won", "opportunities"),
    ("lead -> won", "won", "leads"),
)
QUANTILES: tuple[int, ...] = (25, 50, 75, 90)
ALL_SOURCES = "all sources"
# The days a calendar quarter has on average, for the share expected if wins were even.
QUARTER_DAYS = 365.25 / 4


@dataclass(frozen=True)
class Summary:
    """What one export shows, for the fit report (small: it crosses processes).

    Attributes:
        counts: source (and :data:`ALL_SOURCES`) -> ``leads``, ``mqls``,
            ``opportunities``, ``won`` (NaN when the export cannot tell).
        time_to_win: ``p25`` ... ``p90`` of days from lead creation to a win.
        wins_timed: wins behind :attr:`time_to_win`.
        monthly: (figure, month) -> ``deals_won`` or ``bookings`` in that month.
        open_pipeline: ``("all", "deals" | "value")`` and ``(stage, ...)`` on the export day.
        period_end: ``model`` and ``quarter`` -> share of wins in the last days of a period.
        wins_closed: wins behind :attr:`period_end`.
    """

    counts: dict[str, dict[str, float]]
    time_to_win: dict[str, float]
    wins_timed: int
    monthly: dict[tuple[str, str], float]
    open_pipeline: dict[tuple[str, str], float]
    period_end: dict[str, float]
    wins_closed: int


@dataclass(frozen=True)
class PeriodEnd:
    """How the period-end share counts.

    Attributes:
        period_days: length of a sales period (the model's ``sales.period_days``).
        window_days: the last days of a period that count as its end.
    """

    period_days: float
    window_days: float


def summarise(tables: CrmTables, windows: list[tuple[str, float, float]],
              period_end: PeriodEnd) -> Summary:
    """The fit report's figures of one export (a company's or a simulated one).

    Args:
        tables: the export.
        windows: the calendar months to count bookings in (label, first day, end day).
        period_end: how the period-end share counts.
    """
    counts = _counts(tables)
    cycle, won_closes = _wins(tables)
    time_to_win = ({f"p{q}": float(np.percentile(cycle, q)) for q in QUANTILES} if cycle.size
                   else {f"p{q}": math.nan for q in QUANTILES})
    return Summary(
        counts=counts,
        time_to_win=time_to_win,
        wins_timed=int(cycle.size),
        monthly=monthly_figures(tables, windows, ["deals_won", "bookings"]),
        open_pipeline=_open_pipeline(tables),
        period_end=_period_end(tables, won_closes, period_end),
        wins_closed=int(won_closes.size),
    )


def _counts(tables: CrmTables) -> dict[str, dict[str, float]]:
    """Leads, MQLs, opportunities and wins by source (NaN where the export cannot tell)."""
    leads = tables.leads
    mql = leads["mql"].notna() if tables.has("leads", "mql") else None
    opps = tables.opportunities
    opportunity = won = None
    if opps is not None and tables.has("opportunities", "lead_id"):
        opportunity = leads["lead_id"].isin(set(opps["lead_id"].dropna()))
        if tables.has("opportunities", "status"):
            won = leads["lead_id"].isin(set(opps.loc[opps["status"] == "won", "lead_id"]))
    if tables.has("leads", "status"):
        won = leads["status"] == "won"
    source = leads["source"].fillna("unknown").astype(str)
    out: dict[str, dict[str, float]] = {}
    groups = [(ALL_SOURCES, pd.Series(True, index=leads.index))]
    groups += [(str(s), source == s) for s in sorted(source.unique())]
    for name, rows in groups:
        out[name] = {
            "leads": float(rows.sum()),
            "mqls": float((mql & rows).sum()) if mql is not None else math.nan,
            "opportunities": (float((opportunity & rows).sum()) if opportunity is not None
                              else math.nan),
            "won": float((won & rows).sum()) if won is not None else math.nan,
        }
    return out


def _wins(tables: CrmTables) -> tuple[np.ndarray, np.ndarray]:
    """Days from lead creation to each win, and the days the wins closed.

    Lead records give both; an export with no lead outcomes falls back on won
    opportunities (days from the opportunity's creation).
    """
    leads, opps = tables.leads, tables.opportunities
    if tables.has("leads", "status") and tables.has("leads", "closed"):
        won = leads[(leads["status"] == "won") & leads["closed"].notna()]
    elif opps is not None and tables.has("opportunities", "status"):
        won = opps[(opps["status"] == "won") & opps["closed"].notna()]
    else:
        return np.array([]), np.array([])
    cycle = (won["closed"] - won["created"]).to_numpy(dtype=float)
    return cycle[np.isfinite(cycle)], won["closed"].to_numpy(dtype=float)


def _open_pipeline(tables: CrmTables) -> dict[tuple[str, str], float]:
    opps = tables.opportunities
    if opps is None or not tables.has("opportunities", "status"):
        return {}
    is_open = opps[opps["status"] == "open"]
    amount = is_open["amount"].astype(float)
    out = {("all", "deals"): float(len(is_open)),
           ("all", "value"): float(amount.sum()) if amount.notna().any() else math.nan}
    if is_open["stage"].notna().any():
        stage = is_open["stage"].map(lambda s: snake(str(s)) if isinstance(s, str) else s)
        for name, rows in is_open.groupby(stage, sort=False):
            out[(str(name), "deals")] = float(len(rows))
            value = rows["amount"].astype(float)
            out[(str(name), "value")] = float(value.sum()) if value.notna().any() else math.nan
    return out


def _period_end(tables: CrmTables, closes: np.ndarray, how: PeriodEnd) -> dict[str, float]:
    """Shares of wins in the last ``how.window_days`` of model periods and calendar quarters."""
    closes = closes[np.isfinite(closes)]
    if not closes.size:
        return {"model": math.nan, "quarter": math.nan}
    to_period_end = np.ceil(closes / how.period_days) * how.period_days - closes
    stamps = tables.origin + pd.to_timedelta(closes, unit="D")
    to_quarter_end = ((stamps.to_period("Q") + 1).start_time - stamps) / pd.Timedelta(days=1)
    return {"model": float(np.mean(to_period_end <= how.window_days)),
            "quarter": float(np.mean(np.asarray(to_quarter_end) <= how.window_days))}


@dataclass(frozen=True)
class FitCheck:
    """Observed against simulated, one table per view.

    Every table has the columns ``observed``, ``simulated`` (mean over the
    simulated histories), ``p2_5``, ``p10``, ``p90``, ``p97_5`` (the 80 % and
    95 % predictive intervals of one more history) and ``inside_80``,
    ``inside_95`` (whether the observed value lies inside), after the columns
    that say what is measured.

    Attributes:
        conversion: ``source``, ``step``, ``records`` (the step's denominator
            observed), then the shares.
        time_to_win: ``quantile`` and days; ``wins`` observed.
        monthly: ``month``, ``figure`` (deals won, bookings) and the values.
        open_pipeline: ``stage`` (``all`` first), ``measure`` (deals, value).
        period_end: ``periods`` (what counts as a period), ``window_days``,
            ``even`` (the share if wins were spread evenly), then the shares.
        replications: simulated histories.
        period: how the period-end share counts.
        notes: what the comparison assumed, for people.
    """

    conversion: pd.DataFrame
    time_to_win: pd.DataFrame
    monthly: pd.DataFrame
    open_pipeline: pd.DataFrame
    period_end: pd.DataFrame
    replications: int
    period: PeriodEnd
    notes: list[str] = field(default_factory=list)


def period_end_rule(scenario: Scenario, window_days: float | None = None,
                    default_window_days: float = 15.0) -> PeriodEnd:
    """The scenario's sales period and push window (``default_window_days`` when it has none)."""
    x = resolved(scenario)
    window = window_days if window_days is not None else x.incentives.sales.push_window_days
    return PeriodEnd(float(x.sales.period_days), float(window or default_window_days))


def check_fit(
    tables: CrmTables,
    scenario: Scenario,
    fit: Fit,
    *,
    replications: int = 20,
    seed: int = 0,
    workers: int = 1,
    extra_days: float = 120.0,
    period_end: PeriodEnd | None = None,
) -> FitCheck:
    """Simulate the calibrated scenario over the export's period and compare.

    Args:
        tables: the company's export.
        scenario: the calibrated scenario (point estimates).
        fit: its fit (the spend history and the parameter draws).
        replications: simulated histories, each with the next parameter draw.
        seed: root seed of the simulations.
        workers: processes for the simulations.
        extra_days: days simulated past the export day, so deals open on that
            day show every stage they entered by then (as in the fit).
        period_end: how the period-end share counts (default: the scenario's
            sales period and push window).
    """
    rule = period_end or period_end_rule(scenario)
    windows = month_windows(tables)
    draws = fit.draws or [{}]
    tasks = [SimulationTask(history_scenario(scenario_for_draw(scenario, draws[r % len(draws)]),
                                             fit.schedule, tables.as_of + extra_days),
                            seed, r, tables.as_of, tables.origin, tables.date_only)
             for r in range(max(replications, 1))]
    simulated: list[Summary] = simulate_all(
        tasks, partial(summarise, windows=windows, period_end=rule), workers)
    observed = summarise(tables, windows, rule)
    notes = [
        f"Simulated: the calibrated scenario replayed {len(tasks)} times over the export's "
        f"period with its spend history, each replication with its own random numbers and "
        f"parameter draw; intervals are for one more simulated history (Student t).",
    ]
    if fit.draws:
        notes.append(f"Parameter draws used: {min(len(draws), len(tasks))} of {len(draws)}.")
    return FitCheck(
        conversion=_conversion_table(observed, simulated),
        time_to_win=_compare(
            [{"quantile": key, "wins": observed.wins_timed} for key in observed.time_to_win],
            [observed.time_to_win[key] for key in observed.time_to_win],
            [[s.time_to_win[key] for s in simulated] for key in observed.time_to_win]),
        monthly=_monthly_table(observed, simulated, windows),
        open_pipeline=_open_table(observed, simulated, scenario),
        period_end=_period_table(observed, simulated, rule),
        replications=len(tasks),
        period=rule,
        notes=notes,
    )


def _interval(values: list[float], high: float | None = None) -> dict[str, float]:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not v.size:
        return {"simulated": math.nan, "p2_5": math.nan, "p10": math.nan, "p90": math.nan,
                "p97_5": math.nan}
    q = predictive_interval(v)
    if high is not None:
        q = np.minimum(q, high)
    return {"simulated": float(v.mean()), "p2_5": float(q[0]), "p10": float(q[1]),
            "p90": float(q[2]), "p97_5": float(q[3])}


def _compare(labels: Sequence[Mapping[str, Any]], observed: list[float],
             simulated: list[list[float]], high: float | None = None) -> pd.DataFrame:
    """Rows of labels, the observed value, the simulated mean and intervals, inside or not."""
    rows: list[dict[str, Any]] = []
    for label, obs, sims in zip(labels, observed, simulated, strict=True):
        band = _interval(sims, high)
        known = math.isfinite(obs) and math.isfinite(band["simulated"])
        rows.append({**label, "observed": obs, **band,
                     "inside_80": bool(known and band["p10"] <= obs <= band["p90"]),
                     "inside_95": bool(known and band["p2_5"] <= obs <= band["p97_5"])})
    return pd.DataFrame(rows)


def _share(counts: dict[str, float], top: str, bottom: str) -> float:
    n = counts.get(bottom, math.nan)
    return counts.get(top, math.nan) / n if n and math.isfinite(n) else math.nan


def _conversion_table(observed: Summary, simulated: list[Summary]) -> pd.DataFrame:
    labels, obs, sims = [], [], []
    for source, counts in observed.counts.items():
        for step, top, bottom in STEPS:
            labels.append({"source": source, "step": step, "records": counts[bottom]})
            obs.append(_share(counts, top, bottom))
            sims.append([_share(s.counts.get(source, {}), top, bottom) for s in simulated])
    return _compare(labels, obs, sims, high=1.0)


def _monthly_table(observed: Summary, simulated: list[Summary],
                   windows: list[tuple[str, float, float]]) -> pd.DataFrame:
    labels, obs, sims = [], [], []
    for figure, name in (("bookings", "bookings"), ("deals_won", "deals won")):
        for month, _, _ in windows:
            labels.append({"month": month, "figure": name})
            obs.append(observed.monthly[(figure, month)])
            sims.append([s.monthly[(figure, month)] for s in simulated])
    return _compare(labels, obs, sims)


def _open_table(observed: Summary, simulated: list[Summary],
                scenario: Scenario) -> pd.DataFrame:
    order = ["all", *(snake(s.name) for s in scenario.sales.stages)]
    seen = {k[0] for k in observed.open_pipeline} | {k[0] for s in simulated
                                                     for k in s.open_pipeline}
    stages = [s for s in order if s in seen] + sorted(seen - set(order))
    labels, obs, sims = [], [], []
    for stage in stages:
        for measure in ("deals", "value"):
            key = (stage, measure)
            labels.append({"stage": stage, "measure": measure})
            obs.append(observed.open_pipeline.get(key, 0.0 if observed.open_pipeline
                                                  else math.nan))
            sims.append([s.open_pipeline.get(key, 0.0) for s in simulated])
    return _compare(labels, obs, sims)


def _period_table(observed: Summary, simulated: list[Summary], rule: PeriodEnd) -> pd.DataFrame:
    kinds = {"model": (f"sales periods of {rule.period_days:g} days from the export's first "
                       f"day (the model's)", rule.period_days),
             "quarter": ("calendar quarters", QUARTER_DAYS)}
    labels, obs, sims = [], [], []
    for key, (text, days) in kinds.items():
        labels.append({"periods": text, "window_days": rule.window_days,
                       "even": min(rule.window_days / days, 1.0), "wins": observed.wins_closed})
        obs.append(observed.period_end[key])
        sims.append([s.period_end[key] for s in simulated])
    return _compare(labels, obs, sims, high=1.0)
