"""Real, small experiments for the report tests: a comparison with a timeline change, a sweep.

Unlike the synthetic tables of :mod:`report_fixtures`, these run the model
(in this process, a few seconds), so the reports are drawn from the tables
the command line gives them: metrics of every replication, replayed
replications with their weekly series and deals, paired differences.
"""

from __future__ import annotations

from sim import Scenario
from sim.experiments.designs import CompareSpec, OptimizeSpec, Stopping, SweepSpec, parse_vary
from sim.experiments.details import Details, replay_details
from sim.experiments.executors import SerialExecutor
from sim.experiments.experiment import (
    CompareResult,
    OptimizeResult,
    SweepResult,
    run_compare,
    run_optimize,
    run_sweep,
)

# Long names on purpose: the text and the figures must not cut them.
REFERENCE = "alignment-defined-revenue-commission"
SWITCH = "alignment-defined-switch-to-shared-revenue"
HORIZON = 200.0
REPLICATIONS = 3


def short_scenario(name: str, **overrides: object) -> Scenario:
    """The default scenario over 200 days from a 30-day warm-up, three replications."""
    return Scenario().with_overrides({"name": name, "horizon_days": HORIZON,
                                      "warmup_days": 30.0, "replications": REPLICATIONS,
                                      "seed": 17, **overrides})


def switch_compare() -> tuple[CompareResult, Details]:
    """The reference against a switch to a shared revenue plan on day 60, replayed."""
    reference = short_scenario(REFERENCE)
    switch = short_scenario(SWITCH, timeline=[{
        "day": 60.0, "set": {"incentives.sales_plan": "shared_revenue"},
        "note": "switch to a shared revenue target"}])
    spec = CompareSpec.build([reference, switch], stopping=Stopping(REPLICATIONS))
    executor = SerialExecutor()
    result = run_compare(spec, executor)
    return result, replay_details(result, executor)


def reps_sweep(replications: int = REPLICATIONS) -> SweepResult:
    """Contribution over 4, 6 and 8 reps (120 days): a sweep with paired points."""
    base = short_scenario("reps-sweep", horizon_days=120.0)
    spec = SweepSpec.build(base, [parse_vary("sales.reps=4,6,8")],
                           stopping=Stopping(replications, objective="contribution"))
    return run_sweep(spec, SerialExecutor())


def brand_optimize() -> OptimizeResult:
    """The brand share for the most contribution over 60 days: 3 values, one refinement."""
    base = short_scenario("brand", horizon_days=60.0)
    spec = OptimizeSpec.build(base, "marketing.brand_share", 0.0, 1.0, "contribution",
                              stopping=Stopping(REPLICATIONS), points_per_round=3,
                              refinements=1)
    return run_optimize(spec, SerialExecutor())
