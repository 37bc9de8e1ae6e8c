"""The daily spend plan: spend, adstock transients and brand equity, by hand."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sim.model.mechanisms import hill, retention_per_day
from sim.model.spend import SpendPlan, build_spend_plan
from sim.scenario.schema import Scenario

# Budget 365_000 a year is 1_000 a day; with brand share 0.5, 500 a day each. The prior
# plan is the same (null: a steady-state comparison) unless a test says otherwise.
CONSTANT = {
    "marketing.annual_budget": 365_000.0,
    "marketing.brand_share": 0.5,
    "marketing.prior_annual_budget": None,
    "marketing.prior_brand_share": None,
    "marketing.brand_saturation.half_saturation_daily_spend": 500.0,
}
# From day 100 the budget doubles.
RAISE_ON_DAY_100 = {"timeline": [{"day": 100, "set": {"marketing.annual_budget": 730_000.0}}]}


def plan(overrides: dict[str, Any], end_day: float = 400.0) -> SpendPlan:
    """The spend plan from day 0 (no warm-up unless the overrides ask for one)."""
    scenario = Scenario().with_overrides({"warmup_days": 0.0, **overrides})
    return build_spend_plan(scenario.periods(), end_day)


def at(p: SpendPlan, values: np.ndarray, day: int) -> float:
    """The value of a daily array on a given day number."""
    return float(values[day - p.start_day])


def effective_brand_spend(p: SpendPlan, half_saturation: float) -> np.ndarray:
    """Invert hill with shape 1: e = x / (x + k) -> x = k e / (1 - e)."""
    e = p.brand_equity
    return half_saturation * e / (1.0 - e)


def test_constant_plan_has_constant_equity_at_steady_state() -> None:
    p = plan(CONSTANT)
    assert p.start_day == 0
    assert p.brand_spend.size == 400
    np.testing.assert_allclose(p.brand_spend, 500.0, rtol=1e-12)
    np.testing.assert_allclose(p.promo_spend, 500.0, rtol=1e-12)
    # Steady brand spend 500 = half-saturation 500 -> equity 0.5 on every day.
    np.testing.assert_allclose(p.brand_equity, 0.5, rtol=1e-12)
    # Promotion: 500 / (500 + 3_000) = 1/7 (default half-saturation 3_000).
    np.testing.assert_allclose(p.promo_effect, 1.0 / 7.0, rtol=1e-12)
    # Organic 8 * (1 + 1 * 0.5) = 12 a day; promotion 30 * 1/7 = 4.2857 a day.
    np.testing.assert_allclose(p.organic_rate, 12.0, rtol=1e-12)
    np.testing.assert_allclose(p.promo_rate, 30.0 / 7.0, rtol=1e-12)


def test_constant_plan_equity_with_shape_two() -> None:
    # hill(500, 1_000, 2) = 500^2 / (500^2 + 1_000^2) = 0.25e6 / 1.25e6 = 0.2.
    p = plan({**CONSTANT, "marketing.brand_saturation.half_saturation_daily_spend": 1_000.0,
              "marketing.brand_saturation.shape": 2.0})
    np.testing.assert_allclose(p.brand_equity, 0.2, rtol=1e-12)
    assert float(hill(500.0, 1_000.0, 2.0)) == pytest.approx(0.2, rel=1e-12)


def test_spend_between_counts_whole_and_part_days() -> None:
    p = plan(CONSTANT)
    # 10 days of 1_000 a day.
    assert p.spend_between(0.0, 10.0) == pytest.approx(10_000.0, rel=1e-12)
    # Half of day 0, day 1, a quarter of day 2: 1.75 days -> 1_750.
    assert p.spend_between(0.5, 2.25) == pytest.approx(1_750.0, rel=1e-12)
    assert p.spend_between(3.0, 3.0) == 0.0


def test_budget_raise_on_day_100_takes_effect_that_day_with_a_brand_transient() -> None:
    # From day 100 the budget doubles: 2_000 a day, 1_000 brand.
    p = plan({**CONSTANT, **RAISE_ON_DAY_100})
    assert at(p, p.brand_spend, 99) == pytest.approx(500.0, rel=1e-12)
    assert at(p, p.brand_spend, 100) == pytest.approx(1_000.0, rel=1e-12)
    assert at(p, p.promo_spend, 100) == pytest.approx(1_000.0, rel=1e-12)
    # Half of day 99 at 1_000 + half of day 100 at 2_000 = 1_500.
    assert p.spend_between(99.5, 100.5) == pytest.approx(1_500.0, rel=1e-12)

    # Still at the old steady state on day 99.
    assert at(p, p.brand_equity, 99) == pytest.approx(0.5, rel=1e-12)
    # The effective spend (1 - d) S on day 100 + j is 1_000 - 500 d^(j + 1), d = 0.5^(1/180):
    # day 101: 1_000 - 500 * 0.5^(2/180) = 503.836 -> 503.836 / 1_003.836 = 0.501911;
    # day 399: 1_000 - 500 * 0.5^(300/180) = 842.510 -> 842.510 / 1_342.510 = 0.627563.
    d = retention_per_day(180.0)
    for day in (100, 101, 200, 399):
        x = 1_000.0 - 500.0 * d ** (day - 99)
        assert at(p, p.brand_equity, day) == pytest.approx(x / (x + 500.0), rel=1e-10)
    assert at(p, p.brand_equity, 101) == pytest.approx(0.501911, abs=1e-6)
    assert at(p, p.brand_equity, 399) == pytest.approx(0.627563, abs=1e-6)
    rising = p.brand_equity[100:]
    assert np.all(np.diff(rising) > 0.0)
    # A gradual rise: day 101 is far below day 399, which is still below the new steady 2/3.
    assert at(p, p.brand_equity, 101) < at(p, p.brand_equity, 399) < 2.0 / 3.0


def test_cutting_brand_to_zero_decays_with_the_half_life() -> None:
    # Prior plan: 2e6 a year with 46% brand = 2_520.55 a day; from day 0 no brand at all.
    h = 10.0
    p = plan({"marketing.brand_share": 0.0, "marketing.prior_brand_share": 0.46,
              "marketing.brand_half_life_days": h}, end_day=60)
    np.testing.assert_array_equal(p.brand_spend, 0.0)
    prior_daily = 2e6 / 365.0 * 0.46
    # The stock on day -1 is the steady state S0; on day j it is d^(j + 1) S0, so after
    # h = 10 days (day 9) half of S0 and after 20 days (day 19) a quarter.
    x = effective_brand_spend(p, 3_000.0)  # default half-saturation 3_000, shape 1
    assert x[9] == pytest.approx(prior_daily / 2.0, rel=1e-10)
    assert x[19] == pytest.approx(prior_daily / 4.0, rel=1e-10)
    assert x[0] == pytest.approx(prior_daily * 0.5 ** (1.0 / h), rel=1e-10)
    assert np.all(np.diff(p.brand_equity) < 0.0)


def test_warmup_days_follow_the_prior_plan() -> None:
    # Warm-up at 730_000 a year (2_000 a day, 1_000 brand); from day 0, 365_000 (500 brand).
    p = plan({**CONSTANT, "warmup_days": 30, "marketing.prior_annual_budget": 730_000.0})
    assert p.start_day == -30
    assert p.days[0] == -30 and p.days[-1] == 399
    np.testing.assert_allclose(p.brand_spend[:30], 1_000.0, rtol=1e-12)
    np.testing.assert_allclose(p.brand_spend[30:], 500.0, rtol=1e-12)
    assert p.spend_between(-30.0, 0.0) == pytest.approx(60_000.0, rel=1e-12)
    # The stock starts at the prior steady state: hill(1_000, 500, 1) = 2/3 through warm-up.
    np.testing.assert_allclose(p.brand_equity[:30], 2.0 / 3.0, rtol=1e-12)
    # Then it decays towards hill(500, 500, 1) = 0.5.
    assert at(p, p.brand_equity, 0) < 2.0 / 3.0
    assert at(p, p.brand_equity, 399) > 0.5


def test_fractional_warmup_starts_on_the_day_before() -> None:
    p = plan({**CONSTANT, "warmup_days": 10.5, "marketing.prior_annual_budget": 730_000.0})
    assert p.start_day == -11  # floor(-10.5)
    np.testing.assert_allclose(p.brand_spend[:11], 1_000.0, rtol=1e-12)
    assert at(p, p.brand_spend, 0) == pytest.approx(500.0, rel=1e-12)


@pytest.mark.parametrize(
    ("overrides", "tilt"),
    [({"incentives.marketing_plan": "mql_volume"}, 0.25),  # the preset's tilt
     ({"incentives.marketing.promotion_tilt": 0.4}, 0.4)],
)
def test_promotion_tilt_moves_brand_to_promotion_from_day_zero(
    overrides: dict[str, Any], tilt: float
) -> None:
    # 1_000 a day, brand share 0.5: before day 0 500/500; from day 0 the brand part is
    # 500 * (1 - tilt) (375 with tilt 0.25) and promotion gets the rest (625).
    p = plan({**CONSTANT, "warmup_days": 10, **overrides}, end_day=50)
    np.testing.assert_allclose(p.brand_spend[:10], 500.0, rtol=1e-12)
    np.testing.assert_allclose(p.promo_spend[:10], 500.0, rtol=1e-12)
    np.testing.assert_allclose(p.brand_spend[10:], 500.0 * (1.0 - tilt), rtol=1e-12)
    np.testing.assert_allclose(p.promo_spend[10:], 500.0 * (1.0 + tilt), rtol=1e-12)
    np.testing.assert_allclose(p.brand_spend + p.promo_spend, 1_000.0, rtol=1e-12)
    # Equity was at steady state before day 0 and falls after the tilt.
    np.testing.assert_allclose(p.brand_equity[:10], 0.5, rtol=1e-12)
    assert np.all(np.diff(p.brand_equity[10:]) < 0.0)


def test_equity_at_uses_the_day_and_clamps_outside_the_plan() -> None:
    p = plan({**CONSTANT, **RAISE_ON_DAY_100})
    assert p.equity_at(150.7) == at(p, p.brand_equity, 150)
    assert p.equity_at(-5.0) == at(p, p.brand_equity, 0)
    assert p.equity_at(1e6) == at(p, p.brand_equity, 399)


def test_day_zero_timeline_change_has_same_prior_plan_with_or_without_warmup() -> None:
    # The same change of plan on day 0 should start from the scenario's own (pre-change)
    # budget whatever the warm-up: with warm-up it does (a transient from the 2e6 steady
    # state), with none the stocks start at the 4e6 steady state.
    change = {"timeline": [{"day": 0, "set": {"marketing.annual_budget": 4e6}}]}
    without = plan({**change, "warmup_days": 0}, end_day=50)
    with_warmup = plan({**change, "warmup_days": 10}, end_day=50)
    assert at(without, without.brand_equity, 0) == pytest.approx(
        at(with_warmup, with_warmup.brand_equity, 0), rel=1e-9
    )
