"""Flattening a resolved scenario into the numbers the hot path reads."""

import math

import pytest

from sim import Scenario
from sim.model.policy import Policy
from sim.scenario.presets import ALIGNMENT_STAGES, SALES_PLANS


def test_levers_combine_with_their_base_parameters() -> None:
    s = Scenario().with_overrides({"alignment.stage": "aligned",
                                   "incentives.sales_plan": "revenue_commission"})
    p = Policy.from_scenario(s.resolve())
    lv, plan = ALIGNMENT_STAGES["aligned"], SALES_PLANS["revenue_commission"]
    assert p.scoring_noise == pytest.approx(s.nurture.scoring_noise * lv["scoring_noise_factor"])
    assert p.cherry_pick == pytest.approx(plan["cherry_pick"] * (1 - lv["shared_metrics"]))
    assert p.neglect_under_load == pytest.approx(
        plan["neglect_under_load"] * (1 - lv["shared_metrics"]))
    assert p.feedback_gain == pytest.approx(plan["feedback_rate"] * lv["feedback_loop"])
    # The SLA caps the response delay; without one the sales default applies.
    assert p.response_hours_mean == pytest.approx(lv["sla_hours"])
    no_sla = Policy.from_scenario(s.with_overrides({"alignment.levers.sla": False}).resolve())
    assert no_sla.response_hours_mean == s.sales.response_hours_mean


def test_threshold_shift_of_the_marketing_plan_is_clipped_to_the_score_range() -> None:
    s = Scenario().with_overrides({"incentives.marketing_plan": "mql_volume",
                                   "nurture.handoff_threshold": 0.05})
    assert Policy.from_scenario(s.resolve()).threshold == 0.0  # 0.05 - 0.10 clipped


def test_feedback_lowers_scoring_noise_towards_its_limit() -> None:
    p = Policy.from_scenario(Scenario().resolve())
    assert p.noise_after_feedback(0.0) == pytest.approx(p.scoring_noise)
    half = p.noise_after_feedback(p.feedback_half_saturation)
    assert half == pytest.approx(p.scoring_noise * (1 - p.feedback_max_noise_reduction / 2))
    assert p.noise_after_feedback(1e12) == pytest.approx(
        p.scoring_noise * (1 - p.feedback_max_noise_reduction))


def test_response_sigma_matches_the_lognormal_cv() -> None:
    s = Scenario().with_overrides({"sales.response_hours_cv": 1.0})
    p = Policy.from_scenario(s.resolve())
    assert math.exp(p.response_sigma**2) - 1 == pytest.approx(1.0)  # cv^2 = e^(s^2) - 1


def test_each_period_of_a_timeline_gets_the_policy_of_its_resolved_plan() -> None:
    s = Scenario.model_validate({
        "incentives": {"sales_plan": "revenue_commission"},
        "timeline": [{"day": 90, "set": {"incentives.sales_plan": "shared_revenue",
                                         "alignment.stage": "undefined"}}]})
    (_, before), (_, after) = s.periods()
    p0, p1 = Policy.from_scenario(before), Policy.from_scenario(after)
    assert p0.follow_up_rate == SALES_PLANS["revenue_commission"]["follow_up_rate"]
    assert p1.follow_up_rate == SALES_PLANS["shared_revenue"]["follow_up_rate"]
    # undefined: no SLA, no shared metrics, no cross-training
    assert p1.response_hours_mean == s.sales.response_hours_mean
    assert p1.cherry_pick == SALES_PLANS["shared_revenue"]["cherry_pick"]
    assert p1.qualify_odds_multiplier == 1.0
    assert p0.response_hours_mean == ALIGNMENT_STAGES["defined"]["sla_hours"]
