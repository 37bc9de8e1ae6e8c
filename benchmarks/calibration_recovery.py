"""Parameter recovery and backtest on the export of a known company, as a table.

Runs the recovery study of :mod:`sim.calibration.recovery` (the baseline
company over 18 months, calibrated from a base with seven values moved away
from the truth, the last three months backtested from the pipeline open at the
cut) and prints, in Markdown, every estimated value with the truth, the
estimate and its 95 % interval, then the backtest's table and coverage.

    python benchmarks/calibration_recovery.py [--backtest-replications 20] [--workers 2]
"""

from __future__ import annotations

import argparse
import time

from sim.calibration.recovery import recovered, run_recovery
from sim.calibration.scenario_file import number


def main() -> None:
    """Calibrate, print the recovery table and the backtest."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backtest-replications", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    start = time.perf_counter()
    truth, calibrated = run_recovery(backtest_replications=args.backtest_replications,
                                     workers=args.workers)
    print(f"Simulated, exported and calibrated in {time.perf_counter() - start:.1f} s "
          "(with the backtest).\n")
    print("| parameter | true | estimate | 95% interval | inside |")
    print("|---|---|---|---|---|")
    rows = recovered(truth, calibrated)
    for r in rows:
        print(f"| `{r.path}` | {number(r.true)} | {number(r.estimate)} | {number(r.low)} to "
              f"{number(r.high)} | {'yes' if r.inside else 'no'} |")
    print(f"\n{sum(r.inside for r in rows)} of {len(rows)} true values inside their 95% "
          "intervals.\n")
    backtest = calibrated.backtest
    assert backtest is not None
    print(f"Backtest ({backtest.method}, {backtest.open_deals} deals open at the cut, "
          f"{backtest.replications} simulations):\n")
    print("| figure | month | observed | predicted | 80% interval | 95% interval |")
    print("|---|---|---|---|---|---|")
    for _, b in backtest.table.iterrows():
        print(f"| {b['figure']} | {b['month']} | {number(b['observed'])} | "
              f"{number(b['predicted'])} | {number(b['p10'])} to {number(b['p90'])} | "
              f"{number(b['p2_5'])} to {number(b['p97_5'])} |")
    cover = backtest.coverage()
    print(f"\nCoverage: {cover['80%']:.0%} inside the 80% intervals, "
          f"{cover['95%']:.0%} inside the 95%.")


if __name__ == "__main__":
    main()
