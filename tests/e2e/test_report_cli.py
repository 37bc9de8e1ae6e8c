"""What the command line prints and titles: --set reflected, 100 columns, full names, --quiet."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from sim.apps.cli import main

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "scenarios" / "baseline.yaml"
SHORT = ["--replications", "2", "--horizon-days", "45", "--set", "warmup_days=20"]


def header(report: Path) -> str:
    """The report's title and the line under it."""
    text = report.read_text(encoding="utf-8")
    match = re.search(r"<header>(.*?)<nav>", text, re.DOTALL)
    assert match, "no header"
    return re.sub(r"<[^>]+>", " ", match.group(1))


def test_a_run_with_set_is_titled_by_what_ran(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    assert main(["run", str(BASELINE), *SHORT, "--set", "sales.reps=6", "--set",
                 "incentives.sales_plan=shared_revenue", "--out", str(out)]) == 0
    capsys.readouterr()
    top = header(out / "report.html")
    assert "baseline.yaml with --set" in top and "sales.reps=6" in top
    assert "incentives.sales_plan=shared_revenue" in top
    assert "the file, before these changes:" in top  # the file's "8 reps" is not the run's
    written = yaml.safe_load((out / "scenario.yaml").read_text(encoding="utf-8"))
    assert "sales.reps=6" in written["description"]


def test_run_options_without_a_command_run_the_baseline(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    out = tmp_path / "quiet"
    assert main(["--quiet", *SHORT, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert (out / "report.html").is_file()


def test_compare_prints_100_columns_with_full_names_and_titles_its_set(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = []
    for name, reps in (("alignment-defined-eight-reps", 8), ("alignment-defined-five-reps", 5)):
        path = tmp_path / f"{name}.yaml"
        path.write_text(f"extends: {BASELINE}\nname: {name}\nsales:\n  reps: {reps}\n",
                        encoding="utf-8")
        files.append(str(path))
    out = tmp_path / "compare"
    assert main(["compare", *files, *SHORT, "--set", "alignment.stage=aligned", "--out",
                 str(out), "--workers", "1"]) == 0
    printed = capsys.readouterr().out
    lines = printed.splitlines()
    assert max(len(line) for line in lines) <= 100, max(lines, key=len)
    assert "'alignment-defined-five-reps' minus 'alignment-defined-eight-reps'" in printed
    assert "Cohort: still in flight at the end" in printed  # the longest label, in full
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["overrides"] == ["warmup_days=20", "alignment.stage=aligned"]
    top = header(out / "report.html")
    assert "(all with warmup_days=20, alignment.stage=aligned)" in top
    assert (out / "figures" / "payback.png").is_file()  # replayed replications, over time
