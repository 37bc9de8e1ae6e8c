"""The random streams of hand-raisers (customer-initiated requests), a branch of their own.

Hand-raisers get their own generators so that switching the source on
leaves every other lead's numbers as they were (common random numbers across
scenarios with and without hand-raisers). They branch off the replication's
arrival-counts seed at a fixed key, without spawning: deriving them consumes
no numbers and changes no state of the existing streams.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.streams import Streams

BRANCH_KEY = 1_000_012
"""Spawn-key word of the hand-raisers' branch under the arrival-counts seed:
far above any child index the project spawns there (it spawns none)."""


@dataclass(frozen=True)
class HandRaiserStreams:
    """The generators of one replication's hand-raisers.

    Attributes:
        counts: one uniform per day for the day's count.
        times: arrival times within the day.
        leads: each hand-raiser's row of luck.
    """

    counts: np.random.Generator
    times: np.random.Generator
    leads: np.random.Generator


def hand_raiser_streams(streams: Streams) -> HandRaiserStreams:
    """The hand-raisers' generators of the replication that owns ``streams``."""
    parent = streams.arrival_counts.bit_generator.seed_seq
    assert isinstance(parent, np.random.SeedSequence)  # made by make_streams
    base = np.random.SeedSequence(parent.entropy,
                                  spawn_key=(*parent.spawn_key, BRANCH_KEY))
    return HandRaiserStreams(*(np.random.Generator(np.random.PCG64(c))
                               for c in base.spawn(3)))
