"""Reading scenario files and ``--set`` overrides, with errors people can act on.

Every problem becomes one :class:`ScenarioError` whose message names the file
(or the ``--set`` option), the key path, what was expected and what was given,
and suggests the closest valid key for a misspelt one. The overrides go
through :func:`sim.scenario.overrides.apply_overrides`, like every other
dotted override.

Files are read as safe YAML (no Python tags), with these rules against input
that would be misread or would exhaust the machine:

- a key given twice in one mapping is refused;
- YAML 1.1's base-60 numbers are text: ``1:30`` is not read as 90, so a
  numeric key given ``1:30`` is refused with one line; a leading zero is not
  octal (``010`` is ten);
- standard merge keys (``<<: *defaults``) work as YAML defines them: the keys
  written beside them win over the merged ones;
- a file is at most :data:`MAX_FILE_BYTES` and must be a regular file
  (``/dev/zero`` or a pipe is refused at once);
- nesting deeper than :data:`MAX_DEPTH` levels, a value that contains itself,
  and aliases that expand to more than :data:`MAX_NODES` values (an "alias
  bomb", also one split between a file and the base it ``extends``) are refused;
- ``extends`` names a ``.yaml`` or ``.yml`` file, and the error about a base
  that is not a scenario never repeats its content.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.scenario.errors import ScenarioError, describe, explain
from sim.scenario.overrides import Source, apply_overrides, changed_paths
from sim.scenario.scale import check_scale
from sim.scenario.schema import Scenario

__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "MAX_NODES", "ScenarioError", "check_timeline",
           "load_scenario", "merge", "parse_set", "read_layers", "read_yaml"]

_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")

# Limits on what a scenario file may make the tool read or build. A real scenario
# is a few kilobytes, a dozen levels deep and a few thousand values with every
# timeline change; these are far above that and far below what hurts.
MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 64
MAX_NODES = 200_000
BASE_SUFFIXES = (".yaml", ".yml")

_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_MERGE_TAG = "tag:yaml.org,2002:merge"
# YAML 1.1 numbers without the base-60 forms (1:30) and without leading-zero octal
# (010): both read a value people did not mean. Binary and hexadecimal stay.
_INT = re.compile(r"""^(?:[-+]?0b[0-1_]+
    |[-+]?[0-9][0-9_]*
    |[-+]?0x[0-9a-fA-F_]+)$""", re.X)
_FLOAT = re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""", re.X)


class _Loader(yaml.SafeLoader):
    """Safe YAML with the rules of the module docstring."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        # Composing is recursive: refuse deep nesting before Python's own limit.
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep",
                    self.peek_event().start_mark)  # type: ignore[no-untyped-call]
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_INT_TAG, _FLOAT_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_INT_TAG, _INT, list("-+0123456789"))
_Loader.add_implicit_resolver(_FLOAT_TAG, _FLOAT, list("-+0123456789."))


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node)).replace("_", "")
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    if digits.startswith(("0b", "0x")):
        return sign * int(digits[2:], 2 if digits[1] == "b" else 16)
    return sign * int(digits)  # decimal, leading zeros and all


def _construct_mapping(loader: _Loader, node: yaml.MappingNode,
                       deep: bool = False) -> dict[Any, Any]:
    """A mapping whose own keys are unique and hashable; merge keys (``<<``) as YAML says."""
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:
            continue
        key = loader.construct_object(key_node, deep=deep)
        try:
            duplicate = key in seen
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a name, not a list or a mapping", key_node.start_mark
            ) from None
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"key '{key}' is given twice", key_node.start_mark
            )
        seen.add(key)
    # The safe loader's own merging: merged keys first, the keys written here win.
    loader.flatten_mapping(node)
    return loader.construct_mapping(node, deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(_INT_TAG, _construct_int)


def _values(data: Any, where: str, limit: int = MAX_NODES) -> int:
    """How many values ``data`` holds with every alias expanded; refuse too many or a cycle.

    Aliases make a tree share branches; each shared branch is counted once per
    place it appears (what validating and copying it costs), in time linear in
    the distinct branches.
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Any) -> int:
        if not isinstance(node, dict | list):
            return 1
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise ScenarioError(f"{where}: a value that contains itself (an alias to an "
                                "enclosing anchor)")
        active.add(key)
        children: Iterator[Any] = (iter([*node.keys(), *node.values()]) if isinstance(node, dict)
                                   else iter(node))
        total = 1
        for child in children:
            total += size(child)
            if total > limit:
                raise ScenarioError(f"{where}: expands to more than {limit:,} values (aliases "
                                    "repeated many times?); write the values out")
        active.discard(key)
        sizes[key] = total
        return total

    return size(data)


def _read_text(path: Path, max_bytes: int) -> str:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such file") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise ScenarioError(f"{path}: is a directory, expected a YAML scenario file")
    if not stat.S_ISREG(info.st_mode):
        raise ScenarioError(f"{path}: is not a regular file (a device or a pipe?); expected a "
                            "YAML scenario file")
    try:
        with path.open("rb") as f:
            raw = f.read(max_bytes + 1)
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(raw) > max_bytes:
        raise ScenarioError(f"{path}: larger than {max_bytes:,} bytes; a scenario file is a "
                            "few kilobytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: is not UTF-8 text; expected a YAML scenario file"
                            ) from None


def _parse(text: str, where: str) -> Any:
    """Safe YAML of the module docstring, every problem as one line naming ``where``."""
    try:
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader: no Python tags
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        if "could not determine a constructor" in problem:
            problem = f"unsafe or unknown YAML tag: {problem}"
        raise ScenarioError(f"{where}{at}: YAML error: {problem}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{where}: YAML error: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise ScenarioError(f"{where}: YAML error: nested too deeply") from None
    except (ValueError, OverflowError) as exc:  # e.g. a number with thousands of digits
        reason = " ".join(str(exc).split(";")[0].split())[:120]
        raise ScenarioError(f"{where}: YAML error: a value cannot be read ({reason})") from None
    _values(data, where)
    return data


def _kind(data: Any) -> str:
    """What a document is, without repeating any of its content."""
    if data is None:
        return "nothing (an empty document)"
    if isinstance(data, list):
        return "a list"
    if isinstance(data, str):
        return "text"
    return "a single value"


def read_yaml(path: Path, *, echo: bool = True, max_bytes: int = MAX_FILE_BYTES
              ) -> dict[str, Any]:
    """Parse a scenario file into a mapping, or raise :class:`ScenarioError`.

    Args:
        path: the file.
        echo: say what the file holds when it is not a mapping (``got 42``);
            ``False`` for a file named by ``extends``, which may not be a
            scenario at all and whose content is not repeated.
        max_bytes: the largest file read.
    """
    data = _parse(_read_text(path, max_bytes), str(path))
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{path}: expected a mapping of scenario keys at the top level, "
            f"got {describe(data) if echo else _kind(data)}"
        )
    return data


def read_layers(path: Path, _chain: tuple[Path, ...] = ()) -> list[tuple[Path, dict[str, Any]]]:
    """A scenario file and the files it ``extends``, base first.

    ``extends: baseline.yaml`` (a path relative to the file) makes a scenario a
    list of overrides of its base; a base may extend another file in turn.
    """
    data = read_yaml(path, echo=not _chain)
    base = data.pop("extends", None)
    if base is None:
        return [(path, data)]
    if not isinstance(base, str) or not base.strip():
        raise ScenarioError(
            f"{path}: extends: expected the file name of a base scenario, got {describe(base)}"
        )
    if not base.strip().lower().endswith(BASE_SUFFIXES):
        raise ScenarioError(f"{path}: extends: expected a scenario file ending in .yaml or "
                            f".yml, got {describe(base)}")
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
    if key == "extends" or key.startswith("extends."):
        raise ScenarioError(f"--set {key}: only a scenario file can extend another; write "
                            "extends: in the file")
    try:
        value = _parse(raw, f"--set {key}") if raw.strip() else ""
    except ScenarioError as exc:
        if "expands to more than" in str(exc) or "contains itself" in str(exc):
            raise
        value = raw  # not YAML: the text as typed (validation says if that is wrong)
    if isinstance(value, str) and value == raw.strip() and _NUMBER.fullmatch(value):
        value = float(value)  # YAML 1.1 reads 1e3 as text; people mean a number
    return key, value


def check_timeline(scenario: Scenario, where: str) -> None:
    """Refuse a timeline change on or after the horizon: it would never take effect.

    Raises:
        ScenarioError: naming ``where``, the change and the horizon.
    """
    for i, change in enumerate(scenario.timeline):
        if change.day >= scenario.horizon_days:
            raise ScenarioError(
                f"{where}: timeline.{i}.day: {change.day:g} is not before the horizon "
                f"({scenario.horizon_days:g} days), so the change would never take effect")


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
    if len(layers) > 1:  # aliases of each file are counted; so is what they make together
        _values(data, str(path))
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
    except RecursionError:
        raise ScenarioError(f"{path}: nested too deeply") from None
    if len(layers) > 1:
        scenario = _moved_from_base(scenario, layers)
    if pairs:
        before = scenario
        scenario = apply_overrides(Scenario, scenario, pairs,
                                   Source("--set", context=str(path)))
        scenario = scenario.moved_from(before, [key for key, _ in pairs])
    named = f"{path} with --set" if pairs else str(path)
    check_timeline(scenario, named)
    check_scale(scenario, named)
    return scenario


def _moved_from_base(scenario: Scenario, layers: list[tuple[Path, dict[str, Any]]]) -> Scenario:
    """A file that extends a base is a move from the base's plan on day 0.

    Records the base's values of the keys the file changes in ``today`` (see
    :meth:`Scenario.moved_from`); a file with ``start: steady_state`` is left as it is.
    """
    if scenario.start != "today":
        return scenario
    data: dict[str, Any] = {}
    for _, layer in layers[:-1]:
        data = merge(data, layer)
    try:
        base = Scenario.model_validate(data)
    except (ValidationError, ScenarioError):
        return scenario  # the base is not a scenario on its own: nothing to move from
    keys = changed_paths(base.model_dump(mode="python"), scenario.model_dump(mode="python"))
    return scenario.moved_from(base, keys)
