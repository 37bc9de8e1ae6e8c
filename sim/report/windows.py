"""Metrics of a time window, and which of them a short run makes the same as the whole run.

``revenue_90d`` and ``revenue_1y`` book the first 90 and 365 days. A run of 60
days books the same in both as in ``revenue``: printing "first 90 days" and
"first year" there would suggest windows the run never had, so the text and
HTML summaries leave them out where they equal the whole horizon.

Plain Python: the text tables import it without loading pandas.
"""

from __future__ import annotations

# Metric -> the days its window covers from day 0.
WINDOW_METRICS: dict[str, float] = {"revenue_90d": 90.0, "revenue_1y": 365.0}


def same_as_whole(horizon_days: float) -> frozenset[str]:
    """The window metrics whose window covers the whole horizon (so they equal ``revenue``)."""
    return frozenset(name for name, days in WINDOW_METRICS.items() if horizon_days <= days)
