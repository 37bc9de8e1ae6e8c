"""Decisions under uncertainty end to end: compare --uncertainty, sensitivity, multi-lever optimize.

Small scenarios (short horizons, no warm-up, few draws) keep each command to
seconds; the statistics themselves are validated in tests/unit and
tests/validation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from experiment_fixtures import budget_toy, short_baseline

from sim import Scenario
from sim.apps.cli import main

pytestmark = pytest.mark.e2e


def write_scenario(path: Path, scenario: Scenario) -> Path:
    path.write_text(yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False))
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("scenarios")
    base = short_baseline("eight-reps", horizon_days=60.0, replications=2)
    (folder / "assumptions.yaml").write_text(
        "assumptions:\n"
        "  marketing.organic_leads_per_day: {distribution: uniform, low: 4, high: 12}\n"
        "  finance.gross_margin: {distribution: triangular, low: 0.5, mode: 0.75, "
        "high: 0.9}\n", encoding="utf-8")
    return {
        "a": write_scenario(folder / "a.yaml", base),
        "b": write_scenario(folder / "b.yaml", base.with_overrides(
            {"name": "three-reps", "sales.reps": 3})),
        "toy": write_scenario(folder / "toy.yaml", budget_toy(horizon_days=60.0,
                                                              replications=2)),
        "assumptions": folder / "assumptions.yaml",
    }


def run_json(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> dict[str, Any]:
    code = main([str(a) for a in argv] + ["--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    data: dict[str, Any] = json.loads(captured.out)
    return data


# --- compare under uncertainty ---------------------------------------------------------------


def test_compare_under_uncertainty_reports_how_sure_we_are(
        files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    data = run_json(capsys, "compare", files["a"], files["b"], "--uncertainty", "4", "-n", "2",
                    "--out", out, "--workers", "1")
    assert (data["design"], data["draws"], data["replications"]) == ("uncertainty", 4, 2)
    (decision,) = data["decisions"]
    assert decision["scenario"] == "three-reps" and decision["metric"] == "contribution"
    assert 0 <= decision["probability_better"] <= 1
    assert decision["ci_low"] <= decision["expected"] <= decision["ci_high"]
    assert decision["interval_low"] <= decision["interval_high"]
    assert decision["expected_loss"] >= 0
    assert 0 <= decision["share_assumptions"] <= 1
    # The schema's assumptions, less what the two plans set differently.
    keys = {row["key"] for row in data["assumptions"]}
    assert "finance.gross_margin" in keys and "sales.reps" not in keys
    for name in ("replications.csv", "draws.csv", "summary.csv", "differences.csv",
                 "result.json", "summary.txt", "report.html"):
        assert (out / name).is_file(), name
    draws = (out / "draws.csv").read_text().splitlines()
    assert len(draws) == 5  # a header and four draws
    assert len((out / "replications.csv").read_text().splitlines()) == 1 + 2 * 4 * 2
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "How sure are we?" in page and "fig-how_sure" in page
    text = (out / "summary.txt").read_text()
    assert "How sure are we? 'three-reps' against 'eight-reps'" in text


def test_identical_plans_are_a_coin_flip_and_workers_do_not_change_the_numbers(
        files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    common = ["compare", files["a"], files["a"], "--assumptions", files["assumptions"],
              "--uncertainty", "3", "-n", "2"]
    serial = run_json(capsys, *common, "--out", tmp_path / "one", "--workers", "1")
    parallel = run_json(capsys, *common, "--out", tmp_path / "two", "--workers", "2")
    assert serial == parallel
    (decision,) = serial["decisions"]
    assert decision["expected"] == 0 and decision["probability_better"] == 0.5
    assert decision["expected_loss"] == 0
    assert [row["key"] for row in serial["assumptions"]] == [
        "marketing.organic_leads_per_day", "finance.gross_margin"]


def test_an_interrupted_comparison_resumes_to_the_same_numbers(
        files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import sim.experiments.executors

    common = ["compare", str(files["a"]), str(files["b"]), "--assumptions",
              str(files["assumptions"]), "--uncertainty", "3", "-n", "2", "--workers", "1",
              "--quiet"]
    whole = tmp_path / "whole"
    assert main([*common, "--out", str(whole)]) == 0
    real = sim.experiments.executors.run_task
    calls = {"n": 0}

    def interrupted_after_five(task: Any) -> Any:
        if calls["n"] == 5:
            raise KeyboardInterrupt
        calls["n"] += 1
        return real(task)

    stopped = tmp_path / "stopped"
    monkeypatch.setattr(sim.experiments.executors, "run_task", interrupted_after_five)
    assert main([*common, "--out", str(stopped)]) == 130
    assert "compare --resume" in capsys.readouterr().err
    monkeypatch.setattr(sim.experiments.executors, "run_task", real)
    assert main(["compare", "--resume", str(stopped), "--quiet", "--workers", "1"]) == 0
    for name in ("result.json", "replications.csv", "draws.csv", "summary.txt"):
        assert (stopped / name).read_bytes() == (whole / name).read_bytes(), name
    manifest = json.loads((stopped / "manifest.json").read_text())
    assert manifest["sessions"][1]["resumed_replications"] == 5


# --- sensitivity -----------------------------------------------------------------------------


def test_sensitivity_of_a_difference_names_what_matters(
        files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sens"
    data = run_json(capsys, "sensitivity", files["b"], "--against", files["a"], "--metric",
                    "revenue", "--assumptions", files["assumptions"], "--samples", "4", "-n",
                    "1", "--out", out, "--workers", "2", "--svg")
    assert data["method"] == "sobol" and data["difference"] == "three-reps - eight-reps"
    assert sorted(p.stem for p in (out / "figures").glob("*.svg")) == sorted(
        p.stem for p in (out / "figures").glob("*.png")) != []
    assert {row["factor"] for row in data["indices"]} == {
        "marketing.organic_leads_per_day", "finance.gross_margin"}
    # The margin does not touch revenue: it is the least influential.
    assert data["ranking"][-1] == "finance.gross_margin"
    tornado = {row["factor"]: row for row in data["tornado"]}
    assert tornado["finance.gross_margin"]["swing"] == 0
    assert tornado["marketing.organic_leads_per_day"]["swing"] > 0
    for name in ("indices.csv", "tornado.csv", "flips.csv", "points.csv", "report.html"):
        assert (out / name).is_file(), name
    assert "fig-tornado" in (out / "report.html").read_text(encoding="utf-8")
    assert "The assumptions that move it most" in (out / "summary.txt").read_text()


# --- the multi-lever optimiser ----------------------------------------------------------------

LEVERS = ["--param", "marketing.annual_budget=200000:1800000", "--param", "sales.reps=2:4",
          "--budget", "marketing.annual_budget + sales.reps*100000 <= 1.1M",
          "--objective", "contribution", "-n", "2", "--trials", "8", "--top", "2",
          "--final-replications", "4"]


def test_optimize_several_levers_under_a_budget_on_any_number_of_workers(
        files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    serial = run_json(capsys, "optimize", files["toy"], *LEVERS, "--out", tmp_path / "one",
                      "--workers", "1")
    parallel = run_json(capsys, "optimize", files["toy"], *LEVERS, "--out", tmp_path / "two",
                        "--workers", "2")
    assert serial == parallel
    assert serial["design"] == "levers" and serial["method"]["name"] == "optuna-tpe"
    best = serial["best"]
    assert best["budget_total"] <= 1_100_000
    assert best["ci"][0] <= best["value"] <= best["ci"][1]
    assert any(f["today"] for f in serial["finalists"])
    assert serial["trials_simulated"] + serial["trials_over_budget"] <= 8
    assert serial["pareto"]
    plan = yaml.safe_load((tmp_path / "one" / "best-plan.yaml").read_text())
    assert plan["marketing"]["annual_budget"] == best["plan"]["marketing.annual_budget"]
    assert isinstance(best["plan"]["sales.reps"], int)
    page = (tmp_path / "one" / "report.html").read_text(encoding="utf-8")
    assert "fig-pareto" in page


def test_reverse_planner_finds_a_plan_reaching_the_target(
        files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # In 60 days the toy books 240 k + 1.2 M x / (x + 3000) at a daily spend x; 750 k
    # needs x >= 2,217 a day (809 k a year) on average, a little more to be 80% sure.
    data = run_json(capsys, "optimize", files["toy"], "--param",
                    "marketing.annual_budget=300000:1800000", "--objective", "cost",
                    "--target", "revenue>=750k", "--probability", "0.8", "-n", "8",
                    "--trials", "12", "--top", "3", "--final-replications", "16",
                    "--out", tmp_path / "plan", "--workers", "2")
    assert data["objective"] == "total_cost" and data["goal"] == "min"
    best = data["best"]
    assert best["target_reached"] >= 0.8
    assert 780_000 <= best["plan"]["marketing.annual_budget"] <= 1_200_000
    text = (tmp_path / "plan" / "summary.txt").read_text()
    assert "Cheapest plan found that reaches revenue >= 750,000 with probability 0.8" in text


def test_one_parameter_keeps_the_grid_search(
        files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "optimize", files["toy"], "--param",
                    "marketing.annual_budget=0:1800000", "--objective", "contribution",
                    "--refinements", "0", "--out", tmp_path / "grid", "--workers", "1")
    assert data["method"]["name"] == "crn-refined-grid"


def test_an_interrupted_optimisation_resumes_to_the_same_plan(
        files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import sim.experiments.executors

    common = ["optimize", str(files["toy"]), *LEVERS, "--workers", "1", "--quiet"]
    whole = tmp_path / "whole"
    assert main([*common, "--out", str(whole)]) == 0
    real = sim.experiments.executors.run_task
    calls = {"n": 0}

    def interrupted(task: Any) -> Any:
        if calls["n"] == 7:
            raise KeyboardInterrupt
        calls["n"] += 1
        return real(task)

    stopped = tmp_path / "stopped"
    monkeypatch.setattr(sim.experiments.executors, "run_task", interrupted)
    assert main([*common, "--out", str(stopped)]) == 130
    capsys.readouterr()
    monkeypatch.setattr(sim.experiments.executors, "run_task", real)
    assert main(["optimize", "--resume", str(stopped), "--quiet", "--workers", "1"]) == 0
    for name in ("result.json", "trials.csv", "finalists.csv", "summary.txt"):
        assert (stopped / name).read_bytes() == (whole / name).read_bytes(), name


# --- bad input: exit 2, one line, nothing written ----------------------------------------------

BAD: list[tuple[str, list[str], str]] = [
    ("one-draw", ["compare", "{a}", "{b}", "--uncertainty", "1"], "expected a whole number >= 2"),
    ("assumptions-alone", ["compare", "{a}", "{b}", "--assumptions", "{assumptions}"],
     "give the number of draws with --uncertainty N"),
    ("unknown-key", ["compare", "{a}", "{b}", "--uncertainty", "3", "--assumptions",
                     "{bad_key}"], "did you mean 'gross_margin'?"),
    ("outside", ["compare", "{a}", "{b}", "--uncertainty", "3", "--assumptions",
                 "{outside}"], "goes outside the field's valid values (0 to 1)"),
    ("empty", ["compare", "{a}", "{b}", "--uncertainty", "3", "--assumptions", "{empty}"],
     "empty range"),
    ("precision", ["compare", "{a}", "{b}", "--uncertainty", "3", "--precision", "0.1"],
     "--precision does not apply here"),
    ("impossible", ["optimize", "{a}", "--param", "marketing.annual_budget=1e6:3e6",
                    "--param", "sales.reps=6:12", "--budget",
                    "marketing.annual_budget + sales.reps*100000 <= 1M", "--objective",
                    "contribution"], "no plan within the --param ranges meets it"),
    ("nonlinear", ["optimize", "{a}", "--param", "marketing.annual_budget=1e6:3e6",
                   "--param", "sales.reps=6:12", "--budget",
                   "marketing.annual_budget * sales.reps <= 1M", "--objective",
                   "contribution"], "must be linear"),
    ("target-alone", ["optimize", "{a}", "--param", "marketing.annual_budget=1e6:3e6",
                      "--objective", "cost", "--target", "revenue>=1M"],
     "--target and --probability go together"),
    ("risk", ["optimize", "{a}", "--param", "sales.reps=6:12", "--objective",
              "contribution", "--risk", "worst"], "expected mean, quantile:Q"),
    ("sobol-samples", ["sensitivity", "{a}", "--metric", "revenue", "--samples", "6",
                       "--assumptions", "{assumptions}"], "needs a power of two"),
    ("no-metric", ["sensitivity", "{a}"], "expected a scenario file and --metric"),
    ("metric", ["sensitivity", "{a}", "--metric", "revnue"], "did you mean 'revenue'?"),
]


@pytest.mark.parametrize(("args", "expected"), [case[1:] for case in BAD],
                         ids=[case[0] for case in BAD])
def test_bad_specifications_exit_2_with_one_line_before_anything_runs(
        files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        args: list[str], expected: str) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for name, text in (
            ("bad_key", "assumptions:\n  finance.gross_margn: {distribution: uniform, "
                        "low: 0.5, high: 0.8}\n"),
            ("outside", "assumptions:\n  finance.gross_margin: {distribution: uniform, "
                        "low: 0.5, high: 1.5}\n"),
            ("empty", "assumptions:\n  finance.gross_margin: {distribution: uniform, "
                      "low: 0.8, high: 0.8}\n")):
        (inputs / f"{name}.yaml").write_text(text, encoding="utf-8")
    names = {k: str(v) for k, v in files.items()}
    names.update({k: str(inputs / f"{k}.yaml") for k in ("bad_key", "outside", "empty")})
    out = tmp_path / "out"
    code = main([a.format(**names) for a in args] + ["--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1, captured.err
    assert captured.err.startswith("error: ")
    assert expected in captured.err, captured.err
    assert not out.exists()
