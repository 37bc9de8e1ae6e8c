"""Sales capacity over time: hiring raises revenue and cost; attrition lowers revenue.

Each direction is a paired comparison with common random numbers over six
replications of the baseline (see ``tests/support/paired_runs.py``): the
staffing draws come from a branch of their own, so both sides see the same
leads and the same luck.
"""

from __future__ import annotations

from functools import cache

from paired_runs import (
    REPLICATIONS,
    SEED,
    Runs,
    assert_above,
    assert_below,
    baseline,
    key,
    paired,
    runs,
)

from sim import simulate


@cache
def hire_runs(day: float, reps: int, ramp_days: float = 180.0, start: int = 8) -> Runs:
    """The baseline with ``start`` reps and the planned headcount raised to ``reps`` on ``day``."""
    scenario = baseline().with_overrides({
        "sales.reps": start, "sales.staffing.ramp_days": ramp_days,
        "timeline": [{"day": day, "set": {"sales.reps": reps}}]})
    return [dict(simulate(scenario, seed=SEED, replication=r).metrics)
            for r in range(REPLICATIONS)]


def test_hiring_four_reps_on_day_180_raises_revenue_and_cost() -> None:
    base, hire = runs(key()), hire_runs(180.0, 12)
    assert_above(paired(base, hire, "revenue"), "revenue, hire minus base")
    assert_above(paired(base, hire, "deals_booked"), "deals booked, hire minus base")
    assert_above(paired(base, hire, "rep_salary_cost"), "salaries, hire minus base")
    assert_above(paired(base, hire, "total_cost"), "total cost, hire minus base")
    assert_below(paired(base, hire, "rep_utilization"), "utilisation, hire minus base")


def test_a_ramp_costs_revenue_when_capacity_binds() -> None:
    # Four reps for the leads of eight (utilisation near 1), doubled on day 180:
    # while the hires ramp, leads wait and are lost, so revenue falls.
    at_once, ramping = hire_runs(180.0, 8, 0.0, start=4), hire_runs(180.0, 8, 270.0, start=4)
    assert_below(paired(at_once, ramping, "revenue"), "revenue, 270-day ramp minus none")


def test_attrition_lowers_revenue() -> None:
    base = runs(key())
    churn = runs(key(**{"sales.staffing.attrition_annual": 0.3}))
    assert_below(paired(base, churn, "revenue"), "revenue, attrition minus none")
    assert_below(paired(base, churn, "rep_salary_cost"), "salaries, attrition minus none")
