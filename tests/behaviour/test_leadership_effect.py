"""One revenue leader against two equal heads, from a company short of brand spend.

Both scenario files start at a 25% brand share with the evidence pointing to
46%; paired runs with common random numbers over 6 replications.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from paired_runs import REPLICATIONS, SEED, assert_above, paired

from sim import load_scenario, simulate

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@cache
def _runs(name: str) -> list[dict[str, float]]:
    scenario = load_scenario(SCENARIOS / f"leadership-{name}.yaml")
    out = []
    for r in range(REPLICATIONS):
        result = simulate(scenario, seed=SEED, replication=r)
        metrics = dict(result.metrics)
        metrics["brand_equity_mean"] = float(result.timeseries["brand_equity"].mean())
        out.append(metrics)
    return out


def test_one_leader_reaches_the_brand_target_sooner() -> None:
    two, one = _runs("two-heads"), _runs("one-leader")
    assert_above(paired(two, one, "brand_equity_mean"), "mean brand equity, one minus two")


def test_the_role_costs_more_than_the_friction_of_two_heads() -> None:
    # Within three years the sooner move to brand does not clearly pay for the
    # role: measured revenue +1.0% (95% CI -2.0% .. +3.9%), contribution -2.9%
    # (CI -7.1% .. +1.4%); brand pays back over years (half-life 180 days).
    two, one = _runs("two-heads"), _runs("one-leader")
    assert_above(paired(two, one, "alignment_cost"), "alignment cost, one leader minus two heads")

