"""Dotted overrides (``sales.reps=8``): one way to apply them, one list of keys that may not change.

Three places change a scenario by dotted key paths: ``--set`` on the command
line, ``--vary`` and ``--param`` of an experiment, and the ``set`` of a
timeline change. All go through :func:`apply_overrides`, so they accept the
same paths and their errors read alike: one line naming the source (the
option, or the place in the file), the key path, what was expected and what
was given, with the closest valid key for a misspelt one.

:data:`FIXED_KEYS` is the one list of keys that may not change, with where
each may not: on a timeline (the key fixes the run's structure) or between
the points of an experiment (the key is common to every point, which is what
makes the comparison fair).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from sim.scenario.errors import ScenarioError, explain

Scope = Literal["timeline", "experiment"]

_TIMELINE: frozenset[Scope] = frozenset({"timeline"})
_BOTH: frozenset[Scope] = frozenset({"timeline", "experiment"})

# Each key (or section: its keys too) and where it may not change.
FIXED_KEYS: MappingProxyType[str, frozenset[Scope]] = MappingProxyType(
    {
        "extends": _TIMELINE,
        "name": _BOTH,
        "description": _BOTH,
        "horizon_days": _TIMELINE,
        "warmup_days": _TIMELINE,
        "seed": _BOTH,
        "replications": _BOTH,
        "record_leads": _BOTH,
        "neutral": _TIMELINE,
        "timeline": _TIMELINE,
        "start": _TIMELINE,
        "today": _TIMELINE,
        "sales.slots_per_rep": _TIMELINE,
        "sales.period_days": _TIMELINE,
        "leads.segments": _TIMELINE,
    }
)

# Keys whose value on day 0 is where the company starts, never a move from today's
# plan: ``--set sales.reps=12`` is a team of twelve, not four hires (hires are planned on
# the timeline, see sim.model.capacity).
STARTING_KEYS: frozenset[str] = frozenset({"sales.reps"})

WHY_FIXED: MappingProxyType[Scope, str] = MappingProxyType(
    {
        "timeline": "cannot change during a run (it fixes the run's structure); set it at the "
        "top of the file",
        "experiment": "cannot be varied; it is the same for every point of an experiment (use "
        "--seed, --replications)",
    }
)

Overrides = Mapping[str, Any] | Sequence[tuple[str, Any]]
_M = TypeVar("_M", bound=BaseModel)


def fixed_keys(scope: Scope) -> tuple[str, ...]:
    """The keys (and sections) that may not change in ``scope``."""
    return tuple(key for key, scopes in FIXED_KEYS.items() if scope in scopes)


def fixed_key_of(path: str, scope: Scope) -> str | None:
    """The fixed key that ``path`` is or lies under in ``scope`` (``None``: it may change)."""
    for key in fixed_keys(scope):
        if path == key or path.startswith(key + "."):
            return key
    return None


@dataclass(frozen=True)
class Source:
    """Where overrides come from, as messages name it.

    Attributes:
        name: the option (``--set``, ``--vary``) or the place in a file
            (``timeline.0.set``).
        in_file: whether ``name`` is a place in a file: a key is then joined
            to it with a dot (``timeline.0.set.sales.reps``), not a space.
        context: what a problem outside the overridden keys is blamed on,
            besides the overrides (the scenario file: ``base.yaml with --set
            sales.reps``).
    """

    name: str
    in_file: bool = False
    context: str | None = None

    def at(self, key: str) -> str:
        """The source and one key: ``--set sales.reps`` or ``timeline.0.set.sales.reps``."""
        return f"{self.name}.{key}" if self.in_file else f"{self.name} {key}"

    def of_all(self, pairs: Sequence[tuple[str, Any]]) -> str:
        """The source and every override, for a problem no single key explains."""
        if self.in_file:
            return self.name
        if self.context is not None:
            return f"{self.context} with {self.name} {', '.join(k for k, _ in pairs)}"
        return f"{self.name} {', '.join(f'{k}={show(v)}' for k, v in pairs)}"


def show(value: Any) -> str:
    """A value as people typed it: text as is, anything else as JSON (``true``, ``[1, 2]``)."""
    return value if isinstance(value, str) else json.dumps(value, default=str)


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``data[a][b][0][c] = value`` for the dotted path ``a.b.0.c``, in place.

    Missing mapping keys are created (validation then rejects unknown ones with
    a suggestion); list items must exist. The value is copied.

    Raises:
        KeyError: a step goes through a value that is not a mapping or list.
        IndexError: a list index is out of range.
    """
    parts = path.split(".")
    if not path or any(p == "" for p in parts):
        raise KeyError(f"'{path}' is not a dotted key path such as sales.reps")
    node: Any = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        where = ".".join(parts[:depth]) or "the top level"
        if isinstance(node, list):
            if not part.isdigit():
                raise KeyError(f"{where} is a list: expected an index, got '{part}'")
            index = int(part)
            if index >= len(node):
                raise IndexError(f"{where} has {len(node)} items, no index {index}")
            if last:
                node[index] = copy.deepcopy(value)
            else:
                node = node[index]
        elif isinstance(node, dict):
            if last:
                node[part] = copy.deepcopy(value)
            else:
                if node.get(part) is None:
                    node[part] = {}
                node = node[part]
        else:
            raise KeyError(f"{where} is a value, not a section: cannot set '{part}' under it")


def get_path(data: Mapping[str, Any], path: str) -> Any:
    """The value at the dotted path ``a.b.0.c`` of nested mappings and lists.

    Raises:
        KeyError: no such key (or a step through a value).
        IndexError: a list index is out of range.
    """
    node: Any = data
    for part in path.split("."):
        if isinstance(node, list) and part.isdigit():
            node = node[int(part)]
        elif isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            raise KeyError(f"no key '{part}' at {path}")
    return node


def overridden(data: Mapping[str, Any], overrides: Overrides) -> dict[str, Any]:
    """A deep copy of ``data`` with each dotted override set, in order (the last wins).

    Raises:
        KeyError, IndexError: as :func:`set_path`.
    """
    out = copy.deepcopy(dict(data))
    for path, value in _pairs(overrides):
        set_path(out, path, value)
    return out


def apply_overrides(model: type[_M], base: BaseModel | Mapping[str, Any], overrides: Overrides,
                    source: Source, *, scope: Scope | None = None) -> _M:
    """``base`` with the dotted ``overrides`` set, validated as ``model``.

    The overrides reach into the complete scenario (``base`` with its
    defaults), so they can change a section or list item the file leaves out
    (``sales.stages.0.advance_probability``).

    Args:
        model: the schema to validate against (:class:`~sim.scenario.schema.Scenario`).
        base: the scenario to change, or its complete ``model_dump``.
        overrides: dotted key paths and values (pairs may repeat a key: the last wins).
        source: where the overrides come from, for messages.
        scope: refuse the keys :data:`FIXED_KEYS` fixes in this scope.

    Raises:
        ScenarioError: one line naming the source, the key, what was expected
            and what was given (with the closest valid key for a misspelt one).
    """
    pairs = _pairs(overrides)
    for path, _ in pairs:
        if path == "extends" or path.startswith("extends."):
            # ``extends`` is read when a file is loaded; set anywhere else it would be
            # accepted and then ignored.
            raise ScenarioError(f"{source.at(path)}: only a scenario file can extend another; "
                                "write extends: in the file")
    if scope is not None:
        for path, _ in pairs:
            if fixed_key_of(path, scope) is not None:
                raise ScenarioError(f"{source.at(path)}: {WHY_FIXED[scope]}")
    changed = copy.deepcopy(
        base.model_dump(mode="python") if isinstance(base, BaseModel) else dict(base))
    for path, value in pairs:
        try:
            set_path(changed, path, value)
        except (KeyError, IndexError) as exc:
            where = source.at(path) if source.in_file else f"{source.at(path)}={show(value)}"
            raise ScenarioError(f"{where}: {exc.args[0]}") from None
    try:
        return model.model_validate(changed)
    except ValidationError as exc:
        raise ScenarioError(validation_message(exc, model, source, pairs)) from None


def validation_message(exc: ValidationError, model: type[BaseModel], source: Source,
                       pairs: Sequence[tuple[str, Any]]) -> str:
    """One line for a validation error after overrides: the override it concerns, if any."""
    where, message = explain(exc, model)
    for path, _ in pairs:
        if where == path:
            return f"{source.at(path)}: {message}"
        if where.startswith(path + ".") or (where and path.startswith(where + ".")):
            return f"{source.at(path)}: {where}: {message}"
    return f"{source.of_all(pairs)}: {where + ': ' if where else ''}{message}"


def _pairs(overrides: Overrides) -> list[tuple[str, Any]]:
    return list(overrides.items()) if isinstance(overrides, Mapping) else list(overrides)



def changed_paths(before: Mapping[str, Any], after: Mapping[str, Any], prefix: str = ""
                  ) -> list[str]:
    """The dotted paths whose values differ between two scenario dumps.

    Sections are compared key by key; a list (stages, segments) is one value.
    """
    out: list[str] = []
    for key in sorted(set(before) | set(after)):
        path = f"{prefix}{key}"
        a, b = before.get(key), after.get(key)
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            out.extend(changed_paths(a, b, path + "."))
        elif a != b:
            out.append(path)
    return out
