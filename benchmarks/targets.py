"""The performance targets of issue 16, each measured with its ratio and whether it is met.

Called by ``bench.py`` (``make bench``); runnable alone::

    .venv/bin/python benchmarks/targets.py [--quick] [--repeats 3]

Every ratio is of CPU time (``time.process_time``), which other work on a shared
machine disturbs less than wall time, measured interleaved in one process
(reference, model, reference, model, ...) so both see the same load; each is
reported as min / median / max over the repetitions, and the median is what
meets a target or not.

* **Throughput against bare SimPy.** For the baseline and every file in
  ``scenarios/``: the bare SimPy funnel of ``reference_funnel.py`` on the same
  number of leads (warm-up included), at the same arrival rate and an M/M/c
  stage loaded to 0.8, against one replication of the scenario
  (:func:`sim.simulate`, metrics and weekly series included). Ratio = reference
  CPU / model CPU (above 1: the model is faster).
* **CPU per lead at scale.** ``enterprise_1m.yaml`` (the baseline scaled 34.5
  times, about a million leads) against the baseline (about 39,000): CPU
  seconds per lead, and their ratio.
* **Per-lead records.** Bytes of the per-lead columns kept with
  ``record_leads`` (the folded blocks), per lead.
* **30-day run and report.** Wall time of ``run.py run -n 1 --horizon-days 30``
  in a fresh process: import, one replication, every table and figure, the HTML
  (``report_time.py``, five runs; alone it also compares with an earlier checkout).
* **Dask.** Replications of the baseline serially and on a local Dask cluster of
  two single-threaded worker processes (started before the clock), in turn,
  three rounds: efficiency = T1 / (2 x T2), min / median / max; the metrics must
  be identical (a difference fails the target).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

import report_time  # noqa: E402
from reference_funnel import reference_funnel  # noqa: E402

from sim import load_scenario, simulate  # noqa: E402
from sim.experiments.executors import Execution, ExecutorError, Task, open_executor  # noqa: E402
from sim.model.funnel import FunnelModel  # noqa: E402
from sim.model.records import COLUMNS  # noqa: E402
from sim.model.streams import make_streams  # noqa: E402
from sim.scenario.schema import Scenario  # noqa: E402

SEED = 1
NURTURE_DAYS_MEAN = 30.0  # reference: mean days from lead to hand-off
REFERENCE_LOAD = 0.8  # reference: utilisation of its M/M/c rep stage
BASELINE = REPO / "scenarios" / "baseline.yaml"
ENTERPRISE = BENCH / "enterprise_1m.yaml"

# name -> (comparison, target); a ratio meets ">=" targets from above, "<=" from below.
TARGETS: dict[str, tuple[str, float]] = {
    "baseline_vs_simpy": (">=", 1.5),
    "scenario_vs_simpy": (">=", 1.0),
    "cpu_per_lead_1m_vs_30k": ("<=", 1.1),
    "record_bytes_per_lead": ("<=", 200.0),
    "run_report_30d_seconds": ("<=", 1.5),
    "dask_efficiency_2": (">=", 0.85),
}


def met(name: str, value: float) -> bool:
    """Whether ``value`` meets the target ``name``."""
    op, bound = TARGETS[name]
    return value >= bound if op == ">=" else value <= bound


def _spread(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def _reference_parameters(scenario: Scenario) -> dict[str, Any]:
    """The bare SimPy funnel on the scenario's leads (warm-up included), at its rate."""
    model = FunnelModel(scenario, make_streams(SEED, 0))  # count the leads, untimed
    model.run()
    leads = model.leads_created
    days = scenario.horizon_days + scenario.warmup_days
    slots = scenario.sales.reps * scenario.sales.slots_per_rep
    rate = leads / days
    return {"leads": leads, "leads_per_day": rate, "nurture_days_mean": NURTURE_DAYS_MEAN,
            "servers": slots, "service_days_mean": REFERENCE_LOAD * slots / rate}


def versus_simpy(file: Path, repeats: int, horizon_days: float | None) -> dict[str, Any]:
    """CPU-time ratio reference / model for one scenario file, interleaved."""
    scenario = load_scenario(file)
    if horizon_days is not None:
        scenario = scenario.with_overrides({"horizon_days": horizon_days})
    reference = _reference_parameters(scenario)
    ratios, model_cpu = [], []
    for _ in range(repeats):
        cpu = time.process_time()
        reference_funnel(**reference, seed=SEED)
        reference_cpu = time.process_time() - cpu
        cpu = time.process_time()
        simulate(scenario, seed=SEED)
        model_cpu.append(time.process_time() - cpu)
        ratios.append(reference_cpu / model_cpu[-1])
    return {"file": str(file.relative_to(REPO)), "leads": reference["leads"],
            "model_cpu_seconds": min(model_cpu), "ratio": _spread(ratios)}


def cpu_per_lead(repeats: int, enterprise_days: float | None) -> dict[str, Any]:
    """CPU per lead of ``enterprise_1m.yaml`` over that of the baseline (the model only)."""
    def per_lead(scenario: Scenario) -> tuple[int, float]:
        cpu = time.process_time()
        model = FunnelModel(scenario, make_streams(SEED, 0))
        model.run()
        return model.leads_created, (time.process_time() - cpu) / model.leads_created

    big = load_scenario(ENTERPRISE)
    if enterprise_days is not None:
        big = big.with_overrides({"horizon_days": enterprise_days})
    small = load_scenario(BASELINE)
    per_lead(small)  # warm caches
    ratios, small_us, big_us = [], [], []
    big_leads = small_leads = 0
    for _ in range(repeats):
        small_leads, s = per_lead(small)
        big_leads, b = per_lead(big)
        small_us.append(s * 1e6)
        big_us.append(b * 1e6)
        ratios.append(b / s)
    return {"small_leads": small_leads, "big_leads": big_leads,
            "small_us_per_lead": min(small_us), "big_us_per_lead": min(big_us),
            "ratio": _spread(ratios)}


def record_bytes(horizon_days: float) -> dict[str, Any]:
    """Bytes of the per-lead columns kept with per-lead records on, per lead."""
    scenario = load_scenario(BASELINE).with_overrides({"horizon_days": horizon_days})
    model = FunnelModel(scenario, make_streams(SEED, 0), keep_leads=True)
    model.run()
    blocks = list((model.totals.blocks or {}).values())
    size = sum(getattr(b, name).nbytes for b in blocks for name in (*COLUMNS, "stage_days"))
    leads = sum(b.n for b in blocks)
    return {"leads": leads, "bytes": size, "bytes_per_lead": size / max(leads, 1)}


def run_report_seconds(repeats: int) -> dict[str, Any]:
    """Wall time of a one-replication 30-day run with its report, in a fresh process.

    Measured by ``report_time.py`` (wall and CPU, min / median / max).
    """
    measured = report_time.measure(repeats)["now"]
    return {"command": measured["command"], "seconds": measured["wall"],
            "cpu_seconds": measured["cpu"]}


def dask_efficiency(replications: int, horizon_days: float | None,
                    rounds: int = 3) -> dict[str, Any]:
    """Efficiency of a local Dask cluster of two single-threaded workers against one process.

    ``rounds`` times in turn: the replications serially in this process, then
    on a new local cluster (started, and its workers warmed with a first
    batch, before the clock). Efficiency = T1 / (2 x T2) for each round; the
    median decides.
    """
    scenario = load_scenario(BASELINE)
    if horizon_days is not None:
        scenario = scenario.with_overrides({"horizon_days": horizon_days})
    tasks = [Task("baseline", scenario, SEED, r) for r in range(replications)]
    with open_executor(Execution(workers=1)) as executor:
        executor.run(tasks[:1])
    serial_s, dask_s, same = [], [], True
    for _ in range(rounds):
        with open_executor(Execution(workers=1)) as executor:
            start = time.perf_counter()
            serial = executor.run(tasks)
            serial_s.append(time.perf_counter() - start)
        try:
            with open_executor(Execution(kind="dask", workers=2)) as executor:
                executor.run(tasks[:4])  # the workers have imported the model
                start = time.perf_counter()
                parallel = executor.run(tasks)
                dask_s.append(time.perf_counter() - start)
        except ExecutorError as exc:  # Dask missing or unable to start: say so in the table
            return {"error": str(exc)}
        same = same and all(_same_metrics(a.metrics, b.metrics)
                            for a, b in zip(serial, parallel, strict=True))
    efficiency = [t1 / (2 * t2) for t1, t2 in zip(serial_s, dask_s, strict=True)]
    return {"replications": replications, "rounds": rounds, "serial_seconds": serial_s,
            "dask_seconds": dask_s, "efficiency": _spread(efficiency), "identical": same}


def _same_metrics(a: dict[str, float], b: dict[str, float]) -> bool:
    """Equal metrics, an undefined (NaN) metric equal to itself."""
    return a.keys() == b.keys() and all(
        a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a)


def measure(quick: bool, repeats: int) -> dict[str, Any]:
    """Every target, measured (``quick``: shorter horizons, fewer repetitions)."""
    horizon = 90.0 if quick else None
    files = sorted((REPO / "scenarios").glob("*.yaml"))
    out: dict[str, Any] = {"quick": quick, "repeats": repeats}
    out["scenarios"] = [versus_simpy(f, repeats, horizon) for f in files]
    out["cpu_per_lead"] = cpu_per_lead(1 if quick else min(repeats, 3),
                                       120.0 if quick else None)
    out["records"] = record_bytes(120.0)
    out["run_report"] = run_report_seconds(1 if quick else 5)
    out["dask"] = dask_efficiency(4 if quick else 20, horizon, 1 if quick else 3)
    return out


def rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(target, measured, bound, met) for every target."""
    out = []

    def add(label: str, name: str, value: float, text: str) -> None:
        op, bound = TARGETS[name]
        out.append((label, text, f"{op} {bound:g}", "met" if met(name, value) else "NOT met"))

    for s in results["scenarios"]:
        r = s["ratio"]
        name = "baseline_vs_simpy" if s["file"].endswith("/baseline.yaml") else "scenario_vs_simpy"
        add(f"{Path(s['file']).stem} vs bare SimPy (CPU)", name, r["median"],
            f"{r['min']:.2f} / {r['median']:.2f} / {r['max']:.2f}x")
    c = results["cpu_per_lead"]
    add(f"CPU/lead {c['big_leads']:,} vs {c['small_leads']:,} leads", "cpu_per_lead_1m_vs_30k",
        c["ratio"]["median"], f"{c['ratio']['median']:.2f}x ({c['big_us_per_lead']:.1f} vs "
        f"{c['small_us_per_lead']:.1f} us)")
    r = results["records"]
    add("per-lead records, bytes per lead", "record_bytes_per_lead", r["bytes_per_lead"],
        f"{r['bytes_per_lead']:.0f}")
    w = results["run_report"]["seconds"]
    add("30-day run + report, wall s", "run_report_30d_seconds", w["median"],
        f"{w['min']:.2f} / {w['median']:.2f} / {w['max']:.2f}")
    d = results["dask"]
    if "error" in d:
        out.append(("Dask efficiency, 2 workers", "not measured", ">= 0.85", d["error"][:40]))
    else:
        e = d["efficiency"]
        add(f"Dask efficiency, 2 workers, {d['replications']} replications",
            "dask_efficiency_2", e["median"] if d["identical"] else 0.0,
            f"{100 * e['min']:.0f} / {100 * e['median']:.0f} / {100 * e['max']:.0f}%"
            f"{'' if d['identical'] else ' (RESULTS DIFFER)'}")
    return out


def table(results: dict[str, Any]) -> str:
    """The targets as a fixed-width table."""
    lines = [f"{'target (min / median / max where repeated)':52}{'measured':>26}  "
             f"{'bound':>8}  met?"]
    for label, value, bound, ok in rows(results):
        lines.append(f"{label:52}{value:>26}  {bound:>8}  {ok}")
    return "\n".join(lines)


def main() -> int:
    """Measure the targets, print the table, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short horizons, one repetition")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    results = measure(args.quick, 1 if args.quick else args.repeats)
    print(table(results))
    if args.out is not None:
        args.out.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
