"""A bare SimPy funnel: the least any SimPy model of a funnel pays per lead.

Poisson arrivals, a nurture delay, then an M/M/c rep stage, written the way
the SimPy documentation writes models: one generator process creates leads
with exponential inter-arrival timeouts, each lead is a process that sleeps
through its nurture delay, requests one of ``c`` servers of a
``simpy.Resource``, holds it for an exponential service time and releases it.
Random numbers come from a seeded ``random.Random`` (Python's scalar draws are
the fast idiomatic choice for per-event draws).

Per lead that is one process start, two timeouts, a request and a release:
no scoring, no reps' choices, no pipeline, no records. The project's model
does far more per lead, so matching this throughput is the bar for "no
wasted events".
"""

from __future__ import annotations

import random
from collections.abc import Generator
from typing import Any

import simpy


def reference_funnel(leads: int, leads_per_day: float, nurture_days_mean: float,
                     servers: int, service_days_mean: float, seed: int = 1) -> int:
    """Run ``leads`` leads through the reference funnel; return how many finished.

    Args:
        leads: leads to create.
        leads_per_day: Poisson arrival rate.
        nurture_days_mean: mean of the exponential nurture delay.
        servers: ``c``, the servers of the M/M/c rep stage.
        service_days_mean: mean of the exponential service time.
        seed: seed of the ``random.Random`` generator.
    """
    rng = random.Random(seed)
    env = simpy.Environment()
    reps = simpy.Resource(env, capacity=servers)
    finished = 0

    def lead() -> Generator[simpy.Event, Any, None]:
        nonlocal finished
        yield env.timeout(rng.expovariate(1.0 / nurture_days_mean))
        with reps.request() as request:
            yield request
            yield env.timeout(rng.expovariate(1.0 / service_days_mean))
        finished += 1

    def arrivals() -> Generator[simpy.Event, Any, None]:
        for _ in range(leads):
            env.process(lead())
            yield env.timeout(rng.expovariate(leads_per_day))

    env.process(arrivals())
    env.run()
    return finished
