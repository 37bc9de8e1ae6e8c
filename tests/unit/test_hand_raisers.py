"""Hand-raisers (customer-initiated requests): rate, luck, reach, streams and their path."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.model.funnel import FunnelModel
from sim.model.hand_raisers import hand_raiser_streams
from sim.model.luck import Luck, transform_rows
from sim.model.mechanisms import hand_raiser_rate
from sim.model.policy import Policy
from sim.model.records import Source
from sim.model.spend import build_spend_plan
from sim.model.streams import make_streams
from sim.results.metrics import lead_records
from sim.scenario.schema import Scenario

ON = {"leads.hand_raisers.per_day": 2.0}


def test_rate_is_base_times_brand_and_promotion_factors() -> None:
    # 2 x (1 + 1 x 0.5) x (1 + 0.5 x 0.4) = 2 x 1.5 x 1.2 = 3.6
    assert float(hand_raiser_rate(2.0, 0.5, 0.4, 1.0, 0.5)) == pytest.approx(3.6)
    rates = hand_raiser_rate(np.array([1.0, 1.0]), np.array([0.0, 1.0]), np.array([1.0, 0.0]),
                             2.0, 0.25)
    np.testing.assert_allclose(rates, [1.25, 3.0])


def test_the_spend_plan_has_no_hand_raisers_unless_asked() -> None:
    off = build_spend_plan(Scenario().with_overrides({"warmup_days": 0.0}).periods(), 100.0)
    assert not off.hand_raiser_rate.any()
    on = build_spend_plan(Scenario().with_overrides({"warmup_days": 0.0, **ON}).periods(), 100.0)
    np.testing.assert_allclose(on.hand_raiser_rate,
                               2.0 * (1.0 + on.brand_equity) * (1.0 + 0.5 * on.promo_effect))
    # More brand budget, more equity, more hand-raisers once the stock has built.
    brandy = build_spend_plan(Scenario().with_overrides(
        {"warmup_days": 0.0, "marketing.brand_share": 0.9, **ON}).periods(), 100.0)
    assert brandy.brand_equity[-1] > on.brand_equity[-1]
    assert brandy.hand_raiser_rate[-1] > on.hand_raiser_rate[-1] * (
        (1 + brandy.brand_equity[-1]) / (1 + on.brand_equity[-1])) * (
        (1 + 0.5 * brandy.promo_effect[-1]) / (1 + 0.5 * on.promo_effect[-1])) - 1e-9


def test_hand_raisers_have_their_own_quality_and_short_window() -> None:
    s = Scenario().with_overrides(ON).resolve()
    u = np.tile(np.linspace(0.05, 0.95, 7)[:, None], Luck.width(len(s.sales.stages)))
    rows = transform_rows(u.copy(), Source.HAND_RAISER, s)
    q = s.leads.hand_raisers.quality
    np.testing.assert_allclose(rows[:, Luck.QUALITY], stats.beta.ppf(u[:, 1], q.a, q.b))
    # 14 days mean whatever the segment (the segments' windows are 60-240 days).
    np.testing.assert_allclose(rows[:, Luck.BUYING_WINDOW], -14.0 * np.log1p(-u[:, 2]))
    organic = transform_rows(u.copy(), Source.ORGANIC, s)
    assert (rows[:, Luck.QUALITY] > organic[:, Luck.QUALITY]).all()  # Beta(4,2) over Beta(2,3)


def test_the_response_decay_reaches_hand_raisers_in_full() -> None:
    s = Scenario().with_overrides(ON).resolve()
    p = Policy.from_scenario(s)
    # enterprise reach 0.5 x hand-raiser reach 1; smb 1 x 1
    assert p.response_reach[Source.HAND_RAISER] == (1.0, 1.0, 0.5)
    # A hand-raiser answered in the second hour: the full 1/6.5 (reach 1, smb).
    assert p.qualify_multiplier(1.5, Source.HAND_RAISER, 0) == pytest.approx(1 / 6.5)
    # An organic lead (reach 0.5): half its chance depends on it, 0.5 + 0.5/6.5.
    assert p.qualify_multiplier(1.5, Source.ORGANIC, 0) == pytest.approx(0.5 + 0.5 / 6.5)


def test_their_streams_are_a_fixed_branch_that_leaves_the_others_alone() -> None:
    a, b = make_streams(7, 3), make_streams(7, 3)
    first = hand_raiser_streams(a)
    again = hand_raiser_streams(a)
    assert first.leads.random() == again.leads.random()
    assert first.counts.random() != first.times.random()
    assert a.arrival_counts.random() == b.arrival_counts.random()  # nothing consumed
    assert hand_raiser_streams(make_streams(7, 4)).leads.random() != hand_raiser_streams(
        make_streams(7, 3)).leads.random()


def _run(overrides: dict[str, object]) -> FunnelModel:
    scenario = Scenario().with_overrides({"horizon_days": 120.0, "warmup_days": 30.0,
                                          **overrides})
    model = FunnelModel(scenario, make_streams(11, 0), keep_leads=True)
    model.run()
    return model


def test_hand_raisers_skip_nurture_and_go_straight_to_sales() -> None:
    model = _run(ON)
    leads = lead_records(model)
    hand = leads[leads["source"] == "hand_raiser"]
    # About 2 x (1 + equity) x (1 + 0.5 promotion) a day over 120 days: a few hundred.
    assert 240 < len(hand) < 1000
    np.testing.assert_allclose(hand["mql_time"], hand["created"], atol=1e-9)  # MQL on arrival
    assert hand["quality"].mean() == pytest.approx(4 / 6, abs=0.04)
    assert set(leads["source"]) == {"organic", "promotion", "hand_raiser"}


def test_switched_off_there_are_none_and_the_others_are_unchanged() -> None:
    off, on = lead_records(_run({})), lead_records(_run(ON))
    assert "hand_raiser" not in set(off["source"])
    # Common random numbers: the organic and promotion leads are the same leads.
    others = on[on["source"] != "hand_raiser"]
    np.testing.assert_array_equal(np.sort(others["created"]), np.sort(off["created"]))
    np.testing.assert_array_equal(np.sort(others["quality"]), np.sort(off["quality"]))
    assert math.isclose(others["quality"].sum(), off["quality"].sum())
