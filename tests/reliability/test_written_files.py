"""What the tool writes is safe to open: CSV cells, workbook cells, standard JSON (findings 4, 6).

Folders are meant to be mailed and opened in spreadsheets: a name starting
with ``=``, ``+``, ``-`` or ``@`` must not become a formula, in any CSV the tool
writes or in its workbook. Every JSON file is standard JSON: an infinite or
undefined number is ``null``, and writing it never fails (an experiment is
never left ``running`` because its result had an infinity).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from reliability_helpers import run_cli, tiny

from sim.apps.run_folder import write_run
from sim.experiments.safe_output import dumps, safe_cells, strict_json, write_csv
from sim.experiments.store import ExperimentStore
from sim.report.files import ReportFiles

FORMULAS = ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "=HYPERLINK(\"http://x\",\"y\")"]


def strict(text: str) -> Any:
    """Parse JSON refusing NaN and Infinity, as a standard parser does."""
    def refuse(token: str) -> None:
        raise ValueError(f"not standard JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def cells(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as f:
        return [cell for row in csv.reader(f) for cell in row]


@pytest.mark.parametrize("text", FORMULAS)
def test_a_formula_cell_gets_an_apostrophe(text: str) -> None:
    table = pd.DataFrame({"scenario": [text], "value": [-3.5], text: ["ok"]})
    safe = safe_cells(table)
    assert safe["scenario"].iloc[0] == "'" + text
    assert safe["value"].iloc[0] == -3.5  # numbers stay numbers
    assert "'" + text in safe.columns


def test_text_and_string_dtypes_and_mixed_columns_are_covered() -> None:
    table = pd.DataFrame({"a": pd.array(["=x", "y"], dtype="string"),
                          "b": pd.Series(["-1", 2.0], dtype=object)})
    safe = safe_cells(table)
    assert list(safe["a"]) == ["'=x", "y"] and list(safe["b"]) == ["'-1", 2.0]


def test_every_csv_of_a_run_is_neutralised(tmp_path: Path, tiny_run) -> None:  # type: ignore[no-untyped-def]
    scenario = tiny_run.scenario.with_overrides({"name": "=cmd|' /C calc'!A0"})
    run = dataclasses.replace(tiny_run, scenario=scenario)
    out = write_run(run, tmp_path / "out", datetime.now(), datetime.now())
    written = [*out.glob("*.csv"), *(out / "tables").glob("*.csv")]
    assert len(written) >= 8
    for path in written:
        bad = [c for c in cells(path) if c.startswith(("=", "+", "@", "\t", "\r"))]
        assert bad == [], path
    book = load_workbook(out / "tables" / "tables.xlsx")
    formulas = [c.coordinate for sheet in book for row in sheet.iter_rows() for c in row
                if c.data_type == "f"]
    assert formulas == []


def test_report_tables_and_the_workbook_are_neutralised(tmp_path: Path) -> None:
    files = ReportFiles(tmp_path)
    files.table("labels", pd.DataFrame({"label": FORMULAS}))
    files.write_workbook()
    files.finish()  # written with the figures
    assert all(c == "label" or c.startswith("'") for c in cells(tmp_path / "tables" /
                                                                 "labels.csv"))
    book = load_workbook(tmp_path / "tables" / "tables.xlsx")
    assert all(c.data_type != "f" for row in book["labels"].iter_rows() for c in row)


def test_an_experiments_csv_and_its_control_characters(tmp_path: Path) -> None:
    store = ExperimentStore(tmp_path, {}, {}, {})
    store.write_csv("t.csv", pd.DataFrame({"scenario": ["@x", "\x1b[2Jy"]}))
    assert cells(tmp_path / "t.csv") == ["scenario", "'@x", "\\x1b[2Jy"]


def test_write_csv_to_a_file_object(tmp_path: Path) -> None:
    with (tmp_path / "a.csv").open("w", newline="") as f:
        write_csv(pd.DataFrame({"x": ["+1"]}), f)
    assert cells(tmp_path / "a.csv") == ["x", "'+1"]


# --- finding 6: standard JSON only ------------------------------------------------------------


def test_strict_json_turns_every_non_finite_number_into_null() -> None:
    data = {"a": math.inf, "b": [-math.inf, math.nan, np.float64("inf"), np.float32(1.5)],
            "c": {"d": (np.int64(3), math.nan)}, "e": "Infinity"}
    assert strict(dumps(data)) == {"a": None, "b": [None, None, None, 1.5],
                                   "c": {"d": [3, None]}, "e": "Infinity"}
    assert strict_json(1e308 * 10) is None


def test_result_and_manifest_of_a_run_are_standard_json(tmp_path: Path, tiny_run) -> None:  # type: ignore[no-untyped-def]
    summary = tiny_run.summary.copy()
    summary.loc[summary.index[0], ["mean", "ci_low", "ci_high"]] = [math.inf, -math.inf,
                                                                     math.nan]
    run = dataclasses.replace(tiny_run, summary=summary)
    out = write_run(run, tmp_path / "out", datetime.now(), datetime.now(), report=False)
    result = strict((out / "result.json").read_text())
    first = result["metrics"][summary["metric"].iloc[0]]
    assert (first["mean"], first["ci_low"], first["ci_high"]) == (None, None, None)
    strict((out / "manifest.json").read_text())


def test_an_experiment_result_with_an_infinity_is_written_not_left_running(
        tmp_path: Path) -> None:
    with ExperimentStore.create(tmp_path / "exp", {"command": "sweep"}, {}) as store:
        store.write_json("result.json", {"best": {"value": math.inf}, "n": [math.nan]})
        store.update_manifest(status="complete", worst=-math.inf)
    assert strict((tmp_path / "exp" / "result.json").read_text()) == {
        "best": {"value": None}, "n": [None]}
    assert strict((tmp_path / "exp" / "manifest.json").read_text())["status"] == "complete"


def test_run_json_output_is_standard(tmp_path: Path, capsys, instant_runs) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_cli(["run", str(tiny(tmp_path)), "--json", "--out",
                              str(tmp_path / "o")], capsys)
    assert code == 0, err
    strict(out)


def test_a_carriage_return_cannot_split_a_row(tmp_path: Path) -> None:
    write_csv(pd.DataFrame({"a": ["\rx", "y\rz"], "b": [1, 2]}), tmp_path / "r.csv")
    with (tmp_path / "r.csv").open(newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [["a", "b"], ["\\x0dx", "1"], ["y\\x0dz", "2"]]
