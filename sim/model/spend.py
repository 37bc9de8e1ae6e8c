"""The spend plan: daily brand and promotion spend, their stocks, and arrival rates.

Spend is deterministic, so the whole plan (and with it brand equity and the
lead arrival rate on every day) is computed once, before the simulation runs.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.model.mechanisms import (
    FloatArray,
    adstock,
    hand_raiser_rate,
    promotion_drift,
    retention_per_day,
    reviewed_brand_share,
    saturated_stock,
    steady_state_stock,
)
from sim.scenario.plans import MarketingPlan
from sim.scenario.schema import ResolvedScenario


@dataclass(frozen=True)
class SpendPlan:
    """Daily marketing quantities from ``start_day`` (inclusive), one value per day.

    Attributes:
        start_day: the first simulated day (``-warmup_days`` rounded down).
        brand_spend, promo_spend: spend per day (currency).
        brand_equity: saturated brand stock, in [0, 1].
        promo_effect: saturated promotion stock, in [0, 1].
        organic_rate, promo_rate: expected leads per day by source.
        hand_raiser_rate: expected hand-raisers per day
            (:func:`sim.model.mechanisms.hand_raiser_rate`); all zero when off.
        content_spend: spend on sales content per day (``marketing.content``),
            taken before the brand/promotion split; all zero when off.
        content_library: saturated content stock, in [0, 1].
        leadership_cost: cost per day of who moves the split
            (``alignment.leadership``): the revenue leader's pay, or two heads'
            friction on the days their moves take effect; all zero without reviews.
    """

    start_day: int
    brand_spend: FloatArray
    promo_spend: FloatArray
    brand_equity: FloatArray
    promo_effect: FloatArray
    organic_rate: FloatArray
    promo_rate: FloatArray
    hand_raiser_rate: FloatArray
    content_spend: FloatArray
    content_library: FloatArray
    leadership_cost: FloatArray

    @property
    def days(self) -> np.ndarray:
        """The day numbers covered."""
        return np.arange(self.start_day, self.start_day + self.brand_spend.size)

    def equity_at(self, t: float) -> float:
        """Brand equity on the day containing time ``t``."""
        i = min(max(math.floor(t) - self.start_day, 0), self.brand_equity.size - 1)
        return float(self.brand_equity[i])

    def library_at(self, t: float) -> float:
        """The saturated content library on the day containing time ``t``."""
        i = min(max(math.floor(t) - self.start_day, 0), self.content_library.size - 1)
        return float(self.content_library[i])

    def leadership_cost_between(self, start: float, end: float) -> float:
        """Cost of who moves the split over ``[start, end)``, counting part days pro rata."""
        lo = self.days.astype(float)
        overlap = np.clip(np.minimum(lo + 1.0, end) - np.maximum(lo, start), 0.0, 1.0)
        return float(np.dot(self.leadership_cost, overlap))

    def spend_between(self, start: float, end: float) -> float:
        """Total marketing spend over ``[start, end)``, counting part days pro rata."""
        daily = self.brand_spend + self.promo_spend + self.content_spend
        lo = self.days.astype(float)
        overlap = np.clip(np.minimum(lo + 1.0, end) - np.maximum(lo, start), 0.0, 1.0)
        return float(np.dot(daily, overlap))


def _tilt(per_day: Callable[[Callable[[ResolvedScenario], float]], FloatArray],
          days: np.ndarray) -> FloatArray:
    """Share of the brand budget the marketing plan moves to promotion, day by day.

    ``promotion_tilt`` from the plan's first day, plus the drift of a plan
    judged on short-term sales metrics, which grows from day 0 (or from the
    day such a plan starts) up to its cap (:func:`promotion_drift`).
    """

    def plan(get: Callable[[MarketingPlan], float]) -> FloatArray:
        return per_day(lambda s: get(s.incentives.marketing))

    drift = np.where(days < 0, 0.0, plan(lambda m: m.brand_drift_per_year) / 365.0)
    tilt = plan(lambda m: m.promotion_tilt) + promotion_drift(
        drift, plan(lambda m: m.brand_drift_cap))
    clipped: FloatArray = np.minimum(tilt, 1.0)
    return clipped


def build_spend_plan(periods: list[tuple[float, ResolvedScenario]], end_day: float) -> SpendPlan:
    """Compute the daily plan for the periods of a scenario up to ``end_day``.

    Days before 0 (the warm-up) follow today's plan (``prior_annual_budget``,
    ``prior_brand_share``), which also sets the stocks on the day before the
    first simulated day to their steady state: the company has been spending
    that way for a long time. From day 0 the plan under test is in force, so a
    budget or split unlike today's is a move on day 0; a prior field left null
    means "the same as the plan under test" (a steady-state comparison). The
    marketing plan's ``promotion_tilt`` moves part of the brand budget to
    promotion from day 0 on; a plan judged on short-term sales metrics moves
    more of it, year by year (``brand_drift_per_year``).
    """
    starts = [start for start, _ in periods]
    start_day = math.floor(starts[0])
    days = np.arange(start_day, math.ceil(end_day))
    which = np.maximum(np.searchsorted(starts, days, side="right") - 1, 0)  # period of each day
    first = periods[0][1].marketing
    prior_budget = first.annual_budget if first.prior_annual_budget is None else (
        first.prior_annual_budget)
    prior_share = first.brand_share if first.prior_brand_share is None else first.prior_brand_share

    def per_day(get: Callable[[ResolvedScenario], float]) -> FloatArray:
        values = np.array([get(s) for _, s in periods], dtype=np.float64)
        daily: FloatArray = values[which]
        return daily

    budget = per_day(lambda s: s.marketing.annual_budget) / 365.0
    planned_share = per_day(lambda s: s.marketing.brand_share)
    leadership_cost = _leadership(periods, days, planned_share, per_day(
        lambda s: s.marketing.annual_budget))
    share = planned_share * (1.0 - _tilt(per_day, days))
    before = days < 0
    budget[before] = prior_budget / 365.0
    share[before] = prior_share
    # Sales content is taken off the top; with none, the split is exactly the old one.
    content_spend = budget * per_day(lambda s: s.marketing.content.budget_share)
    budget = budget - content_spend
    brand_spend = budget * share
    promo_spend = budget - brand_spend

    d_brand = per_day(lambda s: retention_per_day(s.marketing.brand_half_life_days))
    d_promo = per_day(lambda s: retention_per_day(s.marketing.promo_half_life_days))
    brand_stock = adstock(
        brand_spend, d_brand, steady_state_stock(prior_budget / 365.0 * prior_share, d_brand[0])
    )
    promo_stock = adstock(
        promo_spend, d_promo,
        steady_state_stock(prior_budget / 365.0 * (1.0 - prior_share), d_promo[0]),
    )
    equity = np.empty(days.size)
    promo_effect = np.empty(days.size)
    for k, (_, s) in enumerate(periods):
        m = which == k
        bs, ps = s.marketing.brand_saturation, s.marketing.promo_saturation
        equity[m] = saturated_stock(
            brand_stock[m], d_brand[m], bs.half_saturation_daily_spend, bs.shape
        )
        promo_effect[m] = saturated_stock(
            promo_stock[m], d_promo[m], ps.half_saturation_daily_spend, ps.shape
        )
    organic = per_day(lambda s: s.marketing.organic_leads_per_day) * (
        1.0 + per_day(lambda s: s.marketing.organic_gain) * equity
    )
    promo = per_day(lambda s: s.marketing.promo_max_leads_per_day) * promo_effect
    hand = hand_raiser_rate(
        per_day(lambda s: s.leads.hand_raisers.per_day), equity, promo_effect,
        per_day(lambda s: s.leads.hand_raisers.brand_gain),
        per_day(lambda s: s.leads.hand_raisers.promotion_gain))
    return SpendPlan(start_day, brand_spend, promo_spend, equity, promo_effect, organic, promo,
                     hand, content_spend, _content_library(periods, which, content_spend),
                     leadership_cost)


def _leadership(periods: list[tuple[float, ResolvedScenario]], days: np.ndarray,
                planned_share: FloatArray, annual_budget: FloatArray) -> FloatArray:
    """Apply the reviews of the split to ``planned_share`` in place; return their daily cost.

    The leadership in force on day 0 (the plan under test) runs the reviews
    (:func:`sim.model.mechanisms.reviewed_brand_share`) from day 0 on.
    """
    cost = np.zeros(days.size)
    starts = [start for start, _ in periods]
    lead = periods[max(bisect.bisect_right(starts, 0.0) - 1, 0)][1].alignment.leadership
    if lead.mode == "none":
        return cost
    one = lead.mode == "one_leader"
    after = days >= 0
    governed, moves = reviewed_brand_share(
        days[after], planned_share[after], lead.target_brand_share, lead.review_days,
        lead.one_leader_lag_days if one else lead.two_heads_lag_days,
        lead.one_leader_step if one else lead.two_heads_step)
    planned_share[after] = governed
    if one:
        cost[after] = lead.leader_annual_cost / 365.0
    else:
        for day, change in moves:  # friction on the budget moved, when the move lands
            i = int(np.searchsorted(days, math.ceil(day)))
            if i < days.size:
                cost[i] += lead.two_heads_friction * abs(change) * annual_budget[i]
    return cost

def _content_library(periods: list[tuple[float, ResolvedScenario]], which: np.ndarray,
                     content_spend: FloatArray) -> FloatArray:
    """The saturated content stock, day by day, from an empty library before the first day.

    The library starts empty: content is a new budget line, and a company
    already spending on it says so by spending during the warm-up.
    """
    retention = np.array([retention_per_day(s.marketing.content.half_life_days)
                          for _, s in periods])[which]
    stock = adstock(content_spend, retention, 0.0)
    library = np.empty(stock.size)
    for k, (_, s) in enumerate(periods):
        m = which == k
        library[m] = saturated_stock(stock[m], retention[m],
                                     s.marketing.content.half_saturation_daily_spend, 1.0)
    return library
