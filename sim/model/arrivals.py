"""Non-homogeneous Poisson arrivals with a piecewise-constant daily rate."""

from __future__ import annotations

import numpy as np

from sim.model import variates
from sim.model.mechanisms import FloatArray


def daily_counts(rate_per_day: FloatArray, u: FloatArray) -> np.ndarray:
    """Poisson counts per day by inverse transform of one uniform per day.

    The inverse transform makes counts monotone in the rate for the same
    uniform, so two scenarios with nearby budgets see nearby lead streams
    (common random numbers). A negative or undefined rate gives no leads.

    Args:
        rate_per_day: expected leads on each day.
        u: one uniform in [0, 1) per day.
    """
    counts = variates.poisson(u, np.maximum(rate_per_day, 0.0))
    return np.maximum(np.nan_to_num(counts, nan=0.0), 0.0).astype(np.int64)


def times_within_day(day: int, count: int, rng: np.random.Generator) -> FloatArray:
    """Arrival times of ``count`` leads on ``day``.

    Given the count, a Poisson process places its points independently and
    uniformly within the day.
    """
    return day + np.sort(rng.random(count))


def times_within_days(days: np.ndarray, counts: np.ndarray,
                      rng: np.random.Generator) -> FloatArray:
    """:func:`times_within_day` for several days at once, concatenated in order.

    Draws exactly the numbers that one call per day would, in the same order,
    so a block of days gives the same arrival times as day-by-day calls.
    """
    counts = np.asarray(counts, dtype=np.int64)
    group = np.repeat(np.arange(counts.size), counts)
    u = rng.random(group.size)
    order = np.lexsort((u, group))  # sorted within each day, days kept in order
    return np.repeat(np.asarray(days, dtype=float), counts) + u[order]
