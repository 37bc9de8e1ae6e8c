"""Leads lost when their rep leaves: their own reason, a metric, and the rep column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import Scenario, load_scenario
from sim.model.funnel import FunnelModel
from sim.model.records import Reason
from sim.model.streams import make_streams
from sim.results.metrics import compute_metrics, lead_records

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"


def _run(scenario: Scenario) -> tuple[FunnelModel, dict[str, float], pd.DataFrame]:
    model = FunnelModel(scenario, make_streams(4, 0), keep_leads=True)
    model.run()
    return model, compute_metrics(model), lead_records(model)


@pytest.fixture(scope="module")
def churn() -> tuple[FunnelModel, dict[str, float], pd.DataFrame]:
    scenario = load_scenario(BASELINE).with_overrides({
        "horizon_days": 300, "warmup_days": 60,
        "sales.staffing.attrition_annual": 3.0, "sales.staffing.handover_loss": 0.6})
    return _run(scenario)


def test_leads_lost_when_their_rep_leaves_have_their_own_reason(churn) -> None:
    model, m, leads = churn
    left = leads[leads["reason"] == "rep_left"]
    assert len(left) > 20
    assert m["rep_left_lost"] == len(left)
    # Their outcome and stage bookkeeping are kept: cold before qualifying, lost in sales after.
    assert set(left["outcome"].astype(str)) == {"cold", "lost_in_sales"}
    in_sales = left[left["outcome"] == "lost_in_sales"]
    assert (in_sales["stage_reached"] >= 0).all() and in_sales["sql_time"].notna().all()
    cold = left[left["outcome"] == "cold"]
    assert cold["sql_time"].isna().all()
    # The model's own count includes warm-up leads too.
    assert model.lost_to_leavers >= m["rep_left_lost"]
    # The sub-reasons of the two leaks no longer hold them.
    assert m["cold_unqualified"] == int((leads["reason"] == "unqualified").sum())
    assert m["rep_left_lost"] <= m["lost_cold"] + m["lost_in_sales"]


def test_every_lead_keeps_exactly_one_outcome(churn) -> None:
    _, m, leads = churn
    lost = sum(m[k] for k in ("lost_never_contacted", "lost_rejected", "lost_cold",
                              "lost_in_sales"))
    assert m["leads_created"] == m["deals_won"] + lost + m["in_flight_end"] == len(leads)
    counts = leads["outcome"].astype(str).value_counts()
    assert counts.get("won", 0) == m["deals_won"]
    assert counts.get("in_flight", 0) == m["in_flight_end"]
    # A finished lead has a reason; a lead in flight has none.
    finished = leads["outcome"] != "in_flight"
    assert (leads.loc[finished, "reason"] != "none").all()
    assert (leads.loc[~finished, "reason"] == "none").all()


def test_the_rep_column_names_who_held_each_lead(churn) -> None:
    model, _, leads = churn
    assert model.spells is not None
    rep = leads["rep"].to_numpy()
    assert leads["rep"].dtype == np.int16
    taken = leads["assigned_time"].notna().to_numpy()
    assert (rep[~taken] == -1).all()
    assert ((rep[taken] >= 0) & (rep[taken] < len(model.spells))).all()
    # A rep holds only leads taken on while in post (or handed over to them later).
    for k in np.unique(rep[taken])[:10]:
        spell = model.spells[int(k)]
        mine = leads[leads["rep"] == k]
        assert (mine["assigned_time"] < spell.leave).all() or spell.leave == np.inf
        assert (mine["outcome_time"].fillna(np.inf) >= spell.join).all()


def test_a_fixed_headcount_loses_no_lead_to_a_leaver() -> None:
    scenario = load_scenario(BASELINE).with_overrides({"horizon_days": 120, "warmup_days": 30})
    _, m, leads = _run(scenario)
    assert m["rep_left_lost"] == 0
    assert set(leads["rep"]) - {-1} == set(range(scenario.sales.reps))
    assert Reason.REP_LEFT == 10  # appended: earlier codes keep their numbers


def test_the_crm_export_says_rep_left_and_names_owners(churn) -> None:
    from sim.calibration.records import tables_from_records

    model, _, leads = churn
    stages = [s.name for s in model.scenario.sales.stages]
    tables = tables_from_records(leads, stages, 300.0, pd.Timestamp("2024-01-01"))
    exported = tables.leads
    assert (exported["lost_reason"] == "rep left").sum() == (leads["reason"] == "rep_left").sum()
    owners = exported["owner"].dropna()
    assert owners.str.fullmatch(r"rep-\d{3}").all()
    # Owners of leads taken on by reps who joined later (replacements) are named too.
    assert owners.nunique() > model.scenario.sales.reps
    assert tables.opportunities is not None
    assert tables.opportunities["owner"].notna().all()  # every opportunity had a rep
