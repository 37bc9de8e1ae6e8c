"""Presets as data, looked up by name: every preset is a valid resolved section."""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

import pytest

from sim.scenario.errors import ScenarioError
from sim.scenario.plans import AlignmentLevers, MarketingPlan, SalesPlan
from sim.scenario.presets import (
    ALIGNMENT_STAGES,
    MARKETING_PLANS,
    SALES_PLANS,
    AlignmentStage,
    MarketingPlanName,
    SalesPlanName,
    alignment_stage,
    marketing_plan,
    sales_plan,
)

LOOKUPS: list[tuple[Callable[[str], Any], Any, Any, type[Any]]] = [
    (sales_plan, SALES_PLANS, SalesPlanName, SalesPlan),
    (marketing_plan, MARKETING_PLANS, MarketingPlanName, MarketingPlan),
    (alignment_stage, ALIGNMENT_STAGES, AlignmentStage, AlignmentLevers),
]


@pytest.mark.parametrize(("lookup", "table", "names", "model"), LOOKUPS,
                         ids=["sales", "marketing", "alignment"])
def test_every_preset_is_found_by_name_as_its_resolved_section(
        lookup: Callable[[str], Any], table: Any, names: Any, model: type[Any]) -> None:
    # The names the schema accepts are exactly the presets there are.
    assert list(typing.get_args(names)) == list(table)
    for name, values in table.items():
        preset = lookup(name)
        assert isinstance(preset, model)
        assert preset.model_dump() == dict(values)


@pytest.mark.parametrize(
    ("lookup", "name", "expected"),
    [
        (sales_plan, "quota",
         "unknown sales plan 'quota'; choose one of: revenue_commission, quota_accelerator, "
         "shared_revenue"),
        (sales_plan, "quota_acelerator",
         "unknown sales plan 'quota_acelerator'; choose one of: revenue_commission, "
         "quota_accelerator, shared_revenue; did you mean 'quota_accelerator'?"),
        (marketing_plan, "mql", "unknown marketing plan 'mql'; choose one of: mql_volume, "
         "pipeline, revenue"),
        (alignment_stage, "married", "unknown alignment stage 'married'; choose one of: "
         "undefined, defined, aligned, integrated"),
    ],
)
def test_an_unknown_name_is_one_line_that_lists_the_choices(
        lookup: Callable[[str], Any], name: str, expected: str) -> None:
    with pytest.raises(ScenarioError) as exc:
        lookup(name)
    assert str(exc.value) == expected


def test_presets_are_read_only() -> None:
    with pytest.raises(TypeError):
        SALES_PLANS["quota_accelerator"]["push_discount"] = 0.0  # type: ignore[index]
    with pytest.raises(TypeError):
        ALIGNMENT_STAGES["new"] = ALIGNMENT_STAGES["defined"]  # type: ignore[index]
