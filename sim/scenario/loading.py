"""Reading scenario files and ``--set`` overrides, with errors people can act on.

Every problem becomes one :class:`ScenarioError` whose message names the file
(or the ``--set`` option), the key path, what was expected and what was given,
and suggests the closest valid key for a misspelt one. The overrides go
through :func:`sim.scenario.overrides.apply_overrides`, like every other
dotted override.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.scenario.errors import ScenarioError, describe, explain
from sim.scenario.overrides import Source, apply_overrides
from sim.scenario.schema import Scenario

__all__ = ["ScenarioError", "load_scenario", "merge", "parse_set", "read_layers", "read_yaml"]

_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


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


def read_layers(path: Path, _chain: tuple[Path, ...] = ()) -> list[tuple[Path, dict[str, Any]]]:
    """A scenario file and the files it ``extends``, base first.

    ``extends: baseline.yaml`` (a path relative to the file) makes a scenario a
    list of overrides of its base; a base may extend another file in turn.
    """
    data = read_yaml(path)
    base = data.pop("extends", None)
    if base is None:
        return [(path, data)]
    if not isinstance(base, str) or not base.strip():
        raise ScenarioError(
            f"{path}: extends: expected the file name of a base scenario, got {describe(base)}"
        )
    base_path = path.parent / base
    chain = (*_chain, path.resolve())
    if base_path.resolve() in chain:
        names = " -> ".join(p.name for p in (*chain, base_path))
        raise ScenarioError(f"{path}: extends: a cycle of base files ({names})")
    if not base_path.is_file():
        raise ScenarioError(f"{path}: extends: no such file {base_path}")
    return [*read_layers(base_path, chain), (path, data)]


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge mappings: sections merge key by key, any other value replaces."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def _origin(layers: list[tuple[Path, dict[str, Any]]], key: str) -> Path:
    """The last file in an ``extends`` chain that sets ``key`` (or a section of it)."""
    parts = [p for p in key.split(".") if p]
    path: Path
    for path, data in reversed(layers):
        node: Any = data
        for part in parts:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                break
        else:
            return path
    return layers[-1][0]


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
    """Read, override and validate a scenario file (following ``extends``).

    Args:
        path: the YAML file.
        overrides: ``["sales.reps=8", ...]`` as given to ``--set``, or a mapping
            of dotted paths to values.

    Raises:
        ScenarioError: with one line naming the file, key, expectation and value.
    """
    path = Path(path)
    layers = read_layers(path)
    data: dict[str, Any] = {}
    for _, layer in layers:
        data = merge(data, layer)
    pairs = (
        list(overrides.items()) if isinstance(overrides, dict)
        else [parse_set(o) for o in overrides or []]
    )
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        key, message = explain(exc, Scenario)
        where = _origin(layers, key)
        raise ScenarioError(f"{where}: {key + ': ' if key else ''}{message}") from None
    if not pairs:
        return scenario
    return apply_overrides(Scenario, scenario, pairs, Source("--set", context=str(path)))
