"""Performance benchmark: throughput against bare SimPy, parallel efficiency, memory, `make run`.

One run (``make bench``) measures, on this machine and in this order:

1. **Throughput.** A bare SimPy reference funnel (``reference_funnel.py``:
   Poisson arrivals, a nurture delay, an M/M/c rep stage; the least any SimPy
   model of a funnel pays per lead) and one replication of the baseline
   scenario, on the same number of leads, alternately; the fastest of
   ``--repeats`` runs of each counts (the machine may be shared). Leads per
   second of both and their ratio (by wall time, and by CPU time, which other
   work on the machine disturbs less). The baseline's leads are every lead it
   simulates, warm-up included (they cost the same); its time is that of
   :func:`sim.simulate`, metrics and weekly series included.
2. **Parallel efficiency.** 20 replications of the baseline with
   :func:`sim.run_replications` on 1, 2 and all cores (``--workers``):
   efficiency = T1 / (workers x Tw). CPU time over wall time (this process and
   its workers) shows how many cores the run really had.
3. **Memory.** Each measurement runs in a fresh child process, so none
   inherits another's heap: the peak of ``tracemalloc`` over one replication
   with per-lead records off (started after imports, so it is the
   replication's own allocations, the interpreter and libraries excluded) for
   horizons of 3 and 30 years, and their ratio; and the peak resident size
   (``ru_maxrss``, everything the OS had to provide) and wall time of one
   replication of ``enterprise_1m.yaml`` (about a million leads), without
   tracemalloc, which would slow it down.
4. **make run.** Wall time of ``run.py run scenarios/baseline.yaml`` (what
   ``make run`` runs: 20 replications on every core, tables and report
   written) as a fresh process.
5. **Targets.** Every performance target, with its measured ratio and
   whether it is met (``targets.py``): every scenario file against bare
   SimPy, CPU per lead at a million leads, bytes of per-lead records, the
   30-day run with its report, Dask efficiency on two workers.

It prints a table and writes it to ``benchmarks/results.json``::

    .venv/bin/python benchmarks/bench.py [--repeats 5] [--out benchmarks/results.json]
    .venv/bin/python benchmarks/bench.py --quick      # shorter, to check the script
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

import targets  # noqa: E402
from reference_funnel import reference_funnel  # noqa: E402

from sim import load_scenario, run_replications, simulate  # noqa: E402
from sim.experiments.executors import Execution, available_cores  # noqa: E402
from sim.model.funnel import FunnelModel  # noqa: E402
from sim.model.streams import make_streams  # noqa: E402

BASELINE = REPO / "scenarios" / "baseline.yaml"
ENTERPRISE = BENCH / "enterprise_1m.yaml"
SEED = 1
NURTURE_DAYS_MEAN = 30.0  # reference: mean days from lead to hand-off
REFERENCE_LOAD = 0.8  # reference: utilisation of its M/M/c rep stage

TARGETS = {
    "throughput_ratio": "baseline >= 0.5x the reference (stretch: >= 1.0x)",
    "parallel_efficiency_2": ">= 85% at 2 workers, 20 replications",
    "memory_ratio_30y_3y": "< 1.5 (records off)",
    "enterprise_1m": "< 1 GiB and < 60 s",
    "make_run": "< 30 s",
}


# -- 1. throughput -----------------------------------------------------------------------


def throughput(repeats: int, horizon_days: float | None) -> dict[str, Any]:
    """Leads per second of the baseline and of the bare SimPy reference, on the same leads."""
    scenario = load_scenario(BASELINE)
    if horizon_days is not None:
        scenario = scenario.with_overrides({"horizon_days": horizon_days})
    model = FunnelModel(scenario, make_streams(SEED, 0))  # count the leads once, untimed
    model.run()
    leads = model.leads_created
    days = scenario.horizon_days + scenario.warmup_days
    slots = scenario.sales.reps * scenario.sales.slots_per_rep
    rate = leads / days
    reference = {"leads": leads, "leads_per_day": rate, "nurture_days_mean": NURTURE_DAYS_MEAN,
                 "servers": slots, "service_days_mean": REFERENCE_LOAD * slots / rate}
    simulate(scenario, seed=SEED + 1)  # warm caches and lazy imports
    reference_funnel(**{**reference, "leads": min(leads, 2000)})
    model_s, reference_s, model_cpu, reference_cpu = [], [], [], []
    for _ in range(repeats):  # alternate, so both see the same load on the machine
        start, cpu = time.perf_counter(), time.process_time()
        finished = reference_funnel(**reference, seed=SEED)
        reference_s.append(time.perf_counter() - start)
        reference_cpu.append(time.process_time() - cpu)
        assert finished == leads
        start, cpu = time.perf_counter(), time.process_time()
        simulate(scenario, seed=SEED)
        model_s.append(time.perf_counter() - start)
        model_cpu.append(time.process_time() - cpu)
    best_model, best_reference = min(model_s), min(reference_s)
    return {
        "leads": leads,
        "horizon_days": scenario.horizon_days,
        "warmup_days": scenario.warmup_days,
        "baseline_seconds": best_model,
        "reference_seconds": best_reference,
        "baseline_leads_per_second": leads / best_model,
        "reference_leads_per_second": leads / best_reference,
        "ratio": best_reference / best_model,
        "ratio_cpu_time": min(reference_cpu) / min(model_cpu),
        "repeats": repeats,
        "reference_parameters": reference,
    }


# -- 2. parallel efficiency ----------------------------------------------------------------


def parallel(replications: int, horizon_days: float | None) -> dict[str, Any]:
    """Wall time of ``replications`` baseline replications on 1, 2 and all cores."""
    scenario = load_scenario(BASELINE)
    if horizon_days is not None:
        scenario = scenario.with_overrides({"horizon_days": horizon_days})
    counts = sorted({1, 2, available_cores()})
    rows = []
    for workers in counts:
        before_self = resource.getrusage(resource.RUSAGE_SELF)
        before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        run_replications(scenario, replications=replications, seed=SEED,
                         execution=Execution(workers=workers))
        wall = time.perf_counter() - start
        cpu = _cpu(resource.getrusage(resource.RUSAGE_SELF), before_self) + _cpu(
            resource.getrusage(resource.RUSAGE_CHILDREN), before_children)
        rows.append({"workers": workers, "seconds": wall, "cpu_seconds": cpu,
                     "cores_used": cpu / wall})
    serial = rows[0]["seconds"]
    for row in rows:
        row["speedup"] = serial / row["seconds"]
        row["efficiency"] = serial / (row["workers"] * row["seconds"])
    return {"replications": replications, "available_cores": available_cores(),
            "executor": "sim.run_replications(execution=Execution(workers=N)), process pool",
            "runs": rows}


def _cpu(after: resource.struct_rusage, before: resource.struct_rusage) -> float:
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


# -- 3. memory (each in a child process) ---------------------------------------------------


def child(spec: dict[str, Any]) -> dict[str, Any]:
    """One replication in this (fresh) process; what the parent asked to measure."""
    scenario = load_scenario(spec["file"]).with_overrides(
        {"horizon_days": spec["horizon_days"], "record_leads": False})
    if spec["tracemalloc"]:
        tracemalloc.start()
    start = time.perf_counter()
    result = simulate(scenario, seed=SEED)
    seconds = time.perf_counter() - start
    # What the result keeps for the whole run, by design: one row per won deal,
    # one value per first response, one row per week.
    outputs = (result.won_deals.memory_usage(deep=True).sum() + result.first_response_hours.nbytes
               + result.timeseries.memory_usage(deep=True).sum())
    out = {"seconds": seconds, "leads_created": result.metrics["leads_created"],
           "deals_won": result.metrics["deals_won"], "outputs_mib": float(outputs) / 2**20,
           "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if spec["tracemalloc"]:
        out["tracemalloc_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
    return out


def in_child(file: Path, horizon_days: float, trace: bool) -> dict[str, Any]:
    """Run :func:`child` in a fresh interpreter and return what it measured."""
    spec = {"file": str(file), "horizon_days": horizon_days, "tracemalloc": trace}
    done = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], cwd=REPO,
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.splitlines()[-1])


def memory(years: tuple[float, float], enterprise_days: float | None) -> dict[str, Any]:
    """Peak memory of one replication for two horizons, and of the million-lead scenario."""
    short, long = (in_child(BASELINE, 365.0 * y, trace=True) for y in years)
    enterprise_scenario = load_scenario(ENTERPRISE)
    days = enterprise_scenario.horizon_days if enterprise_days is None else enterprise_days
    enterprise = in_child(ENTERPRISE, days, trace=False)
    return {
        "years": list(years),
        "short": short,
        "long": long,
        "tracemalloc_ratio": long["tracemalloc_peak_mib"] / short["tracemalloc_peak_mib"],
        "working_ratio": ((long["tracemalloc_peak_mib"] - long["outputs_mib"])
                          / (short["tracemalloc_peak_mib"] - short["outputs_mib"])),
        "max_rss_ratio": long["max_rss_mib"] / short["max_rss_mib"],
        "enterprise": {"horizon_days": days, **enterprise},
    }


# -- 4. make run ---------------------------------------------------------------------------


def make_run(horizon_days: float | None) -> dict[str, Any]:
    """Wall time of ``run.py run scenarios/baseline.yaml`` in a fresh process."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "run.py", "run", str(BASELINE.relative_to(REPO)), "--quiet",
                   "--out", str(Path(tmp) / "run")]
        if horizon_days is not None:
            command += ["--horizon-days", str(horizon_days)]
        start = time.perf_counter()
        subprocess.run(command, cwd=REPO, check=True)
        return {"seconds": time.perf_counter() - start, "command": " ".join(command[1:4])}


# -- report --------------------------------------------------------------------------------


def table(results: dict[str, Any]) -> str:
    """The results as a fixed-width text table, with the targets."""
    t, p, m = results["throughput"], results["parallel"], results["memory"]
    e, machine = m["enterprise"], results["machine"]
    lines = [f"Benchmark {results['date']} ({machine['cores']} cores, Python "
             f"{machine['python']}, SimPy {machine['simpy']}, git {machine['git_revision']})",
             "", f"{'measure':54}{'value':>12}  target / notes"]

    def row(label: str, value: str, note: str = "") -> None:
        lines.append(f"{label:54}{value:>12}  {note}".rstrip())

    row(f"bare SimPy reference, leads/s (best of {t['repeats']})",
        f"{t['reference_leads_per_second']:,.0f}", f"{t['leads']:,} leads")
    row("baseline scenario, leads/s", f"{t['baseline_leads_per_second']:,.0f}",
        f"{t['horizon_days']:g} days + {t['warmup_days']:g} warm-up")
    row("  ratio baseline / reference", f"{t['ratio']:.2f}x",
        f"{TARGETS['throughput_ratio']}; by CPU time {t['ratio_cpu_time']:.2f}x")
    for run in p["runs"]:
        row(f"{p['replications']} replications, {run['workers']} worker(s), s",
            f"{run['seconds']:.2f}", f"speed-up {run['speedup']:.2f}, efficiency "
            f"{100 * run['efficiency']:.0f}%, cores used {run['cores_used']:.2f}")
    two = next((run for run in p["runs"] if run["workers"] == 2), None)
    if two is not None:
        row("  parallel efficiency at 2 workers", f"{100 * two['efficiency']:.0f}%",
            TARGETS["parallel_efficiency_2"])
    for years, r in zip(m["years"], (m["short"], m["long"]), strict=True):
        row(f"peak memory, {years:g} years, records off, MiB", f"{r['tracemalloc_peak_mib']:.1f}",
            f"tracemalloc; of which outputs {r['outputs_mib']:.1f}; ru_maxrss "
            f"{r['max_rss_mib']:.0f} MiB; {r['leads_created']:,.0f} leads")
    ratio = f"  ratio {m['years'][1]:g} years / {m['years'][0]:g} years"
    row(ratio, f"{m['tracemalloc_ratio']:.2f}", f"{TARGETS['memory_ratio_30y_3y']}")
    row("    without the outputs kept for the whole run", f"{m['working_ratio']:.2f}",
        "won deals, first responses, weekly series")
    row("    peak resident memory (ru_maxrss)", f"{m['max_rss_ratio']:.2f}",
        "interpreter and libraries included")
    row("enterprise_1m, one replication: leads", f"{e['leads_created']:,.0f}",
        f"{e['horizon_days']:g} days")
    row("  peak resident memory (ru_maxrss), MiB", f"{e['max_rss_mib']:.0f}", "< 1024 MiB")
    row("  seconds", f"{e['seconds']:.1f}", "< 60 s")
    row(f"make run ({results['make_run']['command']}), s", f"{results['make_run']['seconds']:.1f}",
        TARGETS["make_run"])
    return "\n".join(lines)


def _versions() -> dict[str, Any]:
    import numpy
    import simpy

    revision = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                              capture_output=True, text=True).stdout.strip()
    return {"cores": available_cores(), "python": platform.python_version(),
            "simpy": simpy.__version__, "numpy": numpy.__version__,
            "platform": platform.platform(), "git_revision": revision or None}


def main() -> int:
    """Measure everything, print the table, write the JSON; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5,
                        help="timed runs of the baseline and the reference (the fastest counts)")
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--out", type=Path, default=BENCH / "results.json")
    parser.add_argument("--quick", action="store_true",
                        help="short horizons and one repeat: checks the script, not the speed")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return 0
    horizon = 120.0 if args.quick else None
    repeats = 1 if args.quick else args.repeats
    results: dict[str, Any] = {"date": datetime.now().astimezone().isoformat(timespec="seconds"),
                               "machine": _versions(), "targets": TARGETS}
    results["throughput"] = throughput(repeats, horizon)
    results["parallel"] = parallel(4 if args.quick else args.replications, horizon)
    results["memory"] = memory((0.5, 2.0) if args.quick else (3.0, 30.0),
                               30.0 if args.quick else None)
    results["make_run"] = make_run(horizon)
    results["targets"] = targets.measure(args.quick, repeats if args.quick else 3)
    print(table(results))
    print("\nPerformance targets (issue 16; benchmarks/targets.py)")
    print(targets.table(results["targets"]))
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
