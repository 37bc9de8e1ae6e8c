"""The results folder of an experiment: it survives Ctrl-C and a killed process.

An experiment's folder holds, from the moment it starts:

- ``experiment.json``: what to run (scenarios, grid, seed, replications),
  enough to finish the experiment without the original files;
- ``replications.jsonl``: one line per finished replication, appended and
  flushed to disk (``fsync``) as soon as it finishes;
- ``manifest.json``: status (running, interrupted, complete), sessions with
  their start and end times and executor, package versions, git revision.

The tables are written when the experiment completes. Every file except the
append-only log is written whole to a temporary name and renamed into place
(``os.replace``), so a reader never sees half a file. A kill in the middle of
appending can leave a torn last line; :meth:`ExperimentStore.open` ignores it
(and the first new append removes it), and that replication is simply run again.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import pandas as pd

from sim.experiments.jsonable import finite

# Bumped when the files change shape, so an old folder is refused, not misread.
STORE_FORMAT = 1


class StoreError(Exception):
    """A results folder that cannot be created or resumed; the message is one line."""


def _fsync_dir(folder: Path) -> None:
    # A rename is durable only once its directory entry is; not every system
    # can open a directory, and there it is simply skipped.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_file(path: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file next to ``path``; rename it onto ``path`` on success.

    The data is flushed to disk before the rename, so after a crash ``path`` is
    either the old file or the complete new one.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8",
                       newline=None if "b" in mode else "") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _encode(point: str, replication: int, metrics: Mapping[str, float]) -> str:
    # NaN (a metric undefined in a replication) is stored as null: the log is
    # then strict JSON, and floats round-trip exactly through their repr.
    data = {"point": point, "replication": replication,
            "metrics": {k: finite(v) for k, v in metrics.items()}}
    return json.dumps(data, allow_nan=False, separators=(",", ":")) + "\n"


def _decode(line: str) -> tuple[tuple[str, int], dict[str, float]]:
    data = json.loads(line)
    metrics = {k: math.nan if v is None else float(v) for k, v in data["metrics"].items()}
    return (str(data["point"]), int(data["replication"])), metrics


class ExperimentStore:
    """A resumable results folder (see the module docstring).

    Use :meth:`create` for a new experiment and :meth:`open` to resume one.

    Attributes:
        folder: the folder.
        spec: the experiment's definition (``experiment.json``).
        results: ``(point, replication) -> metrics`` of every finished replication.
        manifest: the current manifest.
    """

    SPEC = "experiment.json"
    LOG = "replications.jsonl"
    MANIFEST = "manifest.json"

    def __init__(self, folder: Path, spec: dict[str, Any],
                 results: dict[tuple[str, int], dict[str, float]],
                 manifest: dict[str, Any], repaired_log: list[str] | None = None) -> None:
        self.folder = folder
        self.spec = spec
        self.results = results
        self.manifest = manifest
        self._log: IO[str] | None = None
        # The log's good lines when its last line was torn: written back before
        # the next append, so opening a folder (and refusing it) writes nothing.
        self._repaired_log = repaired_log

    # --- creating and opening ------------------------------------------------------------

    @classmethod
    def create(cls, folder: Path, spec: dict[str, Any], manifest: dict[str, Any]
               ) -> ExperimentStore:
        """Start a new results folder (new, or an existing one without an experiment).

        Raises:
            StoreError: ``folder`` is a file or already holds an experiment.
        """
        if folder.exists() and not folder.is_dir():
            raise StoreError(f"--out {folder}: exists and is not a folder")
        if (folder / cls.SPEC).exists():
            raise StoreError(f"--out {folder}: holds an experiment already; finish it with "
                             f"--resume {folder}, or choose another folder")
        spec = {"format": STORE_FORMAT, **spec}
        manifest = {"status": "running", **manifest}
        if folder.exists():
            store = cls(folder, spec, {}, manifest)
            store._write_start()
            return store
        # A new folder appears whole (definition, empty log, manifest) or not at all.
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
        try:
            cls(tmp, spec, {}, manifest)._write_start()
            os.replace(tmp, folder)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _fsync_dir(folder.parent)
        return cls(folder, spec, {}, manifest)

    def _write_start(self) -> None:
        self.write_json(self.SPEC, self.spec)
        self.write_json(self.MANIFEST, self.manifest)
        (self.folder / self.LOG).touch()

    @classmethod
    def open(cls, folder: Path) -> ExperimentStore:
        """Open a folder to resume: its definition and finished replications.

        Raises:
            StoreError: not an experiment folder, or files that cannot be read.
        """
        where = f"--resume {folder}"
        if not folder.is_dir():
            raise StoreError(f"{where}: no such folder")
        try:
            spec = json.loads((folder / cls.SPEC).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise StoreError(f"{where}: no {cls.SPEC}; expected a folder written by "
                             "compare, sweep or optimize") from None
        except (OSError, ValueError) as exc:
            raise StoreError(f"{where}: {cls.SPEC} cannot be read ({exc})") from None
        if not isinstance(spec, dict) or spec.get("format") != STORE_FORMAT:
            raise StoreError(f"{where}: {cls.SPEC} is not of format {STORE_FORMAT}; it was "
                             "written by another version")
        try:
            manifest = json.loads((folder / cls.MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            manifest = {}  # rewritten when the resumed session starts
        results, repaired = cls._read_log(folder / cls.LOG, where)
        return cls(folder, spec, results, manifest, repaired)

    @classmethod
    def _read_log(cls, path: Path, where: str
                  ) -> tuple[dict[tuple[str, int], dict[str, float]], list[str] | None]:
        """The finished replications, and the good lines if the last one was torn."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}, None
        except (OSError, UnicodeDecodeError) as exc:
            raise StoreError(f"{where}: {cls.LOG} cannot be read ({exc})") from None
        results: dict[tuple[str, int], dict[str, float]] = {}
        lines = text.splitlines(keepends=True)
        good: list[str] = []
        for number, line in enumerate(lines, start=1):
            try:
                if not line.endswith("\n"):
                    raise ValueError("no line end")
                key, metrics = _decode(line)
            except (ValueError, KeyError, TypeError):
                if number == len(lines):  # torn by a kill mid-write: run it again
                    break
                raise StoreError(f"{where}: {cls.LOG} line {number} is damaged") from None
            results[key] = metrics
            good.append(line)
        return results, (good if len(good) != len(lines) else None)

    # --- writing ---------------------------------------------------------------------------

    def add(self, point: str, replication: int, metrics: Mapping[str, float]) -> None:
        """Record a finished replication durably (appended, flushed, ``fsync``-ed)."""
        if self._log is None:
            if self._repaired_log is not None:
                # Drop the torn line first, so this append starts on a fresh line.
                with atomic_file(self.folder / self.LOG) as f:
                    f.writelines(self._repaired_log)
                self._repaired_log = None
            self._log = (self.folder / self.LOG).open("a", encoding="utf-8")
        self._log.write(_encode(point, replication, metrics))
        self._log.flush()
        os.fsync(self._log.fileno())
        self.results[(point, replication)] = dict(metrics)

    def write_json(self, name: str, data: Any) -> None:
        """Write ``data`` as indented strict JSON to ``name`` in the folder, atomically."""
        with atomic_file(self.folder / name) as f:
            f.write(json.dumps(data, indent=2, allow_nan=False) + "\n")

    def write_text(self, name: str, text: str) -> None:
        """Write text to ``name`` (sub-folders are created), atomically."""
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(path) as f:
            f.write(text)

    def write_csv(self, name: str, table: pd.DataFrame) -> None:
        """Write a table to ``name`` as CSV without the index, atomically."""
        with atomic_file(self.folder / name) as f:
            table.to_csv(f, index=False, lineterminator="\n")

    def update_manifest(self, **fields: Any) -> None:
        """Merge ``fields`` into the manifest and write it atomically."""
        self.manifest.update(fields)
        self.write_json(self.MANIFEST, self.manifest)

    def close(self) -> None:
        """Close the log file."""
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> ExperimentStore:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
