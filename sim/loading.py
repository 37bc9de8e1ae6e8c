"""Reading scenario files and ``--set`` overrides, with errors people can act on.

Every problem becomes one :class:`ScenarioError` whose message names the file
(or the ``--set`` option), the key path, what was expected and what was given,
and suggests the closest valid key for a misspelt one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.errors import describe, explain
from sim.scenario import Scenario, set_path

_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


class ScenarioError(Exception):
    """A scenario that cannot be used; the message is one line for people."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe YAML (no Python tags) that refuses a key given twice in one mapping."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode,
                       deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key '{key}' is given twice", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def read_yaml(path: Path) -> dict[str, Any]:
    """Parse a scenario file into a mapping, or raise :class:`ScenarioError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ScenarioError(f"{path}: is a directory, expected a YAML scenario file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot be read ({exc})") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        if "could not determine a constructor" in problem:
            problem = f"unsafe or unknown YAML tag: {problem}"
        raise ScenarioError(f"{path}{where}: YAML error: {problem}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: YAML error: {' '.join(str(exc).split())}") from None
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{path}: expected a mapping of scenario keys at the top level, "
            f"got {describe(data)}"
        )
    return data


def parse_set(option: str) -> tuple[str, Any]:
    """Split ``KEY=VALUE`` (VALUE read as a YAML scalar or flow value)."""
    key, sep, raw = option.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError(f"--set {option}: expected KEY=VALUE, e.g. sales.reps=8")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    if isinstance(value, str) and value == raw.strip() and _NUMBER.fullmatch(value):
        value = float(value)  # YAML 1.1 reads 1e3 as text; people mean a number
    return key, value


def load_scenario(
    path: str | Path, overrides: list[str] | dict[str, Any] | None = None
) -> Scenario:
    """Read, override and validate a scenario file.

    Args:
        path: the YAML file.
        overrides: ``["sales.reps=8", ...]`` as given to ``--set``, or a mapping
            of dotted paths to values.

    Raises:
        ScenarioError: with one line naming the file, key, expectation and value.
    """
    path = Path(path)
    data = read_yaml(path)
    pairs = (
        list(overrides.items()) if isinstance(overrides, dict)
        else [parse_set(o) for o in overrides or []]
    )
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(exc, path)) from None
    if not pairs:
        return scenario
    # Overrides apply to the complete scenario, so they can reach into sections
    # and lists the file leaves to their defaults (sales.stages.0...).
    full = scenario.model_dump(mode="python")
    for key, value in pairs:
        try:
            set_path(full, key, value)
        except (KeyError, IndexError) as exc:
            raise ScenarioError(f"--set {key}={value}: {exc.args[0]}") from None
    set_keys = [key for key, _ in pairs]
    try:
        return Scenario.model_validate(full)
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(exc, path, set_keys)) from None


def format_validation_error(
    exc: ValidationError, path: Path, set_keys: list[str] | None = None
) -> str:
    """One line: where (file or ``--set`` option), which key, what is wrong."""
    key, message = explain(exc, Scenario)
    for k in set_keys or []:
        if key == k:
            return f"--set {k}: {message}"
        if key.startswith(k + ".") or (key and k.startswith(key + ".")):
            return f"--set {k}: {key}: {message}"
    source = f"{path} with --set {', '.join(set_keys)}" if set_keys else str(path)
    return f"{source}: {key + ': ' if key else ''}{message}"
