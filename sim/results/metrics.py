"""Metrics and weekly time series of one replication, computed at the end.

They read the model's running totals (:class:`sim.model.records.LeadTotals`), into
which every lead is folded once it has finished, and its won deals.

Two views of a run (see :class:`sim.model.records.LeadTotals`):

- **Bookings** over the window ``[0, horizon)``: ``revenue``, ``revenue_90d``,
  ``revenue_1y``, ``deals_booked`` and the outcomes of the deals closed
  (win rate, deal value, discount, cycle times) count every deal closed in
  the window, whatever its lead's creation: a run starts from today's
  business, with the warm-up's open pipeline. Costs are over the same window
  (commission, accelerators and marketing bonuses on what was booked, handed
  off and qualified in it), so a quarter's ROI compares with a year's.
- **The cohort**, the leads created in ``[0, horizon)``: the funnel counts,
  the leaks and ``cohort_revenue``. Conservation holds exactly for them, and
  every ``lost_*`` metric is one part of it::

      leads_created = deals_won + lost_never_contacted + lost_rejected
                      + lost_cold + lost_in_sales + in_flight_end
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from sim.model.capacity import rep_days_by_period
from sim.model.funnel import FunnelModel
from sim.model.records import COLUMNS, Outcome, Reason, Source
from sim.results.catalog import names
from sim.scenario.schema import ResolvedScenario

# Every metric's name, in the catalog's order: the order of the results tables.
METRIC_NAMES: tuple[str, ...] = names()


def _safe_div(a: float, b: float) -> float:
    return a / b if b else math.nan


def _stat(values: np.ndarray, fn: Callable[[np.ndarray], float]) -> float:
    return float(fn(values)) if values.size else math.nan


def compute_metrics(model: FunnelModel) -> dict[str, float]:
    """All metrics of a finished model run (name -> float).

    Counts and sums come from the running totals of the leads (folded in as
    they finished, see :mod:`sim.model.records`); money, cycle times and rates
    of won deals from the deals booked in the window, kept one by one.
    """
    m = model
    h: float = m.horizon
    t = m.totals
    won = t.won()  # booked: closed won in [0, h), warm-up leads' deals included
    won_time, value = won.outcome_time, won.value
    cycle = won_time - won.created
    mql_to_won = won_time - won.mql_time
    lost_in_sales = int(t.outcomes[Outcome.LOST_IN_SALES])  # the cohort's
    deals_won = int(t.outcomes[Outcome.WON])  # the cohort's
    deals_booked = int(value.size)
    revenue = float(value.sum())

    starts: list[float] = m.period_starts
    scenarios: list[ResolvedScenario] = m.period_scenarios

    def by_period(times: np.ndarray, get: Callable[[ResolvedScenario], float]) -> np.ndarray:
        table = np.array([get(s) for s in scenarios], dtype=float)
        idx = np.maximum(np.searchsorted(starts, times, side="right") - 1, 0)
        return table[idx]

    def per_period(get: Callable[[ResolvedScenario], float]) -> np.ndarray:
        return np.array([get(s) for s in scenarios], dtype=float)

    def over_periods(get: Callable[[ResolvedScenario], float]) -> float:
        """Integral over [0, horizon) of a per-day amount that may change by period."""
        total = 0.0
        for k, s in enumerate(scenarios):
            lo = max(starts[k], 0.0)
            hi = min(starts[k + 1] if k + 1 < len(starts) else h, h)
            if hi > lo:
                total += get(s) * (hi - lo)
        return total

    commission = float(np.sum(value * by_period(
        won_time, lambda s: s.incentives.sales.commission_rate)))
    accelerators, at_quota = _quota_periods(m.bookings.by_rep_period, len(m.reps.active),
                                            scenarios, starts, h)
    commission += accelerators
    if m.spells is None:  # a fixed headcount
        salaries = over_periods(lambda s: s.sales.reps * s.sales.rep_annual_salary / 365.0)
        alignment = over_periods(lambda s: (
            s.alignment.levers.overhead_fixed_annual
            + s.alignment.levers.overhead_per_rep_annual * s.sales.reps) / 365.0)
    else:  # capacity over time: paid from the day a rep joins to the day they leave
        rep_days = rep_days_by_period(m.spells, starts, h)
        salaries = sum(d * s.sales.rep_annual_salary / 365.0
                       for d, s in zip(rep_days, scenarios, strict=True))
        alignment = over_periods(lambda s: s.alignment.levers.overhead_fixed_annual / 365.0)
        alignment += sum(d * s.alignment.levers.overhead_per_rep_annual / 365.0
                         for d, s in zip(rep_days, scenarios, strict=True))
    bonus = float(np.dot(t.mqls_by_period,
                         per_period(lambda s: s.incentives.marketing.bonus_per_mql)))
    bonus += float(np.dot(t.sql_value_by_period,
                          per_period(lambda s: s.incentives.marketing.bonus_pipeline_rate)))
    bonus += float(np.sum(value * by_period(
        won_time, lambda s: s.incentives.marketing.bonus_revenue_rate)))
    if m.plan.leadership_cost.any():  # one revenue leader's pay, or two heads' friction
        alignment += m.plan.leadership_cost_between(0.0, h)
    spend = m.plan.spend_between(0.0, h)
    sales_cost = salaries + commission
    total_cost = spend + bonus + sales_cost + alignment
    margin = by_period(won_time, lambda s: s.finance.gross_margin)
    contribution = float(np.sum(value * margin)) - total_cost
    response = t.response_hours()
    outcomes, reasons = t.outcomes, t.reasons

    out = {
        "leads_created": float(t.leads),
        "mqls": float(t.mqls),
        "sqls": float(t.sqls),
        "opportunities": float(t.opportunities if m.stages > 1 else deals_won),
        "deals_won": float(deals_won),
        "deals_lost": float(lost_in_sales),
        "deals_booked": float(deals_booked),
        "in_flight_end": float(outcomes[Outcome.IN_FLIGHT]),
        "lost_never_contacted": float(outcomes[Outcome.NEVER_CONTACTED]),
        "lost_rejected": float(outcomes[Outcome.REJECTED]),
        "lost_cold": float(outcomes[Outcome.COLD]),
        "lost_in_sales": float(lost_in_sales),
        "never_contacted_not_followed_up": float(reasons[Reason.NOT_FOLLOWED_UP]),
        "never_contacted_expired_waiting": float(reasons[Reason.EXPIRED_WAITING]),
        "cold_unqualified": float(reasons[Reason.UNQUALIFIED]),
        "rep_left_lost": float(reasons[Reason.REP_LEFT]),
        "recycled": float(t.recycled),
        "revenue": revenue,
        "revenue_90d": float(value[won_time < 90.0].sum()),
        "revenue_1y": float(value[won_time < 365.0].sum()),
        "cohort_revenue": float(value[won.created >= 0.0].sum()),
        "win_rate": _safe_div(deals_booked, deals_booked + t.closed_lost_in_sales),
        "lead_to_customer": _safe_div(deals_won, float(t.leads)),
        "mean_deal_value": _stat(value, np.mean),
        "mean_discount": _stat(won.discount, np.mean),
        "pulled_forward_share": _stat(won.pushed.astype(float), np.mean),
        "reps_at_quota_share": at_quota,
        "follow_up_rate": _safe_div(t.mqls - reasons[Reason.NOT_FOLLOWED_UP], t.mqls),
        "revenue_per_mql": _safe_div(float(value[won.created >= 0.0].sum()), t.mqls),
        "cycle_days_median": _stat(cycle, np.median),
        "cycle_days_mean": _stat(cycle, np.mean),
        "cycle_days_p90": _stat(cycle, lambda x: np.quantile(x, 0.9)),
        "mql_to_won_days_median": _stat(mql_to_won, np.median),
        "first_response_hours_median": _stat(response, np.median),
        "rep_wait_days_mean": _safe_div(t.wait_days_sum, t.assigned),
        "rep_utilization": _safe_div(m.reps.busy_slot_days, m.reps.slot_days(h)),
        "marketing_spend": spend,
        "content_wasted": _content_wasted(m),
        "marketing_bonus_cost": bonus,
        "commission_cost": commission,
        "rep_salary_cost": salaries,
        "sales_cost": sales_cost,
        "alignment_cost": alignment,
        "total_cost": total_cost,
        "contribution": contribution,
        "roi": _safe_div(contribution, total_cost),
        "cost_per_deal": _safe_div(sales_cost, deals_booked),
        "customer_acquisition_cost": _safe_div(total_cost, deals_booked),
        "sales_cost_share": _safe_div(sales_cost, revenue),
    }
    if out.keys() != set(METRIC_NAMES):  # the catalog and the computation must agree
        raise RuntimeError(f"metrics computed {sorted(out.keys() ^ set(METRIC_NAMES))} "
                           "differently from the catalog (sim.results.catalog)")
    return {name: float(out[name]) for name in METRIC_NAMES}


def _content_wasted(model: FunnelModel) -> float:
    """Spend on sales content over ``[0, horizon)`` that sales did not use.

    Each day's content spend times the share not relevant that day (the
    share used is logged by the model each day leads enter nurture, and holds
    until the next entry; before the first, the policy's with no feedback).
    """
    plan = model.plan
    days = plan.days
    inside = (days >= 0) & (days < model.horizon)
    if not model.content_on or not inside.any():
        return 0.0
    times = np.array([t for t, _ in model.relevance_log] or [-math.inf])
    used = np.array([r for _, r in model.relevance_log] or [0.0])
    k = np.searchsorted(times, days[inside], side="right") - 1
    first = model.policy_at(0.0).content_relevance(0.0)
    relevance = np.where(k >= 0, used[np.maximum(k, 0)], first)
    spend = plan.content_spend[inside] * np.clip(model.horizon - days[inside], 0.0, 1.0)
    return float(np.dot(spend, 1.0 - relevance))


def _quota_periods(booked: dict[tuple[int, int], float], reps: int,
                   scenarios: list[ResolvedScenario], starts: list[float],
                   horizon: float) -> tuple[float, float]:
    """Accelerators paid, and the share of rep-periods at quota, over the sales periods.

    Each rep earns ``accelerator_rate`` on their own bookings above their
    quota in a period, under the plan in force at the period's end. The share
    counts the whole periods within the horizon of plans with a quota, every
    rep in each (NaN when there is none).

    Args:
        booked: bookings from day 0 by ``(rep, period index)``
            (:attr:`sim.model.effort.RepBookings.by_rep_period`).
        reps: number of reps.
        scenarios: the plan of each timeline period.
        starts: the first day of each timeline period.
        horizon: the end of the run.
    """
    if not any(s.incentives.sales.quota_per_rep_period > 0 for s in scenarios):
        return 0.0, math.nan
    period = scenarios[0].sales.period_days
    cost, made, counted = 0.0, 0, 0
    for k in range(math.ceil(horizon / period - 1e-9)):
        end = (k + 1) * period
        s = scenarios[max(bisect.bisect_right(starts, end - 1e-9) - 1, 0)]
        plan = s.incentives.sales
        if plan.quota_per_rep_period <= 0:
            continue
        whole = end <= horizon + 1e-9
        for rep in range(reps):
            value = booked.get((rep, k), 0.0)
            cost += plan.accelerator_rate * max(value - plan.quota_per_rep_period, 0.0)
            if whole:
                counted += 1
                made += value >= plan.quota_per_rep_period
    return cost, (made / counted if counted else math.nan)


def weekly_timeseries(model: FunnelModel) -> pd.DataFrame:
    """Weekly series from day 0: leads, MQLs, deals booked, bookings, pipeline, equity, WIP.

    Counts are per week. ``leads`` and ``wip`` (leads of the cohort in the
    system) follow the leads created from day 0; ``mqls`` (first hand-offs),
    ``deals_booked`` and ``bookings`` (deals closed won, and their value) count
    what happened in the week whatever the lead's creation, warm-up leads
    included, like ``pipeline_value`` (list value of every open SQL). ``wip``
    and ``pipeline_value`` are taken at the end of each week; ``brand_equity``
    is the week's mean.
    """
    m = model
    h: float = m.horizon
    t = m.totals
    edges = t.edges
    won = t.won()

    def per_week(times: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.histogram(times, bins=edges, weights=weights)[0]

    plan = m.plan
    day_idx = np.arange(0, math.ceil(h)) - plan.start_day
    equity_days = plan.brand_equity[day_idx]
    week_of_day = np.minimum(np.arange(day_idx.size) // 7, edges.size - 2)
    equity = np.bincount(week_of_day, weights=equity_days) / np.bincount(week_of_day)
    return pd.DataFrame({
        "week": np.arange(edges.size - 1),
        "day": edges[:-1],
        "leads": t.leads_by_week,
        "mqls": t.mqls_by_week,
        "deals_booked": per_week(won.outcome_time),
        "bookings": per_week(won.outcome_time, won.value),
        "pipeline_value": t.open_at_week_ends(t.pipeline_opened, t.pipeline_closed),
        "wip": t.open_at_week_ends(t.wip_opened, t.wip_closed),
        "brand_equity": equity,
    })


def lead_records(model: FunnelModel, include_warm_up: bool = False) -> pd.DataFrame:
    """Per-lead records of the cohort (leads created from day 0), outcome and reason as names.

    Warm-up leads are left out unless ``include_warm_up`` (then every lead of
    the run, a negative ``created`` before day 0), so a warm-up lead's deal
    booked in the window is in :func:`won_deals` but not here.

    Raises:
        ValueError: the model was not asked to keep them (``keep_leads``).
    """
    kept = model.totals.blocks
    if kept is None:
        raise ValueError("per-lead records were not kept: build the model with keep_leads=True")
    blocks = [kept[k] for k in sorted(kept)]
    cols = {name: np.concatenate([b.view()[name] for b in blocks]) for name in COLUMNS}
    counted = (cols["created"] >= 0.0) | include_warm_up
    df = pd.DataFrame({k: v[counted] for k, v in cols.items()})
    df.insert(0, "lead", np.flatnonzero(counted))
    df["outcome"] = pd.Categorical.from_codes(df["outcome"],
                                              pd.Index([o.name.lower() for o in Outcome]))
    df["reason"] = pd.Categorical.from_codes(df["reason"],
                                             pd.Index([r.name.lower() for r in Reason]))
    df["source"] = df["source"].map({s.value: s.name.lower() for s in Source})
    segments = pd.Index([g.name for g in model.scenario.leads.segments])
    df["segment"] = pd.Categorical.from_codes(df["segment"].astype(int), segments)
    stage_days = np.concatenate([b.stage_days for b in blocks])[counted]
    for j, stage in enumerate(model.scenario.sales.stages):
        df[f"days_{stage.name}"] = stage_days[:, j]
    return df


def won_deals(model: FunnelModel) -> pd.DataFrame:
    """A compact table of the deals booked (closed won in the window), one row per deal.

    Warm-up leads' deals closed from day 0 on are included (``created`` < 0).

    Reports draw cycle-time distributions from it without ``record_leads``:
    a deal is about a hundred bytes, and won deals are a few per cent of leads.

    Columns: ``created``, ``mql_time``, ``won_time`` (days from day 0, negative before it),
    ``cycle_days`` (lead created to won), ``mql_to_won_days``,
    ``first_response_hours``, ``value``, ``discount``, ``pushed`` (pulled into
    a period end), ``segment``, ``source``, and ``days_<stage>`` per stage.
    """
    won = model.totals.won()
    created, mql, closed = won.created, won.mql_time, won.outcome_time
    segments = pd.Index([g.name for g in model.scenario.leads.segments])
    df = pd.DataFrame({
        "created": created,
        "mql_time": mql,
        "won_time": closed,
        "cycle_days": closed - created,
        "mql_to_won_days": closed - mql,
        "first_response_hours": won.first_response_hours,
        "value": won.value,
        "discount": won.discount,
        "pushed": won.pushed,
        "segment": pd.Categorical.from_codes(won.segment.astype(int), segments),
        "source": pd.Categorical.from_codes(won.source.astype(int),
                                            pd.Index([s.name.lower() for s in Source])),
    })
    for j, stage in enumerate(model.scenario.sales.stages):
        df[f"days_{stage.name}"] = won.stage_days[:, j]
    return df


def first_response_hours(model: FunnelModel) -> np.ndarray:
    """First-response delays (hours from hand-off) of every cohort lead a rep responded to."""
    return model.totals.response_hours()
