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

A new folder appears whole and replaces an earlier results folder whole
(:mod:`sim.experiments.folders`); a folder of anything else is refused. One
process at a time works in a folder: a second ``--resume`` of it is refused
while the first runs (an operating-system lock on ``experiment.json``).
Every file name is checked to stay inside the folder, every CSV cell is
neutralised against spreadsheet formulas and every JSON file is standard JSON
(:mod:`sim.experiments.safe_output`).
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

from sim.experiments.folders import (
    FolderError,
    FolderLock,
    check_out,
    replace_folder,
    sweep_leftovers,
    temporary_folder,
)
from sim.experiments.jsonable import finite
from sim.experiments.safe_output import dumps, inside, write_csv

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
    # The process id in the name lets the next opening of the folder tell the
    # leftovers of a killed process (sim.experiments.folders.sweep_leftovers).
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-{os.getpid()}-", dir=path.parent)
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


def _read_manifest(path: Path) -> dict[str, Any]:
    """The manifest as a mapping whose ``sessions`` is a list; ``{}`` if it is unreadable.

    A damaged manifest is rewritten when the resumed session starts: it
    records what ran, nothing the experiment's results depend on.
    """
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(manifest, dict):
        return {}
    if not isinstance(manifest.get("sessions", []), list):
        manifest["sessions"] = []
    return manifest


def _decode(line: str) -> tuple[tuple[str, int], dict[str, float]]:
    data = json.loads(line)
    if not isinstance(data, dict) or not isinstance(data.get("metrics"), dict):
        raise ValueError("not a replication")
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
        self._lock: FolderLock | None = None

    # --- creating and opening ------------------------------------------------------------

    @classmethod
    def create(cls, folder: Path, spec: dict[str, Any], manifest: dict[str, Any]
               ) -> ExperimentStore:
        """Start a new results folder, locked by this process until :meth:`close`.

        The folder appears whole (definition, empty log, manifest) or not at
        all; it may be new, empty, or an earlier results folder of this tool
        that holds no experiment, which it then replaces whole.

        Raises:
            StoreError: ``folder`` is a file, holds an experiment already, or
                is a folder of something else.
        """
        if folder.exists() and not folder.is_dir():
            raise StoreError(f"--out {folder}: exists and is not a folder")
        if (folder / cls.SPEC).exists():
            raise StoreError(f"--out {folder}: holds an experiment already; finish it with "
                             f"--resume {folder}, or choose another folder")
        try:
            check_out(folder)
        except FolderError as exc:
            raise StoreError(str(exc)) from None
        spec = {"format": STORE_FORMAT, **spec}
        manifest = {"status": "running", **manifest}
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = temporary_folder(folder)
        lock = None
        try:
            cls(tmp, spec, {}, manifest)._write_start()
            # Locked before it appears: the lock follows experiment.json into place.
            lock = FolderLock(tmp / cls.SPEC, f"--out {folder}")
            replace_folder(tmp, folder)
        except BaseException:
            if lock is not None:
                lock.release()
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        store = cls(folder, spec, {}, manifest)
        store._lock = lock
        return store

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
        except (OSError, ValueError, RecursionError) as exc:
            reason = " ".join(str(exc).split())[:200] or type(exc).__name__
            raise StoreError(f"{where}: {cls.SPEC} cannot be read ({reason})") from None
        if not isinstance(spec, dict) or spec.get("format") != STORE_FORMAT:
            raise StoreError(f"{where}: {cls.SPEC} is not of format {STORE_FORMAT}; it was "
                             "written by another version")
        try:
            lock = FolderLock(folder / cls.SPEC, where)
        except FolderError as exc:
            raise StoreError(str(exc)) from None
        try:
            manifest = _read_manifest(folder / cls.MANIFEST)
            results, repaired = cls._read_log(folder / cls.LOG, where)
            # This process holds the lock: temporary files of a killed one can go.
            sweep_leftovers(folder)
            sweep_leftovers(folder.parent)
        except BaseException:
            lock.release()
            raise
        store = cls(folder, spec, results, manifest, repaired)
        store._lock = lock
        return store

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
            except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
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
        with atomic_file(inside(self.folder, name)) as f:
            f.write(dumps(data, indent=2) + "\n")

    def write_text(self, name: str, text: str) -> None:
        """Write text to ``name`` (sub-folders are created), atomically."""
        path = inside(self.folder, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(path) as f:
            f.write(text)

    def write_csv(self, name: str, table: pd.DataFrame) -> None:
        """Write a table to ``name`` as CSV without the index, cells neutralised, atomically."""
        with atomic_file(inside(self.folder, name)) as f:
            write_csv(table, f)

    def update_manifest(self, **fields: Any) -> None:
        """Merge ``fields`` into the manifest and write it atomically."""
        self.manifest.update(fields)
        self.write_json(self.MANIFEST, self.manifest)

    def version_change(self, current: Mapping[str, str | None]) -> str | None:
        """How ``current`` differs from the versions that wrote this folder, or ``None``.

        The manifest records the version and git revision the experiment
        started with (``packages["leadflow-sim"]``, ``git_revision``) and those
        of every session that added to it (``sessions[*].version``,
        ``git_revision``).

        Args:
            current: ``{"version": ..., "git_revision": ...}`` of this process.

        Returns:
            ``"version 0.1.0, now 0.2.0"`` (or the git revisions) for the first
            recorded value that differs; ``None`` if none does (a value the
            folder does not record is not compared).
        """
        packages = self.manifest.get("packages")
        recorded: list[dict[str, Any]] = [{
            "version": packages.get("leadflow-sim") if isinstance(packages, dict) else None,
            "git_revision": self.manifest.get("git_revision"),
        }]
        recorded += [s for s in self.manifest.get("sessions", []) if isinstance(s, dict)]
        for field, label in (("version", "version"), ("git_revision", "git revision")):
            now = current.get(field)
            for entry in recorded:
                before = entry.get(field)
                if before is not None and before != now:
                    return f"{label} {before}, now {now}"
        return None

    def close(self) -> None:
        """Close the log file and release the folder's lock."""
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> ExperimentStore:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
