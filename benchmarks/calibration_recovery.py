"""Parameter recovery and backtest on the export of a known company, as a table.

The company is the baseline simulated for 18 months (seed 11) and exported as a
CRM would show it; the calibration starts from a base with seven values moved
away from the truth (the set ``tests/validation/test_calibration_recovery.py``
uses), fits the export and backtests the last three months, rolled forward
from the pipeline open at the cut. Prints, in Markdown, every estimated value
with the truth, the estimate and its 95 % interval, then the backtest's table
and coverage.

    python benchmarks/calibration_recovery.py [--backtest-replications 20] [--workers 2]

Run from the repository's top folder.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import sim
from sim.calibration import calibrate, export_crm
from sim.calibration.scenario_file import number as fmt

BASELINE = Path("scenarios/baseline.yaml")
DAYS = 540.0  # about 18 months of export
WRONG_START = {
    "sales.stages.2.advance_probability": 0.45,
    "sales.stages.1.duration.mean_days": 18.0,
    "sales.qualify_probability": 0.85,
    "leads.segments.1.deal_size_mean": 30_000.0,
    "marketing.organic_leads_per_day": 10.0,
    "leads.segments.0.share": 0.6,
    "leads.segments.1.share": 0.25,
}


def true_value(scenario: sim.Scenario, path: str) -> float:
    """The value at a dotted path of the resolved scenario."""
    node: object = scenario.resolve().model_dump()
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]  # type: ignore[index]
    return float(node)  # type: ignore[arg-type]


def main() -> None:
    """Export, calibrate, print the recovery table and the backtest."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backtest-replications", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    truth = sim.load_scenario(BASELINE).with_overrides({"horizon_days": DAYS + 120.0})
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        result = sim.simulate(truth, seed=11, record_leads=True)
        export_crm(result, folder, scenario=truth, as_of=DAYS)
        base_file = folder / "base.yaml"
        base_file.write_text(f"extends: {BASELINE.resolve()}\nname: wrong-start\n")
        base = sim.load_scenario(base_file).with_overrides(WRONG_START)
        start = time.perf_counter()
        calibrated = calibrate(folder / "leads.csv", folder / "opportunities.csv",
                               folder / "spend.csv", base=base,
                               stage_history=folder / "stage_history.csv", holdout_months=3,
                               backtest_replications=args.backtest_replications, seed=5,
                               draws=100, workers=args.workers)
        seconds = time.perf_counter() - start
    print(f"Calibrated in {seconds:.1f} s (with the backtest).\n")
    print("| parameter | true | estimate | 95% interval | inside |")
    print("|---|---|---|---|---|")
    inside = total = 0
    for e in calibrated.estimates:
        if e.low == e.high:  # recorded, not estimated
            continue
        true = true_value(truth, e.path)
        ok = e.low <= true <= e.high
        inside, total = inside + ok, total + 1
        print(f"| `{e.path}` | {fmt(true)} | {fmt(e.value)} | {fmt(e.low)} to {fmt(e.high)} "
              f"| {'yes' if ok else 'no'} |")
    print(f"\n{inside} of {total} true values inside their 95% intervals.\n")
    backtest = calibrated.backtest
    assert backtest is not None
    print(f"Backtest ({backtest.method}, {backtest.open_deals} deals open at the cut, "
          f"{backtest.replications} simulations):\n")
    print("| figure | month | observed | predicted | 80% interval | 95% interval |")
    print("|---|---|---|---|---|---|")
    for _, r in backtest.table.iterrows():
        print(f"| {r['figure']} | {r['month']} | {fmt(r['observed'])} | {fmt(r['predicted'])} "
              f"| {fmt(r['p10'])} to {fmt(r['p90'])} | {fmt(r['p2_5'])} to {fmt(r['p97_5'])} |")
    cover = backtest.coverage()
    print(f"\nCoverage: {cover['80%']:.0%} inside the 80% intervals, "
          f"{cover['95%']:.0%} inside the 95%.")


if __name__ == "__main__":
    main()
