"""The fit report of ``calibrate``: written beside the scenario, its sections, figures and
tables, its observed values recomputed here from the export's CSV files, ``--no-report``,
and a folder that is not the tool's refused."""

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from crm_exports import BASELINE, calibrate_args, write_export

import sim
from sim.calibration import CrmError, calibrate, main_calibrate
from sim.experiments.folders import FolderError

pytestmark = pytest.mark.e2e

QUICK = ["--iterations", "1", "--draws", "6", "--replications", "3"]
SECTIONS = ("Conversion by source", "Time to win", "Monthly bookings", "Open pipeline",
            "Period-end share", "Fit statistics", "Backtest")


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    return write_export(tmp_path_factory.mktemp("crm"), horizon_days=240, warmup_days=30,
                        seed=4, as_of=180)


def args(export, out, *more):
    return calibrate_args(export, out, *QUICK, *more)


@pytest.fixture(scope="module")
def written(export, tmp_path_factory):
    """One calibration with its fit report and a backtest: (folder, printed output)."""
    folder = tmp_path_factory.mktemp("out")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(io.StringIO()):
        code = main_calibrate(args(export, folder / "co.yaml", "--holdout-months", "1"))
    assert code == 0
    return folder, printed.getvalue()


def table(folder, name):
    return pd.read_csv(folder / "co.fit" / "tables" / f"{name}.csv")


def test_the_report_is_written_beside_the_scenario_and_its_path_printed(written):
    folder, printed = written
    page = folder / "co.fit" / "report.html"
    assert page.is_file() and (folder / "co.yaml").is_file()
    assert f"Fit report: {page}" in printed
    html = page.read_text(encoding="utf-8")
    for title in SECTIONS:
        assert f"<h2>{title}</h2>" in html
    assert "right-censoring" in html  # the caveat of time to win from closed deals


def test_every_file_the_page_names_exists(written):
    folder, _ = written
    root = folder / "co.fit"
    html = (root / "report.html").read_text(encoding="utf-8")
    named = set(re.findall(r'(?:href|data-file)="((?:figures|tables)/[^"]+)"', html))
    figures = {n for n in named if n.startswith("figures/")}
    assert {Path(n).stem for n in figures} >= {"conversion", "time_to_win", "bookings",
                                                 "pipeline"}
    assert {n for n in named if n.startswith("tables/")}
    for name in named:
        assert (root / name).is_file(), name
    # Figures are embedded too: the page opens alone.
    assert html.count('src="data:image/png;base64,') == len(
        {Path(n).stem for n in figures})


def _csv(export):
    leads = pd.read_csv(export / "leads.csv", parse_dates=["created_at", "mql_at",
                                                          "closed_at"])
    opps = pd.read_csv(export / "opportunities.csv", parse_dates=["created_at", "closed_at"])
    return leads, opps


def test_conversion_by_source_holds_the_exports_counts(export, written):
    folder, _ = written
    leads, opps = _csv(export)
    got = table(folder, "conversion").set_index(["source", "step"])
    in_opps = leads["lead_id"].isin(opps["lead_id"])
    for source in ("organic", "promotion"):
        mine = leads[leads["source"] == source]
        mqls = mine["mql_at"].notna().sum()
        opportunities = in_opps[leads["source"] == source].sum()
        won = (mine["status"] == "won").sum()
        assert got.loc[(source, "lead -> MQL"), "records"] == len(mine)
        assert got.loc[(source, "lead -> MQL"), "observed"] == pytest.approx(mqls / len(mine))
        assert got.loc[(source, "MQL -> opportunity"), "observed"] == pytest.approx(
            opportunities / mqls)
        assert got.loc[(source, "opportunity -> won"), "observed"] == pytest.approx(
            won / opportunities)
        assert got.loc[(source, "lead -> won"), "observed"] == pytest.approx(won / len(mine))
    assert got.loc[("all sources", "lead -> MQL"), "records"] == len(leads)
    assert got["simulated"].between(0, 1).all()


def test_time_to_win_quantiles_come_from_the_won_leads(export, written):
    folder, _ = written
    leads, _ = _csv(export)
    won = leads[leads["status"] == "won"]
    days = ((won["closed_at"] - won["created_at"]) / pd.Timedelta(days=1)).to_numpy()
    got = table(folder, "time_to_win").set_index("quantile")
    for q in (25, 50, 75, 90):
        assert got.loc[f"p{q}", "observed"] == pytest.approx(np.percentile(days, q), rel=1e-6)
    assert (got["wins"] == len(won)).all()
    assert (got["simulated"] > 0).all()


def test_monthly_bookings_are_the_won_amounts_by_month(export, written):
    folder, _ = written
    _, opps = _csv(export)
    won = opps[opps["status"] == "won"]
    expected = won.groupby(won["closed_at"].dt.to_period("M").astype(str))["amount"].sum()
    got = table(folder, "monthly_bookings").set_index("month")
    assert got["observed"].sum() == pytest.approx(won["amount"].sum())
    for month, value in expected.items():
        assert got.loc[month, "observed"] == pytest.approx(value)
    assert (got["p2_5"] <= got["p10"]).all() and (got["p90"] <= got["p97_5"]).all()


def test_open_pipeline_counts_the_open_deals_by_stage(export, written):
    folder, _ = written
    _, opps = _csv(export)
    is_open = opps[opps["status"] == "open"]
    got = table(folder, "open_pipeline").set_index(["stage", "measure"])
    assert got.loc[("all", "deals"), "observed"] == len(is_open) > 0
    assert got.loc[("all", "value"), "observed"] == pytest.approx(is_open["amount"].sum())
    for stage, rows in is_open.groupby("stage"):
        assert got.loc[(stage, "deals"), "observed"] == len(rows)
    html = (folder / "co.fit" / "report.html").read_text(encoding="utf-8")
    assert f">{len(is_open)}<" in html  # shown as the one formatter writes a count


def test_period_end_share_counts_wins_near_period_ends(export, written):
    folder, _ = written
    leads, _ = _csv(export)
    closes = leads.loc[leads["status"] == "won", "closed_at"]
    origin = leads["created_at"].min().normalize()
    got = table(folder, "period_end")
    window = float(got["window_days"].iloc[0])
    period = sim.load_scenario(BASELINE).resolve().sales.period_days
    day = ((closes - origin) / pd.Timedelta(days=1)).to_numpy()
    model = np.mean(np.ceil(day / period) * period - day <= window)
    quarter_end = (closes.dt.to_period("Q") + 1).dt.start_time
    quarter = np.mean((quarter_end - closes) / pd.Timedelta(days=1) <= window)
    assert got["observed"].tolist() == pytest.approx([model, quarter])
    assert got["even"].iloc[0] == pytest.approx(window / period)


def test_the_backtest_table_is_in_the_report(written):
    folder, _ = written
    backtest = table(folder, "backtest")
    assert set(backtest["figure"]) >= {"new leads", "deals won", "bookings"}
    html = (folder / "co.fit" / "report.html").read_text(encoding="utf-8")
    assert "inside the 80% interval" in html and "Backtest by month" in html


def test_no_report_writes_none(export, tmp_path, capsys):
    assert main_calibrate(args(export, tmp_path / "co.yaml", "--no-report")) == 0
    assert (tmp_path / "co.yaml").is_file()
    assert not (tmp_path / "co.fit").exists()
    assert "Fit report" not in capsys.readouterr().out


@pytest.mark.parametrize("force", [False, True])
def test_a_folder_that_is_not_ours_is_refused(export, tmp_path, capsys, force):
    theirs = tmp_path / "co.fit"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("mine\n")
    more = ["--force"] if force else []
    assert main_calibrate(args(export, tmp_path / "co.yaml", *more)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and str(theirs) in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["co.fit"]  # nothing written
    assert (theirs / "notes.txt").read_text() == "mine\n"


def test_a_file_by_that_name_is_refused(export, tmp_path, capsys):
    (tmp_path / "co.fit").write_text("a file\n")
    assert main_calibrate(args(export, tmp_path / "co.yaml", "--force")) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert (tmp_path / "co.fit").read_text() == "a file\n"


def test_the_api_writes_replaces_its_own_report_and_refuses_others(export, tmp_path):
    result = calibrate(export / "leads.csv", export / "opportunities.csv",
                       export / "spend.csv", base=BASELINE,
                       stage_history=export / "stage_history.csv", iterations=1, draws=4)
    check = result.check_fit(replications=2)
    assert check.replications == 2 and not check.conversion.empty
    page = result.write_fit_report(tmp_path / "mine.fit", check=check)
    assert page == tmp_path / "mine.fit" / "report.html" and page.is_file()
    assert "<h2>Backtest</h2>" not in page.read_text(encoding="utf-8")  # none was run
    with pytest.raises(CrmError, match="exists; pass --force"):
        result.write_fit_report(tmp_path / "mine.fit", check=check)
    result.write_fit_report(tmp_path / "mine.fit", check=check, force=True)
    assert page.is_file()
    other = tmp_path / "other"
    other.mkdir()
    (other / "data.csv").write_text("x\n")
    with pytest.raises(FolderError, match="neither empty nor a results folder"):
        result.write_fit_report(other, check=check, force=True)
    assert sorted(p.name for p in other.iterdir()) == ["data.csv"]
