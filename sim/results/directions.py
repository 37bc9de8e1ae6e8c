"""Which way is better for each metric: the one table verdicts and optimisation read.

``+1``: higher is better (revenue, contribution, deals won, win rate, ...).
``-1``: lower is better (costs, cycle times, response time, waits, leads lost).
``0``: neither, a description rather than a goal (utilisation, leads still in
flight, leads recycled): a difference is reported as "higher" or "lower".

Every name in :data:`sim.results.metrics.METRIC_NAMES` has an entry (checked by the tests).
"""

from __future__ import annotations

from types import MappingProxyType

DIRECTIONS: MappingProxyType[str, int] = MappingProxyType({
    # Funnel volume: more leads moving through the funnel is the point of it.
    "leads_created": +1,
    "mqls": +1,
    "sqls": +1,
    "opportunities": +1,
    "deals_won": +1,
    "deals_lost": -1,
    "in_flight_end": 0,  # open deals at the horizon: neither won nor lost yet
    # Leaks.
    "lost_never_contacted": -1,
    "lost_rejected": -1,
    "lost_cold": -1,
    "lost_in_sales": -1,
    "lost_not_followed_up": -1,
    "lost_expired_waiting": -1,
    "lost_unqualified": -1,
    "recycled": 0,  # a rescue of a rejected lead, but also a sign of rejections
    # Money in.
    "revenue": +1,
    "revenue_90d": +1,
    "revenue_1y": +1,
    "win_rate": +1,
    "lead_to_customer": +1,
    "mean_deal_value": +1,
    "mean_discount": -1,
    "pulled_forward_share": -1,  # pulled deals close at lower odds and deeper discounts
    # Time.
    "cycle_days_median": -1,
    "cycle_days_mean": -1,
    "cycle_days_p90": -1,
    "mql_to_won_days_median": -1,
    "first_response_hours_median": -1,
    "rep_wait_days_mean": -1,
    "rep_utilization": 0,  # busy reps are cheap per deal but slow to respond
    # Money out, and what is left.
    "marketing_spend": -1,
    "marketing_bonus_cost": -1,
    "commission_cost": -1,
    "rep_salary_cost": -1,
    "sales_cost": -1,
    "alignment_cost": -1,
    "total_cost": -1,
    "contribution": +1,
    "roi": +1,
    "cost_per_deal": -1,
    "customer_acquisition_cost": -1,
    "sales_cost_share": -1,
})

def direction(metric: str) -> int:
    """``+1`` if higher is better, ``-1`` if lower is better, ``0`` if neither.

    Raises:
        KeyError: for a name that is not a metric.
    """
    return DIRECTIONS[metric]


def verdict(metric: str, ci_low: float, ci_high: float) -> str:
    """Plain words for a paired difference (second scenario minus the reference).

    A difference whose 95% confidence interval excludes 0 is "better" or "worse"
    according to the metric's direction ("higher" or "lower" for a metric with
    no preferred direction); otherwise there is "no detectable difference". An
    interval that could not be computed (fewer than two paired replications
    where the metric is defined) is "undefined".
    """
    if ci_low != ci_low or ci_high != ci_high:  # NaN
        return "undefined"
    if ci_low > 0.0:
        sign = +1
    elif ci_high < 0.0:
        sign = -1
    else:
        return "no detectable difference"
    way = direction(metric)
    if way == 0:
        return "higher" if sign > 0 else "lower"
    return "better" if sign * way > 0 else "worse"
