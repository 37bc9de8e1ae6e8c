"""Reading a company's CRM export: CSV files, a column mapping, checks with clear errors.

Every problem is one :class:`~sim.calibration.errors.CrmError` naming the
file, the row (as a spreadsheet counts them: the header is row 1) and the
column: a missing required column, a value that is not a date or an amount,
a duplicate id, a negative amount, a close before the creation, an empty
file, bytes that are not UTF-8, a mapping naming a column the file lacks.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration.columns import LEADS, OPPORTUNITIES, SPEND, STAGE_HISTORY, Table
from sim.calibration.errors import CrmError
from sim.calibration.mapping import Mapping, read_mapping
from sim.calibration.parsing import (
    DateOrder,
    UnreadableValueError,
    date_order_votes,
    first_ambiguous,
    parse_amounts,
    parse_dates,
    parse_fractions,
    snake,
)
from sim.calibration.tables import LOST_STAGE, WON_STAGE, CrmTables, with_current_stage

_PROMOTION_WORDS = ("paid", "ppc", "cpc", "cpm", "ads", "adwords", "advert", "campaign", "promo",
                    "display", "sponsor", "affiliate", "retarget")
_STATUS_WORDS = {
    "won": ("won", "closed_won", "closedwon", "win", "customer", "converted_won"),
    "lost": ("lost", "closed_lost", "closedlost", "lose", "disqualified", "unqualified",
             "dead", "junk"),
}
_DAY = pd.Timedelta(days=1)


@dataclass
class _Raw:
    """A CSV file's text values under our column names."""

    table: Table
    file: str
    values: pd.DataFrame  # our name -> text
    headers: dict[str, str]  # our name -> their header (for messages)
    has_time: dict[str, bool] = field(default_factory=dict)

    def error(self, position: int | None, column: str | None, problem: str) -> CrmError:
        row = None if position is None else position + 2
        header = None if column is None else self.headers.get(column, column)
        return CrmError(self.file, row, header, problem)


def read_crm(
    leads_csv: str | Path,
    opportunities_csv: str | Path | None = None,
    spend_csv: str | Path | None = None,
    mapping: str | Path | Mapping | None = None,
    *,
    stage_history_csv: str | Path | None = None,
    dates: str | None = None,
    as_of: str | None = None,
) -> CrmTables:
    """Read a CRM export into tables with times in days from the first lead's day.

    Args:
        leads_csv: one row per lead (required).
        opportunities_csv: one row per opportunity.
        spend_csv: marketing spend by week or month (brand, promotion).
        mapping: a mapping file (see :mod:`sim.calibration.mapping`) or a parsed one.
        stage_history_csv: one row per stage entered by an opportunity.
        dates: ``day_first``, ``month_first`` or ``auto`` (overrides the mapping's).
        as_of: the date the export was taken (default: the day after the last event).

    Raises:
        CrmError: one line naming the file, row and column of the first problem.
    """
    spec = mapping if isinstance(mapping, Mapping) else read_mapping(mapping)
    raws = {"leads": _load(leads_csv, LEADS, spec)}
    for path, table in ((opportunities_csv, OPPORTUNITIES), (stage_history_csv, STAGE_HISTORY),
                        (spend_csv, SPEND)):
        if path is not None:
            raws[table.name] = _load(path, table, spec)
    order = _date_order(raws, spec, dates)
    notes: list[str] = []
    stamps = {name: _dates(raw, order) for name, raw in raws.items()}
    created = stamps["leads"]["created_at"]
    origin = created.min().normalize()
    leads = _leads(raws["leads"], stamps["leads"], origin, spec, notes)
    opps = history = spend = None
    if "opportunities" in raws:
        opps = _opportunities(raws["opportunities"], stamps["opportunities"], origin, spec, leads,
                             notes)
    if "stage_history" in raws:
        history = _history(raws["stage_history"], stamps["stage_history"], origin, spec, opps,
                           notes)
        if opps is not None and not _has_column(raws["opportunities"], "stage"):
            opps = with_current_stage(opps, history)
    if "spend" in raws:
        spend = _spend(raws["spend"], stamps["spend"], origin, spec)
    last = max(float(np.nanmax(frame[col].to_numpy(dtype=float), initial=0.0))
               for frame, cols in ((leads, ("created", "mql", "touch", "closed")),
                                   (opps, ("created", "closed")), (history, ("entered",)))
               if frame is not None for col in cols)
    end = float(np.floor(last) + 1.0)
    if as_of is not None:
        try:
            end = (pd.Timestamp(as_of) - origin) / _DAY
        except ValueError:
            raise CrmError("--as-of", None, None, f"not a date: {as_of!r}") from None
        if end <= last:
            raise CrmError("--as-of", None, None, f"{as_of} is before the last event of the "
                           f"export ({(origin + last * _DAY).date()})")
    date_only = frozenset(
        f"{name}.{col}" for name, raw in raws.items() if name != "spend"
        for col, timed in raw.has_time.items() if not timed)
    files = {name: raw.file for name, raw in raws.items()}
    return CrmTables(origin=origin, as_of=end, leads=leads, opportunities=opps,
                     stage_history=history, spend=spend, date_only=date_only, files=files,
                     notes=tuple(notes))


# -- files -------------------------------------------------------------------------


def _load(path: str | Path, table: Table, spec: Mapping) -> _Raw:
    """Read one CSV file's text under our column names."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise CrmError(name, None, None, "no such file") from None
    except IsADirectoryError:
        raise CrmError(name, None, None, "is a folder, expected a CSV file") from None
    except OSError as exc:
        raise CrmError(name, None, None, f"cannot be read ({exc.strerror})") from None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    if not data.strip():
        raise CrmError(name, 1, None, f"the file is empty: expected a header row, then one row "
                       f"per {table.meaning}")
    first_line = data.split(b"\n", 1)[0].decode(spec.encoding, errors="replace")
    delimiter = max((",", ";", "\t"), key=first_line.count)
    try:
        text = data.decode(spec.encoding)
    except UnicodeDecodeError as exc:
        raise _encoding_error(name, data, exc, delimiter, spec.encoding) from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
        rows = list(reader)
    except csv.Error as exc:
        raise CrmError(name, reader.line_num, None, f"not a valid CSV file ({exc})") from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise CrmError(name, 2, None, f"the file has a header but no rows: expected one row "
                       f"per {table.meaning}")
    width = len(header)
    for i, row in enumerate(rows):
        if len(row) > width and any(cell.strip() for cell in row[width:]):
            raise CrmError(name, i + 2, None, f"has {len(row)} values but the header names "
                           f"{width} columns")
    seen: dict[str, int] = {}
    for index, h in enumerate(header):
        if h and h in seen:
            raise CrmError(name, 1, h, f"the header names this column twice (columns "
                           f"{seen[h] + 1} and {index + 1})")
        seen[h] = index
    columns = _resolve(name, header, table, spec)
    values = pd.DataFrame({
        ours: [row[index] if index < len(row) else "" for row in rows]
        for ours, index in columns.items()
    }, dtype=object)
    return _Raw(table, name, values, {ours: header[i] for ours, i in columns.items()})


def _encoding_error(name: str, data: bytes, exc: UnicodeDecodeError, delimiter: str,
                    encoding: str) -> CrmError:
    """Where the first byte that is not text in ``encoding`` sits."""
    line = data.count(b"\n", 0, exc.start) + 1
    start = data.rfind(b"\n", 0, exc.start) + 1
    prefix = data[start: exc.start].decode("latin-1")
    index = len(next(csv.reader([prefix], delimiter=delimiter), [""])) - 1
    header = next(csv.reader([data.split(b"\n", 1)[0].decode("utf-8", errors="replace")],
                             delimiter=delimiter))
    column = header[index].strip() if 0 <= index < len(header) else None
    byte = data[exc.start]
    return CrmError(name, line, column, f"byte 0x{byte:02X} is not {encoding} text; save the "
                    f"export as UTF-8 (Excel: CSV UTF-8), or name its encoding in the mapping "
                    f"file (encoding: latin-1)")


def _resolve(name: str, header: list[str], table: Table, spec: Mapping) -> dict[str, int]:
    """Our column -> its index in the header."""
    given = spec.columns.get(table.name, {})
    exact = {h: i for i, h in enumerate(header)}
    folded = {h.lower(): i for i, h in enumerate(header)}
    normal = {snake(h): i for i, h in enumerate(header) if h}
    listing = ", ".join(f"'{h}'" for h in header)
    out: dict[str, int] = {}
    for column in table.columns:
        if column.name in given:
            theirs = given[column.name]
            index = exact.get(theirs, folded.get(theirs.lower()))
            if index is None:
                raise CrmError(name, 1, theirs, f"named by {spec.file} ({table.name}."
                               f"{column.name}) but the file has no such column; its columns "
                               f"are {listing}")
            out[column.name] = index
            continue
        index = normal.get(column.name)
        if index is not None:
            out[column.name] = index
        elif column.required:
            raise CrmError(name, 1, column.name, f"required column missing ({column.meaning}); "
                           f"the file's columns are {listing}; name the right one in a "
                           f"--columns mapping file ({table.name}: {{{column.name}: ...}})")
    return out


def _has_column(raw: _Raw, column: str) -> bool:
    return column in raw.values


# -- values ------------------------------------------------------------------------


def _date_order(raws: dict[str, _Raw], spec: Mapping, option: str | None) -> DateOrder | None:
    """How to read ``a/b/yyyy`` dates: the option, the mapping, or what the data shows."""
    if option not in (None, "auto"):
        order = {"day_first": "day_first", "day-first": "day_first",
                 "month_first": "month_first", "month-first": "month_first"}.get(str(option))
        if order is None:
            raise CrmError("--dates", None, None, f"expected day-first, month-first or auto, "
                           f"got {option!r}")
        return order  # type: ignore[return-value]
    if spec.dates is not None:
        return spec.dates
    day_first: tuple[_Raw, str, int] | None = None
    month_first: tuple[_Raw, str, int] | None = None
    ambiguous: tuple[_Raw, str, int] | None = None
    for raw in raws.values():
        for column in raw.table.columns:
            if column.kind != "date" or column.name not in raw.values:
                continue
            values = raw.values[column.name]
            d, m = date_order_votes(values)
            if d is not None and day_first is None:
                day_first = (raw, column.name, d)
            if m is not None and month_first is None:
                month_first = (raw, column.name, m)
            a = first_ambiguous(values)
            if a is not None and ambiguous is None:
                ambiguous = (raw, column.name, a)
    if day_first and month_first:
        raw, col, pos = month_first
        other, ocol, opos = day_first
        raise raw.error(pos, col, f"'{raw.values[col].iloc[pos]}' is a month-first date but "
                        f"'{other.values[ocol].iloc[opos]}' ({other.file}, row {opos + 2}) is "
                        f"day-first; make them agree, or pass --dates")
    if day_first:
        return "day_first"
    if month_first:
        return "month_first"
    if ambiguous:
        raw, col, pos = ambiguous
        raise raw.error(pos, col, f"'{raw.values[col].iloc[pos]}' could be day-first or "
                        f"month-first and no date in the export tells which; pass --dates "
                        f"day-first or --dates month-first")
    return None


def _dates(raw: _Raw, order: DateOrder | None) -> dict[str, pd.Series]:
    out = {}
    for column in raw.table.columns:
        if column.kind != "date" or column.name not in raw.values:
            continue
        values = raw.values[column.name]
        try:
            stamps, timed = parse_dates(values, order)
        except UnreadableValueError as problem:
            raise raw.error(problem.position, column.name, f"cannot read "
                            f"'{values.iloc[problem.position]}' as a date ({problem.message}; "
                            f"expected e.g. 2024-01-31 or 31/01/2024)") from None
        if column.required and stamps.isna().any():
            raise raw.error(int(np.flatnonzero(stamps.isna().to_numpy())[0]), column.name,
                            "no date given; every row needs one")
        raw.has_time[column.name] = timed
        out[column.name] = stamps
    return out


def _days(stamps: pd.Series | None, origin: pd.Timestamp, n: int) -> np.ndarray:
    if stamps is None:
        return np.full(n, np.nan)
    return ((stamps - origin) / _DAY).to_numpy(dtype=float)


def _text(raw: _Raw, column: str) -> pd.Series:
    if column not in raw.values:
        return pd.Series([None] * len(raw.values), dtype=object)
    values = raw.values[column].astype(str).str.strip()
    return values.where(values != "", None)


def _ids(raw: _Raw, column: str) -> pd.Series:
    ids = raw.values[column].astype(str).str.strip()
    empty = np.flatnonzero((ids == "").to_numpy())
    if empty.size:
        raise raw.error(int(empty[0]), column, "no id given; every row needs one")
    duplicated = ids.duplicated().to_numpy()
    if duplicated.any():
        pos = int(np.flatnonzero(duplicated)[0])
        first = int(np.flatnonzero((ids == ids.iloc[pos]).to_numpy())[0])
        raise raw.error(pos, column, f"duplicate id '{ids.iloc[pos]}' (first at row {first + 2})")
    return ids


def _amounts(raw: _Raw, column: str, spec: Mapping) -> np.ndarray:
    if column not in raw.values:
        return np.full(len(raw.values), np.nan)
    values = raw.values[column]
    try:
        amounts = parse_amounts(values, spec.decimal)
    except UnreadableValueError as problem:
        raise raw.error(problem.position, column, f"cannot read '{values.iloc[problem.position]}'"
                        f" as an amount (expected e.g. 1234.50, $1,234.50 or 1.234,50 €)"
                        ) from None
    negative = np.flatnonzero(amounts < 0)
    if negative.size:
        raise raw.error(int(negative[0]), column, f"negative amount "
                        f"'{values.iloc[int(negative[0])]}'; amounts must be 0 or more")
    return amounts


def _check_order(raw: _Raw, created: np.ndarray, later: np.ndarray, column: str,
                 what: str) -> None:
    before = np.flatnonzero(later < created - 1e-9)
    if before.size:
        pos = int(before[0])
        raise raw.error(pos, column, f"{what} '{raw.values[column].iloc[pos]}' is before the "
                        f"creation '{raw.values['created_at'].iloc[pos]}'")


def _status(raw: _Raw, column: str, spec: Mapping, notes: list[str]) -> pd.Series:
    """Statuses as won, lost or open; ``None`` without the column.

    Empty values and words that say neither won nor lost (``Working``,
    ``Nurturing``) are open; a note lists the words read as open.
    """
    if column not in raw.values:
        return pd.Series([None] * len(raw.values), dtype=object)
    table = spec.values.get("status", {})
    out = []
    open_words: set[str] = set()
    for value in raw.values[column].astype(str):
        word = value.strip()
        key = snake(table.get(word.lower(), word))
        if key in _STATUS_WORDS["won"]:
            out.append("won")
        elif key in _STATUS_WORDS["lost"]:
            out.append("lost")
        else:
            out.append("open")
            if word and key != "open":
                open_words.add(word)
    if open_words:
        shown = sorted(open_words)
        notes.append(f"{raw.file}: statuses read as open: {', '.join(shown[:10])}"
                     f"{', ...' if len(shown) > 10 else ''} (map others under values.status)")
    return pd.Series(out, dtype=object)


def source_kind(value: str | None, table: dict[str, str]) -> str:
    """``organic`` or ``promotion`` for a lead source (see the mapping's values.source)."""
    if value is None:
        return "organic"
    mapped = table.get(value.lower())
    if mapped is not None:
        return "promotion" if snake(mapped) == "promotion" else "organic"
    key = snake(value)
    return "promotion" if any(word in key for word in _PROMOTION_WORDS) else "organic"


def _categories(values: pd.Series, table: dict[str, str]) -> pd.Series:
    def category(value: str | None) -> str | None:
        if value is None:
            return None
        return snake(table.get(value.lower(), value)) or None

    return values.map(category)


def _leads(raw: _Raw, stamps: dict[str, pd.Series], origin: pd.Timestamp, spec: Mapping,
           notes: list[str]) -> pd.DataFrame:
    n = len(raw.values)
    ids = _ids(raw, "lead_id")
    created = _days(stamps["created_at"], origin, n)
    closed = _days(stamps.get("closed_at"), origin, n)
    _check_order(raw, created, closed, "closed_at", "close")
    amount = _amounts(raw, "amount", spec)
    source_text = _text(raw, "source")
    table = spec.values.get("source", {})
    source = source_text.map(lambda v: source_kind(v, table))
    if "source" in raw.values:
        kinds = pd.DataFrame({"raw": source_text.fillna("(empty)"), "kind": source})
        pairs = kinds.drop_duplicates().sort_values(["kind", "raw"])
        for kind in ("organic", "promotion"):
            names = pairs.loc[pairs["kind"] == kind, "raw"].tolist()
            if names:
                shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
                notes.append(f"lead sources read as {kind}: {shown}")
    return pd.DataFrame({
        "lead_id": ids.to_numpy(dtype=object),
        "created": created,
        "source": source.to_numpy(dtype=object),
        "segment": _categories(_text(raw, "segment"), spec.values.get("segment", {})).to_numpy(
            dtype=object),
        "mql": _days(stamps.get("mql_at"), origin, n),
        "touch": _days(stamps.get("first_touch_at"), origin, n),
        "owner": _text(raw, "owner").to_numpy(dtype=object),
        "status": _status(raw, "status", spec, notes).to_numpy(dtype=object),
        "closed": closed,
        "amount": amount,
        "lost_reason": _text(raw, "lost_reason").to_numpy(dtype=object),
        "row": np.arange(n) + 2,
    })


def _stage_name(value: str | None, table: dict[str, str]) -> str | None:
    if value is None:
        return None
    key = snake(table.get(value.lower(), value))
    if key in _STATUS_WORDS["won"]:
        return WON_STAGE
    if key in ("closed_lost", "closedlost", "lost"):
        return LOST_STAGE
    return key or None


def _opportunities(raw: _Raw, stamps: dict[str, pd.Series], origin: pd.Timestamp,
                   spec: Mapping, leads: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    n = len(raw.values)
    ids = _ids(raw, "opportunity_id")
    created = _days(stamps["created_at"], origin, n)
    closed = _days(stamps.get("closed_at"), origin, n)
    _check_order(raw, created, closed, "closed_at", "close")
    stage_table = spec.values.get("stage", {})
    stage = _text(raw, "stage").map(lambda v: _stage_name(v, stage_table))
    status = _status(raw, "status", spec, notes)
    if "status" not in raw.values and "stage" in raw.values:
        status = stage.map(lambda s: "won" if s == WON_STAGE else "lost" if s == LOST_STAGE
                           else "open")
    stage = stage.where(~stage.isin((WON_STAGE, LOST_STAGE)), None)
    lead_ids = _text(raw, "lead_id")
    segment = _categories(_text(raw, "segment"), spec.values.get("segment", {}))
    from_lead = lead_ids.map(dict(zip(leads["lead_id"], leads["segment"], strict=True)))
    segment = segment.where(segment.notna(), from_lead)
    discount = np.full(n, np.nan)
    if "discount" in raw.values:
        try:
            discount = parse_fractions(raw.values["discount"])
        except UnreadableValueError as problem:
            raise raw.error(problem.position, "discount", f"cannot read "
                            f"'{raw.values['discount'].iloc[problem.position]}' as a discount "
                            f"({problem.message})") from None
    return pd.DataFrame({
        "opportunity_id": ids.to_numpy(dtype=object),
        "lead_id": lead_ids.to_numpy(dtype=object),
        "created": created,
        "stage": stage.to_numpy(dtype=object),
        "status": status.to_numpy(dtype=object),
        "closed": closed,
        "amount": _amounts(raw, "amount", spec),
        "discount": discount,
        "owner": _text(raw, "owner").to_numpy(dtype=object),
        "segment": segment.to_numpy(dtype=object),
        "row": np.arange(n) + 2,
    })


def _history(raw: _Raw, stamps: dict[str, pd.Series], origin: pd.Timestamp, spec: Mapping,
             opps: pd.DataFrame | None, notes: list[str]) -> pd.DataFrame:
    n = len(raw.values)
    stage_table = spec.values.get("stage", {})
    history = pd.DataFrame({
        "opportunity_id": raw.values["opportunity_id"].astype(str).str.strip().to_numpy(
            dtype=object),
        "stage": _text(raw, "stage").map(lambda v: _stage_name(v, stage_table)).to_numpy(
            dtype=object),
        "entered": _days(stamps["entered_at"], origin, n),
        "row": np.arange(n) + 2,
    })
    empty = np.flatnonzero(history["stage"].isna().to_numpy())
    if empty.size:
        raise raw.error(int(empty[0]), "stage", "no stage given; every row needs one")
    if opps is not None:
        created = history["opportunity_id"].map(dict(zip(opps["opportunity_id"], opps["created"],
                                                         strict=True)))
        unknown = created.isna().to_numpy()
        if unknown.any():
            notes.append(f"{int(unknown.sum())} stage-history rows name opportunities not in "
                         f"{raw.file}'s opportunities and were set aside")
        early = np.flatnonzero(history["entered"].to_numpy() < created.to_numpy() - 1.0)
        if early.size:
            pos = int(early[0])
            raise raw.error(pos, "entered_at", f"stage entered "
                            f"'{raw.values['entered_at'].iloc[pos]}' more than a day before its "
                            f"opportunity was created")
        history = history[~unknown]
    history = history.sort_values(["opportunity_id", "entered"], kind="stable",
                                  ignore_index=True)
    # Several of their stages may map onto one of ours: a stage entered again
    # right after itself is the same passage.
    repeat = ((history["opportunity_id"] == history["opportunity_id"].shift())
              & (history["stage"] == history["stage"].shift()))
    return history[~repeat].reset_index(drop=True)


def _spend(raw: _Raw, stamps: dict[str, pd.Series], origin: pd.Timestamp,
           spec: Mapping) -> pd.DataFrame:
    n = len(raw.values)
    start = _days(stamps["week_start"], origin, n)
    order = np.argsort(start, kind="stable")
    starts = start[order]
    repeated = np.flatnonzero(np.diff(starts) == 0)
    if repeated.size:
        pos = int(order[repeated[0] + 1])
        raise raw.error(pos, "week_start", f"week '{raw.values['week_start'].iloc[pos]}' is "
                        f"given twice")
    gaps = np.diff(starts)
    last = float(np.median(gaps)) if gaps.size else 7.0
    days = np.append(gaps, last)
    brand = np.nan_to_num(_amounts(raw, "brand", spec)[order])
    promo = np.nan_to_num(_amounts(raw, "promotion", spec)[order])
    return pd.DataFrame({"start": starts, "days": days, "brand": brand, "promotion": promo,
                         "row": order + 2})


__all__ = ["CrmError", "read_crm", "source_kind"]
