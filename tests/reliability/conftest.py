"""Fixtures of the reliability tier: one tiny run, reused where the simulation is not the point."""

from __future__ import annotations

import dataclasses
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

    monkeypatch.setattr(runner, "run_replications", fake)
    return fake
