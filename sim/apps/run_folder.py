"""Writing a run's results: tidy CSV tables, the resolved scenario, a manifest, the report.

A run's folder is first written under a hidden temporary name next to its
destination and then swapped into place whole, so a folder under ``reports/``
is either complete or absent: an interrupted write never leaves half a report,
and a run into an earlier run's folder leaves none of that run's files. A
folder that is not a results folder of this tool is never written into
(:mod:`sim.experiments.folders`). Every CSV cell is neutralised against
spreadsheet formulas and every JSON file is standard JSON
(:mod:`sim.experiments.safe_output`).
"""

from __future__ import annotations

import functools
import platform
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.experiments.jsonable import finite
from sim.experiments.runner import RunResult
from sim.experiments.safe_output import dumps, safe_name, write_csv
from sim.report.drawer import Drawer
from sim.report.files import atomic_folder, installed_version
from sim.report.run_report import render_run_report
from sim.results.catalog import metric_json
from sim.scenario.dump import scenario_yaml
from sim.scenario.errors import ScenarioError
from sim.scenario.library import default_scenario
from sim.scenario.schema import Scenario

# ``scenario_yaml`` lives in the scenario layer; it is re-exported here for the
# code that imported it from this module.
__all__ = ["default_report_dir", "environment", "finite", "manifest", "result_json",
           "scenario_yaml", "versions", "write_run"]

PACKAGES = ("leadflow-sim", "simpy", "numpy", "pandas", "scipy", "pydantic", "pyyaml")


def result_json(run: RunResult) -> dict[str, Any]:
    """The machine-readable summary printed by ``run --json`` (NaN as null)."""
    s = run.scenario
    metrics = {
        str(row.metric): metric_json(str(row.metric), {
            k: finite(getattr(row, k)) for k in ("mean", "ci_low", "ci_high")})
        for row in run.summary.itertuples()
    }
    return {
        "scenario": s.name,
        "seed": run.seed,
        "replications": len(run.per_replication),
        "horizon_days": s.horizon_days,
        "metrics": metrics,
    }


def default_report_dir(reports: Path, name: str, now: datetime | None = None) -> Path:
    """``reports/<name>-<YYYYmmdd-HHMMSS>``, with a suffix if that exists already."""
    now = now or datetime.now()
    base = reports / f"{safe_name(name, max_length=120)}-{now:%Y%m%d-%H%M%S}"
    candidate, k = base, 1
    while candidate.exists():
        k += 1
        candidate = base.with_name(f"{base.name}-{k}")
    return candidate


def environment(packages: Sequence[str] = PACKAGES) -> dict[str, Any]:
    """Python and package versions and the git revision (``None`` outside a checkout)."""
    return {"python": platform.python_version(),
            "packages": {pkg: installed_version(pkg) for pkg in packages},
            "git_revision": _git_revision()}


def versions() -> dict[str, str | None]:
    """This tool's version and git revision: what ``--resume`` compares with a folder's."""
    return {"version": installed_version("leadflow-sim"), "git_revision": _git_revision()}


def manifest(run: RunResult, started: datetime, finished: datetime) -> dict[str, Any]:
    """What reproduces the run: seeds, versions, git revision, times."""
    return {
        "scenario": run.scenario.name,
        "seed": run.seed,
        "replications": len(run.per_replication),
        "replication_seeds": "numpy SeedSequence(seed, spawn_key=(replication,))",
        "horizon_days": run.scenario.horizon_days,
        "started": started.astimezone(UTC).isoformat(timespec="seconds"),
        "finished": finished.astimezone(UTC).isoformat(timespec="seconds"),
        **environment(),
    }


def _git_revision() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
            cwd=Path(__file__).resolve().parent, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def write_run(run: RunResult, out_dir: Path, started: datetime, finished: datetime,
              *, report: bool = True, baseline: Scenario | None = None,
              svg: bool = False, drawer: Drawer | None = None) -> Path:
    """Write every table of a run to ``out_dir`` atomically and return it.

    Args:
        run: the replications of one scenario.
        out_dir: the run's folder.
        started: when the run started.
        finished: when it finished.
        report: also write ``report.html`` with its ``figures/`` and ``tables/``
            (:mod:`sim.report`; drawn from ``run``, the simulation is not run again).
        baseline: the scenario the report lists changes against; by default the
            packaged ``baseline`` scenario (:func:`sim.scenario.library.default_scenario`),
            or none if it does not load.
        svg: also write the report's figures as SVG (PNG only by default).
        drawer: a drawing process started before the run (:mod:`sim.report.drawer`),
            which draws the report's figures as they are added.
    """
    with atomic_folder(out_dir, replace=True) as tmp:

        @functools.cache
        def recorded() -> dict[str, Any]:
            return manifest(run, started, finished)

        def run_files() -> None:
            write_csv(run.summary, tmp / "summary.csv")
            write_csv(run.per_replication, tmp / "replications.csv")
            write_csv(run.timeseries, tmp / "timeseries.csv")
            if run.leads is not None:
                write_csv(run.leads, tmp / "leads.csv")
            (tmp / "scenario.yaml").write_text(scenario_yaml(run.scenario), encoding="utf-8")
            (tmp / "result.json").write_text(dumps(result_json(run), indent=2) + "\n",
                                             encoding="utf-8")
            (tmp / "manifest.json").write_text(dumps(recorded(), indent=2) + "\n",
                                               encoding="utf-8")

        if report:
            # The run's own files, the manifest and the default baseline are made once
            # the figures are sent to be drawn.
            render_run_report(run, tmp, _default_baseline if baseline is None else baseline,
                              manifest=recorded, svg=svg, drawer=drawer, meanwhile=run_files)
        else:
            run_files()
    return out_dir


def _default_baseline() -> Scenario | None:
    """The packaged baseline scenario, or ``None``: a report is never lost to it."""
    try:
        return default_scenario()
    except ScenarioError:
        return None
