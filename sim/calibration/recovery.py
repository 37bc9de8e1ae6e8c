"""Parameter recovery: calibrate on the export of a known company, find its parameters.

The company is the baseline scenario simulated for 18 months and exported as
a CRM would show it; the calibration starts from a base with seven values
moved away from the truth (:data:`WRONG_START`), fits the export and
backtests the last three months. Used by the validation test
(``tests/validation/test_calibration_recovery.py``) and the benchmark that
prints the table (``benchmarks/calibration_recovery.py``).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.calibration.api import CalibrationResult, calibrate
from sim.calibration.export import export_crm
from sim.results.replication import simulate
from sim.scenario.library import packaged_folder
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario

EXPORT_DAYS = 540.0  # about 18 months of export
TRUTH_SEED = 11
# Values moved away from the truth in the base the calibration starts from.
WRONG_START: dict[str, float] = {
    "sales.stages.2.advance_probability": 0.45,
    "sales.stages.1.duration.mean_days": 18.0,
    "sales.qualify_probability": 0.85,
    "leads.segments.1.deal_size_mean": 30_000.0,
    "marketing.organic_leads_per_day": 10.0,
    "leads.segments.0.share": 0.6,
    "leads.segments.1.share": 0.25,
}


@dataclass(frozen=True)
class Recovered:
    """One estimated value against the truth.

    Attributes:
        path: the scenario key.
        true: the true value.
        estimate: the calibration's estimate.
        low: the lower end of its 95 % interval.
        high: the upper end.
    """

    path: str
    true: float
    estimate: float
    low: float
    high: float

    @property
    def inside(self) -> bool:
        """Whether the truth lies inside the interval."""
        return self.low <= self.true <= self.high

    @property
    def distance(self) -> float:
        """How far the truth is from the interval's centre, in half-widths (1: its edge)."""
        half = (self.high - self.low) / 2.0
        return abs(self.true - (self.high + self.low) / 2.0) / half


def true_value(scenario: Scenario, path: str) -> float:
    """The value at a dotted path of the resolved scenario."""
    node: Any = scenario.resolve().model_dump()
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return float(node)


def run_recovery(*, backtest_replications: int = 20, workers: int = 1,
                 draws: int = 100) -> tuple[Scenario, CalibrationResult]:
    """Simulate the known company, export it, calibrate from the wrong start.

    Returns:
        The true scenario and the calibration (with its three-month backtest).
    """
    with packaged_folder() as scenarios:
        baseline = scenarios / "baseline.yaml"
        truth = load_scenario(baseline).with_overrides({"horizon_days": EXPORT_DAYS + 120.0})
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            # Simulated past the export day, so deals open on it show every stage they entered.
            result = simulate(truth, seed=TRUTH_SEED, record_leads=True)
            export_crm(result, folder, scenario=truth, as_of=EXPORT_DAYS)
            base_file = folder / "base.yaml"
            base_file.write_text(f"extends: {baseline.resolve()}\nname: wrong-start\n",
                                 encoding="utf-8")
            base = load_scenario(base_file).with_overrides(WRONG_START)
            calibrated = calibrate(folder / "leads.csv", folder / "opportunities.csv",
                                   folder / "spend.csv", base=base,
                                   stage_history=folder / "stage_history.csv",
                                   holdout_months=3, backtest_replications=backtest_replications,
                                   seed=5, draws=draws, workers=workers)
    return truth, calibrated


def recovered(truth: Scenario, calibrated: CalibrationResult) -> list[Recovered]:
    """Every estimated value (recorded ones left out) against the truth."""
    return [Recovered(e.path, true_value(truth, e.path), e.value, e.low, e.high)
            for e in calibrated.estimates if e.low != e.high]
