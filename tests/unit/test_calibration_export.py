"""The CRM export of a simulated company: files, censoring, and reading it back."""

import numpy as np
import pandas as pd
import pytest

import sim
from sim.calibration import export_crm, read_crm
from sim.calibration.columns import LEADS, OPPORTUNITIES, SPEND, STAGE_HISTORY
from sim.calibration.records import tables_from_records
from sim.calibration.tables import censor, month_windows

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def simulated():
    scenario = sim.load_scenario("scenarios/baseline.yaml").with_overrides(
        {"horizon_days": 150, "warmup_days": 30})
    return scenario, sim.simulate(scenario, seed=3, record_leads=True)


def test_export_writes_the_four_tables(tmp_path, simulated):
    scenario, result = simulated
    written = export_crm(result, tmp_path, scenario=scenario, as_of=120)
    assert set(written) == {"leads", "opportunities", "stage_history", "spend"}
    for table in (LEADS, OPPORTUNITIES, STAGE_HISTORY, SPEND):
        frame = pd.read_csv(tmp_path / table.file, dtype=str)
        assert tuple(frame.columns) == table.names
    leads = pd.read_csv(tmp_path / "leads.csv")
    records = result.leads
    assert len(leads) == int((records["created"] < 120).sum())
    assert set(leads["status"]) <= {"won", "lost", "open"}
    # The owner is the rep who held the lead: named once a rep took it on, else empty.
    taken = (records["created"] < 120) & (records["assigned_time"] < 120)
    assert leads["owner"].notna().sum() == int(taken.sum()) > 0
    assert leads["owner"].dropna().str.fullmatch(r"rep-\d{3}").all()
    assert leads["owner"].nunique() == scenario.sales.reps
    spend = pd.read_csv(tmp_path / "spend.csv")
    assert spend[["brand", "promotion"]].sum().sum() / (len(spend) * 7) * 365 == pytest.approx(
        scenario.marketing.annual_budget, rel=1e-3)


def test_export_needs_records_and_a_scenario(tmp_path, simulated):
    scenario, _ = simulated
    plain = sim.simulate(scenario, seed=3)
    with pytest.raises(ValueError, match="record_leads"):
        export_crm(plain, tmp_path, scenario=scenario)
    with pytest.raises(ValueError, match="needs the scenario"):
        export_crm(simulated[1], tmp_path)


def test_export_reads_back_as_the_same_tables(tmp_path, simulated):
    scenario, result = simulated
    export_crm(result, tmp_path, scenario=scenario, as_of=120)
    read = read_crm(tmp_path / "leads.csv", tmp_path / "opportunities.csv",
                    tmp_path / "spend.csv", stage_history_csv=tmp_path / "stage_history.csv")
    direct = tables_from_records(result.leads, [s.name for s in scenario.sales.stages], 120.0,
                                 pd.Timestamp("2024-01-01"))
    assert read.as_of == 120.0
    assert list(read.leads["lead_id"]) == list(direct.leads["lead_id"])
    # Times are written to the second.
    assert np.allclose(read.leads["created"], direct.leads["created"], atol=1.2e-5)
    assert list(read.leads["status"]) == list(direct.leads["status"])
    won = read.opportunities["status"] == "won"
    assert read.opportunities.loc[won, "amount"].sum() == pytest.approx(
        direct.opportunities.loc[won.to_numpy(), "amount"].sum(), abs=0.01 * won.sum())
    assert list(read.opportunities["stage"].fillna("")) == list(
        direct.opportunities["stage"].fillna(""))


def test_the_export_hides_what_happens_after_it(simulated):
    scenario, result = simulated
    stages = [s.name for s in scenario.sales.stages]
    tables = tables_from_records(result.leads, stages, 120.0, pd.Timestamp("2024-01-01"))
    leads, opps = tables.leads, tables.opportunities
    assert (leads["created"] < 120).all()
    assert (leads["closed"].dropna() < 120).all()
    assert (tables.stage_history["entered"] < 120).all()
    # A deal open at the export day shows the stage it was in then.
    records = result.leads.set_index("lead")
    for _, opp in opps[opps["status"] == "open"].head(20).iterrows():
        lead = int(opp["lead_id"][1:])
        days = records.loc[lead, [f"days_{s}" for s in stages]].to_numpy(dtype=float)
        if np.isnan(days).all():
            continue
        entered = records.loc[lead, "sql_time"] + np.concatenate([[0.0], np.nancumsum(days)[:-1]])
        now = max(j for j in range(len(stages)) if np.isfinite(days[j]) and entered[j] < 120)
        assert opp["stage"] == stages[now]


def test_censor_matches_an_export_taken_earlier(simulated):
    scenario, result = simulated
    stages = [s.name for s in scenario.sales.stages]
    late = tables_from_records(result.leads, stages, 140.0, pd.Timestamp("2024-01-01"))
    early = tables_from_records(result.leads, stages, 100.0, pd.Timestamp("2024-01-01"))
    cut = censor(late, 100.0)
    assert list(cut.leads["lead_id"]) == list(early.leads["lead_id"])
    assert list(cut.leads["status"]) == list(early.leads["status"])
    assert list(cut.opportunities["status"]) == list(early.opportunities["status"])
    assert list(cut.opportunities["stage"].fillna("")) == list(
        early.opportunities["stage"].fillna(""))
    # A deal won after the cut shows at the cut its amount before the discount, as
    # the earlier export does: the booked value is not known yet.
    np.testing.assert_allclose(cut.opportunities["amount"].to_numpy(dtype=float),
                               early.opportunities["amount"].to_numpy(dtype=float), rtol=1e-12)


def test_month_windows(simulated):
    scenario, result = simulated
    tables = tables_from_records(result.leads, [s.name for s in scenario.sales.stages], 45.0,
                                 pd.Timestamp("2024-01-15"))
    windows = month_windows(tables)
    assert [w[0] for w in windows] == ["2024-01", "2024-02"]
    assert windows[0][1:] == (0.0, 17.0)
    assert windows[1][1:] == (17.0, 45.0)
