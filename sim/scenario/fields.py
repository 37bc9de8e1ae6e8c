"""The building blocks of every scenario section: a frozen model and a documented field.

Every field carries a description and, for a number, its unit, so the schema
is also the reference documentation (``python run.py schema``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


def param(default: Any, description: str, unit: str = "", **constraints: Any) -> Any:
    """A schema field whose description names its unit (shown in JSON Schema).

    Args:
        default: the default value; a :class:`Section` subclass builds its own
            defaults; ``...`` makes the field required.
        description: what the field means, for people.
        unit: the unit of a number (``"days"``, ``"fraction"``, ``"-"`` for none).
        **constraints: pydantic bounds such as ``ge=0, le=1``.
    """
    text = f"{description} Unit: {unit}." if unit else description
    extra: dict[str, Any] | None = {"unit": unit} if unit else None
    if isinstance(default, type):  # a nested section: build its own defaults
        return Field(default_factory=default, description=text, **constraints)
    return Field(default, description=text, json_schema_extra=extra, **constraints)


class Section(BaseModel):
    """Base of every scenario section: frozen, finite numbers, no unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
