"""The resumable results folder: durable appends, torn lines, atomic files, refusals."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.experiments.jsonable import finite, json_value
from sim.experiments.store import STORE_FORMAT, ExperimentStore, StoreError, atomic_file

SPEC = {"command": "sweep", "seed": 1}


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_create_writes_definition_log_and_manifest_at_once(tmp_path: Path) -> None:
    store = ExperimentStore.create(tmp_path / "exp", SPEC, {"command": "sweep"})
    assert names(tmp_path) == ["exp"]  # no temporary folder left next to it
    assert names(tmp_path / "exp") == ["experiment.json", "manifest.json", "replications.jsonl"]
    spec = json.loads((tmp_path / "exp" / "experiment.json").read_text())
    assert spec == {"format": STORE_FORMAT, **SPEC}
    manifest = json.loads((tmp_path / "exp" / "manifest.json").read_text())
    assert manifest == {"status": "running", "command": "sweep"}
    assert store.results == {}


def test_finished_replications_survive_and_round_trip_exactly(tmp_path: Path) -> None:
    folder = tmp_path / "exp"
    metrics = {"revenue": 0.1 + 0.2, "win_rate": math.nan, "deals_won": 3.0}
    with ExperimentStore.create(folder, SPEC, {}) as store:
        store.add("p0", 0, metrics)
        store.add("p1", 4, {"revenue": 1e300, "win_rate": -0.0, "deals_won": 0.0})
    reopened = ExperimentStore.open(folder)
    got = reopened.results[("p0", 0)]
    assert got["revenue"] == 0.1 + 0.2  # the exact float, not a rounded one
    assert math.isnan(got["win_rate"])
    assert reopened.results[("p1", 4)]["revenue"] == 1e300
    assert reopened.spec["command"] == "sweep"
    # The log is strict JSON, one object a line (NaN is null).
    for line in (folder / "replications.jsonl").read_text().splitlines():
        json.loads(line)
    assert "NaN" not in (folder / "replications.jsonl").read_text()


def test_a_torn_last_line_is_dropped_and_the_log_repaired(tmp_path: Path) -> None:
    folder = tmp_path / "exp"
    with ExperimentStore.create(folder, SPEC, {}) as store:
        store.add("p0", 0, {"revenue": 1.0})
        store.add("p0", 1, {"revenue": 2.0})
    log = folder / "replications.jsonl"
    with log.open("a") as f:
        f.write('{"point":"p0","replication":2,"metr')  # killed mid-write
    torn = log.read_bytes()
    reopened = ExperimentStore.open(folder)
    assert set(reopened.results) == {("p0", 0), ("p0", 1)}
    assert log.read_bytes() == torn  # opening writes nothing
    with reopened:
        reopened.add("p0", 2, {"revenue": 3.0})
    assert log.read_text().count("\n") == 3 and "metr\n" not in log.read_text()
    assert set(ExperimentStore.open(folder).results) == {("p0", r) for r in range(3)}


def test_a_damaged_line_in_the_middle_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "exp"
    with ExperimentStore.create(folder, SPEC, {}) as store:
        store.add("p0", 0, {"revenue": 1.0})
    log = folder / "replications.jsonl"
    log.write_text("garbage\n" + log.read_text())
    with pytest.raises(StoreError, match="line 1 is damaged"):
        ExperimentStore.open(folder)


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: None, "no such folder"),
        (lambda d: d.mkdir(), "no experiment.json"),
        (lambda d: (d.mkdir(), (d / "experiment.json").write_text("{bad")), "cannot be read"),
        (lambda d: (d.mkdir(), (d / "experiment.json").write_text('{"format": 99}')),
         "not of format"),
    ],
    ids=["missing", "empty", "bad-json", "other-format"],
)
def test_open_refuses_what_is_not_an_experiment(tmp_path: Path, setup, message: str) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "exp"
    setup(folder)
    with pytest.raises(StoreError, match=message) as info:
        ExperimentStore.open(folder)
    assert str(info.value).startswith(f"--resume {folder}: ")


def test_create_refuses_a_file_or_an_existing_experiment(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="is not a folder"):
        ExperimentStore.create(tmp_path / "file", SPEC, {})
    ExperimentStore.create(tmp_path / "exp", SPEC, {}).close()
    with pytest.raises(StoreError, match="holds an experiment already"):
        ExperimentStore.create(tmp_path / "exp", SPEC, {})
    # A user's non-empty folder is never written into, and nothing of it is lost.
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(StoreError):
        ExperimentStore.create(tmp_path / "mine", SPEC, {})
    assert names(tmp_path / "mine") == ["notes.txt"]


def test_atomic_files_replace_whole_or_not_at_all(tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    path.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_file(path) as f:
        f.write("half of the new")
        raise RuntimeError("interrupted")
    assert path.read_text() == "old\n"
    assert names(tmp_path) == ["table.csv"]
    store = ExperimentStore(tmp_path, {}, {}, {})
    store.write_csv("table.csv", pd.DataFrame({"a": [1, 2]}))
    store.write_text("sub/x.yaml", "a: 1\n")
    store.update_manifest(status="complete")
    assert path.read_text() == "a\n1\n2\n"
    assert (tmp_path / "sub" / "x.yaml").read_text() == "a: 1\n"
    assert json.loads((tmp_path / "manifest.json").read_text()) == {"status": "complete"}
    assert not [p for p in tmp_path.rglob(".*")]


def test_finite_writes_undefined_numbers_as_null() -> None:
    assert finite(None) is None
    assert finite(math.nan) is None and finite(np.float64(math.nan)) is None
    assert finite(math.inf) is None and finite(-np.inf) is None
    assert finite(np.float32(math.nan)) is None  # not a Python float, still undefined
    value = finite(np.float64(1.5))
    assert value == 1.5 and type(value) is float
    assert finite(3) == 3.0 and type(finite(3)) is float
    assert json_value(np.int64(4)) == 4 and type(json_value(np.int64(4))) is int
    assert json_value("a") == "a"

