"""The statistics of a decision under uncertainty, on cases with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.experiments.uncertainty import decide, luck_adjusted

pytestmark = pytest.mark.unit


def nested(draws: int, reps: int, mu: float, tau: float, sigma: float, seed: int = 1
           ) -> np.ndarray:
    """D[d, r] = theta_d + eps_dr with theta ~ N(mu, tau), eps ~ N(0, sigma)."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(mu, tau, size=(draws, 1))
    return theta + rng.normal(0.0, sigma, size=(draws, reps))


def test_probability_loss_and_variance_split_have_their_known_values() -> None:
    mu, tau, sigma, reps = 0.5, 1.0, 2.0, 4
    d = nested(4000, reps, mu, tau, sigma)
    dec = decide(d, np.zeros_like(d), "contribution", +1, level=0.9)
    # P(theta > 0) = Phi(mu / tau); the luck (sd 2 per replication) must not blur it.
    assert dec.probability_better == pytest.approx(stats.norm.cdf(mu / tau), abs=0.025)
    # One roll of the dice: P(theta + eps > 0) = Phi(mu / sqrt(tau^2 + sigma^2)).
    assert dec.probability_single == pytest.approx(
        stats.norm.cdf(mu / math.hypot(tau, sigma)), abs=0.015)
    # Law of total variance: Var(E[D|theta]) = tau^2, E[Var(D|theta)] = sigma^2.
    assert dec.variance_assumptions == pytest.approx(tau**2, rel=0.1)
    assert dec.variance_luck == pytest.approx(sigma**2, rel=0.05)
    assert dec.share_assumptions == pytest.approx(0.2, abs=0.03)
    # Expected loss of choosing the other plan: E[max(0, -theta)].
    z = mu / tau
    loss = tau * stats.norm.pdf(z) - mu * (1 - stats.norm.cdf(z))
    assert dec.loss_other == pytest.approx(loss, abs=0.02)
    assert dec.choose_other and dec.expected_loss == dec.loss_other
    assert dec.expected == pytest.approx(mu, abs=0.05)
    assert dec.ci_low < mu < dec.ci_high
    # The middle 90% of worlds: mu +/- 1.645 tau (not widened by the luck).
    assert dec.interval_low == pytest.approx(mu - 1.645 * tau, abs=0.12)
    assert dec.interval_high == pytest.approx(mu + 1.645 * tau, abs=0.12)


def test_lower_is_better_turns_the_probability_and_the_choice() -> None:
    d = nested(2000, 3, 0.5, 1.0, 1.0)
    higher = decide(d, np.zeros_like(d), "total_cost", +1)
    lower = decide(d, np.zeros_like(d), "total_cost", -1)
    assert lower.probability_better == pytest.approx(1 - higher.probability_better)
    assert higher.choose_other and not lower.choose_other
    assert lower.expected_loss == lower.loss_reference == pytest.approx(higher.loss_other)


def test_identical_plans_are_a_coin_flip_with_nothing_at_stake() -> None:
    x = nested(50, 4, 3.0, 1.0, 1.0)
    dec = decide(x, x.copy(), "revenue", +1)
    assert dec.expected == 0 and dec.probability_better == 0.5
    assert dec.probability_single == 0.5
    assert dec.loss_other == dec.loss_reference == 0


def test_luck_is_not_split_from_assumptions_with_one_replication() -> None:
    d = nested(200, 1, 0.0, 1.0, 1.0)
    conditional, luck, assumptions = luck_adjusted(d)
    assert math.isnan(luck)
    assert np.allclose(conditional, d[:, 0])
    assert assumptions == pytest.approx(float(np.var(d[:, 0], ddof=1)))
    assert math.isnan(decide(d, np.zeros_like(d), "revenue", 1).share_assumptions)


def test_undefined_values_are_left_out() -> None:
    d = nested(100, 4, 1.0, 0.5, 0.5)
    d[3, :] = np.nan  # a draw where the metric is undefined everywhere
    d[5, 1] = np.nan
    dec = decide(d, np.zeros_like(d), "cycle_days_median", -1)
    assert not math.isnan(dec.expected) and not math.isnan(dec.probability_better)


def test_shapes_and_directions_are_checked() -> None:
    with pytest.raises(ValueError, match="same shape"):
        decide(np.zeros((3, 2)), np.zeros((3, 3)), "revenue", 1)
    with pytest.raises(ValueError, match="way"):
        decide(np.zeros((3, 2)), np.zeros((3, 2)), "revenue", 0)
