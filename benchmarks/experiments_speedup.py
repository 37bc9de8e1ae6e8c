"""Speed-up of ``sweep --workers 2`` over ``--workers 1`` on a 20-replication sweep.

Runs the same sweep through the command line (``run.py sweep``, a fresh
process each time, as a user would) with one and with two worker processes,
checks that both give byte-identical tables, and prints the wall-clock times
and the speed-up. A measurement, not a test::

    .venv/bin/python benchmarks/experiments_speedup.py
    .venv/bin/python benchmarks/experiments_speedup.py --horizon-days 365 --repeats 3
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def sweep_seconds(workers: int, out: Path, args: argparse.Namespace) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one ``run.py sweep`` with ``workers`` processes.

    The CPU time is that of the run and of its worker processes (children
    that have been waited for count in ``RUSAGE_CHILDREN``): CPU over wall
    time is how many cores the run actually had, which shows when other work
    on the machine holds the speed-up down.
    """
    command = [sys.executable, "run.py", "sweep", str(args.file), "--vary", args.vary,
               "--replications", str(args.replications), "--workers", str(workers),
               "--out", str(out), "--quiet"]
    if args.horizon_days is not None:
        command += ["--horizon-days", str(args.horizon_days)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=REPO, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    """Measure and print; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=REPO / "scenarios" / "baseline.yaml")
    parser.add_argument("--vary", default="marketing.brand_share=0.3,0.6",
                        help="the swept key and values (default: two brand shares)")
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--horizon-days", type=float, default=None,
                        help="simulated days (default: the file's)")
    parser.add_argument("--repeats", type=int, default=2,
                        help="runs per worker count; the fastest counts (less noise)")
    args = parser.parse_args()

    load_before = os.getloadavg()
    times: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            for workers in (1, 2):
                out = Path(tmp) / f"w{workers}-{repeat}"
                times[workers].append(sweep_seconds(workers, out, args))
        tables = ("points.csv", "replications.csv", "summary.csv", "result.json")
        identical = all(
            (Path(tmp) / f"w1-{r}" / name).read_bytes()
            == (Path(tmp) / f"w2-{r}" / name).read_bytes()
            for r in range(args.repeats) for name in tables)
    points = len(args.vary.split("=", 1)[1].split(","))
    print(f"sweep of {args.file.name} over {args.vary}: {points} points x "
          f"{args.replications} replications, horizon "
          f"{args.horizon_days or 'of the file'} days; {os.cpu_count()} cores; "
          f"load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}")
    for workers, values in times.items():
        runs = ", ".join(f"{wall:.1f} s wall / {cpu:.1f} s CPU" for wall, cpu in values)
        print(f"  --workers {workers}: best {min(values)[0]:.1f} s ({runs})")
    best = {w: min(values) for w, values in times.items()}
    print(f"speed-up of --workers 2 over --workers 1: {best[1][0] / best[2][0]:.2f}x "
          "(wall clock, process start and imports included); cores used by the "
          f"fastest --workers 2 run: {best[2][1] / best[2][0]:.2f}")
    print(f"identical tables with 1 and 2 workers: {identical}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
