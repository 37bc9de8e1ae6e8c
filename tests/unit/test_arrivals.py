"""Poisson arrivals by inverse transform: counts per day and times within a day."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.model.arrivals import daily_counts, times_within_day
from sim.model.variates import poisson


def test_daily_counts_by_hand() -> None:
    # Poisson(1) cdf: P(0) = e^-1 = 0.3679, P(<=1) = 0.7358, P(<=2) = 0.9197.
    # u = 0.3 -> 0, u = 0.5 -> 1, u = 0.8 -> 2, u = 0.95 -> 3 (P(<=3) = 0.9810).
    counts = daily_counts(np.ones(4), np.array([0.3, 0.5, 0.8, 0.95]))
    np.testing.assert_array_equal(counts, [0, 1, 2, 3])
    assert counts.dtype == np.int64


def test_daily_counts_are_monotone_in_the_rate_for_the_same_uniforms() -> None:
    u = np.random.default_rng(11).random(20_000)
    previous = daily_counts(np.zeros(u.size), u)
    for rate in (0.1, 0.5, 1.0, 2.5, 2.6, 10.0, 50.0):
        counts = daily_counts(np.full(u.size, rate), u)
        assert np.all(counts >= previous)
        assert np.any(counts > previous)  # a higher rate does add some leads
        previous = counts


def test_daily_counts_mean_equals_the_rate() -> None:
    # Poisson(5) over 100_000 days: se of the mean = sqrt(5 / 1e5) = 0.00707; allow 5 se.
    rate, n = 5.0, 100_000
    counts = daily_counts(np.full(n, rate), np.random.default_rng(2).random(n))
    assert abs(counts.mean() - rate) < 5.0 * math.sqrt(rate / n)
    # The variance of a Poisson count is its mean too: se(var) ~ sqrt((mu + 2 mu^2) / n) = 0.0235.
    assert abs(counts.var(ddof=1) - rate) < 5.0 * math.sqrt((rate + 2 * rate**2) / n)


def test_daily_counts_follow_a_varying_rate_day_by_day() -> None:
    # Alternating rates 1 and 20: each half has its own mean (se sqrt(rate / 50_000)).
    n = 100_000
    rate = np.where(np.arange(n) % 2 == 0, 1.0, 20.0)
    counts = daily_counts(rate, np.random.default_rng(4).random(n))
    assert abs(counts[0::2].mean() - 1.0) < 5.0 * math.sqrt(1.0 / (n / 2))
    assert abs(counts[1::2].mean() - 20.0) < 5.0 * math.sqrt(20.0 / (n / 2))


def test_daily_counts_zero_or_negative_rate_gives_no_leads() -> None:
    u = np.array([0.0, 0.2, 0.5, 0.999999])
    np.testing.assert_array_equal(daily_counts(np.zeros(4), u), 0)
    np.testing.assert_array_equal(daily_counts(np.full(4, -3.0), u), 0)


def _edge_uniforms(rng: np.random.Generator) -> np.ndarray:
    """Uniforms spread over (0, 1), with the extremes a generator can give."""
    tiny = [np.nextafter(0.0, 1.0), 1e-300, 1e-17, 2.0**-53, 1e-12, 1e-6]
    top = [1.0 - 1e-6, 1.0 - 1e-12, 1.0 - 2.0**-52, np.nextafter(1.0, 0.0)]
    return np.concatenate([tiny, rng.random(2_000), [0.5], top])


def _edge_means(rng: np.random.Generator) -> np.ndarray:
    """Means from 0 up, with the daily rates the scenarios use and far beyond."""
    return np.concatenate([[0.0, 5e-324, 1e-300, 1e-12, 1e-6, 0.01, 0.5, 1.0, 2.0],
                           rng.exponential(20.0, 20),
                           [49.999, 50.0, 276.0, 1035.0, 1e4, 1e6]])


def test_poisson_variates_are_scipy_stats_poisson_ppf() -> None:
    # The model's arrivals once called scipy.stats.poisson.ppf: the same
    # numbers, exactly, or every stored result would move.
    from scipy import stats

    rng = np.random.default_rng(17)
    u, mean = np.meshgrid(_edge_uniforms(rng), _edge_means(rng))
    np.testing.assert_array_equal(poisson(u, mean), stats.poisson.ppf(u, mean))


def test_poisson_variates_at_the_cdf_steps_are_scipy_stats_poisson_ppf() -> None:
    # u exactly the cdf at k (and its neighbours): the ceiling of pdtrik is
    # one too many there, and the cdf one below must decide.
    from scipy import special, stats

    for mean in (0.3, 1.0, 4.5, 30.0, 1035.0):
        k = np.arange(0, int(mean + 10 * math.sqrt(mean) + 10), dtype=float)
        step = special.pdtr(k, mean)
        u = np.concatenate([step, np.nextafter(step, 0.0), np.nextafter(step, 1.0)])
        u = u[(u > 0.0) & (u < 1.0)]
        np.testing.assert_array_equal(poisson(u, mean), stats.poisson.ppf(u, mean))


def test_poisson_variates_at_the_ends() -> None:
    assert poisson(0.0, 3.0) == 0.0  # the least count (ppf says -1 at u = 0)
    assert poisson(0.999, 0.0) == 0.0  # no arrivals expected: none
    assert np.isnan(poisson(0.5, np.nan))
    # Poisson(2): P(<=0) = 0.1353, P(<=1) = 0.4060, P(<=2) = 0.6767.
    np.testing.assert_array_equal(poisson([0.1, 0.2, 0.5, 0.6767], 2.0), [0, 1, 2, 3])


def test_daily_counts_are_the_counts_scipy_stats_poisson_ppf_gave() -> None:
    # What daily_counts returned when it called scipy.stats.poisson.ppf, with
    # u = 0 (ppf -1), negative and undefined rates (ppf NaN) on the way.
    from scipy import stats

    rng = np.random.default_rng(23)
    u, rate = np.meshgrid(np.concatenate([[0.0], _edge_uniforms(rng)[::8]]),
                          np.concatenate([[-3.0, np.nan], _edge_means(rng)[:-1]]))
    u, rate = u.ravel(), rate.ravel()
    before = stats.poisson.ppf(u, np.maximum(rate, 0.0))
    before = np.maximum(np.nan_to_num(before, nan=0.0), 0.0).astype(np.int64)
    np.testing.assert_array_equal(daily_counts(rate, u), before)


def test_daily_counts_empty() -> None:
    assert daily_counts(np.array([]), np.array([])).size == 0


@pytest.mark.parametrize(("day", "count"), [(0, 1), (17, 50), (1094, 500), (-30, 7)])
def test_times_within_day_sorted_and_inside_the_day(day: int, count: int) -> None:
    times = times_within_day(day, count, np.random.default_rng(day + 1000))
    assert times.shape == (count,)
    assert np.all(np.diff(times) >= 0.0)
    assert np.all(times >= day)
    assert np.all(times < day + 1)


def test_times_within_day_spread_over_the_day() -> None:
    # 10_000 uniform times: mean day + 0.5 with se sqrt(1/12 / 1e4) = 0.00289.
    times = times_within_day(3, 10_000, np.random.default_rng(5))
    assert abs(times.mean() - 3.5) < 5.0 * math.sqrt(1.0 / 12.0 / 10_000)


def test_times_within_day_zero_count_is_empty() -> None:
    assert times_within_day(4, 0, np.random.default_rng(0)).size == 0
