"""The package as a user installs it: a wheel in a clean environment, run from anywhere.

The wheel is built from a copy of the project's build inputs (so no ``build/``
folder lands in the checkout) and installed with ``--no-deps`` into a new
virtual environment made by the project's own interpreter. Its dependencies
are not downloaded again: a ``.pth`` file puts this environment's
site-packages (numpy, SimPy, pandas...) on the new one's path, after its own.
That keeps the test offline and fast, while everything of ``sim`` comes from
the wheel: a ``.pth`` line adds a folder to the path but does not run the
``.pth`` files inside it, so this checkout's editable install stays inactive
there, and the test checks where ``sim`` was imported from.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# What the build reads: the metadata, the package and the scenario files it ships.
BUILD_INPUTS = ("pyproject.toml", "README.md", "LICENSE", "sim", "scenarios")


def call(args: list[str | Path], cwd: Path, timeout: float = 300) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment with the wheel installed; returns its bin folder."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    source.mkdir()
    for name in BUILD_INPUTS:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(REPO / name, source / name)
    dist = tmp / "dist"
    call([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
          "--quiet", "--wheel-dir", dist, source], cwd=tmp)
    (wheel,) = dist.glob("leadflow_sim-*.whl")

    venv = tmp / "venv"
    call([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp)
    python = venv / "bin" / "python"
    call([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps",
          "--quiet", wheel], cwd=tmp)
    purelib = Path(call([python, "-c", "import sysconfig; print(sysconfig.get_paths()"
                                       "['purelib'])"], cwd=tmp).strip())
    (purelib / "leadflow-test-dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin"


def test_the_wheel_ships_the_package_its_types_and_the_scenarios(installed: Path) -> None:
    found = json.loads(call([installed / "python", "-c",
                             "import json, sim, sim.scenario.library as lib; print(json.dumps("
                             "[sim.__file__, lib.packaged_scenarios()]))"], cwd=installed))
    location, scenarios = Path(found[0]), found[1]
    assert installed.parent in location.parents  # the wheel's copy, not this checkout
    assert (location.parent / "py.typed").is_file()
    assert "baseline" in scenarios
    assert sorted(scenarios) == sorted(p.stem for p in (REPO / "scenarios").glob("*.yaml"))


def test_the_console_script_runs_the_default_scenario_from_anywhere(
        installed: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    usage = call([installed / "leadflow", "--help"], cwd=elsewhere)
    assert usage.startswith("usage: leadflow ")
    printed = call([installed / "leadflow", "run", "-n", "1", "--horizon-days", "30",
                    "--out", out], cwd=elsewhere)
    assert f"Report: {out / 'report.html'}" in printed
    html = (out / "report.html").read_text()
    assert html.lstrip().lower().startswith("<!doctype html>") and "baseline" in html
    result = json.loads((out / "result.json").read_text())
    assert result["scenario"] == "baseline" and result["replications"] == 1
    assert result["metrics"]["leads_created"]["mean"] > 0
    assert not (elsewhere / "reports").exists()  # --out was honoured
