"""Fixtures of the reliability tier: one tiny run, reused where the simulation is not the point."""

from __future__ import annotations

import dataclasses
import importlib
import sys
from collections.abc import Callable
from typing import Any

import pytest
from reliability_helpers import TINY

from sim.experiments import runner
from sim.experiments.runner import RunResult
from sim.scenario.schema import Scenario


@pytest.fixture(scope="session")
def tiny_run() -> RunResult:
    """Two replications of the tiny scenario, with per-lead records (run once)."""
    import yaml

    scenario = Scenario.model_validate({**yaml.safe_load(TINY), "record_leads": True})
    return runner.run_replications(scenario)


@pytest.fixture
def instant_runs(monkeypatch: pytest.MonkeyPatch, tiny_run: RunResult
                 ) -> Callable[..., RunResult]:
    """Make ``run`` return the tiny run at once, as the scenario it was asked for.

    The tables are the tiny run's; the scenario (its name, its ``record_leads``)
    is the one the command loaded, which is what names and writes the folder.
    """
    def fake(scenario: Scenario, *args: Any, **kwargs: Any) -> RunResult:
        return dataclasses.replace(tiny_run, scenario=scenario,
                                   leads=tiny_run.leads if scenario.record_leads else None)

    # Every module that holds the function under its own name, patched and restored
    # with it. A module first imported during the test would otherwise bind the fake
    # for the rest of the process (a compare's replay in a later test ran the tiny
    # run): import those before patching.
    importlib.import_module("sim.experiments.details")
    real = runner.run_replications
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] == "sim" and getattr(module, "run_replications", None) is real:
            monkeypatch.setattr(module, "run_replications", fake)
    return fake
