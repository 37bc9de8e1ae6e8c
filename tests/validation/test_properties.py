"""Property-based: any valid scenario runs and keeps the conservation law."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import Scenario, simulate
from sim.results.metrics import METRIC_NAMES

unit = st.floats(0.0, 1.0)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    stages = draw(st.lists(
        st.fixed_dictionaries({
            "name": st.sampled_from(["a", "b", "c", "d"]),
            "duration": st.fixed_dictionaries({
                "distribution": st.sampled_from(["exponential", "lognormal", "gamma", "fixed"]),
                "mean_days": st.floats(0.0, 60.0),
                "cv": st.floats(0.05, 2.0),
            }),
            "advance_probability": unit,
            "late_stage": st.booleans(),
        }), min_size=1, max_size=4))
    overrides = {
        "horizon_days": draw(st.floats(10.0, 200.0)),
        "warmup_days": draw(st.sampled_from([0.0, 15.5, 60.0])),
        "neutral": draw(st.booleans()),
        "marketing.annual_budget": draw(st.floats(0.0, 5e6)),
        "marketing.brand_share": draw(unit),
        "marketing.prior_brand_share": draw(st.none() | unit),
        "marketing.organic_leads_per_day": draw(st.floats(0.0, 20.0)),
        "marketing.promo_max_leads_per_day": draw(st.floats(0.0, 20.0)),
        "nurture.handoff_threshold": draw(unit),
        "nurture.scoring_noise": draw(st.floats(0.0, 0.5)),
        "nurture.cold_hazard_per_day": draw(st.floats(0.0, 0.2)),
        "leads.buying_window": draw(st.booleans()),
        "sales.reps": draw(st.integers(1, 12)),
        "sales.slots_per_rep": draw(st.integers(1, 10)),
        "sales.response_band_shape": draw(st.floats(0.1, 10.0)),
        "sales.stages": stages,
        "incentives.sales_plan": draw(st.sampled_from(
            ["revenue_commission", "quota_accelerator", "shared_revenue"])),
        "incentives.marketing_plan": draw(st.sampled_from(["mql_volume", "pipeline", "revenue"])),
        "alignment.stage": draw(st.sampled_from(
            ["undefined", "defined", "aligned", "integrated"])),
        "incentives.sales.pull_forward_probability": draw(st.none() | unit),
    }
    if draw(st.booleans()):
        overrides["timeline"] = [{
            "day": draw(st.floats(0.0, 150.0)),
            "set": {"alignment.stage": draw(st.sampled_from(["undefined", "integrated"])),
                    "marketing.brand_share": draw(unit)},
        }]
    return Scenario().with_overrides(overrides)


@pytest.mark.smoke
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_random_valid_scenarios_run_and_conserve_leads(scenario: Scenario, seed: int) -> None:
    m = simulate(scenario, seed=seed).metrics
    assert set(m) == set(METRIC_NAMES)
    lost = m["lost_never_contacted"] + m["lost_rejected"] + m["lost_cold"] + m["lost_in_sales"]
    assert m["leads_created"] == m["deals_won"] + lost + m["in_flight_end"]
    for name in ("leads_created", "mqls", "sqls", "deals_won", "revenue", "marketing_spend",
                 "sales_cost", "total_cost", "rep_utilization"):
        assert m[name] >= 0, name
    assert m["mqls"] <= m["leads_created"]
    assert m["sqls"] <= m["mqls"]
    assert m["deals_won"] <= m["sqls"]
    assert m["revenue_90d"] <= m["revenue_1y"] + 1e-6 <= m["revenue"] + 2e-6
    assert m["rep_utilization"] <= 1.0 + 1e-9
    if not math.isnan(m["win_rate"]):
        assert 0.0 <= m["win_rate"] <= 1.0
    if not math.isnan(m["mean_discount"]):
        assert 0.0 <= m["mean_discount"] <= scenario.sales.max_discount + 1e-12
