"""The scenario library shipped inside the package: the repository's ``scenarios/`` files.

The files are package data (``sim/scenario/data`` links to ``scenarios/``;
``pyproject.toml`` ships them), found with :mod:`importlib.resources`, so the
default scenario, the workshop's presets and a report's baseline are there in
a checkout, an editable install and an installed wheel alike, wherever the
current directory is.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from sim.scenario.errors import ScenarioError, unknown_name
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario

DEFAULT_SCENARIO = "baseline"
_SUFFIX = ".yaml"


def _folder() -> Traversable:
    return files("sim.scenario") / "data"


def packaged_scenarios() -> list[str]:
    """The names of the shipped scenarios (file stems: ``baseline``, ``alignment-aligned``...)."""
    return sorted(entry.name.removesuffix(_SUFFIX) for entry in _folder().iterdir()
                  if entry.name.endswith(_SUFFIX) and entry.is_file())


def _name(name: str) -> str:
    """``name`` without a ``.yaml`` suffix, if it is a shipped scenario.

    Raises:
        ScenarioError: an unknown name (the message lists the shipped ones).
    """
    stem = name.removesuffix(_SUFFIX)
    known = packaged_scenarios()
    if stem not in known:
        raise ScenarioError(unknown_name("packaged scenario", name, known))
    return stem


@contextmanager
def packaged_folder() -> Iterator[Path]:
    """The shipped scenarios as a folder on disk, for as long as the ``with`` block lasts.

    Installed as ordinary files (a checkout, a wheel), this is the package's
    own folder; from a zip archive the files are copied to a temporary one.
    """
    folder = _folder()
    if isinstance(folder, Path):
        yield folder
        return
    with tempfile.TemporaryDirectory(prefix="leadflow-scenarios-") as tmp:
        for entry in folder.iterdir():
            if entry.is_file():
                (Path(tmp) / entry.name).write_bytes(entry.read_bytes())
        yield Path(tmp)


@contextmanager
def packaged_path(name: str) -> Iterator[Path]:
    """The file of the shipped scenario ``name`` (with its siblings, so ``extends`` works).

    Raises:
        ScenarioError: an unknown name (the message lists the shipped ones).
    """
    stem = _name(name)
    with packaged_folder() as folder:
        yield folder / f"{stem}{_SUFFIX}"


def load_packaged(name: str, overrides: list[str] | Mapping[str, Any] | None = None
                  ) -> Scenario:
    """Load the shipped scenario ``name`` (see :func:`sim.scenario.loading.load_scenario`).

    Raises:
        ScenarioError: an unknown name, or overrides that do not apply.
    """
    given = dict(overrides) if isinstance(overrides, Mapping) else overrides
    with packaged_path(name) as path:
        return load_scenario(path, given)


def default_scenario(overrides: list[str] | Mapping[str, Any] | None = None) -> Scenario:
    """The scenario run when none is named: the shipped ``baseline``."""
    return load_packaged(DEFAULT_SCENARIO, overrides)
