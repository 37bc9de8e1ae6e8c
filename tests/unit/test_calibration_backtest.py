"""The backtest's roll-forward: the pipeline open at the cut, the spend from it, one forecast."""

import numpy as np
import pandas as pd
import pytest

import sim
from sim.calibration.backtest import (
    RollForward,
    opening_pipeline,
    roll_forward,
    schedule_from,
)
from sim.calibration.marketing import SpendPeriod
from sim.calibration.records import tables_from_records
from sim.calibration.tables import censor
from sim.model.records import Source

pytestmark = pytest.mark.unit

CUT = 200.0


@pytest.fixture(scope="module")
def export():
    scenario = sim.load_scenario("scenarios/baseline.yaml").with_overrides(
        {"horizon_days": 300, "warmup_days": 60})
    result = sim.simulate(scenario, seed=7, record_leads=True)
    stages = [s.name for s in scenario.sales.stages]
    tables = tables_from_records(result.leads, stages, 260.0, pd.Timestamp("2024-01-01"))
    return scenario, result.leads, tables


def test_the_opening_pipeline_is_the_deals_open_at_the_cut(export):
    scenario, records, tables = export
    seen = censor(tables, CUT)
    opening = opening_pipeline(seen, scenario)
    assert opening is not None
    # Every lead qualified before the cut and closed after it (or never) is an open deal.
    sql, closed = records["sql_time"], records["outcome_time"].fillna(np.inf)
    is_open = (records["created"] < CUT) & (sql < CUT) & (closed >= CUT)
    assert len(opening) == int(is_open.sum()) > 30
    opening.check(scenario)
    deals = opening.deals
    assert all(d.qualified <= 0.0 and d.created <= d.qualified for d in deals)
    assert {d.source for d in deals} <= {Source.ORGANIC, Source.PROMOTION}
    assert all(d.owner >= 0 for d in deals)  # the simulated export names owners
    # The amount of each: its list value (a deal won after the cut shows its booked,
    # discounted value in the censored export: at most the list value).
    assert sum(d.deal_size for d in deals) == pytest.approx(
        records.loc[is_open, "deal_size"].sum(), rel=0.1)
    # Days in the current stage: from the last stage entered to the cut.
    stages = np.array([d.stage for d in deals])
    assert stages.min() >= 0 and stages.max() < len(scenario.sales.stages)
    assert all(d.days_in_stage <= -d.qualified + 1e-9 for d in deals)
    first = [d for d in deals if d.stage == 0]
    assert first and all(d.days_in_stage == pytest.approx(-d.qualified) for d in first)


def test_no_opportunities_no_opening(export):
    scenario, _, tables = export
    from dataclasses import replace

    assert opening_pipeline(replace(tables, opportunities=None), scenario) is None


def test_the_spend_history_seen_from_the_cut():
    schedule = [SpendPeriod(0.0, 1e6, 0.4), SpendPeriod(100.0, 2e6, 0.5),
                SpendPeriod(250.0, 3e6, 0.6)]
    assert schedule_from(schedule, 200.0) == [SpendPeriod(0.0, 2e6, 0.5),
                                              SpendPeriod(50.0, 3e6, 0.6)]
    assert schedule_from(schedule, 100.0)[0] == SpendPeriod(0.0, 2e6, 0.5)
    assert schedule_from(None, 10.0) is None


def test_one_roll_forward_counts_each_month(export):
    scenario, records, tables = export
    opening = opening_pipeline(censor(tables, CUT), scenario)
    assert opening is not None
    windows = [("a", 0.0, 30.0), ("b", 30.0, 60.0)]
    task = RollForward(scenario.with_overrides({"horizon_days": 60.0}), 3, 0, opening,
                       windows, ["new_leads", "mqls", "deals_won", "bookings"])
    out = roll_forward(task)
    # About as many new leads as the company made in a month.
    monthly = ((records["created"] >= 0) & (records["created"] < 30)).sum()
    assert 0.7 * monthly < out[("new_leads", "a")] < 1.3 * monthly
    assert out[("mqls", "a")] > 0 and out[("deals_won", "a")] > 0
    assert out[("bookings", "a")] > 0
