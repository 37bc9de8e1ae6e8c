"""Reading scenario files and ``--set`` overrides, with errors people can act on.

Every problem becomes one :class:`ScenarioError` whose message names the file
(or the ``--set`` option), the key path, what was expected and what was given,
and suggests the closest valid key for a misspelt one.
"""

from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sim.scenario import Scenario, set_path


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
            f"got {_describe(data)}"
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
    for key, value in pairs:
        try:
            set_path(data, key, value)
        except (KeyError, IndexError) as exc:
            raise ScenarioError(f"--set {key}={value}: {exc.args[0]}") from None
    set_keys = [key for key, _ in pairs]
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(exc, path, data, set_keys)) from None


def format_validation_error(
    exc: ValidationError, path: Path, data: dict[str, Any], set_keys: list[str] | None = None
) -> str:
    """One line for the first problem (and a count of the others)."""
    errors = exc.errors(include_url=False)
    err = errors[0]
    loc = [str(p) for p in err["loc"]]
    key = ".".join(loc)
    source = str(path)
    for k in set_keys or []:
        if key == k or key.startswith(k + ".") or (k.startswith(key + ".") and key):
            source = f"--set {k}"
    kind = err["type"]
    given = err.get("input")
    if kind == "extra_forbidden":
        message = f"unknown key '{loc[-1]}'"
        close = difflib.get_close_matches(loc[-1], _field_names(loc[:-1]), n=1, cutoff=0.6)
        valid = _field_names(loc[:-1])
        if close:
            message += f"; did you mean '{close[0]}'?"
        elif valid:
            message += f"; valid keys here: {', '.join(valid)}"
    elif kind == "missing":
        message = "required key is missing"
    elif kind == "value_error" and not loc:
        message = str(err["ctx"].get("error", err["msg"])) if "ctx" in err else err["msg"]
        message = message.removeprefix("Value error, ")
    else:
        expected = err["msg"].removeprefix("Value error, ")
        message = f"expected: {expected[0].lower() + expected[1:]}; got {_describe(given)}"
    more = f" (+{len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" \
        if len(errors) > 1 else ""
    return f"{source}: {key + ': ' if key else ''}{message}{more}"


def _describe(value: Any) -> str:
    if value is None:
        return "null (nothing)"
    if isinstance(value, dict):
        return f"a mapping with keys {list(value)[:5]}"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _field_names(loc: list[str]) -> list[str]:
    """Valid keys of the section at ``loc`` in the schema (for suggestions)."""
    model: Any = Scenario
    for part in loc:
        if part.isdigit():
            continue
        field = model.model_fields.get(part) if _is_model(model) else None
        if field is None:
            return []
        model = _unwrap(field.annotation)
    return sorted(model.model_fields) if _is_model(model) else []


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _unwrap(tp: Any) -> Any:
    """The model class inside ``list[X]``, ``X | None`` and the like."""
    origin = typing.get_origin(tp)
    if origin in (list, typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            inner = _unwrap(arg)
            if _is_model(inner):
                return inner
    return tp
