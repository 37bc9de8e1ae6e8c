"""How long the workshop app takes to update: ``python -m sim.apps.workshop.latency``.

An update after a lever moves runs "your plan" only (the baseline is cached per
horizon), on the app's pool of local processes. This prints, for each horizon,
the seconds of one such update with the quick and the "more" replications, and
of a game round and a debrief of two teams, on this machine as it is now.
"""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Callable, Sequence

from sim.apps.workshop import game as gm
from sim.apps.workshop import logic as lg
from sim.experiments.executors import Execution, Executor, available_cores, open_executor


def _timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def measure(executor: Executor, more: bool = True) -> list[tuple[str, float]]:
    """(what, seconds) for a lever update at each horizon, a game round and a debrief."""
    base = lg.load_presets()[lg.BASELINE_KEY].scenario
    levers = lg.Levers.of(base).with_changes(brand_share=0.2)
    out = []
    counts = (lg.QUICK_REPLICATIONS, lg.MORE_REPLICATIONS) if more else (lg.QUICK_REPLICATIONS,)
    for h in lg.HORIZONS:
        for n in counts:
            scenario = lg.scenario_for(base, levers, h.days)
            seconds = _timed(functools.partial(lg.simulate_runs, scenario, n, 1, "yours",
                                               executor))
            out.append((f"lever update, {h.label}, {n} replications", seconds))
    game = gm.Game(gm.GameSetup(("Team A", "Team B"), 2, base, replications=lg.QUICK_REPLICATIONS))
    start = game.setup.start_levers
    for k in (1, 2):
        seconds = _timed(lambda: game.play_round({"Team A": levers.with_changes(reps=start.reps),
                                                  "Team B": start}, executor))
        out.append((f"game round {k} of 2 teams", seconds))
    out.append(("debrief of 2 teams to 3 years", _timed(lambda: game.run_debrief(executor))))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Print the measurements."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=available_cores(),
                        help="local processes (default: every core)")
    parser.add_argument("--quick-only", action="store_true",
                        help=f"skip the {lg.MORE_REPLICATIONS}-replication updates")
    args = parser.parse_args(argv)
    with open_executor(Execution(workers=args.workers)) as executor:
        print(f"{args.workers} worker process{'es' * (args.workers != 1)}")
        for what, seconds in measure(executor, more=not args.quick_only):
            print(f"  {what:48} {seconds:6.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
