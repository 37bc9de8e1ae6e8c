"""Which way is better for each metric, and the verdicts built on it."""

from __future__ import annotations

import math

import pytest

from sim.results.catalog import CATALOG
from sim.results.directions import direction, verdict


def test_every_metric_has_a_direction() -> None:
    assert {m.direction for m in CATALOG.values()} == {-1, 0, 1}
    assert direction("contribution") == 1 and direction("cycle_days_median") == -1
    assert direction("total_cost") == -1 and direction("rep_utilization") == 0


@pytest.mark.parametrize(
    ("metric", "low", "high", "expected"),
    [
        ("revenue", 1.0, 5.0, "better"),
        ("revenue", -5.0, -1.0, "worse"),
        ("revenue", -1.0, 5.0, "no detectable difference"),
        ("total_cost", 1.0, 5.0, "worse"),
        ("first_response_hours_median", -5.0, -1.0, "better"),
        ("rep_utilization", 0.1, 0.2, "higher"),
        ("rep_utilization", -0.2, -0.1, "lower"),
        ("revenue", 0.0, 0.0, "no detectable difference"),  # identical in every replication
        ("revenue", math.nan, math.nan, "undefined"),
    ],
)
def test_verdict_reads_the_ci_and_the_direction(metric: str, low: float, high: float,
                                                expected: str) -> None:
    assert verdict(metric, low, high) == expected


def test_a_verdict_on_a_name_that_is_not_a_metric_fails() -> None:
    with pytest.raises(KeyError, match="revenue"):
        verdict("revenu", 1.0, 2.0)
