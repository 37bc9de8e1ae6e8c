"""Column mapping files: which header of a company's export holds each of our columns.

A mapping file is YAML::

    dates: month_first        # day_first, month_first or auto (default)
    decimal: "."              # the decimal mark of amounts, when "," is meant
    encoding: utf-8           # the files' text encoding
    leads:                    # our name: their header
      lead_id: Lead ID
      created_at: Create Date
    opportunities: {...}
    stage_history: {...}
    spend: {...}
    values:                   # their value: ours
      source: {Paid Search: promotion, Web: organic}
      status: {Converted: won}
      segment: {"1-50 employees": smb}
      stage: {Qualification: discovery}

See ``scenarios/crm/`` for Salesforce and HubSpot examples.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.calibration.columns import TABLES
from sim.calibration.errors import CrmError
from sim.calibration.parsing import DateOrder

VALUE_KINDS = ("source", "segment", "status", "stage")
_TOP_KEYS = ("dates", "decimal", "encoding", "values", *TABLES)


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping file (or the default: our names, dates detected).

    Attributes:
        columns: table -> our column -> their header.
        values: kind (source, segment, status, stage) -> their value (lower case) -> ours.
        dates: how to read ``a/b/yyyy`` dates; ``None`` detects it from the data.
        decimal: the decimal mark of amounts (``None``: read from each value).
        encoding: the text encoding of the files.
        file: where it was read from (for messages).
    """

    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    dates: DateOrder | None = None
    decimal: str | None = None
    encoding: str = "utf-8"
    file: str = ""


def read_mapping(path: str | Path | None) -> Mapping:
    """Read and check a mapping file (``None`` gives the default mapping).

    Raises:
        CrmError: unreadable YAML, an unknown table or column name, a bad option.
    """
    if path is None:
        return Mapping()
    path = Path(path)
    name = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CrmError(name, None, None, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CrmError(name, None, None, f"cannot be read ({exc})") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise CrmError(name, mark.line + 1 if mark else None, None,
                       f"YAML error: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise CrmError(name, None, None, f"YAML error: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise CrmError(name, None, None, "expected a mapping of tables to columns")
    for key in data:
        if key not in _TOP_KEYS:
            raise CrmError(name, None, str(key), f"unknown key{_suggest(str(key), _TOP_KEYS)}; "
                           f"expected {', '.join(_TOP_KEYS)}")
    columns: dict[str, dict[str, str]] = {}
    for table, spec in TABLES.items():
        given = data.get(table) or {}
        if not isinstance(given, dict):
            raise CrmError(name, None, table, "expected our column names and their headers")
        for ours, theirs in given.items():
            if ours not in spec.names:
                raise CrmError(name, None, f"{table}.{ours}", f"no such column of {table}"
                               f"{_suggest(str(ours), spec.names)}; its columns are "
                               f"{', '.join(spec.names)}")
            if not isinstance(theirs, str | int | float) or not str(theirs).strip():
                raise CrmError(name, None, f"{table}.{ours}", "expected the header of a column")
        columns[table] = {str(k): str(v).strip() for k, v in given.items()}
    values = _values(name, data.get("values") or {})
    dates = data.get("dates", "auto")
    order = {"auto": None, "day_first": "day_first", "month_first": "month_first",
             "day-first": "day_first", "month-first": "month_first"}
    if dates not in order:
        raise CrmError(name, None, "dates", f"expected day_first, month_first or auto, got "
                       f"{dates!r}")
    decimal = data.get("decimal")
    if decimal not in (None, ".", ","):
        raise CrmError(name, None, "decimal", f"expected '.' or ',', got {decimal!r}")
    encoding = str(data.get("encoding", "utf-8"))
    try:
        "".encode(encoding)
    except LookupError:
        raise CrmError(name, None, "encoding", f"unknown encoding {encoding!r}") from None
    return Mapping(columns, values, order[dates], decimal, encoding, name)  # type: ignore[arg-type]


def _values(name: str, given: Any) -> dict[str, dict[str, str]]:
    if not isinstance(given, dict):
        raise CrmError(name, None, "values", "expected source, segment, status or stage")
    out: dict[str, dict[str, str]] = {}
    for kind, table in given.items():
        if kind not in VALUE_KINDS:
            raise CrmError(name, None, f"values.{kind}", f"unknown kind"
                           f"{_suggest(str(kind), VALUE_KINDS)}; expected "
                           f"{', '.join(VALUE_KINDS)}")
        if not isinstance(table, dict):
            raise CrmError(name, None, f"values.{kind}", "expected their value: our value")
        out[kind] = {str(k).strip().lower(): str(v).strip() for k, v in table.items()}
    return out


def _suggest(word: str, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]}?)" if close else ""
