"""Profit and loss by period (quarters, weeks) and the payback of a change.

A run's metrics give the money over the whole horizon; people plan by
quarter, and a change of plan pays off (or not) at some point in time. The
tables here split the run's money into periods, replication by replication:

- exact from the deals booked (:func:`sim.results.metrics.won_deals`): bookings,
  the gross margin on them, the base commission and the marketing bonus on
  bookings, each at the rate of the plan in force on the day the deal closed;
- exact from the scenario (spend is deterministic, see
  :mod:`sim.model.spend`): marketing spend, rep salaries, alignment overhead;
- allocated: what the results keep only as a whole-run total, namely the
  accelerators above quota (allocated in proportion to each period's
  bookings) and the marketing bonuses per MQL and on pipeline (in proportion
  to each period's MQLs, from the weekly series).

The allocated parts are the difference between the run's metric and its
exact parts, so every period's items sum to the run's metrics exactly
(``marketing_spend``, ``marketing_bonus_cost``, ``sales_cost``,
``alignment_cost``, ``contribution``): the quarterly table and the summary
never disagree.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.statistics import mean_ci, paired_difference
from sim.model.spend import build_spend_plan
from sim.scenario.schema import ResolvedScenario, Scenario

# The items of a period's P&L, in the order of the table: (item, label, sign).
ITEMS: tuple[tuple[str, str, int], ...] = (
    ("bookings", "Bookings", +1),
    ("gross_margin", "Gross margin on bookings", +1),
    ("marketing_spend", "Marketing spend", -1),
    ("marketing_bonus_cost", "Marketing bonuses", -1),
    ("sales_cost", "Sales cost (salaries + commission)", -1),
    ("alignment_cost", "Alignment overhead", -1),
    ("contribution", "Contribution", +1),
)
ITEM_NAMES: tuple[str, ...] = tuple(item for item, _, _ in ITEMS)

# A quarter is a quarter of a year, so four of them make the first year exactly.
QUARTER_DAYS = 365.0 / 4.0
WEEK_DAYS = 7.0


def period_edges(horizon_days: float, period_days: float) -> np.ndarray:
    """Edges ``0, p, 2p, ..., horizon`` (the last period may be short)."""
    if not (horizon_days > 0 and period_days > 0):
        raise ValueError(f"expected a horizon and a period > 0; got {horizon_days} and "
                         f"{period_days}")
    n = math.ceil(horizon_days / period_days - 1e-9)
    edges: np.ndarray = np.minimum(np.arange(n + 1) * period_days, horizon_days)
    edges[-1] = horizon_days
    return edges


def quarter_labels(edges: np.ndarray) -> list[str]:
    """``Q1 (days 0-91)``... with the days each quarter covers."""
    return [f"Q{i + 1} (days {lo:.0f}-{hi:.0f})"
            for i, (lo, hi) in enumerate(itertools.pairwise(edges))]


class _Plan:
    """The scenario's plans by period, and the deterministic money per day."""

    def __init__(self, scenario: Scenario) -> None:
        periods = scenario.periods()
        self.starts = [start for start, _ in periods]
        self.resolved: list[ResolvedScenario] = [s for _, s in periods]
        self.horizon = float(scenario.horizon_days)
        self.spend = build_spend_plan(periods, self.horizon)

    def at(self, times: np.ndarray, get: Callable[[ResolvedScenario], float]) -> np.ndarray:
        """The value of ``get`` under the plan in force at each time."""
        table = np.array([get(s) for s in self.resolved], dtype=float)
        idx = np.maximum(np.searchsorted(self.starts, times, side="right") - 1, 0)
        out: np.ndarray = table[idx]
        return out

    def between(self, lo: float, hi: float, per_day: Callable[[ResolvedScenario], float]
                ) -> float:
        """Integral of a per-day amount over ``[lo, hi)``, plan by plan."""
        total = 0.0
        for k, s in enumerate(self.resolved):
            a = max(self.starts[k], lo)
            b = min(self.starts[k + 1] if k + 1 < len(self.starts) else hi, hi)
            if b > a:
                total += per_day(s) * (b - a)
        return total


def _salaries(s: ResolvedScenario) -> float:
    return s.sales.reps * s.sales.rep_annual_salary / 365.0


def _alignment(s: ResolvedScenario) -> float:
    levers = s.alignment.levers
    return (levers.overhead_fixed_annual + levers.overhead_per_rep_annual * s.sales.reps) / 365.0


def _allocate(total: float, weights: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``total`` split in proportion to ``weights`` (to the periods' lengths if none)."""
    w = weights if weights.sum() > 0 else lengths
    out: np.ndarray = total * w / w.sum()
    return out


def _weekly_to_periods(timeseries: pd.DataFrame | None, column: str, edges: np.ndarray
                       ) -> np.ndarray | None:
    """A weekly count spread over the periods by the overlap of each week with them."""
    if timeseries is None or timeseries.empty or column not in timeseries.columns:
        return None
    start = timeseries["day"].to_numpy(dtype=float)
    end = np.minimum(start + WEEK_DAYS, edges[-1])
    values = timeseries[column].to_numpy(dtype=float)
    out = np.zeros(edges.size - 1)
    for k, (lo, hi) in enumerate(itertools.pairwise(edges)):
        overlap = np.clip(np.minimum(end, hi) - np.maximum(start, lo), 0.0, None)
        length = np.maximum(end - start, 1e-12)
        out[k] = float(np.sum(values * overlap / length))
    return out


def pnl_by_replication(scenario: Scenario, won_deals: pd.DataFrame,
                       per_replication: pd.DataFrame, timeseries: pd.DataFrame | None = None,
                       period_days: float = QUARTER_DAYS) -> pd.DataFrame:
    """Each replication's P&L in each period (see the module docstring).

    Args:
        scenario: the scenario as run (its plans by period and its horizon).
        won_deals: the deals booked of every replication (``replication``,
            ``won_time``, ``value``).
        per_replication: one row per replication with ``replication``,
            ``commission_cost`` and ``marketing_bonus_cost`` (the totals the
            allocated parts complete).
        timeseries: weekly rows with ``replication``, ``day`` and ``mqls`` (the
            weights of the bonuses per MQL); without it they follow the periods' lengths.
        period_days: the length of a period (a quarter by default).

    Returns:
        Columns ``replication``, ``period`` (0, 1, ...), ``start``, ``end`` and
        one column per item of :data:`ITEMS` (costs as positive amounts).
    """
    plan = _Plan(scenario)
    edges = period_edges(plan.horizon, period_days)
    lengths = np.diff(edges)
    spend = np.array([plan.spend.spend_between(lo, hi) for lo, hi in itertools.pairwise(edges)])
    salaries = np.array([plan.between(lo, hi, _salaries)
                         for lo, hi in itertools.pairwise(edges)])
    alignment = np.array([plan.between(lo, hi, _alignment)
                          for lo, hi in itertools.pairwise(edges)])
    rows: list[dict[str, Any]] = []
    deals_by_rep = dict(tuple(won_deals.groupby("replication"))) if not won_deals.empty else {}
    series_by_rep = (dict(tuple(timeseries.groupby("replication")))
                     if timeseries is not None and not timeseries.empty else {})
    for _, metrics in per_replication.iterrows():
        rep = int(metrics["replication"])
        deals = deals_by_rep.get(rep, won_deals.iloc[0:0])
        t = deals["won_time"].to_numpy(dtype=float)
        value = deals["value"].to_numpy(dtype=float)
        which = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, lengths.size - 1)

        def by_period(amounts: np.ndarray, which: np.ndarray = which) -> np.ndarray:
            # float even when nothing was booked (bincount of no weights gives integers)
            return np.bincount(which, weights=amounts, minlength=lengths.size).astype(float)

        bookings = by_period(value)
        margin = by_period(value * plan.at(t, lambda s: s.finance.gross_margin))
        commission = by_period(value * plan.at(t, lambda s: s.incentives.sales.commission_rate))
        commission += _allocate(float(metrics["commission_cost"]) - commission.sum(), bookings,
                                lengths)
        bonus = by_period(value * plan.at(t, lambda s: s.incentives.marketing.bonus_revenue_rate))
        mqls = _weekly_to_periods(series_by_rep.get(rep), "mqls", edges)
        bonus += _allocate(float(metrics["marketing_bonus_cost"]) - bonus.sum(),
                           lengths if mqls is None else mqls, lengths)
        sales = salaries + commission
        contribution = margin - spend - bonus - sales - alignment
        for k in range(lengths.size):
            rows.append({"replication": rep, "period": k, "start": edges[k], "end": edges[k + 1],
                         "bookings": bookings[k], "gross_margin": margin[k],
                         "marketing_spend": spend[k], "marketing_bonus_cost": bonus[k],
                         "sales_cost": sales[k], "alignment_cost": alignment[k],
                         "contribution": contribution[k]})
    return pd.DataFrame(rows, columns=["replication", "period", "start", "end", *ITEM_NAMES])


def quarterly_pnl(scenario: Scenario, won_deals: pd.DataFrame, per_replication: pd.DataFrame,
                  timeseries: pd.DataFrame | None = None) -> pd.DataFrame:
    """The P&L per quarter: mean and 95% CI over replications of each item.

    Returns:
        Columns ``quarter`` (``Q1 (days 0-91)``...), ``start``, ``end``,
        ``item``, ``label``, ``mean``, ``ci_low``, ``ci_high``, ``n``; the last
        quarter is short when the horizon is not a whole number of quarters.
    """
    table = pnl_by_replication(scenario, won_deals, per_replication, timeseries, QUARTER_DAYS)
    edges = period_edges(float(scenario.horizon_days), QUARTER_DAYS)
    labels = quarter_labels(edges)
    rows = []
    for _, block in table.groupby("period", sort=True):
        k = int(block["period"].iloc[0])
        for item, label, _ in ITEMS:
            mean, low, high = mean_ci(block[item].to_numpy(dtype=float))
            rows.append({"quarter": labels[k], "start": edges[k],
                         "end": edges[k + 1], "item": item, "label": label, "mean": mean,
                         "ci_low": low, "ci_high": high, "n": len(block)})
    return pd.DataFrame(rows, columns=["quarter", "start", "end", "item", "label", "mean",
                                       "ci_low", "ci_high", "n"])


def pnl_wide(quarterly: pd.DataFrame) -> pd.DataFrame:
    """The quarterly P&L as people read it: one row per quarter, one column per item (means)."""
    wide = quarterly.pivot_table(index="quarter", columns="item", values="mean", sort=False)
    return wide.reindex(columns=list(ITEM_NAMES)).reset_index()


def payback_table(details: Sequence[tuple[str, Scenario, pd.DataFrame, pd.DataFrame,
                                          pd.DataFrame | None]],
                  reference: str, period_days: float = WEEK_DAYS) -> pd.DataFrame:
    """Cumulative contribution of each scenario minus the reference's, week by week.

    Replication ``r`` of each scenario ran with the same seed (common random
    numbers), so the difference is paired: its 95% CI is over the
    replications' differences.

    Args:
        details: ``(name, scenario, won_deals, per_replication, timeseries)`` per
            scenario, the reference among them; the replications must be the
            same in every scenario.
        reference: the name of the reference.
        period_days: the step of the curve (a week).

    Returns:
        Columns ``scenario``, ``day`` (end of the period), ``mean``, ``ci_low``,
        ``ci_high``, ``n``: the cumulative difference in contribution from day 0.
    """
    cumulative: dict[str, pd.DataFrame] = {}
    for name, scenario, deals, per_rep, series in details:
        table = pnl_by_replication(scenario, deals, per_rep, series, period_days)
        wide = table.pivot_table(index="end", columns="replication", values="contribution",
                                 sort=True)
        cumulative[name] = wide.cumsum()
    if reference not in cumulative:
        raise ValueError(f"payback: no details of the reference {reference!r}")
    ref = cumulative[reference]
    rows = []
    for name, wide in cumulative.items():
        if name == reference:
            continue
        days = ref.index.intersection(wide.index)
        reps = [r for r in ref.columns if r in wide.columns]
        for day in days:
            diff = paired_difference(wide.loc[day, reps].to_numpy(dtype=float),
                                     ref.loc[day, reps].to_numpy(dtype=float))
            rows.append({"scenario": name, "day": float(day), "mean": diff.mean,
                         "ci_low": diff.ci_low, "ci_high": diff.ci_high, "n": diff.n})
    return pd.DataFrame(rows, columns=["scenario", "day", "mean", "ci_low", "ci_high", "n"])


def break_even(payback: pd.DataFrame) -> dict[str, dict[str, float]]:
    """For each scenario, when its cumulative difference turns positive for good.

    Returns:
        ``scenario -> {"mean": day, "clear": day}``: the first day from which the
        mean stays above 0, and from which the 95% CI stays above 0 (NaN: never
        within the horizon; 0: from the start).
    """
    out: dict[str, dict[str, float]] = {}
    for name, block in payback.groupby("scenario", sort=False):
        block = block.sort_values("day")
        days = block["day"].to_numpy(dtype=float)
        out[str(name)] = {
            "mean": _from_when(days, block["mean"].to_numpy(dtype=float) > 0),
            "clear": _from_when(days, block["ci_low"].to_numpy(dtype=float) > 0),
        }
    return out


def _from_when(days: np.ndarray, positive: np.ndarray) -> float:
    """The first day from which ``positive`` holds to the end (NaN if not at the end)."""
    if not positive.size or not positive[-1]:
        return math.nan
    bad = np.flatnonzero(~positive)
    return 0.0 if not bad.size else float(days[bad[-1]])
