"""Bookings and cohort: window metrics recomputed from every lead, warm-up leads included.

A run starts from today's business (a warm-up under today's plan). Window
metrics count what closed in ``[0, horizon)`` whatever the lead's creation;
the cohort (leads created from day 0) keeps the funnel counts, whose
conservation law holds literally over every ``lost_*`` metric. A change of
plan on the timeline reaches deals already in the pipeline.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim import Scenario, load_scenario, simulate
from sim.model.funnel import FunnelModel
from sim.model.records import COLUMNS, Outcome
from sim.model.streams import make_streams
from sim.results.metrics import METRIC_NAMES, compute_metrics

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"


def baseline(**overrides: object) -> Scenario:
    return load_scenario(BASELINE).with_overrides(dict(overrides))


# --- conservation, literally --------------------------------------------------------------


@pytest.mark.smoke
@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"incentives.sales_plan": "quota_accelerator", "incentives.marketing_plan": "mql_volume"},
        {"alignment.stage": "undefined", "sales.reps": 2},
        {"alignment.stage": "integrated", "warmup_days": 0.0},
        {"marketing.brand_share": 1.0, "timeline": [
            {"day": 60, "set": {"incentives.sales_plan": "shared_revenue"}}]},
        {"neutral": True, "sales.reps": 1, "sales.slots_per_rep": 2},
    ],
    ids=["baseline", "quota-mql", "undefined-2reps", "integrated-cold-start", "timeline",
         "neutral-overloaded"],
)
def test_leads_created_is_deals_won_plus_every_lost_metric_plus_in_flight(
        overrides: dict) -> None:
    lost = [name for name in METRIC_NAMES if name.startswith("lost_")]
    assert lost == ["lost_never_contacted", "lost_rejected", "lost_cold", "lost_in_sales"]
    scenario = baseline(horizon_days=200.0, **overrides)
    for replication in range(3):
        m = simulate(scenario, seed=11, replication=replication).metrics
        assert m["leads_created"] == m["deals_won"] + sum(m[k] for k in lost) + m["in_flight_end"]
        # The parts are named after the leak they belong to, and fit inside it.
        assert (m["never_contacted_not_followed_up"] + m["never_contacted_expired_waiting"]
                == m["lost_never_contacted"])
        assert m["cold_unqualified"] <= m["lost_cold"]


# --- bookings from every lead ------------------------------------------------------------


def every_lead(model: FunnelModel) -> dict[str, np.ndarray]:
    """Every lead's columns, warm-up leads included, in lead order."""
    blocks = model.totals.blocks
    assert blocks is not None
    ordered = [blocks[k] for k in sorted(blocks)]
    return {name: np.concatenate([b.view()[name] for b in ordered]) for name in COLUMNS}


@pytest.mark.smoke
@pytest.mark.parametrize("plan", ["revenue_commission", "quota_accelerator"])
def test_window_metrics_are_the_deals_closed_in_the_window(plan: str) -> None:
    scenario = baseline(**{"horizon_days": 400.0, "incentives.sales_plan": plan})
    model = FunnelModel(scenario, make_streams(3, 1), keep_leads=True)
    model.run()
    m = compute_metrics(model)
    lead = every_lead(model)
    closed = lead["outcome_time"]
    won = lead["outcome"] == Outcome.WON
    lost = lead["outcome"] == Outcome.LOST_IN_SALES
    warm = lead["created"] < 0.0
    booked = won & (closed >= 0.0)
    value = lead["value"]
    # Warm-up leads' deals are a large part of the first months' bookings.
    assert np.sum(booked & warm) > 20
    assert m["deals_booked"] == booked.sum()
    assert m["revenue"] == pytest.approx(value[booked].sum(), rel=1e-12)
    assert m["revenue_90d"] == pytest.approx(value[booked & (closed < 90.0)].sum(), rel=1e-12)
    assert m["revenue_1y"] == pytest.approx(value[booked & (closed < 365.0)].sum(), rel=1e-12)
    assert m["cohort_revenue"] == pytest.approx(value[won & ~warm].sum(), rel=1e-12)
    assert m["cohort_revenue"] < m["revenue"]
    closed_lost = lost & (closed >= 0.0)
    assert m["win_rate"] == pytest.approx(booked.sum() / (booked.sum() + closed_lost.sum()))
    assert m["mean_deal_value"] == pytest.approx(value[booked].mean())
    assert m["mean_discount"] == pytest.approx(lead["discount"][booked].mean())
    assert m["pulled_forward_share"] == pytest.approx(lead["pushed"][booked].mean())
    cycle = closed[booked] - lead["created"][booked]
    assert m["cycle_days_median"] == pytest.approx(np.median(cycle))
    assert m["mql_to_won_days_median"] == pytest.approx(
        np.median(closed[booked] - lead["mql_time"][booked]))
    # The cohort keeps its own counts.
    assert m["leads_created"] == np.sum(~warm)
    assert m["deals_won"] == np.sum(won & ~warm)
    assert m["deals_lost"] == m["lost_in_sales"] == np.sum(lost & ~warm)
    # Commission is on bookings (accelerators add to it above quota).
    rate = model.period_scenarios[0].incentives.sales.commission_rate
    if model.period_scenarios[0].incentives.sales.accelerator_rate == 0:
        assert m["commission_cost"] == pytest.approx(rate * value[booked].sum())
    else:
        assert m["commission_cost"] >= rate * value[booked].sum()
    assert m["customer_acquisition_cost"] == pytest.approx(m["total_cost"] / booked.sum())


def test_weekly_series_and_deal_table_hold_the_bookings() -> None:
    result = simulate(baseline(horizon_days=120.0), seed=2)
    ts, m, deals = result.timeseries, result.metrics, result.won_deals
    assert deals is not None
    assert len(deals) == m["deals_booked"] == ts["deals_booked"].sum()
    assert deals["value"].sum() == pytest.approx(m["revenue"]) == pytest.approx(
        ts["bookings"].sum())
    assert (deals["won_time"] >= 0.0).all() and (deals["won_time"] < 120.0).all()
    assert (deals["created"] < 0.0).sum() > 0
    assert deals.loc[deals["created"] >= 0.0, "value"].sum() == pytest.approx(
        m["cohort_revenue"])
    # The open pipeline on day 7 holds today's deals, not an empty company's.
    assert ts["pipeline_value"].iloc[0] > 0.5 * ts["pipeline_value"].iloc[-2]


# --- the timeline reaches deals in the pipeline -----------------------------------------


def test_a_plan_switch_ends_the_quota_push_for_deals_already_in_the_pipeline() -> None:
    # Quota plan until day 270, then revenue commission: the quarter ending on day
    # 273.75 is under revenue commission, so no deal is pulled into it; before the
    # change, deals assigned under the quota plan were still pulled forward up to
    # day 359.
    scenario = baseline(**{"horizon_days": 365.0, "incentives.sales_plan": "quota_accelerator",
                           "timeline": [{"day": 270, "set": {
                               "incentives.sales_plan": "revenue_commission"}}]})
    for replication in range(3):
        deals = simulate(scenario, seed=5, replication=replication).won_deals
        assert deals is not None
        pushed = deals[deals["pushed"]]
        assert len(pushed) > 10  # the quota plan pushed while it was in force
        assert pushed["won_time"].max() < 270.0 + 1.0


def test_each_stage_runs_under_the_policy_in_force_when_it_starts() -> None:
    # From day 200 the last stage never advances: a deal that starts it after day
    # 200 is lost there; one that started it before closes under the old odds.
    stages = ("discovery", "solution", "proposal", "negotiation")
    scenario = baseline(horizon_days=320.0, record_leads=True, timeline=[
        {"day": 200, "set": {"sales.stages.3.advance_probability": 0.0}}])
    leads = simulate(scenario, seed=4).leads
    assert leads is not None
    won = leads[leads["outcome"] == "won"]
    last_started = won["outcome_time"] - won[f"days_{stages[-1]}"]
    assert (last_started < 200.0).all()
    assert (won["outcome_time"] > 200.0).sum() > 5  # deals already in the last stage
    lost_last = leads[(leads["outcome"] == "lost_in_sales") & (leads["stage_reached"] == 3)]
    started = lost_last["outcome_time"] - lost_last[f"days_{stages[-1]}"]
    assert (started >= 200.0).sum() > 20


def test_the_discount_follows_the_policy_at_the_close() -> None:
    # Base discount 0.10 until day 150, then 0.30; no brand pricing power, so the
    # discount is base + the plan's pressure (0.02) exactly, for every deal by its close.
    scenario = baseline(**{"horizon_days": 300.0,
                           "marketing.brand_effects.discount_reduction": 0.0,
                           "timeline": [{"day": 150, "set": {"sales.base_discount": 0.30}}]})
    deals = simulate(scenario, seed=6).won_deals
    assert deals is not None
    before, after = deals[deals["won_time"] < 150.0], deals[deals["won_time"] >= 150.0]
    np.testing.assert_allclose(before["discount"], 0.12, rtol=1e-12)
    np.testing.assert_allclose(after["discount"], 0.32, rtol=1e-12)
    assert (after["won_time"] - after["mql_to_won_days"] < 150.0).sum() > 20
