"""The fit report: an HTML page of the company's export beside the calibrated scenario's.

``calibrate ... --out my-company.yaml`` writes ``my-company.fit/`` beside the
scenario: ``report.html`` (self-contained: figures embedded, opens offline),
``figures/`` (each figure as PNG and SVG) and ``tables/`` (each table as CSV,
cells neutralised for spreadsheets, and one workbook). The folder is a report
folder of this tool (:mod:`sim.experiments.folders`): it is written whole or
not at all, and a folder of anything else by that name is never replaced.

Sections: conversion by source, time to win, monthly bookings, the pipeline
open on the export day, the period-end share (see
:mod:`sim.calibration.fit_check`), the simulation fit's statistics, the
backtest when months were held out, and what stayed at the base scenario.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.calibration.fit_check import FitCheck
from sim.calibration.fit_figures import (
    bookings_figure,
    conversion_figure,
    pipeline_figure,
    time_to_win_figure,
)
from sim.experiments.folders import staged_folder
from sim.report import html as h
from sim.report.files import REPORT, ReportFiles
from sim.report.format import fmt, fmt_range

if TYPE_CHECKING:
    from sim.calibration.api import CalibrationResult

# The sections of the page: anchor -> navigation label.
SECTIONS: dict[str, str] = {
    "summary": "Summary",
    "conversion": "Conversion by source",
    "time-to-win": "Time to win",
    "bookings": "Monthly bookings",
    "pipeline": "Open pipeline",
    "period-end": "Period-end share",
    "statistics": "Fit statistics",
    "backtest": "Backtest",
    "base": "Left at the base",
}


def _as_text(value: Any) -> str:
    return str(value)


def _shown(df: pd.DataFrame, labels: dict[str, str], kind: str | Callable[[pd.Series], str]
           ) -> tuple[pd.DataFrame, dict[str, Callable[[Any], str]]]:
    """A comparison table for people: label columns, then formatted numbers.

    Args:
        df: a :class:`FitCheck` table.
        labels: label column -> header.
        kind: the kind of number of every value, or a function of the row giving it.
    """
    rows = []
    for _, row in df.iterrows():
        how = kind(row) if callable(kind) else kind
        known = pd.notna(row["observed"]) and pd.notna(row["simulated"])
        rows.append({
            **{header: row[col] for col, header in labels.items()},
            "observed": fmt(row["observed"], how),
            "simulated mean": fmt(row["simulated"], how),
            "80% interval": fmt_range(row["p10"], row["p90"], how),
            "95% interval": fmt_range(row["p2_5"], row["p97_5"], how),
            "inside 80%": ("yes" if row["inside_80"] else "no") if known else "-",
            "inside 95%": ("yes" if row["inside_95"] else "no") if known else "-",
        })
    shown = pd.DataFrame(rows)
    numeric = ["observed", "simulated mean", "80% interval", "95% interval"]
    return shown, {c: _as_text for c in numeric}


def _table(files: ReportFiles, name: str, df: pd.DataFrame, labels: dict[str, str],
           kind: str | Callable[[pd.Series], str], caption: str) -> str:
    csv = files.table(name, df)
    shown, formats = _shown(df, labels, kind)
    return h.table_html(shown, formats, caption=caption, csv=csv,
                        row_class=lambda r: "changed" if r["inside 95%"] == "no" else "")


def coverage(check: FitCheck) -> dict[str, tuple[int, int]]:
    """Observed values inside the simulated 80 % and 95 % intervals: (inside, compared)."""
    frames = [check.conversion, check.time_to_win, check.monthly, check.open_pipeline,
              check.period_end]
    both = pd.concat([f[["observed", "simulated", "inside_80", "inside_95"]] for f in frames],
                     ignore_index=True)
    known = both[both["observed"].notna() & both["simulated"].notna()]
    return {"80%": (int(known["inside_80"].sum()), len(known)),
            "95%": (int(known["inside_95"].sum()), len(known))}


def write_fit_report(result: CalibrationResult, check: FitCheck, folder: str | Path) -> Path:
    """Write the fit report folder and return the path of its ``report.html``.

    Args:
        result: the calibration.
        check: its comparison with simulated histories (:meth:`CalibrationResult.check_fit`).
        folder: the report folder: new, empty, or an earlier report of this
            tool (then replaced whole).

    Raises:
        sim.experiments.folders.FolderError: ``folder`` holds anything else.
    """
    folder = Path(folder)
    with staged_folder(folder, "fit report") as tmp:
        files = ReportFiles(tmp)
        sections = _sections(files, result, check)
        files.write_workbook()
        t = result.tables
        subtitle = (f"{len(t.leads):,} leads created {t.origin.date()} to "
                    f"{t.date(t.as_of - 1e-9).date()}; simulated: {check.replications} "
                    f"histories of the calibrated scenario over the same period")
        files.write_html(h.page(f"Fit report: {result.scenario.name}", subtitle, sections))
    return folder / REPORT


def _sections(files: ReportFiles, result: CalibrationResult,
              check: FitCheck) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []

    def add(anchor: str, body: str, intro: str = "") -> None:
        out.append((anchor, SECTIONS[anchor], h.section(anchor, SECTIONS[anchor], body, intro)))

    add("summary", _summary(result, check))
    add("conversion",
        files.figure("conversion", partial(conversion_figure, check.conversion),
                     "Conversion by source: observed (black) against the simulated mean with "
                     "its 80% and 95% intervals.")
        + _table(files, "conversion", check.conversion,
                 {"source": "source", "step": "step", "records": "records"}, "percent",
                 "Conversion by source (records: the step's starting count, observed)"),
        "Share of each step's records that reached the next: lead -> MQL -> opportunity "
        "-> won. Recent leads have not had time to convert, on both sides alike.")
    add("time-to-win",
        files.figure("time_to_win", partial(time_to_win_figure, check.time_to_win),
                     "Quantiles of the days from lead creation to a win.")
        + _table(files, "time_to_win", check.time_to_win,
                 {"quantile": "quantile", "wins": "wins observed"}, "days",
                 "Days from lead creation to a win"),
        "Observed from the deals won by the export day only: a long deal still open then "
        "is not counted (right-censoring), so these quantiles understate the cycle of all "
        "deals. The simulated histories are censored on the same day, so the two compare.")
    bookings = check.monthly[check.monthly["figure"] == "bookings"]
    won = check.monthly[check.monthly["figure"] == "deals won"]
    add("bookings",
        files.figure("bookings", partial(bookings_figure, check.monthly),
                     "Monthly bookings (won amounts): observed against the simulated mean "
                     "and its 80% and 95% intervals.")
        + _table(files, "monthly_bookings", bookings, {"month": "month"}, "money",
                 "Bookings by month")
        + _table(files, "monthly_deals_won", won, {"month": "month"}, "count",
                 "Deals won by month"),
        "The first and last months may be partial (the export's first and last days).")
    add("pipeline",
        files.figure("pipeline", partial(pipeline_figure, check.open_pipeline),
                     "Deals open on the export day and their value, by stage.")
        + _table(files, "open_pipeline", check.open_pipeline,
                 {"stage": "stage", "measure": "measure"},
                 lambda r: "money" if r["measure"] == "value" else "count",
                 "Open pipeline on the export day"),
        "Opportunities neither won nor lost on the day the export was taken; value is the "
        "amount the export gives them."
        + ("" if check.open_pipeline["observed"].notna().any() else
           " The export has no opportunities with a status: only the simulated pipeline "
           "is shown."))
    add("period-end",
        _table(files, "period_end", check.period_end,
               {"periods": "periods", "window_days": "last days", "wins": "wins observed"},
               "percent", "Share of wins closed in the last days of a period")
        + h.table_html(check.period_end[["periods", "even"]], {"even": "percent"},
                       caption="The share if wins were spread evenly"),
        f"Wins closed in the last {check.period.window_days:g} days of a sales period. The "
        f"model's periods are {check.period.period_days:g} days long from the export's first "
        f"day (sales.period_days; the window is the push window of the sales plan); calendar "
        f"quarters are shown too.")
    add("statistics", _statistics(files, result),
        "The statistics the simulation fit matched: the export's value and that of the "
        "fitted scenario's simulated history.")
    if result.backtest is not None:
        add("backtest", _backtest(files, result))
    add("base", _base(result))
    return out


def _summary(result: CalibrationResult, check: FitCheck) -> str:
    cover = coverage(check)
    t = result.tables
    cards = [
        h.Card("Leads in the export", fmt(len(t.leads), "count"),
               f"{t.origin.date()} to {t.date(t.as_of - 1e-9).date()}"),
        h.Card("Simulated histories", fmt(check.replications, "count"),
               "one parameter draw each"),
        h.Card("Inside the 80% interval", f"{cover['80%'][0]} of {cover['80%'][1]}",
               "observed values (expect about 80%)"),
        h.Card("Inside the 95% interval", f"{cover['95%'][0]} of {cover['95%'][1]}",
               "observed values (expect about 95%)"),
    ]
    texts = [*check.notes,
             "Rows where the observed value falls outside the 95% interval are highlighted. "
             "The values are not independent (a month's bookings and its deals move "
             "together), so the counts above are a guide, not a test."]
    if result.backtest is not None:
        b = result.backtest.coverage()
        texts.append(f"Backtest on the months from {result.backtest.cut_date.date()}: "
                     f"{fmt(b['80%'], 'percent')} of held-out values inside the 80% "
                     f"interval, {fmt(b['95%'], 'percent')} inside the 95%.")
    return h.cards_html(cards) + h.paragraphs(texts)


def _statistics(files: ReportFiles, result: CalibrationResult) -> str:
    table = result.fit_table()
    csv = files.table("fit_statistics", table)
    shown = pd.DataFrame({
        "statistic": table["label"],
        "observed": [fmt(v, "number") for v in table["observed"]],
        "simulated": [fmt(v, "number") for v in table["simulated"]],
        "records": [fmt(v, "count") for v in table["records"]],
    })
    return h.table_html(shown, {c: _as_text for c in ("observed", "simulated", "records")},
                        caption="Statistics fitted by simulation", csv=csv)


def _backtest(files: ReportFiles, result: CalibrationResult) -> str:
    b = result.backtest
    assert b is not None
    csv = files.table("backtest", b.table)
    rows = []
    for _, r in b.table.iterrows():
        kind = "money" if r["figure"] == "bookings" else "count"
        rows.append({"figure": r["figure"], "month": r["month"],
                     "observed": fmt(r["observed"], kind),
                     "predicted": fmt(r["predicted"], kind),
                     "error": fmt(r["error"], kind, signed=True),
                     "80% interval": fmt_range(r["p10"], r["p90"], kind),
                     "95% interval": fmt_range(r["p2_5"], r["p97_5"], kind),
                     "inside 80%": "yes" if r["inside_80"] else "no",
                     "inside 95%": "yes" if r["inside_95"] else "no"})
    cover = b.coverage()
    opened = f", {fmt(b.open_deals, 'count')} open deals" if b.open_deals else ""
    how = f" ({b.method}{opened})"
    intro = (f"Fitted on the export as it was on {b.cut_date.date()}, then the held-out "
             f"months forecast with {b.replications} simulations{how}: "
             f"{fmt(cover['80%'], 'percent')} of held-out values inside the 80% interval, "
             f"{fmt(cover['95%'], 'percent')} inside the 95%.")
    numeric = ("observed", "predicted", "error", "80% interval", "95% interval")
    return h.paragraphs([intro]) + h.table_html(
        pd.DataFrame(rows), {c: _as_text for c in numeric}, caption="Backtest by month",
        csv=csv, row_class=lambda r: "changed" if r["inside 95%"] == "no" else "")


def _base(result: CalibrationResult) -> str:
    items = [f"{f.path}: {f.reason}" for f in result.fallbacks]
    body = h.paragraphs(items or ["Every value the fit could inform was estimated."])
    if result.fit.notes:
        body += h.details("Notes of the fit", h.paragraphs(result.fit.notes))
    return body
