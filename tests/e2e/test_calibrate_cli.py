"""The calibrate command end to end: files in, a scenario that loads out, exit 2 on bad input."""

from pathlib import Path

import pytest

import sim
from sim.calibration import export_crm, main_calibrate

pytestmark = pytest.mark.e2e

BASELINE = Path("scenarios/baseline.yaml").resolve()
QUICK = ["--iterations", "2", "--draws", "10", "--replications", "4", "--quiet"]


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    folder = tmp_path_factory.mktemp("crm")
    scenario = sim.load_scenario(BASELINE).with_overrides({"horizon_days": 300,
                                                           "warmup_days": 60})
    result = sim.simulate(scenario, seed=2, record_leads=True)
    export_crm(result, folder, scenario=scenario, as_of=240)
    return folder


def args(export, out, *more):
    return [str(export / "leads.csv"), "--opportunities", str(export / "opportunities.csv"),
            "--stage-history", str(export / "stage_history.csv"), "--spend",
            str(export / "spend.csv"), "--base", str(BASELINE), "--out", str(out), *QUICK,
            *more]


def test_calibrate_writes_a_scenario_that_runs(export, tmp_path, capsys):
    out = tmp_path / "my-company.yaml"
    assert main_calibrate(args(export, out, "--holdout-months", "2")) == 0
    assert capsys.readouterr().err == ""
    scenario = sim.load_scenario(out)
    assert scenario.name == "my-company"
    assert (tmp_path / "my-company.draws.csv").is_file()
    report = (tmp_path / "my-company.calibration.txt").read_text()
    assert "Backtest" in report and "coverage" in report
    run = sim.simulate(scenario.with_overrides({"horizon_days": 60}), seed=1)
    assert run.metrics["leads_created"] > 0


def test_calibrate_prints_the_report(export, tmp_path, capsys):
    out = tmp_path / "co.yaml"
    argv = [a for a in args(export, out) if a != "--quiet"]
    assert main_calibrate(argv) == 0
    printed = capsys.readouterr().out
    assert "Estimates (95% interval)" in printed and f"Scenario written to {out}" in printed


def test_existing_output_needs_force(export, tmp_path, capsys):
    out = tmp_path / "co.yaml"
    out.write_text("name: mine\n")
    assert main_calibrate(args(export, out)) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "exists; pass --force" in err and "\n" not in err
    assert out.read_text() == "name: mine\n"
    assert main_calibrate(args(export, out, "--force")) == 0
    assert sim.load_scenario(out).name == "co"


@pytest.mark.parametrize(("leads", "message"), [
    ("lead_id,created_at\nA,2024-01-01\nA,2024-01-02\n", "row 3, column 'lead_id': duplicate"),
    ("lead_id,created_at\nA,someday\n", "row 2, column 'created_at': cannot read"),
    ("", "row 1: the file is empty"),
    ("id,created_at\nA,2024-01-01\n", "row 1, column 'lead_id': required column missing"),
    ("lead_id,created_at,amount\nA,2024-01-01,-3\n", "column 'amount': negative amount"),
    ("lead_id,created_at,closed_at\nA,2024-01-05,2024-01-01\n", "is before the creation"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys, leads, message):
    path = tmp_path / "leads.csv"
    path.write_text(leads)
    out = tmp_path / "co.yaml"
    assert main_calibrate([str(path), "--base", str(BASELINE), "--out", str(out), *QUICK]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and str(path) in err
    assert list(tmp_path.iterdir()) == [path]


def test_non_utf8_and_bad_mapping_exit_2(tmp_path, capsys):
    path = tmp_path / "leads.csv"
    path.write_bytes("lead_id,created_at,name\nA,2024-01-01,M\xfcller\n".encode("latin-1"))
    out = tmp_path / "co.yaml"
    assert main_calibrate([str(path), "--out", str(out), *QUICK]) == 2
    assert "row 2, column 'name': byte 0xFC" in capsys.readouterr().err
    path.write_text("lead_id,created_at\nA,2024-01-01\n")
    mapping = tmp_path / "map.yaml"
    mapping.write_text("leads:\n  created_at: Created On\n")
    assert main_calibrate([str(path), "--columns", str(mapping), "--out", str(out), *QUICK]) == 2
    assert "column 'Created On': named by" in capsys.readouterr().err
    assert not out.exists()


def test_bad_options_exit_2(tmp_path, capsys):
    assert main_calibrate(["leads.csv"]) == 2  # no --out
    assert "--out" in capsys.readouterr().err
    assert main_calibrate(["x.csv", "--out", str(tmp_path / "none" / "co.yaml")]) == 2
    assert "no such folder" in capsys.readouterr().err
