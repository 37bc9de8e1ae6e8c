"""A discrete-event simulation of B2B leads from marketing spend to won or lost deals.

The package is cut in layers, each a subpackage that imports only the layers
below it (``docs/ARCHITECTURE.md``; checked by ``lint-imports``)::

    apps         command line and workshop
    studies      calibration and library tables built from many runs
    report       formatting, tables, figures, HTML pages
    experiments  replications, executors, compare / sweep / optimize, statistics
    results      the metric catalog and what one replication measured
    model        pure mechanisms, random variates and the SimPy funnel
    scenario     the validated scenario: schema, presets, loading, overrides

Public API::

    from sim import load_scenario, simulate
    scenario = load_scenario("scenarios/baseline.yaml")
    result = simulate(scenario, seed=1)
    result.metrics["revenue"], result.timeseries

The names below are imported on first use, so ``import sim`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.experiments.runner import RunResult, run_replications
    from sim.model.opening import OpenDeal, OpeningPipeline
    from sim.results.replication import SimulationResult, simulate
    from sim.scenario.loading import ScenarioError, load_scenario
    from sim.scenario.schema import Scenario

_EXPORTS = {
    "RunResult": "sim.experiments.runner",
    "run_replications": "sim.experiments.runner",
    "OpenDeal": "sim.model.opening",
    "OpeningPipeline": "sim.model.opening",
    "SimulationResult": "sim.results.replication",
    "simulate": "sim.results.replication",
    "ScenarioError": "sim.scenario.loading",
    "load_scenario": "sim.scenario.loading",
    "Scenario": "sim.scenario.schema",
}

__all__ = [
    "OpenDeal",
    "OpeningPipeline",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "load_scenario",
    "run_replications",
    "simulate",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its layer on first use (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
