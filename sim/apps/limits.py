"""Checks of the command line's own options before anything runs: one line each.

The scenario file is checked when it is loaded (:mod:`sim.scenario.loading`);
options given beside it can still ask for what cannot fit or cannot happen:

- ``--horizon-days`` that makes a replication too large
  (:func:`sim.scenario.scale.check_scale`) is refused;
- ``--horizon-days`` that ends the run before a timeline change is allowed (a
  short trial run) but said, on stderr, instead of the change being ignored
  without a word;
- ``--workers`` beyond :func:`sim.experiments.executors.max_workers` is refused.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sim.experiments.executors import max_workers
from sim.scenario.scale import check_scale
from sim.scenario.schema import Scenario

__all__ = ["WorkersError", "check_options", "check_workers"]


class WorkersError(ValueError):
    """Too many workers asked for; the message is one line."""


def check_options(scenario: Scenario, path: Path | str, *, quiet: bool = False) -> None:
    """Check a scenario changed by ``--horizon-days``, ``--replications`` or ``--seed``.

    Raises:
        sim.scenario.errors.ScenarioError: a replication would not fit in memory.
    """
    check_scale(scenario, f"{path} with --horizon-days {scenario.horizon_days:g}")
    if quiet:
        return
    for i, change in enumerate(scenario.timeline):
        if change.day >= scenario.horizon_days:
            print(f"note: timeline.{i} (day {change.day:g}) is not before --horizon-days "
                  f"{scenario.horizon_days:g}; it does not take effect in this run",
                  file=sys.stderr)


def check_workers(workers: int | None) -> None:
    """Refuse more local workers than are worth starting on this machine.

    Raises:
        WorkersError: naming the option and the most allowed.
    """
    most = max_workers()
    if workers is not None and workers > most:
        raise WorkersError(f"--workers {workers}: expected at most {most} on this machine "
                           "(four per core); more would only cost memory")
