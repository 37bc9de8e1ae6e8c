"""Simulating a company's history and seeing it through its CRM export.

One replication of a scenario becomes export tables as of a given day
(:func:`simulated_tables`), so statistics of simulated and real exports are
measured the same way. :func:`simulate_all` runs several, in this process or
in worker processes; each is fixed by its seed and replication, so the
results do not depend on the number of workers.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.calibration.tables import CrmTables, floor_to_days
from sim.results.replication import simulate
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class SimulationTask:
    """One replication to simulate and export.

    Attributes:
        scenario: the scenario (its horizon at least ``as_of``).
        seed, replication: what fixes its random numbers.
        as_of: the export day.
        origin: the calendar date of day 0.
        date_only: ``"table.column"`` times to round down to days, as in the real export.
    """

    scenario: Scenario
    seed: int
    replication: int
    as_of: float
    origin: pd.Timestamp
    date_only: frozenset[str] = frozenset()


def simulated_tables(task: SimulationTask) -> CrmTables:
    """Simulate one replication and return its export as of ``task.as_of``."""
    from sim.calibration.records import tables_from_records

    result = simulate(task.scenario, seed=task.seed, replication=task.replication,
                      record_leads=True)
    assert result.leads is not None
    tables = tables_from_records(result.leads, [s.name for s in task.scenario.sales.stages],
                                 task.as_of, task.origin)
    return floor_to_days(tables, task.date_only) if task.date_only else tables


def simulate_all(tasks: list[SimulationTask], reduce: Callable[[CrmTables], Any],
                 workers: int = 1) -> list[Any]:
    """``reduce(simulated_tables(task))`` for every task, in order.

    Args:
        tasks: the replications.
        reduce: what to keep of each export (a small result: it crosses processes).
        workers: processes to use; 1 runs them here, one after the other.
    """
    if workers <= 1 or len(tasks) <= 1:
        return [reduce(simulated_tables(task)) for task in tasks]
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
        futures = [pool.submit(_run, task, reduce) for task in tasks]
        return [f.result() for f in futures]


def _run(task: SimulationTask, reduce: Callable[[CrmTables], Any]) -> Any:
    return reduce(simulated_tables(task))
