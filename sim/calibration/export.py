"""Write a simulated company as a CRM export: leads, opportunities, stage history, spend.

The files use the column dictionary's names (:mod:`sim.calibration.columns`),
ISO dates with the time of day, and plain amounts, so ``calibrate`` reads them
with no mapping file. Text cells that a spreadsheet would read as a formula
are neutralised (:func:`sim.experiments.safe_output.safe_cells`). They give
the tests and the walk-through data with a known truth.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration.columns import LEADS, OPPORTUNITIES, SPEND, STAGE_HISTORY, Table
from sim.calibration.marketing import weekly_spend
from sim.calibration.records import tables_from_records
from sim.calibration.tables import CrmTables
from sim.experiments.runner import RunResult
from sim.experiments.safe_output import safe_cells
from sim.results.replication import SimulationResult
from sim.scenario.schema import Scenario

DEFAULT_START = "2024-01-01"


def export_crm(
    run_or_results: RunResult | SimulationResult,
    folder: str | Path,
    scenario: Scenario | None = None,
    start_date: str | pd.Timestamp = DEFAULT_START,
    replication: int = 0,
    as_of: float | None = None,
) -> dict[str, Path]:
    """Write the CRM export of one simulated replication into ``folder``.

    Args:
        run_or_results: a run with per-lead records (``record_leads: true``), or
            one replication's result from ``simulate(..., record_leads=True)``.
        folder: where to write ``leads.csv``, ``opportunities.csv``,
            ``stage_history.csv`` and ``spend.csv`` (created if missing).
        scenario: the scenario simulated; taken from a run, required with a
            single replication's result.
        start_date: the calendar date of day 0.
        replication: which replication of a run to export.
        as_of: the day the export is taken (default: the horizon). An earlier
            day hides later events; deals open then still show every stage
            they entered, which the records give only for deals closed by the horizon.

    Returns:
        Table name -> file written.

    Raises:
        ValueError: no per-lead records, no scenario, or an unknown replication.
    """
    if isinstance(run_or_results, RunResult):
        scenario = scenario or run_or_results.scenario
        records = run_or_results.leads
        if records is not None:
            if replication not in set(records["replication"]):
                raise ValueError(f"the run has no replication {replication}")
            records = records[records["replication"] == replication]
    else:
        records = run_or_results.leads
    if records is None:
        raise ValueError("no per-lead records: run with record_leads: true "
                         "(or simulate(..., record_leads=True))")
    if scenario is None:
        raise ValueError("export_crm needs the scenario simulated (scenario=...)")
    end = scenario.horizon_days if as_of is None else min(as_of, scenario.horizon_days)
    tables = tables_from_records(records, [s.name for s in scenario.sales.stages], end,
                                 pd.Timestamp(start_date).normalize(),
                                 spend=weekly_spend(scenario, end))
    return write_tables(tables, folder)


def write_tables(tables: CrmTables, folder: str | Path) -> dict[str, Path]:
    """Write export tables as CSV files with the column dictionary's headers."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = {"leads": _write(out / LEADS.file, LEADS, _leads(tables))}
    if tables.opportunities is not None:
        written["opportunities"] = _write(out / OPPORTUNITIES.file, OPPORTUNITIES,
                                          _opportunities(tables))
    if tables.stage_history is not None:
        history = tables.stage_history
        written["stage_history"] = _write(out / STAGE_HISTORY.file, STAGE_HISTORY, pd.DataFrame({
            "opportunity_id": history["opportunity_id"],
            "stage": history["stage"],
            "entered_at": _dates(tables, history["entered"]),
        }))
    if tables.spend is not None:
        spend = tables.spend
        written["spend"] = _write(out / SPEND.file, SPEND, pd.DataFrame({
            "week_start": _dates(tables, spend["start"], time=False),
            "brand": _money(spend["brand"]),
            "promotion": _money(spend["promotion"]),
        }))
    return written


def _leads(tables: CrmTables) -> pd.DataFrame:
    leads = tables.leads
    return pd.DataFrame({
        "lead_id": leads["lead_id"],
        "created_at": _dates(tables, leads["created"]),
        "source": leads["source"],
        "segment": leads["segment"],
        "mql_at": _dates(tables, leads["mql"]),
        "first_touch_at": _dates(tables, leads["touch"]),
        "owner": leads["owner"],
        "status": leads["status"],
        "closed_at": _dates(tables, leads["closed"]),
        "amount": _money(leads["amount"]),
        "lost_reason": leads["lost_reason"],
    })


def _opportunities(tables: CrmTables) -> pd.DataFrame:
    opps = tables.opportunities
    assert opps is not None
    stage = np.where(opps["status"] == "won", "closed_won",
                     np.where(opps["status"] == "lost", "closed_lost",
                              opps["stage"].astype(object)))
    return pd.DataFrame({
        "opportunity_id": opps["opportunity_id"],
        "lead_id": opps["lead_id"],
        "created_at": _dates(tables, opps["created"]),
        "stage": stage,
        "status": opps["status"],
        "closed_at": _dates(tables, opps["closed"]),
        "amount": _money(opps["amount"]),
        "discount": [f"{d:.6f}" if np.isfinite(d) else "" for d in opps["discount"]],
        "owner": opps["owner"],
        "segment": opps["segment"],
    })


def _dates(tables: CrmTables, days: pd.Series, time: bool = True) -> list[str]:
    stamps = tables.origin + pd.to_timedelta(days.to_numpy(dtype=float), unit="D")
    fmt = "%Y-%m-%d %H:%M:%S" if time else "%Y-%m-%d"
    return ["" if pd.isna(s) else s.strftime(fmt) for s in stamps]


def _money(values: pd.Series) -> list[str]:
    return [f"{v:.2f}" if np.isfinite(v) else "" for v in values.to_numpy(dtype=float)]


def _write(path: Path, table: Table, frame: pd.DataFrame) -> Path:
    # Cells a spreadsheet would read as a formula are neutralised, as in every CSV of the tool.
    frame = safe_cells(frame[list(table.names)].astype(object).where(frame.notna(), ""))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(table.names)
        writer.writerows(frame.itertuples(index=False, name=None))
    return path
