"""A written scenario keeps its preset names meaningful: change a name, the plan changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from sim.scenario.dump import scenario_data, scenario_yaml
from sim.scenario.errors import ScenarioError
from sim.scenario.library import load_packaged, packaged_scenarios
from sim.scenario.loading import load_scenario
from sim.scenario.presets import ALIGNMENT_STAGES, SALES_PLANS, alignment_stage, sales_plan
from sim.scenario.schema import Scenario


def written(tmp_path: Path, scenario: Scenario) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(scenario_yaml(scenario), encoding="utf-8")
    return path


def edited(path: Path, **changes: Any) -> Path:
    """The written file with dotted keys changed, as a person would edit it."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        node = data
        *parents, last = key.split("__")
        for part in parents:
            node = node[part]
        node[last] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", packaged_scenarios())
def test_every_library_scenario_loads_back_from_its_written_file(tmp_path: Path,
                                                                 name: str) -> None:
    scenario = load_packaged(name)
    assert load_scenario(written(tmp_path, scenario)) == scenario


def test_a_written_file_keeps_preset_names_and_only_the_overridden_fields(
        tmp_path: Path) -> None:
    scenario = Scenario().with_overrides({
        "incentives.sales_plan": "quota_accelerator", "incentives.sales.push_discount": 0.05,
        "alignment.stage": "aligned", "alignment.levers.sla": False, "extends": "base.yaml"})
    data = yaml.safe_load(written(tmp_path, scenario).read_text(encoding="utf-8"))
    assert data["incentives"] == {"sales_plan": "quota_accelerator", "marketing_plan": "pipeline",
                                  "sales": {"push_discount": 0.05}, "marketing": {}}
    assert data["alignment"]["stage"] == "aligned"
    assert data["alignment"]["levers"] == {"sla": False}
    assert "extends" not in data  # a loaded scenario has its base merged in
    assert data == scenario_data(scenario)


def test_changing_the_stage_of_a_written_scenario_changes_the_levers(tmp_path: Path) -> None:
    scenario = load_packaged("baseline").with_overrides({"alignment.levers.sla_hours": 3.0})
    assert scenario.alignment.stage != "integrated"
    path = edited(written(tmp_path, scenario), alignment__stage="integrated")
    levers = load_scenario(path).resolve().alignment.levers
    integrated = alignment_stage("integrated")
    assert levers.model_dump() == {**integrated.model_dump(), "sla_hours": 3.0}
    assert levers.shared_metrics == ALIGNMENT_STAGES["integrated"]["shared_metrics"]
    assert levers.shared_metrics != scenario.resolve().alignment.levers.shared_metrics


def test_changing_the_sales_plan_of_a_written_scenario_changes_the_plan(tmp_path: Path) -> None:
    path = edited(written(tmp_path, load_packaged("baseline")),
                  incentives__sales_plan="quota_accelerator")
    plan = load_scenario(path).resolve().incentives.sales
    assert plan == sales_plan("quota_accelerator")
    assert plan.push_window_days == SALES_PLANS["quota_accelerator"]["push_window_days"] > 0


def test_changing_the_stage_of_a_scenario_written_out_in_full_is_refused(
        tmp_path: Path) -> None:
    # A file with every preset field written out (the report's resolved scenario,
    # or a scenario.yaml of an earlier version): a changed stage would change nothing.
    full = Scenario().resolve().model_dump(mode="json")
    path = tmp_path / "full.yaml"
    path.write_text(yaml.safe_dump(full), encoding="utf-8")
    assert load_scenario(path).resolve() == Scenario().resolve()
    edited(path, alignment__stage="integrated")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    message = str(exc.value)
    assert message.startswith(f"{path}: alignment: alignment.levers repeats every value of "
                              "stage 'defined', so alignment.stage 'integrated' would change "
                              "nothing; delete alignment.levers")
    assert "\n" not in message
    # the same on a --set and on a timeline
    full_again = edited(path, alignment__stage="defined")
    with pytest.raises(ScenarioError,
                       match=r"^--set alignment\.stage: alignment: alignment\.levers"):
        load_scenario(full_again, ["alignment.stage=aligned"])
    timeline = edited(full_again, timeline=[{"day": 30, "set": {"alignment.stage": "aligned"}}])
    with pytest.raises(ScenarioError, match=r"timeline\.0\.set\.alignment\.stage: alignment: "):
        load_scenario(timeline)
