"""A CRM export in memory: its tables with times in days from the first lead's day.

Both sides of a calibration use this one form: a company's export as read
(:func:`sim.calibration.reading.read_crm`) and a simulated company
(:func:`sim.calibration.records.tables_from_records`). Every statistic is
computed from it in the same way for both, so what the export cannot show (an
open deal's later stages, a close after the cut) is hidden from both alike.

Columns (times are days from ``origin``, NaN when unknown):

* ``leads``: ``lead_id``, ``created``, ``source`` (``organic`` or ``promotion``),
  ``segment``, ``mql``, ``touch`` (first sales touch), ``owner``, ``status``
  (``won``, ``lost``, ``open``; NaN when the export has no status), ``closed``,
  ``amount``, ``lost_reason``, ``row`` (row in the file, for messages).
* ``opportunities``: ``opportunity_id``, ``lead_id``, ``created``, ``stage``
  (current stage, NaN once closed or unknown), ``status``, ``closed``,
  ``amount``, ``discount``, ``owner``, ``segment``, ``row``.
* ``stage_history``: ``opportunity_id``, ``stage``, ``entered``, ``row``; the
  stage ``closed_won`` or ``closed_lost`` marks a close.
* ``spend``: ``start`` (day), ``days`` (days the row covers), ``brand``,
  ``promotion`` (spend over those days), ``row``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

WON_STAGE = "closed_won"
LOST_STAGE = "closed_lost"
CLOSING_STAGES = (WON_STAGE, LOST_STAGE)


@dataclass(frozen=True)
class CrmTables:
    """The tables of one CRM export, times in days from ``origin``.

    Attributes:
        origin: midnight of the day the first lead was created (day 0).
        as_of: the day the export was taken (events after it are unknown).
        leads: one row per lead (columns in the module docstring).
        opportunities: one row per opportunity, or ``None``.
        stage_history: one row per stage entered, or ``None``.
        spend: marketing spend by week, or ``None``.
        date_only: ``"table.column"`` of date columns with no time of day in
            any value; a simulated export is rounded the same way before comparing.
        files: table name -> file it was read from (for messages and notes).
        notes: what reading assumed or set aside, for people.
    """

    origin: pd.Timestamp
    as_of: float
    leads: pd.DataFrame
    opportunities: pd.DataFrame | None = None
    stage_history: pd.DataFrame | None = None
    spend: pd.DataFrame | None = None
    date_only: frozenset[str] = field(default_factory=frozenset)
    files: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def has(self, table: str, column: str) -> bool:
        """Whether ``table`` exists and ``column`` has at least one known value."""
        frame = getattr(self, table)
        return frame is not None and column in frame and bool(frame[column].notna().any())

    def day(self, when: pd.Timestamp | str) -> float:
        """Days from ``origin`` to a date."""
        return float((pd.Timestamp(when) - self.origin) / pd.Timedelta(days=1))

    def date(self, day: float) -> pd.Timestamp:
        """The date ``day`` days after ``origin``."""
        return self.origin + pd.Timedelta(days=float(day))


def month_windows(tables: CrmTables, start: float = 0.0,
                  end: float | None = None) -> list[tuple[str, float, float]]:
    """Calendar months overlapping ``[start, end)`` as ``(label, first day, end day)``.

    The first and last windows are cut at ``start`` and ``end`` (``as_of`` by default).
    """
    end = tables.as_of if end is None else end
    first = tables.date(start).to_period("M")
    last = tables.date(max(end - 1e-9, start)).to_period("M")
    out = []
    for period in pd.period_range(first, last, freq="M"):
        lo = max(tables.day(period.start_time), start)
        hi = min(tables.day((period + 1).start_time), end)
        if hi > lo:
            out.append((str(period), lo, hi))
    return out


def censor(tables: CrmTables, as_of: float) -> CrmTables:
    """The export as it would have looked on day ``as_of``: later events are unknown.

    Leads and opportunities created later are dropped; a close after ``as_of``
    makes a lead or opportunity open again, with no close date, amount of a
    won lead, discount or lost reason (an opportunity won later shows its
    amount before the discount, when the export has discounts); later stage
    entries are dropped and the
    current stage is the last one entered. Spend is kept whole: it is a plan,
    known in advance.
    """
    leads = tables.leads[tables.leads["created"] < as_of].copy()
    for col in ("mql", "touch"):
        leads.loc[leads[col] >= as_of, col] = np.nan
    reopened = leads["closed"] >= as_of
    leads.loc[reopened, ["closed", "amount"]] = np.nan
    leads.loc[reopened, "lost_reason"] = None
    leads.loc[reopened & leads["status"].notna(), "status"] = "open"
    opps = tables.opportunities
    history = tables.stage_history
    if opps is not None:
        opps = opps[opps["created"] < as_of].copy()
        reopened = opps["closed"] >= as_of
        # A deal won later shows its booked amount: at the cut its CRM amount was
        # the list value, before the discount agreed at the close.
        won_later = reopened & (opps["status"] == "won") & opps["discount"].between(0.0, 1.0,
                                                                                    "left")
        opps.loc[won_later, "amount"] = (opps.loc[won_later, "amount"]
                                         / (1.0 - opps.loc[won_later, "discount"]))
        opps.loc[reopened, ["closed", "discount"]] = np.nan
        opps.loc[reopened & opps["status"].notna(), "status"] = "open"
        if history is not None:
            history = history[(history["entered"] < as_of)
                              & history["opportunity_id"].isin(opps["opportunity_id"])]
            opps = with_current_stage(opps, history)
        else:
            opps.loc[reopened, "stage"] = None
    return replace(tables, as_of=as_of, leads=leads, opportunities=opps, stage_history=history)


def with_current_stage(opps: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """Opportunities whose open ones have the last stage entered as their ``stage``."""
    open_stages = history[~history["stage"].isin(CLOSING_STAGES)]
    last = open_stages.sort_values(["opportunity_id", "entered"]).groupby(
        "opportunity_id", sort=False)["stage"].last()
    out = opps.copy()
    is_open = out["status"] == "open"
    out.loc[is_open, "stage"] = out.loc[is_open, "opportunity_id"].map(last)
    out.loc[out["status"].isin(("won", "lost")), "stage"] = None
    return out


def floor_to_days(tables: CrmTables, columns: frozenset[str]) -> CrmTables:
    """The tables with the given ``"table.column"`` times rounded down to whole days.

    A company export with dates only (no time of day) is compared with a
    simulated one rounded the same way, so durations are measured alike.
    """
    names = {"created_at": "created", "mql_at": "mql", "first_touch_at": "touch",
             "closed_at": "closed", "entered_at": "entered"}
    frames: dict[str, pd.DataFrame | None] = {
        "leads": tables.leads, "opportunities": tables.opportunities,
        "stage_history": tables.stage_history}
    for key in columns:
        table, _, column = key.partition(".")
        frame = frames.get(table)
        col = names.get(column, column)
        if frame is None or col not in frame:
            continue
        frame = frame.copy()
        frame[col] = np.floor(frame[col])
        frames[table] = frame
    leads = frames["leads"]
    assert leads is not None
    return replace(tables, leads=leads, opportunities=frames["opportunities"],
                   stage_history=frames["stage_history"])
