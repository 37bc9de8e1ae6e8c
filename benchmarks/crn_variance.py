"""How much common random numbers shrink the variance of paired differences.

For pairs of scenarios that differ in one policy, runs replications of B on
A's random streams (the same seed: common random numbers, CRN) and on
independent streams (another seed), and prints ``Var(A_r - B_r)`` under CRN
divided by the same under independent streams, per metric (below 1 is a
reduction; 0.25 means a CI of the difference half as wide for the same
replications, or a quarter of the replications for the same CI)::

    .venv/bin/python benchmarks/crn_variance.py [--replications 30] [--horizon-days 365]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from sim import load_scenario
from sim.experiments.executors import Execution, Task, available_cores, open_executor

METRICS = ("revenue", "contribution", "deals_won", "sqls", "cycle_days_median")


def main() -> int:
    """Measure and print; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=30)
    parser.add_argument("--horizon-days", type=float, default=365.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    base = load_scenario("scenarios/baseline.yaml").with_overrides(
        {"horizon_days": args.horizon_days, "name": "A"})
    changes = {"sales.reps 8 -> 6": {"sales.reps": 6},
               "brand_share 0.46 -> 0.30": {"marketing.brand_share": 0.30},
               "alignment defined -> aligned": {"alignment.stage": "aligned"}}
    n = args.replications
    print(f"baseline, {args.horizon_days:g} days, {n} replications; "
          "Var(A - B) with CRN / Var(A - B) with independent streams")
    print(f"{'change':32}" + "".join(f"{m[:14]:>16}" for m in METRICS))
    with open_executor(Execution(workers=available_cores())) as executor:
        first = executor.run([Task("A", base, args.seed, r) for r in range(n)])
        for label, change in changes.items():
            other = base.with_overrides({**change, "name": "B"})
            crn = executor.run([Task("B", other, args.seed, r) for r in range(n)])
            ind = executor.run([Task("B", other, args.seed + 1, r) for r in range(n)])
            row = f"{label:32}"
            for metric in METRICS:
                a = np.array([res.metrics[metric] for res in first])
                b = np.array([res.metrics[metric] for res in crn])
                c = np.array([res.metrics[metric] for res in ind])
                ratio = np.nanvar(a - b, ddof=1) / np.nanvar(a - c, ddof=1)
                row += f"{ratio:>16.3f}"
            print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
