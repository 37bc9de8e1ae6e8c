"""Killed at random points (SIGKILL): nothing lost, nothing half-written (findings 2 and 12).

A run is killed while it replaces a previous run's folder: the folder is the
old one or the new one, whole, and the next write removes what the killed
process left. An experiment is killed at random points and resumed each time:
its tables end byte-identical to those of an uninterrupted experiment. The
points are drawn from a fixed seed, so a failure repeats.
"""

from __future__ import annotations

import csv
import os
import random
import signal
import time
from pathlib import Path

from reliability_helpers import no_leftovers, run_cli, start, tiny

from sim.experiments.folders import is_results_folder

RUN_FILES = {"summary.csv", "replications.csv", "timeseries.csv", "scenario.yaml",
             "result.json", "manifest.json", "report.html", "figures", "tables"}
TABLES = ("summary.csv", "replications.csv", "points.csv")


def _complete_run(folder: Path) -> bool:
    names = {p.name for p in folder.iterdir()}
    if not names >= RUN_FILES:
        return False
    with (folder / "summary.csv").open(newline="") as f:
        return len(list(csv.reader(f))) > 10


def _kill_at(argv: list[str], cwd: Path, delay: float) -> int:
    child = start(argv, cwd)
    time.sleep(delay)
    os.killpg(child.pid, signal.SIGKILL)
    child.communicate(timeout=120)
    return child.returncode


def test_a_run_killed_while_replacing_a_folder_leaves_old_or_new_whole(
        tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = str(tiny(tmp_path))
    out = tmp_path / "out"
    started = time.monotonic()
    code, _, err = run_cli(["run", path, "--out", str(out), "-q"], capsys)
    assert code == 0, err
    took = time.monotonic() - started
    first = (out / "summary.csv").read_bytes()
    draw = random.Random(17)
    for _ in range(5):
        delay = draw.uniform(0.2, 2.0 + 1.5 * took)
        returncode = _kill_at(["run", path, "--out", str(out), "-q", "--set",
                               "sales.reps=5"], tmp_path, delay)
        assert out.is_dir() and is_results_folder(out), f"killed at {delay:.2f} s"
        assert _complete_run(out), f"half-written after a kill at {delay:.2f} s"
        if returncode == 0:
            assert (out / "summary.csv").read_bytes() != first  # the new one, whole
    code, _, err = run_cli(["run", path, "--out", str(out), "-q"], capsys)
    assert code == 0, err
    assert no_leftovers(tmp_path) == []  # the killed writers' temporary folders are gone
    assert (out / "summary.csv").read_bytes() == first


def test_an_experiment_killed_at_random_points_resumes_to_identical_tables(
        tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = str(tiny(tmp_path))
    sweep = ["sweep", path, "--vary", "sales.reps=3:8:1", "-n", "3", "--workers", "2", "-q"]
    whole = tmp_path / "whole"
    started = time.monotonic()
    code, _, err = run_cli([*sweep, "--out", str(whole)], capsys)
    assert code == 0, err
    took = time.monotonic() - started
    killed = tmp_path / "killed"
    draw = random.Random(17)
    kills = 0
    for _ in range(4):
        argv = ([*sweep, "--out", str(killed)] if not killed.exists()
                else ["sweep", "--resume", str(killed), "-q", "--workers", "2"])
        if _kill_at(argv, tmp_path, draw.uniform(0.5, 2.0 + took)) != 0:
            kills += 1
        if killed.exists():  # never half a folder: the definition is there from the start
            assert (killed / "experiment.json").is_file() and (
                killed / "replications.jsonl").is_file()
    assert kills >= 2
    if not killed.exists():
        code, _, err = run_cli([*sweep, "--out", str(killed)], capsys)
    else:
        code, _, err = run_cli(["sweep", "--resume", str(killed), "-q", "--workers", "1"],
                               capsys)
    assert code == 0, err
    for name in TABLES:
        assert (killed / name).read_bytes() == (whole / name).read_bytes(), name
    assert no_leftovers(tmp_path) == []
