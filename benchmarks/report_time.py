"""Wall time of a one-replication 30-day run with its report, against the 1.5 s target.

The whole command in a fresh process, as a person runs it: interpreter start,
imports, one replication, every table and figure, the HTML page::

    python run.py run scenarios/baseline.yaml -n 1 --horizon-days 30 --out DIR

Each checkout given is timed in turn, interleaved (this tree, the other, this
tree, ...) so both see the same load on a shared machine; wall and CPU seconds
(the child's user + system time) are printed as min / median / max, with the
median's ratio to the target. ``--svg`` adds that option to this tree's command. To
compare with an earlier version, export it
to a folder first (reading git, changing nothing)::

    mkdir -p /tmp/before && git archive HEAD | tar -x -C /tmp/before
    .venv/bin/python benchmarks/report_time.py --before /tmp/before [--repeats 5] [--svg]

The command forks its drawing process (:mod:`sim.report.drawer`) only when
another core is idle as it starts: on a machine busy with other work the
times are those of drawing after the run, in this process and a fork.

``--drawing`` also times, in this process, the report alone (tables, figures,
workbook, page) drawn by one process and by two (this one and a fork),
interleaved: whether splitting the figures pays on this machine now.

``targets.py`` (``make bench``) calls :func:`measure` for this tree only.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 1.5
COMMAND = ("run", "scenarios/baseline.yaml", "-n", "1", "--horizon-days", "30", "--quiet")


def _spread(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def time_once(tree: Path, extra: tuple[str, ...] = ()) -> tuple[float, float]:
    """(wall, CPU) seconds of the command run in ``tree`` (its own ``run.py``), once."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "run.py", *COMMAND, *extra, "--out", str(Path(tmp) / "run")]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        # The tree's own package first: the venv may have another checkout installed.
        env = {**os.environ, "PYTHONPATH": str(tree)}
        subprocess.run(command, cwd=tree, check=True, env=env)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(repeats: int, trees: dict[str, Path] | None = None,
            extra: dict[str, tuple[str, ...]] | None = None) -> dict[str, Any]:
    """Time the command ``repeats`` times in each tree, interleaved.

    Args:
        repeats: timed runs per tree (one untimed run of each first warms the
            disk cache).
        trees: label -> checkout; by default this one only, as ``"now"``.
        extra: label -> more options for that tree's command (``("--svg",)``).

    Returns:
        Per label: ``command``, ``wall`` and ``cpu`` spreads (min, median,
        max), and ``ratio``, the median wall time over the target (<= 1 meets it).
    """
    trees = trees or {"now": REPO}
    extra = extra or {}
    for label, tree in trees.items():
        time_once(tree, extra.get(label, ()))
    walls: dict[str, list[float]] = {label: [] for label in trees}
    cpus: dict[str, list[float]] = {label: [] for label in trees}
    for _ in range(repeats):
        for label, tree in trees.items():
            wall, cpu = time_once(tree, extra.get(label, ()))
            walls[label].append(wall)
            cpus[label].append(cpu)
    out: dict[str, Any] = {"target_seconds": TARGET_SECONDS, "repeats": repeats,
                           "load_average": os.getloadavg()[0]}
    for label in trees:
        wall = _spread(walls[label])
        out[label] = {"command": "run.py " + " ".join((*COMMAND, *extra.get(label, ()))),
                      "wall": wall, "cpu": _spread(cpus[label]),
                      "ratio": wall["median"] / TARGET_SECONDS}
    return out


def drawing(repeats: int) -> dict[int, dict[str, float]]:
    """Wall seconds of the report alone, drawn by 1 and by 2 processes, interleaved."""
    sys.path.insert(0, str(REPO))
    from sim import load_scenario, run_replications
    from sim.report.run_report import write_run_report

    scenario = load_scenario(REPO / "scenarios" / "baseline.yaml").with_overrides(
        {"horizon_days": 30})
    run = run_replications(scenario, replications=1)
    times: dict[int, list[float]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory() as tmp:
        write_run_report(run, Path(tmp) / "warm", workers=1)  # untimed: lazy imports, caches
        for k in range(repeats):
            for workers in times:
                start = time.perf_counter()
                write_run_report(run, Path(tmp) / f"{workers}-{k}", workers=workers)
                times[workers].append(time.perf_counter() - start)
    return {workers: _spread(t) for workers, t in times.items()}


def table(results: dict[str, Any], labels: list[str]) -> str:
    """The measurements side by side, as fixed-width text."""
    lines = [f"{results['repeats']} runs each, interleaved; load average at the end "
             f"{results['load_average']:.2f}",
             *(f"{label}: {results[label]['command']}" for label in labels),
             f"{'':8}{'wall s (min / median / max)':>30}{'CPU s (min / median / max)':>30}"
             f"{'median / 1.5 s':>16}"]
    for label in labels:
        r = results[label]
        w, c = r["wall"], r["cpu"]
        lines.append(f"{label:8}{w['min']:>12.2f} /{w['median']:>6.2f} /{w['max']:>6.2f}"
                     f"{c['min']:>12.2f} /{c['median']:>6.2f} /{c['max']:>6.2f}"
                     f"{r['ratio']:>15.2f}x  {'met' if r['ratio'] <= 1 else 'NOT met'}")
    if len(labels) == 2:
        a, b = (results[label]["wall"]["median"] for label in labels)
        lines.append(f"speed-up {labels[1]} over {labels[0]} (median wall): {a / b:.2f}x")
    return "\n".join(lines)


def main() -> int:
    """Time the command here (and in ``--before``), print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--before", type=Path, help="an earlier checkout to time alongside")
    parser.add_argument("--svg", action="store_true", help="time the command with --svg")
    parser.add_argument("--drawing", action="store_true",
                        help="also time the report alone on 1 and 2 processes")
    args = parser.parse_args()
    trees = {"now": REPO} if args.before is None else {"before": args.before, "now": REPO}
    # Only this tree: an earlier checkout may not know --svg (it always drew SVG).
    results = measure(args.repeats, trees, {"now": ("--svg",)} if args.svg else None)
    print(table(results, list(trees)))
    if args.drawing:
        print(f"\nthe report alone (write_run_report), wall s; load average "
              f"{os.getloadavg()[0]:.2f}")
        spreads = drawing(args.repeats)
        for workers, w in spreads.items():
            print(f"  {workers} process(es): {w['min']:.2f} / {w['median']:.2f} / {w['max']:.2f}")
        print(f"  speed-up of 2: {spreads[1]['median'] / spreads[2]['median']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
