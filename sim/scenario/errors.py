"""The scenario layer's error, and schema validation errors as one line a person can act on."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message is one line for people.

    It is a :class:`ValueError` so that a rule checked inside the schema (a
    timeline change, a preset name) becomes a validation error of the key it
    concerns.
    """


def unknown_name(kind: str, name: str, choices: Sequence[str]) -> str:
    """``unknown sales plan 'quota'; choose one of: ...``, with the closest name if one is close."""
    message = f"unknown {kind} {name!r}; choose one of: {', '.join(choices)}"
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f"{message}; did you mean '{close[0]}'?" if close else message


def explain(exc: ValidationError, model: type[BaseModel]) -> tuple[str, str]:
    """The key path of the first problem and what is wrong with it.

    Unknown keys get the closest valid key as a suggestion (or the list of
    valid keys); other errors say what was expected and what was given. More
    problems are counted at the end.
    """
    errors = exc.errors(include_url=False)
    err = errors[0]
    loc = [str(p) for p in err["loc"]]
    kind = err["type"]
    if kind == "extra_forbidden":
        valid = _field_names(model, loc[:-1])
        message = f"unknown key '{loc[-1]}'"
        close = difflib.get_close_matches(loc[-1], valid, n=1, cutoff=0.6)
        if close:
            message += f"; did you mean '{close[0]}'?"
        elif valid:
            message += f"; valid keys here: {', '.join(valid)}"
    elif kind == "missing":
        message = "required key is missing"
    elif kind == "value_error":  # a rule across fields: its own words say it all
        message = str(err.get("ctx", {}).get("error", err["msg"])).removeprefix("Value error, ")
    else:
        message = f"expected {_expectation(err['msg'])}; got {describe(err.get('input'))}"
    if len(errors) > 1:
        message += f" (+{len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return ".".join(loc), message


def _expectation(msg: str) -> str:
    """Pydantic's "Input should be greater than 0" as "a value greater than 0"."""
    text = msg.removeprefix("Value error, ").removeprefix("Input should be ")
    if text.startswith(("greater", "less")):
        text = "a value " + text
    return text[0].lower() + text[1:] if text else msg


def describe(value: Any) -> str:
    """A short description of a value a user gave."""
    if value is None:
        return "null (nothing)"
    if isinstance(value, dict):
        return f"a mapping with keys {list(value)[:5]}"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _field_names(model: type[BaseModel], loc: list[str]) -> list[str]:
    """Valid keys of the section at ``loc`` (for suggestions)."""
    node: Any = model
    for part in loc:
        if part.isdigit():
            continue
        field = node.model_fields.get(part) if _is_model(node) else None
        if field is None:
            return []
        node = _unwrap(field.annotation)
    return sorted(node.model_fields) if _is_model(node) else []


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _unwrap(tp: Any) -> Any:
    """The model class inside ``list[X]``, ``X | None`` and the like."""
    if typing.get_origin(tp) in (list, typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            inner = _unwrap(arg)
            if _is_model(inner):
                return inner
    return tp
