"""A discrete-event simulation of B2B leads from marketing spend to won or lost deals.

Public API::

    from sim import load_scenario, simulate
    scenario = load_scenario("scenarios/baseline.yaml")
    result = simulate(scenario, seed=1)
    result.metrics["revenue"], result.timeseries
"""

from sim.loading import ScenarioError, load_scenario
from sim.runner import RunResult, run_replications
from sim.scenario import Scenario
from sim.simulation import SimulationResult, simulate

__all__ = [
    "RunResult",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "load_scenario",
    "run_replications",
    "simulate",
]
