"""Pure mechanism functions of the model: stocks, saturation, scoring, decay, odds.

Every function here is a plain, vectorised formula with no simulation state, so
it can be unit-tested against hand-computed values. The SimPy model
(:mod:`sim.model.funnel`) calls them; it never re-implements them.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def retention_per_day(half_life_days: float) -> float:
    """Daily carry-over ``d = 0.5 ** (1 / half_life)`` of a geometric adstock.

    Args:
        half_life_days: days for a stock to fall to half with no new spend.
            Zero means no carry-over at all.

    Returns:
        The fraction of yesterday's stock still present today, in [0, 1).
    """
    if half_life_days < 0:
        raise ValueError(f"half_life_days must be >= 0, got {half_life_days}")
    if half_life_days == 0:
        return 0.0
    return float(0.5 ** (1.0 / half_life_days))


def adstock(spend: ArrayLike, retention: ArrayLike, initial_stock: float = 0.0) -> FloatArray:
    """Geometric adstock ``S_t = spend_t + d_t * S_{t-1}`` (Jin et al., Google 2017).

    Args:
        spend: spend per day.
        retention: daily carry-over ``d`` (a scalar or one value per day, so a
            scenario may change the half-life on its timeline).
        initial_stock: the stock on the day before the first element.

    Returns:
        The stock on each day, after that day's spend.
    """
    x = np.asarray(spend, dtype=float)
    d = np.broadcast_to(np.asarray(retention, dtype=float), x.shape)
    out = np.empty_like(x)
    stock = float(initial_stock)
    for t in range(x.size):
        stock = x[t] + d[t] * stock
        out[t] = stock
    return out


def steady_state_stock(daily_spend: float, retention: float) -> float:
    """The stock a constant daily spend converges to: ``spend / (1 - d)``."""
    return daily_spend / (1.0 - retention)


def hill(x: ArrayLike, half_saturation: float, shape: float) -> FloatArray:
    """Hill saturation ``x^a / (x^a + k^a)``, in [0, 1) for ``x >= 0``.

    Args:
        x: input level (here: the effective daily spend of a stock).
        half_saturation: ``k``, the level giving half of the maximum effect.
        shape: ``a``; 1 is concave, above 1 is S-shaped.
    """
    xa = np.power(np.maximum(np.asarray(x, dtype=np.float64), 0.0), shape)
    scale: float = half_saturation**shape
    return xa / (xa + scale)


def saturated_stock(
    stock: ArrayLike, retention: ArrayLike, half_saturation_daily_spend: float, shape: float
) -> FloatArray:
    """Saturate an adstock expressed as its *effective daily spend* ``(1 - d) * S``.

    Scaling by ``1 - d`` makes the half-saturation point a daily spend that
    does not move when the half-life changes: a steady spend of
    ``half_saturation_daily_spend`` per day gives exactly half the effect.
    """
    effective = (1.0 - np.asarray(retention, dtype=float)) * np.asarray(stock, dtype=float)
    return hill(effective, half_saturation_daily_spend, shape)


def engagement_rate(touches_per_week: float, content_effectiveness: float) -> float:
    """Continuous engagement rate per day from nurture touches.

    Each touch closes a fraction ``c`` of the remaining engagement gap, so after
    ``n`` touches engagement is ``1 - (1 - c)^n``; spreading the touches evenly
    gives ``e(t) = 1 - exp(-r t)`` with ``r = touches_per_day * -ln(1 - c)``.
    """
    c = min(max(content_effectiveness, 0.0), 0.999999)
    return touches_per_week / 7.0 * -math.log1p(-c)


def nurture_crossing_days(
    quality: ArrayLike,
    score_noise: ArrayLike,
    threshold: float,
    quality_weight: float,
    rate_per_day: float,
    initial_engagement: ArrayLike = 0.0,
) -> FloatArray:
    """Days in nurture until the lead score first reaches the hand-off threshold.

    The score is ``w * quality + (1 - w) * e(t) + noise`` with engagement
    ``e(t) = 1 - (1 - e0) exp(-r t)`` rising from ``e0``; it rises
    monotonically, so the crossing time is closed-form and no per-touch event
    is needed.

    Returns:
        0 where the score starts at or above the threshold, ``inf`` where it can
        never reach it, the crossing time otherwise.
    """
    q = np.asarray(quality, dtype=float)
    need = threshold - quality_weight * q - np.asarray(score_noise, dtype=float)
    span = 1.0 - quality_weight  # the most engagement can add
    e0 = np.broadcast_to(np.asarray(initial_engagement, dtype=float), need.shape)
    needed = need / span  # engagement needed to cross
    out = np.full(need.shape, np.inf)
    out[needed <= e0] = 0.0
    grows = (needed > e0) & (needed < 1.0) & (rate_per_day > 0.0)
    if np.any(grows):
        out[grows] = np.log((1.0 - e0[grows]) / (1.0 - needed[grows])) / rate_per_day
    return out


def response_decay(hours: ArrayLike, half_life_hours: float, floor: float) -> FloatArray:
    """Multiplier on the chance of qualifying a lead first contacted after ``hours``.

    ``floor + (1 - floor) * 0.5 ** (hours / half_life)``: steep in the first
    hours, then flat (Oldroyd, McElheran & Elkington, HBR 2011: ~7x within an
    hour vs the next hour, >60x vs a day or more). ``floor = 1`` switches decay off.
    """
    h = np.maximum(np.asarray(hours, dtype=np.float64), 0.0)
    if floor >= 1.0:
        return np.ones_like(h)
    if half_life_hours <= 0.0:
        return np.where(h > 0.0, floor, 1.0)
    return floor + (1.0 - floor) * np.exp2(-h / half_life_hours)


def mean_response_decay(
    start_hours: float, end_hours: float, half_life_hours: float, floor: float
) -> float:
    """Average of :func:`response_decay` over contact times in ``[start, end)``.

    Used to compare the model with Oldroyd et al.'s ratios, which are between
    response-time *bands*, not instants. ``end = inf`` averages the tail as its
    limit, the floor.
    """
    if floor >= 1.0:
        return 1.0
    if math.isinf(end_hours):
        return floor
    tau = half_life_hours / math.log(2.0)
    width = end_hours - start_hours
    area = tau * (math.exp(-start_hours / tau) - math.exp(-end_hours / tau))
    return floor + (1.0 - floor) * area / width


def scale_odds(probability: ArrayLike, odds_multiplier: ArrayLike) -> FloatArray:
    """Multiply the odds ``p / (1 - p)`` of a probability and map back.

    This is how several effects (lead quality, brand equity, alignment,
    period-end push) combine on one probability without leaving [0, 1];
    ``p = 1`` stays 1 and ``p = 0`` stays 0 whatever the multiplier.
    """
    p = np.asarray(probability, dtype=float)
    m = np.asarray(odds_multiplier, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = p / (1.0 - p) * m
        out = odds / (1.0 + odds)
    return np.where(p >= 1.0, 1.0, np.where(p <= 0.0, 0.0, out))


def scale_odds_scalar(probability: float, odds_multiplier: float) -> float:
    """Scalar :func:`scale_odds` for the per-lead hot path."""
    if probability >= 1.0:
        return 1.0
    if probability <= 0.0:
        return 0.0
    odds = probability / (1.0 - probability) * odds_multiplier
    return odds / (1.0 + odds)


def quality_odds(quality: float, quality_weight: float) -> float:
    """Odds multiplier ``exp(w * (quality - 0.5))``: 1 for an average lead."""
    return math.exp(quality_weight * (quality - 0.5))


def discount(
    base_discount: float,
    brand_equity: float,
    brand_discount_reduction: float,
    extra: float,
    max_discount: float,
) -> float:
    """Discount granted on a deal.

    Brand equity buys pricing power, shrinking the base discount; incentive
    pressure and period-end pushes add to it (Larkin, JOLE 2014).
    """
    d = base_discount * (1.0 - brand_discount_reduction * brand_equity) + extra
    return min(max(d, 0.0), max_discount)


def in_push_window(t: float, period_days: float, push_window_days: float) -> bool:
    """Whether ``t`` falls in the last ``push_window_days`` of a sales period."""
    return math.ceil(t / period_days) * period_days - t <= push_window_days


def pull_forward_close(
    start: float,
    close: float,
    u: float,
    period_days: float,
    push_window_days: float,
    pull_forward_days: float,
    pull_forward_probability: float,
) -> float | None:
    """Close time of a deal pulled into the end of a period, or ``None``.

    Reps on quota pull a deal forward, with chance ``pull_forward_probability``,
    when it would close within ``pull_forward_days`` after a period end and was
    already open before that end; it then closes uniformly within the last
    ``push_window_days`` of the period (but not before it opened). One uniform
    ``u`` decides both: given ``u < prob``, ``u / prob`` is again uniform.
    """
    period_end = math.floor(close / period_days) * period_days
    if (period_end <= start or close - period_end > pull_forward_days
            or u >= pull_forward_probability):
        return None
    window = min(push_window_days, period_end - start)
    return period_end - (1.0 - u / pull_forward_probability) * window
