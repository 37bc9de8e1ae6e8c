"""An SLA on first responses: direction and size of its effects.

Each comparison runs the baseline ("defined": a 4 h SLA kept 70% of the time)
and a variant with common random numbers over 6 replications, and checks the
paired 95% confidence interval of the difference. Published evidence puts a
whole alignment stage at tens of percent (aligned vs not: ~38% higher win rate,
MarketingProfs; revenue growing ~20% a year faster, analyst surveys), so the
SLA alone must be a fraction of that.
"""

from __future__ import annotations

from paired_runs import assert_above, assert_below, key, paired, runs


def sqls_per_mql(m: dict[str, float]) -> float:
    return m["sqls"] / m["mqls"]


NO_SLA = {"alignment.levers.sla": False}
SPARE_REPS = {"sales.reps": 12}  # no lead waits for a free rep


def test_no_sla_slows_first_responses_and_loses_qualified_leads_and_revenue() -> None:
    base, none = runs(key()), runs(key(**NO_SLA))
    assert_above(paired(base, none, "first_response_hours_median"),
                 "median first response, no SLA minus SLA")
    assert_below(paired(base, none, sqls_per_mql), "SQLs per MQL, no SLA minus SLA")
    assert_below(paired(base, none, "revenue"), "revenue, no SLA minus SLA")


def test_no_sla_costs_a_fraction_of_a_stage_effect() -> None:
    # Under 20% of three-year revenue: a fraction of a stage's tens of percent.
    mean, low, high = paired(runs(key()), runs(key(**NO_SLA)), "revenue", relative=True)
    assert low > -0.20, f"no SLA: revenue {mean:+.1%} (95% CI {low:+.1%} .. {high:+.1%})"


def test_a_tighter_sla_qualifies_more_leads_when_reps_are_free() -> None:
    four, one = runs(key(**SPARE_REPS)), runs(key(**SPARE_REPS,
                                                   **{"alignment.levers.sla_hours": 1.0}))
    assert_above(paired(four, one, sqls_per_mql), "SQLs per MQL, 1 h SLA minus 4 h")
    assert_above(paired(four, one, "revenue"), "revenue, 1 h SLA minus 4 h")


def test_better_kept_sla_qualifies_more_leads() -> None:
    kept = runs(key(**{"alignment.levers.sla_compliance": 0.9}))
    assert_above(paired(runs(key()), kept, sqls_per_mql), "SQLs per MQL, compliance 0.9 - 0.7")
