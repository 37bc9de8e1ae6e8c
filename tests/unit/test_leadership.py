"""One revenue leader or two equal heads: reviews of the split, lags, friction and cost."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sim.model.funnel import FunnelModel
from sim.model.mechanisms import reviewed_brand_share
from sim.model.spend import build_spend_plan
from sim.model.streams import make_streams
from sim.results.metrics import compute_metrics
from sim.scenario.schema import Scenario

DAYS = np.arange(0, 400)


def test_two_heads_close_half_the_gap_two_quarters_late() -> None:
    share, moves = reviewed_brand_share(DAYS, np.full(400, 0.2), 0.5, 100.0, 50.0, 0.5)
    # Review 100: +0.15 from day 150; review 200: +0.075 from 250; review 300: +0.0375 from 350.
    assert moves == [(150.0, pytest.approx(0.15)), (250.0, pytest.approx(0.075)),
                     (350.0, pytest.approx(0.0375))]
    np.testing.assert_allclose(share[[149, 150, 249, 250, 349, 350, 399]],
                               [0.2, 0.35, 0.35, 0.425, 0.425, 0.4625, 0.4625])


def test_one_leader_closes_the_whole_gap_soon_and_then_holds() -> None:
    share, moves = reviewed_brand_share(DAYS, np.full(400, 0.2), 0.5, 100.0, 30.0, 1.0)
    assert moves == [(130.0, pytest.approx(0.3))]
    np.testing.assert_allclose(share[[129, 130, 399]], [0.2, 0.5, 0.5])


def test_pending_decisions_count_so_a_long_lag_never_overshoots() -> None:
    share, _ = reviewed_brand_share(DAYS, np.full(400, 0.2), 0.5, 50.0, 200.0, 1.0)
    assert share.max() == pytest.approx(0.5)


def test_a_move_landing_after_the_end_is_not_made() -> None:
    _, moves = reviewed_brand_share(DAYS, np.full(400, 0.2), 0.5, 100.0, 350.0, 0.5)
    assert moves == []


def _plan(overrides: dict[str, Any]) -> Any:
    scenario = Scenario().with_overrides({
        "warmup_days": 0.0, "marketing.annual_budget": 365_000.0,
        "marketing.prior_annual_budget": None, "marketing.prior_brand_share": None,
        "marketing.brand_share": 0.2, "alignment.leadership.target_brand_share": 0.5,
        "alignment.leadership.review_days": 100.0, **overrides})
    return build_spend_plan(scenario.periods(), 400.0)


def test_the_spend_plan_follows_the_reviews_and_charges_their_cost() -> None:
    none = _plan({})
    np.testing.assert_allclose(none.brand_spend, 200.0)
    assert not none.leadership_cost.any()
    two = _plan({"alignment.leadership.mode": "two_heads",
                 "alignment.leadership.two_heads_lag_days": 50.0})
    assert two.brand_spend[149] == pytest.approx(200.0)
    assert two.brand_spend[150] == pytest.approx(350.0)
    # Friction 10% of the budget moved, on the day each move lands.
    assert two.leadership_cost[150] == pytest.approx(0.1 * 0.15 * 365_000.0)
    assert two.leadership_cost_between(0.0, 400.0) == pytest.approx(
        0.1 * (0.15 + 0.075 + 0.0375) * 365_000.0)
    one = _plan({"alignment.leadership.mode": "one_leader"})
    assert one.brand_spend[130] == pytest.approx(500.0)
    assert one.leadership_cost_between(0.0, 365.0) == pytest.approx(300_000.0)
    assert one.spend_between(0.0, 400.0) == pytest.approx(none.spend_between(0.0, 400.0))


def test_the_leader_is_paid_in_the_alignment_cost() -> None:
    def cost(mode: str) -> float:
        scenario = Scenario().with_overrides({"horizon_days": 100.0, "warmup_days": 0.0,
                                              "alignment.leadership.mode": mode})
        model = FunnelModel(scenario, make_streams(1, 0))
        model.run()
        return compute_metrics(model)["alignment_cost"]

    assert cost("one_leader") - cost("none") == pytest.approx(300_000.0 * 100.0 / 365.0)
