"""Flattening a resolved scenario into the numbers the hot path reads."""

import pytest

from sim import Scenario
from sim.model.policy import Policy
from sim.model.records import Source
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
    # The SLA's hours and compliance are in force; without one, the no-SLA profile.
    assert (p.sla_hours, p.sla_compliance) == (lv["sla_hours"], lv["sla_compliance"])
    no_sla = Policy.from_scenario(s.with_overrides({"alignment.levers.sla": False}).resolve())
    assert no_sla.sla_hours is None


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


def test_response_delay_reads_the_luck_as_a_standard_normal() -> None:
    # No SLA: luck 0 is the median lead, u = 0.5: in 1-24 h, (0.5 - 0.48) / 0.21 of
    # the way through its share, spread by shape 2: 1 + 23 x 0.0952^2 = 1.2086 h.
    s = Scenario().with_overrides({"alignment.levers.sla": False})
    p = Policy.from_scenario(s.resolve())
    assert p.response_delay_hours(0.0) == pytest.approx(1.0 + 23.0 * (0.02 / 0.21) ** 2)
    # Luck -1.96 is u = 0.025: the first hour, (0.025 / 0.48)^2 h.
    assert p.response_delay_hours(-1.959963985) == pytest.approx((0.025 / 0.48) ** 2, rel=1e-6)


def test_reach_combines_source_and_segment() -> None:
    p = Policy.from_scenario(Scenario().resolve())
    # [source][segment]: organic 0.5, promotion 1; smb and mid-market 1, enterprise 0.5.
    assert p.response_reach[Source.ORGANIC] == (0.5, 0.5, 0.25)
    assert p.response_reach[Source.PROMOTION] == (1.0, 1.0, 0.5)
    # An organic enterprise lead first contacted after a day keeps 0.75 + 0.25 / 65.
    assert p.qualify_multiplier(30.0, 0, 2) == pytest.approx(0.75 + 0.25 / 65)
    assert p.qualify_multiplier(30.0, 1, 0) == pytest.approx(1 / 65)


def test_neutral_mode_answers_at_once_without_decay() -> None:
    p = Policy.from_scenario(Scenario(neutral=True).resolve())
    assert p.response_delay_hours(3.0) == 0.0
    assert p.qualify_multiplier(500.0, 1, 0) == 1.0


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
    assert p1.sla_hours is None
    assert p1.cherry_pick == SALES_PLANS["shared_revenue"]["cherry_pick"]
    assert p1.qualify_odds_multiplier == 1.0
    assert p0.sla_hours == ALIGNMENT_STAGES["defined"]["sla_hours"]
