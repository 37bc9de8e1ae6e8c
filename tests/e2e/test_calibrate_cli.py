"""The calibrate command end to end: files in, a scenario that loads out, exit 2 on bad input."""


import pytest
from crm_exports import BASELINE, calibrate_args, write_export

import sim
from sim.apps.cli import main as cli_main
from sim.calibration import main_calibrate

pytestmark = pytest.mark.e2e

# The fit report has its own tests (test_calibration_fit_report.py).
QUICK = ["--iterations", "2", "--draws", "10", "--replications", "4", "--no-report", "--quiet"]


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    return write_export(tmp_path_factory.mktemp("crm"), horizon_days=300, warmup_days=60,
                        seed=2, as_of=240)


def args(export, out, *more):
    return calibrate_args(export, out, *QUICK, *more)


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


# --- through the command line: run --export-crm, then calibrate -------------------------

RUN_SHORT = ["--replications", "1", "--quiet"]


def test_run_export_crm_then_calibrate_writes_a_scenario_that_validates(tmp_path, capsys):
    crm = tmp_path / "crm"
    assert cli_main(["run", str(BASELINE), *RUN_SHORT, "--horizon-days", "300",
                     "--out", str(tmp_path / "run"), "--export-crm", str(crm)]) == 0
    assert capsys.readouterr().err == ""
    assert sorted(p.name for p in crm.iterdir()) == [
        "leads.csv", "opportunities.csv", "spend.csv", "stage_history.csv"]
    out = tmp_path / "my-company.yaml"
    assert cli_main(["calibrate", str(crm / "leads.csv"), "--opportunities",
                     str(crm / "opportunities.csv"), "--stage-history",
                     str(crm / "stage_history.csv"), "--spend", str(crm / "spend.csv"),
                     "--base", str(BASELINE), "--holdout-months", "2", "--out", str(out),
                     *QUICK]) == 0
    assert capsys.readouterr().err == ""
    assert cli_main(["validate", str(out)]) == 0
    assert f"{out}: valid scenario 'my-company'" in capsys.readouterr().out
    # The README's last step: the company's own scenario compared with the baseline.
    assert cli_main(["compare", str(out), str(BASELINE), "-n", "2", "--workers", "1",
                     "--set", "horizon_days=60", "--out", str(tmp_path / "cmp"),
                     "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    assert (tmp_path / "cmp" / "report.html").is_file()


def test_export_crm_changes_no_number_of_the_run(tmp_path):
    short = [*RUN_SHORT, "--horizon-days", "60", "--set", "warmup_days=0"]
    assert cli_main(["run", str(BASELINE), *short, "--out", str(tmp_path / "plain")]) == 0
    assert cli_main(["run", str(BASELINE), *short, "--out", str(tmp_path / "exported"),
                     "--export-crm", str(tmp_path / "crm")]) == 0
    for table in ("summary.csv", "replications.csv", "timeseries.csv"):
        assert ((tmp_path / "plain" / table).read_bytes()
                == (tmp_path / "exported" / table).read_bytes()), table
    assert (tmp_path / "crm" / "leads.csv").is_file()


def test_export_crm_into_an_existing_empty_folder(tmp_path):
    crm = tmp_path / "crm"
    crm.mkdir()
    assert cli_main(["run", str(BASELINE), *RUN_SHORT, "--horizon-days", "30",
                     "--out", str(tmp_path / "run"), "--export-crm", str(crm)]) == 0
    assert (crm / "leads.csv").is_file()


@pytest.mark.parametrize("existing", ["folder with a file", "file"])
def test_export_crm_refuses_a_folder_in_use_before_running(tmp_path, capsys, existing):
    crm = tmp_path / "crm"
    if existing == "file":
        crm.write_text("mine\n")
    else:
        crm.mkdir()
        (crm / "notes.txt").write_text("mine\n")
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    code = cli_main(["run", str(BASELINE), *RUN_SHORT, "--out", str(tmp_path / "run"),
                     "--export-crm", str(crm)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith(f"error: --export-crm {crm}: exists and "
                                                   "is not an empty folder")
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before  # no run, nothing written


def test_export_crm_must_differ_from_out(tmp_path, capsys):
    folder = tmp_path / "same"
    assert cli_main(["run", str(BASELINE), *RUN_SHORT, "--out", str(folder),
                     "--export-crm", str(folder)]) == 2
    assert "the same folder as --out" in capsys.readouterr().err
    assert not folder.exists()


def test_calibrate_bad_input_through_the_cli_exits_2_with_one_line(tmp_path, capsys):
    leads = tmp_path / "leads.csv"
    leads.write_text("lead_id,created_at\nA,someday\n")
    out = tmp_path / "co.yaml"
    assert cli_main(["calibrate", str(leads), "--out", str(out), *QUICK]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "row 2, column 'created_at': cannot read" in err
    assert not out.exists()
    assert cli_main(["calibrate", str(leads)]) == 2  # no --out
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--out" in err


def test_calibrate_is_listed_in_the_help(capsys):
    with pytest.raises(SystemExit) as done:
        cli_main(["--help"])
    assert done.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(maxsplit=1)[1] for line in lines if line.strip().startswith("calibrate ")
            ] == ["fit a scenario to a company's CRM export"]
