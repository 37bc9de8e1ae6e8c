"""The column dictionary of a CRM export: the tables, their columns and what each means.

One place names every column the calibration reads, so the reader, the
exporter and ``docs/CALIBRATION.md`` agree. Names here are *our* names; a
mapping file (``--columns``) says which header of a company's export holds each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnKind = Literal["id", "date", "text", "amount", "fraction"]


@dataclass(frozen=True)
class Column:
    """One column of an export table.

    Attributes:
        name: our name, also the header the exporter writes.
        kind: how values are read: ``id`` (text, unique), ``date`` (a date or a
            date and time), ``text``, ``amount`` (money: currency symbols and
            thousands separators allowed, never negative), ``fraction`` (0-1,
            a trailing ``%`` divides by 100).
        required: whether the table cannot be read without it.
        meaning: what the column holds, for people.
    """

    name: str
    kind: ColumnKind
    required: bool
    meaning: str


@dataclass(frozen=True)
class Table:
    """One table of an export.

    Attributes:
        name: our name of the table (the key in a mapping file).
        file: the file name the exporter writes.
        columns: its columns, in the exporter's order.
        meaning: what one row holds ("lead": one row per lead).
    """

    name: str
    file: str
    columns: tuple[Column, ...]
    meaning: str

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        """Our names of every column."""
        return tuple(c.name for c in self.columns)


LEADS = Table("leads", "leads.csv", (
    Column("lead_id", "id", True, "Unique identifier of the lead."),
    Column("created_at", "date", True, "When the lead was created (first known)."),
    Column("source", "text", False, "Lead source or channel; mapped to organic (brand, inbound, "
           "referral) or promotion (paid activation)."),
    Column("segment", "text", False, "Segment or company size (e.g. SMB, Mid-Market, "
           "Enterprise)."),
    Column("mql_at", "date", False, "When the lead became a marketing-qualified lead (MQL)."),
    Column("first_touch_at", "date", False, "First sales touch: the first call or e-mail by a "
           "rep after the hand-off."),
    Column("owner", "text", False, "The rep who owns the lead (a name or id)."),
    Column("status", "text", False, "Outcome: won, lost or open (other words via the mapping's "
           "values.status)."),
    Column("closed_at", "date", False, "When the lead was won or lost."),
    Column("amount", "amount", False, "Booked value of a won lead."),
    Column("lost_reason", "text", False, "Why a lost lead was lost."),
), "lead")

OPPORTUNITIES = Table("opportunities", "opportunities.csv", (
    Column("opportunity_id", "id", True, "Unique identifier of the opportunity."),
    Column("lead_id", "text", False, "The lead it came from (links it to leads.csv)."),
    Column("created_at", "date", True, "Engage date: when sales accepted and qualified it (it "
           "entered the first pipeline stage)."),
    Column("stage", "text", False, "Current stage (Closed Won / Closed Lost once closed)."),
    Column("status", "text", False, "won, lost or open; read from the stage when missing."),
    Column("closed_at", "date", False, "When it was won or lost."),
    Column("amount", "amount", False, "Value: the booked value once won, else the expected "
           "deal size."),
    Column("discount", "fraction", False, "Discount granted on a won deal (0-1 or a percent)."),
    Column("owner", "text", False, "The rep who owns it."),
    Column("segment", "text", False, "Segment; taken from the lead when missing."),
), "opportunity (a qualified lead in the sales pipeline)")

STAGE_HISTORY = Table("stage_history", "stage_history.csv", (
    Column("opportunity_id", "text", True, "The opportunity."),
    Column("stage", "text", True, "The stage it entered (Closed Won / Closed Lost at the end)."),
    Column("entered_at", "date", True, "When it entered that stage."),
), "stage entered by an opportunity")

SPEND = Table("spend", "spend.csv", (
    Column("week_start", "date", True, "First day of the week (or month) the row covers; a row "
           "covers the days up to the next row."),
    Column("brand", "amount", True, "Brand spend in that week."),
    Column("promotion", "amount", True, "Promotion (activation) spend in that week."),
), "week (or month) of marketing spend")

TABLES: dict[str, Table] = {t.name: t for t in (LEADS, OPPORTUNITIES, STAGE_HISTORY, SPEND)}
