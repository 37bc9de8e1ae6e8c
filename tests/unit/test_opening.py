"""Starting a run from a given open pipeline (sim.model.opening)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sim import Scenario, load_scenario, simulate
from sim.model.opening import OpenDeal, OpeningFunnelModel, OpeningPipeline
from sim.model.records import LeadBlock, Outcome, Reason
from sim.model.streams import make_streams

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
NO_LEADS = {"marketing.organic_leads_per_day": 0.0, "marketing.promo_max_leads_per_day": 0.0}


@pytest.fixture(scope="module")
def quiet() -> Scenario:
    """The baseline with no new leads at all, long enough for every deal to close."""
    return load_scenario(BASELINE).with_overrides({**NO_LEADS, "horizon_days": 730})


def _run(scenario: Scenario, deals: list[OpenDeal], seed: int = 1
         ) -> tuple[OpeningFunnelModel, LeadBlock]:
    model = OpeningFunnelModel(scenario, make_streams(seed, 0), OpeningPipeline(tuple(deals)),
                               keep_leads=True)
    model.run()
    assert model.opening_block is not None
    return model, model.opening_block


def test_n_deals_at_stage_k_all_close_from_day_0_at_or_after_their_stage(quiet) -> None:
    n, k = 60, 2
    deals = [OpenDeal(segment=i % 3, stage=k, days_in_stage=5.0, deal_size=20_000.0,
                      owner=i % 8) for i in range(n)]
    model, block = _run(quiet, deals)
    assert model.leads_created == n  # no lead but the open deals
    assert block.n == n and block.unfinished == 0
    outcome = block.outcome
    assert set(outcome.tolist()) <= {Outcome.WON, Outcome.LOST_IN_SALES}
    assert np.all(block.outcome_time >= 0.0)  # none before day 0
    assert np.all(block.stage_reached >= k)  # none lost at a stage it had passed
    won = outcome == Outcome.WON
    assert np.all(block.stage_reached[won] == model.stages)
    # Stages passed before day 0 are unknown; the deal's stage counts its days so far.
    assert np.isnan(block.stage_days[:, :k]).all()
    assert np.all(block.stage_days[:, k] >= 5.0)
    assert np.all(block.sql_time == -5.0) and np.all(block.created == -5.0)
    assert set(block.rep.tolist()) <= set(range(quiet.sales.reps))
    # Bookings are the open deals' wins; the cohort is empty.
    m = simulate(quiet, seed=1, opening=OpeningPipeline(tuple(deals))).metrics
    assert m["leads_created"] == 0
    assert m["deals_booked"] == int(won.sum()) > 0
    assert m["revenue"] == pytest.approx(float(block.value[won].sum()))
    # Two stages to go at 0.55 and 0.7 (quality aside): roughly 0.39 of them won.
    assert 0.15 < won.mean() < 0.7


def test_certain_stages_win_every_deal_and_a_stage_never_passed_loses_them(quiet) -> None:
    deals = [OpenDeal(segment=0, stage=1, days_in_stage=0.0, deal_size=10_000.0)] * 30
    certain = quiet.with_overrides({f"sales.stages.{j}.advance_probability": 1.0
                                    for j in range(4)})
    _, block = _run(certain, deals)
    assert np.all(block.outcome == Outcome.WON)
    # Stage 0 (passed) certain to fail: irrelevant to deals beyond it.
    passed = certain.with_overrides({"sales.stages.0.advance_probability": 0.0})
    _, block = _run(passed, deals)
    assert np.all(block.outcome == Outcome.WON)
    # Their own stage impossible to pass: every deal lost there.
    stuck = certain.with_overrides({"sales.stages.1.advance_probability": 0.0})
    _, block = _run(stuck, deals)
    assert np.all(block.outcome == Outcome.LOST_IN_SALES)
    assert np.all(block.reason == Reason.LOST_AT_STAGE) and np.all(block.stage_reached == 1)


def test_more_deals_than_slots_queue_for_reps(quiet) -> None:
    small = quiet.with_overrides({"sales.reps": 2, "sales.slots_per_rep": 5})
    deals = [OpenDeal(segment=0, stage=3, days_in_stage=1.0, deal_size=5_000.0)] * 25
    model, block = _run(small, deals)
    assert np.all(block.outcome != Outcome.IN_FLIGHT)
    assert set(block.rep.tolist()) == {0, 1}
    # Ten take a slot on day 0; the others wait for one, so some close well after.
    assert model.reps.busy == 0
    assert np.sort(block.outcome_time)[-1] > np.sort(block.outcome_time)[9]


def test_the_warm_up_pipeline_is_replaced_by_the_opening_one() -> None:
    scenario = load_scenario(BASELINE).with_overrides({"horizon_days": 60})
    plain = simulate(scenario, seed=2)
    empty = simulate(scenario, seed=2, opening=OpeningPipeline(()))
    # The same leads arrive (their own streams), but no warm-up deal is open on day 0.
    assert empty.metrics["leads_created"] == plain.metrics["leads_created"]
    assert empty.timeseries["pipeline_value"].iloc[0] < 0.5 * plain.timeseries[
        "pipeline_value"].iloc[0]
    assert empty.metrics["deals_booked"] < plain.metrics["deals_booked"]


def test_a_deal_that_does_not_fit_is_refused(quiet) -> None:
    for bad, words in ((OpenDeal(0, 4, 1.0, 1.0), "stage 4"),
                       (OpenDeal(3, 0, 1.0, 1.0), "segment 3"),
                       (OpenDeal(0, 0, -1.0, 1.0), "days_in_stage"),
                       (OpenDeal(0, 0, 1.0, 0.0), "deal_size"),
                       (OpenDeal(0, 0, 1.0, 1.0, qualified=2.0), "after day 0"),
                       (OpenDeal(0, 0, math.nan, 1.0), "days_in_stage")):
        with pytest.raises(ValueError, match=words):
            OpeningPipeline((bad,)).check(quiet)


def test_open_deals_are_handed_over_or_lost_when_their_rep_leaves(quiet) -> None:
    churn = quiet.with_overrides({"sales.staffing.attrition_annual": 4.0,
                                  "sales.staffing.handover_loss": 1.0,
                                  "sales.stages.2.duration.mean_days": 120.0})
    deals = [OpenDeal(segment=1, stage=2, days_in_stage=3.0, deal_size=30_000.0)] * 80
    model, block = _run(churn, deals, seed=4)
    assert model.reps.dynamic
    left = block.reason == Reason.REP_LEFT
    assert left.sum() > 5  # long stages and a rep leaving every quarter, none kept
    assert np.all(block.outcome[left] == Outcome.LOST_IN_SALES)
    assert np.all(block.stage_reached[left] >= 2)
    assert np.all(block.outcome != Outcome.IN_FLIGHT)
    assert np.all(block.stage_days[left, 2] >= 3.0)


def test_the_rest_of_a_stage_is_drawn_given_the_days_already_spent(quiet) -> None:
    model = OpeningFunnelModel(quiet, make_streams(1, 0), OpeningPipeline(()))
    p, s = model.policy_at(0.0), model._scenario_at(0.0)
    stage = 1
    scale = (p.stage_mean_days[stage] * p.segment_cycle_multiplier[0]
             * (1.0 - p.brand_cycle_reduction * model.plan.equity_at(0.0))
             * (p.cycle_factor_late if p.stage_late[stage] else p.cycle_factor_early))
    deal = OpenDeal(segment=0, stage=stage, days_in_stage=0.4 * scale, deal_size=1.0)
    key = f"sales.stages.{stage}.duration.distribution"
    exponential = quiet.with_overrides({key: "exponential"}).resolve()
    fixed = quiet.with_overrides({key: "fixed"}).resolve()
    for u in (0.05, 0.5, 0.95):
        # Memoryless: the rest of an exponential stage is a fresh draw (-log(1 - u)).
        rest = model._rest_of_stage(deal, u, p, exponential, model.plan.equity_at(0.0))
        assert rest == pytest.approx(-math.log1p(-u), rel=1e-9)
        # A fixed stage of one mean, 0.4 of it spent: 0.6 of it left, whatever the luck.
        assert model._rest_of_stage(deal, u, p, fixed, model.plan.equity_at(0.0)) == (
            pytest.approx(0.6))
    # Lognormal (cv 0.6): the whole duration exceeds the days spent, and a deal long in
    # its stage has less of it left on average than a fresh one would need.
    spent = deal.days_in_stage / scale
    rests = np.array([model._rest_of_stage(deal, u, p, s, model.plan.equity_at(0.0))
                      for u in np.linspace(0.005, 0.995, 199)])
    assert np.all(rests > 0.0)
    assert rests.mean() < 1.0 - 0.2 * spent


def test_open_deals_are_leads_that_qualified_so_better_than_new_ones() -> None:
    scenario = load_scenario(BASELINE).with_overrides({"horizon_days": 30})
    deals = tuple(OpenDeal(segment=i % 3, stage=0, days_in_stage=1.0, deal_size=20_000.0)
                  for i in range(300))
    model = OpeningFunnelModel(scenario, make_streams(3, 0), OpeningPipeline(deals),
                               keep_leads=True)
    model.run()
    assert model.opening_block is not None
    opened = model.opening_block.quality
    pool = np.concatenate([np.asarray(q) for q in model.qualified_quality])
    assert pool.size > 300
    # Their qualities come from the warm-up's qualified leads, above the new leads' mean.
    assert set(opened.tolist()) <= set(pool.tolist())
    new = np.concatenate([b.quality for b in model.totals.blocks.values()
                          if b is not model.opening_block])
    assert opened.mean() > new.mean() + 0.02
