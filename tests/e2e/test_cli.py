"""The command line end to end: run, validate, schema, and bad input that writes nothing."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from sim.apps.cli import main
from sim.results.catalog import describe
from sim.results.metrics import METRIC_NAMES
from sim.scenario.loading import load_scenario
from sim.scenario.presets import SALES_PLANS

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "scenarios" / "baseline.yaml"
SHORT = ["--replications", "2", "--horizon-days", "120", "--set", "warmup_days=0"]
OUTPUT_FILES = {"summary.csv", "replications.csv", "timeseries.csv", "scenario.yaml",
                "result.json", "manifest.json"}
JSON_KEYS = {"scenario", "seed", "replications", "horizon_days", "metrics"}


def run_py(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "run.py", *map(str, args)], cwd=REPO, capture_output=True, text=True,
        timeout=120, check=False,
    )


def run_json(capsys: pytest.CaptureFixture[str], out: Path, *args: str) -> dict[str, Any]:
    capsys.readouterr()
    code = main(["run", str(BASELINE), *SHORT, "--out", str(out), "--json", *args])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def as_number(text: str) -> float | None:
    return None if text == "" or math.isnan(float(text)) else float(text)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# --- a run through the real entry point ---------------------------------------------------


@pytest.fixture(scope="module")
def json_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[
        subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("json_run") / "out"
    proc = run_py("run", BASELINE, "--replications", "3", "--horizon-days", "120",
                  "--seed", "7", "--set", "warmup_days=0", "--set", "sales.reps=3",
                  "--out", out, "--json")
    assert proc.returncode == 0, proc.stderr
    return proc, out


@pytest.fixture(scope="module")
def table_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[
        subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("table_run") / "out"
    proc = run_py("run", BASELINE, *SHORT, "--out", out)
    assert proc.returncode == 0, proc.stderr
    return proc, out


def test_run_prints_a_summary_table(table_run: tuple[Any, Path]) -> None:
    proc, out = table_run
    assert "Revenue" in proc.stdout
    assert "95% CI" in proc.stdout
    assert "Scenario 'baseline': 120 days, 2 replications" in proc.stdout
    assert f"Results written to {out}" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_run_writes_every_table(table_run: tuple[Any, Path]) -> None:
    _, out = table_run
    assert {p.name for p in out.iterdir()} >= OUTPUT_FILES
    for name in OUTPUT_FILES:
        assert (out / name).stat().st_size > 0, name
    assert len(read_csv(out / "replications.csv")) == 2
    # no temporary folder is left next to the report
    assert [p.name for p in out.parent.iterdir()] == ["out"]


def test_replications_csv_has_the_requested_rows(json_run: tuple[Any, Path]) -> None:
    _, out = json_run
    rows = read_csv(out / "replications.csv")
    assert [int(r["replication"]) for r in rows] == [0, 1, 2]
    assert set(METRIC_NAMES) <= set(rows[0])


def test_json_is_exactly_one_object(json_run: tuple[Any, Path]) -> None:
    proc, _ = json_run
    data = json.loads(proc.stdout)
    assert isinstance(data, dict)
    assert set(data) == JSON_KEYS
    assert set(METRIC_NAMES) <= set(data["metrics"])
    for name, stats in data["metrics"].items():
        assert set(stats) == {"mean", "ci_low", "ci_high", "label", "unit"}, name
        for key in ("mean", "ci_low", "ci_high"):
            assert stats[key] is None or isinstance(stats[key], float | int), name
        # The catalog's words beside the numbers, so a reader of the JSON needs no lookup.
        assert (stats["label"], stats["unit"]) == (describe(name).label, describe(name).unit)
    assert data["metrics"]["leads_created"]["mean"] > 0


def test_json_honours_seed_replications_horizon_and_name(json_run: tuple[Any, Path]) -> None:
    proc, out = json_run
    data = json.loads(proc.stdout)
    assert data["scenario"] == "baseline"
    assert data["seed"] == 7
    assert data["replications"] == 3
    assert data["horizon_days"] == 120
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["seed"], manifest["replications"], manifest["horizon_days"]) == (7, 3, 120)


def test_json_numbers_equal_summary_csv(json_run: tuple[Any, Path]) -> None:
    proc, out = json_run
    metrics = json.loads(proc.stdout)["metrics"]
    rows = read_csv(out / "summary.csv")
    assert [r["metric"] for r in rows] == list(metrics)
    for row in rows:
        for key in ("mean", "ci_low", "ci_high"):
            assert metrics[row["metric"]][key] == as_number(row[key]), (row["metric"], key)
    assert json.loads((out / "result.json").read_text()) == json.loads(proc.stdout)


def test_set_changes_the_resolved_scenario(json_run: tuple[Any, Path]) -> None:
    _, out = json_run
    resolved = yaml.safe_load((out / "scenario.yaml").read_text())
    assert resolved["sales"]["reps"] == 3
    assert resolved["seed"] == 7
    assert resolved["replications"] == 3
    assert resolved["horizon_days"] == 120
    assert resolved["warmup_days"] == 0
    # the written scenario keeps the preset names and only the overridden fields, so that
    # changing a preset name in it takes effect
    assert resolved["incentives"]["sales_plan"] == "revenue_commission"
    assert resolved["incentives"]["sales"] == {}
    reloaded = load_scenario(out / "scenario.yaml").resolve()
    assert reloaded.incentives.sales.follow_up_rate == (
        SALES_PLANS["revenue_commission"]["follow_up_rate"])


def test_json_status_line_goes_to_stderr(json_run: tuple[Any, Path]) -> None:
    proc, out = json_run
    assert f"Results written to {out}" in proc.stderr
    assert "Traceback" not in proc.stderr


# --- in-process runs -----------------------------------------------------------------------


def test_same_seed_gives_identical_json(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    first = run_json(capsys, tmp_path / "a", "--seed", "11")
    second = run_json(capsys, tmp_path / "b", "--seed", "11")
    assert first == second
    assert (tmp_path / "a" / "summary.csv").read_bytes() == (
        tmp_path / "b" / "summary.csv").read_bytes()


def test_a_different_seed_gives_different_metrics(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    first = run_json(capsys, tmp_path / "a", "--seed", "11")
    other = run_json(capsys, tmp_path / "b", "--seed", "12")
    assert (first["seed"], other["seed"]) == (11, 12)
    assert first["metrics"] != other["metrics"]
    assert first["metrics"]["leads_created"] != other["metrics"]["leads_created"]


def test_replications_and_horizon_options(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, tmp_path / "o", "--replications", "1", "--horizon-days", "60")
    assert (data["replications"], data["horizon_days"]) == (1, 60)
    assert len(read_csv(tmp_path / "o" / "replications.csv")) == 1
    resolved = yaml.safe_load((tmp_path / "o" / "scenario.yaml").read_text())
    assert (resolved["replications"], resolved["horizon_days"]) == (1, 60)


def test_quiet_prints_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", str(BASELINE), *SHORT, "--out", str(tmp_path / "q"), "--quiet"])
    captured = capsys.readouterr()
    assert code == 0
    assert (captured.out, captured.err) == ("", "")
    assert {p.name for p in (tmp_path / "q").iterdir()} >= OUTPUT_FILES


# --- validate and schema ------------------------------------------------------------------


def test_validate_accepts_the_baseline() -> None:
    proc = run_py("validate", "scenarios/baseline.yaml")
    assert proc.returncode == 0, proc.stderr
    assert "valid scenario 'baseline'" in proc.stdout
    assert proc.stderr == ""


def test_validate_rejects_a_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("sales:\n  repz: 3\n")
    proc = run_py("validate", bad)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1
    assert str(bad) in proc.stderr
    assert "did you mean 'reps'?" in proc.stderr


def test_validate_in_process_with_set(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(BASELINE), "--set", "sales.reps=2"]) == 0
    assert "valid scenario" in capsys.readouterr().out
    assert main(["validate", str(BASELINE), "--set", "sales.reps=-2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --set sales.reps:")


def test_schema_prints_json_schema() -> None:
    proc = run_py("schema")
    assert proc.returncode == 0, proc.stderr
    schema = json.loads(proc.stdout)
    assert schema["type"] == "object"
    assert "marketing" in schema["properties"]
    assert "sales" in schema["properties"]
    assert "Sales" in schema["$defs"]


# --- bad input: exit 2, one line, nothing written -----------------------------------------


BAD_INPUTS: list[tuple[str, list[str], str]] = [
    ("missing-file", ["run", "scenarios/no_such_file.yaml"], "no such file"),
    ("unknown-key", ["run", "{bad}"], "did you mean 'reps'?"),
    ("bad-set", ["run", "scenarios/baseline.yaml", "--set", "sales.repz=3"],
     "--set sales.repz"),
    ("replications-0", ["run", "scenarios/baseline.yaml", "--replications", "0"],
     "--replications"),
    ("unknown-command", ["frobnicate", "scenarios/baseline.yaml"], "frobnicate"),
]


@pytest.mark.parametrize(("args", "expected"), [case[1:] for case in BAD_INPUTS],
                         ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    tmp_path: Path, args: list[str], expected: str,
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("sales:\n  repz: 3\n")
    out = tmp_path / "fresh" / "out"
    proc = run_py(*[a.replace("{bad}", str(bad)) for a in args], "--out", out)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert proc.stderr.endswith("\n")
    assert lines[0].startswith("error: ")
    assert expected in lines[0]
    assert "Traceback" not in proc.stderr
    assert not out.exists()
    assert not out.parent.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


@pytest.mark.parametrize(
    "args",
    [
        ["run", "{missing}"],
        ["run", "{bad}"],
        ["run", str(BASELINE), "--set", "sales.reps"],
        ["run", str(BASELINE), "--set", "sales.stages.9.name=x"],
        ["run", str(BASELINE), "--set", "sales.reps=many"],
        ["run", str(BASELINE), "--replications", "0"],
        ["run", str(BASELINE), "--seed", "-1"],
        ["run", str(BASELINE), "--horizon-days", "nan"],
        ["run", str(BASELINE), "--horizon-days", "99999"],
        ["run", str(BASELINE), "--no-such-option"],
    ],
    ids=["missing", "unknown-key", "set-no-equals", "set-index", "set-type", "replications-0",
         "negative-seed", "nan-horizon", "horizon-too-long", "unknown-option"],
)
def test_bad_input_leaves_an_existing_out_folder_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("sales:\n  repz: 3\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.csv").write_text("metric,mean\nrevenue,1\n")
    (out / "notes.txt").write_text("keep me\n")
    before = snapshot(out)
    argv = [a.replace("{bad}", str(bad)).replace("{missing}", str(tmp_path / "nope.yaml"))
            for a in args]
    code = main([*argv, "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1, captured.err
    assert captured.err.startswith("error: ")
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml", "out"]


def test_out_that_is_a_file_is_refused(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.write_text("not a folder\n")
    code = main(["run", str(BASELINE), *SHORT, "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.startswith(f"error: --out {out}:")
    assert len(captured.err.splitlines()) == 1
    assert out.read_text() == "not a folder\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_timeline_changing_the_stage_count_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    scenario = tmp_path / "stages.yaml"
    scenario.write_text(
        "warmup_days: 0\ntimeline:\n  - day: 50\n    set:\n"
        "      sales.stages: [{name: only}]\n"
    )
    out = tmp_path / "o"
    code = main(["run", str(scenario), "--replications", "2", "--horizon-days", "120",
                 "--out", str(out), "-q"])
    captured = capsys.readouterr()
    assert code == 2
    assert len(captured.err.splitlines()) == 1
    assert str(scenario) in captured.err
    assert "timeline.0.set" in captured.err
    assert not out.exists()
