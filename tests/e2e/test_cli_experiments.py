"""compare, sweep and optimize end to end: tables, JSON, executors, bad input, resume."""

from __future__ import annotations

import csv
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from experiment_fixtures import best_budget, budget_toy, short_baseline

from sim import Scenario, load_scenario, run_replications
from sim.apps.cli import _ProgressBar, main
from sim.apps.run_folder import result_json
from sim.results.metrics import METRIC_NAMES

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "scenarios" / "baseline.yaml"
VERDICTS = {"better", "worse", "higher", "lower", "no detectable difference", "undefined"}
# A sweep long enough to be killed half-way: 2 points x 8 replications of 200 days.
SWEEP = ["sweep", str(BASELINE), "--vary", "sales.reps=3,8", "--replications", "8",
         "--horizon-days", "200", "--seed", "3", "--set", "warmup_days=0"]
SWEEP_TASKS = 16


def run_py(*args: str | Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "run.py", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout, check=False)


def write_scenario(path: Path, scenario: Scenario) -> Path:
    path.write_text(yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False))
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def number(text: str) -> float | None:
    return None if text == "" or math.isnan(float(text)) else float(text)


def assert_report(folder: Path) -> None:
    """``report.html`` is there and every image in it is a data: URI or an existing file."""
    page = (folder / "report.html").read_text(encoding="utf-8")
    sources = re.findall(r'<img[^>]*\ssrc="([^"]*)"', page)
    assert sources, "the report shows no figure"
    for src in sources:
        assert src.startswith("data:") or (folder / src).is_file(), src


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("scenarios")
    base = short_baseline("eight-reps", horizon_days=60.0, replications=3)
    return {
        "a": write_scenario(folder / "a.yaml", base),
        "b": write_scenario(folder / "b.yaml", base.with_overrides(
            {"name": "three-reps", "sales.reps": 3})),
        "toy": write_scenario(folder / "toy.yaml", budget_toy(horizon_days=120.0,
                                                              replications=4)),
    }


# --- compare ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compare_run(files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory,
                ) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("compare") / "out"
    proc = run_py("compare", files["a"], files["b"], "--out", out, "--json", "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    return proc, out


def test_compare_prints_one_json_object_equal_to_its_tables(compare_run: Any) -> None:
    proc, out = compare_run
    data = json.loads(proc.stdout)
    assert data["command"] == "compare" and data["reference"] == "eight-reps"
    assert (data["seed"], data["replications"]) == (11, 3)
    assert [s["label"] for s in data["scenarios"]] == ["eight-reps", "three-reps"]
    assert json.loads((out / "result.json").read_text()) == data
    for row in read_csv(out / "summary.csv"):
        scenario = next(s for s in data["scenarios"] if s["label"] == row["scenario"])
        for key in ("mean", "ci_low", "ci_high"):
            assert scenario["metrics"][row["metric"]][key] == number(row[key])
    (diff,) = data["differences"]
    assert diff["scenario"] == "three-reps" and set(diff["metrics"]) == set(METRIC_NAMES)
    for row in read_csv(out / "differences.csv"):
        stats = diff["metrics"][row["metric"]]
        for key in ("mean", "ci_low", "ci_high", "relative"):
            assert stats[key] == number(row[key]), (row["metric"], key)
        assert stats["verdict"] == row["verdict"] and row["verdict"] in VERDICTS
    assert diff["metrics"]["rep_salary_cost"]["verdict"] == "better"
    assert diff["metrics"]["leads_created"]["verdict"] == "no detectable difference"
    assert f"Results written to {out}" in proc.stderr and "Traceback" not in proc.stderr


def test_compare_writes_tidy_tables_scenarios_and_a_manifest(compare_run: Any) -> None:
    _, out = compare_run
    assert {p.name for p in out.iterdir()} == {
        "experiment.json", "replications.jsonl", "manifest.json", "replications.csv",
        "summary.csv", "differences.csv", "result.json", "summary.txt", "scenarios",
        "report.html", "figures", "tables"}
    assert_report(out)
    rows = read_csv(out / "replications.csv")
    assert [(r["scenario"], int(r["replication"])) for r in rows] == [
        (s, r) for s in ("eight-reps", "three-reps") for r in range(3)]
    assert set(METRIC_NAMES) <= set(rows[0])
    resolved = yaml.safe_load((out / "scenarios" / "three-reps.yaml").read_text())
    assert resolved["sales"]["reps"] == 3 and resolved["seed"] == 11
    assert resolved["alignment"]["stage"] == "defined"  # preset names kept, not written out
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["seed"] == 11
    assert manifest["packages"]["simpy"] and manifest["packages"]["distributed"]
    assert "git_revision" in manifest and manifest["started"] <= manifest["finished"]
    assert manifest["resolved_scenarios"]["three-reps"]["sales"]["reps"] == 3
    (session,) = manifest["sessions"]
    assert session["executor"] == "local" and session["workers"] == 2
    assert [p.name for p in out.parent.iterdir()] == ["out"]  # no temporary folder left


def test_compare_prints_differences_and_verdicts_for_people(
        files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["compare", str(files["a"]), str(files["b"]), "--out", str(tmp_path / "o"),
                 "--workers", "1", "--replications", "2"])
    out = capsys.readouterr().out
    assert code == 0
    assert "'three-reps' minus 'eight-reps'" in out
    assert "verdict" in out and "Bookings, whole horizon" in out
    assert "better" in out  # salaries of 3 reps instead of 8
    assert f"Results written to {tmp_path / 'o'}" in out
    assert (tmp_path / "o" / "summary.txt").read_text().strip() in out
    # PNG only by default: SVGs are drawn on request (--svg).
    figures = tmp_path / "o" / "figures"
    assert list(figures.glob("*.png")) and not list(figures.glob("*.svg"))


def test_compare_svg_writes_every_figure_twice(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "svg"
    assert main(["compare", str(files["a"]), str(files["b"]), "--out", str(out),
                 "--workers", "1", "--replications", "2", "--quiet", "--svg"]) == 0
    pngs = sorted(p.stem for p in (out / "figures").glob("*.png"))
    assert pngs and pngs == sorted(p.stem for p in (out / "figures").glob("*.svg"))


# --- sweep and optimize -------------------------------------------------------------------


def test_sweep_end_to_end_on_a_grid_of_two_parameters(files: dict[str, Path],
                                                      tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    proc = run_py("sweep", files["toy"], "--vary", "marketing.annual_budget=450000:1350000:450000",
                  "--vary", "sales.reps=2,3", "--replications", "2", "--horizon-days", "60",
                  "--out", out, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["parameters"] == ["marketing.annual_budget", "sales.reps"]
    assert [p["values"] for p in data["points"]] == [
        {"marketing.annual_budget": b, "sales.reps": r}
        for b in (450000, 900000, 1350000) for r in (2, 3)]
    assert data["best"]["values"]["marketing.annual_budget"] == 900000
    points = read_csv(out / "points.csv")
    assert [r["marketing.annual_budget"] for r in points][::2] == ["450000", "900000", "1350000"]
    assert len(read_csv(out / "replications.csv")) == 6 * 2
    for row in read_csv(out / "summary.csv"):
        stats = data["points"][int(row["point"])]["metrics"][row["metric"]]
        for key in ("mean", "ci_low", "ci_high"):
            assert stats[key] == number(row[key])
    assert json.loads((out / "result.json").read_text()) == data
    assert_report(out)
    assert f"Report: {out / 'report.html'}" in proc.stderr


def test_optimize_end_to_end_finds_the_analytic_optimum(files: dict[str, Path],
                                                         tmp_path: Path) -> None:
    out = tmp_path / "opt"
    proc = run_py("optimize", files["toy"], "--param", "marketing.annual_budget=0:2700000",
                  "--objective", "contribution", "--refinements", "2", "--out", out)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "Best marketing.annual_budget:" in text and "Flat top:" in text
    assert "<- best" in text
    data = json.loads((out / "result.json").read_text())
    best = data["best"]
    assert data["method"]["name"] == "crn-refined-grid" and data["goal"] == "max"
    assert best["value_ci"][0] <= best_budget() <= best["value_ci"][1]
    assert data["near_optimal"]["low"] <= best_budget() <= data["near_optimal"]["high"]
    rows = read_csv(out / "points.csv")
    assert len(rows) == len(data["points"]) == 9  # 5 values, then 2 new per refinement
    for row, point in zip(rows, data["points"], strict=True):
        assert number(row["mean"]) == point["objective"]["mean"]
        assert number(row["difference"]) == point["difference_to_best"]["mean"]
        assert (row["near_optimal"] == "True") == point["near_optimal"]
    assert_report(out)
    assert f"Report: {out / 'report.html'}" in text


def test_a_local_dask_cluster_gives_the_same_numbers_as_local_processes(
        files: dict[str, Path], compare_run: Any, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    processes, _ = compare_run
    code = main(["compare", str(files["a"]), str(files["b"]), "--out", str(tmp_path / "d"),
                 "--json", "--executor", "dask", "--workers", "2"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert json.loads(captured.out) == json.loads(processes.stdout)
    manifest = json.loads((tmp_path / "d" / "manifest.json").read_text())
    assert manifest["sessions"][0]["executor"] == "dask"


def test_run_on_two_workers_gives_the_numbers_of_a_serial_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", str(BASELINE), "--replications", "3", "--horizon-days", "60",
                 "--set", "warmup_days=0", "--out", str(tmp_path / "o"), "--json",
                 "--workers", "2"])
    assert code == 0
    scenario = load_scenario(BASELINE, ["warmup_days=0"]).with_overrides(
        {"replications": 3, "horizon_days": 60.0})
    assert json.loads(capsys.readouterr().out) == result_json(run_replications(scenario))


# --- interrupted and killed runs ----------------------------------------------------------


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("whole") / "out"
    assert main([*SWEEP, "--out", str(out), "--quiet", "--workers", "2"]) == 0
    return out


def assert_same_tables(folder: Path, reference: Path) -> None:
    for name in ("points.csv", "replications.csv", "summary.csv", "result.json",
                 "summary.txt", "scenario.yaml"):
        assert (folder / name).read_bytes() == (reference / name).read_bytes(), name


def test_resume_after_a_killed_sweep_equals_an_uninterrupted_one(
        tmp_path: Path, uninterrupted: Path) -> None:
    out = tmp_path / "killed"
    log = out / "replications.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "run.py", *SWEEP, "--out", str(out), "--quiet", "--workers", "2"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if log.exists() and log.read_text().count("\n") >= 3:
                break
            time.sleep(0.01)
    finally:
        # The whole process group: the run and its worker processes, as a kill would.
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    finished = log.read_text().count("\n")
    assert 3 <= finished < SWEEP_TASKS, "the run was not killed half-way"
    assert not (out / "summary.csv").exists()
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"

    assert main(["sweep", "--resume", str(out), "--quiet", "--workers", "1"]) == 0
    assert_same_tables(out, uninterrupted)
    assert_report(out)
    lines = log.read_text().splitlines()
    assert len(lines) == SWEEP_TASKS  # nothing finished before the kill was run again
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert [s["status"] for s in manifest["sessions"]] == ["running", "complete"]
    assert manifest["sessions"][1]["resumed_replications"] >= finished


def test_ctrl_c_keeps_finished_replications_and_resume_completes(
        tmp_path: Path, uninterrupted: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import sim.experiments.executors

    real = sim.experiments.executors.run_task
    calls = {"n": 0}

    def interrupted_after_five(task: Any) -> Any:
        if calls["n"] == 5:
            raise KeyboardInterrupt
        calls["n"] += 1
        return real(task)

    out = tmp_path / "stopped"
    monkeypatch.setattr(sim.experiments.executors, "run_task", interrupted_after_five)
    assert main([*SWEEP, "--out", str(out), "--workers", "1"]) == 130
    err = capsys.readouterr().err
    assert err == (f"interrupted: 5 finished replications are kept in {out}; finish with: "
                   f"run.py sweep --resume {out}\n")
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
    monkeypatch.setattr(sim.experiments.executors, "run_task", real)
    assert main(["sweep", "--resume", str(out), "--quiet", "--workers", "1"]) == 0
    assert_same_tables(out, uninterrupted)


# --- bad input: exit 2, one line, nothing written -------------------------------------------


BAD: list[tuple[str, list[str], str]] = [
    ("one-file", ["compare", "{a}"], "expected two or more scenario files"),
    ("missing-file", ["compare", "{a}", "{missing}"], "no such file"),
    ("no-vary", ["sweep", "{a}"], "expected at least one --vary"),
    ("vary-range", ["sweep", "{a}", "--vary", "sales.reps=0,4"],
     "--vary sales.reps: expected a value greater than or equal to 1; got 0"),
    ("vary-key", ["sweep", "{a}", "--vary", "sales.repz=4"], "did you mean 'reps'?"),
    ("vary-syntax", ["sweep", "{a}", "--vary", "sales.reps"], "expected KEY=VALUES"),
    ("objective", ["sweep", "{a}", "--vary", "sales.reps=4", "--objective", "revnue"],
     "--objective revnue: unknown metric; did you mean 'revenue'?"),
    ("no-param", ["optimize", "{a}", "--objective", "revenue"], "expected --param"),
    ("param-text", ["optimize", "{a}", "--param", "alignment.stage=0:1", "--objective",
                    "revenue"], "expected a numeric parameter"),
    ("param-range", ["optimize", "{a}", "--param", "marketing.brand_share=0:2",
                     "--objective", "revenue"], "less than or equal to 1"),
    ("param-whole", ["optimize", "{a}", "--param", "sales.reps=1.5:9", "--objective",
                     "revenue"], "whole-number bounds"),
    ("scheduler", ["compare", "{a}", "{b}", "--scheduler", "tcp://127.0.0.1:9"],
     "only with --executor dask"),
    ("precision", ["compare", "{a}", "{b}", "--precision", "0"], "--precision"),
    ("workers", ["compare", "{a}", "{b}", "--workers", "0"], "--workers"),
    ("max-reps", ["compare", "{a}", "{b}", "-n", "5", "--max-replications", "2"],
     "--max-replications"),
    ("resume-missing", ["sweep", "--resume", "{missing}"], "no such folder"),
    ("resume-and-vary", ["sweep", "--resume", "{missing}", "--vary", "sales.reps=4"],
     "--vary cannot be given with it"),
]


@pytest.mark.parametrize(("args", "expected"), [case[1:] for case in BAD],
                         ids=[case[0] for case in BAD])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
        files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        args: list[str], expected: str) -> None:
    out = tmp_path / "out"
    argv = [a.format(a=files["a"], b=files["b"], missing=tmp_path / "nope") for a in args]
    if "--resume" not in argv:
        argv += ["--out", str(out)]
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1, captured.err
    assert captured.err.startswith("error: ")
    assert expected in captured.err, captured.err
    assert list(tmp_path.iterdir()) == []


def test_resume_refuses_another_command_and_leaves_the_folder_unchanged(
        uninterrupted: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(uninterrupted)
    assert main(["compare", "--resume", str(uninterrupted)]) == 2
    err = capsys.readouterr().err
    assert err == (f"error: --resume {uninterrupted}: holds a sweep, not a compare; use: "
                   f"run.py sweep --resume {uninterrupted}\n")
    assert main([*SWEEP, "--out", str(uninterrupted)]) == 2
    assert "holds an experiment already" in capsys.readouterr().err
    assert snapshot(uninterrupted) == before


def test_progress_bar_follows_done_and_total() -> None:
    bar = _ProgressBar(delay_seconds=60.0)  # never drawn within the test
    bar(0, 4)
    bar(2, 4)
    bar(2, 6)  # sequential stopping asked for more
    assert bar._bar is not None and bar._bar.total == 6 and bar._bar.n == 2
    bar(6, 6)
    assert bar._bar is None
    bar(6, 6)  # nothing left to do: no bar
    assert bar._bar is None
