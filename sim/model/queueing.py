"""Queueing theory for the neutral model: an M/M/c queue (Erlang C).

With every behavioural mechanism neutral, leads arrive as a Poisson stream,
are handed over at once, and hold one of ``c = reps x slots_per_rep`` slots for
an exponential time: an M/M/c queue. These closed forms are what the
simulation must reproduce (see ``tests/test_model.py``).
"""

from __future__ import annotations


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arrival waits, ``C(c, a)`` with ``a = lambda / mu``.

    Computed with the numerically stable Erlang B recursion
    ``B(k) = a B(k-1) / (k + a B(k-1))``, then ``C = c B / (c - a (1 - B))``.

    Raises:
        ValueError: if the queue is unstable (``a >= c``).
    """
    if offered_load >= servers:
        raise ValueError(f"unstable queue: offered load {offered_load} >= {servers} servers")
    b = 1.0
    for k in range(1, servers + 1):
        b = offered_load * b / (k + offered_load * b)
    return servers * b / (servers - offered_load * (1.0 - b))


def mmc_mean_wait(arrival_rate: float, mean_service: float, servers: int) -> float:
    """Mean time in queue ``Wq = C(c, a) / (c mu - lambda)``."""
    mu = 1.0 / mean_service
    return erlang_c(servers, arrival_rate * mean_service) / (servers * mu - arrival_rate)


def mmc_utilization(arrival_rate: float, mean_service: float, servers: int) -> float:
    """Share of servers busy, ``rho = lambda / (c mu)``."""
    return arrival_rate * mean_service / servers


def mmc_mean_in_system(arrival_rate: float, mean_service: float, servers: int) -> float:
    """Mean number in the system by Little's law, ``L = lambda (Wq + 1/mu)``."""
    return arrival_rate * (mmc_mean_wait(arrival_rate, mean_service, servers) + mean_service)
