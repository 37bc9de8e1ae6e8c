"""Writing a calibrated scenario file, with every value's source, and its draws file.

The scenario ``extends:`` the base and sets only what the export informed;
each value carries a comment (how it was estimated, records used, 95 %
interval, the base's value). A header lists what stayed at the base and why.
The parameter uncertainty goes to a CSV file of parameter sets (one row per
draw, one column per dotted key), which :func:`read_draws` and
:func:`scenario_for_draw` turn back into scenarios.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.errors import CrmError
from sim.calibration.estimates import Estimate
from sim.calibration.estimation import Fit
from sim.experiments.safe_output import safe_cells
from sim.scenario.loading import ScenarioError, load_scenario
from sim.scenario.schema import Scenario

COMMENT_COLUMN = 44


def number(value: float) -> str:
    """A number as people read it and YAML parses it (no exponent, 6 significant digits)."""
    if isinstance(value, bool | int | np.integer):
        return str(int(value))
    if not math.isfinite(value):
        return "null"
    text = np.format_float_positional(float(value), precision=6, unique=False,
                                      fractional=False, trim="-")
    return text.rstrip(".") if "." in text else text


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | np.integer | np.floating):
        return number(float(value))
    return json.dumps(str(value))


def _comment(e: Estimate) -> str:
    if e.low == e.high == e.value:
        where = f"{e.method}; {e.records:,} records"
    else:
        where = (f"{e.method}; {e.records:,} records; 95% {number(e.low)} to {number(e.high)}")
    base = "" if not math.isfinite(e.base) else f"; base {number(e.base)}"
    return " ".join(f"{where}{base}".split())


def scenario_text(scenario: Scenario, fit: Fit, extends: str, header: Iterable[str]) -> str:
    """The YAML text of a calibrated scenario that extends ``extends``.

    Args:
        scenario: the calibrated scenario (base plus estimates).
        fit: the fit, for the values' sources and the fallbacks.
        extends: the base file, relative to the file being written.
        header: lines for the top comment (what data, when, how).
    """
    data = scenario.model_dump(mode="python")
    comments = {e.path: _comment(e) for e in fit.estimates}
    tree: dict[str, Any] = {}
    for path in comments:
        parts = path.split(".")
        # A list item's values go with their whole list: YAML lists replace, not merge.
        cut = next((i for i, p in enumerate(parts) if p.isdigit()), len(parts))
        _put(tree, parts[:cut], _at(data, parts[:cut]))
    lines = [f"# {line}" if line else "#" for line in header]
    lines.append("# Values the export could not inform fall back to the base scenario:")
    for fallback in fit.fallbacks:
        lines.append(f"#   - {fallback.path}: {fallback.reason}")
    if fit.notes:
        lines.append("# Notes:")
        lines += [f"#   - {note}" for note in fit.notes]
    lines.append(f"extends: {json.dumps(extends)}")
    lines.append(f"name: {json.dumps(scenario.name)}")
    lines.append(f"description: {json.dumps(scenario.description)}")
    _emit(lines, tree, "", 0, comments)
    return "\n".join(lines) + "\n"


def _at(data: Any, parts: list[str]) -> Any:
    for part in parts:
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def _put(tree: dict[str, Any], parts: list[str], value: Any) -> None:
    node = tree
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _line(text: str, comment: str | None) -> str:
    if comment is None:
        return text
    return f"{text.ljust(COMMENT_COLUMN - 1)} # {comment}"


def _emit(lines: list[str], node: dict[str, Any], path: str, indent: int,
          comments: dict[str, str], first_prefix: str | None = None) -> None:
    pad = " " * indent
    for n, (key, value) in enumerate(node.items()):
        lead = first_prefix if first_prefix is not None and n == 0 else pad
        here = f"{path}.{key}" if path else key
        if isinstance(value, dict):
            lines.append(f"{lead}{key}:")
            _emit(lines, value, here, indent + 2, comments)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            lines.append(f"{lead}{key}:")
            for i, item in enumerate(value):
                _emit(lines, item, f"{here}.{i}", indent + 4, comments,
                      first_prefix=" " * (indent + 2) + "- ")
        elif isinstance(value, list):
            lines.append(_line(f"{lead}{key}: [{', '.join(_scalar(v) for v in value)}]",
                               comments.get(here)))
        else:
            lines.append(_line(f"{lead}{key}: {_scalar(value)}", comments.get(here)))


def write_calibrated_scenario(scenario: Scenario, fit: Fit, out: str | Path,
                              base_path: str | Path, header: Iterable[str],
                              force: bool = False) -> Path:
    """Write the scenario file and check that it loads (``sim.load_scenario``).

    Args:
        scenario: the calibrated scenario.
        fit: its fit (sources, intervals, fallbacks).
        out: the file to write.
        base_path: the base scenario file it extends.
        header: top comment lines.
        force: replace an existing file.

    Raises:
        CrmError: ``out`` exists (without ``force``) or its folder does not.
        ScenarioError: the written file does not load (nothing is left behind).
    """
    out = Path(out)
    if out.exists() and not force:
        raise CrmError(str(out), None, None, "exists; pass --force to replace it")
    if not out.parent.is_dir():
        raise CrmError(str(out), None, None, f"no such folder {out.parent}")
    extends = os.path.relpath(Path(base_path).resolve(), out.parent.resolve())
    text = scenario_text(scenario, fit, extends, header)
    temporary = out.with_name(f".{out.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    try:
        load_scenario(temporary)
    except ScenarioError:
        temporary.unlink()
        raise
    os.replace(temporary, out)
    return out


def write_draws(draws: list[dict[str, Any]], out: str | Path, force: bool = False) -> Path:
    """Write parameter draws as CSV: a ``draw`` column, then one column per dotted key.

    Raises:
        CrmError: ``out`` exists (without ``force``).
    """
    out = Path(out)
    if out.exists() and not force:
        raise CrmError(str(out), None, None, "exists; pass --force to replace it")
    keys = sorted({k for d in draws for k, v in d.items() if not isinstance(v, list | dict)})
    # Numbers stay numbers (the csv module writes a Python float's repr: read back
    # exactly); text cells and headers a spreadsheet would read as a formula are neutralised.
    rows = pd.DataFrame([[i, *(_cell(d.get(k)) for k in keys)] for i, d in enumerate(draws)],
                        columns=["draw", *keys], dtype=object)
    rows = safe_cells(rows)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(list(rows.columns))
        writer.writerows(rows.itertuples(index=False, name=None))
    return out


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    return float(value) if isinstance(value, float) else value


def read_draws(path: str | Path) -> list[dict[str, Any]]:
    """Parameter sets from a draws file (dotted key -> value, whole numbers as int)."""
    with Path(path).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    out = []
    for row in rows:
        draw: dict[str, Any] = {}
        for key, text in row.items():
            if key == "draw" or text in ("", None):
                continue
            value = float(text)
            draw[key] = int(value) if key == "sales.reps" else value
        out.append(draw)
    return out


def scenario_for_draw(scenario: Scenario, draw: dict[str, Any]) -> Scenario:
    """The calibrated scenario with one draw's values (segment shares re-summed to 1)."""
    values = dict(draw)
    shares = sorted(k for k in values if k.startswith("leads.segments.") and k.endswith(".share"))
    if shares:
        total = sum(values[k] for k in shares)
        for k in shares:
            values[k] = values[k] / total
    return scenario.with_overrides(values)
