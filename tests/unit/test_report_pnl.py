"""Money by quarter and the payback of a change: the periods add up to the run's metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from report_fixtures import tiny_run

from sim.report import pnl

# A plan change mid-run (a quota plan: accelerators; a bigger budget: spend changes)
# so every exact and allocated part of the P&L is exercised.
TIMELINE = [{"day": 60.0, "set": {"incentives.sales_plan": "quota_accelerator",
                                  "marketing.annual_budget": 3_000_000.0}}]


@pytest.fixture(scope="module")
def run():
    return tiny_run(timeline=TIMELINE)


def test_period_edges_cover_the_horizon() -> None:
    assert list(pnl.period_edges(200.0, 91.25)) == [0.0, 91.25, 182.5, 200.0]
    assert list(pnl.period_edges(365.0, 91.25)) == [0.0, 91.25, 182.5, 273.75, 365.0]
    assert pnl.quarter_labels(np.array([0.0, 91.25, 150.0])) == [
        "Q1 (days 0-91)", "Q2 (days 91-150)"]
    with pytest.raises(ValueError, match="> 0"):
        pnl.period_edges(0.0, 7.0)


@pytest.mark.parametrize("period_days", [pnl.QUARTER_DAYS, pnl.WEEK_DAYS])
def test_periods_add_up_to_the_run_metrics(run, period_days: float) -> None:
    table = pnl.pnl_by_replication(run.scenario, run.won_deals, run.per_replication,
                                   run.timeseries, period_days)
    totals = table.groupby("replication").sum()
    metrics = run.per_replication.set_index("replication")
    for item, metric in (("bookings", "revenue"), ("marketing_spend", "marketing_spend"),
                         ("marketing_bonus_cost", "marketing_bonus_cost"),
                         ("sales_cost", "sales_cost"), ("alignment_cost", "alignment_cost"),
                         ("contribution", "contribution")):
        np.testing.assert_allclose(totals[item], metrics.loc[totals.index, metric], rtol=1e-9,
                                   err_msg=item)
    margin = totals["gross_margin"]
    np.testing.assert_allclose(margin, metrics["contribution"] + metrics["total_cost"], rtol=1e-9)


def test_spend_follows_the_plan_change(run) -> None:
    quarterly = pnl.quarterly_pnl(run.scenario, run.won_deals, run.per_replication,
                                  run.timeseries)
    spend = quarterly[quarterly["item"] == "marketing_spend"].set_index("quarter")["mean"]
    # Q1 has 60 days at the old budget and 31.25 at 3 M a year; Q2 is 58.75 days at 3 M.
    old = run.scenario.marketing.annual_budget
    assert spend.iloc[0] == pytest.approx((60 * old + 31.25 * 3e6) / 365, rel=1e-6)
    assert spend.iloc[1] == pytest.approx(58.75 * 3e6 / 365, rel=1e-6)
    wide = pnl.pnl_wide(quarterly)
    assert list(wide.columns) == ["quarter", *pnl.ITEM_NAMES] and len(wide) == 2


def test_payback_ends_at_the_paired_difference_in_contribution(run) -> None:
    other = tiny_run(timeline=TIMELINE, **{"sales.reps": 5})
    details = [(name, r.scenario, r.won_deals, r.per_replication, r.timeseries)
               for name, r in (("eight", run), ("five", other))]
    same = pnl.payback_table([details[0], ("copy", *details[0][1:])], "eight")
    assert set(same["scenario"]) == {"copy"} and (same["mean"] == 0).all()
    payback = pnl.payback_table(details, "eight")
    assert list(payback["day"])[:2] == [7.0, 14.0] and payback["day"].iloc[-1] == 150.0
    last = payback.iloc[-1]
    diff = (other.per_replication["contribution"] - run.per_replication["contribution"])
    assert last["mean"] == pytest.approx(diff.mean(), rel=1e-9)
    assert last["n"] == len(diff)
    with pytest.raises(ValueError, match="reference"):
        pnl.payback_table(details, "nine")


def test_break_even_is_when_the_difference_stays_above_zero() -> None:
    payback = pd.DataFrame({
        "scenario": "b", "day": [7.0, 14.0, 21.0, 28.0, 35.0],
        "mean": [-5.0, -1.0, 2.0, -0.5, 3.0], "ci_low": [-9.0, -4.0, -1.0, -3.0, 1.0],
        "ci_high": [-1.0, 2.0, 5.0, 2.0, 5.0], "n": 3})
    assert pnl.break_even(payback) == {"b": {"mean": 28.0, "clear": 28.0}}
    never = payback.assign(mean=-1.0, ci_low=-2.0)
    assert all(np.isnan(v) for v in pnl.break_even(never)["b"].values())
