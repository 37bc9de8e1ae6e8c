"""The classic clash: marketing paid on MQL volume, sales answering poor MQLs with neglect.

Marketing paid per MQL hands over more, weaker MQLs; sales, whose trust in
marketing's leads follows their recent quality, follows up fewer of them
(Sabnis et al. 2013). Paired comparisons with common random numbers over six
replications of the baseline (sales on a straight revenue commission).
"""

from __future__ import annotations

from paired_runs import assert_above, assert_below, key, paired, runs

MQL_VOLUME = {"incentives.marketing_plan": "mql_volume"}
NO_TRUST = {"incentives.sales.mql_trust_elasticity": 0.0}


def test_mql_volume_plan_raises_mqls_but_lowers_their_worth_follow_up_and_contribution() -> None:
    pipeline = runs(key())  # the baseline: marketing paid on pipeline
    volume = runs(key(**MQL_VOLUME))
    assert_above(paired(pipeline, volume, "mqls"), "MQLs, MQL volume minus pipeline")
    assert_below(paired(pipeline, volume, "revenue_per_mql"),
                 "revenue per MQL, MQL volume minus pipeline")
    assert_below(paired(pipeline, volume, "follow_up_rate"),
                 "follow-up rate, MQL volume minus pipeline")
    assert_below(paired(pipeline, volume, "contribution"),
                 "contribution, MQL volume minus pipeline")


def test_sales_follows_up_less_when_mqls_are_weak() -> None:
    # The same MQL flood, with and without sales answering its quality.
    trusting = runs(key(**MQL_VOLUME, **NO_TRUST))
    wary = runs(key(**MQL_VOLUME))
    assert_below(paired(trusting, wary, "follow_up_rate"), "follow-up rate, trust minus none")
    assert_above(paired(trusting, wary, "lost_never_contacted"),
                 "MQLs never contacted, trust minus none")
    assert_below(paired(trusting, wary, "revenue"), "revenue, trust minus none")


def test_baseline_mqls_keep_sales_trust() -> None:
    # The baseline's MQLs are as good as sales expects: trust changes little.
    mean, _, _ = paired(runs(key(**NO_TRUST)), runs(key()), "follow_up_rate")
    assert abs(mean) < 0.01, f"baseline follow-up, trust minus none: {mean:+.4f}"
