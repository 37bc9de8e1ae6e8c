"""How long the workshop app takes to answer: ``python -m sim.apps.workshop.latency``.

A scripted room on the app's simulation service (:mod:`sim.apps.workshop.engine`),
on this machine as it is now. The server starts as the app's does: a pool of
worker processes, and the baseline warmed in the background to
:data:`~sim.apps.workshop.logic.MORE_REPLICATIONS` at every horizon. Then, at
each horizon (90 days, a year, three years):

- **one person** moves a lever (to levers nobody ran before): the seconds to
  the *first answer* (the first replications of each plan compared: the
  takeaway and the big numbers, which the page shows while it builds the
  charts), to the *refined answer*
  (:data:`~sim.apps.workshop.logic.REFINED_REPLICATIONS` replications, with its
  charts), and for *More
  replications* from the click to :data:`~sim.apps.workshop.logic.MORE_REPLICATIONS`;
- **several people at once** (four by default) each move a lever at the same
  moment: each one's seconds to a first and to a refined answer.

The page itself adds its drawing in the browser (a fraction of a second) and,
while refining, checks for new replications a few times a second; the numbers
here are the server's side.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sim.apps.workshop import charts
from sim.apps.workshop import logic as lg
from sim.apps.workshop.engine import BACKGROUND, Engine, Want
from sim.experiments.executors import available_cores
from sim.results.replication import simulate
from sim.scenario.schema import Scenario

SEED = 20240601


@dataclass(frozen=True)
class Answer:
    """One person's lever change: seconds from the change to each answer.

    Attributes:
        first: to the first comparison's numbers (its replications: ``first_n``).
        refined: to the refined comparison.
        more: from a click on "More replications" to its comparison (``None``: not clicked).
        first_n: paired replications in the first answer.
        computed: replications the engine computed while this person waited (cache hits
            not counted; with several people at once, everybody's).
    """

    first: float
    refined: float
    more: float | None
    first_n: int
    computed: int


@dataclass(frozen=True)
class HorizonLatency:
    """The measurements at one horizon.

    Attributes:
        horizon: the horizon's label.
        alone: one person's lever change.
        together: each person's when several move a lever at once.
        together_computed: replications computed for them all.
        cached: seconds to redraw levers already computed (nothing simulated).
        replication_cpu: CPU seconds of one replication of a new plan (in this
            process): what a first answer costs on a machine with a core to spare.
        draw_cpu: CPU seconds of drawing a comparison, charts included (nothing simulated).
    """

    horizon: str
    alone: Answer
    together: list[Answer]
    together_computed: int
    cached: float
    replication_cpu: float
    draw_cpu: float


def numbers(engine: Engine, base: Scenario, yours: Scenario, n: int, h: lg.Horizon
            ) -> lg.Comparison:
    """What the page computes first: the paired comparison (takeaway, big numbers, horizons)."""
    return lg.compare(engine.runs(base, SEED, n, lg.BASELINE_LABEL),
                      engine.runs(yours, SEED, n, lg.YOURS_LABEL), h)


def chart_specs(comparison: lg.Comparison) -> None:
    """What the page computes next, while the numbers show: every chart's spec."""
    runs = [comparison.baseline, comparison.yours]
    for chart in (charts.revenue_chart(lg.revenue_over_time(runs)),
                  charts.cycle_chart(lg.cycle_rows(runs)), *charts.funnel_charts(
                      lg.funnel_rows(runs))):
        charts.spec(chart)


def draw(engine: Engine, base: Scenario, yours: Scenario, n: int, h: lg.Horizon) -> None:
    """Everything the page computes to draw a comparison."""
    chart_specs(numbers(engine, base, yours, n, h))


def lever_change(engine: Engine, client: str, base: Scenario, yours: Scenario,
                 h: lg.Horizon, more: bool = False) -> Answer:
    """One person moves a lever: ask for both plans, draw the first and refined answers.

    The first answer is timed when its numbers are ready (the page shows them
    while it builds the charts); the refined and "more" answers with their charts.
    """
    before = engine.stats().computed
    started = time.perf_counter()
    wants = [Want(base, SEED, lg.REFINED_REPLICATIONS), Want(yours, SEED, lg.REFINED_REPLICATIONS)]
    engine.want(client, wants)
    engine.wait(wants, at_least=1)
    first_n = min(engine.done(base, SEED), engine.done(yours, SEED))
    comparison = numbers(engine, base, yours, first_n, h)
    first = time.perf_counter() - started
    chart_specs(comparison)
    engine.wait(wants)
    draw(engine, base, yours, lg.REFINED_REPLICATIONS, h)
    refined = time.perf_counter() - started
    more_seconds = None
    if more:
        clicked = time.perf_counter()
        wants = [Want(base, SEED, lg.MORE_REPLICATIONS), Want(yours, SEED, lg.MORE_REPLICATIONS)]
        engine.want(client, wants)
        engine.wait(wants)
        draw(engine, base, yours, lg.MORE_REPLICATIONS, h)
        more_seconds = time.perf_counter() - clicked
    engine.withdraw(client)
    return Answer(first, refined, more_seconds, first_n, engine.stats().computed - before)


def warm_baseline(engine: Engine, base: Scenario) -> list[Want]:
    """What the app asks for on start: the baseline at every horizon, in the background."""
    wants = [Want(lg.scenario_for(base, lg.Levers.of(base), h.days), SEED, lg.MORE_REPLICATIONS)
             for h in lg.HORIZONS]
    engine.want("warm-up", wants, BACKGROUND)
    return wants


def at_once(engine: Engine, base: Scenario, scenarios: Sequence[Scenario], h: lg.Horizon
            ) -> list[Answer]:
    """Several people move a lever at the same moment, one scenario each."""
    answers: list[Answer | None] = [None] * len(scenarios)
    barrier = threading.Barrier(len(scenarios))

    def person(i: int) -> None:
        barrier.wait()
        answers[i] = lever_change(engine, f"person-{i}", base, scenarios[i], h)

    threads = [threading.Thread(target=person, args=(i,)) for i in range(len(scenarios))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [a for a in answers if a is not None]


def measure(engine: Engine, users: int = 4, horizons: Sequence[str] | None = None,
            progress: bool = False) -> tuple[float, list[HorizonLatency]]:
    """Warm the baseline, then measure lever changes at each horizon.

    Args:
        engine: a fresh engine (nothing cached).
        users: people moving a lever at once.
        horizons: labels of the horizons to measure (all by default).
        progress: print each horizon's figures as they come.

    Returns:
        (seconds to warm the baseline, one :class:`HorizonLatency` per horizon).
    """
    base = lg.load_presets()[lg.BASELINE_KEY].scenario
    start = lg.Levers.of(base)
    started = time.perf_counter()
    engine.wait(warm_baseline(engine, base))
    warm = time.perf_counter() - started
    out = []
    shares = iter(range(5, 100))  # a brand share nobody ran before, per lever change
    for h in [lg.horizon(label) for label in horizons or [x.label for x in lg.HORIZONS]]:
        base_h = lg.scenario_for(base, start, h.days)

        def fresh(h: lg.Horizon = h) -> Scenario:
            return lg.scenario_for(base, start.with_changes(brand_share=next(shares) / 100),
                                   h.days)

        alone = lever_change(engine, "alone", base_h, fresh(), h, more=True)
        scenarios = [fresh() for _ in range(users)]
        before = engine.stats().computed
        together = at_once(engine, base_h, scenarios, h)
        together_computed = engine.stats().computed - before
        again, cpu = time.perf_counter(), time.process_time()
        draw(engine, base_h, scenarios[0], lg.REFINED_REPLICATIONS, h)
        cached, draw_cpu = time.perf_counter() - again, time.process_time() - cpu
        cpu = time.process_time()
        simulate(fresh(), SEED, 0)
        replication_cpu = time.process_time() - cpu
        result = HorizonLatency(h.label, alone, together, together_computed, cached,
                                replication_cpu, draw_cpu)
        out.append(result)
        if progress:
            print(table([result]), flush=True)
    return warm, out


def table(results: Sequence[HorizonLatency]) -> str:
    """The figures as a text table, one line per horizon."""
    lines = []
    for r in results:
        a = r.alone
        firsts = [x.first for x in r.together]
        refined = [x.refined for x in r.together]
        lines.append(
            f"{r.horizon:>8}  one person: first {a.first:5.2f} s ({a.first_n} repl.), "
            f"refined {a.refined:5.2f} s, more {a.more or 0.0:5.2f} s | "
            f"{len(r.together)} at once: first {min(firsts):5.2f}-{max(firsts):5.2f} s "
            f"(mean {statistics.mean(firsts):5.2f}), refined {min(refined):5.2f}-"
            f"{max(refined):5.2f} s | redraw cached {r.cached:4.2f} s | CPU: a replication "
            f"{r.replication_cpu:4.2f} s, a drawing {r.draw_cpu:4.2f} s")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the measurements."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--workers", type=int, default=available_cores(),
                        help="worker processes (default: every core)")
    parser.add_argument("--users", type=int, default=4, help="people at once (default 4)")
    parser.add_argument("--horizon", action="append", choices=[h.label for h in lg.HORIZONS],
                        help="measure this horizon only (repeatable)")
    args = parser.parse_args(argv)
    engine = Engine(args.workers)
    try:
        print(f"{args.workers} worker process{'es' * (args.workers != 1)}; first answer = "
              f"first replication of each plan, refined = {lg.REFINED_REPLICATIONS}, more = "
              f"{lg.MORE_REPLICATIONS}", flush=True)
        warm, _ = measure(engine, args.users, args.horizon, progress=True)
        print(f"baseline warmed at every horizon ({lg.MORE_REPLICATIONS} replications) in "
              f"{warm:.1f} s", flush=True)
    finally:
        engine.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
