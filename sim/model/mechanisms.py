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
    # A recurrence: one step a day in plain floats (the same double arithmetic
    # as NumPy's scalars, without their overhead).
    out: list[float] = []
    stock = float(initial_stock)
    for spent, kept in zip(x.ravel().tolist(), d.ravel().tolist(), strict=True):
        stock = spent + kept * stock
        out.append(stock)
    return np.array(out, dtype=float).reshape(x.shape)


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


def nurture_crossing_days_scalar(
    quality: float,
    score_noise: float,
    threshold: float,
    quality_weight: float,
    rate_per_day: float,
    initial_engagement: float,
) -> float:
    """:func:`nurture_crossing_days` of one lead, without array overhead.

    The same operations in the same order on the same floats, and NumPy's
    logarithm (plain ``math.log`` differs from it in the last bit for a few
    arguments in a thousand), so the result is bit-for-bit that of the array
    version.
    """
    needed = (threshold - quality_weight * quality - score_noise) / (1.0 - quality_weight)
    if needed <= initial_engagement:
        return 0.0
    if needed < 1.0 and rate_per_day > 0.0:
        return float(np.log((1.0 - initial_engagement) / (1.0 - needed))) / rate_per_day
    return math.inf


# --- first response: its delay and what a late one costs ---------------------------------
#
# The published figures are stated by response-time band (Oldroyd, McElheran &
# Elkington, HBR 2011): an hour, a day, more. These two cut points are what the
# scenario's response fields mean, not parameters.
FIRST_BAND_END_HOURS = 1.0
SECOND_BAND_END_HOURS = 2.0
DAY_BAND_START_HOURS = 24.0


def within_band(position: float, shape: float) -> float:
    """Where a response falls inside its band, as a fraction of the band's width.

    ``position ** shape`` for a uniform ``position`` in [0, 1): the responses of
    a band have the density ``(x ** (1 / shape - 1)) / shape`` over its width
    ``x``. Shape 1 spreads them evenly; 2 puts half of them in the first quarter
    of the band; 0.5 puts 44% of them in its last quarter (bunched towards a
    deadline). Conditioned on any first part of the band, the shape is the same.
    """
    return float(position**shape)


def unmanaged_response_hours(
    u: float, within_1h: float, within_24h: float, tail_mean_hours: float, shape: float
) -> float:
    """First-response delay with no SLA, for the lead whose response luck is ``u``.

    The quantile function of a banded distribution stated by observables: a
    share ``within_1h`` of responses in the first hour, ``within_24h`` within a
    day, the rest after a day with mean ``tail_mean_hours`` (24 h plus an
    exponential). Inside the first hour and between 1 h and 24 h the
    responses are spread by :func:`within_band`.

    Args:
        u: uniform in [0, 1); a larger ``u`` is a later response.
        within_1h: share of responses within an hour.
        within_24h: share within 24 hours (at least ``within_1h``).
        tail_mean_hours: mean delay of the responses after 24 h (above 24).
        shape: spread of responses inside a band (:func:`within_band`).

    Returns:
        Hours from the rep taking the lead to the first response.
    """
    if u < within_1h:
        return FIRST_BAND_END_HOURS * within_band(u / within_1h, shape)
    if u < within_24h:
        width = DAY_BAND_START_HOURS - FIRST_BAND_END_HOURS
        return FIRST_BAND_END_HOURS + width * within_band(
            (u - within_1h) / (within_24h - within_1h), shape)
    excess = tail_mean_hours - DAY_BAND_START_HOURS
    return DAY_BAND_START_HOURS - excess * math.log1p(-(u - within_24h) / (1.0 - within_24h))


def unmanaged_response_share(
    hours: float, within_1h: float, within_24h: float, tail_mean_hours: float, shape: float
) -> float:
    """Share of responses with no SLA that come within ``hours``.

    The distribution function of :func:`unmanaged_response_hours` (its inverse).
    """
    if hours <= 0.0:
        return 0.0
    if hours < FIRST_BAND_END_HOURS:
        return float(within_1h * (hours / FIRST_BAND_END_HOURS) ** (1.0 / shape))
    if hours < DAY_BAND_START_HOURS:
        width = DAY_BAND_START_HOURS - FIRST_BAND_END_HOURS
        return float(within_1h + (within_24h - within_1h) * (
            (hours - FIRST_BAND_END_HOURS) / width) ** (1.0 / shape))
    if within_24h >= 1.0:
        return 1.0
    excess = tail_mean_hours - DAY_BAND_START_HOURS
    return within_24h + (1.0 - within_24h) * -math.expm1(-(hours - DAY_BAND_START_HOURS) / excess)


def first_response_hours(
    u: float,
    within_1h: float,
    within_24h: float,
    tail_mean_hours: float,
    shape: float,
    sla_hours: float | None = None,
    sla_compliance: float = 0.0,
    sla_met_share: float | None = None,
) -> float:
    """First-response delay for the lead whose response luck is ``u``, under an SLA or not.

    An SLA governs the distribution of responses, not only their mean: a share
    ``sla_compliance`` comes within ``sla_hours``. Responses that met it
    without the SLA stay as they were; of the others, the ones needed to reach
    the compliance are brought inside the SLA hours, spread over them by
    :func:`within_band`; the rest (the tail) keep the delay they would have
    had without the SLA, beyond the SLA hours. A compliance at or below the
    share already answered within ``sla_hours`` changes nothing. Lead by lead
    (common random numbers), an SLA moves only leads that missed it, and
    never makes a response later.

    Args:
        u: uniform in [0, 1); a larger ``u`` is a later response.
        within_1h: share of responses within an hour with no SLA.
        within_24h: share within 24 hours with no SLA.
        tail_mean_hours: mean delay of the responses after 24 h with no SLA.
        shape: spread of responses inside a band (:func:`within_band`).
        sla_hours: the SLA's hours; ``None`` for no SLA.
        sla_compliance: share of responses within ``sla_hours`` under the SLA.
        sla_met_share: :func:`unmanaged_response_share` of ``sla_hours``, if
            known (a plan computes it once, not for every lead).

    Returns:
        Hours from the rep taking the lead to the first response.
    """
    unmanaged = (within_1h, within_24h, tail_mean_hours, shape)
    if sla_hours is None:
        return unmanaged_response_hours(u, *unmanaged)
    met = (unmanaged_response_share(sla_hours, *unmanaged) if sla_met_share is None
           else sla_met_share)
    if u < met or sla_compliance <= met:
        return unmanaged_response_hours(u, *unmanaged)
    if u < sla_compliance:
        return sla_hours * within_band((u - met) / (sla_compliance - met), shape)
    # The tail: the lead's place among the late responses without the SLA.
    late = met + (u - sla_compliance) / (1.0 - sla_compliance) * (1.0 - met)
    return unmanaged_response_hours(late, *unmanaged)


def response_decay(hours: float, first_vs_second_hour: float, first_hour_vs_day: float) -> float:
    """Chance to qualify a lead first contacted after ``hours``, relative to the first hour.

    Stated at the resolution of the evidence, Oldroyd et al.'s response bands:
    1 within the first hour; ``1 / first_vs_second_hour`` in the second;
    ``1 / first_hour_vs_day`` from 24 hours on; log-linear between 2 h and
    24 h, where no band figure is published. No figure resolves times within
    the first hour, so the curve is flat there: a result never hinges on where
    inside an hour the responses fall, which published figures cannot tell.

    Args:
        hours: hours from the MQL to the first contact (negative counts as 0).
        first_vs_second_hour: qualification within the first hour over the second.
        first_hour_vs_day: qualification within the first hour over 24 h or more
            (at least ``first_vs_second_hour``).
    """
    if hours < FIRST_BAND_END_HOURS:
        return 1.0
    if hours < SECOND_BAND_END_HOURS:
        return 1.0 / first_vs_second_hour
    if hours < DAY_BAND_START_HOURS:
        part = (hours - SECOND_BAND_END_HOURS) / (DAY_BAND_START_HOURS - SECOND_BAND_END_HOURS)
        return math.exp(-((1.0 - part) * math.log(first_vs_second_hour)
                          + part * math.log(first_hour_vs_day)))
    return 1.0 / first_hour_vs_day


def qualify_multiplier(
    hours: float, reach: float, first_vs_second_hour: float, first_hour_vs_day: float
) -> float:
    """Multiplier on the chance to qualify a lead first contacted after ``hours``.

    ``1 - reach + reach * decay``: ``reach`` is the share of the lead's chance
    that depends on catching it while it is live (1 for an inbound web lead, the
    leads Oldroyd et al. measured; less for a nurtured lead or a buying
    committee), ``decay`` is :func:`response_decay`. Reach 0 switches decay off.
    """
    if reach <= 0.0:
        return 1.0
    return 1.0 - reach + reach * response_decay(hours, first_vs_second_hour, first_hour_vs_day)


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


def required_pace(booked: float, quota: float, elapsed_share: float) -> float:
    """Pace a rep needs over the rest of a sales period to make quota.

    ``(1 - booked / quota) / (1 - elapsed_share)``: 1 at the start of a
    period with nothing booked (the quota's own pace), above 1 when behind,
    at or below 0 once quota is made; ``inf`` at the very end of a period
    with quota not yet made.

    Args:
        booked: the rep's bookings so far in the period.
        quota: the rep's quota for the period (> 0).
        elapsed_share: share of the period gone by, in [0, 1].
    """
    gap = 1.0 - booked / quota
    if gap <= 0.0:
        return gap
    remaining = 1.0 - elapsed_share
    return gap / remaining if remaining > 0.0 else math.inf


def quota_effort(
    pace: float,
    within_reach: float,
    give_up_pace: float,
    given_up: float,
    above_quota: float,
) -> float:
    """Odds multiplier of a rep's effort on a deal, from the pace needed to make quota.

    Three regions (Chung, Steenburgh & Sudhir 2014: quotas pace reps who are
    behind but can still make it; reps far from quota give up; commission
    above quota keeps effort up):

    - quota made (``pace <= 0``): ``above_quota``;
    - within reach (``0 < pace <= give_up_pace``): ``within_reach``;
    - out of reach (``pace > give_up_pace``): ``given_up``.

    All three at 1 is neutral: effort does not depend on the quota.
    """
    if pace <= 0.0:
        return above_quota
    if pace <= give_up_pace:
        return within_reach
    return given_up


def trust_follow_up_factor(
    quality: float, reference: float, elasticity: float, floor: float
) -> float:
    """Multiplier on the follow-up chance from the quality of recent MQLs sales worked.

    ``min(1, max(floor, (quality / reference) ** elasticity))``: 1 while MQLs
    are as good as the reference or better; below it, follow-up falls with
    elasticity ``elasticity``, never below ``floor`` (Sabnis, Chatterjee,
    Grewal & Lilien 2013: reps follow up marketing leads less when their
    prequalification quality is poor). ``elasticity = 0`` is neutral.
    """
    if elasticity == 0.0 or quality >= reference:
        return 1.0
    if quality <= 0.0:
        return floor
    return min(1.0, max(floor, float((quality / reference) ** elasticity)))


def promotion_drift(drift_per_day: ArrayLike, cap: ArrayLike) -> FloatArray:
    """Share of the brand budget drifted to promotion on each day, capped.

    The drift accumulates day by day while ``drift_per_day`` is positive
    (marketing judged on short-term sales metrics moves budget to activation
    bit by bit) and starts again from zero after any day without drift (a
    change of plan restores the split). Each day's value is at most that
    day's ``cap``.

    Args:
        drift_per_day: share of the brand budget moved per day (0 on days
            without drift).
        cap: the most of the brand budget the drift may move.

    Returns:
        The drifted share on each day, after that day's drift.
    """
    rate = np.asarray(drift_per_day, dtype=float)
    limit = np.broadcast_to(np.asarray(cap, dtype=float), rate.shape)
    out: list[float] = []
    drifted = 0.0
    for r, most in zip(rate.ravel().tolist(), limit.ravel().tolist(), strict=True):  # see adstock
        drifted = drifted + r if r > 0.0 else 0.0
        out.append(min(drifted, most))
    return np.array(out, dtype=float).reshape(rate.shape)


def hand_raiser_rate(
    base: ArrayLike, brand_equity: ArrayLike, promo_effect: ArrayLike, brand_gain: ArrayLike,
    promotion_gain: ArrayLike,
) -> FloatArray:
    """Expected hand-raisers (demo and contact requests) per day.

    ``base x (1 + brand_gain x equity) x (1 + promotion_gain x promotion effect)``:
    people ask vendors they know (brand equity) and find the form through
    search and paid presence (the saturated promotion stock). Both factors
    are assumptions (``leads.hand_raisers``).

    Args:
        base: rate with no brand equity and no promotion stock, per day.
        brand_equity: saturated brand stock, 0-1.
        promo_effect: saturated promotion stock, 0-1.
        brand_gain: lift of the rate at full brand equity.
        promotion_gain: lift of the rate at full promotion effect.
    """
    rate: FloatArray = (np.asarray(base, dtype=np.float64)
                        * (1.0 + np.asarray(brand_gain) * np.asarray(brand_equity))
                        * (1.0 + np.asarray(promotion_gain) * np.asarray(promo_effect)))
    return rate


def content_relevance(
    base: float, learned: float, from_feedback: float, cross_training: float,
    from_cross_training: float,
) -> float:
    """Share of sales content that sales finds relevant and uses.

    ``1 - (1 - base) x (1 - from_feedback x learned) x (1 - from_cross_training x
    cross_training)``: feedback on what resonates and joint content work each
    make a share of the unused content relevant, independently.

    Args:
        base: relevance with no feedback and no joint work.
        learned: share of what feedback can teach that it has taught, 0-1
            (``items / (items + half saturation)``, as for lead scoring).
        from_feedback: share of the unused content that full learning makes relevant.
        cross_training: the cross-training lever, 0-1.
        from_cross_training: share of the unused content full joint work makes relevant.
    """
    unused = ((1.0 - base) * (1.0 - from_feedback * learned)
              * (1.0 - from_cross_training * cross_training))
    return 1.0 - unused


def content_odds_factor(library: float, relevance: float, lift: float) -> float:
    """Multiplier on stage-advance odds from the content sales uses.

    ``1 + lift x library x relevance``.

    Args:
        library: the saturated content stock, 0-1.
        relevance: share of it sales uses (:func:`content_relevance`).
        lift: the odds lift at a full library fully used.
    """
    return 1.0 + lift * library * relevance


def learned_share(items: float, half_saturation: float) -> float:
    """Share of what can be learned that ``items`` pieces of evidence taught: ``n / (n + h)``."""
    return items / (items + half_saturation)


def targeted_quality(quality: ArrayLike, gain: float, learned: float) -> FloatArray:
    """Lead quality once targeting has learned from customer data.

    ``1 - (1 - quality) x (1 - gain x learned)``: a share of each lead's gap to
    a perfect fit closes; the order of leads by quality (and so common random
    numbers) is kept.
    """
    q = np.asarray(quality, dtype=np.float64)
    out: FloatArray = 1.0 - (1.0 - q) * (1.0 - gain * learned)
    return out


def reviewed_brand_share(
    days: np.ndarray, planned: FloatArray, target: float, review_days: float, lag_days: float,
    step: float,
) -> tuple[FloatArray, list[tuple[float, float]]]:
    """Brand share day by day when periodic reviews move it toward a target.

    Reviews fall on days ``review_days, 2 x review_days, ...``. At each, the
    leadership decides to close ``step`` of the gap between the target and
    the share it has already decided on (pending decisions included, so it
    never overshoots); the decision takes effect ``lag_days`` later and adds
    to the planned share from then on (a planned change on the timeline still
    moves the share). Days before 0 keep the planned share.

    Args:
        days: day numbers, one per entry of ``planned``.
        planned: the plan's brand share on each day.
        target: the share the evidence points to.
        review_days: days between reviews.
        lag_days: days from a decision to the new share in force.
        step: share of the gap closed per decision, 0-1.

    Returns:
        The share in force each day (within [0, 1]), and the moves as
        ``(day in force, change of share)``.
    """
    share = np.array(planned, dtype=np.float64)
    moves: list[tuple[float, float]] = []
    if days.size == 0 or step <= 0.0:
        return share, moves
    last = float(days[-1])
    decided = 0.0  # the adjustment decided so far
    review = review_days
    while review <= last:
        i = int(np.clip(np.searchsorted(days, review), 0, days.size - 1))
        change = step * (target - (float(planned[i]) + decided))
        decided += change
        effective = review + lag_days
        if change != 0.0 and effective <= last:
            moves.append((effective, change))
            share[days >= effective] += change
        review += review_days
    clipped: FloatArray = np.clip(share, 0.0, 1.0)
    return clipped, moves
