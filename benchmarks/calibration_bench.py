"""Benchmark: calibrating a 10,000-lead CRM export (target: under 5 minutes on 2 cores).

Simulates the baseline company long enough for about 10,000 leads, exports it,
then times ``calibrate`` on the files: reading, direct estimates, the
simulation fit, and (with ``--holdout-months``) the backtest.

    python benchmarks/calibration_bench.py [--leads 10000] [--holdout-months 3]
        [--replications 20] [--workers 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import sim
from sim.calibration import calibrate, export_crm

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    """Export, calibrate, print the wall times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--holdout-months", type=int, default=3)
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    base = ROOT / "scenarios" / "baseline.yaml"
    scenario = sim.load_scenario(base)
    # The baseline makes about 26.5 leads a day.
    days = round(args.leads / 26.5)
    truth = scenario.with_overrides({"horizon_days": days + 120})
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        result = sim.simulate(truth, seed=1, record_leads=True)
        export_crm(result, folder, scenario=truth, as_of=days)
        made = time.perf_counter() - start
        f = Path(folder)
        start = time.perf_counter()
        calibrated = calibrate(f / "leads.csv", f / "opportunities.csv", f / "spend.csv",
                               base=base, stage_history=f / "stage_history.csv",
                               holdout_months=args.holdout_months,
                               backtest_replications=args.replications, workers=args.workers)
        took = time.perf_counter() - start
        written = calibrated.write(f / "company.yaml")
        sim.load_scenario(written["scenario"])
    print(f"export of {len(calibrated.tables.leads):,} leads over {days} days: {made:.1f} s")
    print(f"calibrate (fit: {calibrated.fit.iterations} iterations"
          + (f"; backtest: {args.holdout_months} months x {args.replications} simulations, "
             f"{args.workers} workers" if args.holdout_months else "") + f"): {took:.1f} s")
    if calibrated.backtest is not None:
        cover = calibrated.backtest.coverage()
        print(f"backtest coverage: {cover['80%']:.0%} inside 80%, {cover['95%']:.0%} inside 95%")
    print(f"target: under 300 s -> {'met' if took < 300 else 'MISSED'}")


if __name__ == "__main__":
    main()
