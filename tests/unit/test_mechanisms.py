"""Pure mechanism functions against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.model.mechanisms import (
    adstock,
    discount,
    engagement_rate,
    hill,
    in_push_window,
    nurture_crossing_days,
    pull_forward_close,
    quality_odds,
    retention_per_day,
    saturated_stock,
    scale_odds,
    scale_odds_scalar,
    steady_state_stock,
)

# --- retention and adstock ----------------------------------------------------------


def test_retention_per_day_by_hand() -> None:
    # d = 0.5 ** (1 / h): h = 1 -> 0.5; h = 2 -> sqrt(0.5) = 0.70710678...
    assert retention_per_day(1.0) == 0.5
    assert retention_per_day(2.0) == pytest.approx(math.sqrt(0.5), rel=1e-15)
    # No carry-over at all with half-life 0.
    assert retention_per_day(0.0) == 0.0


def test_retention_halves_a_stock_after_one_half_life() -> None:
    d = retention_per_day(7.0)
    assert 0.0 < d < 1.0
    assert d**7 == pytest.approx(0.5, rel=1e-12)


def test_retention_rejects_negative_half_life() -> None:
    with pytest.raises(ValueError, match="half_life_days"):
        retention_per_day(-1.0)


def test_adstock_three_days_without_initial_stock() -> None:
    # S_t = x_t + d * S_{t-1}, d = 0.5, S_0 = 0, x = 100, 0, 50:
    # S1 = 100; S2 = 0 + 0.5 * 100 = 50; S3 = 50 + 0.5 * 50 = 75.
    out = adstock([100.0, 0.0, 50.0], 0.5)
    np.testing.assert_allclose(out, [100.0, 50.0, 75.0], rtol=0, atol=1e-12)


def test_adstock_three_days_with_initial_stock() -> None:
    # Same spend, S_0 = 40: S1 = 100 + 20 = 120; S2 = 60; S3 = 50 + 30 = 80.
    out = adstock([100.0, 0.0, 50.0], 0.5, initial_stock=40.0)
    np.testing.assert_allclose(out, [120.0, 60.0, 80.0], rtol=0, atol=1e-12)


def test_adstock_time_varying_retention() -> None:
    # d = 0.5, 0.9, 0.0 and S_0 = 10:
    # S1 = 100 + 0.5 * 10 = 105; S2 = 0 + 0.9 * 105 = 94.5; S3 = 50 + 0 * 94.5 = 50.
    out = adstock([100.0, 0.0, 50.0], [0.5, 0.9, 0.0], initial_stock=10.0)
    np.testing.assert_allclose(out, [105.0, 94.5, 50.0], rtol=0, atol=1e-12)


def test_adstock_empty_spend_gives_empty_stock() -> None:
    assert adstock([], 0.5, initial_stock=3.0).size == 0


def test_steady_state_stock_by_hand_and_is_a_fixed_point() -> None:
    # spend / (1 - d) = 100 / 0.25 = 400.
    assert steady_state_stock(100.0, 0.75) == 400.0
    # With no carry-over the stock is the day's spend.
    assert steady_state_stock(100.0, 0.0) == 100.0
    # Starting at the steady state, a constant spend keeps the stock there.
    out = adstock(np.full(50, 100.0), 0.75, initial_stock=400.0)
    np.testing.assert_allclose(out, 400.0, rtol=1e-12)


# --- saturation ---------------------------------------------------------------------


def test_hill_by_hand() -> None:
    # x = k: k^a / (2 k^a) = 0.5 whatever the shape.
    assert hill(3.0, 3.0, 1.0) == 0.5
    assert hill(3.0, 3.0, 2.5) == pytest.approx(0.5, rel=1e-15)
    # shape 2: 2^2 / (2^2 + 1^2) = 4 / 5 = 0.8.
    assert hill(2.0, 1.0, 2.0) == pytest.approx(0.8, rel=1e-15)
    # shape 1: 1 / (1 + 3) = 0.25.
    assert hill(1.0, 3.0, 1.0) == 0.25
    # No input, no effect; a negative input is treated as none.
    assert hill(0.0, 5.0, 1.0) == 0.0
    assert hill(-2.0, 5.0, 1.0) == 0.0


def test_hill_is_vectorised_and_below_one() -> None:
    out = hill([0.0, 1.0, 3.0, 1e9], 3.0, 1.0)
    np.testing.assert_allclose(out[:3], [0.0, 0.25, 0.5], rtol=1e-15)
    assert np.all(np.diff(out) > 0)
    assert out[-1] < 1.0


@pytest.mark.parametrize("half_life", [0.0, 1.0, 7.0, 180.0, 3650.0])
@pytest.mark.parametrize("shape", [1.0, 2.5])
def test_steady_half_saturation_spend_gives_half_whatever_the_half_life(
    half_life: float, shape: float
) -> None:
    # A steady spend k per day has stock k / (1 - d); the effective spend
    # (1 - d) * stock is k again, and hill(k, k, a) = 0.5.
    k = 500.0
    d = retention_per_day(half_life)
    stock = steady_state_stock(k, d)
    assert saturated_stock(stock, d, k, shape) == pytest.approx(0.5, rel=1e-12)


def test_saturated_stock_by_hand() -> None:
    # d = 0.5, stock 400: effective spend 0.5 * 400 = 200; hill(200, 100, 1) = 2/3.
    assert saturated_stock(400.0, 0.5, 100.0, 1.0) == pytest.approx(2.0 / 3.0, rel=1e-15)


# --- nurture ------------------------------------------------------------------------


def test_engagement_rate_by_hand() -> None:
    # r = 2 / 7 * -ln(0.85) = 0.285714 * 0.162519 = 0.0464339 per day.
    assert engagement_rate(2.0, 0.15) == pytest.approx(2.0 / 7.0 * 0.1625189294977749, rel=1e-12)
    assert engagement_rate(0.0, 0.15) == 0.0
    assert engagement_rate(2.0, 0.0) == 0.0


@pytest.mark.parametrize(("touches_per_week", "c", "n"), [(2.0, 0.15, 4), (7.0, 0.3, 10),
                                                           (0.5, 0.9, 3)])
def test_engagement_after_n_touches_matches_continuous_curve(
    touches_per_week: float, c: float, n: int
) -> None:
    # n touches close 1 - (1 - c)^n of the gap; they take n / touches_per_day days.
    # e.g. 2/week, c = 0.15, n = 4: 1 - 0.85^4 = 0.47799375 at t = 4 / (2/7) = 14 days.
    r = engagement_rate(touches_per_week, c)
    t = n / (touches_per_week / 7.0)
    assert 1.0 - math.exp(-r * t) == pytest.approx(1.0 - (1.0 - c) ** n, rel=1e-12)


def test_engagement_rate_is_finite_for_full_effectiveness() -> None:
    # c is clipped below 1, so the rate is large but finite.
    r = engagement_rate(2.0, 1.0)
    assert math.isfinite(r)
    assert r > engagement_rate(2.0, 0.99)


def _score(q: float, noise: float, w: float, r: float, t: float) -> float:
    return w * q + (1.0 - w) * (1.0 - math.exp(-r * t)) + noise


def test_nurture_crossing_by_hand() -> None:
    # q = 0.5, w = 0.6, noise 0, threshold 0.55: need 0.55 - 0.3 = 0.25 of the
    # span 0.4 -> 1 - exp(-r t) = 0.625 -> t = -ln(0.375) / 0.1 = 9.80829 days.
    t = float(nurture_crossing_days(0.5, 0.0, 0.55, 0.6, 0.1))
    assert t == pytest.approx(-math.log(0.375) / 0.1, rel=1e-12)
    assert t == pytest.approx(9.808292530117262, rel=1e-12)


@pytest.mark.parametrize(
    ("q", "noise", "threshold", "w", "r"),
    [(0.5, 0.0, 0.55, 0.6, 0.1), (0.2, 0.05, 0.55, 0.6, 0.05), (0.7, -0.2, 0.6, 0.3, 1.3),
     (0.0, 0.0, 0.3, 0.0, 0.02)],
)
def test_nurture_score_at_crossing_equals_threshold(
    q: float, noise: float, threshold: float, w: float, r: float
) -> None:
    t = float(nurture_crossing_days(q, noise, threshold, w, r))
    assert 0.0 < t < math.inf
    assert _score(q, noise, w, r, t) == pytest.approx(threshold, abs=1e-12)
    # Just before the crossing the score is still below the threshold.
    assert _score(q, noise, w, r, 0.999 * t) < threshold


def test_nurture_crossing_edge_cases() -> None:
    q = np.array([0.9, 0.0, 0.5, 0.5])
    noise = np.array([0.1, 0.0, 0.0, -0.5])
    out = nurture_crossing_days(q, noise, 0.55, 0.6, 0.1)
    # 0.54 + 0.1 = 0.64 >= 0.55: already above -> 0.
    assert out[0] == 0.0
    # 0 + at most 0.4 of engagement < 0.55: unreachable -> inf.
    assert out[1] == math.inf
    # The hand-computed case above, within a vector.
    assert out[2] == pytest.approx(-math.log(0.375) / 0.1, rel=1e-12)
    # A negative score error can make a lead unreachable: 0.3 - 0.5 + 0.4 < 0.55.
    assert out[3] == math.inf


def test_nurture_crossing_exactly_at_threshold_is_zero() -> None:
    # Binary-exact numbers: 0.5 * 0.5 + 0.25 = 0.5 = threshold -> already there.
    assert nurture_crossing_days(0.5, 0.25, 0.5, 0.5, 0.1) == 0.0


def test_nurture_crossing_needing_the_whole_span_is_never_reached() -> None:
    # threshold 0.5, w = 0.5, q = 0: need exactly 0.5 = span, approached only as t -> inf.
    assert nurture_crossing_days(0.0, 0.0, 0.5, 0.5, 1.0) == math.inf


def test_nurture_crossing_with_zero_rate() -> None:
    # Without engagement a lead below the threshold never crosses; above it, at once.
    out = nurture_crossing_days([0.5, 0.95], 0.0, 0.55, 0.6, 0.0)
    assert out[0] == math.inf
    assert out[1] == 0.0  # 0.6 * 0.95 = 0.57 >= 0.55


# --- response decay: tests/unit/test_mechanisms_response.py -------------------------


# --- odds ---------------------------------------------------------------------------


def test_scale_odds_by_hand() -> None:
    # p = 0.5: odds 1, x3 -> 3 -> p = 3 / 4. p = 0.2: odds 0.25, x2 -> 0.5 -> p = 1/3.
    assert scale_odds_scalar(0.5, 3.0) == 0.75
    assert scale_odds_scalar(0.2, 2.0) == pytest.approx(1.0 / 3.0, rel=1e-15)
    np.testing.assert_allclose(scale_odds([0.5, 0.2], [3.0, 2.0]), [0.75, 1.0 / 3.0], rtol=1e-15)


def test_scale_odds_identity_and_bounds() -> None:
    p = np.array([0.0, 1e-9, 0.1, 0.5, 0.9, 1.0 - 1e-9, 1.0])
    np.testing.assert_allclose(scale_odds(p, 1.0), p, rtol=1e-12, atol=0)
    for m in (0.0, 0.3, 5.0, 1e6):
        out = scale_odds(p, m)
        assert out[0] == 0.0  # p = 0 stays 0
        assert out[-1] == 1.0  # p = 1 stays 1
        assert np.all((out >= 0.0) & (out <= 1.0))
        assert scale_odds_scalar(0.0, m) == 0.0
        assert scale_odds_scalar(1.0, m) == 1.0


def test_scale_odds_vector_and_scalar_agree() -> None:
    rng = np.random.default_rng(3)
    p = np.concatenate([[0.0, 1.0], rng.random(200)])
    m = np.concatenate([[4.0, 0.0], rng.uniform(0.0, 10.0, 200)])
    vector = scale_odds(p, m)
    scalar = np.array([scale_odds_scalar(a, b) for a, b in zip(p, m, strict=True)])
    np.testing.assert_allclose(vector, scalar, rtol=1e-14, atol=0)


def test_quality_odds_by_hand() -> None:
    # exp(w (q - 0.5)): average lead 1; w = 3: q = 1 -> e^1.5, q = 0 -> e^-1.5.
    assert quality_odds(0.5, 3.0) == 1.0
    assert quality_odds(1.0, 3.0) == pytest.approx(4.4816890703380645, rel=1e-15)
    assert quality_odds(0.0, 3.0) == pytest.approx(0.22313016014842982, rel=1e-15)
    assert quality_odds(0.9, 0.0) == 1.0


def test_discount_by_hand() -> None:
    # 0.1 * (1 - 0.4 * 0.5) + 0.02 = 0.08 + 0.02 = 0.10.
    assert discount(0.1, 0.5, 0.4, 0.02, 0.4) == pytest.approx(0.10, rel=1e-15)
    # No brand equity: base + extra = 0.1 + 0.08 = 0.18.
    assert discount(0.1, 0.0, 0.4, 0.08, 0.4) == pytest.approx(0.18, rel=1e-15)
    # Full equity and full reduction remove the base discount: only extra 0.03 is left.
    assert discount(0.1, 1.0, 1.0, 0.03, 0.4) == pytest.approx(0.03, rel=1e-15)


def test_discount_is_clipped() -> None:
    # 0.1 + 0.5 = 0.6 > max 0.4 -> 0.4.
    assert discount(0.1, 0.0, 0.4, 0.5, 0.4) == 0.4
    # 0.1 - 0.2 < 0 -> 0.
    assert discount(0.1, 0.0, 0.4, -0.2, 0.4) == 0.0


def test_in_push_window_by_hand() -> None:
    period, window = 91.25, 10.0
    assert in_push_window(85.0, period, window)  # 91.25 - 85 = 6.25 <= 10
    assert in_push_window(81.25, period, window)  # exactly 10 before the end
    assert not in_push_window(80.0, period, window)  # 11.25 > 10
    assert not in_push_window(100.0, period, window)  # next end 182.5: 82.5 left
    assert in_push_window(175.0, period, window)  # 182.5 - 175 = 7.5
    assert in_push_window(91.25, period, window)  # at the end itself


# --- pull forward -------------------------------------------------------------------

PERIOD, PUSH, PULL, PROB = 91.25, 10.0, 30.0, 0.5


def _pull(start: float, close: float, u: float) -> float | None:
    return pull_forward_close(start, close, u, PERIOD, PUSH, PULL, PROB)


def test_pull_forward_by_hand() -> None:
    # Close 100 is 8.75 days after the period end 91.25; open since 50; u = 0.2 < 0.5.
    # Window min(10, 91.25 - 50) = 10; pulled to 91.25 - (1 - 0.2 / 0.5) * 10 = 85.25.
    assert _pull(50.0, 100.0, 0.2) == pytest.approx(85.25, rel=1e-15)
    # u = 0 gives the start of the push window: 91.25 - 10 = 81.25.
    assert _pull(50.0, 100.0, 0.0) == pytest.approx(81.25, rel=1e-15)
    # Due exactly pull_forward_days after the end (121.25 - 91.25 = 30): still pulled.
    assert _pull(50.0, 121.25, 0.2) == pytest.approx(85.25, rel=1e-15)


def test_pull_forward_not_pulled_cases() -> None:
    assert _pull(50.0, 100.0, 0.5) is None  # u = probability
    assert _pull(50.0, 100.0, 0.9) is None  # u above probability
    assert _pull(95.0, 100.0, 0.1) is None  # opened after the period end
    assert _pull(91.25, 100.0, 0.1) is None  # opened exactly at the period end
    assert _pull(50.0, 125.0, 0.1) is None  # 125 - 91.25 = 33.75 > 30 days after
    assert _pull(10.0, 50.0, 0.1) is None  # first period: no end since it opened
    # Probability 0 never pulls (and does not divide by zero).
    assert pull_forward_close(50.0, 100.0, 0.0, PERIOD, PUSH, PULL, 0.0) is None


def test_pull_forward_not_before_the_deal_opened() -> None:
    # Open since 88: window min(10, 91.25 - 88) = 3.25.
    # u = 0 -> 91.25 - 3.25 = 88 (the opening time); u = 0.25 -> 91.25 - 0.5 * 3.25 = 89.625.
    assert _pull(88.0, 100.0, 0.0) == pytest.approx(88.0, rel=1e-15)
    assert _pull(88.0, 100.0, 0.25) == pytest.approx(89.625, rel=1e-15)


def test_pulled_close_lies_in_the_push_window_of_the_period() -> None:
    rng = np.random.default_rng(7)
    pulled_any = 0
    for _ in range(2_000):
        start = rng.uniform(0.0, 400.0)
        close = start + rng.uniform(0.0, 200.0)
        u = rng.random()
        t = _pull(start, close, u)
        end = math.floor(close / PERIOD) * PERIOD
        eligible = start < end and close - end <= PULL and u < PROB
        assert (t is not None) == eligible
        if t is not None:
            pulled_any += 1
            assert end - PUSH <= t < end  # within the last push_window_days
            assert t >= start  # not before the deal opened
            assert t <= close
    assert pulled_any > 100
