"""Non-homogeneous Poisson arrivals with a piecewise-constant daily rate."""

from __future__ import annotations

import numpy as np
from scipy import stats

from sim.mechanisms import FloatArray


def daily_counts(rate_per_day: FloatArray, u: FloatArray) -> np.ndarray:
    """Poisson counts per day by inverse transform of one uniform per day.

    The inverse transform makes counts monotone in the rate for the same
    uniform, so two scenarios with nearby budgets see nearby lead streams
    (common random numbers).
    """
    counts = stats.poisson.ppf(u, np.maximum(rate_per_day, 0.0))
    return np.maximum(np.nan_to_num(counts, nan=0.0), 0.0).astype(np.int64)


def times_within_day(day: int, count: int, rng: np.random.Generator) -> FloatArray:
    """Arrival times of ``count`` leads on ``day``.

    Given the count, a Poisson process places its points independently and
    uniformly within the day.
    """
    return day + np.sort(rng.random(count))
