"""Sales content (collateral): relevance, its odds factor, the fading feedback memory, spend."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.model.content import FeedbackMemory
from sim.model.funnel import FunnelModel
from sim.model.mechanisms import content_odds_factor, content_relevance
from sim.model.policy import Policy
from sim.model.spend import build_spend_plan
from sim.model.streams import make_streams
from sim.results.metrics import compute_metrics
from sim.scenario.schema import Scenario


def test_relevance_by_hand() -> None:
    assert content_relevance(0.35, 0.0, 0.6, 0.0, 0.4) == pytest.approx(0.35)
    # 1 - 0.65 x (1 - 0.6 x 0.5) x (1 - 0.4 x 0.5) = 1 - 0.65 x 0.7 x 0.8 = 0.636
    assert content_relevance(0.35, 0.5, 0.6, 0.5, 0.4) == pytest.approx(0.636)
    assert content_relevance(0.35, 1.0, 1.0, 0.0, 0.4) == pytest.approx(1.0)


def test_odds_factor_by_hand() -> None:
    assert content_odds_factor(0.5, 0.636, 0.3) == pytest.approx(1.0954)
    assert content_odds_factor(0.0, 1.0, 0.3) == 1.0


def test_policy_relevance_learns_at_the_scoring_pace() -> None:
    s = Scenario().with_overrides({"alignment.stage": "integrated"}).resolve()
    p = Policy.from_scenario(s)
    ct = s.alignment.levers.cross_training
    # 500 items: half of what feedback can teach.
    expected = 1.0 - 0.65 * (1.0 - 0.6 * 0.5) * (1.0 - 0.4 * ct)
    assert p.content_relevance(500.0) == pytest.approx(expected)


def test_feedback_memory_halves_every_half_life() -> None:
    memory = FeedbackMemory(90.0, 0.0)
    memory.add(10.0, 8.0)
    assert memory.at(100.0) == pytest.approx(4.0)
    memory.add(100.0, 4.0)
    assert memory.at(190.0) == pytest.approx(4.0)
    # A steady flow of f a day settles at f x half-life / ln 2.
    steady = FeedbackMemory(90.0, 0.0)
    for day in range(2000):
        steady.add(float(day), 1.0)
    assert steady.at(1999.0) == pytest.approx(1.0 / (1.0 - 0.5 ** (1 / 90)), rel=1e-6)
    assert FeedbackMemory(math.inf, 0.0).rate == 0.0


def test_content_is_taken_off_the_top_of_the_budget() -> None:
    scenario = Scenario().with_overrides({
        "warmup_days": 0.0, "marketing.annual_budget": 365_000.0,
        "marketing.brand_share": 0.5, "marketing.prior_annual_budget": None,
        "marketing.prior_brand_share": None, "marketing.content.budget_share": 0.1,
        "marketing.content.half_saturation_daily_spend": 100.0,
        "marketing.content.half_life_days": 0.0})
    plan = build_spend_plan(scenario.periods(), 100.0)
    np.testing.assert_allclose(plan.content_spend, 100.0)
    np.testing.assert_allclose(plan.brand_spend, 450.0)
    np.testing.assert_allclose(plan.promo_spend, 450.0)
    # No memory (half-life 0): the library is today's spend, half saturated.
    np.testing.assert_allclose(plan.content_library, 0.5)
    assert plan.spend_between(0.0, 10.0) == pytest.approx(10_000.0)


def test_without_content_the_plan_has_none() -> None:
    plan = build_spend_plan(Scenario().periods(), 100.0)
    assert not plan.content_spend.any() and not plan.content_library.any()


def test_with_no_feedback_and_no_joint_work_the_waste_is_the_unused_base_share() -> None:
    scenario = Scenario().with_overrides({
        "alignment.stage": "undefined", "horizon_days": 200.0, "warmup_days": 50.0,
        "marketing.content.budget_share": 0.1, "marketing.prior_annual_budget": None})
    s = scenario.resolve()
    assert s.alignment.levers.feedback_loop == 0.0 and s.alignment.levers.cross_training == 0.0
    model = FunnelModel(scenario, make_streams(5, 0))
    model.run()
    wasted = compute_metrics(model)["content_wasted"]
    assert wasted == pytest.approx(0.65 * 0.1 * 2_000_000.0 * 200.0 / 365.0)


def test_without_content_nothing_is_wasted() -> None:
    model = FunnelModel(Scenario().with_overrides({"horizon_days": 60.0, "warmup_days": 0.0}),
                        make_streams(5, 0))
    model.run()
    assert compute_metrics(model)["content_wasted"] == 0.0
    assert model.relevance_log == []
