"""Independent, reproducible random streams: one ``SeedSequence`` tree per run.

Replication ``r`` of root seed ``s`` owns ``SeedSequence(s, spawn_key=(r,))``,
so a replication gives the same numbers whichever process or machine runs it,
and every source of randomness below draws from its own generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Streams:
    """The generators of one replication, one per source of randomness."""

    arrival_counts: np.random.Generator
    arrival_times: np.random.Generator
    organic_leads: np.random.Generator
    promotion_leads: np.random.Generator
    recycle: np.random.Generator


def make_streams(seed: int, replication: int = 0) -> Streams:
    """Spawn the streams of one replication from the root seed."""
    root = np.random.SeedSequence(seed, spawn_key=(replication,))
    children = root.spawn(5)
    return Streams(*(np.random.Generator(np.random.PCG64(c)) for c in children))
