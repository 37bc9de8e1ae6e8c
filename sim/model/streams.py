"""Independent, reproducible random streams: one ``SeedSequence`` tree per root seed.

The tree under root seed ``s``, each key used once:

- replication ``r`` owns ``SeedSequence(s, spawn_key=(r,))``, and each source
  of randomness of that replication a child of it, ``(r, k)``; so a
  replication gives the same numbers whichever process or machine runs it;
- an experiment's own draws (the optimiser's bootstrap over replications)
  come from ``(EXPERIMENT_KEY, k)``, a branch no replication reaches:
  replication indices stay below ``EXPERIMENT_KEY``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The first spawn-key word of the experiments' branch: 2**32, above every
# replication index (a scenario allows at most 100,000), and coerced by NumPy to
# two words, so no replication's key (r,) or (r, k) can equal a key under it.
EXPERIMENT_KEY = 2**32


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


def bootstrap_stream(seed: int) -> np.random.Generator:
    """The generator of an optimisation's bootstrap over replications, from the root seed.

    Its own branch of the seed tree (see the module notes), so it shares no
    numbers with any replication's streams, and the same seed gives the same draws.
    """
    return np.random.Generator(np.random.PCG64(
        np.random.SeedSequence(seed, spawn_key=(EXPERIMENT_KEY, 0))))
