"""Customer data capture: it costs selling time now and pays later.

Paired runs of the baseline with common random numbers over 6 replications.
The plan under test is a move from today's (no capture before day 0, as a
scenario file extending the baseline records it), so the records build up
from day 0.
"""

from __future__ import annotations

from functools import cache

from paired_runs import REPLICATIONS, SEED, assert_above, baseline, paired

from sim import simulate

CAPTURE = {"sales.data_capture.capture_rate": 0.5,
           "today": {"sales.data_capture.capture_rate": 0.0}}


@cache
def _runs(capture: bool) -> list[dict[str, float]]:
    scenario = baseline().with_overrides(CAPTURE if capture else {})
    return [dict(simulate(scenario, seed=SEED, replication=r).metrics)
            for r in range(REPLICATIONS)]


def test_capture_costs_rep_time_at_once() -> None:
    assert_above(paired(_runs(False), _runs(True), "rep_utilization"),
                 "rep utilisation, capture minus none")


def test_the_first_90_days_gain_nothing_and_three_years_gain() -> None:
    off, on = _runs(False), _runs(True)
    mean, low, high = paired(off, on, "revenue_90d", relative=True)
    # Not higher in the first 90 days (measured +0.1%, 95% CI -0.3% .. +0.5%).
    assert low <= 0.0 and mean < 0.01, f"first 90 days: {mean:+.2%} ({low:+.2%} .. {high:+.2%})"
    assert_above(paired(off, on, "revenue", relative=True),
                 "three-year revenue, capture minus none")
    assert_above(paired(off, on, "contribution"), "contribution, capture minus none")
