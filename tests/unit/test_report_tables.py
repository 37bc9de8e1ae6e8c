"""The tables behind the figures agree with the run's metrics, exactly where they can."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from report_fixtures import compare_inputs, tiny_run

from sim import simulate
from sim.report import tables as tb
from sim.results.catalog import label


@pytest.fixture(scope="module")
def run():
    return tiny_run()


def test_won_deals_agree_with_the_metrics(run) -> None:
    """The compact deal table is read from the same arrays: no metric moves."""
    deals = run.won_deals
    for r, metrics in run.per_replication.set_index("replication").iterrows():
        mine = deals[deals["replication"] == r]
        assert len(mine) == metrics["deals_booked"]
        assert mine["value"].sum() == pytest.approx(metrics["revenue"], rel=1e-12)
        cohort = mine[mine["created"] >= 0.0]  # warm-up leads' deals are booked too
        assert len(cohort) == metrics["deals_won"]
        assert cohort["value"].sum() == pytest.approx(metrics["cohort_revenue"], rel=1e-12)
        if len(mine):
            assert mine["cycle_days"].median() == pytest.approx(metrics["cycle_days_median"])
            assert mine["mql_to_won_days"].median() == pytest.approx(
                metrics["mql_to_won_days_median"])
        hours = run.first_responses.loc[run.first_responses["replication"] == r, "hours"]
        assert hours.median() == pytest.approx(metrics["first_response_hours_median"])


def test_deal_table_does_not_depend_on_record_leads(run) -> None:
    s = run.scenario
    with_leads = simulate(s, replication=1, record_leads=True)
    without = simulate(s, replication=1, record_leads=False)
    assert with_leads.metrics == without.metrics
    pd.testing.assert_frame_equal(with_leads.won_deals, without.won_deals)
    # The per-lead records hold the cohort; the deal table also warm-up leads' deals.
    won = with_leads.leads[with_leads.leads["outcome"] == "won"]
    cohort = without.won_deals[without.won_deals["created"] >= 0.0]
    assert np.allclose(np.sort(won["value"]), np.sort(cohort["value"]))


def test_funnel_conserves_leads(run) -> None:
    funnel = tb.funnel_table(run.per_replication)
    stages = funnel[funnel["part"] == "stage"].set_index("metric")
    leaks = funnel[funnel["part"] == "leak"]
    total = stages.loc["deals_won", "mean"] + leaks["mean"].sum()
    assert total == pytest.approx(stages.loc["leads_created", "mean"])
    assert math.isnan(stages.loc["leads_created", "conversion"])
    assert 0 < stages.loc["mqls", "conversion"] <= 1


def test_horizon_windows_are_exact(run) -> None:
    horizons = tb.horizon_table(run.per_replication, run.won_deals, 150.0)
    revenue = horizons[horizons["measure"] == "revenue"].set_index("window")
    assert list(revenue.index) == ["First 90 days", "Whole horizon (150 days)"]
    assert revenue.loc["First 90 days", "mean"] == pytest.approx(
        run.per_replication["revenue_90d"].mean())
    assert revenue.iloc[-1]["mean"] == pytest.approx(run.per_replication["revenue"].mean())


def test_horizon_without_deal_table_falls_back_to_metrics(run) -> None:
    horizons = tb.horizon_table(run.per_replication, None, 150.0)
    assert set(horizons["measure"]) == {"revenue", "revenue_per_day"}


def test_weekly_bands_drop_a_short_last_week() -> None:
    ts = pd.DataFrame({"replication": [0, 0, 1, 1], "week": [0, 1, 0, 1],
                       "day": [0.0, 7.0, 0.0, 7.0], "leads": [10, 3, 14, 5]})
    bands = tb.weekly_bands(ts, horizon_days=10.0, columns=["leads"])
    assert list(bands["week"]) == [0]
    assert bands["mean"].iloc[0] == 12 and bands["low"].iloc[0] < bands["high"].iloc[0]


def test_cumulative_bookings_end_at_the_total() -> None:
    data = compare_inputs()
    ts = data["timeseries"]
    cum = tb.cumulative_bookings(ts, 365.0)
    last = cum.groupby("scenario").last()
    totals = ts.groupby(["scenario", "replication"])["bookings"].sum().groupby("scenario").mean()
    assert np.allclose(last["mean"], totals.loc[last.index])
    assert cum["day"].max() == 365.0


def test_response_shares_add_up(run) -> None:
    shares = tb.response_shares(run.first_responses)
    assert shares["mean"].sum() == pytest.approx(1.0)


def test_money_recovers_gross_margin(run) -> None:
    money = tb.money_table(run.per_replication).set_index("item")
    costs = money[money["sign"] < 0]["mean"].sum()
    assert money.loc["gross_margin", "mean"] - costs == pytest.approx(
        money.loc["contribution", "mean"])
    margin = run.scenario.finance.gross_margin
    assert money.loc["gross_margin", "mean"] == pytest.approx(margin * money.loc["revenue",
                                                                                  "mean"])


def test_scenario_changes_list_dotted_keys_with_both_values() -> None:
    base = {"name": "baseline", "sales": {"reps": 8, "stages": [{"p": 0.5}, {"p": 0.6}]},
            "timeline": [], "description": "x"}
    mine = {"name": "mine", "sales": {"reps": 6, "stages": [{"p": 0.5}]}, "timeline": [],
            "description": "y"}
    changes = tb.scenario_changes(mine, base).set_index("key")
    assert list(changes.index) == ["name", "sales.reps", "sales.stages.1.p"]
    assert changes.loc["sales.reps", "value"] == "6"
    assert changes.loc["sales.reps", "baseline"] == "8"
    assert changes.loc["sales.stages.1.p", "value"] == "(absent)"


def test_labels_come_from_the_catalog(run) -> None:
    funnel = tb.funnel_table(run.per_replication).set_index("metric")
    assert funnel.loc["lost_in_sales", "label"] == label("lost_in_sales")
    money = tb.money_table(run.per_replication).set_index("item")
    assert money.loc["commission_cost", "label"] == label("commission_cost")


def test_parameter_values_never_show_an_exponent() -> None:
    assert tb.show_value(1_500_000.0) == "1,500,000"
    assert tb.show_value(0.46) == "0.46"
    assert tb.show_value(8) == "8" and tb.show_value(None) == "null"
    assert tb.show_value(True) == "true"
