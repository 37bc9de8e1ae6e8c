"""Verdicts: plain words for a paired difference, read with the metric's direction.

Which way is better for each metric is in the catalog
(:func:`sim.results.catalog.direction`, re-exported here for the callers of
this module); this module only turns a difference's confidence interval into words.
"""

from __future__ import annotations

from sim.results.catalog import direction

__all__ = ["direction", "verdict"]


def verdict(metric: str, ci_low: float, ci_high: float) -> str:
    """Plain words for a paired difference (second scenario minus the reference).

    A difference whose 95% confidence interval excludes 0 is "better" or "worse"
    according to the metric's direction ("higher" or "lower" for a metric with
    no preferred direction); otherwise there is "no detectable difference". An
    interval that could not be computed (fewer than two paired replications
    where the metric is defined) is "undefined".

    Raises:
        KeyError: a name that is not a metric, for an interval that excludes 0.
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
