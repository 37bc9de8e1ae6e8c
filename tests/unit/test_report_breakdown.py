"""Results by segment and by lead source: they add up to the run, and the win rate is honest."""

from __future__ import annotations

import math

import numpy as np
import pytest
from report_fixtures import tiny_run

from sim.model.records import Source
from sim.report import breakdown as bd


@pytest.fixture(scope="module")
def run():
    return tiny_run(record_leads=True)


@pytest.fixture(scope="module")
def table(run):
    return bd.breakdown_table(run.won_deals, list(run.per_replication["replication"]),
                              run.leads)


def test_segments_and_sources_each_add_up_to_the_bookings(run, table) -> None:
    revenue = run.per_replication["revenue"].mean()
    for dimension in ("segment", "source"):
        rows = table[(table["dimension"] == dimension) & (table["measure"] == "bookings")]
        assert rows["mean"].sum() == pytest.approx(revenue, rel=1e-9)
        shares = table[(table["dimension"] == dimension)
                       & (table["measure"] == "bookings_share")]
        assert shares["mean"].sum() == pytest.approx(1.0, rel=1e-9)
    deals = table[(table["dimension"] == "segment") & (table["measure"] == "deals")]
    assert deals["mean"].sum() == pytest.approx(run.per_replication["deals_booked"].mean())


def test_groups_follow_the_scenario_and_the_win_rate_counts_closed_deals(run, table) -> None:
    segments = [g.name for g in run.scenario.leads.segments]
    wide = bd.breakdown_wide(table, "segment")
    assert list(wide["group"]) == segments
    assert list(bd.breakdown_wide(table, "source")["group"]) == [s.name.lower() for s in Source]
    leads = run.leads[run.leads["segment"] == segments[0]]
    rates = []
    for _, mine in leads.groupby("replication"):
        won = (mine["outcome"] == "won").sum()
        lost = (mine["outcome"] == "lost_in_sales").sum()
        rates.append(won / (won + lost))
    assert wide.set_index("group").loc[segments[0], "win_rate"] == pytest.approx(np.mean(rates))


def test_without_per_lead_records_the_win_rate_is_left_undefined(run) -> None:
    table = bd.breakdown_table(run.won_deals, list(run.per_replication["replication"]))
    rates = table[table["measure"] == "win_rate"]["mean"]
    assert rates.map(math.isnan).all()
    assert table[table["measure"] == "bookings"]["mean"].notna().all()


def test_a_replication_without_deals_in_a_group_counts_zero(run) -> None:
    reps = [*run.per_replication["replication"], 99]  # a replication that booked nothing
    table = bd.breakdown_table(run.won_deals, reps)
    bookings = table[table["measure"] == "bookings"]
    assert (bookings["n"] == len(reps)).all()
