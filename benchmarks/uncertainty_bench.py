"""Benchmark of decisions under uncertainty on local workers: wall time of each design.

Three runs, each on ``--workers`` local processes (2 by default), timed from
the first replication to the finished statistics (no HTML report):

1. **Compare under uncertainty.** ``alignment-defined`` against
   ``alignment-aligned`` (three years after a one-year warm-up), ``--draws``
   assumption draws (the schema's default ranges, less the keys the two plans
   set differently) x ``--replications`` replications per draw.
2. **Sensitivity.** The same difference in contribution over 10 assumptions
   (the seven alignment effect sizes, the gross margin, organic leads and the
   promotion maximum, each over its default range): Sobol indices from
   Saltelli's design with ``--samples`` base samples, the tornado and the
   flips, one replication per point.
3. **Three-lever optimisation.** Marketing budget, brand share and reps of the
   baseline under ``marketing.annual_budget + sales.reps*100000 <= 3000000``,
   ``--trials`` plans, the best 3 and today's plan evaluated again.

It prints each run's wall time, replications and headline answer, and how many
of the replications run were the same (scenario, seed, replication) as one run
before (none should be: a sample is run once, see
``tests/validation/test_no_replication_twice.py``), and writes them as JSON::

    .venv/bin/python benchmarks/uncertainty_bench.py [--workers 2] [--out FILE]
    .venv/bin/python benchmarks/uncertainty_bench.py --quick   # small sizes, to check it
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))

from sim import load_scenario  # noqa: E402
from sim.experiments.assumptions import AssumptionSet, default_assumptions  # noqa: E402
from sim.experiments.budget import parse_budget  # noqa: E402
from sim.experiments.executors import (  # noqa: E402
    Execution,
    Executor,
    ResultCallback,
    Task,
    open_executor,
)
from sim.experiments.optimizer import LeverSpec, parse_levers, run_levers  # noqa: E402
from sim.experiments.sensitivity import SensitivitySpec, run_sensitivity  # noqa: E402
from sim.experiments.uncertainty import UncertainCompareSpec, run_uncertain_compare  # noqa: E402

SCENARIOS = REPO / "scenarios"
TEN = ("alignment.effects.cross_training_content_lift",
       "alignment.effects.cross_training_qualify_lift",
       "alignment.effects.cross_training_cycle_reduction",
       "alignment.effects.tactical_support_win_odds_lift",
       "alignment.effects.tactical_support_cycle_reduction",
       "alignment.effects.feedback_max_noise_reduction",
       "alignment.effects.feedback_half_saturation_leads",
       "finance.gross_margin", "marketing.organic_leads_per_day",
       "marketing.promo_max_leads_per_day")


class Counting(Executor):
    """An executor that counts the tasks it is given, and those it was given before."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner
        self.seen: set[tuple[str, int, int]] = set()
        self.again = 0

    def _run(self, tasks: list[Task], collect: ResultCallback) -> None:
        for task in tasks:
            key = (hashlib.sha256(task.scenario.model_dump_json().encode()).hexdigest(),
                   task.seed, task.replication)
            self.again += key in self.seen
            self.seen.add(key)
        self.inner.run(tasks, collect)


class Counter:
    """Counts finished replications (the progress callback)."""

    def __init__(self) -> None:
        self.done = 0

    def __call__(self, done: int, total: int) -> None:
        """Record the replications done so far."""
        self.done = done


def compare(workers: int, draws: int, replications: int) -> dict[str, Any]:
    """Run 1: two scenarios under uncertain assumptions."""
    a = load_scenario(SCENARIOS / "alignment-defined.yaml")
    b = load_scenario(SCENARIOS / "alignment-aligned.yaml")
    spec = UncertainCompareSpec.build([a, b], draws=draws, replications=replications)
    counter = Counter()
    with open_executor(Execution(workers=workers)) as executor:
        start = time.perf_counter()
        counting = Counting(executor)
        result = run_uncertain_compare(spec, counting, progress=counter)
        seconds = time.perf_counter() - start
    dec = result.decisions[spec.labels[1]]
    return {"seconds": seconds, "replications": counter.done, "run_again": counting.again,
            "draws": draws,
            "replications_per_draw": replications, "assumptions": spec.assumptions.dimension,
            "expected_difference": dec.expected, "ci": [dec.ci_low, dec.ci_high],
            "interval_90": [dec.interval_low, dec.interval_high],
            "probability_better": dec.probability_better, "expected_loss": dec.expected_loss,
            "share_assumptions": dec.share_assumptions}


def sensitivity(workers: int, samples: int) -> dict[str, Any]:
    """Run 2: Sobol indices of the difference over 10 assumptions."""
    a = load_scenario(SCENARIOS / "alignment-defined.yaml")
    b = load_scenario(SCENARIOS / "alignment-aligned.yaml")
    chosen = default_assumptions(a, TEN)
    factors = AssumptionSet(chosen.assumptions, None, "ten schema defaults")
    spec = SensitivitySpec.build(b, "contribution", against=a, method="sobol",
                                 samples=samples, replications=1, assumptions=factors)
    counter = Counter()
    with open_executor(Execution(workers=workers)) as executor:
        start = time.perf_counter()
        counting = Counting(executor)
        result = run_sensitivity(spec, counting, progress=counter)
        seconds = time.perf_counter() - start
    a_ = result.analysis
    top = a_.indices.sort_values("ST", ascending=False).head(3)
    return {"seconds": seconds, "replications": counter.done, "run_again": counting.again,
            "points": len(a_.results),
            "factors": factors.dimension, "center": a_.center,
            "top_total_indices": dict(zip(top["factor"], top["ST"].round(3), strict=True)),
            "flips": [{"factor": f.factor, "value": f.value} for f in a_.flips],
            "opposite_share": a_.opposite_share}


def optimise(workers: int, trials: int, replications: int) -> dict[str, Any]:
    """Run 3: three levers under a budget."""
    base = load_scenario(SCENARIOS / "baseline.yaml")
    levers = parse_levers(base, ["marketing.annual_budget=1000000:3000000",
                                 "marketing.brand_share=0:1", "sales.reps=6:12"])
    spec = LeverSpec.build(
        base, levers, "contribution",
        budget=parse_budget("marketing.annual_budget + sales.reps*100000 <= 3000000"),
        replications=replications, final_replications=3 * replications, trials=trials,
        top=3)
    counter = Counter()
    with open_executor(Execution(workers=workers)) as executor:
        start = time.perf_counter()
        counting = Counting(executor)
        result = run_levers(spec, counting, progress=counter)
        seconds = time.perf_counter() - start
    best = result.outcome.best_plan
    return {"seconds": seconds, "replications": counter.done, "run_again": counting.again,
            "trials": trials,
            "simulated": sum(c.samples is not None for c in result.outcome.candidates),
            "best_plan": None if best is None else best.plan,
            "best_contribution": None if best is None else [best.value, best.ci_low,
                                                            best.ci_high]}


def main(argv: list[str] | None = None) -> int:
    """Run the three benchmarks and print and save their times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--draws", type=int, default=64)
    parser.add_argument("--replications", type=int, default=4)
    parser.add_argument("--samples", type=int, default=16, help="Sobol base samples")
    parser.add_argument("--trials", type=int, default=24)
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the script")
    parser.add_argument("--out", type=Path, default=BENCH / "uncertainty_results.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.draws, args.replications, args.samples, args.trials = 4, 2, 2, 6
    runs = {
        "compare": compare(args.workers, args.draws, args.replications),
        "sensitivity": sensitivity(args.workers, args.samples),
        "optimize": optimise(args.workers, args.trials, 2),
    }
    for name, run in runs.items():
        print(f"{name:12} {run['seconds']:8.1f} s  {run['replications']:6d} replications  "
              f"{run['replications'] / run['seconds']:.2f} per second  "
              f"{run['run_again']} run a second time")
    report = {"date": datetime.now().astimezone().isoformat(timespec="seconds"),
              "machine": platform.platform(), "python": platform.python_version(),
              "workers": args.workers, "runs": runs}
    args.out.write_text(json.dumps(report, indent=2, default=float) + "\n", encoding="utf-8")
    print(json.dumps(runs, indent=2, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
