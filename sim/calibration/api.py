"""Calibrate a base scenario to a company's CRM export: the Python API.

::

    from sim.calibration import calibrate
    result = calibrate(leads="export/leads.csv", opportunities="export/opportunities.csv",
                       stage_history="export/stage_history.csv", spend="export/spend.csv",
                       base="scenarios/baseline.yaml", holdout_months=3)
    print(result.report())
    result.write("my-company.yaml")   # + my-company.draws.csv, my-company.calibration.txt
    result.write_fit_report("my-company.fit")   # observed vs simulated, report.html inside
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd

from sim.calibration.backtest import ROLL_FORWARD, Backtest, run_backtest
from sim.calibration.errors import CrmError
from sim.calibration.estimates import Estimate, Fallback
from sim.calibration.estimation import Fit, fit
from sim.calibration.fit_check import FitCheck, check_fit
from sim.calibration.mapping import Mapping
from sim.calibration.reading import read_crm
from sim.calibration.scenario_file import number, write_calibrated_scenario, write_draws
from sim.calibration.tables import CrmTables
from sim.experiments.folders import check_out
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario

DEFAULT_BASE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"


@dataclass
class CalibrationResult:
    """A calibrated scenario with its sources, fit, uncertainty and backtest.

    Attributes:
        tables: the export as read.
        base: the base scenario; ``base_path`` its file (the output extends it).
        scenario: the calibrated scenario (base plus estimates, today's spend plan).
        fit: the fit on the whole export.
        backtest: the backtest, when months were held out.
        seconds: wall time of the calibration.
        seed: root seed of the simulations (``None``: the base's).
    """

    tables: CrmTables
    base: Scenario
    base_path: Path | None
    scenario: Scenario
    fit: Fit
    backtest: Backtest | None
    seconds: float
    seed: int | None = None

    @property
    def estimates(self) -> list[Estimate]:
        """Every estimated value with its 95 % interval and source."""
        return self.fit.estimates

    @property
    def fallbacks(self) -> list[Fallback]:
        """Values left at the base scenario, and why."""
        return self.fit.fallbacks

    @property
    def draws(self) -> pd.DataFrame:
        """The parameter draws, one row each (columns: dotted keys)."""
        return pd.DataFrame(self.fit.draws)

    def estimate_table(self) -> pd.DataFrame:
        """Estimates as a table: key, estimate, low, high, base, records, method."""
        return pd.DataFrame([e.__dict__ for e in self.fit.estimates])

    def fit_table(self) -> pd.DataFrame:
        """Observed against simulated statistics (the simulation fit's targets)."""
        rows = []
        for name, obs in self.fit.observed.items():
            sim = self.fit.simulated.get(name)
            rows.append({"statistic": name, "label": obs.label, "observed": obs.value,
                         "simulated": sim.value if sim is not None else float("nan"),
                         "records": obs.count})
        return pd.DataFrame(rows)

    def header(self) -> list[str]:
        """The top comment lines of the scenario file."""
        t = self.tables
        first, last = t.origin.date(), t.date(t.as_of - 1e-9).date()
        files = ", ".join(Path(f).name for f in t.files.values()) or "simulated export"
        counts = f"{len(t.leads):,} leads"
        if t.opportunities is not None:
            counts += f", {len(t.opportunities):,} opportunities"
        state = "converged" if self.fit.converged else "stopped before every statistic matched"
        lines = [
            f"Calibrated scenario '{self.scenario.name}', written by `run.py calibrate`.",
            f"Data: {files} ({counts}, created {first} to {last}).",
            "Each value below names its source: how it was estimated, the records used, its "
            "95% interval and the base's value.",
            f"Simulation fit: {self.fit.iterations} iterations, {state}.",
        ]
        if self.fit.draws:
            lines.append(f"Parameter uncertainty: {len(self.fit.draws)} parameter sets in the "
                         f"draws file next to this one.")
        if self.backtest is not None:
            cover = self.backtest.coverage()
            lines.append(f"Backtest on the months from {self.backtest.cut_date.date()}: "
                         f"{cover['80%']:.0%} of held-out values inside the 80% predictive "
                         f"interval, {cover['95%']:.0%} inside the 95%.")
        return lines

    def report(self) -> str:
        """The calibration as plain text: estimates, fit, figures, fallbacks, backtest."""
        out = [*self.header(), ""]
        out.append("Estimates (95% interval)")
        for e in self.fit.estimates:
            interval = ("recorded" if e.low == e.high == e.value
                        else f"{number(e.low)} to {number(e.high)}")
            out.append(f"  {e.path:42s} {number(e.value):>12s}  {interval:28s} "
                       f"base {number(e.base):>10s}  n={e.records:,}")
        out += ["", "Fit: observed vs simulated"]
        for _, row in self.fit_table().iterrows():
            out.append(f"  {row['label'][:60]:60s} {number(row['observed']):>11s} "
                       f"{number(row['simulated']):>11s}  n={int(row['records']):,}")
        out += ["", "Figures: observed vs simulated"]
        for key, value in self.fit.observed_figures.items():
            sim = self.fit.simulated_figures.get(key, float("nan"))
            out.append(f"  {key:30s} {number(value):>14s} {number(sim):>14s}")
        out += ["", "Left at the base scenario"]
        out += [f"  {f.path}: {f.reason}" for f in self.fit.fallbacks]
        if self.fit.notes:
            out += ["", "Notes"] + [f"  {n}" for n in self.fit.notes]
        if self.backtest is not None:
            b = self.backtest
            start = (f"rolled forward from the {b.open_deals:,} deals open at the cut"
                     if b.method == ROLL_FORWARD else "replayed from the export's first day")
            out += ["", f"Backtest: fitted before {b.cut_date.date()}, {start}, "
                    f"{b.replications} simulations per month"]
            for _, r in b.table.iterrows():
                out.append(f"  {r['figure']:10s} {r['month']}  observed "
                           f"{number(r['observed']):>12s}"
                           f"  predicted {number(r['predicted']):>12s}  80% "
                           f"[{number(r['p10'])}, {number(r['p90'])}] "
                           f"{'in ' if r['inside_80'] else 'OUT'}  95% [{number(r['p2_5'])}, "
                           f"{number(r['p97_5'])}] {'in' if r['inside_95'] else 'OUT'}")
            cover = b.coverage()
            out.append(f"  coverage: {cover['80%']:.0%} inside 80%, {cover['95%']:.0%} inside "
                       f"95%")
        out.append(f"\nCalibrated in {self.seconds:.1f} s.")
        return "\n".join(out)

    def check_fit(self, replications: int = 20, workers: int = 1) -> FitCheck:
        """The export beside the calibrated scenario simulated over its period.

        Args:
            replications: simulated histories (one parameter draw each).
            workers: processes for the simulations.
        """
        seed = self.base.seed if self.seed is None else self.seed
        return check_fit(self.tables, self.scenario, self.fit, replications=replications,
                         seed=seed, workers=workers)

    def write_fit_report(self, folder: str | Path, *, check: FitCheck | None = None,
                         replications: int = 20, workers: int = 1,
                         force: bool = False) -> Path:
        """Write the fit report folder (``report.html``, figures, tables); return the page.

        Args:
            folder: the report folder, e.g. ``my-company.fit`` (see :func:`output_paths`).
            check: the comparison to show (default: :meth:`check_fit` with
                ``replications`` and ``workers``).
            replications: simulated histories, for :meth:`check_fit`.
            workers: processes for the simulations of :meth:`check_fit`.
            force: replace an earlier fit report in ``folder``.

        Raises:
            CrmError: ``folder`` exists (without ``force``).
            sim.experiments.folders.FolderError: ``folder`` exists and is not a
                report of this tool (refused even with ``force``).
        """
        # matplotlib only for those who write the report
        from sim.calibration.fit_report import write_fit_report

        folder = Path(folder)
        check_report_folder(folder, force)
        if check is None:
            check = self.check_fit(replications, workers)
        return write_fit_report(self, check, folder)

    def write(self, out: str | Path, force: bool = False) -> dict[str, Path]:
        """Write the scenario file, its draws file and the text report.

        ``my-company.yaml`` gets ``my-company.draws.csv`` and
        ``my-company.calibration.txt`` beside it. Nothing is written if any of
        them exists (unless ``force``) or the scenario does not load.

        Raises:
            CrmError: a file exists, or the folder does not.
            ValueError: the base scenario has no file to extend.
        """
        if self.base_path is None:
            raise ValueError("the base scenario has no file: calibrate(base=PATH) to write")
        paths = output_paths(out, report=False)
        for path in paths.values():
            if path.exists() and not force:
                raise CrmError(str(path), None, None, "exists; pass --force to replace it")
        write_calibrated_scenario(self.scenario, self.fit, paths["scenario"], self.base_path,
                                  self.header(), force=force)
        if self.fit.draws:
            write_draws(self.fit.draws, paths["draws"], force=True)
        paths["report"].write_text(self.report() + "\n", encoding="utf-8")
        return paths


def output_paths(out: str | Path, report: bool = True) -> dict[str, Path]:
    """The files ``calibrate`` writes for ``out``.

    :meth:`CalibrationResult.write` writes ``scenario``, ``draws`` and
    ``report``; with ``report``, ``fit_report`` is the folder of
    :meth:`CalibrationResult.write_fit_report` (``my-company.fit``).
    """
    out = Path(out)
    stem = out.name[: -len(out.suffix)] if out.suffix else out.name
    paths = {"scenario": out, "draws": out.with_name(f"{stem}.draws.csv"),
             "report": out.with_name(f"{stem}.calibration.txt")}
    if report:
        paths["fit_report"] = out.with_name(f"{stem}.fit")
    return paths


def check_report_folder(folder: Path, force: bool = False) -> None:
    """Refuse a fit report folder that exists (without ``force``) or is not this tool's.

    Raises:
        CrmError: ``folder`` exists and ``force`` is not given.
        sim.experiments.folders.FolderError: ``folder`` is a file, a link, or a
            folder holding anything but a report of this tool.
    """
    check_out(folder, "fit report")
    if folder.exists() and not force:
        raise CrmError(str(folder), None, None, "exists; pass --force to replace it")


def calibrate(
    leads: str | Path | CrmTables,
    opportunities: str | Path | None = None,
    spend: str | Path | None = None,
    base: str | Path | Scenario = DEFAULT_BASE,
    mapping: str | Path | Mapping | None = None,
    holdout_months: int = 0,
    *,
    stage_history: str | Path | None = None,
    dates: str | None = None,
    as_of: str | None = None,
    name: str | None = None,
    seed: int | None = None,
    iterations: int = 5,
    draws: int = 200,
    backtest_replications: int = 20,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
) -> CalibrationResult:
    """Fit a base scenario to a CRM export (and backtest it on held-out months).

    Args:
        leads: the leads file, or an export already read (:func:`read_crm`).
        opportunities: the opportunities file, if any.
        spend: the spend file, if any.
        base: the base scenario file (or scenario; then it cannot be written).
        mapping: a column mapping file.
        holdout_months: months held out at the end for a backtest (0: none).
        stage_history: the stage history file, if any.
        dates: ``day_first``, ``month_first`` or ``auto``.
        as_of: the date the export was taken (default: the day after its last event).
        name: the calibrated scenario's name (default: the base's with ``-calibrated``).
        seed: root seed of the simulations (default: the base's).
        iterations: simulation-fit iterations at most.
        draws: parameter sets to draw.
        backtest_replications: simulations per held-out month.
        workers: processes for the backtest's simulations.
        progress: called with a line of text as the work goes.

    Raises:
        CrmError: bad input (one line naming the file, row and column).
        ScenarioError: the base scenario cannot be loaded.
    """
    started = time.perf_counter()
    base_path: Path | None
    if isinstance(base, Scenario):
        base_scenario, base_path = base, None
    else:
        base_path = Path(base)
        base_scenario = load_scenario(base_path)
    tables = leads if isinstance(leads, CrmTables) else read_crm(
        leads, opportunities, spend, mapping, stage_history_csv=stage_history, dates=dates,
        as_of=as_of)
    fitting = partial(fit, base=base_scenario, seed=seed, iterations=iterations, draws=draws,
                      progress=progress)
    result = fitting(tables)
    scenario = result.scenario(base_scenario).model_copy(update={
        "name": name or f"{base_scenario.name}-calibrated",
        "description": f"{base_scenario.name} calibrated to a CRM export of "
                       f"{len(tables.leads):,} leads ({tables.origin.date()} to "
                       f"{tables.date(tables.as_of - 1e-9).date()}).",
    })
    backtest = None
    if holdout_months:
        if progress:
            progress(f"backtest: fitting before the last {holdout_months} months")
        backtest = run_backtest(tables, base_scenario, holdout_months, fitting,
                                replications=backtest_replications, seed=seed, workers=workers)
    return CalibrationResult(tables, base_scenario, base_path, scenario, result, backtest,
                             time.perf_counter() - started, seed)
