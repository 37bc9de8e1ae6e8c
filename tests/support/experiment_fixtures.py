"""Scenarios shared by the experiment tests: a neutral toy whose optimum is known.

The budget toy
--------------
Neutral mode switches every behavioural mechanism off: every lead is an MQL at
once, is served by a rep, passes the single stage and is won at list price.
With no brand spend (``brand_share: 0``) and no prior plan, the promotion stock
starts at its steady state, so leads arrive as a Poisson stream of constant rate

    lambda(x) = o + P x / (x + K)      (leads/day; Hill saturation, shape 1)

where ``x = B / 365`` is the daily spend of the annual budget ``B``, ``o`` the
organic rate, ``P`` the promotion maximum and ``K`` the half-saturation spend.
Capacity is ample (10 slots for about 15 leads a day of 0.1-day work) and the
deal size is fixed (``v``, cv 0), so revenue is ``v`` per lead won before the
horizon. With margin ``g`` and every other cost zero, the contribution over
``H`` days is

    C(x) = H [g v (o + P x / (x + K)) - x]

(the leads that arrive in the last 0.1 day are still in service at the horizon;
that scales the revenue term by ``(H - 0.1) / H`` and moves the optimum by less
than 0.05%, which is ignored).

It is concave, and ``C'(x) = 0`` gives ``g v P K / (x + K)^2 = 1``:

    x* = sqrt(g v P K) - K,   B* = 365 x*.

With ``g = 0.5``, ``v = 1000``, ``P = 20``, ``K = 3000``: ``x* = 2477.2`` a day,
``B* = 904,187`` a year. On the grid 0, 450k, 900k, 1.35M, 1.8M the expected
contribution per day is 1680, 2045, 1823 and less elsewhere, so 900k is best by
more than 200 a day (over 26k in 120 days), far beyond the noise of a paired
difference under common random numbers (about 3k a replication).
"""

from __future__ import annotations

import math

from sim import Scenario

MARGIN, DEAL, PROMO_MAX, HALF_SAT, ORGANIC = 0.5, 1000.0, 20.0, 3000.0, 4.0


def best_budget() -> float:
    """The analytic optimum ``B* = 365 (sqrt(g v P K) - K)`` (see the module docstring)."""
    return 365.0 * (math.sqrt(MARGIN * DEAL * PROMO_MAX * HALF_SAT) - HALF_SAT)


def budget_toy(horizon_days: float = 120.0, replications: int = 6) -> Scenario:
    """The neutral toy: contribution as a function of the marketing budget."""
    return Scenario().with_overrides({
        "name": "budget-toy", "description": "Neutral toy with a known best budget.",
        "neutral": True, "horizon_days": horizon_days, "warmup_days": 0.0, "seed": 5,
        "replications": replications,
        "marketing.annual_budget": 1_000_000.0, "marketing.brand_share": 0.0,
        # A steady-state comparison: each budget as if always in force (no prior plan).
        "marketing.prior_annual_budget": None, "marketing.prior_brand_share": None,
        "marketing.organic_leads_per_day": ORGANIC,
        "marketing.promo_max_leads_per_day": PROMO_MAX,
        "marketing.promo_saturation.half_saturation_daily_spend": HALF_SAT,
        "leads.segments": [{"name": "all", "share": 1.0, "cycle_multiplier": 1.0,
                            "deal_size_mean": DEAL, "deal_size_cv": 0.0}],
        "sales.reps": 2, "sales.slots_per_rep": 5, "sales.rep_annual_salary": 0.0,
        "sales.stages": [{"name": "work", "duration": {"distribution": "exponential",
                                                        "mean_days": 0.1}}],
        "finance.gross_margin": MARGIN,
        "alignment.levers.overhead_fixed_annual": 0.0,
        "alignment.levers.overhead_per_rep_annual": 0.0,
        "incentives.sales.commission_rate": 0.0, "incentives.sales.accelerator_rate": 0.0,
        "incentives.marketing.bonus_per_mql": 0.0,
        "incentives.marketing.bonus_pipeline_rate": 0.0,
        "incentives.marketing.bonus_revenue_rate": 0.0,
    })


def short_baseline(name: str = "baseline", horizon_days: float = 90.0,
                   replications: int = 4) -> Scenario:
    """The default scenario over a short horizon, without warm-up: fast and realistic."""
    return Scenario().with_overrides({"name": name, "horizon_days": horizon_days,
                                      "warmup_days": 0.0, "replications": replications,
                                      "seed": 11})
