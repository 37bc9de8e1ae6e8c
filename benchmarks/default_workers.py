"""The default number of workers against one worker (and two), on this machine as it is.

The default (``Execution(workers=None)``, what ``run`` and the experiments use
without ``--workers``) must never make a run slower than one worker: it takes
the idle cores only, never more workers than replications, and stays in one
process while the tasks are too short to repay a pool. Each case runs
``run_replications`` with the default, with one worker and with two,
interleaved so all see the same load; wall seconds as min / median / max and
the median's ratio default / one worker (<= 1: the default is no slower)::

    .venv/bin/python benchmarks/default_workers.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent

from sim import load_scenario, run_replications  # noqa: E402
from sim.experiments.executors import Execution, available_cores, idle_cores  # noqa: E402

# (label, replications, horizon days): a short run, where a pool cannot pay, and a
# longer one, where two idle cores should.
CASES = (("short: 4 x 30 days", 4, 30.0), ("longer: 6 x 365 days", 6, 365.0))
PLANS = (("default", None), ("1 worker", 1), ("2 workers", 2))


def measure(repeats: int) -> list[dict[str, object]]:
    """Wall seconds of every case under every plan, interleaved."""
    base = load_scenario(REPO / "scenarios" / "baseline.yaml")
    rows = []
    for label, replications, days in CASES:
        scenario = base.with_overrides({"horizon_days": days})
        run_replications(scenario, replications=1)  # warm caches, untimed
        times: dict[str, list[float]] = {plan: [] for plan, _ in PLANS}
        for _ in range(repeats):
            for plan, workers in PLANS:
                start = time.perf_counter()
                run_replications(scenario, replications=replications,
                                 execution=Execution(workers=workers).capped(replications))
                times[plan].append(time.perf_counter() - start)
        rows.append({"case": label, "load": os.getloadavg()[0], "idle_cores": idle_cores(),
                     **{plan: sorted(t) for plan, t in times.items()}})
    return rows


def table(rows: list[dict[str, object]]) -> str:
    """The cases side by side."""
    lines = [f"{available_cores()} cores; wall s, min / median / max",
             f"{'case':24}{'load':>6}{'idle':>6}" + "".join(f"{p:>22}" for p, _ in PLANS)
             + f"{'default / 1 worker':>20}"]
    for row in rows:
        cells = ""
        for plan, _ in PLANS:
            t = row[plan]
            assert isinstance(t, list)
            cells += f"{min(t):>8.2f} /{statistics.median(t):>5.2f} /{max(t):>5.2f}"
        default, one = (statistics.median(row[p]) for p in ("default", "1 worker"))  # type: ignore[arg-type]
        lines.append(f"{row['case']:24}{row['load']:>6.2f}{row['idle_cores']:>6}{cells}"
                     f"{default / one:>19.2f}x")
    return "\n".join(lines)


def main() -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(table(measure(args.repeats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
