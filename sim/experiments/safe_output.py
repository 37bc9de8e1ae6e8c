"""What the tool writes is safe to write and safe to open: file names, paths, CSV cells, JSON.

Results folders are meant to be mailed and opened in spreadsheets, and their
file names come partly from people (a scenario's ``name``). So:

- :func:`safe_name` turns any label into a file name: no separator, no ``..``,
  no control character, not hidden, length-capped with a hash suffix so that
  two long labels stay apart. A scenario's ``name`` stays free text for people
  (``validate`` accepts ``Q3 plan / EMEA``); it is made a file name only where
  a file is named after it, so a hostile name cannot lead out of the folder;
- :func:`inside` builds a path in a folder and refuses one that would leave it;
- :func:`safe_cells` neutralises spreadsheet formulas (a cell starting with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
  apostrophe, as OWASP recommends), and :func:`write_csv` is the one way the
  tool writes a CSV file;
- :func:`strict_json` and :func:`dumps` give standard JSON: NaN and infinity
  (undefined numbers) become ``null``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import IO, Any

import numpy as np
import pandas as pd

__all__ = ["UnsafePathError", "dumps", "inside", "safe_cells", "safe_name", "safe_names",
           "strict_json", "write_csv"]

# What a spreadsheet reads as the start of a formula (or of a cell it re-parses).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Names Windows reserves for devices, whatever the extension.
_RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                       *(f"lpt{i}" for i in range(10))})
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
HASH_LENGTH = 8


class UnsafePathError(ValueError):
    """A path that would leave the folder it is written in; the message is one line."""


def _digest(label: str) -> str:
    return hashlib.sha256(label.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_LENGTH]


def safe_name(label: str, max_length: int = 80, fallback: str = "scenario") -> str:
    """A file name made from any label, the same for the same label.

    Letters are reduced to ASCII where they have an ASCII form (``é`` -> ``e``);
    every run of other characters (separators, dots at the start, spaces,
    control characters) becomes one ``_``. A name longer than ``max_length``
    is cut and ends with a hash of the whole label, so two long labels that
    share their start still get two names.

    Args:
        label: any text (a scenario's name, a table's label).
        max_length: the longest name returned (a file system allows 255 bytes;
            the tool adds prefixes and extensions).
        fallback: the name of a label with nothing usable in it.

    Returns:
        A non-empty name of ASCII letters, digits, ``.``, ``_`` and ``-`` that
        does not start with ``.`` or ``-`` and is not a reserved device name.
    """
    if max_length < HASH_LENGTH + 2:
        raise ValueError(f"max_length: expected at least {HASH_LENGTH + 2}, got {max_length}")
    ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode("ascii")
    name = _UNSAFE.sub("_", ascii_text).strip("._-")
    name = re.sub(r"\.{2,}", "_", name) or fallback
    if name.split(".")[0].lower() in _RESERVED:
        name = f"_{name}"
    if len(name) > max_length:
        name = f"{name[:max_length - HASH_LENGTH - 1].rstrip('._-')}-{_digest(label)}"
    return name


def safe_names(labels: Iterable[str], max_length: int = 80) -> list[str]:
    """:func:`safe_name` of each label, with a hash suffix where two would be the same."""
    labels = list(labels)
    names = [safe_name(label, max_length) for label in labels]
    taken: dict[str, int] = {}
    for name in names:
        taken[name.lower()] = taken.get(name.lower(), 0) + 1
    out = []
    for label, name in zip(labels, names, strict=True):
        if taken[name.lower()] > 1:  # also apart on file systems that ignore case
            name = f"{name[:max_length - HASH_LENGTH - 1]}-{_digest(label)}"
        out.append(name)
    return out


def inside(folder: Path, relative: str | Path) -> Path:
    """``folder / relative``, refused if it would lead outside ``folder``.

    Raises:
        UnsafePathError: an absolute path, a ``..`` part, or a link that leads out.
    """
    rel = PurePosixPath(str(relative).replace("\\", "/"))
    if rel.is_absolute() or not rel.parts or any(p in ("..", "") for p in rel.parts) or any(
            unicodedata.category(ch) == "Cc" for ch in str(rel)):
        raise UnsafePathError(f"{relative!r}: not a file name inside {folder}")
    path = folder.joinpath(*rel.parts)
    root = folder.resolve()
    if not path.resolve().is_relative_to(root):
        raise UnsafePathError(f"{relative!r}: leads outside {folder}")
    return path


# Control characters other than tab and line feed: no place in a cell (a workbook's
# XML cannot hold them; a carriage return left unquoted splits a CSV row), shown
# as escapes instead.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _neutral(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    value = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def safe_cells(table: pd.DataFrame) -> pd.DataFrame:
    r"""A copy of ``table`` whose text cells and column names no spreadsheet reads as formulas.

    Numbers stay numbers (``-3`` is a number, not a formula); only text
    starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading apostrophe. Control characters in text (other than tabs and line
    feeds) are shown as escapes (an escape character as the four characters ``\x1b``).
    """
    out = table.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            out[column] = values.map(_neutral).astype(object)
    out.columns = [_neutral(c) for c in out.columns]
    return out


def write_csv(table: pd.DataFrame, target: Path | IO[str]) -> None:
    """Write a table as CSV (no index, Unix line ends) with neutralised cells."""
    safe_cells(table).to_csv(target, index=False, lineterminator="\n")


def strict_json(data: Any) -> Any:
    """``data`` with every NaN or infinite number (NumPy's too) replaced by ``None``.

    Mappings, lists and tuples are copied; NumPy scalars become Python numbers.
    """
    if isinstance(data, dict):
        return {k: strict_json(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [strict_json(v) for v in data]
    if isinstance(data, np.generic):
        data = data.item()
    if isinstance(data, float) and not math.isfinite(data):
        return None
    return data


def dumps(data: Any, **kwargs: Any) -> str:
    """Standard JSON text of ``data`` (see :func:`strict_json`); ``kwargs`` as ``json.dumps``."""
    return json.dumps(strict_json(data), allow_nan=False, **kwargs)
