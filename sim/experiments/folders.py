"""Results folders: recognised, refused, replaced whole, locked, and cleaned up after a kill.

A results folder of this tool is one that holds an experiment's
``experiment.json``, a run's ``manifest.json`` (with its ``replication_seeds``),
or nothing but a report (``report.html`` with its ``figures/`` and ``tables/``).
``--out`` may name a new
folder, an empty one, or a results folder of this tool; anything else (a
home folder, a project folder) is refused before anything runs, because the
tool replaces a results folder whole and must never delete what it did not
write.

A folder is written under a hidden temporary name beside its destination
(:func:`temporary_folder`) and swapped into place in one step
(:func:`replace_folder`): a reader sees the old folder or the new one, never a
mix, and a second run into a previous run's folder leaves none of its files.
Temporary names carry the writing process's id, so the leftovers of a killed
process are recognised and removed by the next write beside them
(:func:`sweep_leftovers`).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from sim.experiments.safe_output import safe_name

MANIFEST = "manifest.json"
SPEC = "experiment.json"
# What a report alone writes (sim.report.files), and the files in its folders.
REPORT_ENTRIES = frozenset({"report.html", "figures", "tables"})
REPORT_FILES = (".png", ".svg", ".csv", ".xlsx")
# ``.<name>.tmp-<pid>-<random>`` (being written) and ``.<name>.old-<pid>-<random>``
# (a replaced folder being removed): the pid tells a dead writer's leftovers.
# The random tail is tempfile's: eight of [a-z0-9_].
_LEFTOVER = re.compile(r"^\.[A-Za-z0-9._-]+\.(?:tmp|old)-(?P<pid>\d+)-[a-z0-9_]{8}$")
_NAME_LENGTH = 60  # of the destination's name inside a temporary name
_RENAME_EXCHANGE = 2  # linux/fs.h


class FolderError(Exception):
    """A results folder that cannot be used or written; the message is one line."""


def _json_mapping(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def is_results_folder(folder: Path) -> bool:
    """Whether ``folder`` is a results folder written by this tool (a run or an experiment)."""
    manifest = _json_mapping(folder / MANIFEST)
    if manifest is not None and "replication_seeds" in manifest:
        return True
    spec = _json_mapping(folder / SPEC)
    if spec is not None and "format" in spec and "command" in spec:
        return True
    return _only_a_report(folder)


def _only_a_report(folder: Path) -> bool:
    """Whether ``folder`` holds a report and nothing else (figures and tables only inside)."""
    try:
        entries = {p.name: p for p in folder.iterdir()}
        if "report.html" not in entries or not set(entries) <= REPORT_ENTRIES:
            return False
        for name in ("figures", "tables"):
            if name in entries:
                inner = entries[name]
                if not inner.is_dir() or inner.is_symlink() or not all(
                        p.is_file() and p.suffix in REPORT_FILES for p in inner.iterdir()):
                    return False
    except OSError:
        return False
    return entries["report.html"].is_file()


def check_out(folder: Path, option: str = "--out", *, replace: bool = True) -> None:
    """Refuse an output folder the tool may not write.

    Allowed: a path that does not exist, an empty folder, or a results folder
    of this tool (which is then replaced whole), but not one that holds an
    unfinished experiment, whose finished replications would be lost.

    Args:
        folder: the destination.
        option: the option that named it, for messages.
        replace: whether the folder will be replaced; ``False`` when files are
            only added to it (a report into its experiment's folder).

    Raises:
        FolderError: a file, a link, a folder with other contents, or one
            holding an unfinished experiment.
    """
    where = f"{option} {folder}"
    if folder.is_symlink():
        raise FolderError(f"{where}: is a symbolic link; give the folder it points to")
    if not folder.exists():
        return
    if not folder.is_dir():
        raise FolderError(f"{where}: exists and is not a folder")
    try:
        empty = next(folder.iterdir(), None) is None
    except OSError as exc:
        raise FolderError(f"{where}: cannot be read ({exc.strerror or exc})") from None
    if not empty and not is_results_folder(folder):
        raise FolderError(f"{where}: a folder that is neither empty nor a results folder of "
                          "this tool; it would be replaced whole, so choose a new or empty "
                          "folder")
    if replace and (folder / SPEC).exists():
        manifest = _json_mapping(folder / MANIFEST) or {}
        if manifest.get("status") != "complete":
            raise FolderError(f"{where}: holds an unfinished experiment; finish it with "
                              f"--resume {folder}, or choose another folder")


def prepare_out(folder: Path, option: str = "--out") -> None:
    """:func:`check_out`, then make sure a folder can be written beside ``folder``.

    Run before any work, so a read-only, unwritable or impossible destination
    is reported at once, not after the simulation.

    Raises:
        FolderError: as :func:`check_out`, or the destination cannot be written.
    """
    check_out(folder, option)
    where = f"{option} {folder}"
    parent = folder.absolute().parent
    ancestor = parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise FolderError(f"{where}: cannot be created: {ancestor} is not a folder")
    # Try it for real (permissions, a read-only or pseudo file system), then remove
    # every folder made for the try: nothing is left until the results are written.
    made = [p for p in (parent, *parent.parents) if p != ancestor and not p.exists()
            and p.is_relative_to(ancestor)]
    try:
        parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(temporary_folder(folder), ignore_errors=True)
    except OSError as exc:
        raise FolderError(f"{where}: cannot be written ({exc.strerror or exc})") from None
    finally:
        for path in made:  # deepest first
            with contextlib.suppress(OSError):
                path.rmdir()


def _prefix(folder: Path, kind: str) -> str:
    return f".{safe_name(folder.name, _NAME_LENGTH, 'results')}.{kind}-{os.getpid()}-"


def temporary_folder(folder: Path) -> Path:
    """A new hidden folder beside ``folder`` named after it and this process."""
    sweep_leftovers(folder.parent)
    return Path(tempfile.mkdtemp(prefix=_prefix(folder, "tmp"), dir=folder.parent))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def sweep_leftovers(parent: Path) -> list[Path]:
    """Remove the temporary folders and files that dead processes left in ``parent``.

    Returns:
        What was removed.
    """
    removed: list[Path] = []
    try:
        entries = list(parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _LEFTOVER.match(entry.name)
        if match is None or _alive(int(match["pid"])):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink()
        removed.append(entry)
    return removed


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2``); ``False`` where it is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False  # a file system without the exchange: fall back to two renames
    raise OSError(code, os.strerror(code), str(b))


def _fsync_dir(folder: Path) -> None:
    # A rename is durable only once its directory entry is; not every system
    # can open a directory, and there it is simply skipped.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def replace_folder(new: Path, folder: Path) -> None:
    """Put the complete folder ``new`` at ``folder``, replacing what was there whole.

    Where the system can swap two folders in one step, a reader (or a kill)
    sees the old folder or the new one; elsewhere the old folder is first
    renamed to a hidden name beside it, so it is never half-deleted in place.
    """
    if not folder.exists() or (folder.is_dir() and next(folder.iterdir(), None) is None):
        os.replace(new, folder)  # onto nothing, or onto an empty folder
    elif _exchange(new, folder):
        shutil.rmtree(new, ignore_errors=True)  # ``new`` now holds the old folder
    else:
        old = Path(tempfile.mkdtemp(prefix=_prefix(folder, "old"), dir=folder.parent))
        os.replace(folder, old / "folder")
        os.replace(new, folder)
        shutil.rmtree(old, ignore_errors=True)
    _fsync_dir(folder.parent)


@contextlib.contextmanager
def staged_folder(folder: Path, option: str = "--out") -> Iterator[Path]:
    """A temporary folder that replaces ``folder`` whole if the block succeeds.

    On any error or interruption the temporary folder is removed and
    ``folder`` is as it was.

    Raises:
        FolderError: ``folder`` may not be replaced (see :func:`check_out`).
    """
    check_out(folder, option)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_folder(folder)
    try:
        yield tmp
        replace_folder(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


class FolderLock:
    """An exclusive lock on a results folder while one process works in it.

    A second process that asks for the lock is refused at once (it does not
    wait). The lock is the operating system's (``fcntl.flock`` on a file of
    the folder that is never replaced, an experiment's ``experiment.json``),
    so it is released when its process ends, however it ends. Where ``fcntl``
    does not exist (Windows) nothing is locked.
    """

    def __init__(self, path: Path, where: str) -> None:
        self.path = path
        self._file: IO[bytes] | None = None
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on POSIX
            return
        handle = path.open("rb")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise FolderError(f"{where}: another process is working in this folder; wait "
                              "for it to finish (or stop it) and try again") from None
        self._file = handle

    def release(self) -> None:
        """Release the lock (closing the file releases it)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> FolderLock:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
