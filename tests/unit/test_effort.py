"""Incentives that cut both ways, their pure parts against hand-computed values.

Effort against quota (pace, regions, per-rep bookings), sales' trust in
marketing's leads (the weighted mean and the follow-up factor), the brand
budget's drift under a plan paid on sales metrics, and the accelerators paid
per rep.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim import Scenario
from sim.model.effort import RepBookings
from sim.model.mechanisms import (
    promotion_drift,
    quota_effort,
    required_pace,
    trust_follow_up_factor,
)
from sim.model.policy import Policy
from sim.model.spend import build_spend_plan
from sim.model.trust import LeadTrust
from sim.results.metrics import _quota_periods
from sim.scenario.presets import MARKETING_PLANS, SALES_PLANS

# --- the pace needed to make quota ---------------------------------------------------


def test_required_pace_by_hand() -> None:
    # Start of a period, nothing booked: the quota's own pace.
    assert required_pace(0.0, 100.0, 0.0) == 1.0
    # Half booked at half time: on pace.
    assert required_pace(50.0, 100.0, 0.5) == pytest.approx(1.0)
    # 20 booked with a fifth of the period left: (1 - 0.2) / 0.2 = 4.
    assert required_pace(20.0, 100.0, 0.8) == pytest.approx(4.0)
    # 60 booked at a quarter: (0.4) / (0.75) = 0.5333...
    assert required_pace(60.0, 100.0, 0.25) == pytest.approx(0.4 / 0.75)
    # Quota made: zero or below (120 booked: -0.2).
    assert required_pace(100.0, 100.0, 0.3) == 0.0
    assert required_pace(120.0, 100.0, 0.3) == pytest.approx(-0.2)
    # The period's very end with quota not made: out of reach.
    assert required_pace(10.0, 100.0, 1.0) == math.inf


def test_quota_effort_has_three_regions() -> None:
    args = {"within_reach": 1.15, "give_up_pace": 2.0, "given_up": 0.8, "above_quota": 1.05}
    assert quota_effort(-0.2, **args) == 1.05  # quota made: accelerators
    assert quota_effort(0.0, **args) == 1.05
    assert quota_effort(0.5, **args) == 1.15  # ahead of pace, not yet made
    assert quota_effort(2.0, **args) == 1.15  # behind, still within reach
    assert quota_effort(2.01, **args) == 0.8  # out of reach: give-up
    assert quota_effort(math.inf, **args) == 0.8
    # All three at 1: neutral.
    assert {quota_effort(x, 1.0, 2.0, 1.0, 1.0) for x in (-1.0, 1.0, 5.0)} == {1.0}


def quota_policy(**overrides: object) -> Policy:
    """The policy of the quota plan with a quota of 100 a quarter of 100 days."""
    s = Scenario().with_overrides({"incentives.sales_plan": "quota_accelerator",
                                   "incentives.sales.quota_per_rep_period": 100.0,
                                   "sales.period_days": 100.0, **overrides})
    return Policy.from_scenario(s.resolve())


def test_rep_bookings_count_the_current_period_and_reset_in_the_next() -> None:
    book = RepBookings(reps=2)
    book.book(0, 10.0, 30.0, 100.0)
    book.book(0, 50.0, 40.0, 100.0)
    book.book(1, 60.0, 5.0, 100.0)
    assert book.booked(0, 70.0, 100.0) == 70.0
    assert book.booked(1, 70.0, 100.0) == 5.0
    # Next period: nothing booked yet, and a new deal starts the count again.
    assert book.booked(0, 120.0, 100.0) == 0.0
    book.book(0, 130.0, 25.0, 100.0)
    assert book.booked(0, 140.0, 100.0) == 25.0
    # Bookings from day 0 on, by rep and period, for the accelerators.
    assert book.by_rep_period == {(0, 0): 70.0, (1, 0): 5.0, (0, 1): 25.0}
    # A warm-up deal (before day 0) counts for effort, not for accelerators.
    book.book(1, -5.0, 50.0, 100.0)
    assert book.booked(1, -1.0, 100.0) == 50.0
    assert (1, -1) not in book.by_rep_period


def test_rep_effort_follows_the_reps_pace() -> None:
    p = quota_policy()
    plan = SALES_PLANS["quota_accelerator"]
    book = RepBookings(reps=3)
    book.book(0, 5.0, 120.0, 100.0)  # rep 0 made quota
    book.book(1, 5.0, 50.0, 100.0)   # rep 1 half-way
    # Day 10: rep 0 above quota, rep 1 ahead of pace, rep 2 (nothing) on its way.
    assert book.effort(0, 10.0, p) == plan["above_quota_effort_odds"]
    assert book.effort(1, 10.0, p) == plan["quota_effort_odds"]
    assert book.effort(2, 10.0, p) == plan["quota_effort_odds"]
    # Day 80: rep 1 needs 0.5 / 0.2 = 2.5 times the pace (> 2: give-up); rep 2, 5 times.
    assert book.effort(1, 80.0, p) == plan["give_up_effort_odds"]
    assert book.effort(2, 80.0, p) == plan["give_up_effort_odds"]
    # Day 70: rep 1 needs 0.5 / 0.3 = 1.67: still within reach.
    assert book.effort(1, 70.0, p) == plan["quota_effort_odds"]
    # A plan without a quota: no effort effect at all.
    no_quota = Policy.from_scenario(Scenario().resolve())
    assert book.effort(2, 80.0, no_quota) == 1.0


# --- trust in marketing's leads -----------------------------------------------------


def test_trust_follow_up_factor_by_hand() -> None:
    # Quality 0.396 against 0.44: (0.9) ** 2 = 0.81.
    assert trust_follow_up_factor(0.396, 0.44, 2.0, 0.5) == pytest.approx(0.81)
    # At or above the reference: no change (follow_up_rate is the trusting rate).
    assert trust_follow_up_factor(0.44, 0.44, 2.0, 0.5) == 1.0
    assert trust_follow_up_factor(0.6, 0.44, 2.0, 0.5) == 1.0
    # Never below the floor: (0.2 / 0.44) ** 2 = 0.207 -> 0.5.
    assert trust_follow_up_factor(0.2, 0.44, 2.0, 0.5) == 0.5
    assert trust_follow_up_factor(0.0, 0.44, 2.0, 0.5) == 0.5
    # Elasticity 0: neutral.
    assert trust_follow_up_factor(0.1, 0.44, 0.0, 0.5) == 1.0


def test_lead_trust_is_an_exponentially_weighted_mean() -> None:
    # Starts at the reference 0.5 with the weight of one lead; half-life 7 days.
    trust = LeadTrust(reference=0.5, start=0.0)
    trust.observe(7.0, 0.2)
    trust.observe(14.0, 0.6)
    assert trust.quality(0.0, 7.0) == 0.5
    # Day 7: weight 1 * 0.5 + 1 = 1.5, total 0.5 * 0.5 + 0.2 = 0.45 -> 0.3.
    assert trust.quality(10.0, 7.0) == pytest.approx(0.3)
    # Day 14: weight 1.5 * 0.5 + 1 = 1.75, total 0.45 * 0.5 + 0.6 = 0.825 -> 0.4714...
    assert trust.quality(14.0, 7.0) == pytest.approx(0.825 / 1.75)


def test_lead_trust_follow_up_factor_reads_the_plan() -> None:
    p = Policy.from_scenario(Scenario().resolve())  # revenue commission
    plan = SALES_PLANS["revenue_commission"]
    trust = LeadTrust(reference=p.mql_trust_reference_quality, start=0.0)
    assert trust.follow_up_factor(1.0, p) == 1.0
    for day in range(1, 200):  # weeks of MQLs of quality 0.9 x the reference
        trust.observe(float(day), 0.9 * p.mql_trust_reference_quality)
    assert trust.follow_up_factor(200.0, p) == pytest.approx(
        0.9 ** plan["mql_trust_elasticity"], rel=1e-4)  # the start has faded


# --- the drift of the brand budget --------------------------------------------------


def test_promotion_drift_accumulates_caps_and_restarts() -> None:
    drift = promotion_drift([0.1, 0.1, 0.1, 0.0, 0.1], 0.25)
    np.testing.assert_allclose(drift, [0.1, 0.2, 0.25, 0.0, 0.1])
    np.testing.assert_allclose(promotion_drift([0.0, 0.0], 0.5), [0.0, 0.0])


def test_revenue_plan_moves_brand_budget_to_promotion_year_by_year() -> None:
    # 365_000 a year, brand share 0.5: 500 a day of brand without drift.
    s = Scenario().with_overrides({
        "warmup_days": 10.0, "marketing.annual_budget": 365_000.0,
        "marketing.brand_share": 0.5, "marketing.prior_brand_share": None,
        "marketing.prior_annual_budget": None, "incentives.marketing_plan": "revenue"})
    p = build_spend_plan(s.periods(), 1200.0)
    rate = MARKETING_PLANS["revenue"]["brand_drift_per_year"]
    cap = MARKETING_PLANS["revenue"]["brand_drift_cap"]
    brand = {d: float(p.brand_spend[d - p.start_day]) for d in (-1, 0, 364, 1199)}
    assert brand[-1] == pytest.approx(500.0)  # the warm-up: no drift
    assert brand[0] == pytest.approx(500.0 * (1 - rate / 365))
    assert brand[364] == pytest.approx(500.0 * (1 - rate))  # one year on
    assert brand[1199] == pytest.approx(500.0 * (1 - min(rate * 1200 / 365, cap)))
    # The budget stays the same: what leaves brand goes to promotion.
    np.testing.assert_allclose(p.brand_spend + p.promo_spend, 1_000.0)
    # The pipeline plan has no drift.
    flat = build_spend_plan(s.with_overrides({"incentives.marketing_plan": "pipeline"})
                            .periods(), 1200.0)
    np.testing.assert_allclose(flat.brand_spend, 500.0)


# --- accelerators per rep -----------------------------------------------------------


def test_accelerators_are_paid_on_each_reps_bookings_above_quota() -> None:
    # Quota 100 per rep and 100-day period, accelerator 6%; horizon 250: periods
    # 0 and 1 whole, period 2 half.
    s = Scenario().with_overrides({"incentives.sales_plan": "quota_accelerator",
                                   "incentives.sales.quota_per_rep_period": 100.0,
                                   "incentives.sales.accelerator_rate": 0.06,
                                   "sales.period_days": 100.0, "sales.reps": 2})
    booked = {(0, 0): 150.0, (1, 0): 80.0, (0, 1): 100.0, (1, 2): 300.0}
    cost, at_quota = _quota_periods(booked, 2, [s.resolve()], [0.0], 250.0)
    # 0.06 * (50 + 0 + 0 + 200) = 15; rep-periods at quota in whole periods: 2 of 4.
    assert cost == pytest.approx(15.0)
    assert at_quota == 0.5
    plain = Scenario().with_overrides({"sales.period_days": 100.0, "sales.reps": 2})
    cost, at_quota = _quota_periods(booked, 2, [plain.resolve()], [0.0], 250.0)
    assert cost == 0.0
    assert math.isnan(at_quota)
