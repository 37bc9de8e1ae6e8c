"""Spend: from a scenario to a weekly table, from a table to a scenario's plan.

A company's spend history becomes a piecewise-constant plan (daily rates by
week, merged where they do not change); the same plan drives both the
estimate of lead arrival rates (:func:`arrival_multipliers`) and every
simulation of the company's history (:func:`history_scenario`), so the two agree.
The daily rates, stocks and saturation come from the model's own spend plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.knobs import resolved
from sim.model.spend import build_spend_plan
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class SpendPeriod:
    """A stretch of days with constant daily spend.

    Attributes:
        start: first day (days from the export's origin).
        annual_budget: spend per year at that rate (brand + promotion).
        brand_share: brand's share of the spend actually made.
    """

    start: float
    annual_budget: float
    brand_share: float


def weekly_spend(scenario: Scenario, end_day: float) -> pd.DataFrame:
    """The spend of a scenario's plan by week from day 0 (weeks covering ``[0, end_day)``).

    Columns ``start``, ``days`` (7), ``brand``, ``promotion``, ``row``, as in
    :class:`sim.calibration.tables.CrmTables`.
    """
    weeks = int(np.ceil(end_day / 7.0))
    plan = build_spend_plan(scenario.periods(), weeks * 7.0)
    first = -plan.start_day  # index of day 0
    brand = plan.brand_spend[first: first + weeks * 7].reshape(weeks, 7).sum(axis=1)
    promo = plan.promo_spend[first: first + weeks * 7].reshape(weeks, 7).sum(axis=1)
    return pd.DataFrame({"start": np.arange(weeks) * 7.0, "days": 7.0, "brand": brand,
                         "promotion": promo, "row": np.arange(weeks) + 2})


def spend_schedule(spend: pd.DataFrame, max_periods: int = 36,
                   tolerance: float = 0.005) -> list[SpendPeriod]:
    """Spend rows as a few periods of constant daily spend.

    Consecutive rows whose daily brand and promotion rates differ by less than
    ``tolerance`` (relative) are merged; if more than ``max_periods`` remain,
    rows are pooled by calendar-free blocks of equal length instead.
    """
    rows = spend.sort_values("start")
    start = rows["start"].to_numpy(dtype=float)
    days = rows["days"].to_numpy(dtype=float)
    brand = rows["brand"].to_numpy(dtype=float) / days
    promo = rows["promotion"].to_numpy(dtype=float) / days
    groups = _merge_equal(brand, promo, tolerance)
    if len(groups) > max_periods:
        size = int(np.ceil(len(start) / max_periods))
        groups = [list(range(i, min(i + size, len(start)))) for i in range(0, len(start), size)]
    out = []
    for group in groups:
        d = days[group].sum()
        b = float(np.dot(brand[group], days[group]) / d)
        p = float(np.dot(promo[group], days[group]) / d)
        total = b + p
        out.append(SpendPeriod(float(start[group[0]]), total * 365.0,
                               b / total if total > 0 else 0.0))
    return out


def _merge_equal(brand: np.ndarray, promo: np.ndarray, tolerance: float) -> list[list[int]]:
    groups: list[list[int]] = []
    for i in range(brand.size):
        if groups:
            j = groups[-1][0]
            if (_close(brand[i], brand[j], tolerance) and _close(promo[i], promo[j], tolerance)):
                groups[-1].append(i)
                continue
        groups.append([i])
    return groups


def _close(a: float, b: float, tolerance: float) -> bool:
    return abs(a - b) <= tolerance * max(abs(a), abs(b), 1e-9)


def nominal_brand_share(scenario: Scenario, actual_share: float) -> float:
    """The ``brand_share`` that gives ``actual_share`` once the marketing plan's tilt applies.

    A marketing plan may move a fraction of the brand budget to promotion in
    practice (``incentives.marketing.promotion_tilt``); the export shows what
    was spent.
    """
    tilt = resolved(scenario).incentives.marketing.promotion_tilt or 0.0
    if tilt >= 1.0:
        return 1.0
    return float(min(max(actual_share / (1.0 - tilt), 0.0), 1.0))


def history_scenario(scenario: Scenario, schedule: list[SpendPeriod] | None,
                     horizon: float) -> Scenario:
    """The scenario replaying a spend history over ``[0, horizon)``.

    Day 0 is the export's first day; the plan before it is the first period's
    (which sets the stocks), and each later period is a timeline change. The
    scenario's own timeline is replaced. With no schedule, the scenario's plan is kept.
    """
    updates: dict[str, Any] = {"horizon_days": horizon}
    if schedule:
        first = schedule[0]
        share = nominal_brand_share(scenario, first.brand_share)
        updates.update({
            "marketing.annual_budget": first.annual_budget,
            "marketing.brand_share": share,
            "marketing.prior_annual_budget": first.annual_budget,
            "marketing.prior_brand_share": first.brand_share,
            "timeline": [
                {"day": p.start, "set": {
                    "marketing.annual_budget": p.annual_budget,
                    "marketing.brand_share": nominal_brand_share(scenario, p.brand_share)},
                 "note": "spend history"}
                for p in schedule[1:] if 0 < p.start < horizon
            ],
        })
    return scenario.with_overrides(updates)


def arrival_multipliers(scenario: Scenario, days: int) -> tuple[np.ndarray, np.ndarray]:
    """Expected leads per day of each source per unit of its rate parameter, days ``0..days-1``.

    The organic rate is ``organic_leads_per_day x (1 + organic_gain x equity)``
    and the promotion rate ``promo_max_leads_per_day x saturation``: both are
    linear in their parameter, so a rate parameter's maximum-likelihood
    estimate is the source's lead count over the sum of its multipliers.
    """
    unit = scenario.with_overrides({"marketing.organic_leads_per_day": 1.0,
                                    "marketing.promo_max_leads_per_day": 1.0})
    plan = build_spend_plan(unit.periods(), float(days))
    first = -plan.start_day
    return (np.asarray(plan.organic_rate[first: first + days], dtype=float),
            np.asarray(plan.promo_rate[first: first + days], dtype=float))
