"""Marketing paid only on sales metrics drifts toward activation, and brand erodes.

Under the ``revenue`` marketing plan part of the brand budget moves to
promotion year by year (``brand_drift_per_year``, capped): brand equity falls
and long-run revenue suffers, while the first quarter hardly notices. Paired
comparisons with common random numbers over six replications of the baseline.
"""

from __future__ import annotations

from paired_runs import assert_below, key, paired, runs

REVENUE = {"incentives.marketing_plan": "revenue"}
NO_DRIFT = {"incentives.marketing.brand_drift_per_year": 0.0}
FIVE_YEARS = {"horizon_days": 1825.0}


def test_revenue_plan_ends_three_years_with_less_brand_and_less_revenue() -> None:
    pipeline = runs(key(), final_equity=True)
    revenue = runs(key(**REVENUE), final_equity=True)
    assert_below(paired(pipeline, revenue, "brand_equity_end"),
                 "brand equity in the last week, revenue plan minus pipeline")
    assert_below(paired(pipeline, revenue, "revenue"),
                 "three-year revenue, revenue plan minus pipeline")


def test_the_drift_costs_revenue_over_the_long_run_not_in_the_first_quarter() -> None:
    # The same plan with and without its drift: the drift's own effect.
    steady = runs(key(**REVENUE, **NO_DRIFT), final_equity=True)
    drifting = runs(key(**REVENUE), final_equity=True)
    assert_below(paired(steady, drifting, "brand_equity_end"),
                 "brand equity after three years, drift minus none")
    mean, _, _ = paired(steady, drifting, "revenue_90d", relative=True)
    assert abs(mean) < 0.02, f"90-day revenue, drift minus none: {mean:+.3f}"
    # Brand effects build over months: the loss shows over five years. It is a few per
    # cent of five years' revenue, so this comparison takes 12 replications to resolve
    # it (6 left the paired CI's upper end just above 0).
    steady = runs(key(**REVENUE, **NO_DRIFT, **FIVE_YEARS), replications=12)
    drifting = runs(key(**REVENUE, **FIVE_YEARS), replications=12)
    assert_below(paired(steady, drifting, "revenue"), "five-year revenue, drift minus none")
