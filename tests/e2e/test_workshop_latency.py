"""The workshop's latency benchmark: a scripted room on the app's simulation service.

Runs :func:`sim.apps.workshop.latency.measure` on worker processes (every core, as
the app), at each horizon: one person moving a lever (first answer, refined
answer, "More replications"), then four people at once. The seconds depend on
the machine and on what else runs on it, so they are printed (``pytest -s``),
not bounded; what is asserted holds on any machine, loaded or not: a first
answer comes before the refined one and from the first replications only,
every person's first answer comes before anybody's refined one, nothing is
computed twice, and "More replications" adds only the replications it lacks.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sim.apps.workshop import latency as la
from sim.apps.workshop import logic as lg
from sim.apps.workshop.engine import Engine
from sim.experiments.executors import available_cores

# A scripted multi-user load (a minute or more): `make test-slow` runs it.
pytestmark = pytest.mark.slow

PEOPLE = 4


@pytest.fixture(scope="module")
def measured() -> Iterator[tuple[int, float, list[la.HorizonLatency]]]:
    workers = max(2, available_cores())
    engine = Engine(workers)
    try:
        warm, results = la.measure(engine, users=PEOPLE)
        yield workers, warm, results
    finally:
        engine.close()


def test_the_room_gets_first_answers_first(measured):
    workers, warm, results = measured
    print(f"\n{workers} worker processes; baseline warmed in {warm:.1f} s\n"
          + la.table(results))
    assert [r.horizon for r in results] == [h.label for h in lg.HORIZONS]
    for r in results:
        alone = r.alone
        assert 1 <= alone.first_n <= workers  # the first replications, not the batch
        assert alone.first < alone.refined
        assert alone.more is not None and alone.more > 0
        # the baseline was warmed: only "your plan" ran, each replication once
        assert alone.computed == lg.MORE_REPLICATIONS
        assert len(r.together) == PEOPLE
        # every replication 0 before anybody's replication 1: all first answers come
        # before any refined one
        assert max(a.first for a in r.together) < min(a.refined for a in r.together)
        assert all(1 <= a.first_n <= workers for a in r.together)
        assert r.together_computed == PEOPLE * lg.REFINED_REPLICATIONS  # none twice
