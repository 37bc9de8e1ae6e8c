"""Writing a scenario out so that it loads back to the same scenario, presets by name.

A file the tool writes (a run's ``scenario.yaml``, an experiment's scenarios
and manifest) keeps the preset names (``incentives.sales_plan``,
``incentives.marketing_plan``, ``alignment.stage``) and only the preset fields
the scenario overrides, never every field a preset fills in. Changing a preset
name in such a file therefore changes the plan when it is loaded again. The
values the presets fill in are in the report (:meth:`Scenario.resolve`).
"""

from __future__ import annotations

from typing import Any

import yaml

from sim.scenario.schema import Scenario

# The sections whose fields a preset fills in: only the fields a scenario sets are written.
_OVERRIDE_SECTIONS = (("incentives", "sales"), ("incentives", "marketing"),
                      ("alignment", "levers"))

_HEADER = (
    "# The scenario as run, written by leadflow-sim; it loads back to the same scenario.\n"
    "# Preset fields not listed under incentives.sales, incentives.marketing and\n"
    "# alignment.levers come from incentives.sales_plan, incentives.marketing_plan and\n"
    "# alignment.stage: change a name to change the plan.\n"
)


def scenario_data(scenario: Scenario) -> dict[str, Any]:
    """The scenario as JSON-friendly data: preset names and only the fields it overrides.

    ``extends`` is left out: a loaded scenario has its base merged in already.
    ``Scenario.model_validate(scenario_data(s)) == s`` for a scenario without
    ``extends``.
    """
    data = scenario.model_dump(mode="json", exclude={"extends"})
    for section, fields in _OVERRIDE_SECTIONS:
        overrides = data[section][fields]
        data[section][fields] = {k: v for k, v in overrides.items() if v is not None}
    return data


def scenario_yaml(scenario: Scenario) -> str:
    """The scenario as run, as YAML that loads back to it (see :func:`scenario_data`)."""
    return _HEADER + yaml.safe_dump(scenario_data(scenario), sort_keys=False)
