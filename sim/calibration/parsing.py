"""Reading the values of an export: dates, money, fractions, names.

Pure functions over columns of text. Each returns what it read and the
position of the first value it could not read, so the caller can name the row.
"""

from __future__ import annotations

import re
from typing import Literal

import numpy as np
import pandas as pd

DateOrder = Literal["day_first", "month_first"]

_ISO = re.compile(
    r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
    r"(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?\s*(?:Z|[+-]\d{2}:?\d{2}|UTC)?\s*$"
)
_NUMERIC = re.compile(
    r"^\s*(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})"
    r"(?:,?[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*([AaPp])?\.?[Mm]?\.?)?\s*$"
)
_CURRENCY = "$€£¥₹₩₽¢"
_AMOUNT = re.compile(
    r"^(?P<open>\()?\s*(?P<sign1>[-+])?\s*(?:[A-Za-z]{3}\s*)?[" + _CURRENCY + r"]?\s*"
    r"(?P<sign2>[-+])?\s*(?P<number>\d[\d.,'\s]*)\s*[" + _CURRENCY + r"]?\s*(?:[A-Za-z]{3})?\s*"
    r"(?P<sign3>-)?\s*(?P<close>\))?$"
)


class UnreadableValueError(ValueError):
    """A value that cannot be read: ``position`` in the column, and what was expected."""

    def __init__(self, position: int, message: str) -> None:
        super().__init__(message)
        self.position = position
        self.message = message


def blank(values: pd.Series) -> np.ndarray:
    """Which values are empty (missing, or only spaces)."""
    text = values.astype(object).where(values.notna(), "")
    return np.array([not str(v).strip() for v in text], dtype=bool)


def date_order_votes(values: pd.Series) -> tuple[int | None, int | None]:
    """Positions of the first value that can only be day-first and only month-first.

    ``31/01/2024`` can only be day-first, ``01/31/2024`` only month-first;
    ``03/04/2024`` tells nothing.
    """
    parts = values.astype(str).str.extract(_NUMERIC)
    first = pd.to_numeric(parts[0], errors="coerce").to_numpy()
    second = pd.to_numeric(parts[1], errors="coerce").to_numpy()
    day_first = np.flatnonzero((first > 12) & (second <= 12))
    month_first = np.flatnonzero((second > 12) & (first <= 12))
    return (int(day_first[0]) if day_first.size else None,
            int(month_first[0]) if month_first.size else None)


def first_ambiguous(values: pd.Series) -> int | None:
    """Position of the first ``a/b/yyyy`` value with both parts 12 or less, if any."""
    parts = values.astype(str).str.extract(_NUMERIC)
    first = pd.to_numeric(parts[0], errors="coerce").to_numpy()
    second = pd.to_numeric(parts[1], errors="coerce").to_numpy()
    hits = np.flatnonzero((first <= 12) & (second <= 12) & (first != second))
    return int(hits[0]) if hits.size else None


def parse_dates(values: pd.Series, order: DateOrder | None) -> tuple[pd.Series, bool]:
    """Read dates (or dates and times): ISO ``2024-01-31 14:05``, ``31/01/2024``, ``Jan 31, 2024``.

    Args:
        values: text; empty values give NaT.
        order: how to read ``a/b/yyyy``; ``None`` only when no value has that form.

    Returns:
        The timestamps (time zones dropped) and whether any value had a time of day.

    Raises:
        UnreadableValueError: the first value that is not a date, with its position.
    """
    text = values.astype(object).where(values.notna(), "").astype(str)
    empty = blank(values)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    iso = text.str.extract(_ISO)
    num = text.str.extract(_NUMERIC)
    is_iso = iso[0].notna().to_numpy()
    is_num = num[0].notna().to_numpy() & ~is_iso
    has_time = False
    if is_iso.any():
        stamps, timed = _assemble(iso[is_iso], year=0, month=1, day=2)
        out[is_iso] = stamps.to_numpy()
        has_time |= timed
    if is_num.any():
        if order is None:
            raise UnreadableValueError(int(np.flatnonzero(is_num)[0]),
                               "cannot tell day-first from month-first dates")
        day, month = (0, 1) if order == "day_first" else (1, 0)
        parts = num[is_num].copy()
        year = pd.to_numeric(parts[2])
        parts[2] = np.where(year < 100, np.where(year < 70, 2000 + year, 1900 + year), year)
        stamps, timed = _assemble(parts, year=2, month=month, day=day, pm=6)
        out[is_num] = stamps.to_numpy()
        has_time |= timed
    other = np.flatnonzero(~is_iso & ~is_num & ~empty)
    for i in other:
        try:
            stamp = pd.Timestamp(pd.to_datetime(text.iloc[i], dayfirst=order == "day_first"))
        except (ValueError, OverflowError, TypeError):
            raise UnreadableValueError(int(i), "not a date") from None
        if pd.isna(stamp):
            raise UnreadableValueError(int(i), "not a date")
        if stamp.tzinfo is not None:
            stamp = stamp.tz_localize(None)
        out.iloc[int(i)] = stamp
        has_time |= bool(stamp.hour or stamp.minute or stamp.second)
    bad = np.flatnonzero(out.isna().to_numpy() & ~empty)
    if bad.size:
        raise UnreadableValueError(int(bad[0]), "not a valid date")
    return out, has_time


def _assemble(parts: pd.DataFrame, year: int, month: int, day: int,
              pm: int | None = None) -> tuple[pd.Series, bool]:
    """Timestamps from extracted date and time fields (invalid ones give NaT)."""
    hour = pd.to_numeric(parts[3], errors="coerce").fillna(0)
    minute = pd.to_numeric(parts[4], errors="coerce").fillna(0)
    second = pd.to_numeric(parts[5], errors="coerce").fillna(0)
    if pm is not None:
        marker = parts[pm].fillna("").str.lower()
        hour = pd.Series(np.where(marker == "p", hour % 12 + 12,
                                  np.where(marker == "a", hour % 12, hour)), index=parts.index)
    frame = pd.DataFrame({
        "year": pd.to_numeric(parts[year]), "month": pd.to_numeric(parts[month]),
        "day": pd.to_numeric(parts[day]), "hour": hour, "minute": minute, "second": second,
    })
    stamps = pd.to_datetime(frame, errors="coerce")
    timed = bool(np.any(np.asarray(hour) != 0) or np.any(minute != 0) or np.any(second != 0))
    return stamps, timed


def parse_amounts(values: pd.Series, decimal: str | None = None) -> np.ndarray:
    """Read money: ``$1,234.50``, ``1.234,50 €``, ``EUR 1 234``, ``(120)`` (negative).

    The last of ``.`` and ``,`` in a value is its decimal mark when both occur;
    a lone ``,`` followed by groups of three digits separates thousands unless
    ``decimal=","`` says otherwise.

    Raises:
        UnreadableValueError: the first value that is not an amount.
    """
    out = np.full(len(values), np.nan)
    text = values.astype(object).where(values.notna(), "").astype(str).to_numpy()
    for i, raw in enumerate(text):
        value = raw.replace("\u00a0", " ").replace("\u202f", " ").strip()
        if not value:
            continue
        match = _AMOUNT.match(value)
        if match is None or bool(match["open"]) != bool(match["close"]):
            raise UnreadableValueError(i, "not an amount")
        number = _number(match["number"].replace(" ", "").replace("'", ""), decimal)
        if number is None:
            raise UnreadableValueError(i, "not an amount")
        negative = bool(match["open"]) or "-" in (
            (match["sign1"] or "") + (match["sign2"] or "") + (match["sign3"] or ""))
        out[i] = -number if negative else number
    return out


def _number(digits: str, decimal: str | None) -> float | None:
    """A number from digits with ``.`` and ``,`` used as decimal mark or thousands separator."""
    has_dot, has_comma = "." in digits, "," in digits
    if has_dot and has_comma:
        mark = "." if digits.rfind(".") > digits.rfind(",") else ","
    elif has_comma:
        grouped = re.fullmatch(r"\d{1,3}(,\d{3})+", digits) is not None
        mark = "," if decimal == "," or not grouped else "."
    elif has_dot:
        grouped = re.fullmatch(r"\d{1,3}(\.\d{3})+", digits) is not None
        mark = "," if (decimal == "," and grouped) or digits.count(".") > 1 else "."
    else:
        mark = "."
    other = "," if mark == "." else "."
    cleaned = digits.replace(other, "").replace(mark, ".")
    try:
        return float(cleaned)
    except ValueError:
        return None


def parse_fractions(values: pd.Series) -> np.ndarray:
    """Read fractions: ``0.15``, ``15%`` or ``15`` (a value above 1 is a percent).

    Raises:
        UnreadableValueError: the first value that is not a fraction between 0 and 1 (or 0-100 %).
    """
    out = np.full(len(values), np.nan)
    text = values.astype(object).where(values.notna(), "").astype(str).to_numpy()
    for i, raw in enumerate(text):
        value = raw.strip().replace(",", ".")
        if not value:
            continue
        percent = value.endswith("%")
        try:
            number = float(value.rstrip("%").strip())
        except ValueError:
            raise UnreadableValueError(i, "not a fraction") from None
        if percent or number > 1.0:
            number /= 100.0
        if not 0.0 <= number <= 1.0:
            raise UnreadableValueError(i, "not a fraction between 0 and 1 (or 0-100 %)")
        out[i] = number
    return out


def snake(name: str) -> str:
    """A value as a name: ``Mid-Market`` -> ``mid_market``."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")
