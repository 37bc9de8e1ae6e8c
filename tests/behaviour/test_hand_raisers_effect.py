"""Hand-raisers: they add revenue, and answering them slowly loses them.

Paired runs of the baseline with common random numbers over 6 replications
(the other leads are the same leads with and without hand-raisers: their
streams are a branch of their own), checked on the paired 95% confidence
interval of the difference.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from paired_runs import (
    REPLICATIONS,
    SEED,
    Overrides,
    assert_above,
    assert_below,
    baseline,
    key,
    paired,
)

from sim import simulate

ON = {"leads.hand_raisers.per_day": 1.0}
NO_SLA = {"alignment.levers.sla": False}


@cache
def runs(overrides: Overrides) -> list[dict[str, float]]:
    """Metrics of the replications, with revenue booked from each source's leads."""
    scenario = baseline().with_overrides(dict(overrides))
    out = []
    for r in range(REPLICATIONS):
        result = simulate(scenario, seed=SEED, replication=r)
        metrics = dict(result.metrics)
        deals = result.won_deals
        assert deals is not None
        for source in ("organic", "promotion", "hand_raiser"):
            metrics[f"revenue_{source}"] = float(
                np.sum(deals["value"][deals["source"] == source]))
        out.append(metrics)
    return out


def test_hand_raisers_add_revenue_and_contribution() -> None:
    off, on = runs(key()), runs(key(**ON))
    assert_above(paired(off, on, "revenue"), "revenue, hand-raisers minus none")
    assert_above(paired(off, on, "contribution"), "contribution, hand-raisers minus none")
    assert all(m["revenue_hand_raiser"] == 0.0 for m in off)


def test_a_slow_response_loses_hand_raisers() -> None:
    # Measured (6 replications): without an SLA hand-raiser revenue falls 6.1%
    # (95% CI 3.1-9.2%), organic 3.3% (CI -0.4-7.0%); the gap between them is
    # not significant at this size, so only the loss itself is asserted.
    sla, slow = runs(key(**ON)), runs(key(**ON, **NO_SLA))
    assert_below(paired(sla, slow, "revenue_hand_raiser", relative=True),
                 "hand-raiser revenue, no SLA minus SLA")
    fast = runs(key(**ON, **{"alignment.levers.sla_hours": 1.0}))
    assert_above(paired(sla, fast, "revenue_hand_raiser", relative=True),
                 "hand-raiser revenue, 1 h SLA minus 4 h SLA")
