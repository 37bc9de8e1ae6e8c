"""How big a replication a scenario asks for, refused before it runs if it cannot fit.

Each field has a bound that reflects reality (:mod:`sim.scenario.schema`), but
memory and time grow with the leads a replication creates: the arrival rate
times the days simulated. A lead costs about 0.75 kB while the replication
runs, so a scenario that would create more than :data:`MAX_LEADS` leads per
replication (several gigabytes, and minutes per replication) is refused with
one line that says what to shorten or lower, instead of exhausting the
machine's memory part-way through a run.
"""

from __future__ import annotations

from sim.scenario.errors import ScenarioError
from sim.scenario.schema import Scenario

__all__ = ["MAX_LEADS", "check_scale", "lead_bound"]

# About 2 GB of leads: 40 times the baseline scenario's most.
MAX_LEADS = 3_000_000


def lead_bound(scenario: Scenario) -> float:
    """The most leads one replication can create, warm-up included.

    Organic arrivals are at most ``organic_leads_per_day x (1 + organic_gain)``
    (brand equity is at most 1) and promotion arrivals at most
    ``promo_max_leads_per_day`` (full saturation), under the plan of every
    period of the timeline.
    """
    rate = 0.0
    for _, plan in scenario.periods():
        m = plan.marketing
        rate = max(rate, m.organic_leads_per_day * (1.0 + m.organic_gain)
                   + m.promo_max_leads_per_day)
    return rate * (scenario.horizon_days + scenario.warmup_days)


def check_scale(scenario: Scenario, where: str, limit: int = MAX_LEADS) -> None:
    """Refuse a scenario whose replications could create more than ``limit`` leads.

    Raises:
        ScenarioError: one line naming ``where``, the bound and what to change.
    """
    bound = lead_bound(scenario)
    if bound > limit:
        raise ScenarioError(
            f"{where}: up to {bound:,.0f} leads per replication (arrival rates x "
            f"{scenario.horizon_days + scenario.warmup_days:g} days with the warm-up); at most "
            f"{limit:,} fit in memory: shorten horizon_days or warmup_days, or lower "
            "marketing.organic_leads_per_day, organic_gain or promo_max_leads_per_day")
